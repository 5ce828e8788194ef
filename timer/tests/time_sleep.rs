//! `sleep`, `sleep_until` and `Sleep` on a driver polled by hand.

mod util;

use mudu_timer::time::{self, sleep, sleep_until, Instant};
use mudu_timer::TimeDriver;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::Waker;
use std::time::Duration;
use util::{counting_waker, paused, poll, Logger};

const HOUR: Duration = Duration::from_secs(3600);

#[test]
fn one_hour_sleep_ends_at_exactly_one_hour_via_advance_to_next() {
    let (driver, _current) = paused();
    let start = Instant::now();
    let (waker, wakes) = counting_waker();
    let mut nap = sleep(HOUR);
    assert!(poll(&mut nap, &waker).is_pending());
    assert!(driver.advance_to_next());
    assert_eq!(wakes.count(), 1);
    assert!(poll(&mut nap, &waker).is_ready());
    assert_eq!(Instant::now() - start, HOUR);
    assert!(!driver.has_timers());
    assert!(!driver.advance_to_next(), "nothing left to jump to");
}

#[test]
fn one_hour_sleep_ends_at_exactly_one_hour_via_async_advance() {
    let (driver, _current) = paused();
    let start = Instant::now();
    let (waker, wakes) = counting_waker();
    let mut nap = sleep(HOUR);
    assert!(poll(&mut nap, &waker).is_pending());

    let (step_waker, step_wakes) = counting_waker();
    let mut almost = Box::pin(time::advance(HOUR - Duration::from_millis(1)));
    assert!(poll(&mut almost, &step_waker).is_pending());
    assert_eq!(step_wakes.count(), 1, "advance yields once, waking itself");
    assert!(poll(&mut almost, &step_waker).is_ready());
    assert_eq!(wakes.count(), 0);
    assert!(poll(&mut nap, &waker).is_pending());

    let mut last = Box::pin(time::advance(Duration::from_millis(1)));
    assert!(poll(&mut last, &step_waker).is_pending());
    assert_eq!(
        wakes.count(),
        1,
        "the sleep is woken before advance returns"
    );
    assert!(poll(&mut last, &step_waker).is_ready());
    assert!(poll(&mut nap, &waker).is_ready());
    assert_eq!(Instant::now() - start, HOUR);
    assert_eq!(driver.pending_timers(), 0);
}

#[test]
fn timers_fire_in_deadline_order() {
    let (driver, _current) = paused();
    let log = Arc::new(Mutex::new(Vec::new()));
    let delays_ms = [500, 20, 7_000, 20, 1, 64, 4096, 3_600_000];
    let mut sleeps: Vec<_> = delays_ms
        .iter()
        .map(|&ms| sleep(Duration::from_millis(ms)))
        .collect();
    for (id, nap) in sleeps.iter_mut().enumerate() {
        let log = Arc::clone(&log);
        assert!(poll(nap, &Waker::from(Arc::new(Logger { id, log }))).is_pending());
    }
    // Half with one big step, the rest one timer at a time.
    assert_eq!(driver.advance(Duration::from_millis(100)), 4);
    while driver.advance_to_next() {}
    assert_eq!(*log.lock().unwrap(), [4, 1, 3, 5, 0, 6, 2, 7]);
}

#[test]
fn never_fires_before_a_deadline_between_ticks() {
    let (driver, _current) = paused();
    driver.advance(Duration::from_nanos(500_500));
    let (waker, wakes) = counting_waker();
    // Deadline at 1500.5 us on the driver's clock: rounded up to tick 1501 (one tick is 1 us).
    let mut nap = sleep(Duration::from_millis(1));
    assert!(poll(&mut nap, &waker).is_pending());
    driver.advance(Duration::from_micros(900)); // 1400.5 us
    assert_eq!(wakes.count(), 0);
    assert!(poll(&mut nap, &waker).is_pending());
    driver.advance(Duration::from_micros(100)); // 1500.5 us: due, but the wheel waits for tick 1501
    assert_eq!(wakes.count(), 0);
    assert!(nap.is_elapsed());
    assert!(
        poll(&mut nap, &waker).is_ready(),
        "a poll at the deadline finishes"
    );
    assert_eq!(driver.pending_timers(), 0);
    assert_eq!(driver.advance(Duration::from_micros(500)), 0);
}

#[test]
fn fires_on_the_microsecond_of_its_deadline() {
    let (driver, _current) = paused();
    let (waker, wakes) = counting_waker();
    let mut nap = sleep(Duration::from_micros(1500));
    assert!(poll(&mut nap, &waker).is_pending());
    assert_eq!(driver.advance(Duration::from_nanos(1_499_999)), 0);
    assert_eq!(wakes.count(), 0);
    assert_eq!(driver.advance(Duration::from_nanos(1)), 1);
    assert_eq!(wakes.count(), 1);
    assert!(poll(&mut nap, &waker).is_ready());
}

#[test]
fn reset_to_an_earlier_deadline() {
    let (driver, _current) = paused();
    let start = Instant::now();
    let (waker, wakes) = counting_waker();
    let mut nap = sleep(HOUR);
    assert!(poll(&mut nap, &waker).is_pending());
    nap.reset(start + Duration::from_secs(2));
    assert_eq!(nap.deadline(), start + Duration::from_secs(2));
    assert_eq!(
        driver.pending_timers(),
        1,
        "moved in place, not inserted again"
    );
    assert!(driver.advance_to_next());
    assert_eq!(Instant::now() - start, Duration::from_secs(2));
    assert_eq!(wakes.count(), 1);
    assert!(poll(&mut nap, &waker).is_ready());
}

#[test]
fn reset_to_a_later_deadline() {
    let (driver, _current) = paused();
    let start = Instant::now();
    let (waker, wakes) = counting_waker();
    let mut nap = sleep(Duration::from_secs(2));
    assert!(poll(&mut nap, &waker).is_pending());
    nap.reset(start + HOUR);
    assert_eq!(driver.advance(Duration::from_secs(2)), 0);
    assert!(poll(&mut nap, &waker).is_pending());
    assert!(driver.advance_to_next());
    assert_eq!(Instant::now() - start, HOUR);
    assert_eq!(wakes.count(), 1);
    assert!(poll(&mut nap, &waker).is_ready());
}

#[test]
fn reset_after_finishing_makes_the_sleep_pending_again() {
    let (driver, _current) = paused();
    let (waker, _wakes) = counting_waker();
    let mut nap = sleep(Duration::ZERO);
    assert!(poll(&mut nap, &waker).is_ready());
    assert_eq!(
        driver.pending_timers(),
        0,
        "a sleep due at its first poll never registers"
    );
    nap.reset(Instant::now() + Duration::from_millis(3));
    assert!(!nap.is_elapsed());
    assert!(poll(&mut nap, &waker).is_pending());
    assert!(driver.advance_to_next());
    assert!(poll(&mut nap, &waker).is_ready());
}

#[test]
fn dropping_a_pending_sleep_leaves_the_wheel_empty() {
    let (driver, _current) = paused();
    let (waker, wakes) = counting_waker();
    let mut sleeps: Vec<_> = (1..=100).map(|s| sleep(Duration::from_secs(s))).collect();
    for nap in &mut sleeps {
        assert!(poll(nap, &waker).is_pending());
    }
    assert_eq!(driver.pending_timers(), 100);
    drop(sleeps);
    assert_eq!(driver.pending_timers(), 0);
    assert!(!driver.has_timers());
    assert!(!driver.advance_to_next());
    assert_eq!(wakes.count(), 0);
}

#[test]
fn a_new_waker_replaces_the_old_one_in_place() {
    let (driver, _current) = paused();
    let (first, first_wakes) = counting_waker();
    let (second, second_wakes) = counting_waker();
    let mut nap = sleep(Duration::from_millis(10));
    assert!(poll(&mut nap, &first).is_pending());
    assert!(poll(&mut nap, &first).is_pending());
    assert!(poll(&mut nap, &second).is_pending());
    assert_eq!(driver.pending_timers(), 1);
    driver.advance(Duration::from_millis(10));
    assert_eq!((first_wakes.count(), second_wakes.count()), (0, 1));
}

#[test]
fn hundred_thousand_concurrent_sleeps_all_fire() {
    let (driver, _current) = paused();
    let (waker, wakes) = counting_waker();
    let mut seed = 7u64;
    let mut sleeps: Vec<_> = (0..100_000)
        .map(|_| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            sleep(Duration::from_millis(1 + (seed >> 33) % 10_000))
        })
        .collect();
    for nap in &mut sleeps {
        assert!(poll(nap, &waker).is_pending());
    }
    assert_eq!(driver.pending_timers(), 100_000);
    let mut jumps = 0;
    while driver.advance_to_next() {
        jumps += 1;
    }
    assert!(jumps <= 10_000);
    assert_eq!(wakes.count(), 100_000);
    assert!(sleeps.iter_mut().all(|nap| poll(nap, &waker).is_ready()));
}

#[test]
fn a_waker_may_drop_another_sleep_while_timers_fire() {
    struct DropOnWake(Mutex<Option<time::Sleep>>);
    impl std::task::Wake for DropOnWake {
        fn wake(self: Arc<Self>) {
            drop(self.0.lock().unwrap().take());
        }
    }
    let (driver, _current) = paused();
    let (plain, _) = counting_waker();
    let mut victim = sleep(HOUR);
    assert!(poll(&mut victim, &plain).is_pending());
    let dropper = Arc::new(DropOnWake(Mutex::new(Some(victim))));
    let mut trigger = sleep(Duration::from_millis(1));
    assert!(poll(&mut trigger, &Waker::from(Arc::clone(&dropper))).is_pending());
    assert_eq!(driver.pending_timers(), 2);
    assert_eq!(driver.advance(Duration::from_millis(1)), 1);
    assert_eq!(
        driver.pending_timers(),
        0,
        "the victim was cancelled from inside a wake"
    );
}

#[test]
fn sleep_max_does_not_overflow() {
    let (driver, _current) = paused();
    let (waker, _) = counting_waker();
    let mut forever = sleep(Duration::MAX);
    assert!(poll(&mut forever, &waker).is_pending());
    assert_eq!(driver.advance(HOUR * 24 * 365), 0);
    assert!(poll(&mut forever, &waker).is_pending());
}

#[test]
fn sleep_until_the_past_is_ready_at_once() {
    let (driver, _current) = paused();
    driver.advance(Duration::from_secs(5));
    let (waker, _) = counting_waker();
    let mut late = sleep_until(Instant::now() - Duration::from_secs(1));
    assert!(late.is_elapsed());
    assert!(poll(&mut late, &waker).is_ready());
    assert_eq!(driver.pending_timers(), 0);
}

#[test]
#[should_panic(expected = "there is no mudu timer driver on this thread")]
fn sleep_outside_a_runtime_panics() {
    drop(sleep(Duration::from_secs(1)));
}

#[test]
fn a_sleep_dropped_after_its_driver_is_gone_is_harmless() {
    let driver = Rc::new(TimeDriver::new(true));
    let current = driver.enter();
    let (waker, _) = counting_waker();
    let mut nap = sleep(Duration::from_secs(1));
    assert!(poll(&mut nap, &waker).is_pending());
    drop(current);
    drop(driver);
    drop(nap);
}
