//! The thread's current loop.
//!
//! While a loop runs (inside [`Runtime::block_on`](crate::Runtime::block_on), and while it shuts down), a
//! thread-local points at its [`Core`]. `spawn` and the local wake path find their loop through it; a thread
//! runs at most one loop at a time.

use crate::core::Core;
use crate::shared::Shared;
use crate::task::Notified;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

thread_local! {
    static CURRENT: RefCell<Option<Rc<Core>>> = const { RefCell::new(None) };
}

/// Restores the previous current loop when dropped.
pub(crate) struct EnterGuard {
    prev: Option<Rc<Core>>,
}

/// Makes `core` the current loop of this thread until the guard drops.
pub(crate) fn enter(core: Rc<Core>) -> EnterGuard {
    let prev = CURRENT.with(|c| c.replace(Some(core)));
    EnterGuard { prev }
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let prev = self.prev.take();
        // During thread teardown the slot may be gone already; then there is nothing to restore.
        let _ = CURRENT.try_with(|c| c.replace(prev));
    }
}

/// True when some loop is current on this thread.
pub(crate) fn is_inside() -> bool {
    CURRENT.try_with(|c| c.borrow().is_some()).unwrap_or(false)
}

/// Runs `f` with the current loop, or returns `None` outside any loop.
pub(crate) fn with_core<R>(f: impl FnOnce(&Rc<Core>) -> R) -> Option<R> {
    CURRENT
        .try_with(|c| c.borrow().as_ref().map(f))
        .ok()
        .flatten()
}

/// True when the current loop of this thread is the one behind `shared`.
pub(crate) fn is_current(shared: &Arc<Shared>) -> bool {
    with_core(|core| Arc::ptr_eq(&core.shared, shared)).unwrap_or(false)
}

/// Runs `f` with the current loop when this thread runs the loop behind `shared`; `None` otherwise.
pub(crate) fn with_owner<R>(shared: *const Shared, f: impl FnOnce(&Core) -> R) -> Option<R> {
    CURRENT
        .try_with(|c| match c.borrow().as_ref() {
            Some(core) if std::ptr::eq(Arc::as_ptr(&core.shared), shared) => Some(f(core)),
            _ => None,
        })
        .ok()
        .flatten()
}

/// Adopts a freshly spawned `Send` task on the current loop if that loop is the one behind `shared`;
/// gives it back otherwise.
pub(crate) fn spawn_local_if_current(shared: &Arc<Shared>, task: Notified) -> Option<Notified> {
    let mut task = Some(task);
    with_owner(Arc::as_ptr(shared), |core| {
        core.adopt_remote(task.take().expect("task taken twice"))
    });
    task
}
