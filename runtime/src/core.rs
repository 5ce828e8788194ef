//! The loop-thread half of an event loop: run queue, task list, reactor and timers.
//!
//! One tick of the loop:
//!
//! ```text
//!   ┌─► take what other threads injected (new tasks are adopted into the task list)
//!   │   run up to `event_interval` tasks from the local run queue
//!   │   events the last poll returned still undispatched: dispatch the next `event_interval` of them
//!   │   otherwise poll I/O: zero timeout if anything is runnable, else until the next timer (the
//!   │             reactor's alarm wakes it at the exact instant) or forever, with the park
//!   │             handshake so other threads can interrupt it; dispatch the first `event_interval`
//!   │             events
//!   │   fire due timers (their tasks join the run queue)
//!   │   paused clock and nothing runnable: jump to the next timer
//!   └── (block_on polls its own future whenever it was woken: first in the tick after a wake by I/O,
//!        a timer or another thread; after a wake by a task, or during its own poll, only once the
//!        entries queued then (by the poll's end) have run, as a task would be)
//! ```
//!
//! Everything here is touched only by the loop's thread; other threads reach the loop through
//! [`Shared`].

use crate::main_waker::MainWaker;
use crate::reactor::Reactor;
use crate::run_queue::RunQueue;
use crate::shared::Shared;
use crate::task::{self, JoinHandle, Local, Notified, RunResult, SharedRef, Tally, TaskRef};
use crate::task_list::TaskList;
use mudu_timer::TimeDriver;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::io;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

/// Settings fixed when the loop is built.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    /// Tasks run per tick before I/O is polled.
    pub(crate) event_interval: usize,
    /// Paused clock: how long the loop waits for I/O before jumping to the next timer while tasks wait on I/O.
    pub(crate) io_quiet_period: Duration,
}

/// Why [`Core::run_tasks`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    /// The run queue is empty.
    Empty,
    /// The tick's budget is spent with entries still queued.
    Budget,
    /// `block_on`'s own future comes next: every entry queued before its wake has run.
    MainTurn,
}

/// The loop state owned by the loop's thread.
pub(crate) struct Core {
    pub(crate) shared: Arc<Shared>,
    pub(crate) reactor: Rc<Reactor>,
    pub(crate) time: Rc<TimeDriver>,
    run_queue: RefCell<RunQueue<Local>>,
    /// Every task of this loop that has not completed, so shutdown can drop their futures.
    owned: RefCell<TaskList<TaskRef>>,
    config: Config,
    /// Set once shutdown starts; spawns after that are cancelled at once.
    closed: Cell<bool>,
    /// This thread's count of the loop's anchored tasks (task/anchor.rs).
    pub(crate) tally: Tally,
}

impl Core {
    pub(crate) fn new(config: Config, start_paused: bool) -> io::Result<Core> {
        let (reactor, waker) = Reactor::new()?;
        let shared = Arc::new(Shared::new(waker));
        task::anchor::hold(&shared);
        Ok(Core {
            shared,
            reactor: Rc::new(reactor),
            time: Rc::new(TimeDriver::new(start_paused)),
            run_queue: RefCell::new(RunQueue::new()),
            owned: RefCell::new(TaskList::new()),
            config,
            closed: Cell::new(false),
            tally: Tally::default(),
        })
    }

    /// Queues a local entry for a task that is already adopted.
    pub(crate) fn push(&self, task: Local) {
        self.run_queue.borrow_mut().push_back(task);
    }

    /// Adds the new task of `entry` to the task list (its reserved reference) and returns the key.
    fn insert_owned(&self, adopt: impl FnOnce(usize) -> TaskRef) -> usize {
        self.owned.borrow_mut().insert(adopt)
    }

    /// Adopts a task spawned on this thread and queues its first run.
    fn adopt_local(&self, task: Local) {
        if self.closed.get() {
            return task.abandon();
        }
        self.insert_owned(|key| task.adopt(key));
        self.push(task);
    }

    /// Adopts a task spawned from another thread (or through a `Handle` on this one) and queues its
    /// first run.
    pub(crate) fn adopt_remote(&self, task: Notified) {
        if self.closed.get() {
            return task.abandon();
        }
        self.insert_owned(|key| task.adopt(key));
        if let Some(local) = task.into_local() {
            self.push(local);
        }
    }

    /// Spawns a future (need not be `Send`) on this loop.
    pub(crate) fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let (task, join) =
            task::new_local_task(future, SharedRef::anchored(&self.shared, &self.tally));
        self.adopt_local(task);
        join
    }

    /// Moves injected tasks to the run queue, adopting new ones.
    #[inline(always)]
    pub(crate) fn drain_inject(&self) {
        if !self.shared.inject.is_empty() {
            self.take_injected();
        }
    }

    #[inline(never)]
    fn take_injected(&self) {
        let mut injected = Vec::new();
        self.shared.inject.drain_into(&mut injected);
        for task in injected {
            if task.is_new() {
                self.adopt_remote(task);
            } else if let Some(local) = task.into_local() {
                self.push(local);
            }
        }
    }

    /// The number of entries (tasks, and polls of `block_on`'s own future) one tick runs before I/O is
    /// polled.
    pub(crate) fn tick_budget(&self) -> usize {
        self.config.event_interval
    }

    /// Runs queued entries, oldest first, while `budget` lasts (each takes one), but none that `main`
    /// (the waker of `block_on`'s own future) must precede. Returns why it stopped.
    pub(crate) fn run_tasks(&self, main: &MainWaker, budget: &mut usize) -> Stop {
        self.drain_inject();
        while *budget > 0 {
            if !main.let_entry_pass() {
                return Stop::MainTurn;
            }
            let Some(task) = self.run_queue.borrow_mut().pop_front() else {
                return Stop::Empty;
            };
            *budget -= 1;
            let key = task.header().list_key();
            if let RunResult::Complete(list) = task.run() {
                let owned = self.owned.borrow_mut().remove(key);
                owned.settle(list);
            }
        }
        if self.run_queue.borrow().is_empty() {
            Stop::Empty
        } else {
            Stop::Budget
        }
    }

    /// Entries in the run queue (injected ones not counted until the next tick moves them there).
    pub(crate) fn queued(&self) -> usize {
        self.run_queue.borrow().len()
    }

    /// [`queued`](Core::queued), or `None` while the queue is being changed (a waker run from inside a
    /// change of it).
    pub(crate) fn try_queued(&self) -> Option<usize> {
        self.run_queue.try_borrow().ok().map(|queue| queue.len())
    }

    fn has_runnable(&self, main_woken: bool) -> bool {
        main_woken || !self.run_queue.borrow().is_empty() || !self.shared.inject.is_empty()
    }

    /// Polls I/O and fires timers. `busy`: runnable work remains, so the poll must not block.
    /// `main_woken` reports whether the `block_on` future was woken (checked after announcing the park).
    pub(crate) fn park(&self, busy: bool, main_woken: &dyn Fn() -> bool) -> io::Result<()> {
        if self.reactor.has_undispatched() {
            // The last poll's events come first, one chunk per tick, with no system call: the tasks the
            // previous chunk woke have just run, so the loop is not starving I/O by skipping the poll.
            self.reactor.dispatch(self.config.event_interval);
            self.time.process();
            return Ok(());
        }
        let paused = self.time.is_paused();
        let mut timeout = if busy {
            Some(Duration::ZERO)
        } else if paused && self.shared.blocking_in_flight() {
            // A task awaits a job on the blocking pool, whose result is about to wake it: wait for it
            // in real time, however long it takes, rather than jump the clock past a timeout that
            // guards it. The job's end (or the handle's drop) wakes the poll.
            None
        } else if paused {
            match (self.time.has_timers(), self.reactor.has_waiters()) {
                (false, _) => None,
                (true, true) => Some(self.config.io_quiet_period),
                (true, false) => Some(Duration::ZERO),
            }
        } else {
            let wake = self.time.next_wake();
            if let Some(wake) = wake {
                // The timeout counts whole milliseconds; the alarm wakes the poll at the timer's instant.
                self.reactor.arm_alarm(wake)?;
            }
            wake.map(|wake| wake.timeout())
        };
        let blocking = timeout != Some(Duration::ZERO);
        if blocking {
            let may_block = self.shared.parker.begin_park();
            if !may_block || self.has_runnable(main_woken()) {
                timeout = Some(Duration::ZERO);
            }
        }
        // A busy loop with no I/O source has nothing to learn from a zero-timeout poll: cross-thread work
        // arrives through the inject queue, which every tick checks without a syscall. Skip the syscall
        // then. With a source registered the poll must run even if no task waits on it: a task may be
        // polling `try_read` between yields, and only the poll brings it the readiness it looks for.
        let polled = if busy && !self.reactor.has_sources() {
            Ok(0)
        } else {
            self.reactor.poll(timeout, self.config.event_interval)
        };
        if blocking {
            self.shared.parker.end_park();
        }
        let events = polled?;
        self.time.process();
        // Virtual time jumps only when the poll found the loop truly idle: no event at all (an event that
        // woke nobody still means I/O is alive), nothing runnable, and no blocking job in flight.
        if paused
            && !busy
            && events == 0
            && !self.has_runnable(main_woken())
            && !self.shared.blocking_in_flight()
        {
            self.time.advance_to_next();
        }
        Ok(())
    }

    /// Drops every task's future and every queued reference. Runs on the loop thread with the loop current,
    /// so destructors may still spawn (cancelled at once) or touch timers and I/O.
    pub(crate) fn shutdown(&self) {
        self.closed.set(true);
        let mut injected: Vec<Notified> = self.shared.inject.close().into();
        loop {
            let owned: Vec<TaskRef> = self.owned.borrow_mut().drain();
            let cancelled_any = !owned.is_empty();
            for task in owned {
                task.cancel();
            }
            let local: Vec<Local> = self.run_queue.borrow_mut().drain();
            if !cancelled_any && injected.is_empty() && local.is_empty() {
                break;
            }
            for entry in injected.drain(..) {
                if entry.is_new() {
                    entry.abandon();
                } else {
                    entry.release();
                }
            }
            for entry in local {
                entry.release();
            }
        }
        self.reactor.shut_down();
    }
}

impl Drop for Core {
    fn drop(&mut self) {
        // Tasks freed from now on, on any thread, count against the anchor's balance.
        task::anchor::close(&self.shared, &self.tally);
    }
}
