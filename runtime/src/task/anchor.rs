//! How a loop's tasks keep its [`Shared`] alive without an atomic reference count each.
//!
//! Every task points at its loop's `Shared`: a wake from another thread pushes onto its inject queue, so
//! the `Shared` must outlive every task, including tasks that outlive the loop (a join handle or a waker
//! kept on another thread). Counting one `Arc` reference per task would cost two atomic operations per
//! spawn, each of which also waits for the store buffer to drain. Instead:
//!
//! - A task spawned on its loop's thread is *anchored*: the loop holds one strong count of its `Shared`
//!   on behalf of all such tasks (the anchor), and counts them in a plain [`Tally`] as it creates them
//!   and as it frees them on its own thread.
//! - An anchored task freed anywhere else (on another thread, or after its loop is gone) decrements
//!   [`Anchor::balance`], an atomic that starts at [`OPEN`], a bias no real count comes near.
//! - When the loop goes away it adds its tally and removes the bias in one step: the balance is then
//!   exactly the number of anchored tasks still allocated. Whoever brings it to zero (the loop itself, or
//!   the last task freed after it) releases the anchor.
//!
//! While the loop is alive the balance stays near `OPEN` and cannot reach zero; after it is gone, each
//! free takes one off an exact count. So the anchor is released exactly once, after the last anchored
//! task is freed, and a live task's `Shared` always has a strong count to spare.
//!
//! A task spawned from another thread (`Handle::spawn`) holds an `Arc` count of its own, as the spawning
//! thread cannot touch the loop's tally; cross-thread spawns pay atomic operations anyway.

use crate::shared::Shared;
use crate::sync::{AtomicUsize, Ordering};
use std::cell::Cell;
use std::ptr::NonNull;
use std::sync::Arc;

/// The balance while the loop is alive: far above any count of live tasks, so it never reaches zero then
/// (that would take 2^62 tasks freed away from their loop while it runs).
const OPEN: usize = 1 << (usize::BITS - 2);

/// The cross-thread half of the count: anchored tasks freed away from their loop, biased by [`OPEN`] until
/// the loop closes it. Lives in [`Shared`].
#[derive(Debug)]
pub(crate) struct Anchor {
    balance: AtomicUsize,
}

impl Anchor {
    pub(crate) fn new() -> Anchor {
        Anchor {
            balance: AtomicUsize::new(OPEN),
        }
    }

    /// Any thread: one anchored task was freed away from its loop. `true` when it was the last one and the
    /// loop is gone: the caller must release the anchor.
    pub(crate) fn release_remote(&self) -> bool {
        self.balance.fetch_sub(1, Ordering::AcqRel) == 1
    }

    /// Loop thread, as the loop goes away: folds in the loop's `tally` and removes the bias. `true` when no
    /// anchored task is left: the caller must release the anchor.
    pub(crate) fn close(&self, tally: usize) -> bool {
        let delta = tally.wrapping_sub(OPEN);
        self.balance
            .fetch_add(delta, Ordering::AcqRel)
            .wrapping_add(delta)
            == 0
    }
}

/// The loop-thread half of the count: anchored tasks created minus anchored tasks freed on the loop's
/// thread while it ran. Wrapping, as a task created here may be freed elsewhere and the reverse. Lives in
/// the loop's `Core`.
#[derive(Debug, Default)]
pub(crate) struct Tally(Cell<usize>);

impl Tally {
    pub(crate) fn created(&self) {
        self.0.set(self.0.get().wrapping_add(1));
    }

    fn freed(&self) {
        self.0.set(self.0.get().wrapping_sub(1));
    }

    pub(crate) fn get(&self) -> usize {
        self.0.get()
    }
}

/// Takes the anchor: one strong count of `shared`, held for the loop's anchored tasks until
/// [`close`] or the release of the last anchored task ([`SharedRef::release`]) gives it back.
pub(crate) fn hold(shared: &Arc<Shared>) {
    std::mem::forget(Arc::clone(shared));
}

/// Loop thread, as its `Core` drops: closes the anchor with the loop's tally, releasing it if no anchored
/// task is left.
pub(crate) fn close(shared: &Arc<Shared>, tally: &Tally) {
    if shared.anchor.close(tally.get()) {
        // SAFETY: `hold` took one strong count for the anchor, and only the party that brings the balance
        // to zero (this one) gives it back. `shared` holds another count, so this is not the last.
        unsafe { Arc::decrement_strong_count(Arc::as_ptr(shared)) };
    }
}

/// A task's claim on its loop's `Shared`: anchored, or an `Arc` count of its own.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SharedRef {
    ptr: NonNull<Shared>,
    anchored: bool,
}

impl SharedRef {
    /// Loop thread: a claim for a task spawned on this loop, counted in its `tally`.
    pub(crate) fn anchored(shared: &Arc<Shared>, tally: &Tally) -> SharedRef {
        tally.created();
        SharedRef {
            // From `Arc::as_ptr`, not a reference: the pointer must carry the provenance of the whole `Arc`
            // allocation, counts included, for `to_arc` and the anchor's release.
            ptr: NonNull::new(Arc::as_ptr(shared).cast_mut()).expect("an `Arc` is never null"),
            anchored: true,
        }
    }

    /// Any thread: a claim holding an `Arc` count of its own.
    pub(crate) fn counted(shared: Arc<Shared>) -> SharedRef {
        SharedRef {
            // SAFETY: `Arc::into_raw` never returns null.
            ptr: unsafe { NonNull::new_unchecked(Arc::into_raw(shared).cast_mut()) },
            anchored: false,
        }
    }

    /// Reassembles a claim split into a task header's fields.
    pub(crate) fn from_parts(ptr: NonNull<Shared>, anchored: bool) -> SharedRef {
        SharedRef { ptr, anchored }
    }

    pub(crate) fn ptr(self) -> NonNull<Shared> {
        self.ptr
    }

    pub(crate) fn is_anchored(self) -> bool {
        self.anchored
    }

    pub(crate) fn as_ptr(self) -> *const Shared {
        self.ptr.as_ptr()
    }

    /// A new `Arc` of the task's `Shared`.
    ///
    /// # Safety
    /// The task holding this claim must be alive (not yet freed).
    pub(crate) unsafe fn to_arc(self) -> Arc<Shared> {
        // SAFETY: a live task's claim keeps a strong count of its `Shared` (its own, or the anchor, which is
        // released only after the last anchored task is freed), so the count is at least one; the new
        // count belongs to the returned `Arc`.
        unsafe {
            Arc::increment_strong_count(self.ptr.as_ptr());
            Arc::from_raw(self.ptr.as_ptr())
        }
    }

    /// Gives up the claim of a task that was just freed.
    ///
    /// # Safety
    /// Once per task, after its cell is freed.
    pub(crate) unsafe fn release(self) {
        if !self.anchored {
            // SAFETY: the claim owns one strong count (taken in `counted`), released once here.
            unsafe { Arc::decrement_strong_count(self.ptr.as_ptr()) };
            return;
        }
        if crate::context::with_owner(self.as_ptr(), |core| core.tally.freed()).is_some() {
            return;
        }
        // SAFETY: this anchored task was alive until just now, so the anchor (and `Shared`) still is.
        let shared = unsafe { self.ptr.as_ref() };
        if shared.anchor.release_remote() {
            // SAFETY: the balance reached zero here: the loop is gone and this was the last anchored task,
            // so the anchor's strong count is ours to give back, once.
            unsafe { Arc::decrement_strong_count(self.ptr.as_ptr()) };
        }
    }
}
