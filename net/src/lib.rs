//! Networking for the mudu runtime: TCP on the loop, and the pure cores it
//! is built on.
//!
//! - [`TcpStream`], [`TcpListener`], [`TcpSocket`], the split halves and
//!   [`Incoming`]: sockets owned by the loop of the thread that made them
//!   (`!Send`), with readiness from the runtime's reactor. `connect` drives
//!   the pure state machine below with real sockets and never hands out a
//!   socket connected to itself; `accept` survives `ECONNABORTED` and
//!   descriptor exhaustion; writes never raise `SIGPIPE`.
//! - [`TcpServer`]: a listener whose connections are served on the
//!   accepting loop or spread over a pool of loops; [`Connector`] and
//!   [`TcpClient`]: connecting with retries and backoff, and reconnecting.
//! - [`Connector`]: connects to one address, retrying on the loop's timer
//!   wheel after [`Backoff`]'s delays, stoppable from any thread through
//!   [`ConnectorHandle`], reporting each step as a [`ConnectorEvent`].
//! - [`TcpClient`]: keeps a connection up, running a handler on each one and
//!   reconnecting when it ends; [`ClientHandle`] disconnects, stops and
//!   watches it ([`ClientState`]) from any thread. Events and states arrive
//!   through [`Subscription`] streams.
//!
//! The rest keeps the decisions apart from the I/O: nothing below opens a
//! socket; name lookups run on the runtime's blocking pool and the Happy
//! Eyeballs race waits on the loop's timers, and that is all. The I/O layer
//! makes the system calls and asks these types what the results mean and
//! what to do next, which is what lets every branch be tested without a
//! kernel, on the virtual clock.
//!
//! - [`Buffer`]: a connection's byte buffer, after muduo's: a cheap prepend
//!   area, compaction before growth, and reads that spill into a 64 KiB
//!   overflow area so one call takes a whole burst.
//! - [`connect`]: one non-blocking connect attempt as a state machine, with
//!   the errno table ([`connect::classify`]) and self-connect detection.
//! - [`ConnectError`] and [`ConnectErrorKind`]: why an attempt failed, with
//!   the address and attempt number, convertible into `io::Error`.
//! - [`Backoff`] and [`Jitter`]: the delays between attempts; muduo's 500 ms
//!   doubling to 30 s by default, with optional jitter, attempt limit and
//!   deadline.
//! - [`ToSocketAddrs`] and [`lookup_host`]: connect targets; literals become
//!   addresses at once, host names are resolved on the runtime's blocking
//!   pool, never on the loop.
//! - [`happy_eyeballs`]: RFC 8305 racing of attempts over several addresses.
//!
//! ```
//! use mudu_net::connect::{classify, Disposition};
//! use mudu_net::{Backoff, ConnectError};
//!
//! // A retry loop's decisions, without any I/O.
//! let target = "127.0.0.1:9981".parse().unwrap();
//! let mut backoff = Backoff::default().max_attempts(3);
//! let mut waited = Vec::new();
//! loop {
//!     let errno = libc::ECONNREFUSED; // what connect() said this time
//!     let Disposition::Retry(kind) = classify(errno) else { unreachable!() };
//!     let err = ConnectError::from_errno(target, backoff.attempt(), kind, errno);
//!     match backoff.next_delay() {
//!         Some(delay) => waited.push(delay.as_millis()),
//!         None => {
//!             assert_eq!(err.attempt(), 3);
//!             break;
//!         }
//!     }
//! }
//! assert_eq!(waited, [500, 1000]);
//! ```
#![forbid(unsafe_code)]

mod addr;
mod backoff;
mod broadcast;
mod buffer;
mod client;
pub mod connect;
mod connect_error;
mod connector;
pub mod happy_eyeballs;
mod log;
mod server;
mod signals;
mod splitmix;
mod tcp;

pub use addr::{lookup_host, ToSocketAddrs};
pub use backoff::{Backoff, Jitter};
pub use broadcast::Subscription;
pub use buffer::Buffer;
pub use client::{ClientHandle, ClientState, DisconnectReason, TcpClient};
pub use connect_error::{ConnectError, ConnectErrorKind};
pub use connector::{Connector, ConnectorEvent, ConnectorHandle};
pub use server::TcpServer;
pub use tcp::{
    Incoming, OwnedReadHalf, OwnedWriteHalf, ReadHalf, ReuniteError, TcpListener, TcpSocket,
    TcpStream, WriteHalf, ACCEPT_BACKOFF, DEFAULT_BACKLOG,
};
