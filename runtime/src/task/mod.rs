//! Tasks: spawned futures, their wakers and their join handles.
//!
//! A task is one heap cell (raw.rs) shared by counted references (its loop's task list, wakers and the
//! join handle) and pointed at by queue entries (entry.rs), which hold no reference of their own. The
//! atomic state word (state.rs) and the loop-local flags (raw.rs) say who may touch what. All of the
//! runtime's unsafe code about tasks lives in this module; the rest of it is a thread-local pointer to the
//! current loop (context.rs) and the `timerfd` calls of the reactor's alarm (reactor/alarm.rs).

pub(crate) mod anchor;
mod entry;
mod join_error;
mod join_handle;
mod local_start;
#[cfg(all(test, loom))]
mod loom_join;
mod raw;
mod state;
mod task_ref;
mod waker;
mod yield_now;

pub use join_error::JoinError;
pub use join_handle::JoinHandle;
pub use yield_now::yield_now;

pub(crate) use anchor::{Anchor, SharedRef, Tally};
pub(crate) use entry::{Local, Notified};
pub(crate) use local_start::LocalStart;
pub(crate) use raw::RunResult;
pub(crate) use task_ref::TaskRef;
pub(crate) use waker::is_task_waker;

use crate::shared::Shared;
use std::future::Future;
use std::sync::Arc;

/// Allocates a task for `future` on the loop behind `shared`, to be adopted on the calling thread, which
/// runs that loop: returns its first (local) entry, not yet queued, and its join handle. The task also
/// carries the reference its loop's task list will hold, which [`Local::adopt`] or [`Local::abandon`]
/// hands out.
pub(crate) fn new_local_task<F>(future: F, shared: SharedRef) -> (Local, JoinHandle<F::Output>)
where
    F: Future + 'static,
{
    let ptr = raw::allocate(future, shared, false);
    // SAFETY: `allocate` starts the task with `L_SCHEDULED` set (this first entry), the join handle's
    // reference and the reserved task-list reference.
    unsafe { (Local::from_raw(ptr), JoinHandle::from_raw(ptr)) }
}

/// Allocates a task for `future` on the loop behind `shared`, from any thread: returns its first (inject)
/// entry, not yet queued, and its join handle; see [`new_local_task`].
pub(crate) fn new_remote_task<F>(
    future: F,
    shared: Arc<Shared>,
) -> (Notified, JoinHandle<F::Output>)
where
    F: Future + Send + 'static,
{
    let ptr = raw::allocate(future, SharedRef::counted(shared), true);
    // SAFETY: `allocate` starts the task with `SCHEDULED` set (this first entry), the join handle's
    // reference and the reserved task-list reference.
    unsafe { (Notified::from_raw(ptr), JoinHandle::from_raw(ptr)) }
}
