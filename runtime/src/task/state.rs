//! The task state word: lifecycle flags and the reference count packed in one atomic.
//!
//! ```text
//!  63 ....................... 5   4            3              2           1          0
//! +----------------------------+------------+---------------+-----------+----------+-----------+
//! |      reference count       | JOIN_WAKER | JOIN_INTEREST | CANCELLED | COMPLETE | SCHEDULED |
//! +----------------------------+------------+---------------+-----------+----------+-----------+
//! ```
//!
//! - `SCHEDULED`: an entry for the task sits in its loop's *inject* queue (put there by another thread).
//!   Entries hold no reference of their own: while the task is not complete, the reference of its loop's
//!   task list keeps it alive (or, before the loop adopts it, the reference reserved for that list). If
//!   the task completes while an inject entry is out, the entry gets a reference (the list's, or a new
//!   one when the loop must still touch the task, see `transition_to_complete`), and whoever clears
//!   `SCHEDULED` of the complete task (the loop draining the queue, or a thread whose push was refused)
//!   releases it. The completing transition also releases the list's reference when it can, so a task
//!   that nobody waits on costs one atomic operation to finish. The loop's *local* run queue is tracked apart, by flags only the loop's
//!   thread touches (raw.rs), so a wake and a run on the loop's own thread cost no atomic operation.
//! - `COMPLETE`: the future is gone and the stage holds the result (or nothing, once taken). Never cleared.
//! - `CANCELLED`: `abort()` was called. The loop drops the future the next time it takes the entry.
//! - `JOIN_INTEREST`: a `JoinHandle` exists. Whoever clears it or sets `COMPLETE` second drops the output.
//! - `JOIN_WAKER`: the join waker slot is filled and the runtime may read it: on completion it wakes the
//!   waker in place, then clears the bit, after which the slot is the handle's again (or, if the handle
//!   is gone by then, the runtime drops the waker). The `JoinHandle` writes the slot only while this bit is
//!   clear and the task is not complete; a handle dropped before completion empties it, and one dropped
//!   after completion empties it once the bit is clear. No waker outlives its use, so a task that awaited
//!   its own handle cannot keep itself alive.
//!
//! A wake from another thread costs one atomic operation (setting `SCHEDULED`) and draining its entry one
//! (clearing it). Every transition is one compare-and-swap loop, so any thread may race any other on
//! this word.

use crate::sync::{AtomicUsize, Ordering};

pub(super) const SCHEDULED: usize = 1 << 0;
pub(super) const COMPLETE: usize = 1 << 1;
pub(super) const CANCELLED: usize = 1 << 2;
pub(super) const JOIN_INTEREST: usize = 1 << 3;
pub(super) const JOIN_WAKER: usize = 1 << 4;
const REF_SHIFT: usize = 5;
const REF_ONE: usize = 1 << REF_SHIFT;

/// A copy of the state word at one moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Snapshot(pub(super) usize);

impl Snapshot {
    #[inline]
    pub(super) fn has(self, flag: usize) -> bool {
        self.0 & flag != 0
    }

    #[inline]
    pub(super) fn refs(self) -> usize {
        self.0 >> REF_SHIFT
    }
}

/// What the loop found when it took a queue entry.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Taken {
    /// The task is not complete: the loop may run it.
    Run,
    /// The task completed while the entry was out; the entry's reference was released, and `last` says
    /// whether it was the last one (the caller then frees the task).
    Stale { last: bool },
}

/// What became of the task list's reference when a task completed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ListRef {
    /// Released by the completing transition. After it nothing may touch the task through that reference;
    /// if `last`, nothing else references it and the caller must free it.
    Released { last: bool },
    /// Passed to the inject entry that is out, which releases it when taken.
    Inherited,
    /// Still held: the caller releases it (the loop had to touch the task after completing it).
    Kept,
}

/// What a wake through an owning waker (`Waker::wake`) must do next. The waker's reference is released
/// by the transition in every case.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum WakeByVal {
    /// Queue an entry for the task.
    Submit,
    /// Nothing more.
    Done,
    /// The waker's reference was the last: free the task.
    Dealloc,
}

/// The atomic state word of one task.
pub(super) struct State(AtomicUsize);

impl State {
    /// A new task with a join handle and two references: the join handle's and the one reserved for its
    /// loop's task list. `remote_entry`: its first entry goes through the inject queue (spawned from
    /// another thread), so `SCHEDULED` starts set.
    pub(super) fn new(remote_entry: bool) -> State {
        let scheduled = if remote_entry { SCHEDULED } else { 0 };
        State(AtomicUsize::new(scheduled | JOIN_INTEREST | (2 * REF_ONE)))
    }

    #[inline]
    pub(super) fn load(&self) -> Snapshot {
        Snapshot(self.0.load(Ordering::Acquire))
    }

    /// Applies `f` until the CAS succeeds; `f` returns `None` to leave the word as it is.
    fn update<R>(&self, mut f: impl FnMut(usize) -> (Option<usize>, R)) -> R {
        let mut cur = self.0.load(Ordering::Acquire);
        loop {
            let (next, out) = f(cur);
            let Some(next) = next else { return out };
            match self
                .0
                .compare_exchange_weak(cur, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return out,
                Err(actual) => cur = actual,
            }
        }
    }

    /// The holder of a queue entry takes it: clears `SCHEDULED`. On a complete task this also releases the
    /// reference the entry inherited at completion.
    pub(super) fn take_scheduled(&self) -> Taken {
        // `SCHEDULED` is the lowest bit and known to be set, so subtracting it clears it: one atomic
        // instruction, no compare-and-swap loop.
        let prev = Snapshot(self.0.fetch_sub(SCHEDULED, Ordering::AcqRel));
        debug_assert!(
            prev.has(SCHEDULED),
            "a queue entry exists only while SCHEDULED is set"
        );
        if prev.has(COMPLETE) {
            // Completion never reverts, so this entry inherited the list reference: release it.
            Taken::Stale {
                last: self.ref_dec(),
            }
        } else {
            Taken::Run
        }
    }

    /// Loop thread, once the result is stored (or dropped, when nobody will read it): sets `COMPLETE` and, in
    /// the same step, settles the references the loop deals with:
    /// - a local entry still out (`local_entry`) gets one of its own;
    /// - if the loop must still touch the task (wake the joiner, or drop an output nobody will read,
    ///   `output_stored`), the task list keeps its reference until then ([`ListRef::Kept`]), and an inject
    ///   entry still out gets one of its own;
    /// - otherwise the list's reference passes to an inject entry still out ([`ListRef::Inherited`]) or is
    ///   released at once ([`ListRef::Released`]).
    pub(super) fn transition_to_complete(
        &self,
        local_entry: bool,
        output_stored: bool,
    ) -> (Snapshot, ListRef) {
        self.update(|s| {
            debug_assert!(s & COMPLETE == 0);
            let mut next = s | COMPLETE;
            if local_entry {
                next += REF_ONE;
            }
            let must_touch = s & JOIN_WAKER != 0 || (output_stored && s & JOIN_INTEREST == 0);
            let list = if must_touch {
                if s & SCHEDULED != 0 {
                    next += REF_ONE;
                }
                ListRef::Kept
            } else if s & SCHEDULED != 0 {
                ListRef::Inherited
            } else {
                next -= REF_ONE;
                ListRef::Released {
                    last: Snapshot(next).refs() == 0,
                }
            };
            (Some(next), (Snapshot(next), list))
        })
    }

    /// Any thread, waking the task through a borrowed waker: `true` when the caller must queue an entry.
    pub(super) fn transition_to_notified(&self) -> bool {
        self.update(|s| {
            if s & (COMPLETE | SCHEDULED) != 0 {
                (None, false)
            } else {
                (Some(s | SCHEDULED), true)
            }
        })
    }

    /// Any thread, waking the task through an owning waker, whose reference is released in the same step.
    pub(super) fn transition_to_notified_by_val(&self) -> WakeByVal {
        self.update(|s| {
            debug_assert!(Snapshot(s).refs() >= 1);
            if s & (COMPLETE | SCHEDULED) == 0 {
                (Some((s | SCHEDULED) - REF_ONE), WakeByVal::Submit)
            } else if Snapshot(s).refs() == 1 {
                (Some(s - REF_ONE), WakeByVal::Dealloc)
            } else {
                (Some(s - REF_ONE), WakeByVal::Done)
            }
        })
    }

    /// Any thread, aborting the task: `true` when it was not complete nor already aborted, and the caller
    /// must now wake it so its loop drops the future.
    pub(super) fn transition_to_cancelled(&self) -> bool {
        self.update(|s| {
            if s & (COMPLETE | CANCELLED) != 0 {
                (None, false)
            } else {
                (Some(s | CANCELLED), true)
            }
        })
    }

    /// Join handle, when dropped: gives up interest in the output. `Ok` when the task was not complete: the
    /// loop will drop the output, and the waker slot is the handle's (`JOIN_WAKER` is cleared too). `Err`
    /// with the new snapshot when it was: the handle drops the output, and the waker slot too unless
    /// `JOIN_WAKER` is still set (the loop is waking that waker and drops it itself once it sees no
    /// interest left).
    pub(super) fn unset_join_interest(&self) -> Result<(), Snapshot> {
        self.update(|s| {
            if s & COMPLETE != 0 {
                let next = s & !JOIN_INTEREST;
                (Some(next), Err(Snapshot(next)))
            } else {
                (Some(s & !(JOIN_INTEREST | JOIN_WAKER)), Ok(()))
            }
        })
    }

    /// Loop thread, after waking the join waker of a complete task: hands the slot back. Returns the
    /// snapshot before; without `JOIN_INTEREST` in it the handle is gone, and the loop drops the waker.
    pub(super) fn unset_join_waker_after_complete(&self) -> Snapshot {
        Snapshot(self.0.fetch_and(!JOIN_WAKER, Ordering::AcqRel))
    }

    /// Join handle, after writing the waker slot: hands the slot to the runtime. `Err` when the task completed
    /// meanwhile (the slot stays the join handle's).
    pub(super) fn set_join_waker(&self) -> Result<(), ()> {
        self.update(|s| {
            debug_assert!(s & JOIN_WAKER == 0 && s & JOIN_INTEREST != 0);
            if s & COMPLETE != 0 {
                (None, Err(()))
            } else {
                (Some(s | JOIN_WAKER), Ok(()))
            }
        })
    }

    /// Join handle: takes the waker slot back to replace the waker. `Err` when the task is complete
    /// (completion may have cleared `JOIN_WAKER` since the handle saw it set).
    pub(super) fn unset_join_waker(&self) -> Result<(), ()> {
        self.update(|s| {
            debug_assert!(s & (JOIN_WAKER | COMPLETE) != 0);
            if s & COMPLETE != 0 {
                (None, Err(()))
            } else {
                (Some(s & !JOIN_WAKER), Ok(()))
            }
        })
    }

    /// Adds one reference.
    #[inline]
    pub(super) fn ref_inc(&self) {
        let prev = self.0.fetch_add(REF_ONE, Ordering::Relaxed);
        // A count this large means references leak in a loop; stop before the count wraps.
        if prev > usize::MAX / 2 {
            std::process::abort();
        }
    }

    /// Drops one reference; `true` when it was the last and the task must be freed.
    #[inline]
    pub(super) fn ref_dec(&self) -> bool {
        // The holder of the only reference is the only one who could still touch the word. Those that touch
        // it without a reference of their own are covered by a counted one: a queue entry of an incomplete
        // task and the loop's borrowed poll waker by the task list's reference, entries of a complete task
        // by their own. And a new reference is only ever made from an existing one. So a count of one read
        // here cannot change behind our back, and the costly read-modify-write is skipped. The acquire load makes every write of the former
        // holders (each released its reference with a release operation) visible before the task is freed.
        if Snapshot(self.0.load(Ordering::Acquire)).refs() == 1 {
            return true;
        }
        let prev = Snapshot(self.0.fetch_sub(REF_ONE, Ordering::AcqRel));
        debug_assert!(prev.refs() >= 1);
        prev.refs() == 1
    }
}
