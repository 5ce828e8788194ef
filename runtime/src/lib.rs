//! The per-thread executor and reactor of the mudu runtime.
//!
//! Each [`Runtime`] is one event loop on one thread (muduo's "one loop per thread"): a run queue of tasks,
//! a `mio` reactor, and a timer wheel whose next deadline is the poll's timeout. Tasks never migrate, so
//! they need not be `Send`; other threads hand work to a loop through its [`Handle`]. Calls that would
//! block the loop go to a small thread pool through [`spawn_blocking`].
//!
//! ```
//! mudu_runtime::block_on(async {
//!     let task = mudu_runtime::spawn(async { "hello" });
//!     assert_eq!(task.await.unwrap(), "hello");
//! });
//! ```

pub mod blocking;
mod builder;
mod context;
mod core;
mod handle;
mod inject;
mod io_source;
mod main_waker;
mod parker;
mod pool;
mod reactor;
mod run_queue;
mod runtime;
mod shared;
mod sync;
pub mod task;
mod task_list;

pub use blocking::{spawn_blocking, BlockingHandle};
pub use builder::Builder;
pub use handle::Handle;
pub use pool::LoopPool;
pub use runtime::Runtime;
pub use task::{JoinError, JoinHandle};

/// Readiness-based I/O on a loop's reactor, for building I/O types.
pub mod io {
    pub use crate::io_source::IoSource;
    pub use crate::reactor::{Direction, Ready, ReadyEvent, ReadyWait, Registration, ReleaseWatch};
}

use std::future::Future;

/// Spawns `future` on the current thread's loop. The future need not be `Send`: it runs on this thread only.
///
/// # Panics
/// Outside a mudu runtime (no loop runs on this thread).
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    context::with_core(|core| core.spawn(future)).expect(
        "`mudu::spawn` called outside of a mudu runtime: call it from inside `block_on` or a task",
    )
}

/// Builds a runtime on this thread, runs `future` to completion on it, and drops the runtime.
///
/// # Panics
/// When the runtime cannot be created (the OS refused an epoll instance or eventfd), or inside a runtime.
pub fn block_on<F: Future>(future: F) -> F::Output {
    Runtime::new()
        .expect("failed to create a mudu runtime")
        .block_on(future)
}

#[cfg(all(test, loom))]
mod loom_anchor;
#[cfg(all(test, loom))]
mod loom_park;
