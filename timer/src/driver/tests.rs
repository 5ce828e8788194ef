//! Unit tests of the driver: where the next wake lands, and the tick arithmetic.

use super::*;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Wake};

struct Noop;
impl Wake for Noop {
    fn wake(self: Arc<Self>) {}
}

#[test]
fn next_wake_gives_the_real_instant_once_the_clock_was_shifted() {
    let driver = Rc::new(TimeDriver::new(false));
    let _current = driver.enter();
    let mut nap = crate::time::sleep(Duration::from_secs(7200));
    let waker = Waker::from(Arc::new(Noop));
    let mut cx = Context::from_waker(&waker);
    assert!(Pin::new(&mut nap).poll(&mut cx).is_pending());
    let wake = driver.next_wake().unwrap();
    assert_eq!(
        wake.at, wake.real_at,
        "a clock never paused is the real one"
    );

    let before_pause = std::time::Instant::now();
    driver.pause();
    driver.advance(Duration::from_secs(3600));
    driver.resume();
    let paused_for = before_pause.elapsed();
    let wake = driver.next_wake().unwrap();
    // The driver's clock now runs an hour ahead of the real clock, less the real time spent paused
    // (bounded by the real time the three calls took, however slow the machine; the pause also
    // rounds the clock up by less than a tick).
    let shift = wake.at - wake.real_at;
    let hour = Duration::from_secs(3600);
    assert!(shift <= hour + Duration::from_micros(1), "{shift:?}");
    assert!(
        shift >= hour - paused_for,
        "{shift:?} after {paused_for:?} paused"
    );
}

#[test]
fn deadlines_round_up_and_the_clock_rounds_down() {
    let driver = TimeDriver::new(true);
    let origin = driver.origin;
    assert_eq!(driver.tick_ceil(origin), 0);
    assert_eq!(driver.tick_ceil(origin + Duration::from_nanos(1)), 1);
    assert_eq!(driver.tick_ceil(origin + Duration::from_nanos(1400)), 2);
    assert_eq!(driver.tick_ceil(origin + Duration::from_micros(2)), 2);
    assert_eq!(driver.tick_ceil(origin + Duration::from_millis(3)), 3000);
    assert_eq!(driver.tick_ceil(origin + Duration::new(5, 1)), 5_000_001);
    assert_eq!(driver.tick_floor(origin + Duration::from_nanos(1999)), 1);
    assert_eq!(driver.tick_floor(origin + Duration::from_micros(2)), 2);
    assert_eq!(driver.tick_floor(origin + Duration::new(5, 999)), 5_000_000);
    assert_eq!(
        driver.instant_of(5_000_001),
        Some(origin + Duration::new(5, 1000))
    );
    // Before the origin counts as tick 0: already due.
    if let Some(before) = origin.checked_sub(Duration::from_secs(1)) {
        assert_eq!(driver.tick_ceil(before), 0);
    }
}
