//! [`TcpListener`]: a listening socket on the loop that created it, with an
//! accept that survives the errors real servers meet.
//!
//! Accept's errors, by errno:
//!
//! ```text
//! errno                                    what accept does
//! ---------------------------------------  ------------------------------------
//! EAGAIN                                   clear readiness, wait for the next event
//! ECONNABORTED, EPROTO, EPERM, EINTR,      skip: that one connection failed (the
//!   ENETDOWN, ENOPROTOOPT, EHOSTDOWN,        client reset it, a firewall refused
//!   ENONET, EHOSTUNREACH, EOPNOTSUPP,        it, Linux passes on its pending
//!   ENETUNREACH, ETIMEDOUT                   network error); accept the next
//! EMFILE, ENFILE                           shed: lend the spare descriptor, accept
//!                                            and close what waits in the backlog,
//!                                            restore the spare; then back off
//!                                            and return the error
//! ENOBUFS, ENOMEM                          back off, return the error
//! anything else (EINVAL from a listener    back off, return the error
//!   that was shut down, ...)
//! ```
//!
//! Why shed and back off: readiness is edge-triggered. At the descriptor
//! limit the backlog stays non-empty, so no new edge comes: a naive loop
//! that waits after `EMFILE` stalls with clients stuck in the backlog, and
//! one that retries at once spins at 100% CPU. Shedding (muduo's reserve
//! descriptor) tells waiting clients at once that the server cannot take
//! them; the backoff ([`ACCEPT_BACKOFF`] on the runtime's timer) makes the
//! next `accept` wait before it tries again, so a server that loops on
//! `accept` and logs errors costs a few system calls per backoff period
//! while at the limit, and serves again as soon as descriptors free up.
//! The other errors that are returned back off too: most of them come again
//! on every call (a listener shut down by another handle keeps failing with
//! `EINVAL`), and the readiness they leave set would otherwise turn a loop
//! that logs and carries on into a spin that starves every other task.
//!
//! Rules: loop thread only (`!Send`). Any number of tasks may accept at
//! once (through an `Rc`): each connection goes to one of them, and an
//! event or the end of a backoff wakes them all.

use crate::addr::resolve;
use crate::ToSocketAddrs;
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::task::{ready, Context, Poll};
use std::time::Duration;

use mudu_runtime::io::{Direction, IoSource, ReadyWait};

use super::accept_backoff::AcceptBackoff;
use super::spare_fd::SpareFd;
use super::{Incoming, TcpSocket, TcpStream};

/// How long `accept` waits after it returned an error: after running out of descriptors or memory,
/// or an error that may come back on every call.
pub const ACCEPT_BACKOFF: Duration = Duration::from_millis(10);

/// The backlog [`TcpListener::bind`] asks for (the kernel caps it at
/// `net.core.somaxconn`).
pub const DEFAULT_BACKLOG: u32 = 1024;

/// Most backlog entries shed per `EMFILE`, so one poll stays short.
const SHED_MAX: usize = 16;

/// How many failed connections (`ECONNABORTED` and the like) one poll of `accept` skips before it
/// yields to the loop's other tasks.
const SKIP_MAX: usize = 64;

/// A TCP listener owned by the loop that created it.
///
/// ```
/// use mudu_net::{TcpListener, TcpStream};
///
/// mudu_runtime::block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let addr = listener.local_addr()?;
///     let client = mudu_runtime::spawn(async move { TcpStream::connect(addr).await });
///     let (stream, peer) = listener.accept().await?;
///     assert_eq!(stream.peer_addr()?, peer);
///     client.await.unwrap()?;
///     Ok::<_, std::io::Error>(())
/// })
/// .unwrap();
/// ```
pub struct TcpListener {
    io: IoSource<mio::net::TcpListener>,
    spare: SpareFd,
    /// On after `accept` returned an error: accepting waits for it to end before trying again.
    backoff: AcceptBackoff,
}

impl TcpListener {
    /// Binds a listener to `target` (a `SocketAddr`, `"host:port"`, ...; see
    /// [`ToSocketAddrs`](crate::ToSocketAddrs)) with `SO_REUSEADDR` on (a
    /// restarted server gets its port back while old connections sit in
    /// `TIME_WAIT`) and a backlog of [`DEFAULT_BACKLOG`]. When the target
    /// names several addresses, the first that binds is used. For other
    /// options use [`TcpSocket`].
    ///
    /// # Errors
    /// A malformed target or failed lookup; otherwise the last address's
    /// error from `socket()`, `bind()` or `listen()`; or outside a mudu
    /// runtime.
    pub async fn bind<A: ToSocketAddrs>(target: A) -> io::Result<TcpListener> {
        let mut last = None;
        for addr in resolve(&target).await? {
            match Self::bind_addr(addr) {
                Ok(listener) => return Ok(listener),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| {
            io::Error::new(io::ErrorKind::NotFound, "the target resolved to no address")
        }))
    }

    fn bind_addr(addr: SocketAddr) -> io::Result<TcpListener> {
        let socket = TcpSocket::new_for_addr(addr)?;
        socket.set_reuseaddr(true)?;
        socket.bind(addr)?;
        socket.listen(DEFAULT_BACKLOG)
    }

    /// Adopts a listening std socket: makes it non-blocking and registers it
    /// with the current thread's loop.
    ///
    /// # Errors
    /// Outside a mudu runtime, or when the loop refuses the socket.
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        Ok(TcpListener {
            io: IoSource::new(mio::net::TcpListener::from_std(listener))?,
            spare: SpareFd::new(),
            backoff: AcceptBackoff::default(),
        })
    }

    /// Removes the listener from this loop and hands it back as a std
    /// listener, still non-blocking.
    pub fn into_std(self) -> io::Result<std::net::TcpListener> {
        Ok(self.io.into_inner()?.into())
    }

    /// The address the listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Waits for a connection and returns it with the peer's address.
    /// Cancel-safe. Skips connections that failed before they could be
    /// accepted; see the module docs for what each error does.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let mut wait = self.wait();
        poll_fn(|cx| self.poll_accept_with(cx, Some(&mut wait))).await
    }

    /// The poll form of [`accept`](Self::accept). It keeps no state between polls, so only the latest
    /// poll's waker is kept for the listener's readiness, as with tokio's `poll_accept`: two tasks
    /// calling it in turn leave only the later one to be woken. Tasks that wait side by side use
    /// [`accept`](Self::accept) or [`incoming`](Self::incoming), which a `poll_accept` beside them
    /// does not disturb.
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        self.poll_accept_with(cx, None)
    }

    /// A wait for the listener's readiness, withdrawn when dropped.
    pub(crate) fn wait(&self) -> ReadyWait<'_> {
        ReadyWait::new(self.io.registration(), Direction::Read)
    }

    /// [`poll_accept`](Self::poll_accept), waiting through `wait` when there is one.
    pub(crate) fn poll_accept_with(
        &self,
        cx: &mut Context<'_>,
        wait: Option<&mut ReadyWait<'_>>,
    ) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        let (stream, peer) = ready!(self.poll_accept_mio(cx, wait))?;
        // A connection the loop cannot register (epoll's watch limit, no memory) is closed; the
        // error backs off like the listener's own.
        Poll::Ready(match TcpStream::from_mio(stream) {
            Ok(stream) => Ok((stream, peer)),
            Err(e) => {
                self.back_off();
                Err(e)
            }
        })
    }

    /// Like [`accept`](Self::accept), but the connection is handed out as a
    /// non-blocking std socket, registered with no loop: the cheap way to
    /// pass it to another loop (build the mudu stream there with
    /// [`TcpStream::from_std`]), as [`TcpServer`](crate::TcpServer) does.
    pub async fn accept_std(&self) -> io::Result<(std::net::TcpStream, SocketAddr)> {
        let (stream, peer) = self.accept_mio().await?;
        Ok((stream.into(), peer))
    }

    /// Accepts a connection as a mio socket, registered with no loop yet.
    pub(crate) async fn accept_mio(&self) -> io::Result<(mio::net::TcpStream, SocketAddr)> {
        let mut wait = self.wait();
        poll_fn(|cx| self.poll_accept_mio(cx, Some(&mut wait))).await
    }

    fn poll_accept_mio(
        &self,
        cx: &mut Context<'_>,
        mut wait: Option<&mut ReadyWait<'_>>,
    ) -> Poll<io::Result<(mio::net::TcpStream, SocketAddr)>> {
        ready!(self.backoff.poll_over(cx));
        let registration = self.io.registration();
        let mut skipped = 0;
        loop {
            let event = match wait.as_deref_mut() {
                Some(wait) => ready!(wait.poll_ready(cx))?,
                None => ready!(registration.poll_read_ready(cx))?,
            };
            let error = match self.io.get_ref().accept() {
                Ok(accepted) => return Poll::Ready(Ok(accepted)),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    registration.clear_readiness(event);
                    continue;
                }
                Err(e) => e,
            };
            match AcceptErrno::of(&error) {
                AcceptErrno::Skip if skipped < SKIP_MAX => {
                    skipped += 1;
                    continue;
                }
                AcceptErrno::Skip => {
                    // Failures that do not go away (a seccomp rule refusing `accept4` with `EPERM`)
                    // must not hold the loop: let the other tasks run, then try again.
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                AcceptErrno::OutOfDescriptors => {
                    self.shed();
                    self.back_off();
                }
                AcceptErrno::OutOfMemory | AcceptErrno::Fail => self.back_off(),
            }
            return Poll::Ready(Err(error));
        }
    }

    /// A stream of accepted connections; see [`Incoming`].
    pub fn incoming(&self) -> Incoming<'_> {
        Incoming::new(self)
    }

    /// Accepts and closes what waits in the backlog, in the slot of the
    /// spare descriptor. Returns how many connections were turned away.
    fn shed(&self) -> usize {
        self.spare.lend(|| {
            let mut shed = 0;
            while shed < SHED_MAX {
                match self.io.get_ref().accept() {
                    Ok((turned_away, _)) => {
                        drop(turned_away);
                        shed += 1;
                    }
                    Err(_) => break,
                }
            }
            shed
        })
    }

    fn back_off(&self) {
        self.backoff.start(ACCEPT_BACKOFF);
    }
}

/// What an `accept` errno (other than `EAGAIN`) asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AcceptErrno {
    /// That connection failed; accept the next one.
    Skip,
    /// `EMFILE`/`ENFILE`: shed the backlog, back off, report.
    OutOfDescriptors,
    /// `ENOBUFS`/`ENOMEM`: back off, report.
    OutOfMemory,
    /// Back off, report.
    Fail,
}

impl AcceptErrno {
    fn of(error: &io::Error) -> AcceptErrno {
        match error.raw_os_error() {
            Some(errno) => AcceptErrno::classify(errno),
            None => AcceptErrno::Fail,
        }
    }

    fn classify(errno: i32) -> AcceptErrno {
        match errno {
            libc::ECONNABORTED
            | libc::EPROTO
            | libc::EPERM
            | libc::EINTR
            | libc::ENETDOWN
            | libc::ENOPROTOOPT
            | libc::EHOSTDOWN
            | libc::ENONET
            | libc::EHOSTUNREACH
            | libc::EOPNOTSUPP
            | libc::ENETUNREACH
            | libc::ETIMEDOUT => AcceptErrno::Skip,
            libc::EMFILE | libc::ENFILE => AcceptErrno::OutOfDescriptors,
            libc::ENOBUFS | libc::ENOMEM => AcceptErrno::OutOfMemory,
            _ => AcceptErrno::Fail,
        }
    }
}

impl AsFd for TcpListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

impl AsRawFd for TcpListener {
    fn as_raw_fd(&self) -> RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("TcpListener");
        if let Ok(addr) = self.local_addr() {
            d.field("local", &addr);
        }
        d.field("fd", &self.as_raw_fd()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::AcceptErrno;

    #[test]
    fn per_connection_failures_are_skipped() {
        for errno in [
            libc::ECONNABORTED,
            libc::EPROTO,
            libc::EPERM,
            libc::EINTR,
            libc::ENETDOWN,
            libc::ENOPROTOOPT,
            libc::EHOSTDOWN,
            libc::ENONET,
            libc::EHOSTUNREACH,
            libc::EOPNOTSUPP,
            libc::ENETUNREACH,
            libc::ETIMEDOUT,
        ] {
            assert_eq!(
                AcceptErrno::classify(errno),
                AcceptErrno::Skip,
                "errno {errno}"
            );
        }
    }

    #[test]
    fn resource_errors_back_off() {
        assert_eq!(
            AcceptErrno::classify(libc::EMFILE),
            AcceptErrno::OutOfDescriptors
        );
        assert_eq!(
            AcceptErrno::classify(libc::ENFILE),
            AcceptErrno::OutOfDescriptors
        );
        assert_eq!(
            AcceptErrno::classify(libc::ENOBUFS),
            AcceptErrno::OutOfMemory
        );
        assert_eq!(
            AcceptErrno::classify(libc::ENOMEM),
            AcceptErrno::OutOfMemory
        );
    }

    #[test]
    fn other_errors_are_reported() {
        for errno in [libc::EBADF, libc::EINVAL, libc::ENOTSOCK, libc::EFAULT, 0] {
            assert_eq!(
                AcceptErrno::classify(errno),
                AcceptErrno::Fail,
                "errno {errno}"
            );
        }
        let synthetic = std::io::Error::other("not from the OS");
        assert_eq!(AcceptErrno::of(&synthetic), AcceptErrno::Fail);
    }
}
