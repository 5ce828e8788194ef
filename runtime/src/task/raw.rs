//! The task cell: one allocation per task holding its header (state, owner, join waker) and its stage
//! (the future, then its output).
//!
//! ```text
//!  NonNull<Header> ──► ┌──────────────────────────────┐  #[repr(C)] Cell<F>
//!                      │ Header                       │
//!                      │   state   (atomic word)      │  any thread
//!                      │   vtable  (&'static)         │  any thread
//!                      │   shared  (Arc: owning loop) │  any thread
//!                      │   owned_key                  │  owning loop thread only
//!                      │   local (L_SCHEDULED, ...)   │  owning loop thread only
//!                      │   join_waker (UnsafeCell)    │  see JOIN_WAKER in state.rs
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
//!   `Send` data (the join waker and the `Arc` of the loop).

use super::join_error::JoinError;
use super::state::{Snapshot, State, CANCELLED, COMPLETE, JOIN_INTEREST, JOIN_WAKER, SCHEDULED};
use super::waker;
use crate::shared::Shared;
use std::cell::{Cell as StdCell, UnsafeCell};
use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

/// `owned_key` of a task no loop has adopted yet.
pub(crate) const NOT_BOUND: usize = usize::MAX;
/// `owned_key` of a task that has left its loop's task list (it completed).
pub(crate) const DETACHED: usize = usize::MAX - 1;

/// `local` flag: an entry for the task sits in its loop's local run queue.
pub(super) const L_SCHEDULED: u8 = 1 << 0;
/// `local` flag: the loop's mirror of `COMPLETE`, readable without an atomic operation.
pub(super) const L_COMPLETE: u8 = 1 << 1;

/// What became of a task the loop took off a queue.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RunResult {
    /// Polled, still pending. Nothing to do: a wake queues it again.
    Pending,
    /// Finished (returned, panicked or cancelled). The loop must take it off its task list and release
    /// that reference, unless `inherited`: then an inject entry is still out and inherits it.
    Complete { inherited: bool },
    /// It had completed while the entry was out; the entry's reference is released, and if `last` the
    /// task must be freed.
    Stale { last: bool },
}

/// Type-erased operations on a `Cell<F>`.
pub(super) struct Vtable {
    pub(super) poll: unsafe fn(NonNull<Header>) -> RunResult,
    pub(super) shutdown: unsafe fn(NonNull<Header>) -> Snapshot,
    pub(super) try_read_output: unsafe fn(NonNull<Header>, *mut (), &Waker),
    pub(super) drop_output: unsafe fn(NonNull<Header>),
    pub(super) dealloc: unsafe fn(NonNull<Header>),
}

/// The type-independent part of a task, at offset 0 of its cell.
pub(crate) struct Header {
    pub(super) state: State,
    pub(super) vtable: &'static Vtable,
    /// The loop that runs this task.
    pub(crate) shared: Arc<Shared>,
    /// Key in the owning loop's task list, or [`NOT_BOUND`]. Loop thread only.
    pub(crate) owned_key: StdCell<usize>,
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
    shared: Arc<Shared>,
    remote_entry: bool,
) -> NonNull<Header> {
    let cell = Box::new(Cell {
        header: Header {
            state: State::new(remote_entry),
            local: StdCell::new(if remote_entry { 0 } else { L_SCHEDULED }),
            vtable: &VtableFor::<F>::VTABLE,
            shared,
            owned_key: StdCell::new(NOT_BOUND),
            join_waker: UnsafeCell::new(None),
        },
        stage: UnsafeCell::new(Stage::Running(future)),
    });
    NonNull::from(Box::leak(cell)).cast::<Header>()
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
pub(super) unsafe fn header<'a>(ptr: NonNull<Header>) -> &'a Header {
    // SAFETY: the header sits at offset 0 of a live `#[repr(C)]` cell and is only read through `&`.
    unsafe { ptr.as_ref() }
}

/// Runs `f`, swallowing a panic: used where a destructor may panic but the loop must go on.
fn quietly(f: impl FnOnce()) {
    let _ = catch_unwind(AssertUnwindSafe(f));
}

/// Stores `result`, publishes completion and notifies the joiner. The future must already be dropped.
/// Returns the state after completion: if it has `SCHEDULED`, the inject entry that is out inherits the
/// caller's task-list reference; an outstanding local entry has been given a reference of its own.
///
/// # Safety
/// Loop thread, `ptr` a live `Cell<F>` whose stage is not `Running`.
unsafe fn complete<F: Future>(
    ptr: NonNull<Header>,
    result: Result<F::Output, JoinError>,
) -> Snapshot {
    // SAFETY: per the ground rules the loop owns the stage until `COMPLETE` is published below.
    unsafe { *stage::<F>(ptr) = Stage::Finished(result) };
    // SAFETY: `ptr` is live.
    let header = unsafe { header(ptr) };
    let local = header.local.get();
    header.local.set(local | L_COMPLETE);
    if local & L_SCHEDULED != 0 {
        // A local entry is out (the task woke itself on its way out): it gets a reference of its own,
        // taken before `COMPLETE` is published so no other holder can free the task meanwhile.
        header.state.ref_inc();
    }
    let snapshot: Snapshot = header.state.transition_to_complete();
    if !snapshot.has(JOIN_INTEREST) {
        // SAFETY: nobody will read the output, so the loop still owns the stage.
        quietly(|| unsafe { *stage::<F>(ptr) = Stage::Consumed });
    } else if snapshot.has(JOIN_WAKER) {
        // SAFETY: `JOIN_WAKER` is set and `COMPLETE` now blocks the join handle from touching the slot.
        let waker = unsafe { &*header.join_waker.get() };
        if let Some(waker) = waker {
            waker.wake_by_ref();
        }
    }
    snapshot
}

/// Drops the future (catching a panic in its destructor) and completes the task as cancelled.
///
/// # Safety
/// Loop thread (or, for a task no loop has adopted, the thread that holds it), `ptr` a live `Cell<F>` whose
/// stage is `Running` and which is not being polled.
unsafe fn cancel<F: Future>(ptr: NonNull<Header>) -> Snapshot {
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
        let after = unsafe { cancel::<F>(ptr) };
        return RunResult::Complete {
            inherited: after.has(SCHEDULED),
        };
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
    let after = unsafe { complete::<F>(ptr, result) };
    RunResult::Complete {
        inherited: after.has(SCHEDULED),
    }
}

unsafe fn shutdown<F: Future>(ptr: NonNull<Header>) -> Snapshot {
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
        // SAFETY: reading while `JOIN_WAKER` is set is allowed to both sides; only the loop reads it then.
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
    // SAFETY: the last reference is gone; the cell came from `Box::leak` in `allocate` with this `F`.
    drop(unsafe { Box::from_raw(ptr.cast::<Cell<F>>().as_ptr()) });
}
