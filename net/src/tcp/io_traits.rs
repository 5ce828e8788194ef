//! The ecosystem's I/O traits for [`TcpStream`] and its halves, so codecs,
//! HTTP stacks and copy helpers written for them run on a mudu loop.
//!
//! ```text
//! trait (feature)                      TcpStream  ReadHalf(s)  WriteHalf(s)
//! -----------------------------------  ---------  -----------  ------------
//! futures_io::AsyncRead  (futures-io)      x           x
//! futures_io::AsyncWrite (futures-io)      x                        x
//! tokio::io::AsyncRead   (tokio-io)        x           x
//! tokio::io::AsyncWrite  (tokio-io)        x                        x
//! ```
//!
//! Rules: the impls are thin: the same polls the inherent methods use
//! (short reads clear readiness, writes with `MSG_NOSIGNAL`). `flush` has
//! nothing to do (no user-space buffer); `close`/`shutdown` half-close the
//! connection with a FIN, leaving the socket open for reading.

use super::split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf};
use super::TcpStream;

/// The stream behind an I/O type of this module.
trait AsStream {
    fn stream(&self) -> &TcpStream;
}

impl AsStream for TcpStream {
    fn stream(&self) -> &TcpStream {
        self
    }
}

macro_rules! as_stream {
    ($($ty:ty),*) => {$(
        impl AsStream for $ty {
            fn stream(&self) -> &TcpStream {
                self.stream_ref()
            }
        }
    )*};
}

as_stream!(ReadHalf<'_>, WriteHalf<'_>, OwnedReadHalf, OwnedWriteHalf);

#[cfg(feature = "futures-io")]
mod futures_impls {
    use super::*;
    use std::io::{self, IoSlice};
    use std::pin::Pin;
    use std::task::{Context, Poll};

    macro_rules! futures_read {
        ($($ty:ty),*) => {$(
            impl futures_io::AsyncRead for $ty {
                fn poll_read(
                    self: Pin<&mut Self>,
                    cx: &mut Context<'_>,
                    buf: &mut [u8],
                ) -> Poll<io::Result<usize>> {
                    self.stream().poll_read_priv(cx, buf)
                }
            }
        )*};
    }

    macro_rules! futures_write {
        ($($ty:ty),*) => {$(
            impl futures_io::AsyncWrite for $ty {
                fn poll_write(
                    self: Pin<&mut Self>,
                    cx: &mut Context<'_>,
                    buf: &[u8],
                ) -> Poll<io::Result<usize>> {
                    self.stream().poll_write_priv(cx, buf)
                }

                fn poll_write_vectored(
                    self: Pin<&mut Self>,
                    cx: &mut Context<'_>,
                    bufs: &[IoSlice<'_>],
                ) -> Poll<io::Result<usize>> {
                    self.stream().poll_write_vectored_priv(cx, bufs)
                }

                fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                    Poll::Ready(Ok(()))
                }

                fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                    Poll::Ready(self.stream().shutdown_write())
                }
            }
        )*};
    }

    futures_read!(TcpStream, ReadHalf<'_>, OwnedReadHalf);
    futures_write!(TcpStream, WriteHalf<'_>, OwnedWriteHalf);
}

#[cfg(feature = "tokio-io")]
mod tokio_impls {
    use super::*;
    use std::io::{self, IoSlice};
    use std::pin::Pin;
    use std::task::{ready, Context, Poll};
    use tokio::io::ReadBuf;

    /// Reads into the unfilled part of `buf` (initialising it once; later
    /// calls on the same `ReadBuf` find it initialised).
    fn poll_read_buf(
        stream: &TcpStream,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let n = ready!(stream.poll_read_priv(cx, buf.initialize_unfilled()))?;
        buf.advance(n);
        Poll::Ready(Ok(()))
    }

    macro_rules! tokio_read {
        ($($ty:ty),*) => {$(
            impl tokio::io::AsyncRead for $ty {
                fn poll_read(
                    self: Pin<&mut Self>,
                    cx: &mut Context<'_>,
                    buf: &mut ReadBuf<'_>,
                ) -> Poll<io::Result<()>> {
                    poll_read_buf(self.stream(), cx, buf)
                }
            }
        )*};
    }

    macro_rules! tokio_write {
        ($($ty:ty),*) => {$(
            impl tokio::io::AsyncWrite for $ty {
                fn poll_write(
                    self: Pin<&mut Self>,
                    cx: &mut Context<'_>,
                    buf: &[u8],
                ) -> Poll<io::Result<usize>> {
                    self.stream().poll_write_priv(cx, buf)
                }

                fn poll_write_vectored(
                    self: Pin<&mut Self>,
                    cx: &mut Context<'_>,
                    bufs: &[IoSlice<'_>],
                ) -> Poll<io::Result<usize>> {
                    self.stream().poll_write_vectored_priv(cx, bufs)
                }

                fn is_write_vectored(&self) -> bool {
                    true
                }

                fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                    Poll::Ready(Ok(()))
                }

                fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                    Poll::Ready(self.stream().shutdown_write())
                }
            }
        )*};
    }

    tokio_read!(TcpStream, ReadHalf<'_>, OwnedReadHalf);
    tokio_write!(TcpStream, WriteHalf<'_>, OwnedWriteHalf);
}
