//! The counted reference a loop's task list holds to each of its tasks.

use super::raw::{header, Header, DETACHED};
use super::state::SCHEDULED;
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
    /// cancelled, and releases the list reference unless a queue entry inherits it.
    pub(crate) fn cancel(self) {
        self.header().owned_key.set(DETACHED);
        // SAFETY: the task is alive (this reference), not complete (it is still on the task list) and not
        // being polled; the loop's thread may drop its future.
        let after = unsafe { (self.header().vtable.shutdown)(self.ptr) };
        self.release(after.has(SCHEDULED));
    }

    /// Releases the task-list reference after completion, or hands it to the outstanding inject entry
    /// (`inherited`), which releases it when taken.
    pub(crate) fn release(self, inherited: bool) {
        if inherited {
            std::mem::forget(self);
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
