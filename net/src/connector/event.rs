//! [`ConnectorEvent`]: what a [`Connector`](crate::Connector) reports about
//! its retry loop, in the order it happens.
//!
//! ```text
//!   Attempt{1} -> Failed{1} -> RetryScheduled{2, 500 ms} -> Attempt{2} -> ... -> Connected{n}
//!                    \-> (fatal, limit, deadline: connect() returns the error; no RetryScheduled)
//! ```
//!
//! Rules: events are plain `Copy` values published by the connector on its
//! loop; each subscriber gets its own copy (see
//! [`Subscription`](crate::Subscription)). Their `Display` is the log line.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use crate::ConnectErrorKind;

/// One step of a [`Connector`](crate::Connector)'s retry loop.
///
/// ```
/// use mudu_net::ConnectorEvent;
/// use std::time::Duration;
///
/// let addr = "127.0.0.1:9981".parse().unwrap();
/// let event = ConnectorEvent::RetryScheduled { addr, attempt: 3, delay: Duration::from_secs(2) };
/// assert_eq!(event.to_string(), "retry connecting to 127.0.0.1:9981 in 2000 ms");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConnectorEvent {
    /// Attempt number `attempt` (1 for the first) starts now, with a new
    /// socket.
    Attempt {
        /// The target.
        addr: SocketAddr,
        /// The attempt's number.
        attempt: u32,
    },
    /// The attempt failed; its socket is closed. A retry follows only if a
    /// [`RetryScheduled`](Self::RetryScheduled) does.
    Failed {
        /// The target.
        addr: SocketAddr,
        /// The failed attempt's number.
        attempt: u32,
        /// Why it failed.
        kind: ConnectErrorKind,
    },
    /// Attempt number `attempt` will start after `delay`.
    RetryScheduled {
        /// The target.
        addr: SocketAddr,
        /// The number of the attempt that will start after the delay.
        attempt: u32,
        /// The wait, on the runtime's clock.
        delay: Duration,
    },
    /// The attempt connected; the stream is handed to the caller.
    Connected {
        /// The stream's own address.
        local: SocketAddr,
        /// The address it is connected to.
        peer: SocketAddr,
        /// The successful attempt's number.
        attempt: u32,
    },
}

impl ConnectorEvent {
    /// The attempt the event is about.
    pub fn attempt(&self) -> u32 {
        match *self {
            ConnectorEvent::Attempt { attempt, .. }
            | ConnectorEvent::Failed { attempt, .. }
            | ConnectorEvent::RetryScheduled { attempt, .. }
            | ConnectorEvent::Connected { attempt, .. } => attempt,
        }
    }
}

impl fmt::Display for ConnectorEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectorEvent::Attempt { addr, attempt } => {
                write!(f, "connecting to {addr} (attempt {attempt})")
            }
            ConnectorEvent::Failed {
                addr,
                attempt,
                kind,
            } => write!(f, "connect to {addr} failed (attempt {attempt}): {kind}"),
            ConnectorEvent::RetryScheduled { addr, delay, .. } => {
                write!(f, "retry connecting to {addr} in {} ms", delay.as_millis())
            }
            ConnectorEvent::Connected {
                local,
                peer,
                attempt,
            } => write!(f, "connected to {peer} from {local} (attempt {attempt})"),
        }
    }
}
