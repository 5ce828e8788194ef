//! The pure core of a non-blocking TCP connect, after muduo's `Connector`.
//!
//! Nothing here touches a socket, a clock or a runtime: the I/O layer makes
//! the system calls and feeds their results in; this module says what they
//! mean and what to do next. That keeps every branch of the errno table and
//! every transition testable without the kernel.
//!
//! - [`classify`] ([`errno`]) maps an errno from `connect()` or
//!   from `SO_ERROR` to a [`Disposition`]: keep connecting, retry with a new
//!   socket, or give up.
//! - [`ConnectMachine`] ([`state`]) is one attempt's state
//!   machine: `Idle -> Connecting -> Connected | Failed`, with self-connect
//!   detection and the close-with-reset flag for a self-connected socket.
//!
//! Rules: one machine per socket (an attempt); a retry makes a new socket and
//! a new machine. Machines are plain values owned by whoever drives the
//! attempt, on whatever thread that is.
//!
//! ```
//! use mudu_net::connect::{ConnectAction, ConnectInput, ConnectMachine};
//!
//! let local = "127.0.0.1:50000".parse().unwrap();
//! let peer = "127.0.0.1:9981".parse().unwrap();
//! let mut attempt = ConnectMachine::new();
//! let first = attempt.handle(ConnectInput::ConnectReturned(libc::EINPROGRESS)).unwrap();
//! assert_eq!(first, ConnectAction::WaitWritable);
//! let ready = ConnectInput::Writable { so_error: 0, local, peer: Ok(peer) };
//! assert!(matches!(attempt.handle(ready).unwrap(), ConnectAction::Done(c) if c.peer == peer));
//! ```

pub mod errno;
pub mod state;

pub use errno::{classify, classify_setup, Disposition};
pub use state::{
    ConnectAction, ConnectInput, ConnectMachine, ConnectState, Connected, Failure, UnexpectedInput,
};
