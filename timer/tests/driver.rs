//! The loop-facing side of `TimeDriver`: poll timeouts, processing, virtual time, entering.

mod util;

use mudu_timer::time::{self, sleep, Instant};
use mudu_timer::TimeDriver;
use std::rc::Rc;
use std::time::Duration;
use util::{counting_waker, paused, poll};

/// One tick of the driver's wheel.
const TICK: Duration = Duration::from_micros(1);

#[test]
fn no_timers_means_no_timeout() {
    let driver = Rc::new(TimeDriver::new(false));
    assert_eq!(driver.next_timeout(), None);
    assert!(!driver.has_timers());
    assert_eq!(driver.process(), 0);
}

#[test]
fn a_paused_clock_never_asks_the_loop_to_block() {
    let (driver, _current) = paused();
    let (waker, _) = counting_waker();
    let mut nap = sleep(Duration::from_secs(1));
    assert!(poll(&mut nap, &waker).is_pending());
    assert!(driver.has_timers());
    assert_eq!(driver.next_timeout(), None);
}

#[test]
fn next_timeout_is_rounded_up_to_whole_milliseconds() {
    // Real clock: whatever time passes while the test runs, the answer is a whole number of
    // milliseconds, never a sub-millisecond remainder, and zero only when the timer is really due.
    let driver = Rc::new(TimeDriver::new(false));
    let _current = driver.enter();
    let (waker, wakes) = counting_waker();
    for micros in [1, 300, 999, 1000, 1001, 2500] {
        let mut nap = sleep(Duration::from_micros(micros));
        if poll(&mut nap, &waker).is_ready() {
            continue;
        }
        let timeout = driver.next_timeout().expect("a timer is pending");
        assert_eq!(timeout.subsec_nanos() % 1_000_000, 0, "{timeout:?}");
        assert!(
            timeout <= Duration::from_millis(4),
            "{timeout:?} for {micros} us"
        );
        if timeout == Duration::ZERO {
            let before = wakes.count();
            assert_eq!(driver.process(), 1, "zero means due");
            assert_eq!(wakes.count(), before + 1);
        }
    }
}

#[test]
fn resumed_clock_gives_a_timeout_again_and_continues_from_virtual_time() {
    let (driver, _current) = paused();
    let (waker, _) = counting_waker();
    let start = Instant::now();
    driver.advance(Duration::from_secs(3600));
    let mut nap = sleep(Duration::from_secs(10));
    assert!(poll(&mut nap, &waker).is_pending());
    time::resume();
    assert!(!driver.is_paused());
    assert!(Instant::now() - start >= Duration::from_secs(3600));
    let timeout = driver.next_timeout().expect("a timer is pending");
    assert!(timeout <= Duration::from_secs(10) && timeout > Duration::ZERO);
    time::pause();
    assert!(driver.is_paused());
    assert!(driver.advance_to_next());
    assert!(poll(&mut nap, &waker).is_ready());
}

#[test]
fn advance_to_next_does_nothing_on_a_running_clock() {
    let driver = Rc::new(TimeDriver::new(false));
    let _current = driver.enter();
    let (waker, _) = counting_waker();
    let mut nap = sleep(Duration::from_secs(60));
    assert!(poll(&mut nap, &waker).is_pending());
    assert!(!driver.advance_to_next());
    assert_eq!(driver.pending_timers(), 1);
}

#[test]
fn advance_to_next_visits_each_deadline_in_turn() {
    let (driver, _current) = paused();
    let start = Instant::now();
    let (waker, wakes) = counting_waker();
    let delays = [
        Duration::from_millis(3),
        Duration::from_secs(70),
        Duration::from_secs(86_400 * 800),
    ];
    let mut sleeps: Vec<_> = delays.iter().map(|&d| sleep(d)).collect();
    for nap in &mut sleeps {
        assert!(poll(nap, &waker).is_pending());
    }
    for (fired, delay) in delays.iter().enumerate() {
        assert!(driver.advance_to_next());
        assert_eq!(Instant::now() - start, *delay);
        assert_eq!(wakes.count(), fired + 1);
    }
    assert!(!driver.advance_to_next());
}

#[test]
fn process_fires_what_the_virtual_clock_passed() {
    let (driver, _current) = paused();
    let (waker, wakes) = counting_waker();
    let mut sleeps: Vec<_> = (1..=5).map(|s| sleep(Duration::from_millis(s))).collect();
    for nap in &mut sleeps {
        assert!(poll(nap, &waker).is_pending());
    }
    assert_eq!(driver.process(), 0);
    assert_eq!(driver.advance(Duration::from_millis(3)), 3);
    assert_eq!(driver.process(), 0);
    assert_eq!(wakes.count(), 3);
}

#[test]
fn enter_nests_and_restores_the_previous_driver() {
    let outer = Rc::new(TimeDriver::new(true));
    let inner = Rc::new(TimeDriver::new(true));
    let _outer_guard = outer.enter();
    outer.advance(Duration::from_secs(100));
    let outer_now = Instant::now();
    {
        let _inner_guard = inner.enter();
        assert!(Rc::ptr_eq(&TimeDriver::current().unwrap(), &inner));
        assert!(Instant::now() < outer_now);
    }
    assert!(Rc::ptr_eq(&TimeDriver::current().unwrap(), &outer));
    assert_eq!(Instant::now(), outer_now);
}

#[test]
fn outside_a_driver_instant_now_is_the_real_clock() {
    assert!(TimeDriver::current().is_none());
    let before = std::time::Instant::now();
    let now = Instant::now().into_std();
    assert!(now >= before && now <= std::time::Instant::now());
}

#[test]
#[should_panic(expected = "only be advanced while the mudu clock is paused")]
fn advance_on_a_running_clock_panics() {
    TimeDriver::new(false).advance(Duration::from_secs(1));
}

#[test]
#[should_panic(expected = "already paused")]
fn pausing_a_paused_clock_panics() {
    let (_driver, _current) = paused();
    time::pause();
}

#[test]
#[should_panic(expected = "there is no mudu timer driver on this thread")]
fn pause_outside_a_runtime_panics() {
    time::pause();
}

/// How far the driver's clock reads ahead of the real one (zero when behind). The driver's clock is read
/// first, so a real clock that moved on in between can only hide a lead, never make one up.
fn lead_over_real(driver: &TimeDriver) -> Duration {
    let clock = driver.now().into_std();
    let real = std::time::Instant::now();
    clock.saturating_duration_since(real)
}

/// Pausing and resuming a running clock over and over, twice in a row each time, with no `advance`: a
/// pause that comes while the resumed clock still stands on its rounded-up reading carries the rest of
/// the rounding over, so the clock never reads a tick or more later than the real one.
#[test]
fn pausing_right_after_resuming_never_puts_the_clock_ahead() {
    let driver = Rc::new(TimeDriver::new(false));
    let _entered = driver.enter();
    let mut worst = Duration::ZERO;
    for _ in 0..100_000 {
        driver.pause();
        driver.resume();
        driver.pause();
        driver.resume();
        worst = worst.max(lead_over_real(&driver));
    }
    assert!(
        worst < TICK,
        "the clock got {worst:?} ahead of the real one"
    );
}

/// A pause shorter than its rounding, on a fresh driver each time (on one driver the time spent paused
/// adds up to a lag that hides the rounding): right after it the clock may stand ahead of the real one,
/// by less than a tick, until the real clock catches up.
#[test]
fn a_quick_pause_and_resume_puts_the_clock_less_than_a_tick_ahead() {
    let mut worst = Duration::ZERO;
    for _ in 0..1_000 {
        let driver = Rc::new(TimeDriver::new(false));
        driver.pause();
        driver.resume();
        worst = worst.max(lead_over_real(&driver));
    }
    assert!(
        worst < TICK,
        "the clock got {worst:?} ahead of the real one"
    );
}
