//! [`ClientState`] and [`DisconnectReason`]: what a
//! [`TcpClient`](crate::TcpClient) reports through
//! [`ClientHandle::states`](crate::ClientHandle::states).
//!
//! ```text
//!   Connecting --refused--> Retrying{delay} --> Connecting --> Connected{local, peer}
//!        ^                                                          |
//!        |   retry on: reconnect, fresh backoff (after Retrying     v
//!        |   {delay} if the connection ended at once)               |
//!        +--------------------------------------------- Disconnected{reason}
//!                                                                   |
//!                          retry off, stop(), disconnect(), gave up: run() returns
//! ```
//!
//! Rules: plain values, cloned to every subscriber; `Send + Sync`, so a
//! handle on another thread can watch them.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::ConnectErrorKind;

/// A step in a [`TcpClient`](crate::TcpClient)'s life.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum ClientState {
    /// An attempt to connect starts now.
    Connecting,
    /// The attempt failed, or the connection ended as soon as it was made;
    /// the next attempt starts after `delay`.
    Retrying {
        /// The wait, on the runtime's clock.
        delay: Duration,
    },
    /// A connection is up; the handler runs with it.
    Connected {
        /// The connection's own address.
        local: SocketAddr,
        /// The server's address.
        peer: SocketAddr,
    },
    /// The connection ended, or connecting ended without one.
    Disconnected {
        /// Why.
        reason: DisconnectReason,
    },
}

/// Why a [`TcpClient`](crate::TcpClient) is not connected any more.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum DisconnectReason {
    /// The handler returned `Ok(())` (typically at the peer's end-of-file).
    Closed,
    /// The handler returned this error.
    Error(Arc<io::Error>),
    /// [`ClientHandle::disconnect`](crate::ClientHandle::disconnect) ended it:
    /// the handler returned after the half-close, with `Ok(())` or with the
    /// `BrokenPipe` error a write after the half-close gets (any other error
    /// is reported as [`Error`](Self::Error)), or no connection was up.
    Requested,
    /// [`ClientHandle::stop`](crate::ClientHandle::stop) ended it: the
    /// handler was dropped and the connection closed, or connecting stopped.
    Stopped,
    /// Connecting gave up (a fatal error, the attempts limit or the
    /// deadline); `run` returns the error.
    ConnectFailed(ConnectErrorKind),
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DisconnectReason::Closed => f.write_str("closed"),
            DisconnectReason::Error(e) => write!(f, "error: {e}"),
            DisconnectReason::Requested => f.write_str("disconnect requested"),
            DisconnectReason::Stopped => f.write_str("stopped"),
            DisconnectReason::ConnectFailed(kind) => write!(f, "gave up connecting: {kind}"),
        }
    }
}

impl fmt::Display for ClientState {
    /// One line per state, as the reconnect example prints them.
    ///
    /// ```
    /// use mudu_net::ClientState;
    /// use std::time::Duration;
    ///
    /// let state = ClientState::Retrying { delay: Duration::from_millis(500) };
    /// assert_eq!(state.to_string(), "retrying in 500 ms");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientState::Connecting => f.write_str("connecting"),
            ClientState::Retrying { delay } => write!(f, "retrying in {} ms", delay.as_millis()),
            ClientState::Connected { local, peer } => write!(f, "connected {local} -> {peer}"),
            ClientState::Disconnected { reason } => write!(f, "disconnected ({reason})"),
        }
    }
}
