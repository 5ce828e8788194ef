//! An owned reference to a task, and the scheduling of a woken task onto its loop.

use super::raw::{header, Header, RunResult, NOT_BOUND};
use std::ptr::NonNull;
use std::sync::Arc;

/// One counted reference to a task: a run-queue entry, an entry in a loop's task list, or a waker's.
/// Dropping it releases the reference and frees the task if it was the last.
pub(crate) struct TaskRef {
    ptr: NonNull<Header>,
}

// SAFETY: a `TaskRef` moves between threads only as a queue entry (a wake from another thread goes through
// the inject queue). Off the owning loop's thread it touches nothing but the atomic state word and the
// `Send + Sync` owner `Arc`; the future is polled and dropped on the owning loop only (see raw.rs), and the
// last reference can only be released off-loop once the future is gone.
unsafe impl Send for TaskRef {}

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

    /// Loop thread: records `key` as the task's place in its loop's task list and hands out the reference
    /// reserved for that list at allocation. Called once per task.
    pub(crate) fn adopt(&self, key: usize) -> TaskRef {
        debug_assert_eq!(self.header().owned_key.get(), NOT_BOUND);
        self.header().owned_key.set(key);
        // SAFETY: every task is allocated with one reference reserved for its task list, and a task is
        // adopted or abandoned exactly once.
        unsafe { TaskRef::from_raw(self.ptr) }
    }

    /// Cancels a task that no loop will adopt (its loop has shut down) and releases the reference
    /// reserved for the task list. On the spawning thread (`Send` futures only) or the loop's.
    pub(crate) fn abandon(self) {
        self.shutdown();
        // SAFETY: as in `adopt`: the reserved reference is handed out once, here instead of there.
        drop(unsafe { TaskRef::from_raw(self.ptr) });
    }

    /// Releases this reference and `other`, which must name the same task, with one atomic operation.
    pub(crate) fn release_with(self, other: TaskRef) {
        debug_assert_eq!(self.ptr, other.ptr);
        let ptr = self.ptr;
        std::mem::forget(other);
        std::mem::forget(self);
        // SAFETY: the two forgotten references kept the task alive until this point.
        let header = unsafe { header(ptr) };
        if header.state.ref_dec_n(2) {
            // SAFETY: those were the last references.
            unsafe { (header.vtable.dealloc)(ptr) }
        }
    }

    /// Owning loop's thread only: polls the task once, consuming this (queue entry's) reference.
    pub(crate) fn run(self) -> RunOutcome {
        // SAFETY: this reference keeps the task alive; the loop runs its own tasks on its own thread.
        match unsafe { (self.header().vtable.poll)(self.ptr) } {
            RunResult::Idle => {
                // The state transition released this reference already.
                std::mem::forget(self);
                RunOutcome::Released
            }
            RunResult::Skipped => RunOutcome::Released,
            RunResult::Reschedule => RunOutcome::Reschedule(self),
            RunResult::Complete => RunOutcome::Complete(self),
        }
    }

    /// Drops the future of a task that is not complete and not running, completing it as cancelled.
    /// Owning loop's thread, or the spawning thread for a `Send` task no loop has adopted.
    pub(crate) fn shutdown(&self) {
        let snapshot = self.header().state.load();
        if snapshot.has(super::state::COMPLETE) {
            return;
        }
        // SAFETY: the task is alive, not complete, and (per the caller) not being polled, on a thread
        // allowed to drop its future.
        unsafe { (self.header().vtable.shutdown)(self.ptr) }
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

/// What became of a run-queue entry after one run.
pub(crate) enum RunOutcome {
    /// Its reference is gone; nothing more to do.
    Released,
    /// Woken while it ran: queue the entry again.
    Reschedule(TaskRef),
    /// Finished: take the task off its loop's task list.
    Complete(TaskRef),
}

/// Queues a woken task on its loop: the local run queue when called on that loop's thread (no lock, no
/// syscall), the inject queue and a wake-up of the loop's poll otherwise.
pub(crate) fn schedule(task: TaskRef) {
    if let Some(task) = crate::context::schedule_local(task) {
        let shared = Arc::clone(&task.header().shared);
        shared.schedule_remote(task);
    }
}
