//! The `&self` I/O core of [`TcpStream`], shared by the stream's inherent
//! methods, its split halves and the ecosystem traits.
//!
//! Rules: each direction is read or written by one task at a time; the
//! callers' `&mut` borrows and the halves see to that. Waits that take
//! `&self` (`readable`, `writable`, `peek`) may have several tasks at once,
//! and the reactor wakes them all. Every poll goes on until `WouldBlock` before it
//! waits, except that a short read clears readiness (the socket is drained)
//! and a partial write clears it (the send buffer is full); after urgent
//! data (`Ready::PRIORITY`, which a read stops short at) readiness stays until
//! a read answers `WouldBlock`, since the clear leaves that flag; a `peek` only
//! clears on `WouldBlock`, since it leaves the bytes in place. A `WouldBlock`
//! clears the event's closed and error flags as well; a short read or a
//! partial write keeps them for the next operation to see. Writes use
//! `send`/`sendmsg` with `MSG_NOSIGNAL`.

use std::future::Future;
use std::io::{self, IoSlice, Read};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use mudu_runtime::io::{Direction, ReadyEvent, ReadyWait};
use socket2::SockRef;

use super::TcpStream;

/// The most slices one `sendmsg` takes: `IOV_MAX`, 1024 on Linux and the BSDs.
const IOV_MAX: usize = 1024;

impl TcpStream {
    // The futures below are one `inline_poll` each, not `async fn`s awaiting
    // one another: a task holding one stores only its captures (a
    // reference and a buffer, one to three words) and no state of nested
    // generators, which keeps a connection's task small and its hot fields
    // on fewer cache lines.

    // Each future keeps a `ReadyWait`: several may wait on one direction (the `&self` ones), and one
    // dropped while pending withdraws its wait.

    fn wait(&self, direction: Direction) -> ReadyWait<'_> {
        ReadyWait::new(self.io.registration(), direction)
    }

    pub(crate) fn read_ref<'a>(
        &'a self,
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<usize>> + 'a {
        let mut wait = self.wait(Direction::Read);
        inline_poll(move |cx| self.read_loop(buf, || wait.poll_ready(cx)))
    }

    pub(crate) fn read_exact_ref<'a>(
        &'a self,
        mut buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<()>> + 'a {
        let mut wait = self.wait(Direction::Read);
        inline_poll(move |cx| {
            while !buf.is_empty() {
                match ready!(self.read_loop(buf, || wait.poll_ready(cx)))? {
                    0 => return Poll::Ready(Err(io::ErrorKind::UnexpectedEof.into())),
                    n => buf = &mut std::mem::take(&mut buf)[n..],
                }
            }
            Poll::Ready(Ok(()))
        })
    }

    pub(crate) fn write_ref<'a>(
        &'a self,
        buf: &'a [u8],
    ) -> impl Future<Output = io::Result<usize>> + 'a {
        let mut wait = self.wait(Direction::Write);
        inline_poll(move |cx| self.write_loop(buf, || wait.poll_ready(cx)))
    }

    pub(crate) fn write_all_ref<'a>(
        &'a self,
        mut buf: &'a [u8],
    ) -> impl Future<Output = io::Result<()>> + 'a {
        let mut wait = self.wait(Direction::Write);
        inline_poll(move |cx| {
            while !buf.is_empty() {
                match ready!(self.write_loop(buf, || wait.poll_ready(cx)))? {
                    0 => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                    n => buf = &buf[n..],
                }
            }
            Poll::Ready(Ok(()))
        })
    }

    pub(crate) fn write_vectored_ref<'a>(
        &'a self,
        bufs: &'a [IoSlice<'a>],
    ) -> impl Future<Output = io::Result<usize>> + 'a {
        let mut wait = self.wait(Direction::Write);
        inline_poll(move |cx| self.write_vectored_loop(bufs, || wait.poll_ready(cx)))
    }

    pub(crate) fn readable_ref(&self) -> impl Future<Output = io::Result<()>> + '_ {
        let mut wait = self.wait(Direction::Read);
        inline_poll(move |cx| wait.poll_ready(cx).map_ok(|_event| ()))
    }

    pub(crate) fn writable_ref(&self) -> impl Future<Output = io::Result<()>> + '_ {
        let mut wait = self.wait(Direction::Write);
        inline_poll(move |cx| wait.poll_ready(cx).map_ok(|_event| ()))
    }

    pub(crate) fn peek_ref<'a>(
        &'a self,
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<usize>> + 'a {
        let mut wait = self.wait(Direction::Read);
        inline_poll(move |cx| {
            // A peek leaves the bytes in place, so only `WouldBlock` clears.
            loop {
                let event = ready!(wait.poll_ready(cx))?;
                match self.io.get_ref().peek(buf) {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        self.io.registration().clear_readiness(event)
                    }
                    result => return Poll::Ready(result),
                }
            }
        })
    }

    /// One read with the readiness `event` in hand, readiness cleared by the module's rules:
    /// `WouldBlock` forgets the whole event, a short read only that the socket was readable.
    #[inline]
    pub(super) fn read_settled(&self, event: ReadyEvent, buf: &mut [u8]) -> io::Result<usize> {
        let mut stream: &mio::net::TcpStream = self.io.get_ref();
        let registration = self.io.registration();
        match stream.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                registration.clear_readiness(event);
                Err(e)
            }
            Ok(n) if n > 0 && n < buf.len() => {
                registration.clear_drained(event);
                Ok(n)
            }
            result => result,
        }
    }

    /// One `send` of `total` bytes with the readiness `event` in hand, readiness cleared by the
    /// module's rules: `WouldBlock` forgets the whole event, a partial write only that the socket was
    /// writable.
    #[inline]
    pub(super) fn send_settled(
        &self,
        event: ReadyEvent,
        total: usize,
        send: impl FnOnce() -> io::Result<usize>,
    ) -> io::Result<usize> {
        let registration = self.io.registration();
        match send() {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                registration.clear_readiness(event);
                Err(e)
            }
            Ok(n) if n < total => {
                registration.clear_drained(event);
                Ok(n)
            }
            result => result,
        }
    }

    /// One read, for a `poll_*` caller; a short read clears readiness (the socket is drained).
    #[inline]
    pub(crate) fn poll_read_priv(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let registration = self.io.registration();
        self.read_loop(buf, || registration.poll_read_ready(cx))
    }

    /// One read with readiness from `ready`, until it stops answering `WouldBlock`.
    #[inline]
    fn read_loop(
        &self,
        buf: &mut [u8],
        mut ready: impl FnMut() -> Poll<io::Result<ReadyEvent>>,
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        loop {
            let event = ready!(ready())?;
            match self.read_settled(event, buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                result => return Poll::Ready(result),
            }
        }
    }

    /// One `send(MSG_NOSIGNAL)`, for a `poll_*` caller; a partial write clears readiness.
    #[inline]
    pub(crate) fn poll_write_priv(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let registration = self.io.registration();
        self.write_loop(buf, || registration.poll_write_ready(cx))
    }

    /// One `send(MSG_NOSIGNAL)` with readiness from `ready`; a partial write clears readiness.
    #[inline]
    fn write_loop(
        &self,
        buf: &[u8],
        ready: impl FnMut() -> Poll<io::Result<ReadyEvent>>,
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        self.send_loop(buf.len(), ready, |sock| {
            sock.send_with_flags(buf, libc::MSG_NOSIGNAL)
        })
    }

    /// One `sendmsg(MSG_NOSIGNAL)`, for a `poll_*` caller; a partial write clears readiness.
    pub(crate) fn poll_write_vectored_priv(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let registration = self.io.registration();
        self.write_vectored_loop(bufs, || registration.poll_write_ready(cx))
    }

    /// One `sendmsg(MSG_NOSIGNAL)` with readiness from `ready`; a partial write clears readiness.
    fn write_vectored_loop(
        &self,
        bufs: &[IoSlice<'_>],
        ready: impl FnMut() -> Poll<io::Result<ReadyEvent>>,
    ) -> Poll<io::Result<usize>> {
        // `sendmsg` refuses more than `IOV_MAX` slices (`EMSGSIZE`): offer at most that many, empty
        // ones at the front skipped, and judge a partial write against what was offered.
        let bufs = &bufs[bufs.iter().take_while(|b| b.is_empty()).count()..];
        let bufs = &bufs[..bufs.len().min(IOV_MAX)];
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        if total == 0 {
            return Poll::Ready(Ok(0));
        }
        self.send_loop(total, ready, |sock| {
            sock.send_vectored_with_flags(bufs, libc::MSG_NOSIGNAL)
        })
    }

    #[inline]
    fn send_loop(
        &self,
        total: usize,
        mut ready: impl FnMut() -> Poll<io::Result<ReadyEvent>>,
        mut send: impl FnMut(&SockRef<'_>) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        let sock = self.sock();
        loop {
            let event = ready!(ready())?;
            match self.send_settled(event, total, || send(&sock)) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                result => return Poll::Ready(result),
            }
        }
    }
}

/// `std::future::poll_fn` with a poll marked `#[inline]`: the futures above are polled on the path of
/// every message, and std's `PollFn::poll` is left out of line, costing a call and the saving and
/// restoring of registers on each poll.
struct InlinePoll<F>(F);

/// Wraps `poll` as a future (the bound makes the closure generic over the context's lifetime).
fn inline_poll<T, F: FnMut(&mut Context<'_>) -> Poll<T> + Unpin>(poll: F) -> InlinePoll<F> {
    InlinePoll(poll)
}

impl<T, F: FnMut(&mut Context<'_>) -> Poll<T> + Unpin> Future for InlinePoll<F> {
    type Output = T;

    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        (self.0)(cx)
    }
}
