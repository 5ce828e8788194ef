//! The counted reference a loop's task list holds to each of its tasks.

use super::raw::{header, Header};
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
                if last {
                    // SAFETY: the transition released the last reference; nothing else can reach the task.
                    // The vtable is read before the cell goes, and the cell is not touched after.
                    unsafe { (header(ptr).vtable.dealloc)(ptr) };
                }
            }
        }
    }
}

impl Drop for TaskRef {
    fn drop(&mut self) {
        if self.header().state.ref_dec() {
            // SAFETY: that was the last reference, so nobody else can reach the task.
            unsafe { (self.header().vtable.dealloc)(self.ptr) }
        }
    }
}
