//! One connect attempt with a real socket: the I/O half of the pure
//! [`ConnectMachine`](crate::connect::ConnectMachine).
//!
//! ```text
//!   socket(family, NONBLOCK|CLOEXEC)       (or the caller's TcpSocket)
//!        |
//!   connect() --errno--> machine: ConnectReturned(errno)
//!        |                  Retry/Fatal -> close, Err(ConnectError)
//!        v WaitWritable
//!   register with the loop, wait writable  <-----------------+
//!        |                                                   |
//!   SO_ERROR, getsockname, getpeername                       |
//!        |                                                   |
//!   machine: Writable{..} -- WaitWritable (ENOTCONN: spurious)+
//!        |   Retry/Fatal -> close (SO_LINGER 0 for a self-connect), Err
//!        v Done
//!   TcpStream
//! ```
//!
//! Rules: this runs on the loop thread that awaits it; one call is one
//! attempt on one socket, and the socket is closed on every path that does
//! not hand out a stream, including the future being dropped (the socket's
//! owner closes it). Retrying, timeouts over several attempts and choosing
//! among addresses belong to the callers; `attempt` is only recorded in the
//! error.

use std::future::poll_fn;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use mudu_runtime::io::IoSource;
use socket2::{Domain, Protocol, SockRef, Socket, Type};

use super::TcpStream;
use crate::connect::{ConnectAction, ConnectInput, ConnectMachine, Failure};
use crate::{ConnectError, ConnectErrorKind};

/// Makes one attempt to connect to `addr` and returns the connected stream.
///
/// `socket` is the caller's prepared socket (bound, options set, as
/// [`TcpSocket`](crate::TcpSocket) makes it); `None` makes a fresh
/// non-blocking, close-on-exec socket of `addr`'s family. `attempt` (1-based)
/// is recorded in the error.
///
/// # Errors
/// Every failure is a [`ConnectError`] for `addr` and `attempt`, classified
/// by the errno table; outside a mudu runtime the socket cannot be
/// registered and the kind is `Other`.
pub(crate) async fn connect_addr(
    addr: SocketAddr,
    socket: Option<Socket>,
    attempt: u32,
) -> Result<TcpStream, ConnectError> {
    let setup = |e: io::Error| setup_error(addr, attempt, e);
    let (socket, dial) = match socket {
        Some(socket) => {
            let dial = dial_addr(&socket, addr).map_err(setup)?;
            (socket, dial)
        }
        None => {
            // An IPv4 peer written in its IPv4-mapped form is dialled as IPv4: an IPv6 socket would
            // reach it only where the host leaves new sockets dual-stack (`bindv6only` = 0).
            let dial = SocketAddr::new(addr.ip().to_canonical(), addr.port());
            (new_socket(dial).map_err(setup)?, Ok(dial))
        }
    };
    socket.set_nonblocking(true).map_err(setup)?;

    let mut machine = ConnectMachine::new();
    let errno = match dial.map(|dial| (dial, socket.connect(&dial.into()))) {
        Ok((_, Ok(()))) => 0,
        Ok((dial, Err(e))) if errno_of(&e) == libc::EINVAL => match mistaken(&socket, dial) {
            Some(kind) => return Err(ConnectError::new(addr, attempt, kind, e)),
            None => libc::EINVAL,
        },
        Ok((_, Err(e))) => errno_of(&e),
        Err(errno) => errno,
    };
    match step(
        &mut machine,
        ConnectInput::ConnectReturned(errno),
        addr,
        attempt,
    )? {
        ConnectAction::WaitWritable => {}
        ConnectAction::Done(_) => unreachable!("connect() alone never finishes the machine"),
        ConnectAction::CloseAndRetry(failure) | ConnectAction::CloseAndFail(failure) => {
            return Err(close_failed(&socket, failure, addr, attempt));
        }
    }

    let std_stream: std::net::TcpStream = socket.into();
    let io = IoSource::new(mio::net::TcpStream::from_std(std_stream)).map_err(setup)?;
    loop {
        let event = poll_fn(|cx| io.registration().poll_write_ready(cx))
            .await
            .map_err(setup)?;
        let input = observe(io.get_ref()).map_err(setup)?;
        match step(&mut machine, input, addr, attempt)? {
            ConnectAction::WaitWritable => io.registration().clear_readiness(event),
            ConnectAction::Done(_) => return Ok(TcpStream::from_io(io)),
            ConnectAction::CloseAndRetry(failure) | ConnectAction::CloseAndFail(failure) => {
                let sock = SockRef::from(io.get_ref());
                return Err(close_failed(&sock, failure, addr, attempt));
                // `io` drops here: deregistered, then closed.
            }
        }
    }
}

/// The address to give `connect()` on the caller's `socket` to reach `addr`, or the errno that
/// connecting must fail with.
///
/// A dual-stack IPv6 socket reaches an IPv4 peer through the peer's IPv4-mapped address: the kernel
/// answers a plain IPv4 address on it with `EINVAL`, and with `ENETUNREACH` a mapped one on a socket
/// set to `IPV6_V6ONLY`, both of which the errno table would take for a route that may come back. Such
/// a socket cannot reach `addr` at all: `EAFNOSUPPORT`, which the table takes for the caller's error.
/// An IPv4 socket and an IPv6 address need nothing here: the kernel already answers
/// `EAFNOSUPPORT`.
///
/// An IPv4 peer written in its IPv4-mapped IPv6 form is the same peer: dialled as IPv4 on an IPv4
/// socket, and failed with `EAFNOSUPPORT` on a v6-only one (the kernel's `ENETUNREACH` would pass for
/// a missing route).
fn dial_addr(socket: &Socket, addr: SocketAddr) -> io::Result<Result<SocketAddr, i32>> {
    let v4 = match addr.ip().to_canonical() {
        IpAddr::V4(v4) => v4,
        IpAddr::V6(_) => return Ok(Ok(addr)),
    };
    if socket.domain()? != Domain::IPV6 {
        return Ok(Ok(SocketAddr::new(v4.into(), addr.port())));
    }
    if socket.only_v6()? {
        return Ok(Err(libc::EAFNOSUPPORT));
    }
    Ok(Ok(SocketAddr::new(v4.to_ipv6_mapped().into(), addr.port())))
}

/// The kind of an `EINVAL` from `connect()` that no route mends, or `None` when it may be a route's
/// (a `blackhole`; see the errno table):
/// - an IPv6 link-local target without a scope id, on a socket bound to no interface:
///   `InvalidAddress` (on a socket bound to one, through `SO_BINDTODEVICE` or a scoped local
///   address, the target needs no scope, and `EINVAL` is the route's);
/// - a socket bound to a loopback address, dialling a peer that is not one: `Other`.
fn mistaken(socket: &Socket, dial: SocketAddr) -> Option<ConnectErrorKind> {
    let local = socket.local_addr().ok()?.as_socket()?;
    if let SocketAddr::V6(v6) = dial {
        // fe80::/10, the unicast link-local prefix.
        let link_local = v6.ip().segments()[0] & 0xffc0 == 0xfe80;
        let scoped_local = matches!(local, SocketAddr::V6(l) if l.scope_id() != 0);
        let on_a_device = scoped_local || socket.device().ok().flatten().is_some();
        if link_local && v6.scope_id() == 0 && !on_a_device {
            return Some(ConnectErrorKind::InvalidAddress);
        }
    }
    let loopback_only = local.ip().to_canonical().is_loopback();
    (loopback_only && !dial.ip().to_canonical().is_loopback()).then_some(ConnectErrorKind::Other)
}

/// A non-blocking, close-on-exec TCP socket of `addr`'s family.
pub(crate) fn new_socket(addr: SocketAddr) -> io::Result<Socket> {
    Socket::new(
        Domain::for_address(addr),
        Type::STREAM.nonblocking().cloexec(),
        Some(Protocol::TCP),
    )
}

/// What the socket says once writable: `SO_ERROR` and both addresses.
fn observe(stream: &mio::net::TcpStream) -> io::Result<ConnectInput> {
    let so_error = match stream.take_error()? {
        Some(e) => errno_of(&e),
        None => 0,
    };
    let local = stream.local_addr()?;
    let peer = stream.peer_addr().map_err(|e| errno_of(&e));
    Ok(ConnectInput::Writable {
        so_error,
        local,
        peer,
    })
}

fn step(
    machine: &mut ConnectMachine,
    input: ConnectInput,
    addr: SocketAddr,
    attempt: u32,
) -> Result<ConnectAction, ConnectError> {
    machine
        .handle(input)
        .map_err(|e| ConnectError::new(addr, attempt, ConnectErrorKind::Other, io::Error::other(e)))
}

/// Prepares the failed socket's close (a reset for a self-connect, so no
/// `TIME_WAIT` holds the port) and builds the error; the caller's drop of
/// the socket closes it.
fn close_failed(sock: &Socket, failure: Failure, addr: SocketAddr, attempt: u32) -> ConnectError {
    if failure.abort_close {
        // If this fails the close is graceful and the port sits in
        // TIME_WAIT; the error to report is still the self-connect.
        let _ = sock.set_linger(Some(Duration::ZERO));
    }
    failure.into_error(addr, attempt)
}

/// An error before the handshake could be judged (no socket, a caller's
/// `bind` that failed, no loop, a failed `getsockname`): classified by the
/// setup table where it has an errno, else `Other`.
pub(crate) fn setup_error(addr: SocketAddr, attempt: u32, error: io::Error) -> ConnectError {
    let kind = error
        .raw_os_error()
        .and_then(|errno| crate::connect::classify_setup(errno).kind())
        .unwrap_or(ConnectErrorKind::Other);
    ConnectError::new(addr, attempt, kind, error)
}

/// The errno of an OS error; `EIO` for an error the OS did not raise.
pub(crate) fn errno_of(error: &io::Error) -> i32 {
    error.raw_os_error().unwrap_or(libc::EIO)
}
