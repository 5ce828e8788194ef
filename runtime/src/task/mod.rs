//! Tasks: spawned futures, their wakers and their join handles.
//!
//! A task is one heap cell (raw.rs) shared by counted references: its loop's task list, run-queue entries,
//! wakers and the join handle. The state word (state.rs) says who may touch what; all unsafe code of the
//! runtime lives in this module.

mod join_error;
mod join_handle;
mod raw;
mod state;
mod task_ref;
mod waker;
mod yield_now;

pub use join_error::JoinError;
pub use join_handle::JoinHandle;
pub use yield_now::yield_now;

pub(crate) use raw::NOT_BOUND;
pub(crate) use task_ref::{RunOutcome, TaskRef};

use crate::shared::Shared;
use std::future::Future;
use std::sync::Arc;

/// Allocates a task for `future` on the loop behind `shared`: returns its first run-queue entry (not yet
/// queued) and its join handle. The task also carries the reference its loop's task list will hold, which
/// [`TaskRef::adopt`] or [`TaskRef::abandon`] hands out.
pub(crate) fn new_task<F>(future: F, shared: Arc<Shared>) -> (TaskRef, JoinHandle<F::Output>)
where
    F: Future + 'static,
{
    let ptr = raw::allocate(future, shared);
    // SAFETY: `allocate` starts the count at three: the queue entry, the join handle, and the reserved
    // task-list reference, which stays inside the task until adoption.
    unsafe { (TaskRef::from_raw(ptr), JoinHandle::from_raw(ptr)) }
}
