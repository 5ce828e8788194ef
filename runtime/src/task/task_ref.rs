//! References to a task: counted ones ([`TaskRef`]) and queue entries ([`Notified`]), and the scheduling
//! of a woken task onto its loop.

use super::raw::{header, Header, RunResult, DETACHED, NOT_BOUND};
use super::state::SCHEDULED;
use std::ptr::NonNull;
use std::sync::Arc;

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

    /// Releases the task-list reference after completion, or hands it to the outstanding queue entry
    /// (`scheduled`), which releases it when taken.
    pub(crate) fn release(self, scheduled: bool) {
        if scheduled {
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

/// A queue entry: a task whose `SCHEDULED` bit is set. It holds no reference (state.rs says what keeps the
/// task alive); it must end in [`run`](Self::run), [`release`](Self::release) or, for a new task,
/// [`abandon`](Self::abandon).
pub(crate) struct Notified {
    ptr: NonNull<Header>,
}

// SAFETY: an entry moves between threads only through the inject queue. Off the owning loop's thread it
// touches nothing but the atomic state word and the `Send + Sync` owner `Arc`; the future is polled and
// dropped only on the owning loop (see raw.rs), except a new `Send` task's, cancelled by its spawner.
unsafe impl Send for Notified {}

impl Notified {
    /// # Safety
    /// The caller must have set `SCHEDULED` on the live task at `ptr` (gaining the right to one entry).
    pub(super) unsafe fn from_raw(ptr: NonNull<Header>) -> Notified {
        Notified { ptr }
    }

    pub(crate) fn header(&self) -> &Header {
        // SAFETY: while `SCHEDULED` is set the task is kept alive by its list reference or by the one the
        // entry inherited (state.rs).
        unsafe { header(self.ptr) }
    }

    /// Loop thread: records `key` as the task's place in its loop's task list and hands out the reference
    /// reserved for that list at allocation. Called once per task.
    pub(crate) fn adopt(&self, key: usize) -> TaskRef {
        debug_assert_eq!(self.header().owned_key.get(), NOT_BOUND);
        self.header().owned_key.set(key);
        // SAFETY: every task is allocated with one reference reserved for its task list, handed out once,
        // here or in `abandon`.
        unsafe { TaskRef::from_raw(self.ptr) }
    }

    /// True for a new task that no loop has adopted yet.
    pub(crate) fn is_new(&self) -> bool {
        self.header().owned_key.get() == NOT_BOUND
    }

    /// Cancels a new task that no loop will adopt (its loop has shut down), on the spawning thread
    /// (`Send` futures only) or the loop's, and disposes of its entry.
    pub(crate) fn abandon(self) {
        debug_assert!(self.is_new());
        self.header().owned_key.set(DETACHED);
        // SAFETY: a new task is not complete and not running; the caller's thread may drop its future.
        // Completion sees `SCHEDULED` (this entry), so the reserved reference passes to the entry.
        unsafe { (self.header().vtable.shutdown)(self.ptr) };
        self.release();
    }

    /// Owning loop's thread only: takes the entry and polls the task once.
    pub(crate) fn run(self) -> RunResult {
        // SAFETY: the entry keeps the task alive; the loop runs its own tasks on its own thread.
        let result = unsafe { (self.header().vtable.poll)(self.ptr) };
        if let RunResult::Stale { last: true } = result {
            // SAFETY: the entry's inherited reference was the last one.
            unsafe { (self.header().vtable.dealloc)(self.ptr) };
        }
        result
    }

    /// Disposes of an entry without running it (loop shutdown, or a push the closed inject queue refused):
    /// clears `SCHEDULED`, and on a complete task releases the reference the entry inherited.
    pub(crate) fn release(self) {
        let ptr = self.ptr;
        // SAFETY: the entry keeps the task alive until the transition below.
        let header = unsafe { header(ptr) };
        if let super::state::Taken::Stale { last: true } = header.state.take_scheduled() {
            // SAFETY: the inherited reference was the last one.
            unsafe { (header.vtable.dealloc)(ptr) };
        }
    }
}

/// Queues a task entry on its loop: the local run queue when called on that loop's thread (no lock, no
/// syscall), the inject queue and a wake-up of the loop's poll otherwise.
pub(crate) fn schedule(task: Notified) {
    if let Some(task) = crate::context::schedule_local(task) {
        let shared = Arc::clone(&task.header().shared);
        shared.schedule_remote(task);
    }
}
