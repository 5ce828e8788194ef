//! The counted reference a loop's task list holds to each of its tasks.

use super::raw::{dealloc_if, header, Header};
use super::state::ListRef;
use std::ptr::NonNull;

/// One counted reference to a task: the one held by its loop's task list. Dropping it releases the
/// reference and frees the task if it was the last.
pub(crate) struct TaskRef {
    ptr: NonNull<Header>,
}

impl TaskRef {
    /// Adopts one reference to the task at `ptr`.
    ///
    /// # Safety
    /// The caller must own one reference to the live task at `ptr` and hand it over.
    pub(super) unsafe fn from_raw(ptr: NonNull<Header>) -> TaskRef {
        TaskRef { ptr }
    }

    pub(crate) fn header(&self) -> &Header {
        // SAFETY: the reference this value owns keeps the task alive.
        unsafe { header(self.ptr) }
    }

    /// Loop thread, shutdown: drops the future of this (not complete, not running) task, completing it as
    /// cancelled, and settles the list reference.
    pub(crate) fn cancel(self) {
        // SAFETY: the task is alive (this reference), not complete (it is still on the task list) and not
        // being polled; the loop's thread may drop its future.
        let list = unsafe { (self.header().vtable.shutdown)(self.ptr) };
        self.settle(list);
    }

    /// Disposes of the task-list reference once the task completed, as the completing transition decided.
    /// Unless it was kept, the transition already let go of it, so the task is not touched again here
    /// (only freed, when it was the last reference).
    pub(crate) fn settle(self, list: ListRef) {
        let ptr = self.ptr;
        match list {
            ListRef::Kept => drop(self),
            ListRef::Inherited => std::mem::forget(self),
            ListRef::Released { last } => {
                std::mem::forget(self);
                // SAFETY: `last` comes from the transition that released this reference.
                unsafe { dealloc_if(ptr, last) };
            }
        }
    }
}

impl Drop for TaskRef {
    fn drop(&mut self) {
        let last = self.header().state.ref_dec();
        // SAFETY: `last` comes from releasing this reference.
        unsafe { dealloc_if(self.ptr, last) }
    }
}
