//! The thread's current loop.
//!
//! While a loop runs (inside [`Runtime::block_on`](crate::Runtime::block_on), and while it shuts down), a
//! thread-local points at its [`Core`]. `spawn` and the local wake path find their loop through it; a thread
//! runs at most one loop at a time.

use crate::core::Core;
use crate::shared::Shared;
use crate::task::Notified;
use std::cell::{Cell, RefCell};
use std::ptr;
use std::rc::Rc;
use std::sync::Arc;

thread_local! {
    /// Owns the current loop's `Core` (and so keeps it alive) while it is current.
    static CURRENT: RefCell<Option<Rc<Core>>> = const { RefCell::new(None) };
    /// The same `Core` as a plain pointer, null when no loop is current. Every wake and spawn on the loop
    /// thread reads it: a `Cell` of a pointer has no destructor and no borrow flag, so reading it is one
    /// load, where `CURRENT` needs a check of the slot's state and a borrow.
    ///
    /// Rule: only [`enter`] and [`EnterGuard`]'s drop write it, each together with `CURRENT`, so it always
    /// points at the `Core` that `CURRENT` holds.
    static CORE: Cell<*const Core> = const { Cell::new(ptr::null()) };
}

/// Restores the previous current loop when dropped.
pub(crate) struct EnterGuard {
    prev: Option<Rc<Core>>,
    /// False when the thread's `CURRENT` was already destroyed (a `Runtime` dropped by a thread-local
    /// destructor): nothing was made current, and there is nothing to restore.
    entered: bool,
}

/// Makes `core` the current loop of this thread until the guard drops.
///
/// While the thread's thread-locals are being destroyed (a `Runtime` kept in a `thread_local!` and
/// dropped at thread exit), `CURRENT` may be gone: then no loop becomes current, and the caller runs
/// without one (shutting down such a runtime still drops every task; only a destructor that spawns
/// finds no loop).
pub(crate) fn enter(core: Rc<Core>) -> EnterGuard {
    let core_ptr = Rc::as_ptr(&core);
    // `CURRENT` first: `CORE` may only point at a `Core` that `CURRENT` holds.
    match CURRENT.try_with(|c| c.replace(Some(core))) {
        Ok(prev) => {
            CORE.with(|c| c.set(core_ptr));
            EnterGuard {
                prev,
                entered: true,
            }
        }
        Err(_) => EnterGuard {
            prev: None,
            entered: false,
        },
    }
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        if !self.entered {
            return;
        }
        let prev = self.prev.take();
        let prev_ptr = prev.as_ref().map_or(ptr::null(), Rc::as_ptr);
        // During thread teardown `CURRENT` may be gone already (and with it the `Core` it held): then no
        // loop is current any more, and `CORE` must not point anywhere.
        let exited = CURRENT.try_with(|c| c.replace(prev));
        let current = if exited.is_ok() {
            prev_ptr
        } else {
            ptr::null()
        };
        let _ = CORE.try_with(|c| c.set(current));
        // The exited loop's `Rc` goes only once `CORE` no longer points at it.
        drop(exited);
    }
}

/// True when some loop is current on this thread.
pub(crate) fn is_inside() -> bool {
    with_core(|_| ()).is_some()
}

/// Runs `f` with the current loop, or returns `None` outside any loop.
#[inline]
pub(crate) fn with_core<R>(f: impl FnOnce(&Core) -> R) -> Option<R> {
    let core = CORE.try_with(Cell::get).ok()?;
    if core.is_null() {
        return None;
    }
    // SAFETY: a non-null `CORE` points at the `Core` whose `Rc` sits in `CURRENT` (see `CORE`'s rule).
    // That `Rc` stays alive for all of `f`: replacing it takes a new `enter`, whose guard keeps it as
    // `prev` until the guard drops, which restores `CORE` too; guards are locals of `block_on` and of
    // the runtime's drop, so they drop in the reverse order of their `enter`; and the loop's `Runtime`
    // holds another `Rc`.
    Some(f(unsafe { &*core }))
}

/// Runs `f` with the current loop when this thread runs the loop behind `shared`; `None` otherwise.
#[inline]
pub(crate) fn with_owner<R>(shared: *const Shared, f: impl FnOnce(&Core) -> R) -> Option<R> {
    with_core(|core| ptr::eq(Arc::as_ptr(&core.shared), shared).then(|| f(core))).flatten()
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
