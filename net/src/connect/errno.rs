//! The errno table of a non-blocking connect: [`classify`].
//!
//! The same table judges the errno `connect()` returns and the one read back
//! with `SO_ERROR` once the socket is writable. It is muduo's table, plus
//! dispositions for the errnos muduo leaves to its default branch ("give up")
//! but that real networks produce while a route or host is briefly missing:
//!
//! ```text
//! errno                        disposition  kind               origin
//! ---------------------------  -----------  -----------------  ------------
//! 0, EINPROGRESS, EINTR,       Connecting   -                  muduo
//!   EISCONN
//! EAGAIN                       Retry        WouldBlock         muduo
//! EADDRINUSE                   Retry        AddrInUse          muduo
//! EADDRNOTAVAIL                Retry        AddrNotAvailable   muduo
//! ECONNREFUSED                 Retry        Refused            muduo
//! ENETUNREACH                  Retry        Unreachable        muduo
//! EHOSTUNREACH                 Retry        Unreachable        mudu
//! EHOSTDOWN, ENETDOWN          Retry        Unreachable        mudu
//! EINVAL                       Retry        Unreachable        mudu
//! ETIMEDOUT                    Retry        TimedOut           mudu
//! ECONNRESET                   Retry        Refused            mudu
//! EMFILE, ENFILE, ENOBUFS,     Retry        OutOfResources     mudu
//!   ENOMEM, ENOSPC
//! EACCES, EPERM                Fatal        PermissionDenied   muduo
//! EAFNOSUPPORT                 Fatal        UnsupportedFamily  muduo
//! EALREADY, EBADF, EFAULT,     Fatal        Other              muduo
//!   ENOTSOCK, anything else
//! ```
//!
//! Why the additions retry:
//! - `EHOSTUNREACH`: an `unreachable` route, or a neighbour that never
//!   answers ARP/neighbour discovery (a host that is down or rebooting).
//!   Both end when the route is restored or the host comes back.
//! - `EHOSTDOWN`, `ENETDOWN`: the host or the local interface is down; the
//!   same kind of passing condition.
//! - `EINVAL`: on Linux a `blackhole` route makes `connect()` fail with
//!   `EINVAL`. The address and its length are always well formed here (they
//!   come from a `SocketAddr`; an IPv4 peer is dialled on an IPv4 socket, or
//!   in its IPv4-mapped form on a caller's dual-stack IPv6 socket, and a
//!   v6-only socket fails with `EAFNOSUPPORT` before `connect()`), so
//!   `EINVAL` speaks about the route, and routes change (a failover, a VPN
//!   coming up). Two `EINVAL`s that no route mends are told apart by the
//!   attempt, which knows the socket and the target, and given up: an IPv6
//!   link-local target without a scope id (`InvalidAddress`), and a socket
//!   the caller bound to a loopback address dialling a peer that is not one
//!   (`Other`).
//! - `ETIMEDOUT`: the kernel gave up retransmitting the SYN: the host is down
//!   or packets are dropped on the way; both may pass.
//! - `ECONNRESET` during the handshake: the peer answered with a reset, as a
//!   refusal does.
//! - `EMFILE`, `ENFILE` (no descriptor for the socket), `ENOBUFS`, `ENOMEM`
//!   (no socket buffer or kernel memory), `ENOSPC` (epoll's watch limit, met
//!   when the socket is registered): the process or the host is out of
//!   resources. Nothing is wrong with the target, and the resources come
//!   back as connections close. Giving up would leave a reconnecting client
//!   dead after a burst that filled the process's descriptor table. (muduo
//!   aborts the process when it cannot create the socket.)
//!
//! Errors of the steps around `connect()` that are not its answer (making
//! the socket, a caller's `bind` in a socket factory, setting options, and
//! after `connect()`, registering with the loop and reading the addresses
//! back) follow a shorter table, [`classify_setup`]: only a want of resources or of a local
//! address may pass, and everything else, `EINVAL` first, is the caller's
//! mistake, which no retry mends.
//!
//! ```text
//! errno                        disposition  kind
//! ---------------------------  -----------  -----------------
//! EMFILE, ENFILE, ENOBUFS,     Retry        OutOfResources
//!   ENOMEM, ENOSPC
//! EADDRINUSE                   Retry        AddrInUse
//! EADDRNOTAVAIL                Retry        AddrNotAvailable
//! EACCES, EPERM                Fatal        PermissionDenied
//! EAFNOSUPPORT                 Fatal        UnsupportedFamily
//! anything else (EINVAL, ...)  Fatal        Other
//! ```
//!
//! Rules: a `Retry` always carries a kind for which
//! [`ConnectErrorKind::is_retryable`] is true and a `Fatal` one for which it is
//! false; `classify` is pure and cheap, callable from any thread.

use crate::ConnectErrorKind;

/// What an errno means for a connect attempt.
///
/// ```
/// use mudu_net::connect::{classify, Disposition};
/// use mudu_net::ConnectErrorKind;
///
/// assert_eq!(classify(libc::EINPROGRESS), Disposition::Connecting);
/// assert_eq!(classify(libc::ECONNREFUSED), Disposition::Retry(ConnectErrorKind::Refused));
/// assert_eq!(classify(libc::EACCES), Disposition::Fatal(ConnectErrorKind::PermissionDenied));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Disposition {
    /// In progress (or done): wait until the socket is writable, then check.
    Connecting,
    /// Failed; close the socket and try again later with a new one.
    Retry(ConnectErrorKind),
    /// Failed; close the socket and give up.
    Fatal(ConnectErrorKind),
}

impl Disposition {
    /// The failure's kind, or `None` for `Connecting`.
    pub fn kind(self) -> Option<ConnectErrorKind> {
        match self {
            Disposition::Connecting => None,
            Disposition::Retry(kind) | Disposition::Fatal(kind) => Some(kind),
        }
    }
}

/// Classifies an errno from `connect()` or `SO_ERROR` by the module's table.
///
/// ```
/// use mudu_net::connect::{classify, Disposition};
/// use mudu_net::ConnectErrorKind;
///
/// // A blackhole route: retried, the route may come back.
/// assert_eq!(classify(libc::EINVAL), Disposition::Retry(ConnectErrorKind::Unreachable));
/// // Unknown errnos give up.
/// assert_eq!(classify(100_000), Disposition::Fatal(ConnectErrorKind::Other));
/// ```
pub fn classify(errno: i32) -> Disposition {
    use ConnectErrorKind as K;
    use Disposition::{Connecting, Fatal, Retry};
    match errno {
        0 | libc::EINPROGRESS | libc::EINTR | libc::EISCONN => Connecting,
        libc::EAGAIN => Retry(K::WouldBlock),
        libc::EADDRINUSE => Retry(K::AddrInUse),
        libc::EADDRNOTAVAIL => Retry(K::AddrNotAvailable),
        libc::ECONNREFUSED | libc::ECONNRESET => Retry(K::Refused),
        libc::ENETUNREACH
        | libc::EHOSTUNREACH
        | libc::EHOSTDOWN
        | libc::ENETDOWN
        | libc::EINVAL => Retry(K::Unreachable),
        libc::ETIMEDOUT => Retry(K::TimedOut),
        libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM | libc::ENOSPC => {
            Retry(K::OutOfResources)
        }
        libc::EACCES | libc::EPERM => Fatal(K::PermissionDenied),
        libc::EAFNOSUPPORT => Fatal(K::UnsupportedFamily),
        _ => Fatal(K::Other),
    }
}

/// Classifies an errno from the steps around `connect()` that are not its answer (socket, bind,
/// options, registration with the loop, reading the addresses back) by the
/// module's second table: only a want of resources or of the local address is retried.
///
/// ```
/// use mudu_net::connect::{classify_setup, Disposition};
/// use mudu_net::ConnectErrorKind;
///
/// // A socket factory that ran out of descriptors: retried.
/// assert_eq!(classify_setup(libc::EMFILE), Disposition::Retry(ConnectErrorKind::OutOfResources));
/// // A bind no network change mends (a link-local address without a scope id).
/// assert_eq!(classify_setup(libc::EINVAL), Disposition::Fatal(ConnectErrorKind::Other));
/// ```
pub fn classify_setup(errno: i32) -> Disposition {
    use ConnectErrorKind as K;
    use Disposition::{Fatal, Retry};
    match errno {
        libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM | libc::ENOSPC => {
            Retry(K::OutOfResources)
        }
        libc::EADDRINUSE => Retry(K::AddrInUse),
        libc::EADDRNOTAVAIL => Retry(K::AddrNotAvailable),
        libc::EACCES | libc::EPERM => Fatal(K::PermissionDenied),
        libc::EAFNOSUPPORT => Fatal(K::UnsupportedFamily),
        _ => Fatal(K::Other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ConnectErrorKind as K;
    use Disposition::{Connecting, Fatal, Retry};

    const OUT_OF_RESOURCES: [i32; 5] = [
        libc::EMFILE,
        libc::ENFILE,
        libc::ENOBUFS,
        libc::ENOMEM,
        libc::ENOSPC,
    ];

    #[test]
    fn connecting_errnos() {
        for errno in [0, libc::EINPROGRESS, libc::EINTR, libc::EISCONN] {
            assert_eq!(classify(errno), Connecting, "errno {errno}");
            assert_eq!(classify(errno).kind(), None);
        }
    }

    #[test]
    fn muduo_retry_errnos() {
        assert_eq!(classify(libc::EAGAIN), Retry(K::WouldBlock));
        assert_eq!(classify(libc::EADDRINUSE), Retry(K::AddrInUse));
        assert_eq!(classify(libc::EADDRNOTAVAIL), Retry(K::AddrNotAvailable));
        assert_eq!(classify(libc::ECONNREFUSED), Retry(K::Refused));
        assert_eq!(classify(libc::ENETUNREACH), Retry(K::Unreachable));
    }

    #[test]
    fn added_retry_errnos() {
        assert_eq!(classify(libc::EHOSTUNREACH), Retry(K::Unreachable));
        assert_eq!(classify(libc::EHOSTDOWN), Retry(K::Unreachable));
        assert_eq!(classify(libc::ENETDOWN), Retry(K::Unreachable));
        assert_eq!(classify(libc::EINVAL), Retry(K::Unreachable));
        assert_eq!(classify(libc::ETIMEDOUT), Retry(K::TimedOut));
        assert_eq!(classify(libc::ECONNRESET), Retry(K::Refused));
        for errno in OUT_OF_RESOURCES {
            assert_eq!(classify(errno), Retry(K::OutOfResources), "errno {errno}");
        }
    }

    #[test]
    fn fatal_errnos() {
        assert_eq!(classify(libc::EACCES), Fatal(K::PermissionDenied));
        assert_eq!(classify(libc::EPERM), Fatal(K::PermissionDenied));
        assert_eq!(classify(libc::EAFNOSUPPORT), Fatal(K::UnsupportedFamily));
        for errno in [libc::EALREADY, libc::EBADF, libc::EFAULT, libc::ENOTSOCK] {
            assert_eq!(classify(errno), Fatal(K::Other), "errno {errno}");
        }
    }

    #[test]
    fn unknown_errnos_are_fatal() {
        for errno in [
            libc::ENOTCONN,
            libc::EIO,
            libc::EROFS,
            -1,
            4096,
            i32::MAX,
            i32::MIN,
        ] {
            assert_eq!(classify(errno), Fatal(K::Other), "errno {errno}");
        }
    }

    #[test]
    fn retry_and_fatal_agree_with_the_kinds() {
        for errno in -5..200 {
            for disposition in [classify(errno), classify_setup(errno)] {
                match disposition {
                    Connecting => {}
                    Retry(kind) => assert!(kind.is_retryable(), "errno {errno}: {kind:?}"),
                    Fatal(kind) => assert!(!kind.is_retryable(), "errno {errno}: {kind:?}"),
                }
            }
        }
    }

    #[test]
    fn setup_errnos() {
        for errno in OUT_OF_RESOURCES {
            assert_eq!(
                classify_setup(errno),
                Retry(K::OutOfResources),
                "errno {errno}"
            );
        }
        assert_eq!(classify_setup(libc::EADDRINUSE), Retry(K::AddrInUse));
        assert_eq!(
            classify_setup(libc::EADDRNOTAVAIL),
            Retry(K::AddrNotAvailable)
        );
        assert_eq!(classify_setup(libc::EACCES), Fatal(K::PermissionDenied));
        assert_eq!(
            classify_setup(libc::EAFNOSUPPORT),
            Fatal(K::UnsupportedFamily)
        );
        // A caller's bind of a link-local address without a scope id: no route mends it.
        for errno in [
            libc::EINVAL,
            libc::ENETUNREACH,
            libc::ECONNREFUSED,
            libc::EINPROGRESS,
        ] {
            assert_eq!(classify_setup(errno), Fatal(K::Other), "errno {errno}");
        }
    }
}
