//! A thread-safe handle to a loop.

use crate::shared::Shared;
use crate::task::JoinHandle;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

/// A handle to one loop, usable from any thread: muduo's `EventLoop*` passed to other threads for
/// `queueInLoop`.
///
/// [`spawn`](Self::spawn) queues a `Send` future on the loop and wakes the loop's poll (through its eventfd)
/// if it is parked, at most once per park. After the runtime is dropped, spawned futures are dropped at once
/// and their join handles report cancellation.
///
/// ```
/// let rt = mudu_runtime::Runtime::new().unwrap();
/// let handle = rt.handle();
/// let joined = std::thread::spawn(move || handle.spawn(async { "from another thread" }));
/// let task = joined.join().unwrap();
/// assert_eq!(rt.block_on(task).unwrap(), "from another thread");
/// ```
///
/// A future that is not `Send` cannot be handed to another thread's loop:
///
/// ```compile_fail
/// let rt = mudu_runtime::Runtime::new().unwrap();
/// let local = std::rc::Rc::new(1);
/// rt.handle().spawn(async move { *local });
/// ```
#[derive(Clone)]
pub struct Handle {
    pub(crate) shared: Arc<Shared>,
}

impl Handle {
    /// The handle of the loop running on this thread.
    ///
    /// # Panics
    /// Outside a mudu runtime; see [`try_current`](Self::try_current).
    pub fn current() -> Handle {
        Handle::try_current().expect("`Handle::current` called outside of a mudu runtime")
    }

    /// The handle of the loop running on this thread, if any.
    pub fn try_current() -> Option<Handle> {
        crate::context::with_core(|core| Handle {
            shared: Arc::clone(&core.shared),
        })
    }

    /// Spawns `future` on this handle's loop, from any thread.
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.shared.spawn(future)
    }

    /// Spawns a future that need not be `Send` on this handle's loop, from any thread: `build` is sent to
    /// the loop and called there, and the future it returns runs there. This is how a connection accepted
    /// on one loop is handed to another (send the `std` socket, build the mudu one inside `build`).
    ///
    /// ```
    /// use std::rc::Rc;
    ///
    /// let rt = mudu_runtime::Runtime::new().unwrap();
    /// let handle = rt.handle();
    /// let task = std::thread::spawn(move || {
    ///     handle.spawn_local(|| {
    ///         let local = Rc::new(20); // not `Send`: created on the loop's thread
    ///         async move { *local + 1 }
    ///     })
    /// })
    /// .join()
    /// .unwrap();
    /// assert_eq!(rt.block_on(task).unwrap(), 21);
    /// ```
    pub fn spawn_local<B, F>(&self, build: B) -> JoinHandle<F::Output>
    where
        B: FnOnce() -> F + Send + 'static,
        F: Future + 'static,
        F::Output: Send + 'static,
    {
        self.shared.spawn(crate::task::LocalStart::new(build))
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("loop", &Arc::as_ptr(&self.shared))
            .finish()
    }
}
