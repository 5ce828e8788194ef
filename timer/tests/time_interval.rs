//! `interval`, `interval_at` and each `MissedTickBehavior`, with exact tick instants.

mod util;

use futures_core::Stream;
use mudu_timer::time::{interval, interval_at, Instant, Interval, MissedTickBehavior};
use mudu_timer::TimeDriver;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use util::{counting_waker, paused, poll};

const PERIOD: Duration = Duration::from_millis(100);

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

/// Takes every tick that is ready now, as offsets from `start` in ms.
fn ready_ticks(every: &mut Interval, start: Instant, waker: &Waker) -> Vec<u128> {
    let mut cx = Context::from_waker(waker);
    let mut ticks = Vec::new();
    while let Poll::Ready(at) = every.poll_tick(&mut cx) {
        ticks.push((at - start).as_millis());
    }
    ticks
}

/// Ticks at 0 and 100, then the loop stalls from 100 until 350 (the tick due at 200 is seen at 350
/// and the one due at 300 is missed), then the clock moves on to 700.
fn run(behavior: MissedTickBehavior) -> Vec<Vec<u128>> {
    let (driver, _current) = paused();
    let start = Instant::now();
    let (waker, _) = counting_waker();
    let mut every = interval(PERIOD);
    every.set_missed_tick_behavior(behavior);
    assert_eq!(every.missed_tick_behavior(), behavior);
    let mut seen = vec![ready_ticks(&mut every, start, &waker)];
    driver.advance(ms(100));
    seen.push(ready_ticks(&mut every, start, &waker));
    driver.advance(ms(250));
    seen.push(ready_ticks(&mut every, start, &waker));
    for _ in 0..4 {
        assert!(driver.advance_to_next());
        seen.push(ready_ticks(&mut every, start, &waker));
    }
    assert_eq!(driver.pending_timers(), 1, "one entry, re-armed in place");
    seen
}

#[test]
fn burst_catches_up_then_keeps_the_schedule() {
    assert_eq!(MissedTickBehavior::default(), MissedTickBehavior::Burst);
    let seen = run(MissedTickBehavior::Burst);
    assert_eq!(
        seen,
        [
            vec![0],
            vec![100],
            vec![200, 300],
            vec![400],
            vec![500],
            vec![600],
            vec![700]
        ]
    );
}

#[test]
fn delay_restarts_the_schedule_from_the_late_tick() {
    let seen = run(MissedTickBehavior::Delay);
    assert_eq!(
        seen,
        [
            vec![0],
            vec![100],
            vec![200],
            vec![450],
            vec![550],
            vec![650],
            vec![750]
        ]
    );
}

#[test]
fn skip_drops_missed_ticks_and_keeps_the_phase() {
    let seen = run(MissedTickBehavior::Skip);
    assert_eq!(
        seen,
        [
            vec![0],
            vec![100],
            vec![200],
            vec![400],
            vec![500],
            vec![600],
            vec![700]
        ]
    );
}

#[test]
fn small_lateness_is_not_a_missed_tick() {
    let (driver, _current) = paused();
    let start = Instant::now();
    let (waker, _) = counting_waker();
    let mut every = interval(PERIOD);
    every.set_missed_tick_behavior(MissedTickBehavior::Delay);
    assert_eq!(ready_ticks(&mut every, start, &waker), [0]);
    driver.advance(ms(103)); // 3 ms late: within the tolerance
    assert_eq!(ready_ticks(&mut every, start, &waker), [100]);
    driver.advance(ms(97));
    assert_eq!(ready_ticks(&mut every, start, &waker), [200]);
}

#[test]
fn interval_at_starts_at_its_start_and_reset_restarts() {
    let (driver, _current) = paused();
    let start = Instant::now();
    let (waker, wakes) = counting_waker();
    let mut every = interval_at(start + ms(50), PERIOD);
    assert_eq!(every.period(), PERIOD);
    assert!(ready_ticks(&mut every, start, &waker).is_empty());
    assert!(driver.advance_to_next());
    assert_eq!(wakes.count(), 1);
    assert_eq!(ready_ticks(&mut every, start, &waker), [50]);
    driver.advance(ms(30)); // at 80
    every.reset();
    driver.advance(ms(80)); // at 160: the old schedule's 150 is gone
    assert!(ready_ticks(&mut every, start, &waker).is_empty());
    driver.advance(ms(20)); // at 180
    assert_eq!(ready_ticks(&mut every, start, &waker), [180]);
    every.reset_immediately();
    assert_eq!(ready_ticks(&mut every, start, &waker), [180]);
    every.reset_after(ms(5));
    every.reset_at(start + ms(190));
    assert!(driver.advance_to_next());
    assert_eq!(ready_ticks(&mut every, start, &waker), [190]);
}

#[test]
fn interval_is_a_stream_and_tick_is_a_future() {
    let (driver, _current) = paused();
    let start = Instant::now();
    let (waker, _) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    let mut every = interval(PERIOD);
    assert_eq!(
        Pin::new(&mut every).poll_next(&mut cx),
        Poll::Ready(Some(start))
    );
    assert_eq!(Pin::new(&mut every).poll_next(&mut cx), Poll::Pending);
    assert_eq!(every.size_hint(), (usize::MAX, None));
    driver.advance(PERIOD);
    let mut tick = Box::pin(every.tick());
    assert_eq!(poll(&mut tick, &waker), Poll::Ready(start + PERIOD));
}

#[test]
#[should_panic(expected = "period must be non-zero")]
fn a_zero_period_panics() {
    let driver = std::rc::Rc::new(TimeDriver::new(true));
    let _current = driver.enter();
    let _ = interval(Duration::ZERO);
}
