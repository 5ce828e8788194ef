//! The park handshake between a loop and the threads that hand it work.
//!
//! A loop blocks in `epoll_wait` when it has nothing to run. Another thread that queues work for it (a
//! [`Handle::spawn`](crate::Handle::spawn), a wake of one of its tasks) must wake that poll, but only when the
//! loop is really parked, and only once per park: a busy loop picks the work up at its next tick for free.
//!
//! ```text
//!            loop thread                              other thread
//!   prev = swap(state, PARKED)                    push work
//!   prev == NOTIFIED? -> poll with zero timeout    prev = swap(state, NOTIFIED)
//!   epoll_wait(..)                                 prev == PARKED? -> write the eventfd
//!   swap(state, RUNNING)
//! ```
//!
//! Every access to the state is a read-modify-write, so all of them are totally ordered and each one sees
//! the one before it: either the notifier's swap comes first (the loop then reads `NOTIFIED` and does not
//! block, and its acquire makes the pushed work visible), or the loop's comes first (the notifier then reads
//! `PARKED` and wakes the poll). Exactly one notifier per park reads `PARKED`, so at most one pays the
//! syscall; while the loop runs, notifying costs one atomic swap and no syscall.

use crate::sync::{AtomicUsize, Ordering::AcqRel};

const RUNNING: usize = 0;
const PARKED: usize = 1;
const NOTIFIED: usize = 2;

/// The park state of one loop. Shared between the loop thread and every thread that may wake it.
#[derive(Debug)]
pub(crate) struct Parker {
    state: AtomicUsize,
}

impl Parker {
    /// A parker for a running loop.
    pub(crate) fn new() -> Parker {
        Parker {
            state: AtomicUsize::new(RUNNING),
        }
    }

    /// Loop thread only: announces that the loop is about to block. Returns `false` when a notification
    /// arrived since the last park ended: work may be queued, so the loop must not block.
    pub(crate) fn begin_park(&self) -> bool {
        self.state.swap(PARKED, AcqRel) != NOTIFIED
    }

    /// Loop thread only: the poll returned; notifiers stop paying for syscalls until the next park.
    pub(crate) fn end_park(&self) {
        self.state.swap(RUNNING, AcqRel);
    }

    /// Any thread, after publishing work: returns `true` when the caller must wake the poll. At most one
    /// caller per park gets `true`.
    pub(crate) fn notify(&self) -> bool {
        self.state.swap(NOTIFIED, AcqRel) == PARKED
    }
}
