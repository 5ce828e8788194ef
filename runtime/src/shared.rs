//! The part of a loop that other threads may touch: its inject queue and the wake-up of its poll.
//!
//! Everything else a loop owns (run queue, task list, reactor, timers) lives in [`Core`](crate::core::Core)
//! and never leaves the loop's thread. `Shared` is reached through an `Arc` from every
//! [`Handle`](crate::Handle) and the `block_on` waker, and from every task of the loop: through an `Arc` of
//! its own, or, for a task spawned on the loop's thread, through the loop's anchor (task/anchor.rs).

use crate::inject::Inject;
use crate::parker::Parker;
use crate::task::{self, Anchor, JoinHandle, Notified};
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;

/// The thread-safe half of one event loop.
pub(crate) struct Shared {
    /// Tasks handed to the loop by other threads: new ones from `Handle::spawn`, and woken ones.
    pub(crate) inject: Inject<Notified>,
    /// Park handshake: whether a pusher must wake the poll.
    pub(crate) parker: Parker,
    /// Keeps this `Shared` alive for the loop's tasks that hold no `Arc` of their own (task/anchor.rs).
    pub(crate) anchor: Anchor,
    /// Jobs on the blocking pool that tasks of this loop await and that have not ended. While there is
    /// one, a paused clock does not jump: the job's result is about to wake a task (see `core.rs`).
    blocking: AtomicUsize,
    /// Wakes the loop's `epoll_wait` (an eventfd registered with the loop's `mio::Poll`).
    waker: mio::Waker,
}

impl Shared {
    pub(crate) fn new(waker: mio::Waker) -> Shared {
        Shared {
            inject: Inject::new(),
            parker: Parker::new(),
            anchor: Anchor::new(),
            blocking: AtomicUsize::new(0),
            waker,
        }
    }

    /// Loop thread: a task of this loop awaits a job on the blocking pool.
    pub(crate) fn blocking_started(&self) {
        self.blocking.fetch_add(1, Relaxed);
    }

    /// Any thread: a job counted by [`blocking_started`](Self::blocking_started) ended (its result is
    /// already delivered), or its handle was dropped. Wakes the loop so a paused clock reconsiders.
    pub(crate) fn blocking_finished(&self) {
        // Published by the notification's swap in `unpark`: the loop reads the count after its own
        // swap in `begin_park` (parker.rs), so it sees this decrement or gets the wake-up.
        self.blocking.fetch_sub(1, Relaxed);
        self.unpark();
    }

    /// Loop thread: whether a job counted by [`blocking_started`](Self::blocking_started) is still
    /// awaited.
    pub(crate) fn blocking_in_flight(&self) -> bool {
        self.blocking.load(Relaxed) > 0
    }

    /// Any thread: wakes the loop's poll if it is parked, at most once per park.
    pub(crate) fn unpark(&self) {
        if self.parker.notify() {
            // A failed eventfd write leaves the counter at its maximum, which still wakes the poll.
            let _ = self.waker.wake();
        }
    }

    /// Any thread other than the loop's: queues `task` and wakes the loop. A closed loop refuses the entry,
    /// which is then disposed of here: the loop cancels (or has cancelled) the task's future itself.
    pub(crate) fn schedule_remote(&self, task: Notified) {
        match self.inject.push(task) {
            Ok(()) => self.unpark(),
            Err(task) => task.release(),
        }
    }

    /// Any thread: spawns a `Send` future on this loop (muduo's `queueInLoop`).
    pub(crate) fn spawn<F>(self: &Arc<Self>, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (task, join) = task::new_remote_task(future, Arc::clone(self));
        match crate::context::spawn_local_if_current(self, task) {
            None => {}
            Some(task) => match self.inject.push(task) {
                Ok(()) => self.unpark(),
                // The loop has shut down: cancel here. The future is `Send`, so dropping it on this thread is
                // fine, and the join handle reports the cancellation.
                Err(task) => task.abandon(),
            },
        }
        join
    }
}
