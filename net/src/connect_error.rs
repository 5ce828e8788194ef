//! `ConnectError` and `ConnectErrorKind`: why one attempt to connect failed.
//!
//! Rules:
//! - Every failed attempt yields one `ConnectError` naming the target
//!   address, the 1-based attempt number, a [`ConnectErrorKind`] that says
//!   what went wrong in terms a retry loop can act on, and the underlying
//!   `io::Error` (the kernel's errno where there is one; a synthetic error for
//!   the failures mudu itself detects: self-connect, timeout, stop).
//! - [`ConnectErrorKind::is_retryable`] is the single source of the retry
//!   decision: the errno classifier only ever pairs a retryable kind with a
//!   retry, and a fatal kind with giving up.
//! - `ConnectError` converts into `io::Error` (so `?` works in `io::Result`
//!   code) with the mapping below; the `ConnectError` rides inside as the
//!   payload, so the address stays in the message and can be downcast back.
//!
//! ```text
//! ConnectErrorKind   io::ErrorKind          why
//! -----------------  ---------------------  ---------------------------------
//! Refused            ConnectionRefused
//! Unreachable        NetworkUnreachable     for ENETUNREACH and ENETDOWN
//!                    HostUnreachable        for every other cause
//! AddrInUse          AddrInUse
//! AddrNotAvailable   AddrNotAvailable
//! WouldBlock         AddrNotAvailable       EAGAIN from a TCP connect means no
//!                                           free local port; WouldBlock would
//!                                           read as "not ready yet" to I/O loops
//! SelfConnect        ConnectionRefused      nobody listened on the target; the
//!                                           kernel joined the socket to itself
//! TimedOut           TimedOut
//! OutOfResources     the io::Error's own kind  OutOfMemory for ENOMEM
//! PermissionDenied   PermissionDenied
//! UnsupportedFamily  Unsupported
//! Stopped            Other                  not Interrupted: loops retry that
//! InvalidAddress     InvalidInput           malformed target, or no address
//! Resolve            the resolver's kind
//! Other              the io::Error's own kind
//! ```
//!
//! The two unreachable kinds are taken from std's own errno mapping, so they
//! need no newer compiler than the crate's minimum.

use std::error::Error;
use std::fmt;
use std::io;
use std::net::SocketAddr;

/// What went wrong with one connect attempt, coarse enough to act on.
///
/// ```
/// use mudu_net::ConnectErrorKind;
///
/// assert!(ConnectErrorKind::Refused.is_retryable());
/// assert!(!ConnectErrorKind::PermissionDenied.is_retryable());
/// assert_eq!(ConnectErrorKind::SelfConnect.to_string(), "connected to itself");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConnectErrorKind {
    /// Nobody listens there (`ECONNREFUSED`), or the peer reset the handshake.
    Refused,
    /// No route to the network or host (`ENETUNREACH`, `EHOSTUNREACH`, ...).
    Unreachable,
    /// The local address is in use (`EADDRINUSE`).
    AddrInUse,
    /// No usable local address or port (`EADDRNOTAVAIL`).
    AddrNotAvailable,
    /// The kernel had no resources for the attempt right now (`EAGAIN`).
    WouldBlock,
    /// The socket connected to itself: local address equal to peer address.
    SelfConnect,
    /// The handshake timed out, in the kernel (`ETIMEDOUT`) or by mudu's timer.
    TimedOut,
    /// The process or the system ran out of what a socket needs: descriptors (`EMFILE`, `ENFILE`),
    /// socket buffers or memory (`ENOBUFS`, `ENOMEM`), or room in the loop's epoll set (`ENOSPC`).
    /// Retried: these come back as other connections close.
    OutOfResources,
    /// The system forbids this connection (`EACCES`, `EPERM`).
    PermissionDenied,
    /// The host cannot use the address family (`EAFNOSUPPORT`).
    UnsupportedFamily,
    /// The caller stopped connecting.
    Stopped,
    /// The target is malformed (`"host"` with no port, a bad port, unbalanced brackets) or named no
    /// address at all, and no attempt was made; or it is an IPv6 link-local address without a scope
    /// id (`[fe80::1]:80`), which the attempt's `connect()` refused with `EINVAL`.
    InvalidAddress,
    /// The host name could not be resolved (the resolver failed, or answered "try again"). No attempt
    /// was made; a later lookup may succeed.
    Resolve,
    /// Anything else; never retried.
    Other,
}

impl ConnectErrorKind {
    /// Whether a fresh socket may succeed later: true for refused,
    /// unreachable, address in use or not available, would block,
    /// self-connect, timed out, out of resources and a failed name lookup;
    /// false for the rest.
    pub fn is_retryable(self) -> bool {
        use ConnectErrorKind::*;
        match self {
            Refused | Unreachable | AddrInUse | AddrNotAvailable | WouldBlock | SelfConnect
            | TimedOut | OutOfResources | Resolve => true,
            PermissionDenied | UnsupportedFamily | Stopped | InvalidAddress | Other => false,
        }
    }

    /// A short lower-case description, as used by `Display`.
    pub fn as_str(self) -> &'static str {
        use ConnectErrorKind::*;
        match self {
            Refused => "connection refused",
            Unreachable => "unreachable",
            AddrInUse => "address in use",
            AddrNotAvailable => "address not available",
            WouldBlock => "no resources right now",
            SelfConnect => "connected to itself",
            TimedOut => "timed out",
            OutOfResources => "out of descriptors or memory",
            PermissionDenied => "permission denied",
            UnsupportedFamily => "address family not supported",
            Stopped => "stopped",
            InvalidAddress => "invalid address",
            Resolve => "name resolution failed",
            Other => "other error",
        }
    }
}

impl fmt::Display for ConnectErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One failed connect attempt: address, attempt number, kind and cause.
///
/// ```
/// use mudu_net::{ConnectError, ConnectErrorKind};
///
/// let addr = "127.0.0.1:9981".parse().unwrap();
/// let err = ConnectError::from_errno(addr, 3, ConnectErrorKind::Refused, libc::ECONNREFUSED);
/// assert_eq!(err.attempt(), 3);
/// assert!(err.is_retryable());
/// assert_eq!(
///     err.to_string(),
///     "connect to 127.0.0.1:9981 failed (attempt 3): connection refused (os error 111)"
/// );
/// let io: std::io::Error = err.into();
/// assert_eq!(io.kind(), std::io::ErrorKind::ConnectionRefused);
/// ```
#[derive(Debug)]
pub struct ConnectError {
    addr: SocketAddr,
    attempt: u32,
    kind: ConnectErrorKind,
    error: io::Error,
}

impl ConnectError {
    /// An error of `kind` caused by `error`, for attempt `attempt` (1-based).
    pub fn new(addr: SocketAddr, attempt: u32, kind: ConnectErrorKind, error: io::Error) -> Self {
        ConnectError {
            addr,
            attempt,
            kind,
            error,
        }
    }

    /// An error of `kind` caused by the OS error `errno`.
    pub fn from_errno(addr: SocketAddr, attempt: u32, kind: ConnectErrorKind, errno: i32) -> Self {
        Self::new(addr, attempt, kind, io::Error::from_raw_os_error(errno))
    }

    /// The socket connected to itself (found after a successful handshake).
    ///
    /// ```
    /// let addr = "[::1]:40000".parse().unwrap();
    /// let err = mudu_net::ConnectError::self_connect(addr, 1);
    /// assert_eq!(err.kind(), mudu_net::ConnectErrorKind::SelfConnect);
    /// assert!(err.to_string().starts_with("connect to [::1]:40000 failed (attempt 1)"));
    /// ```
    pub fn self_connect(addr: SocketAddr, attempt: u32) -> Self {
        let error = io::Error::new(
            io::ErrorKind::ConnectionRefused,
            "socket connected to itself (local address equals peer address)",
        );
        Self::new(addr, attempt, ConnectErrorKind::SelfConnect, error)
    }

    /// The attempt ran out of the time mudu allowed it.
    pub fn timed_out(addr: SocketAddr, attempt: u32) -> Self {
        let error = io::Error::new(io::ErrorKind::TimedOut, "connect attempt timed out");
        Self::new(addr, attempt, ConnectErrorKind::TimedOut, error)
    }

    /// The caller stopped connecting during this attempt or its wait.
    pub fn stopped(addr: SocketAddr, attempt: u32) -> Self {
        let error = io::Error::other("connecting was stopped");
        Self::new(addr, attempt, ConnectErrorKind::Stopped, error)
    }

    /// The target could not be turned into addresses: `error` is the resolver's error, or the
    /// `InvalidInput` error of a malformed target (both quote the target). The kind is
    /// [`InvalidAddress`](ConnectErrorKind::InvalidAddress) for malformed input and for a name with no
    /// address, [`Resolve`](ConnectErrorKind::Resolve) otherwise; the attempt number is 0 (none was made)
    /// and [`addr`](Self::addr) is the unspecified address `0.0.0.0:0`.
    pub fn resolution(error: io::Error) -> Self {
        let kind = match error.kind() {
            io::ErrorKind::InvalidInput | io::ErrorKind::NotFound => {
                ConnectErrorKind::InvalidAddress
            }
            _ => ConnectErrorKind::Resolve,
        };
        let unspecified = SocketAddr::from(([0, 0, 0, 0], 0));
        Self::new(unspecified, 0, kind, error)
    }

    /// The address the attempt tried to reach: with [`attempt`](Self::attempt) 0, the first address the
    /// target named when a deadline ended before any attempt started, or `0.0.0.0:0` when resolution
    /// failed or had not finished by then.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The attempt's number, 1 for the first.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// What went wrong.
    pub fn kind(&self) -> ConnectErrorKind {
        self.kind
    }

    /// The underlying error (an OS error where the kernel reported one).
    pub fn io_error(&self) -> &io::Error {
        &self.error
    }

    /// The underlying error, by value.
    pub fn into_io_error(self) -> io::Error {
        self.error
    }

    /// Whether a new attempt may succeed; see [`ConnectErrorKind::is_retryable`].
    pub fn is_retryable(&self) -> bool {
        self.kind.is_retryable()
    }

    /// The `io::ErrorKind` this error converts to (see the module's table).
    pub fn io_kind(&self) -> io::ErrorKind {
        use ConnectErrorKind::*;
        match self.kind {
            Refused | SelfConnect => io::ErrorKind::ConnectionRefused,
            Unreachable => {
                let net = matches!(
                    self.error.raw_os_error(),
                    Some(libc::ENETUNREACH | libc::ENETDOWN)
                );
                let errno = if net {
                    libc::ENETUNREACH
                } else {
                    libc::EHOSTUNREACH
                };
                io::Error::from_raw_os_error(errno).kind()
            }
            AddrInUse => io::ErrorKind::AddrInUse,
            AddrNotAvailable | WouldBlock => io::ErrorKind::AddrNotAvailable,
            TimedOut => io::ErrorKind::TimedOut,
            PermissionDenied => io::ErrorKind::PermissionDenied,
            UnsupportedFamily => io::ErrorKind::Unsupported,
            Stopped => io::ErrorKind::Other,
            InvalidAddress => io::ErrorKind::InvalidInput,
            OutOfResources | Resolve | Other => self.error.kind(),
        }
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `0.0.0.0:0` stands for "no address" (resolution failed or was cut short); `0.0.0.0:80` is a
        // target (Linux connects it to the local host).
        if self.attempt == 0 && self.addr == SocketAddr::from(([0, 0, 0, 0], 0)) {
            f.write_str("connect failed before any attempt: ")?;
        } else if self.attempt == 0 {
            write!(f, "connect to {} failed before any attempt: ", self.addr)?;
        } else {
            write!(
                f,
                "connect to {} failed (attempt {}): ",
                self.addr, self.attempt
            )?;
        }
        // "Connection refused (os error 111)" reads as "connection refused ..."
        // inside a sentence; words like "EOF" keep their capitals.
        let cause = self.error.to_string();
        let mut chars = cause.chars();
        match (chars.next(), chars.next()) {
            (Some(first), Some(second))
                if first.is_ascii_uppercase() && second.is_ascii_lowercase() =>
            {
                write!(f, "{}{}", first.to_ascii_lowercase(), &cause[1..])
            }
            _ => f.write_str(&cause),
        }
    }
}

impl Error for ConnectError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.error)
    }
}

/// Keeps a sensible `io::ErrorKind` (see the module's table) and carries the
/// `ConnectError` itself, so the message names the address and
/// `get_ref()`/`into_inner()` give the details back.
impl From<ConnectError> for io::Error {
    fn from(err: ConnectError) -> io::Error {
        io::Error::new(err.io_kind(), err)
    }
}

#[cfg(test)]
mod tests;
