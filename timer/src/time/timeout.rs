//! `Timeout`: a future raced against a deadline.
//!
//! Rules: `Timeout` owns its inner future and a [`Sleep`]; each poll polls the inner future first, so
//! a future that is ready at its deadline still wins, then the sleep. It lives on its loop like
//! `Sleep` does.

use crate::time::error::Elapsed;
use crate::time::{sleep, sleep_until, Instant, Sleep};
use pin_project_lite::pin_project;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// Runs `future` for at most `duration`: `Ok` with its output if it finishes in time, `Err(Elapsed)`
/// once the deadline passes first (the future is then dropped with the `Timeout`).
///
/// # Panics
/// Outside a mudu runtime (no driver is current on this thread).
///
/// ```
/// # use std::{future::Future, pin::Pin, rc::Rc, sync::Arc, task::{Context, Wake, Waker}};
/// # struct Noop;
/// # impl Wake for Noop { fn wake(self: Arc<Self>) {} }
/// use std::future::{pending, ready};
/// use std::time::Duration;
/// use mudu_timer::{time, TimeDriver};
///
/// let driver = Rc::new(TimeDriver::new(true));
/// let _current = driver.enter();
/// let waker = Waker::from(Arc::new(Noop));
/// let mut cx = Context::from_waker(&waker);
///
/// let mut quick = time::timeout(Duration::from_secs(1), ready(7));
/// assert_eq!(Pin::new(&mut quick).poll(&mut cx), std::task::Poll::Ready(Ok(7)));
///
/// let mut stuck = time::timeout(Duration::from_secs(1), pending::<()>());
/// assert!(Pin::new(&mut stuck).poll(&mut cx).is_pending());
/// driver.advance(Duration::from_secs(1));
/// assert!(matches!(Pin::new(&mut stuck).poll(&mut cx), std::task::Poll::Ready(Err(_))));
/// ```
pub fn timeout<F: IntoFuture>(duration: Duration, future: F) -> Timeout<F::IntoFuture> {
    Timeout::new(future.into_future(), sleep(duration))
}

/// Runs `future` until the runtime's clock reaches `deadline`: `Ok` with its output if it finishes
/// first, else `Err(Elapsed)`.
///
/// # Panics
/// Outside a mudu runtime (no driver is current on this thread).
pub fn timeout_at<F: IntoFuture>(deadline: Instant, future: F) -> Timeout<F::IntoFuture> {
    Timeout::new(future.into_future(), sleep_until(deadline))
}

pin_project! {
    /// The future of [`timeout`] and [`timeout_at`]: the inner future's output, or [`Elapsed`] when
    /// the deadline passes first.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    #[derive(Debug)]
    pub struct Timeout<F> {
        #[pin]
        future: F,
        delay: Sleep,
    }
}

impl<F> Timeout<F> {
    fn new(future: F, delay: Sleep) -> Timeout<F> {
        Timeout { future, delay }
    }

    /// The deadline after which the inner future is given up.
    pub fn deadline(&self) -> Instant {
        self.delay.deadline()
    }

    /// The inner future.
    pub fn get_ref(&self) -> &F {
        &self.future
    }

    /// The inner future, mutably (when it is `Unpin` or not yet pinned).
    pub fn get_mut(&mut self) -> &mut F {
        &mut self.future
    }

    /// Gives up the deadline and returns the inner future.
    pub fn into_inner(self) -> F {
        self.future
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(output) = this.future.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        match Pin::new(this.delay).poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Elapsed::new())),
            Poll::Pending => Poll::Pending,
        }
    }
}
