//! Connect targets: the inputs a connect accepts and how they become socket addresses.
//!
//! Rules:
//! - A literal (a `SocketAddr`, an IP address with a port, a `"1.2.3.4:80"` or `"[::1]:80"` string, a
//!   list of addresses) is turned into addresses on the calling thread, at once: no thread, no system
//!   call, no wait.
//! - A host name is looked up with the system resolver (`getaddrinfo`, through `std::net::ToSocketAddrs`)
//!   on the runtime's blocking pool, never on the loop thread: a lookup can block for seconds, and the
//!   loop keeps serving its other tasks meanwhile. The result comes back through the awaiting task's
//!   waker (muduo's "resolve on a worker, post the result back with `runInLoop`").
//! - Malformed input is refused before any lookup with `io::ErrorKind::InvalidInput` and a message that
//!   quotes the input.
//!
//! ```text
//!   "host:port" ──► parse as SocketAddr ── ok ──────────────────────────────► [addr]      (no thread)
//!                     │ no
//!                     ▼
//!                   split at the last ':' ── no ':' / bad port / bad [..] ──► InvalidInput
//!                     │
//!                     ▼
//!   (host, port) ─► host an IP literal? ── yes ─────────────────────────────► [addr]      (no thread)
//!                     │ no
//!                     ▼
//!                   spawn_blocking(getaddrinfo(host, port)) ── .await ──────► [addr, ..] (pool thread)
//! ```

use mudu_runtime::spawn_blocking;
use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// Inputs that name where to connect: one or more socket addresses, or a host name and a port.
///
/// Implemented for `SocketAddr`, `SocketAddrV4`, `SocketAddrV6`, `(IpAddr, u16)`, `(Ipv4Addr, u16)`,
/// `(Ipv6Addr, u16)`, `(&str, u16)`, `(String, u16)`, `str` and `String` (`"host:port"`, with IPv6
/// literals in brackets: `"[::1]:80"`), `[SocketAddr]`, `[SocketAddr; N]`, `Vec<SocketAddr>`, and
/// references to any of these. Literal addresses are used as they are; host names are resolved on the
/// blocking pool (see [`lookup_host`]). The trait is sealed: its method is private to this crate.
///
/// ```
/// use mudu_net::ToSocketAddrs;
/// use std::net::{Ipv4Addr, SocketAddr};
///
/// fn takes_any(_target: impl ToSocketAddrs) {}
///
/// takes_any("127.0.0.1:8080");
/// takes_any(("localhost", 8080));
/// takes_any((Ipv4Addr::LOCALHOST, 8080));
/// takes_any(SocketAddr::from(([127, 0, 0, 1], 8080)));
/// takes_any(&[SocketAddr::from(([127, 0, 0, 1], 8080))][..]);
/// ```
pub trait ToSocketAddrs: sealed::Sealed {}

pub(crate) mod sealed {
    use super::Resolution;
    use std::io;

    /// The private half of [`ToSocketAddrs`](super::ToSocketAddrs).
    pub trait Sealed {
        /// Addresses now, or the host and port to look up, or why the input is malformed.
        fn resolution(&self) -> io::Result<Resolution>;
    }
}

/// What an input needs before it can be connected to.
#[derive(Debug, PartialEq, Eq)]
pub enum Resolution {
    /// Literal addresses, ready without a lookup.
    Ready(Vec<SocketAddr>),
    /// A host name to resolve on the blocking pool.
    Lookup {
        /// The name, without brackets.
        host: String,
        /// The port every resolved address gets.
        port: u16,
    },
}

/// Resolves `target` to its socket addresses: at once for literals, on the blocking pool for host names.
///
/// The addresses come in the resolver's order (`getaddrinfo` sorts them by the system's address selection
/// policy, RFC 6724); a connect tries them in that order, interleaving families as Happy Eyeballs does.
///
/// # Errors
/// `InvalidInput` for a malformed input (the message quotes it); the resolver's error, naming the host,
/// when the lookup fails.
///
/// ```
/// mudu_runtime::block_on(async {
///     let addrs: Vec<_> = mudu_net::lookup_host("127.0.0.1:80").await.unwrap().collect();
///     assert_eq!(addrs, ["127.0.0.1:80".parse().unwrap()]);
///
///     let local: Vec<_> = mudu_net::lookup_host(("localhost", 80)).await.unwrap().collect();
///     assert!(local.iter().all(|a| a.ip().is_loopback() && a.port() == 80));
///
///     let err = mudu_net::lookup_host("no-port-here").await.unwrap_err();
///     assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
/// });
/// ```
pub async fn lookup_host<A: ToSocketAddrs>(
    target: A,
) -> io::Result<impl Iterator<Item = SocketAddr> + fmt::Debug> {
    Ok(resolve(&target).await?.into_iter())
}

/// The addresses of `target`, in the resolver's order. Host names go to the blocking pool.
pub(crate) async fn resolve<A: ToSocketAddrs + ?Sized>(target: &A) -> io::Result<Vec<SocketAddr>> {
    match target.resolution()? {
        Resolution::Ready(addrs) => Ok(addrs),
        Resolution::Lookup { host, port } => spawn_blocking(move || lookup(&host, port)).await?,
    }
}

/// The blocking lookup itself, run on a pool thread.
fn lookup(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    std::net::ToSocketAddrs::to_socket_addrs(&(host, port))
        .map(Iterator::collect)
        .map_err(|e| io::Error::new(e.kind(), format!("failed to resolve `{host}`: {e}")))
}

fn invalid(input: &dyn fmt::Display, why: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("invalid socket address `{input}`: {why}"),
    )
}

/// Parses `"host:port"`: a socket address literal, or a host (an IPv6 literal in brackets) and a port.
fn parse_host_port(input: &str) -> io::Result<Resolution> {
    if let Ok(addr) = input.parse::<SocketAddr>() {
        return Ok(Resolution::Ready(vec![addr]));
    }
    if input.starts_with('[') && input.ends_with(']') {
        return Err(invalid(
            &input,
            "the port is missing, expected `[address]:port`",
        ));
    }
    let Some((host, port)) = input.rsplit_once(':') else {
        return Err(invalid(&input, "expected `host:port`"));
    };
    let Ok(port) = port.parse::<u16>() else {
        return Err(invalid(
            &input,
            &format!("the port `{port}` is not a number from 0 to 65535"),
        ));
    };
    let host = match host.strip_prefix('[') {
        Some(inner) => inner
            .strip_suffix(']')
            .ok_or_else(|| invalid(&input, "`[` without a matching `]`"))?,
        None if host.contains(':') => {
            return Err(invalid(
                &input,
                "an IPv6 address needs brackets, as in `[::1]:80`",
            ))
        }
        None => host,
    };
    host_and_port(host, port, &input)
}

/// A host (IP literal or name, no brackets) and a port.
fn host_and_port(host: &str, port: u16, input: &dyn fmt::Display) -> io::Result<Resolution> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(Resolution::Ready(vec![SocketAddr::new(ip, port)]));
    }
    if host.is_empty() {
        return Err(invalid(input, "the host is empty"));
    }
    if host.contains(['[', ']']) {
        return Err(invalid(input, "unexpected `[` or `]` in the host"));
    }
    Ok(Resolution::Lookup {
        host: host.to_owned(),
        port,
    })
}

/// Implements the trait for types that convert into one `SocketAddr`.
macro_rules! literal {
    ($($ty:ty),*) => {$(
        impl sealed::Sealed for $ty {
            fn resolution(&self) -> io::Result<Resolution> {
                Ok(Resolution::Ready(vec![SocketAddr::from(*self)]))
            }
        }
        impl ToSocketAddrs for $ty {}
    )*};
}

literal!(
    SocketAddr,
    SocketAddrV4,
    SocketAddrV6,
    (IpAddr, u16),
    (Ipv4Addr, u16),
    (Ipv6Addr, u16)
);

impl sealed::Sealed for str {
    fn resolution(&self) -> io::Result<Resolution> {
        parse_host_port(self)
    }
}
impl ToSocketAddrs for str {}

impl sealed::Sealed for String {
    fn resolution(&self) -> io::Result<Resolution> {
        parse_host_port(self)
    }
}
impl ToSocketAddrs for String {}

impl sealed::Sealed for (&str, u16) {
    fn resolution(&self) -> io::Result<Resolution> {
        let (host, port) = *self;
        let bare = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            Some(inner) => inner,
            None => host,
        };
        host_and_port(bare, port, &format_args!("({host:?}, {port})"))
    }
}
impl ToSocketAddrs for (&str, u16) {}

impl sealed::Sealed for (String, u16) {
    fn resolution(&self) -> io::Result<Resolution> {
        (self.0.as_str(), self.1).resolution()
    }
}
impl ToSocketAddrs for (String, u16) {}

impl sealed::Sealed for [SocketAddr] {
    fn resolution(&self) -> io::Result<Resolution> {
        Ok(Resolution::Ready(self.to_vec()))
    }
}
impl ToSocketAddrs for [SocketAddr] {}

impl<const N: usize> sealed::Sealed for [SocketAddr; N] {
    fn resolution(&self) -> io::Result<Resolution> {
        Ok(Resolution::Ready(self.to_vec()))
    }
}
impl<const N: usize> ToSocketAddrs for [SocketAddr; N] {}

impl sealed::Sealed for Vec<SocketAddr> {
    fn resolution(&self) -> io::Result<Resolution> {
        Ok(Resolution::Ready(self.clone()))
    }
}
impl ToSocketAddrs for Vec<SocketAddr> {}

impl<T: sealed::Sealed + ?Sized> sealed::Sealed for &T {
    fn resolution(&self) -> io::Result<Resolution> {
        (**self).resolution()
    }
}
impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {}

#[cfg(test)]
mod tests;
