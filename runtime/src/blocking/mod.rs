//! Blocking work off the loop: a process-wide thread pool that grows on demand.
//!
//! A loop thread must never block: one blocking call (a DNS lookup through `getaddrinfo`, a file read,
//! a CPU-heavy computation) stalls every task, timer and connection of that loop. muduo's answer is to
//! run such a call on another thread and "post the result back with `runInLoop`"; here the result is
//! posted back through the awaiting task's own waker, which takes the loop's ordinary cross-thread wake
//! path (inject queue, then the eventfd if the loop is parked).
//!
//! ```text
//!   loop thread                                  blocking pool (process-wide)
//!   -----------                                  ----------------------------
//!   spawn_blocking(f) --- job: f + Completer --->  queue --> worker thread
//!   handle.await: Pending, stores its waker                  r = catch_unwind(f)
//!                                                            Completer::complete(r)
//!   task woken, polled: Ready(r) <--- waker.wake() ---------- (result in the slot)
//! ```
//!
//! Rules:
//! - One pool per process, started on first use: at most [`MAX_THREADS`] workers; a worker with no job
//!   for [`KEEP_ALIVE`] exits, so an idle process holds no pool threads. Jobs beyond the limit queue up
//!   in FIFO order.
//! - Any thread may submit, with or without a runtime; a handle may be awaited on any loop.
//! - A job's panic is caught on the worker and delivered as a [`JoinError`] for which
//!   `is_panic()` holds; the worker lives on.
//! - Jobs cannot be cancelled once submitted; dropping the handle only discards the result.
//! - While a task awaits a job's handle (its poll returned `Pending`), the task's loop counts the job,
//!   until the job ends or the handle is dropped: meanwhile the loop's paused clock does not jump
//!   (docs/timer.md, "When the paused clock jumps"), however long the job waits for a worker and
//!   runs. A job nobody awaits holds no clock back. A handle awaited on another loop moves the count
//!   there.

mod blocking_handle;
mod pool;

pub use blocking_handle::BlockingHandle;

use crate::task::JoinError;
use pool::Pool;
use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;
use std::time::Duration;

/// The most worker threads the process-wide pool runs at once: tokio's default, so that code written
/// for tokio, which parks a worker on a long-lived job (a reader of stdin, a blocking client library)
/// without a second thought, does not use the pool up. Name lookups share the pool: a small limit let
/// a few such jobs stop every `connect` to a host name in the process. Workers are started only as
/// jobs need them and leave after [`KEEP_ALIVE`] idle, so the limit costs nothing until it is used.
pub const MAX_THREADS: usize = 512;

/// How long a worker waits for a new job before it exits.
pub const KEEP_ALIVE: Duration = Duration::from_secs(10);

static POOL: OnceLock<Pool> = OnceLock::new();

thread_local! {
    static SUBMITTED_HERE: Cell<u64> = const { Cell::new(0) };
}

/// Runs `f` on the blocking pool and returns a handle that resolves to its result.
///
/// Use it for calls that block the thread: name resolution, file system access, blocking libraries. The
/// loop that awaits the handle keeps running its other tasks meanwhile. `f` starts at once on an idle or
/// new worker, or, when all [`MAX_THREADS`] workers are busy, as soon as one frees up.
///
/// A panic in `f` is caught and returned as a [`JoinError`] whose `is_panic()` holds.
///
/// ```
/// let answer = mudu_runtime::block_on(async {
///     let job = mudu_runtime::spawn_blocking(|| {
///         // Blocking is fine here: this runs on a pool thread, not on the loop.
///         std::thread::sleep(std::time::Duration::from_millis(1));
///         6 * 7
///     });
///     job.await.unwrap()
/// });
/// assert_eq!(answer, 42);
/// ```
pub fn spawn_blocking<F, R>(f: F) -> BlockingHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let (completer, handle) = blocking_handle::pair();
    let job = Box::new(move || {
        let result = catch_unwind(AssertUnwindSafe(f)).map_err(JoinError::panic);
        completer.complete(result);
    });
    let _ = SUBMITTED_HERE.try_with(|n| n.set(n.get() + 1));
    POOL.get_or_init(|| Pool::new(MAX_THREADS, KEEP_ALIVE))
        .submit(job);
    handle
}

/// How many jobs the calling thread has handed to the blocking pool so far.
///
/// A diagnostic: code that promises to stay off the pool on some path (resolving a literal address, for
/// instance) can be checked by reading this before and after. It counts per thread, so work submitted by
/// other threads at the same time does not disturb the reading.
///
/// ```
/// let before = mudu_runtime::blocking::submitted_on_this_thread();
/// let job = mudu_runtime::spawn_blocking(|| ());
/// assert_eq!(mudu_runtime::blocking::submitted_on_this_thread(), before + 1);
/// mudu_runtime::block_on(job).unwrap();
/// ```
pub fn submitted_on_this_thread() -> u64 {
    SUBMITTED_HERE.try_with(Cell::get).unwrap_or(0)
}
