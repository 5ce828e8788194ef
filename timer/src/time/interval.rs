//! `Interval`: ticks at a fixed period.
//!
//! Rules: an `Interval` is a [`Sleep`] re-armed in place after every tick, so a running interval
//! holds one wheel entry at most: the entry of a tick leaves the wheel when it fires, and the next
//! tick's is placed when the interval is next polled. It lives on its loop like `Sleep` does. The instant
//! a tick returns is the instant it was *scheduled* for, not the instant it was observed.

use crate::time::{sleep_until, Instant, MissedTickBehavior, Sleep};
use futures_core::Stream;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// Ticks every `period`, the first tick at once.
///
/// # Panics
/// When `period` is zero, or outside a mudu runtime (no driver is current on this thread).
///
/// ```
/// # use std::{pin::Pin, rc::Rc, sync::Arc, task::{Context, Poll, Wake, Waker}};
/// # struct Noop;
/// # impl Wake for Noop { fn wake(self: Arc<Self>) {} }
/// use std::time::Duration;
/// use mudu_timer::{time, TimeDriver};
///
/// let driver = Rc::new(TimeDriver::new(true));
/// let _current = driver.enter();
/// let waker = Waker::from(Arc::new(Noop));
/// let mut cx = Context::from_waker(&waker);
///
/// let start = time::Instant::now();
/// let mut every = time::interval(Duration::from_millis(10));
/// assert_eq!(every.poll_tick(&mut cx), Poll::Ready(start));
/// assert!(every.poll_tick(&mut cx).is_pending());
/// driver.advance(Duration::from_millis(10));
/// assert_eq!(every.poll_tick(&mut cx), Poll::Ready(start + Duration::from_millis(10)));
/// ```
pub fn interval(period: Duration) -> Interval {
    interval_at(Instant::now(), period)
}

/// Ticks every `period`, the first tick at `start`.
///
/// # Panics
/// When `period` is zero, or outside a mudu runtime (no driver is current on this thread).
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    assert!(!period.is_zero(), "an interval's period must be non-zero");
    Interval {
        delay: sleep_until(start),
        period,
        missed_tick_behavior: MissedTickBehavior::default(),
    }
}

/// A stream of ticks at a fixed period, made by [`interval`] or [`interval_at`].
///
/// Await [`tick`](Interval::tick), call [`poll_tick`](Interval::poll_tick), or use it as a
/// [`Stream`] of the instants the ticks were scheduled for. When the loop falls behind, the
/// [`MissedTickBehavior`] decides what comes next (default [`Burst`](MissedTickBehavior::Burst)).
#[derive(Debug)]
pub struct Interval {
    /// Armed for the next tick.
    delay: Sleep,
    period: Duration,
    missed_tick_behavior: MissedTickBehavior,
}

impl Interval {
    /// Waits for the next tick and returns the instant it was scheduled for.
    ///
    /// Cancel safe: dropping the future before it finishes loses no tick.
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick: `Ready` with its scheduled instant once it is due, else registers
    /// the waker of `cx`.
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        if Pin::new(&mut self.delay).poll(cx).is_pending() {
            return Poll::Pending;
        }
        let due = self.delay.deadline();
        let next = self
            .missed_tick_behavior
            .next_tick(due, Instant::now(), self.period);
        self.delay.reset(next);
        Poll::Ready(due)
    }

    /// Restarts the schedule: the next tick comes one period from now.
    pub fn reset(&mut self) {
        self.reset_at(Instant::now().add_or_far_future(self.period));
    }

    /// Restarts the schedule with a tick due now.
    pub fn reset_immediately(&mut self) {
        self.reset_at(Instant::now());
    }

    /// Restarts the schedule with the next tick after `after`.
    pub fn reset_after(&mut self, after: Duration) {
        self.reset_at(Instant::now().add_or_far_future(after));
    }

    /// Restarts the schedule with the next tick at `deadline`.
    pub fn reset_at(&mut self, deadline: Instant) {
        self.delay.reset(deadline);
    }

    /// The period between ticks.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// What happens after a late tick.
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed_tick_behavior
    }

    /// Chooses what happens after a late tick.
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed_tick_behavior = behavior;
    }
}

impl Stream for Interval {
    type Item = Instant;

    /// Never ends: every item is the scheduled instant of a tick.
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Instant>> {
        self.get_mut().poll_tick(cx).map(Some)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (usize::MAX, None)
    }
}
