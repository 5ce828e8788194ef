//! The runtime: one event loop on the current thread.

use crate::context;
use crate::core::{Config, Core, Stop};
use crate::main_waker::MainWaker;
use crate::task::JoinHandle;
use crate::{Builder, Handle};
use std::fmt;
use std::future::Future;
use std::io;
use std::pin::pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

/// One event loop, owned by the thread that created it.
///
/// A runtime is a per-thread executor: its tasks run on this thread only, so they need not be `Send`.
/// [`block_on`](Self::block_on) drives the loop until the given future finishes; tasks spawned with
/// [`spawn`](crate::spawn) run meanwhile. Other threads reach the loop through a [`Handle`].
///
/// Dropping the runtime drops every task it still owns (their destructors run, on this thread), then fails
/// and wakes whatever still waits on one of its I/O sources.
///
/// ```
/// let rt = mudu_runtime::Runtime::new().unwrap();
/// let sum = rt.block_on(async {
///     let a = mudu_runtime::spawn(async { 1 });
///     let b = mudu_runtime::spawn(async { 2 });
///     a.await.unwrap() + b.await.unwrap()
/// });
/// assert_eq!(sum, 3);
/// ```
///
/// A runtime cannot leave its thread:
///
/// ```compile_fail
/// let rt = mudu_runtime::Runtime::new().unwrap();
/// std::thread::spawn(move || rt.block_on(async {}));
/// ```
pub struct Runtime {
    core: Rc<Core>,
}

impl Runtime {
    /// A runtime with default settings on the current thread.
    ///
    /// # Errors
    /// When the OS refuses the loop's epoll instance or eventfd.
    pub fn new() -> io::Result<Runtime> {
        Builder::new().build()
    }

    /// A builder for non-default settings.
    pub fn builder() -> Builder {
        Builder::new()
    }

    pub(crate) fn from_config(config: Config, start_paused: bool) -> io::Result<Runtime> {
        Ok(Runtime {
            core: Rc::new(Core::new(config, start_paused)?),
        })
    }

    /// A handle to this runtime's loop, for other threads.
    pub fn handle(&self) -> Handle {
        Handle {
            shared: Arc::clone(&self.core.shared),
        }
    }

    /// Spawns `future` on this runtime; it starts running at the next `block_on`.
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.core.spawn(future)
    }

    /// Runs the loop until `future` completes, and returns its output. Spawned tasks run meanwhile; those
    /// still pending when it returns stay on the loop for the next `block_on`.
    ///
    /// `future` is not a task, but it is scheduled like one. Woken by a task, it is polled after the tasks
    /// queued before the wake and before those queued after it; woken during its own poll (a `yield_now`),
    /// after every task queued by the end of that poll, those handed over from other threads included,
    /// whatever wakes come meanwhile (a wake from another thread that lands during the poll counts as
    /// one of these); woken by the loop's poll (an I/O event, a timer) or from another
    /// thread, first at the next tick, before the tasks that poll woke (or at an earlier place a task
    /// gave it). A future that keeps waking itself lets the loop poll I/O between two of its polls.
    ///
    /// # Panics
    /// When called inside a runtime (from a task or another `block_on` on this thread): a loop thread must
    /// never block. Also when the loop's poll fails, which only an exhausted or broken OS causes.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        assert!(
            !context::is_inside(),
            "cannot start a mudu runtime from within a runtime: `block_on` would block the loop's thread"
        );
        let _loop = context::enter(Rc::clone(&self.core));
        let _time = self.core.time.enter();
        let main = Arc::new(MainWaker::new(Arc::clone(&self.core.shared)));
        let waker = Waker::from(Arc::clone(&main));
        let mut cx = Context::from_waker(&waker);
        let mut future = pin!(future);
        loop {
            // One tick: the future's polls at a place in the queue and the tasks share the tick's budget,
            // so a future that keeps waking itself cannot keep the loop from polling I/O either.
            let mut budget = self.core.tick_budget();
            let mut at_start = true;
            let more = loop {
                if main.take_turn(at_start, || self.core.queued()) {
                    if !at_start {
                        budget = budget.saturating_sub(1);
                    }
                    if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                        return output;
                    }
                    if main.is_woken() {
                        self.core.drain_inject();
                        main.place_behind(self.core.queued());
                        if !at_start {
                            // It keeps waking itself: I/O and timers get their turn before its next poll.
                            break true;
                        }
                    }
                }
                at_start = false;
                match self.core.run_tasks(&main, &mut budget) {
                    Stop::MainTurn if budget > 0 => continue,
                    Stop::Empty => break false,
                    Stop::MainTurn | Stop::Budget => break true,
                }
            };
            let busy = more || main.is_woken();
            main.watch_park();
            if let Err(e) = self.core.park(busy, &|| main.is_woken()) {
                panic!("the mudu loop's poll failed: {e}");
            }
            main.end_park();
        }
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        let _loop = context::enter(Rc::clone(&self.core));
        let _time = self.core.time.enter();
        self.core.shutdown();
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime").finish_non_exhaustive()
    }
}
