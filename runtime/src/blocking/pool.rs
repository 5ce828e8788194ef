//! The blocking pool: worker threads that run jobs a loop must not run itself.
//!
//! Rules: the queue and the thread counts live under one `Mutex`; every field changes only under it.
//! A submitter hands its job to an idle worker when there is one (and marks that worker as claimed, so a
//! burst of jobs never counts the same idle worker twice), else starts a new worker while fewer than
//! `max_threads` run, else leaves the job queued for the next worker that frees up. A worker that finds
//! no job for `keep_alive` exits. Jobs run outside the lock.
//!
//! ```text
//!   submit(job) ──► queue: VecDeque<Job> ──► worker: pop, run, loop
//!                     │                        │ (nothing for keep_alive: exit)
//!                     │ idle > 0:  idle -= 1, notified += 1, notify_one
//!                     │ threads < max: threads += 1, spawn a worker
//!                     └ otherwise: wait in the queue
//! ```
//!
//! If the OS refuses a thread while no worker runs, the queued jobs are dropped; each job's completer
//! then reports a cancellation to its handle instead of leaving it waiting forever.

use std::collections::VecDeque;
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

/// A unit of work: runs the caller's closure and delivers its result itself.
pub(super) type Job = Box<dyn FnOnce() + Send + 'static>;

/// A pool of blocking worker threads. Cloning shares the pool.
#[derive(Clone)]
pub(super) struct Pool {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<State>,
    /// Signalled for each job handed to an idle worker.
    work: Condvar,
    /// Signalled when a worker exits (and, in tests, when one goes idle), for tests that wait on the pool.
    changed: Condvar,
    max_threads: usize,
    keep_alive: Duration,
}

struct State {
    queue: VecDeque<Job>,
    /// Live workers, including those being started.
    threads: usize,
    /// Workers waiting for work and not yet claimed by a submitter.
    idle: usize,
    /// Wake-ups sent to idle workers and not yet taken.
    notified: usize,
}

/// Locks `mutex`, ignoring poisoning: jobs run outside the lock, so no panic can leave the state torn.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Pool {
    /// An empty pool that grows to at most `max_threads` (at least 1) workers, each leaving after
    /// `keep_alive` without work.
    pub(super) fn new(max_threads: usize, keep_alive: Duration) -> Pool {
        Pool {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    queue: VecDeque::new(),
                    threads: 0,
                    idle: 0,
                    notified: 0,
                }),
                work: Condvar::new(),
                changed: Condvar::new(),
                max_threads: max_threads.max(1),
                keep_alive,
            }),
        }
    }

    /// Queues `job` and makes sure a worker will run it.
    pub(super) fn submit(&self, job: Job) {
        let mut state = lock(&self.inner.state);
        state.queue.push_back(job);
        if state.idle > 0 {
            state.idle -= 1;
            state.notified += 1;
            drop(state);
            self.inner.work.notify_one();
        } else if state.threads < self.inner.max_threads {
            state.threads += 1;
            drop(state);
            if self.start_worker().is_err() {
                self.worker_refused();
            }
        }
    }

    fn start_worker(&self) -> io::Result<()> {
        let pool = self.clone();
        thread::Builder::new()
            .name("mudu-blocking".to_owned())
            .spawn(move || pool.work())
            .map(drop)
    }

    /// Undoes the count of a worker the OS did not start. With no worker left, nothing would ever run
    /// the queue: drop its jobs so that their handles report cancellation.
    fn worker_refused(&self) {
        let orphans = {
            let mut state = lock(&self.inner.state);
            state.threads -= 1;
            if state.threads == 0 {
                std::mem::take(&mut state.queue)
            } else {
                VecDeque::new()
            }
        };
        drop(orphans);
    }

    /// A worker's life: take jobs until none comes for `keep_alive`. A job that unwinds (only a panicking
    /// waker can make one: `spawn_blocking` catches the closure's own panic) costs the job, not the worker,
    /// so the thread count stays true.
    fn work(&self) {
        while let Some(job) = self.next_job() {
            let _ = catch_unwind(AssertUnwindSafe(job));
        }
    }

    fn next_job(&self) -> Option<Job> {
        let inner = &*self.inner;
        let mut state = lock(&inner.state);
        loop {
            if let Some(job) = state.queue.pop_front() {
                return Some(job);
            }
            // Idle: wait to be claimed by a submitter, or leave after keep_alive.
            state.idle += 1;
            #[cfg(test)]
            inner.changed.notify_all();
            let deadline = Instant::now() + inner.keep_alive;
            loop {
                if state.notified > 0 {
                    // Claimed: the submitter already took this worker off `idle`.
                    state.notified -= 1;
                    break;
                }
                let now = Instant::now();
                if now >= deadline {
                    state.idle -= 1;
                    state.threads -= 1;
                    drop(state);
                    inner.changed.notify_all();
                    return None;
                }
                state = inner
                    .work
                    .wait_timeout(state, deadline - now)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
        }
    }

    /// How many workers are alive right now.
    #[cfg(test)]
    pub(super) fn threads(&self) -> usize {
        lock(&self.inner.state).threads
    }

    /// Blocks until `done` holds for the pool's state.
    #[cfg(test)]
    fn wait_until(&self, done: impl Fn(&State) -> bool) {
        let mut state = lock(&self.inner.state);
        while !done(&state) {
            state = self
                .inner
                .changed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{mpsc, Barrier};

    #[test]
    fn jobs_run_concurrently_up_to_the_limit() {
        let pool = Pool::new(4, Duration::from_secs(60));
        let barrier = Arc::new(Barrier::new(5));
        let (done_tx, done_rx) = mpsc::channel();
        for i in 0..4 {
            let barrier = Arc::clone(&barrier);
            let done_tx = done_tx.clone();
            pool.submit(Box::new(move || {
                // Every job waits here until all four and the test thread meet: only four concurrent
                // workers get past it.
                barrier.wait();
                done_tx.send(i).unwrap();
            }));
        }
        barrier.wait();
        let mut done: Vec<i32> = done_rx.iter().take(4).collect();
        done.sort_unstable();
        assert_eq!(done, [0, 1, 2, 3]);
        assert_eq!(pool.threads(), 4);
    }

    #[test]
    fn never_more_threads_than_the_limit() {
        let pool = Pool::new(3, Duration::from_secs(60));
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let release_rx = Arc::new(Mutex::new(release_rx));
        let (done_tx, done_rx) = mpsc::channel();
        for _ in 0..30 {
            let (running, peak) = (Arc::clone(&running), Arc::clone(&peak));
            let (release_rx, done_tx) = (Arc::clone(&release_rx), done_tx.clone());
            pool.submit(Box::new(move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                lock(&release_rx).recv().unwrap();
                running.fetch_sub(1, Ordering::SeqCst);
                done_tx.send(()).unwrap();
            }));
        }
        assert!(pool.threads() <= 3);
        for _ in 0..30 {
            release_tx.send(()).unwrap();
        }
        assert_eq!(done_rx.iter().take(30).count(), 30);
        assert!(peak.load(Ordering::SeqCst) <= 3);
        assert!(pool.threads() <= 3);
    }

    #[test]
    fn idle_workers_exit_after_keep_alive_and_the_pool_grows_again() {
        let pool = Pool::new(2, Duration::from_millis(1));
        let (tx, rx) = mpsc::channel();
        let tx2 = tx.clone();
        pool.submit(Box::new(move || tx.send(1).unwrap()));
        assert_eq!(rx.recv().unwrap(), 1);
        pool.wait_until(|s| s.threads == 0);
        assert_eq!(pool.threads(), 0);
        pool.submit(Box::new(move || tx2.send(2).unwrap()));
        assert_eq!(rx.recv().unwrap(), 2);
    }

    #[test]
    fn an_unwinding_job_does_not_cost_the_worker() {
        let pool = Pool::new(1, Duration::from_secs(60));
        pool.submit(Box::new(|| std::panic::resume_unwind(Box::new("unwound"))));
        let (tx, rx) = mpsc::channel();
        pool.submit(Box::new(move || tx.send(thread::current().id()).unwrap()));
        let first = rx.recv().unwrap();
        assert_eq!(pool.threads(), 1);
        let (tx, rx) = mpsc::channel();
        pool.submit(Box::new(move || tx.send(thread::current().id()).unwrap()));
        assert_eq!(rx.recv().unwrap(), first, "the same worker ran on");
    }

    #[test]
    fn a_burst_claims_each_idle_worker_once() {
        // One idle worker and a burst of two jobs that must meet: the second job needs a second worker,
        // which it only gets if the first submit took the idle worker off the count.
        let pool = Pool::new(2, Duration::from_secs(60));
        let (tx, rx) = mpsc::channel();
        pool.submit(Box::new(move || tx.send(()).unwrap()));
        rx.recv().unwrap();
        pool.wait_until(|s| s.idle == 1);
        let barrier = Arc::new(Barrier::new(3));
        for _ in 0..2 {
            let barrier = Arc::clone(&barrier);
            pool.submit(Box::new(move || {
                barrier.wait();
            }));
        }
        barrier.wait();
        assert_eq!(pool.threads(), 2);
    }
}
