//! Tasks: spawned futures, their wakers and their join handles.
//!
//! A task is one heap cell (raw.rs) shared by counted references: its loop's task list, run-queue entries,
//! wakers and the join handle. The state word (state.rs) says who may touch what; all unsafe code of the
//! runtime lives in this module.

mod join_error;
mod join_handle;
mod local_start;
mod raw;
mod state;
mod task_ref;
mod waker;
mod yield_now;

pub use join_error::JoinError;
pub use join_handle::JoinHandle;
pub use yield_now::yield_now;

pub(crate) use local_start::LocalStart;
pub(crate) use raw::{RunResult, DETACHED};
pub(crate) use task_ref::{Notified, TaskRef};

use crate::shared::Shared;
use std::future::Future;
use std::sync::Arc;

/// Allocates a task for `future` on the loop behind `shared`: returns its first queue entry (not yet
/// queued) and its join handle. The task also carries the reference its loop's task list will hold, which
/// [`Notified::adopt`] or [`Notified::abandon`] hands out.
pub(crate) fn new_task<F>(future: F, shared: Arc<Shared>) -> (Notified, JoinHandle<F::Output>)
where
    F: Future + 'static,
{
    let ptr = raw::allocate(future, shared);
    // SAFETY: `allocate` starts the task scheduled (this first entry) with the join handle's reference and
    // the reserved task-list reference, which stays inside the task until adoption.
    unsafe { (Notified::from_raw(ptr), JoinHandle::from_raw(ptr)) }
}
