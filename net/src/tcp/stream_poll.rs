//! The `&self` I/O core of [`TcpStream`], shared by the stream's inherent
//! methods, its split halves and the ecosystem traits.
//!
//! Rules: each direction is driven by at most one task at a time (the
//! reactor keeps one waker per direction); the callers' `&mut` borrows and
//! the halves see to that. Every poll goes on until `WouldBlock` before it
//! waits, except that a short read clears readiness (the socket is drained)
//! and a partial write clears it (the send buffer is full); a `peek` only
//! clears on `WouldBlock`, since it leaves the bytes in place. Writes use
//! `send`/`sendmsg` with `MSG_NOSIGNAL`.

use std::future::poll_fn;
use std::io::{self, IoSlice, Read};
use std::task::{Context, Poll};

use mudu_runtime::io::Direction;
use socket2::SockRef;

use super::TcpStream;

impl TcpStream {
    pub(crate) async fn read_ref(&self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_read_priv(cx, buf)).await
    }

    pub(crate) async fn read_exact_ref(&self, mut buf: &mut [u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.read_ref(buf).await? {
                0 => return Err(io::ErrorKind::UnexpectedEof.into()),
                n => buf = &mut buf[n..],
            }
        }
        Ok(())
    }

    pub(crate) async fn write_ref(&self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_write_priv(cx, buf)).await
    }

    pub(crate) async fn write_all_ref(&self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.write_ref(buf).await? {
                0 => return Err(io::ErrorKind::WriteZero.into()),
                n => buf = &buf[n..],
            }
        }
        Ok(())
    }

    pub(crate) async fn write_vectored_ref(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_write_vectored_priv(cx, bufs)).await
    }

    pub(super) fn read_once(&self, buf: &mut [u8]) -> io::Result<usize> {
        let mut stream: &mio::net::TcpStream = self.io.get_ref();
        stream.read(buf)
    }

    pub(crate) fn poll_ready_priv(
        &self,
        direction: Direction,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        self.io
            .registration()
            .poll_ready(direction, cx)
            .map_ok(|_event| ())
    }

    /// One read; a short read clears readiness (the socket is drained).
    pub(crate) fn poll_read_priv(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let registration = self.io.registration();
        loop {
            let event = std::task::ready!(registration.poll_read_ready(cx))?;
            match self.read_once(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    registration.clear_readiness(event)
                }
                Ok(n) if n > 0 && n < buf.len() => {
                    registration.clear_readiness(event);
                    return Poll::Ready(Ok(n));
                }
                result => return Poll::Ready(result),
            }
        }
    }

    pub(super) fn poll_peek_priv(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        // A peek leaves the bytes in place, so only `WouldBlock` clears.
        self.io.poll_read_with(cx, |s| s.peek(buf))
    }

    /// One `send(MSG_NOSIGNAL)`; a partial write clears readiness.
    pub(crate) fn poll_write_priv(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        self.poll_send(cx, buf.len(), |sock| {
            sock.send_with_flags(buf, libc::MSG_NOSIGNAL)
        })
    }

    /// One `sendmsg(MSG_NOSIGNAL)`; a partial write clears readiness.
    pub(crate) fn poll_write_vectored_priv(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        if total == 0 {
            return Poll::Ready(Ok(0));
        }
        self.poll_send(cx, total, |sock| {
            sock.send_vectored_with_flags(bufs, libc::MSG_NOSIGNAL)
        })
    }

    fn poll_send(
        &self,
        cx: &mut Context<'_>,
        total: usize,
        mut send: impl FnMut(&SockRef<'_>) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        let registration = self.io.registration();
        let sock = self.sock();
        loop {
            let event = std::task::ready!(registration.poll_write_ready(cx))?;
            match send(&sock) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    registration.clear_readiness(event)
                }
                Ok(n) if n < total => {
                    registration.clear_readiness(event);
                    return Poll::Ready(Ok(n));
                }
                result => return Poll::Ready(result),
            }
        }
    }
}
