//! The task cell: one allocation per task holding its header (state, owner, join waker) and its stage
//! (the future, then its output).
//!
//! ```text
//!  NonNull<Header> ──► ┌──────────────────────────────┐  #[repr(C)] Cell<F>
//!                      │ Header                       │
//!                      │   state   (atomic word)      │  any thread
//!                      │   vtable  (&'static)         │  any thread
//!                      │   shared  (owning loop)      │  any thread (anchor.rs)
//!                      │   join_waker (UnsafeCell)    │  see JOIN_WAKER in state.rs
//!                      │   owned_key (u32)            │  owning loop thread only
//!                      │   local (L_SCHEDULED, ...)   │  owning loop thread only
//!                      ├──────────────────────────────┤
//!                      │ stage (UnsafeCell)           │  Running(F) | Finished(result) | Consumed
//!                      └──────────────────────────────┘
//! ```
//!
//! # Ground rules
//! - The future is polled and dropped only on its owning loop's thread (it need not be `Send`). Every path
//!   that ends the future (completion, abort, shutdown) runs there, before the loop lets go of the task.
//! - The stage is written by the loop only before `COMPLETE` is set; after that it belongs to whoever holds
//!   join interest (the `JoinHandle`), or to the loop if there is none (see `state.rs`).
//! - Queue entries hold no reference (see state.rs): an incomplete task is kept alive by its loop's
//!   task list. Once it completes, an inject entry still out inherits the list's reference and a local
//!   entry still out gets one of its own.
//! - The cell is freed when the reference count drops to zero, on whatever thread drops the last
//!   reference. By then the future is gone and the output was taken or dropped, so freeing touches only
//!   `Send` data (the join waker), then gives up the task's claim on its loop's `Shared` (anchor.rs).

use super::anchor::SharedRef;
use super::join_error::JoinError;
use super::state::{ListRef, State, CANCELLED, COMPLETE, JOIN_INTEREST, JOIN_WAKER};
use super::waker;
use crate::shared::Shared;
use std::cell::{Cell as StdCell, UnsafeCell};
use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll, Waker};

/// `owned_key` of a task no loop has adopted yet.
pub(crate) const NOT_BOUND: u32 = u32::MAX;
/// `owned_key` of a task that has left its loop's task list (it completed).
pub(crate) const DETACHED: u32 = u32::MAX - 1;

/// `local` flag: an entry for the task sits in its loop's local run queue.
pub(super) const L_SCHEDULED: u8 = 1 << 0;
/// `local` flag: the loop's mirror of `COMPLETE`, readable without an atomic operation.
pub(super) const L_COMPLETE: u8 = 1 << 1;

/// What became of a task the loop took off a queue.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RunResult {
    /// Polled, still pending. Nothing to do: a wake queues it again.
    Pending,
    /// Finished (returned, panicked or cancelled) and detached from the task list, whose reference is
    /// settled as the [`ListRef`] says. The loop must take the task off its list without touching it.
    Complete(ListRef),
    /// It had completed while the entry was out; the entry's reference is released, and if `last` the
    /// task must be freed.
    Stale { last: bool },
}

/// Type-erased operations on a `Cell<F>`.
pub(super) struct Vtable {
    pub(super) poll: unsafe fn(NonNull<Header>) -> RunResult,
    pub(super) shutdown: unsafe fn(NonNull<Header>) -> ListRef,
    pub(super) try_read_output: unsafe fn(NonNull<Header>, *mut (), &Waker),
    pub(super) drop_output: unsafe fn(NonNull<Header>),
    pub(super) dealloc: unsafe fn(NonNull<Header>),
}

/// The type-independent part of a task, at offset 0 of its cell.
pub(crate) struct Header {
    pub(super) state: State,
    pub(super) vtable: &'static Vtable,
    /// The loop that runs this task (see [`SharedRef`]).
    shared: NonNull<Shared>,
    /// Whether `shared` is held through the loop's anchor rather than an `Arc` count of the task's own.
    anchored: bool,
    /// Key in the owning loop's task list, or [`NOT_BOUND`] or [`DETACHED`]. Loop thread only. 32 bits, so
    /// that it packs with the two flag bytes: a task cell is one size class smaller for it.
    pub(crate) owned_key: StdCell<u32>,
    /// [`L_SCHEDULED`] and [`L_COMPLETE`]. Loop thread only (or the spawning thread, for a task no loop
    /// ever adopted).
    pub(super) local: StdCell<u8>,
    /// # Invariant
    /// Written only by the join handle while `JOIN_WAKER` is clear and the task is not complete; read by the
    /// loop only while `JOIN_WAKER` is set.
    join_waker: UnsafeCell<Option<Waker>>,
}

enum Stage<F: Future> {
    Running(F),
    Finished(Result<F::Output, JoinError>),
    Consumed,
}

#[repr(C)]
struct Cell<F: Future> {
    header: Header,
    stage: UnsafeCell<Stage<F>>,
}

struct VtableFor<F>(std::marker::PhantomData<F>);

impl<F: Future + 'static> VtableFor<F> {
    const VTABLE: Vtable = Vtable {
        poll: poll::<F>,
        shutdown: shutdown::<F>,
        try_read_output: try_read_output::<F>,
        drop_output: drop_output::<F>,
        dealloc: dealloc::<F>,
    };
}

/// Allocates a task for `future`, owned by the loop behind `shared`, scheduled (the caller holds its first
/// entry: an inject entry if `remote_entry`, else a local one) with two references: the join handle's and
/// the one reserved for the loop's task list.
pub(super) fn allocate<F: Future + 'static>(
    future: F,
    shared: SharedRef,
    remote_entry: bool,
) -> NonNull<Header> {
    let cell = Box::new(Cell {
        header: Header {
            state: State::new(remote_entry),
            local: StdCell::new(if remote_entry { 0 } else { L_SCHEDULED }),
            vtable: &VtableFor::<F>::VTABLE,
            shared: shared.ptr(),
            anchored: shared.is_anchored(),
            owned_key: StdCell::new(NOT_BOUND),
            join_waker: UnsafeCell::new(None),
        },
        stage: UnsafeCell::new(Stage::Running(future)),
    });
    NonNull::from(Box::leak(cell)).cast::<Header>()
}

impl Header {
    /// The task's claim on its loop's `Shared`.
    pub(crate) fn shared(&self) -> SharedRef {
        SharedRef::from_parts(self.shared, self.anchored)
    }

    /// The task-list key of an adopted, incomplete task.
    pub(crate) fn list_key(&self) -> usize {
        self.owned_key.get() as usize
    }

    /// Drops the join waker, if the slot holds one, so that nothing it owns (the task that polled the
    /// handle, maybe this very task) is kept alive by the cell. A foreign waker's destructor may panic:
    /// the panic is swallowed, so the caller goes on with what it must still do (release a reference,
    /// free the cell, finish a completion).
    ///
    /// # Safety
    /// The caller owns the slot: the join handle once the loop will not look at it again (see
    /// `JOIN_WAKER` in state.rs), the loop when the handle left it the slot, or whoever frees the cell.
    pub(super) unsafe fn drop_join_waker(&self) {
        // SAFETY: the slot is the caller's, as above.
        let waker = unsafe { (*self.join_waker.get()).take() };
        quietly(|| drop(waker));
    }

    /// Records the task-list key at adoption.
    ///
    /// # Panics
    /// When the key does not fit the 32-bit field: some four billion live tasks on one loop.
    pub(super) fn set_list_key(&self, key: usize) {
        let key = u32::try_from(key)
            .ok()
            .filter(|k| *k < DETACHED)
            .expect("a mudu loop holds at most 2^32 - 2 live tasks");
        self.owned_key.set(key);
    }
}

/// # Safety
/// `ptr` must point to a live `Cell<F>` with this `F`.
unsafe fn stage<'a, F: Future>(ptr: NonNull<Header>) -> &'a mut Stage<F> {
    let cell = ptr.cast::<Cell<F>>().as_ptr();
    // SAFETY: the caller guarantees the cell is live and of type `Cell<F>`; the ground rules give the caller
    // exclusive access to the stage for the duration of its use.
    unsafe { &mut *(*cell).stage.get() }
}

/// # Safety
/// `ptr` must point to a live task cell.
#[inline]
pub(super) unsafe fn header<'a>(ptr: NonNull<Header>) -> &'a Header {
    // SAFETY: the header sits at offset 0 of a live `#[repr(C)]` cell and is only read through `&`.
    unsafe { ptr.as_ref() }
}

/// Frees the task at `ptr` when `last` says the reference just released was the last.
///
/// # Safety
/// `last` must come from releasing a reference to the task at `ptr`.
#[inline]
pub(super) unsafe fn dealloc_if(ptr: NonNull<Header>, last: bool) {
    if last {
        // SAFETY: the caller released the last reference; nothing else can reach the task. The vtable is
        // read before the cell goes, and the cell is not touched after.
        unsafe { (header(ptr).vtable.dealloc)(ptr) };
    }
}

/// Runs `f`, swallowing a panic: used where a destructor may panic but the loop must go on.
fn quietly(f: impl FnOnce()) {
    let _ = catch_unwind(AssertUnwindSafe(f));
}

/// Stores `result` (or drops it, when no join handle will read it), detaches the task from its list,
/// publishes completion and notifies the joiner. The future must already be dropped. Returns what became
/// of the task list's reference; unless it is [`ListRef::Kept`] the caller must not touch the task again.
///
/// # Safety
/// Loop thread, `ptr` a live `Cell<F>` whose stage is not `Running`, kept alive by the task-list reference.
unsafe fn complete<F: Future>(
    ptr: NonNull<Header>,
    result: Result<F::Output, JoinError>,
) -> ListRef {
    // SAFETY: `ptr` is live.
    let header = unsafe { header(ptr) };
    // Join interest, once gone, never comes back: if it is gone now the output is dropped at once, which
    // lets the completing transition release the list reference too.
    let output_stored = header.state.load().has(JOIN_INTEREST);
    if output_stored {
        // SAFETY: per the ground rules the loop owns the stage until `COMPLETE` is published below.
        unsafe { *stage::<F>(ptr) = Stage::Finished(result) };
    } else {
        quietly(|| drop(result));
    }
    header.owned_key.set(DETACHED);
    let local = header.local.get();
    header.local.set(local | L_COMPLETE);
    // A local entry still out (the task woke itself on its way out) gets a reference of its own, added by
    // the same transition that publishes `COMPLETE`, so no other holder can free the task meanwhile.
    let (snapshot, list) = header
        .state
        .transition_to_complete(local & L_SCHEDULED != 0, output_stored);
    if list != ListRef::Kept {
        return list;
    }
    if !snapshot.has(JOIN_INTEREST) {
        // SAFETY: nobody will read the output, so the loop still owns the stage.
        quietly(|| unsafe { *stage::<F>(ptr) = Stage::Consumed });
    } else if snapshot.has(JOIN_WAKER) {
        // SAFETY: `JOIN_WAKER` is set and `COMPLETE` now blocks the join handle from writing the slot; a
        // poll of the handle may still be reading it (`will_wake`), so the loop only reads it too.
        let waker = unsafe { &*header.join_waker.get() };
        if let Some(waker) = waker {
            // A panic in a foreign waker must not unwind out of a completion half done.
            quietly(|| waker.wake_by_ref());
        }
        if !header
            .state
            .unset_join_waker_after_complete()
            .has(JOIN_INTEREST)
        {
            // The handle was dropped meanwhile and left the slot to the loop: nobody else can reach it.
            // The task list's reference is still counted (`Kept`), so a waker of this very task cannot
            // free it here.
            // SAFETY: as just said.
            unsafe { header.drop_join_waker() };
        }
    }
    list
}

/// Drops the future (catching a panic in its destructor) and completes the task as cancelled.
///
/// # Safety
/// Loop thread (or, for a task no loop has adopted, the thread that holds it), `ptr` a live `Cell<F>` whose
/// stage is `Running` and which is not being polled.
unsafe fn cancel<F: Future>(ptr: NonNull<Header>) -> ListRef {
    // SAFETY: the caller has exclusive access to the running stage.
    let stage = unsafe { stage::<F>(ptr) };
    let dropped = catch_unwind(AssertUnwindSafe(|| *stage = Stage::Consumed));
    let err = match dropped {
        Ok(()) => JoinError::cancelled(),
        Err(payload) => JoinError::panic(payload),
    };
    // SAFETY: the future is gone; same thread and cell as above.
    unsafe { complete::<F>(ptr, Err(err)) }
}

unsafe fn poll<F: Future>(ptr: NonNull<Header>) -> RunResult {
    // SAFETY: the loop calls this with a task whose local entry it holds, which keeps it alive.
    let header = unsafe { header(ptr) };
    let local = header.local.get();
    debug_assert!(
        local & L_SCHEDULED != 0,
        "a local entry exists only while L_SCHEDULED is set"
    );
    header.local.set(local & !L_SCHEDULED);
    if local & L_COMPLETE != 0 {
        // The task completed while this entry was out; the entry's own reference goes now.
        return RunResult::Stale {
            last: header.state.ref_dec(),
        };
    }
    if header.state.load().has(CANCELLED) {
        // SAFETY: loop thread, the task is not complete, so its stage is still `Running`.
        return RunResult::Complete(unsafe { cancel::<F>(ptr) });
    }
    // The poll owns no reference: this waker must never be dropped (clones take their own).
    // SAFETY: the task list's reference keeps the task alive for the whole poll.
    let waker = ManuallyDrop::new(unsafe { waker::borrowed(ptr) });
    let mut cx = Context::from_waker(&waker);
    // SAFETY: only the loop thread touches the running stage, and it is not re-entered.
    let stage = unsafe { stage::<F>(ptr) };
    let polled = catch_unwind(AssertUnwindSafe(|| match stage {
        // SAFETY: the future lives inside the heap cell and is never moved until it is dropped in place.
        Stage::Running(future) => unsafe { Pin::new_unchecked(future) }.poll(&mut cx),
        _ => unreachable!("a task is polled only while its future is alive"),
    }));
    let result = match polled {
        Ok(Poll::Pending) => return RunResult::Pending,
        Ok(Poll::Ready(output)) => Ok(output),
        Err(payload) => Err(JoinError::panic(payload)),
    };
    quietly(|| *stage = Stage::Consumed);
    // SAFETY: loop thread, the future was just dropped.
    RunResult::Complete(unsafe { complete::<F>(ptr, result) })
}

unsafe fn shutdown<F: Future>(ptr: NonNull<Header>) -> ListRef {
    // SAFETY: the caller (loop shutdown, or a spawn into a closed loop) owns the task's stage, which is
    // still `Running` because the task is not complete.
    unsafe { cancel::<F>(ptr) }
}

/// Decides whether the join handle may take the output now; registers `waker` otherwise.
///
/// # Safety
/// Called by the join handle only, with `ptr` live.
unsafe fn can_read_output(ptr: NonNull<Header>, waker: &Waker) -> bool {
    // SAFETY: live per the caller.
    let header = unsafe { header(ptr) };
    let snapshot = header.state.load();
    if snapshot.has(COMPLETE) {
        return true;
    }
    if snapshot.has(JOIN_WAKER) {
        // SAFETY: reading while `JOIN_WAKER` is set is allowed to both sides; neither writes it then.
        let same = unsafe { &*header.join_waker.get() }
            .as_ref()
            .is_some_and(|w| w.will_wake(waker));
        if same {
            return false;
        }
        if header.state.unset_join_waker().is_err() {
            return true;
        }
    }
    // SAFETY: `JOIN_WAKER` is clear and the task is not complete, so the slot is the join handle's.
    unsafe { *header.join_waker.get() = Some(waker.clone()) };
    if header.state.set_join_waker().is_err() {
        // Completed in between: the loop did not look at the slot. Clear it and read the output.
        // SAFETY: the slot is still the join handle's (`JOIN_WAKER` was never set).
        unsafe { *header.join_waker.get() = None };
        return true;
    }
    false
}

unsafe fn try_read_output<F: Future>(ptr: NonNull<Header>, dst: *mut (), waker: &Waker) {
    // SAFETY: the join handle calls this with its live task.
    if !unsafe { can_read_output(ptr, waker) } {
        return;
    }
    // SAFETY: `COMPLETE` is set and the join handle holds join interest, so the stage is the handle's.
    let stage = std::mem::replace(unsafe { stage::<F>(ptr) }, Stage::Consumed);
    let Stage::Finished(result) = stage else {
        panic!("`JoinHandle` polled after it returned its output");
    };
    let dst = dst.cast::<Poll<Result<F::Output, JoinError>>>();
    // SAFETY: the join handle passes a valid `&mut Poll<Result<F::Output, JoinError>>` for this `F`.
    unsafe { *dst = Poll::Ready(result) };
}

unsafe fn drop_output<F: Future>(ptr: NonNull<Header>) {
    // SAFETY: called by the join handle after `unset_join_interest` failed, i.e. on a complete task whose
    // stage the handle owns.
    quietly(|| unsafe { *stage::<F>(ptr) = Stage::Consumed });
}

unsafe fn dealloc<F: Future>(ptr: NonNull<Header>) {
    // SAFETY: the last reference is gone, so the header is still live but about to go.
    let header = unsafe { header(ptr) };
    let shared = header.shared();
    // The join waker is the one part of the cell whose destructor may run foreign code (the future is gone
    // and the output was taken or dropped): drop it apart, so that a panic there neither unwinds out of the
    // loop (a shutdown cut short would leave other tasks' futures to be dropped on other threads) nor skips
    // the release below.
    // SAFETY: no reference is left, so nothing else can reach the slot.
    unsafe { header.drop_join_waker() };
    // SAFETY: the last reference is gone; the cell came from `Box::leak` in `allocate` with this `F`.
    drop(unsafe { Box::from_raw(ptr.cast::<Cell<F>>().as_ptr()) });
    // SAFETY: the task was just freed; its claim is given up once, here.
    unsafe { shared.release() };
}
#[cfg(test)]
mod tests {
    use std::future::Future;

    fn cell_size<F: Future>(_: &F) -> usize {
        std::mem::size_of::<super::Cell<F>>()
    }

    /// Every spawn allocates a cell, and with a million live tasks the page faults of fresh memory are a
    /// large part of their cost: the header must stay at 48 bytes, so that a small task's cell (a
    /// `usize` future and output) fits glibc's 80-byte chunk.
    #[test]
    fn small_task_cells_stay_small() {
        assert_eq!(std::mem::size_of::<super::Header>(), 48);
        let n = 5usize;
        assert!(cell_size(&async move { n }) <= 72);
    }
}
