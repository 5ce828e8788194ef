//! [`ConnectMachine`]: one connect attempt as a state machine over data.
//!
//! ```text
//!                ConnectReturned(errno)
//!   +------+  Connecting: WaitWritable   +------------+
//!   | Idle | --------------------------> | Connecting | <--+ Writable, not yet
//!   +------+                             +------------+ ---+ connected:
//!      |                                   |        |        WaitWritable
//!      | Retry/Fatal:                      |        | SO_ERROR 0, peer known,
//!      | CloseAndRetry/Fail                |        | local != peer:
//!      v                                   |        v Done
//!   +--------+  SO_ERROR Retry/Fatal,      |   +-----------+
//!   | Failed | <---------------------------+   | Connected |
//!   +--------+  or local == peer (SelfConnect) +-----------+
//! ```
//!
//! The `Writable` input carries what the I/O layer reads once the socket is
//! writable: `SO_ERROR`, the local address, and the peer address (or the
//! errno of `getpeername`). It is judged in this order:
//!
//! 1. `SO_ERROR` by the errno table ([`classify`]): a retry or fatal errno
//!    fails the attempt; a "connecting" errno (0 included) goes on.
//! 2. the peer: `ENOTCONN` means the handshake has not finished (a spurious
//!    wake-up: wait for the next writable event, as mio advises); another
//!    errno is judged by the table.
//! 3. self-connect: a local address equal to the peer address (same IP,
//!    IPv4-mapped IPv6 read as IPv4, same port; flow info and scope id are
//!    ignored as muduo does) fails the attempt with the retryable
//!    `SelfConnect`, with [`Failure::abort_close`] set: the socket is an
//!    established connection and a plain close would leave it in
//!    `TIME_WAIT` on the very port a server wants to bind, so the I/O layer
//!    must close it with `SO_LINGER` 0 (a reset).
//!
//! Rules: `Connected` and `Failed` are final. An input the current state does
//! not expect is refused with [`UnexpectedInput`] and changes nothing. The
//! machine is a plain `Copy` value: no I/O, no clock, any thread.

use std::error::Error;
use std::fmt;
use std::net::SocketAddr;

use super::errno::{classify, Disposition};
use crate::{ConnectError, ConnectErrorKind};

/// The two ends of an established connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Connected {
    /// The socket's own address (`getsockname`).
    pub local: SocketAddr,
    /// The address it is connected to (`getpeername`).
    pub peer: SocketAddr,
}

/// Why an attempt failed, and how to close its socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Failure {
    /// What went wrong.
    pub kind: ConnectErrorKind,
    /// The errno behind it; `None` when mudu detected it (self-connect).
    pub errno: Option<i32>,
    /// Close with `SO_LINGER` 0 (send a reset) instead of a plain close, so
    /// that no `TIME_WAIT` is left behind. Set for a self-connect only: a
    /// failed handshake leaves no connection to linger.
    pub abort_close: bool,
}

impl Failure {
    /// Whether a new attempt may succeed.
    pub fn is_retryable(&self) -> bool {
        self.kind.is_retryable()
    }

    /// The [`ConnectError`] for attempt `attempt` to `addr`.
    ///
    /// ```
    /// use mudu_net::connect::Failure;
    /// use mudu_net::ConnectErrorKind;
    ///
    /// let failure = Failure { kind: ConnectErrorKind::Refused, errno: Some(libc::ECONNREFUSED), abort_close: false };
    /// let err = failure.into_error("127.0.0.1:1".parse().unwrap(), 2);
    /// assert_eq!(err.io_error().raw_os_error(), Some(libc::ECONNREFUSED));
    /// ```
    pub fn into_error(self, addr: SocketAddr, attempt: u32) -> ConnectError {
        match (self.errno, self.kind) {
            (Some(errno), kind) => ConnectError::from_errno(addr, attempt, kind, errno),
            (None, ConnectErrorKind::TimedOut) => ConnectError::timed_out(addr, attempt),
            (None, ConnectErrorKind::Stopped) => ConnectError::stopped(addr, attempt),
            (None, _) => ConnectError::self_connect(addr, attempt),
        }
    }
}

/// Where an attempt stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConnectState {
    /// The socket exists; `connect()` has not returned yet.
    Idle,
    /// The handshake is under way; waiting for the socket to be writable.
    Connecting,
    /// Final: the socket is connected and not to itself.
    Connected(Connected),
    /// Final: the attempt failed; the socket must be closed.
    Failed(Failure),
}

impl ConnectState {
    /// The state's name, without its data.
    pub fn name(&self) -> &'static str {
        match self {
            ConnectState::Idle => "Idle",
            ConnectState::Connecting => "Connecting",
            ConnectState::Connected(_) => "Connected",
            ConnectState::Failed(_) => "Failed",
        }
    }
}

/// What the I/O layer observed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConnectInput {
    /// `connect()` returned: 0 on success, else its errno.
    ConnectReturned(i32),
    /// The socket became writable; what was read back from it.
    Writable {
        /// `getsockopt(SO_ERROR)`: 0 or a pending errno.
        so_error: i32,
        /// `getsockname`.
        local: SocketAddr,
        /// `getpeername`, or its errno (`ENOTCONN`: not connected yet).
        peer: Result<SocketAddr, i32>,
    },
}

impl ConnectInput {
    /// The input's name, without its data.
    pub fn name(&self) -> &'static str {
        match self {
            ConnectInput::ConnectReturned(_) => "ConnectReturned",
            ConnectInput::Writable { .. } => "Writable",
        }
    }
}

/// What the I/O layer must do next.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConnectAction {
    /// Wait until the socket is writable, then feed `Writable`.
    WaitWritable,
    /// Connected: hand the socket out.
    Done(Connected),
    /// Close the socket (with a reset if `abort_close`), wait, retry.
    CloseAndRetry(Failure),
    /// Close the socket and report the failure; no retry.
    CloseAndFail(Failure),
}

/// An input the machine's state does not accept (a bug in the caller).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnexpectedInput {
    state: &'static str,
    input: &'static str,
}

impl UnexpectedInput {
    /// The name of the state that refused the input (left unchanged).
    pub fn state(&self) -> &'static str {
        self.state
    }

    /// The name of the refused input.
    pub fn input(&self) -> &'static str {
        self.input
    }
}

impl fmt::Display for UnexpectedInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "connect state machine got {} in state {}",
            self.input, self.state
        )
    }
}

impl Error for UnexpectedInput {}

/// One connect attempt's state machine; see the module docs.
///
/// ```
/// use mudu_net::connect::{ConnectAction, ConnectInput, ConnectMachine};
/// use mudu_net::ConnectErrorKind;
///
/// // A socket bound to 127.0.0.1:40000 that connected to 127.0.0.1:40000.
/// let me = "127.0.0.1:40000".parse().unwrap();
/// let mut attempt = ConnectMachine::new();
/// attempt.handle(ConnectInput::ConnectReturned(libc::EINPROGRESS)).unwrap();
/// let action = attempt.handle(ConnectInput::Writable { so_error: 0, local: me, peer: Ok(me) }).unwrap();
/// let ConnectAction::CloseAndRetry(failure) = action else { panic!() };
/// assert_eq!(failure.kind, ConnectErrorKind::SelfConnect);
/// assert!(failure.abort_close);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectMachine {
    state: ConnectState,
}

impl ConnectMachine {
    /// A machine for a fresh socket, in `Idle`.
    pub fn new() -> Self {
        ConnectMachine {
            state: ConnectState::Idle,
        }
    }

    /// The current state.
    pub fn state(&self) -> ConnectState {
        self.state
    }

    /// Whether the state is final (`Connected` or `Failed`).
    pub fn is_finished(&self) -> bool {
        matches!(
            self.state,
            ConnectState::Connected(_) | ConnectState::Failed(_)
        )
    }

    /// Feeds one observation in; returns the next action, or
    /// [`UnexpectedInput`] (state unchanged) if the state does not take it.
    pub fn handle(&mut self, input: ConnectInput) -> Result<ConnectAction, UnexpectedInput> {
        let action = match (self.state, input) {
            (ConnectState::Idle, ConnectInput::ConnectReturned(errno)) => match classify(errno) {
                Disposition::Connecting => ConnectAction::WaitWritable,
                other => fail(other, errno),
            },
            (
                ConnectState::Connecting,
                ConnectInput::Writable {
                    so_error,
                    local,
                    peer,
                },
            ) => on_writable(so_error, local, peer),
            (state, input) => {
                return Err(UnexpectedInput {
                    state: state.name(),
                    input: input.name(),
                })
            }
        };
        self.state = match action {
            ConnectAction::WaitWritable => ConnectState::Connecting,
            ConnectAction::Done(connected) => ConnectState::Connected(connected),
            ConnectAction::CloseAndRetry(failure) | ConnectAction::CloseAndFail(failure) => {
                ConnectState::Failed(failure)
            }
        };
        Ok(action)
    }
}

impl Default for ConnectMachine {
    fn default() -> Self {
        Self::new()
    }
}

/// The action for a failing disposition (never called with `Connecting`).
fn fail(disposition: Disposition, errno: i32) -> ConnectAction {
    let failure = |kind| Failure {
        kind,
        errno: Some(errno),
        abort_close: false,
    };
    match disposition {
        Disposition::Retry(kind) => ConnectAction::CloseAndRetry(failure(kind)),
        Disposition::Fatal(kind) => ConnectAction::CloseAndFail(failure(kind)),
        Disposition::Connecting => ConnectAction::WaitWritable,
    }
}

/// Steps 1 to 3 of the module docs.
fn on_writable(so_error: i32, local: SocketAddr, peer: Result<SocketAddr, i32>) -> ConnectAction {
    match classify(so_error) {
        Disposition::Connecting => {}
        other => return fail(other, so_error),
    }
    let peer = match peer {
        Ok(peer) => peer,
        Err(libc::ENOTCONN) => return ConnectAction::WaitWritable,
        Err(errno) => return fail(classify(errno), errno),
    };
    if is_self_connect(local, peer) {
        return ConnectAction::CloseAndRetry(Failure {
            kind: ConnectErrorKind::SelfConnect,
            errno: None,
            abort_close: true,
        });
    }
    ConnectAction::Done(Connected { local, peer })
}

/// Same IP (IPv4-mapped IPv6 taken as IPv4) and same port.
fn is_self_connect(local: SocketAddr, peer: SocketAddr) -> bool {
    local.port() == peer.port() && local.ip().to_canonical() == peer.ip().to_canonical()
}

#[cfg(test)]
mod tests;
