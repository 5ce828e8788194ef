//! [`TcpStream`]: a connected TCP socket on the loop that created it.
//!
//! Rules:
//! - The stream owns its socket and its registration with the loop of the
//!   thread that made it (by `connect`, `accept` or `from_std`). It is
//!   `!Send` and `!Sync`: only that loop's thread touches it. To move a
//!   connection to another loop, take it out with [`TcpStream::into_std`]
//!   and put it in there with [`TcpStream::from_std`].
//! - `read`/`write` take `&mut self`: one task reads and one writes, and
//!   [`TcpStream::split`] and [`TcpStream::into_split`] give the two
//!   directions to two tasks. The `&self` waits (`readable`, `writable`,
//!   `peek`) may be awaited by any number of tasks at once (through an `Rc`,
//!   say); an event wakes them all. The reactor caches one waker per
//!   direction for the usual lone waiter and keeps any others beside it.
//! - Readiness is edge-triggered, so every operation goes on until the
//!   kernel answers `WouldBlock` before it waits, with one shortcut: a read
//!   that fills less than the buffer has drained the socket (a stream
//!   socket hands over everything it holds), so readiness is cleared with
//!   no extra `read` that would only say `WouldBlock`. A write the kernel
//!   takes only in part means the send buffer is full, and clears too.
//! - Writes never raise `SIGPIPE`: plain writes go through `send` and
//!   vectored writes through `sendmsg`, both with `MSG_NOSIGNAL`, so a peer
//!   that has gone shows up as an `EPIPE` or `ECONNRESET` error even in a
//!   host program that restored the default `SIGPIPE` action.

use std::fmt;
use std::future::Future;
use std::io::{self, IoSlice};
use std::net::{Shutdown, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::rc::Rc;

use std::time::Duration;

use mudu_runtime::io::{Direction, IoSource};
use socket2::SockRef;

use super::split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf};
use super::{connect_target, options};
use crate::ConnectError;
use crate::ToSocketAddrs;

/// A TCP connection, owned by the loop that created it.
///
/// Made by [`TcpStream::connect`], [`TcpListener::accept`](crate::TcpListener::accept),
/// [`TcpSocket::connect`](crate::TcpSocket::connect) or [`TcpStream::from_std`].
/// Dropping it closes the socket (after removing it from the loop).
///
/// The futures of its I/O methods (`read`, `write_all`, `readable`, ...) hold
/// their arguments (a reference and a buffer at most) and the two-word record
/// of their wait, so several tasks can wait on one socket: two to five words.
/// A task that awaits them stays small, which matters when a loop serves
/// thousands of connections.
///
/// ```
/// use mudu_net::{TcpListener, TcpStream};
///
/// mudu_runtime::block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
///     let (mut server, _) = listener.accept().await?;
///     client.write_all(b"ping").await?;
///     let mut buf = [0; 4];
///     server.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"ping");
///     Ok::<_, std::io::Error>(())
/// })
/// .unwrap();
/// ```
///
/// A stream belongs to its loop's thread; it cannot be sent to another:
///
/// ```compile_fail
/// fn needs_send<T: Send>() {}
/// needs_send::<mudu_net::TcpStream>();
/// ```
pub struct TcpStream {
    pub(super) io: IoSource<mio::net::TcpStream>,
}

impl TcpStream {
    /// Connects to `target`: a `SocketAddr`, `"host:port"`, `(host, port)`, a list of addresses, ...
    /// (see [`ToSocketAddrs`](crate::ToSocketAddrs)). Host names are resolved on the runtime's blocking
    /// pool, never on the loop; several addresses are raced as Happy Eyeballs does (the next attempt
    /// 250 ms after the previous one started, or as soon as it fails; the first connection wins, the
    /// others are closed).
    ///
    /// Each attempt runs the connect state machine ([`crate::connect`]): a fresh non-blocking socket,
    /// `connect()`, the errno table, a wait until writable, `SO_ERROR`, and the self-connect check. A
    /// socket that connected to itself is reset and reported as the retryable
    /// [`ConnectErrorKind::SelfConnect`](crate::ConnectErrorKind::SelfConnect); it is never handed out.
    /// When every address fails, the error is the last attempt's.
    ///
    /// There is no time limit beyond the kernel's own (about two minutes of SYN retransmissions); see
    /// [`TcpStream::connect_timeout`].
    ///
    /// ```
    /// use mudu_net::{ConnectErrorKind, TcpListener, TcpStream};
    ///
    /// mudu_runtime::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let port = listener.local_addr().unwrap().port();
    ///     let stream = TcpStream::connect(("localhost", port)).await.unwrap();
    ///     assert!(stream.peer_addr().unwrap().ip().is_loopback());
    ///
    ///     let err = TcpStream::connect("no-port-here").await.unwrap_err();
    ///     assert_eq!(err.kind(), ConnectErrorKind::InvalidAddress);
    /// });
    /// ```
    ///
    /// Outside a mudu runtime no socket can be registered with a loop: an
    /// attempt fails with kind [`Other`](crate::ConnectErrorKind::Other), which
    /// is not retried, and the error says why.
    ///
    /// # Panics
    /// Outside a mudu runtime, when the target resolves to several addresses:
    /// their race needs the runtime's timer.
    pub async fn connect<A: ToSocketAddrs>(target: A) -> Result<TcpStream, ConnectError> {
        connect_target(&target, None).await
    }

    /// [`TcpStream::connect`] within `timeout` on the runtime's clock, resolution included; past it the
    /// attempts' sockets are closed and the error's kind is
    /// [`TimedOut`](crate::ConnectErrorKind::TimedOut). A `timeout` too long for the clock to hold
    /// (`Duration::MAX`, say) sets no deadline.
    ///
    /// ```
    /// use mudu_net::{ConnectErrorKind, TcpListener, TcpStream};
    /// use std::time::Duration;
    ///
    /// mudu_runtime::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let addr = listener.local_addr().unwrap();
    ///     let stream = TcpStream::connect_timeout(addr, Duration::from_secs(5)).await.unwrap();
    ///     assert_eq!(stream.peer_addr().unwrap(), addr);
    ///     drop(listener);
    ///     let err = TcpStream::connect_timeout(addr, Duration::from_secs(5)).await.unwrap_err();
    ///     assert_eq!(err.kind(), ConnectErrorKind::Refused);
    /// });
    /// ```
    ///
    /// # Panics
    /// Outside a mudu runtime.
    pub async fn connect_timeout<A: ToSocketAddrs>(
        target: A,
        timeout: Duration,
    ) -> Result<TcpStream, ConnectError> {
        // A timeout too long to represent (`Duration::MAX`, say) means no deadline at all.
        let deadline = mudu_timer::time::Instant::now().checked_add(timeout);
        connect_target(&target, deadline).await
    }

    /// A watch that tells when this stream's registration is gone: the stream dropped, or turned
    /// into a std stream.
    pub(crate) fn release_watch(&self) -> mudu_runtime::io::ReleaseWatch {
        self.io.registration().release_watch()
    }

    /// Wraps a connected mio stream, registering it with the current loop.
    pub(crate) fn from_mio(stream: mio::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
            io: IoSource::new(stream)?,
        })
    }

    /// Wraps an already registered source.
    pub(crate) fn from_io(io: IoSource<mio::net::TcpStream>) -> TcpStream {
        TcpStream { io }
    }

    /// Adopts a connected std stream (for example one taken out of another
    /// loop with [`TcpStream::into_std`]): makes it non-blocking and
    /// registers it with the current thread's loop.
    ///
    /// # Errors
    /// Outside a mudu runtime, or when the loop refuses the socket.
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        TcpStream::from_mio(mio::net::TcpStream::from_std(stream))
    }

    /// Removes the socket from this loop and hands it back as a std stream,
    /// still non-blocking, to move it to another loop or thread.
    pub fn into_std(self) -> io::Result<std::net::TcpStream> {
        Ok(self.io.into_inner()?.into())
    }

    #[inline]
    pub(super) fn sock(&self) -> SockRef<'_> {
        SockRef::from(self.io.get_ref())
    }

    /// Reads into `buf`, waiting until data or end-of-file arrives; `Ok(0)`
    /// is end-of-file (or an empty `buf`). Cancel-safe: dropping the future
    /// before it finishes loses no data.
    pub fn read<'a>(
        &'a mut self,
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<usize>> + 'a {
        self.read_ref(buf)
    }

    /// Reads exactly `buf.len()` bytes; end-of-file first is `UnexpectedEof`.
    /// Not cancel-safe: bytes read before a drop are lost.
    pub fn read_exact<'a>(
        &'a mut self,
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<()>> + 'a {
        self.read_exact_ref(buf)
    }

    /// Writes some of `buf`, waiting until the kernel takes at least one
    /// byte; returns how many. Cancel-safe.
    pub fn write<'a>(&'a mut self, buf: &'a [u8]) -> impl Future<Output = io::Result<usize>> + 'a {
        self.write_ref(buf)
    }

    /// Writes all of `buf`. Not cancel-safe: how much went out before a
    /// drop is unknown.
    pub fn write_all<'a>(&'a mut self, buf: &'a [u8]) -> impl Future<Output = io::Result<()>> + 'a {
        self.write_all_ref(buf)
    }

    /// Writes some of `bufs` in one `sendmsg` (with `MSG_NOSIGNAL`);
    /// returns how many bytes went out. Cancel-safe.
    pub fn write_vectored<'a>(
        &'a mut self,
        bufs: &'a [IoSlice<'a>],
    ) -> impl Future<Output = io::Result<usize>> + 'a {
        self.write_vectored_ref(bufs)
    }

    /// Reads into `buf` without taking the bytes out of the socket, waiting
    /// until some arrive; the next `read` sees them again.
    pub fn peek<'a>(&'a self, buf: &'a mut [u8]) -> impl Future<Output = io::Result<usize>> + 'a {
        self.peek_ref(buf)
    }

    /// Waits until the socket is readable (data, end-of-file or an error).
    /// Readiness is a hint: a following [`try_read`](Self::try_read) may
    /// still say `WouldBlock`, and then this waits for the next event.
    pub fn readable(&self) -> impl Future<Output = io::Result<()>> + '_ {
        self.readable_ref()
    }

    /// Waits until the socket is writable (room in the send buffer, or an
    /// error); see [`readable`](Self::readable).
    pub fn writable(&self) -> impl Future<Output = io::Result<()>> + '_ {
        self.writable_ref()
    }

    /// Reads once without waiting: `WouldBlock` when the loop has seen no
    /// readiness or the socket turned out empty (readiness is then cleared,
    /// so [`readable`](Self::readable) waits for the next event). Stores no
    /// waker, so it never steals another task's wake-up.
    ///
    /// ```
    /// use mudu_net::{TcpListener, TcpStream};
    ///
    /// mudu_runtime::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     client.write_all(b"hi").await?;
    ///     let mut buf = [0; 8];
    ///     let n = loop {
    ///         server.readable().await?;
    ///         match server.try_read(&mut buf) {
    ///             Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
    ///             other => break other?,
    ///         }
    ///     };
    ///     assert_eq!(&buf[..n], b"hi");
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    #[inline]
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        let registration = self.io.registration();
        let event = registration
            .try_ready(Direction::Read)?
            .ok_or(io::ErrorKind::WouldBlock)?;
        self.read_settled(event, buf)
    }

    /// Writes once without waiting; see [`try_read`](Self::try_read).
    #[inline]
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        let registration = self.io.registration();
        let event = registration
            .try_ready(Direction::Write)?
            .ok_or(io::ErrorKind::WouldBlock)?;
        self.send_settled(event, buf.len(), || {
            self.sock().send_with_flags(buf, libc::MSG_NOSIGNAL)
        })
    }

    /// Half-closes the connection: sends a FIN, after which the peer reads
    /// end-of-file; this side can still read what the peer sends. muduo's
    /// `shutdownWrite`.
    pub fn shutdown_write(&self) -> io::Result<()> {
        self.io.get_ref().shutdown(Shutdown::Write)
    }

    /// Sets `TCP_NODELAY`: `true` sends small writes at once instead of
    /// waiting to coalesce them (Nagle's algorithm).
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.io.get_ref().set_nodelay(nodelay)
    }

    /// Whether `TCP_NODELAY` is set.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.io.get_ref().nodelay()
    }

    /// Sets `SO_LINGER`. `Some(Duration::ZERO)` makes the close send a reset
    /// and drop unsent data (no `TIME_WAIT`); `None` restores the default
    /// graceful close, which the kernel finishes in the background.
    ///
    /// # Errors
    /// `InvalidInput` for any other time, and the option is left as it was:
    /// with a non-zero linger, Linux's `close()` waits for unsent data up to
    /// that long even on a non-blocking socket, so dropping the stream would
    /// stall its whole loop. To know that the peer has everything, shut down
    /// the write side and read until end-of-file instead. (A socket brought in
    /// with [`from_std`](Self::from_std) must not carry such a linger either.)
    ///
    /// ```
    /// use mudu_net::{TcpListener, TcpStream};
    /// use std::time::Duration;
    ///
    /// mudu_runtime::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let stream = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    ///     stream.set_linger(Some(Duration::ZERO)).unwrap(); // the drop resets
    ///     assert_eq!(stream.linger().unwrap(), Some(Duration::ZERO));
    ///     let refused = stream.set_linger(Some(Duration::from_secs(2))).unwrap_err();
    ///     assert_eq!(refused.kind(), std::io::ErrorKind::InvalidInput);
    /// });
    /// ```
    pub fn set_linger(&self, linger: Option<Duration>) -> io::Result<()> {
        options::set_linger(self.sock(), linger)
    }

    /// The `SO_LINGER` setting.
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        self.sock().linger()
    }

    /// TCP keepalive: `Some(idle)` turns `SO_KEEPALIVE` on and probes after
    /// `idle` without traffic (`TCP_KEEPIDLE`), rounded up to whole seconds
    /// (at least one), which is what the kernel counts; `None` turns it off.
    ///
    /// # Errors
    /// `InvalidInput` for an idle time above the kernel's limit of 32,767 s;
    /// the setting is then left as it was.
    pub fn set_keepalive(&self, idle: Option<Duration>) -> io::Result<()> {
        options::set_keepalive(self.sock(), idle)
    }

    /// The keepalive idle time, or `None` when keepalive is off.
    pub fn keepalive(&self) -> io::Result<Option<Duration>> {
        let sock = self.sock();
        if sock.keepalive()? {
            sock.keepalive_time().map(Some)
        } else {
            Ok(None)
        }
    }

    /// This end's address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Reads and clears the socket's pending error (`SO_ERROR`).
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }

    /// Borrows the two directions for two futures of this task (or two
    /// scoped users): reads through [`ReadHalf`], writes through
    /// [`WriteHalf`]. No allocation.
    pub fn split(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
        super::split::split(self)
    }

    /// Splits into two owned halves that two tasks may hold (both on this
    /// loop), sharing the stream through an `Rc`. Dropping the write half
    /// half-closes the connection; the socket closes when both are gone.
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        super::split::into_split(Rc::new(self))
    }
}

impl AsFd for TcpStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

impl AsRawFd for TcpStream {
    fn as_raw_fd(&self) -> RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("TcpStream");
        if let Ok(addr) = self.local_addr() {
            d.field("local", &addr);
        }
        if let Ok(addr) = self.peer_addr() {
            d.field("peer", &addr);
        }
        d.field("fd", &self.as_raw_fd()).finish()
    }
}
