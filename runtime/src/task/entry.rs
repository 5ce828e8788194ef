//! Queue entries: [`Notified`] in a loop's inject queue, [`Local`] in its local run queue.
//!
//! Entries hold no reference of their own (state.rs and raw.rs say what keeps the task alive). Each must
//! end in one of its consuming methods: running it, adopting it (a new task's first entry) or releasing
//! it (at shutdown, or when a closed inject queue refuses it).

use super::raw::{dealloc_if, header, Header, RunResult, L_COMPLETE, L_SCHEDULED, NOT_BOUND};
use super::state::Taken;
use super::task_ref::TaskRef;
use std::ptr::NonNull;

/// Hands out the reference reserved at allocation for the task list, recording `key`. Once per task.
fn adopt(ptr: NonNull<Header>, key: usize) -> TaskRef {
    // SAFETY: the caller's entry keeps the new task alive.
    let header = unsafe { header(ptr) };
    debug_assert_eq!(header.owned_key.get(), NOT_BOUND);
    header.set_list_key(key);
    // SAFETY: every task is allocated with one reference reserved for its task list, handed out once,
    // here or in `abandon`.
    unsafe { TaskRef::from_raw(ptr) }
}

/// Cancels a new task no loop will adopt, on a thread allowed to drop its future, and disposes of the
/// reserved reference: kept for the entry when `COMPLETE` found an inject entry out, dropped otherwise.
fn abandon(ptr: NonNull<Header>) {
    // SAFETY: the caller's entry keeps the new task alive.
    let header = unsafe { header(ptr) };
    debug_assert_eq!(header.owned_key.get(), NOT_BOUND);
    // SAFETY: a new task is not complete and not running; the caller's thread may drop its future.
    let list = unsafe { (header.vtable.shutdown)(ptr) };
    // SAFETY: the reserved reference, handed out here instead of in `adopt`.
    unsafe { TaskRef::from_raw(ptr) }.settle(list);
}

/// An entry in a loop's inject queue: the task's `SCHEDULED` bit is set.
pub(crate) struct Notified {
    ptr: NonNull<Header>,
}

// SAFETY: an inject entry moves between threads. Off the owning loop's thread it touches nothing but the
// atomic state word and the loop's `Send + Sync` `Shared` (anchor.rs); the future is polled and dropped
// only on the owning loop (see raw.rs), except a new `Send` task's, cancelled by its spawner.
unsafe impl Send for Notified {}

impl Notified {
    /// # Safety
    /// The caller must have set `SCHEDULED` on the live task at `ptr` (gaining the right to one entry).
    pub(super) unsafe fn from_raw(ptr: NonNull<Header>) -> Notified {
        Notified { ptr }
    }

    pub(crate) fn header(&self) -> &Header {
        // SAFETY: while `SCHEDULED` is set the task is kept alive (state.rs).
        unsafe { header(self.ptr) }
    }

    /// True for a new task that no loop has adopted yet.
    pub(crate) fn is_new(&self) -> bool {
        self.header().owned_key.get() == NOT_BOUND
    }

    /// Loop thread: the reserved task-list reference of a new task, recording its `key`.
    pub(crate) fn adopt(&self, key: usize) -> TaskRef {
        adopt(self.ptr, key)
    }

    /// Cancels a new task whose loop has shut down and disposes of the entry.
    pub(crate) fn abandon(self) {
        abandon(self.ptr);
        self.release();
    }

    /// Loop thread: takes the entry off the inject queue and turns it into a local entry, unless the
    /// task already has one, or completed meanwhile (the entry's inherited reference is then released).
    pub(crate) fn into_local(self) -> Option<Local> {
        let ptr = self.ptr;
        // SAFETY: the entry keeps the task alive until the transition below.
        let header = unsafe { header(ptr) };
        match header.state.take_scheduled() {
            // SAFETY: `last` comes from releasing the inherited reference.
            Taken::Stale { last } => unsafe { dealloc_if(ptr, last) },
            Taken::Run => {
                let local = header.local.get();
                if local & L_SCHEDULED == 0 {
                    header.local.set(local | L_SCHEDULED);
                    // SAFETY: `L_SCHEDULED` was just set for this entry.
                    return Some(unsafe { Local::from_raw(ptr) });
                }
            }
        }
        None
    }

    /// Disposes of an entry without running it (loop shutdown, or a push the closed inject queue refused):
    /// clears `SCHEDULED`, and on a complete task releases the reference the entry inherited.
    pub(crate) fn release(self) {
        let ptr = self.ptr;
        // SAFETY: the entry keeps the task alive until the transition below.
        let header = unsafe { header(ptr) };
        if let Taken::Stale { last } = header.state.take_scheduled() {
            // SAFETY: `last` comes from releasing the inherited reference.
            unsafe { dealloc_if(ptr, last) };
        }
    }
}

/// An entry in a loop's local run queue: the task's `L_SCHEDULED` flag is set. Never leaves the loop's
/// thread (it is not `Send`).
pub(crate) struct Local {
    ptr: NonNull<Header>,
}

impl Local {
    /// # Safety
    /// The caller, on the task's loop thread, must have set `L_SCHEDULED` on the live task at `ptr`.
    pub(super) unsafe fn from_raw(ptr: NonNull<Header>) -> Local {
        Local { ptr }
    }

    pub(crate) fn header(&self) -> &Header {
        // SAFETY: while `L_SCHEDULED` is set the task is kept alive (raw.rs).
        unsafe { header(self.ptr) }
    }

    /// The reserved task-list reference of a new task, recording its `key`.
    pub(crate) fn adopt(&self, key: usize) -> TaskRef {
        adopt(self.ptr, key)
    }

    /// Cancels a new task spawned on a loop that is shutting down, and disposes of the entry.
    pub(crate) fn abandon(self) {
        abandon(self.ptr);
        self.release();
    }

    /// Takes the entry and polls the task once.
    pub(crate) fn run(self) -> RunResult {
        // SAFETY: the entry keeps the task alive; the loop runs its own tasks on its own thread.
        let result = unsafe { (self.header().vtable.poll)(self.ptr) };
        if let RunResult::Stale { last } = result {
            // SAFETY: `last` comes from releasing the entry's own reference.
            unsafe { dealloc_if(self.ptr, last) };
        }
        result
    }

    /// Disposes of the entry without running it (loop shutdown): clears `L_SCHEDULED`, and on a complete
    /// task releases the entry's reference.
    pub(crate) fn release(self) {
        let header = self.header();
        let local = header.local.get();
        header.local.set(local & !L_SCHEDULED);
        if local & L_COMPLETE != 0 {
            let last = header.state.ref_dec();
            // SAFETY: `last` comes from releasing the entry's own reference.
            unsafe { dealloc_if(self.ptr, last) };
        }
    }
}
