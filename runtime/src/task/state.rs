//! The task state word: lifecycle flags and the reference count packed in one atomic.
//!
//! ```text
//!  63 ........................ 6   5          4             3          2          1         0
//! +-----------------------------+------------+-------------+----------+----------+---------+-----------+
//! |       reference count       | JOIN_WAKER | JOIN_INTEREST| CANCELLED| COMPLETE | RUNNING | SCHEDULED |
//! +-----------------------------+------------+-------------+----------+----------+---------+-----------+
//! ```
//!
//! - `SCHEDULED`: the task sits in a run queue (local or inject), and that queue entry holds a reference. A wake
//!   while `RUNNING` only sets the bit: the loop re-queues the task after the poll, reusing the poll's reference.
//! - `RUNNING`: the owning loop is polling the future. Only that loop's thread sets or clears it.
//! - `COMPLETE`: the future is gone and the stage holds the result (or nothing, once taken). Never cleared.
//! - `CANCELLED`: `abort()` was called. The loop drops the future the next time it picks the task up.
//! - `JOIN_INTEREST`: a `JoinHandle` exists. Whoever clears it or sets `COMPLETE` second drops the output.
//! - `JOIN_WAKER`: the join waker slot is filled and belongs to the runtime, which may read it on completion.
//!   The `JoinHandle` writes the slot only while this bit is clear and the task is not complete.
//!
//! Every transition is one compare-and-swap loop, so any thread may race any other on this word.

use std::sync::atomic::{AtomicUsize, Ordering};

pub(super) const SCHEDULED: usize = 1 << 0;
pub(super) const RUNNING: usize = 1 << 1;
pub(super) const COMPLETE: usize = 1 << 2;
pub(super) const CANCELLED: usize = 1 << 3;
pub(super) const JOIN_INTEREST: usize = 1 << 4;
pub(super) const JOIN_WAKER: usize = 1 << 5;
const REF_SHIFT: usize = 6;
const REF_ONE: usize = 1 << REF_SHIFT;

/// A copy of the state word at one moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Snapshot(pub(super) usize);

impl Snapshot {
    pub(super) fn has(self, flag: usize) -> bool {
        self.0 & flag != 0
    }

    pub(super) fn refs(self) -> usize {
        self.0 >> REF_SHIFT
    }
}

/// What the caller of a wake or abort transition must do next.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Submit {
    /// A reference was added for a queue entry: push the task to its loop.
    Yes,
    /// Nothing to do: already queued, running, or complete.
    No,
}

/// What a wake through an owning waker (`Waker::wake`) must do next.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum WakeByVal {
    /// The waker's reference now belongs to a queue entry: push the task to its loop.
    Submit,
    /// The waker's reference was released; others remain.
    Released,
    /// The waker's reference was the last: free the task.
    Dealloc,
}

/// What the loop does after a poll returned `Pending`.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum AfterPoll {
    /// Nobody woke it: the transition already released the poll's reference.
    Idle,
    /// It was woken while running: queue it again with the poll's reference.
    Reschedule,
    /// It was aborted while running: cancel it now.
    Cancel,
}

/// The atomic state word of one task.
pub(super) struct State(AtomicUsize);

impl State {
    /// A new task: scheduled, with a join handle, and three references: the queue entry, the join handle,
    /// and the one its loop's task list will hold (reserved until the loop adopts the task).
    pub(super) fn new() -> State {
        State(AtomicUsize::new(SCHEDULED | JOIN_INTEREST | (3 * REF_ONE)))
    }

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

    /// Loop thread, taking a task off a queue: clears `SCHEDULED`, sets `RUNNING`. Returns the snapshot before,
    /// or `Err` when the task is already complete (the queue entry is then just dropped).
    pub(super) fn transition_to_running(&self) -> Result<Snapshot, ()> {
        self.update(|s| {
            debug_assert!(s & SCHEDULED != 0 && s & RUNNING == 0);
            if s & COMPLETE != 0 {
                (Some(s & !SCHEDULED), Err(()))
            } else {
                (Some((s & !SCHEDULED) | RUNNING), Ok(Snapshot(s)))
            }
        })
    }

    /// Loop thread, after a `Pending` poll.
    pub(super) fn transition_to_idle(&self) -> AfterPoll {
        self.update(|s| {
            debug_assert!(s & RUNNING != 0);
            if s & CANCELLED != 0 {
                (None, AfterPoll::Cancel)
            } else if s & SCHEDULED != 0 {
                (Some(s & !RUNNING), AfterPoll::Reschedule)
            } else {
                // An adopted task's list entry holds a reference, so this is never the last one.
                debug_assert!(Snapshot(s).refs() >= 2);
                (Some((s & !RUNNING) - REF_ONE), AfterPoll::Idle)
            }
        })
    }

    /// Loop thread, once the result is stored: sets `COMPLETE`, clears `RUNNING`. Returns the new snapshot.
    pub(super) fn transition_to_complete(&self) -> Snapshot {
        self.update(|s| {
            debug_assert!(s & COMPLETE == 0);
            let next = (s | COMPLETE) & !RUNNING;
            (Some(next), Snapshot(next))
        })
    }

    /// Any thread, waking the task.
    pub(super) fn transition_to_notified(&self) -> Submit {
        self.update(|s| {
            if s & (COMPLETE | SCHEDULED) != 0 {
                (None, Submit::No)
            } else if s & RUNNING != 0 {
                (Some(s | SCHEDULED), Submit::No)
            } else {
                (Some((s | SCHEDULED) + REF_ONE), Submit::Yes)
            }
        })
    }

    /// Any thread, waking the task through an owning waker: the waker's reference becomes the queue
    /// entry's when the task must be queued, and is released otherwise, in the same atomic step.
    pub(super) fn transition_to_notified_by_val(&self) -> WakeByVal {
        self.update(|s| {
            if s & (COMPLETE | SCHEDULED) != 0 || s & RUNNING != 0 {
                let next = if s & (COMPLETE | SCHEDULED) == 0 {
                    s | SCHEDULED
                } else {
                    s
                } - REF_ONE;
                let out = if Snapshot(s).refs() == 1 {
                    WakeByVal::Dealloc
                } else {
                    WakeByVal::Released
                };
                (Some(next), out)
            } else {
                (Some(s | SCHEDULED), WakeByVal::Submit)
            }
        })
    }

    /// Any thread, aborting the task.
    pub(super) fn transition_to_cancelled(&self) -> Submit {
        self.update(|s| {
            if s & (COMPLETE | CANCELLED) != 0 {
                (None, Submit::No)
            } else if s & (RUNNING | SCHEDULED) != 0 {
                (Some(s | CANCELLED), Submit::No)
            } else {
                (Some((s | CANCELLED | SCHEDULED) + REF_ONE), Submit::Yes)
            }
        })
    }

    /// Join handle: drops interest in the output unless the task is complete (`Err`: the caller drops it).
    pub(super) fn unset_join_interest(&self) -> Result<(), ()> {
        self.update(|s| {
            if s & COMPLETE != 0 {
                (None, Err(()))
            } else {
                (Some(s & !(JOIN_INTEREST | JOIN_WAKER)), Ok(()))
            }
        })
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

    /// Join handle: takes the waker slot back to replace the waker. `Err` when the task is complete.
    pub(super) fn unset_join_waker(&self) -> Result<(), ()> {
        self.update(|s| {
            debug_assert!(s & JOIN_WAKER != 0);
            if s & COMPLETE != 0 {
                (None, Err(()))
            } else {
                (Some(s & !JOIN_WAKER), Ok(()))
            }
        })
    }

    /// Adds one reference.
    pub(super) fn ref_inc(&self) {
        let prev = self.0.fetch_add(REF_ONE, Ordering::Relaxed);
        // A count this large means references leak in a loop; stop before the count wraps.
        if prev > usize::MAX / 2 {
            std::process::abort();
        }
    }

    /// Drops one reference; `true` when it was the last and the task must be freed.
    pub(super) fn ref_dec(&self) -> bool {
        self.ref_dec_n(1)
    }

    /// Drops `n` references at once; `true` when they were the last.
    pub(super) fn ref_dec_n(&self, n: usize) -> bool {
        let prev = Snapshot(self.0.fetch_sub(n * REF_ONE, Ordering::AcqRel));
        debug_assert!(prev.refs() >= n);
        prev.refs() == n
    }
}
