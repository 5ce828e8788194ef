//! The two ends of a blocking job's result slot: [`Completer`] on the pool's thread, [`BlockingHandle`] on the
//! awaiting side.
//!
//! Rules: the slot is one `Mutex` shared by exactly two owners. The completer writes the result once (or,
//! when it is dropped without a result, a cancellation) and then wakes the waker stored by the handle's
//! last pending poll. The waker is taken out under the lock and woken after the lock is released, so a
//! waker that runs arbitrary code (the runtime's cross-thread wake pushes into a loop's inject queue and
//! writes its eventfd) never runs inside the slot's critical section.
//!
//! ```text
//!   Slot (Arc<Mutex<..>>)
//!   +------------------------------------+----------------------+
//!   | result: Option<Result<R, JoinError>> | waker: Option<Waker> |
//!   +------------------------------------+----------------------+
//!     written once by the Completer          written by the handle's pending poll
//!     taken once by the handle               taken by the Completer, woken outside the lock
//! ```

use crate::shared::Shared as LoopShared;
use crate::task::JoinError;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

struct Slot<R> {
    result: Option<Result<R, JoinError>>,
    /// Set once the completer has delivered (or given up); the handle then knows no wake will follow.
    done: bool,
    waker: Option<Waker>,
    /// The loop whose task awaits the job, from the latest pending poll on a loop's thread until the
    /// job ends or the handle is dropped: that loop counts the job meanwhile, and its paused clock
    /// waits for it.
    awaited: Option<Awaited>,
}

/// A job that a task of the loop behind it awaits.
struct Awaited(Arc<LoopShared>);

impl Awaited {
    /// Counts the job on the loop behind `shared`.
    fn new(shared: Arc<LoopShared>) -> Awaited {
        shared.blocking_started();
        Awaited(shared)
    }
}

impl Drop for Awaited {
    fn drop(&mut self) {
        self.0.blocking_finished();
    }
}

type Shared<R> = Arc<Mutex<Slot<R>>>;

/// Locks the slot, ignoring poisoning: no code that can panic runs while it is held.
fn lock<R>(slot: &Mutex<Slot<R>>) -> MutexGuard<'_, Slot<R>> {
    slot.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Creates a connected pair: the completer goes with the job, the handle to the caller.
pub(super) fn pair<R>() -> (Completer<R>, BlockingHandle<R>) {
    let slot = Arc::new(Mutex::new(Slot {
        result: None,
        done: false,
        waker: None,
        awaited: None,
    }));
    (
        Completer {
            slot: Some(Arc::clone(&slot)),
        },
        BlockingHandle { slot },
    )
}

/// The writing end, owned by the job. Dropping it without [`complete`](Self::complete) (the job was
/// never run) delivers a cancellation, so the awaiting side never hangs.
pub(super) struct Completer<R> {
    slot: Option<Shared<R>>,
}

impl<R> Completer<R> {
    /// Delivers `result` and wakes the awaiting task, if one waits.
    pub(super) fn complete(mut self, result: Result<R, JoinError>) {
        if let Some(slot) = self.slot.take() {
            deliver(&slot, result);
        }
    }
}

impl<R> Drop for Completer<R> {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            deliver(&slot, Err(JoinError::cancelled()));
        }
    }
}

fn deliver<R>(slot: &Mutex<Slot<R>>, result: Result<R, JoinError>) {
    let (waker, awaited) = {
        let mut slot = lock(slot);
        slot.result = Some(result);
        slot.done = true;
        (slot.waker.take(), slot.awaited.take())
    };
    if let Some(waker) = waker {
        waker.wake();
    }
    // Only now may the loop's paused clock move on: the task the result wakes is queued already.
    drop(awaited);
}

/// The result of a job handed to the blocking pool by [`spawn_blocking`](crate::spawn_blocking).
///
/// Awaiting it yields `Ok(value)`, or a [`JoinError`]: [`is_panic`](JoinError::is_panic) when the job
/// panicked (the payload travels with the error), [`is_cancelled`](JoinError::is_cancelled) when the pool
/// could not run it at all (the OS refused every worker thread). The awaiting task is woken through its
/// ordinary waker from the pool's thread, so a loop parked in `epoll_wait` wakes up for it.
///
/// Dropping the handle does not stop the job: a blocking call cannot be interrupted, so the job runs to
/// its end and its result is dropped on the pool's thread. The handle is `Send` when `R` is, and may be
/// awaited on any loop, or polled outside a runtime.
///
/// ```
/// let len = mudu_runtime::block_on(async {
///     mudu_runtime::spawn_blocking(|| std::fs::read_dir(".").map(|d| d.count()))
///         .await
///         .unwrap()
/// });
/// assert!(len.unwrap() > 0);
/// ```
#[must_use = "a dropped handle discards the job's result"]
pub struct BlockingHandle<R> {
    slot: Shared<R>,
}

impl<R> BlockingHandle<R> {
    /// True once the job has finished (returned or panicked) or was given up; the next poll is ready.
    pub fn is_finished(&self) -> bool {
        lock(&self.slot).done
    }
}

impl<R> Future for BlockingHandle<R> {
    type Output = Result<R, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut slot = lock(&self.slot);
        if let Some(result) = slot.result.take() {
            return Poll::Ready(result);
        }
        assert!(
            !slot.done,
            "`BlockingHandle` polled after it returned its result"
        );
        match &mut slot.waker {
            Some(waker) => waker.clone_from(cx.waker()),
            None => slot.waker = Some(cx.waker().clone()),
        }
        // The job is awaited where this poll runs: on the current thread's loop, or on no loop. When
        // that changed (the first pending poll, or the handle moved), the new loop counts the job and
        // the old one no longer does.
        let here = crate::context::with_core(|core| Arc::clone(&core.shared));
        let known = slot.awaited.as_ref().map(|a| Arc::as_ptr(&a.0));
        let mut moved = None;
        if known != here.as_ref().map(Arc::as_ptr) {
            moved = std::mem::replace(&mut slot.awaited, here.map(Awaited::new));
        }
        drop(slot);
        // Un-counted on the old loop with no lock held: that wakes its poll.
        drop(moved);
        Poll::Pending
    }
}

impl<R> Drop for BlockingHandle<R> {
    fn drop(&mut self) {
        // Nobody waits for the job any more: the loop's paused clock need not either.
        let awaited = lock(&self.slot).awaited.take();
        drop(awaited);
    }
}

impl<R> fmt::Debug for BlockingHandle<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingHandle")
            .field("finished", &self.is_finished())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;

    struct CountingWaker(AtomicUsize);

    impl Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn poll<R>(handle: &mut BlockingHandle<R>, waker: &Waker) -> Poll<Result<R, JoinError>> {
        Pin::new(handle).poll(&mut Context::from_waker(waker))
    }

    #[test]
    fn completion_wakes_the_waiting_poll_once() {
        let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
        let waker = Waker::from(Arc::clone(&counter));
        let (completer, mut handle) = pair::<u8>();
        assert!(poll(&mut handle, &waker).is_pending());
        assert!(poll(&mut handle, &waker).is_pending());
        assert!(!handle.is_finished());
        completer.complete(Ok(7));
        assert_eq!(counter.0.load(Ordering::SeqCst), 1);
        assert!(handle.is_finished());
        assert!(matches!(poll(&mut handle, &waker), Poll::Ready(Ok(7))));
    }

    #[test]
    fn result_before_first_poll_is_ready_at_once() {
        let waker = Waker::from(Arc::new(CountingWaker(AtomicUsize::new(0))));
        let (completer, mut handle) = pair::<&str>();
        completer.complete(Ok("early"));
        assert!(matches!(
            poll(&mut handle, &waker),
            Poll::Ready(Ok("early"))
        ));
    }

    #[test]
    fn dropped_completer_reports_cancellation() {
        let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
        let waker = Waker::from(Arc::clone(&counter));
        let (completer, mut handle) = pair::<u8>();
        assert!(poll(&mut handle, &waker).is_pending());
        drop(completer);
        assert_eq!(counter.0.load(Ordering::SeqCst), 1);
        match poll(&mut handle, &waker) {
            Poll::Ready(Err(e)) => assert!(e.is_cancelled()),
            other => panic!("expected a cancellation, got {other:?}"),
        }
    }

    #[test]
    fn dropped_handle_lets_the_completer_finish() {
        let (completer, handle) = pair::<String>();
        drop(handle);
        completer.complete(Ok("nobody listens".to_owned()));
    }
}
