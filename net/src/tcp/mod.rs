//! TCP on the mudu loop: [`TcpStream`], [`TcpListener`], [`TcpSocket`],
//! the halves of a split stream, and [`Incoming`].
//!
//! ```text
//!   TcpSocket --listen--> TcpListener --accept/incoming--> TcpStream
//!       |                                                    ^  |
//!       +------------------connect (attempt.rs)--------------+  +--split/into_split--> halves
//!   TcpStream::connect ----connect (attempt.rs)--------------+
//! ```
//!
//! Rules: every type here belongs to the loop of the thread that created it
//! (`!Send`, `!Sync`); `from_std`/`into_std` move sockets between loops.
//! Only the runtime's reactor touches `mio::Poll`: these types get readiness
//! through [`mudu_runtime::io::IoSource`]. Connecting is the pure
//! [`ConnectMachine`](crate::connect::ConnectMachine) driven with real
//! sockets in `attempt.rs`; the policies around attempts (retries, several
//! addresses, deadlines) are built on `connect_addr` by its callers.

mod accept_backoff;
mod attempt;
mod connect_target;
mod incoming;
#[cfg(any(feature = "futures-io", feature = "tokio-io"))]
mod io_traits;
mod listener;
mod options;
mod socket;
mod spare_fd;
mod split;
mod stream;
mod stream_poll;

/// One connect attempt to one address: what `TcpStream::connect`,
/// `TcpSocket::connect` and any multi-address policy build on.
pub(crate) use attempt::{connect_addr, setup_error};
use connect_target::connect_target;
pub use incoming::Incoming;
pub use listener::{TcpListener, ACCEPT_BACKOFF, DEFAULT_BACKLOG};
pub use socket::TcpSocket;
pub use split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, ReuniteError, WriteHalf};
pub use stream::TcpStream;
