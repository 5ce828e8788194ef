//! [`TcpSocket`]: a TCP socket not yet connected or listening, to set
//! options on before it becomes a [`TcpListener`] or a [`TcpStream`].
//!
//! Rules: the socket is non-blocking and close-on-exec from birth. It is a
//! plain value: it joins a loop only when `listen` or `connect` turns it
//! into a listener or a stream, on the calling thread's loop. Options are
//! the kernel's defaults until set: `SO_REUSEADDR` and `SO_REUSEPORT` off
//! (`TcpListener::bind` turns `SO_REUSEADDR` on for its own socket).

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::time::Duration;

use socket2::{Domain, Protocol, SockRef, Socket, Type};

use super::attempt::new_socket;
use super::connect_addr;
use super::{TcpListener, TcpStream};
use crate::ConnectError;

/// A socket builder: options, `bind`, then `listen` or `connect`.
///
/// ```
/// use mudu_net::TcpSocket;
///
/// mudu_runtime::block_on(async {
///     let socket = TcpSocket::new_v4()?;
///     socket.set_reuseaddr(true)?;
///     socket.bind("127.0.0.1:0".parse().unwrap())?;
///     let listener = socket.listen(128)?;
///
///     let client = TcpSocket::new_v4()?;
///     client.set_nodelay(true)?;
///     let stream = client.connect(listener.local_addr()?).await?;
///     assert!(stream.nodelay()?);
///     Ok::<_, std::io::Error>(())
/// })
/// .unwrap();
/// ```
pub struct TcpSocket {
    inner: Socket,
}

impl TcpSocket {
    /// A new IPv4 TCP socket.
    pub fn new_v4() -> io::Result<TcpSocket> {
        TcpSocket::new(Domain::IPV4)
    }

    /// A new IPv6 TCP socket, dual-stack unless `IPV6_V6ONLY` is set
    /// system-wide or by [`set_only_v6`](TcpSocket::set_only_v6). A
    /// dual-stack socket connects to an IPv4 address through its
    /// IPv4-mapped form (`::ffff:a.b.c.d`), which is then what
    /// `peer_addr` and `local_addr` report.
    pub fn new_v6() -> io::Result<TcpSocket> {
        TcpSocket::new(Domain::IPV6)
    }

    /// A new TCP socket of `addr`'s family.
    pub fn new_for_addr(addr: SocketAddr) -> io::Result<TcpSocket> {
        Ok(TcpSocket {
            inner: new_socket(addr)?,
        })
    }

    fn new(domain: Domain) -> io::Result<TcpSocket> {
        let inner = Socket::new(
            domain,
            Type::STREAM.nonblocking().cloexec(),
            Some(Protocol::TCP),
        )?;
        Ok(TcpSocket { inner })
    }

    /// Sets `SO_REUSEADDR`: a listener may bind a port that connections
    /// of an earlier process still hold in `TIME_WAIT`.
    pub fn set_reuseaddr(&self, reuse: bool) -> io::Result<()> {
        self.inner.set_reuse_address(reuse)
    }

    /// Whether `SO_REUSEADDR` is set.
    pub fn reuseaddr(&self) -> io::Result<bool> {
        self.inner.reuse_address()
    }

    /// Sets `SO_REUSEPORT`: several sockets (of one user) may listen on the
    /// same address, the kernel spreading connections among them, as one
    /// listener per loop does.
    pub fn set_reuseport(&self, reuse: bool) -> io::Result<()> {
        self.inner.set_reuse_port(reuse)
    }

    /// Whether `SO_REUSEPORT` is set.
    pub fn reuseport(&self) -> io::Result<bool> {
        self.inner.reuse_port()
    }

    /// Sets `IPV6_V6ONLY` on an IPv6 socket: it then neither accepts nor
    /// reaches IPv4 peers (connecting to an IPv4 address fails with
    /// [`UnsupportedFamily`](crate::ConnectErrorKind::UnsupportedFamily)).
    /// Set before `bind`. An error on an IPv4 socket.
    pub fn set_only_v6(&self, only_v6: bool) -> io::Result<()> {
        self.inner.set_only_v6(only_v6)
    }

    /// Whether `IPV6_V6ONLY` is set (an error on an IPv4 socket).
    pub fn only_v6(&self) -> io::Result<bool> {
        self.inner.only_v6()
    }

    /// Sets `TCP_NODELAY`, inherited by the connected stream.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.inner.set_nodelay(nodelay)
    }

    /// Sets `SO_LINGER`, inherited by the connected stream: `None` or
    /// `Some(Duration::ZERO)` (see [`TcpStream::set_linger`]).
    ///
    /// # Errors
    /// `InvalidInput` for a non-zero time, which would block the loop's thread
    /// when the stream is dropped.
    pub fn set_linger(&self, linger: Option<Duration>) -> io::Result<()> {
        super::options::set_linger(SockRef::from(&self.inner), linger)
    }

    /// Sets `SO_SNDBUF`; the kernel doubles the value and applies a floor.
    pub fn set_send_buffer_size(&self, size: u32) -> io::Result<()> {
        self.inner.set_send_buffer_size(size as usize)
    }

    /// The effective `SO_SNDBUF`.
    pub fn send_buffer_size(&self) -> io::Result<u32> {
        Ok(u32::try_from(self.inner.send_buffer_size()?).unwrap_or(u32::MAX))
    }

    /// Sets `SO_RCVBUF`; for a listener, set before `listen` so accepted
    /// sockets inherit it and the window scale fits.
    pub fn set_recv_buffer_size(&self, size: u32) -> io::Result<()> {
        self.inner.set_recv_buffer_size(size as usize)
    }

    /// The effective `SO_RCVBUF`.
    pub fn recv_buffer_size(&self) -> io::Result<u32> {
        Ok(u32::try_from(self.inner.recv_buffer_size()?).unwrap_or(u32::MAX))
    }

    /// Binds to `addr` (port 0: the kernel picks one; see
    /// [`local_addr`](Self::local_addr)).
    pub fn bind(&self, addr: SocketAddr) -> io::Result<()> {
        self.inner.bind(&addr.into())
    }

    /// The bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner
            .local_addr()?
            .as_socket()
            .ok_or_else(|| io::Error::other("not an IP socket address"))
    }

    /// Starts listening with room for `backlog` connections that completed
    /// the handshake but are not accepted yet, and registers the listener
    /// with the current thread's loop.
    ///
    /// # Errors
    /// From `listen()`, or outside a mudu runtime.
    pub fn listen(self, backlog: u32) -> io::Result<TcpListener> {
        let backlog = i32::try_from(backlog).unwrap_or(i32::MAX);
        self.inner.listen(backlog)?;
        TcpListener::from_std(self.inner.into())
    }

    /// Connects this socket to `addr` with one attempt of the connect state
    /// machine, as [`TcpStream::connect`] does with a fresh socket. A socket
    /// bound to the very address it connects to ends in the kernel's
    /// simultaneous open with itself: mudu resets it and reports
    /// [`SelfConnect`](crate::ConnectErrorKind::SelfConnect).
    pub async fn connect(self, addr: SocketAddr) -> Result<TcpStream, ConnectError> {
        connect_addr(addr, Some(self.inner), 1).await
    }
}

impl AsFd for TcpSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

impl AsRawFd for TcpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_raw_fd()
    }
}

impl fmt::Debug for TcpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpSocket")
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}
