//! `pause`, `resume` and `advance`: control of the current loop's clock, for tests.
//!
//! Rules: each call acts on the current thread's driver and panics outside a runtime. Virtual time
//! belongs to one loop: pausing one loop's clock does not touch another's.

use crate::driver;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// Freezes the current loop's clock: from now on it moves only through [`advance`], or by itself
/// when the loop is idle (the runtime then jumps it to the next timer).
///
/// # Panics
/// Outside a mudu runtime, or when the clock is already paused.
///
/// ```
/// use std::rc::Rc;
/// use mudu_timer::{time, TimeDriver};
///
/// let driver = Rc::new(TimeDriver::new(false));
/// let _current = driver.enter();
/// time::pause();
/// let frozen = time::Instant::now();
/// assert_eq!(time::Instant::now(), frozen);
/// time::resume();
/// assert!(!driver.is_paused());
/// ```
pub fn pause() {
    driver::expect_current().pause();
}

/// Lets the current loop's clock run again, at the real clock's rate, from its virtual reading.
///
/// # Panics
/// Outside a mudu runtime, or when the clock is not paused.
pub fn resume() {
    driver::expect_current().resume();
}

/// Moves the paused clock forward by `duration`, firing every timer due by then in deadline order,
/// then yields once so the woken tasks run before it returns. Timers count whole microseconds: one
/// fires once the clock reaches its deadline rounded up to a whole microsecond, so a deadline inside a
/// microsecond (`sleep(Duration::from_secs(1) / 3)`) waits for the next whole one and never fires
/// early (tokio's timers wait for the next millisecond the same way). [`pause`] and `start_paused`
/// put the clock on a whole microsecond, so as long as every `advance` is a whole number of
/// microseconds, `sleep(d)` then `advance(d)` fires the sleep whenever `d` is one too. A `duration`
/// that would take the clock
/// within 60 years of the last instant it can hold (centuries ahead; `Duration::MAX`, say) stops it
/// there, which fires every timer set before; later sleeps and timeouts, `Duration::MAX` ones
/// included, still work from there.
///
/// # Panics
/// When polled outside a mudu runtime, or while the clock is not paused.
///
/// ```
/// # use std::{future::Future, pin::Pin, rc::Rc, sync::Arc, task::{Context, Wake, Waker}};
/// # struct Noop;
/// # impl Wake for Noop { fn wake(self: Arc<Self>) {} }
/// use std::time::Duration;
/// use mudu_timer::{time, TimeDriver};
///
/// let driver = Rc::new(TimeDriver::new(true));
/// let _current = driver.enter();
/// let start = time::Instant::now();
/// let waker = Waker::from(Arc::new(Noop));
/// let mut cx = Context::from_waker(&waker);
///
/// let mut step = Box::pin(time::advance(Duration::from_secs(5)));
/// assert!(step.as_mut().poll(&mut cx).is_pending()); // moved the clock, yielding once
/// assert!(step.as_mut().poll(&mut cx).is_ready());
/// assert_eq!(time::Instant::now() - start, Duration::from_secs(5));
///
/// let third = Duration::from_secs(1) / 3; // 333,333,333 ns: inside a microsecond
/// let mut nap = time::sleep(third);
/// assert!(Pin::new(&mut nap).poll(&mut cx).is_pending());
/// assert_eq!(driver.advance(third), 0); // the deadline's microsecond is not over
/// assert_eq!(driver.advance(Duration::from_nanos(667)), 1); // the next whole microsecond
/// ```
pub async fn advance(duration: Duration) {
    driver::expect_current().advance(duration);
    YieldOnce { yielded: false }.await;
}

/// Pending once (waking itself at once), then ready.
struct YieldOnce {
    yielded: bool,
}

impl Future for YieldOnce {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
