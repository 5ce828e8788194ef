//! mudu: an async runtime with one event loop per thread, after muduo's reactor design.
//!
//! - [`Runtime`] is one loop on the current thread: an executor for futures that need not be `Send`, a
//!   `mio` reactor, and a hierarchical timing wheel.
//! - [`Handle`] lets other threads spawn work onto a loop (muduo's `queueInLoop`).
//! - [`time`] holds `sleep`, `timeout` and `interval`, and a virtual clock for exact, instant tests.
//! - [`net`] holds TCP and muduo's connection layer.
//!
//! ```
//! let answer = mudu::block_on(async {
//!     let task = mudu::spawn(async { 40 + 2 });
//!     task.await.unwrap()
//! });
//! assert_eq!(answer, 42);
//! ```
#![forbid(unsafe_code)]

pub use mudu_net as net;
pub use mudu_runtime::spawn_blocking;
pub use mudu_runtime::{
    block_on, io, spawn, task, Builder, Handle, JoinError, JoinHandle, LoopPool, Runtime,
};
pub use mudu_timer::time;
