//! The two directions of a [`TcpStream`], for two users at once.
//!
//! ```text
//!   split(&mut stream)              into_split(stream)
//!   +-----------+  +-----------+    +---------------+  +----------------+
//!   | ReadHalf  |  | WriteHalf |    | OwnedReadHalf |  | OwnedWriteHalf |
//!   +-----+-----+  +-----+-----+    +-------+-------+  +--------+-------+
//!         +---- &TcpStream --+              +--- Rc<TcpStream> --+
//! ```
//!
//! Rules: each half drives one direction only, so the reactor's one reader
//! and one writer waker are never shared. Borrowed halves live as long as
//! the `&mut` borrow; owned halves share the stream through an `Rc` (same
//! loop, `!Send`), the socket closing when both are dropped. Dropping an
//! [`OwnedWriteHalf`] half-closes the connection (a FIN, like
//! [`TcpStream::shutdown_write`]) unless it is given back through
//! [`OwnedReadHalf::reunite`].

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::rc::Rc;

use super::TcpStream;

/// The reading direction of a borrowed [`TcpStream`]; see [`TcpStream::split`].
#[derive(Debug)]
pub struct ReadHalf<'a>(&'a TcpStream);

/// The writing direction of a borrowed [`TcpStream`]; see [`TcpStream::split`].
#[derive(Debug)]
pub struct WriteHalf<'a>(&'a TcpStream);

/// The reading direction of a [`TcpStream`], owned; see [`TcpStream::into_split`].
#[derive(Debug)]
pub struct OwnedReadHalf {
    stream: Rc<TcpStream>,
}

/// The writing direction of a [`TcpStream`], owned; see [`TcpStream::into_split`].
/// Dropping it half-closes the connection.
#[derive(Debug)]
pub struct OwnedWriteHalf {
    stream: Rc<TcpStream>,
    shutdown_on_drop: bool,
}

pub(crate) fn split(stream: &mut TcpStream) -> (ReadHalf<'_>, WriteHalf<'_>) {
    (ReadHalf(stream), WriteHalf(stream))
}

pub(crate) fn into_split(stream: Rc<TcpStream>) -> (OwnedReadHalf, OwnedWriteHalf) {
    let write = OwnedWriteHalf {
        stream: Rc::clone(&stream),
        shutdown_on_drop: true,
    };
    (OwnedReadHalf { stream }, write)
}

/// The methods both reading halves share.
macro_rules! read_methods {
    () => {
        /// See [`TcpStream::read`].
        pub fn read<'a>(
            &'a mut self,
            buf: &'a mut [u8],
        ) -> impl Future<Output = io::Result<usize>> + 'a {
            self.stream_ref().read_ref(buf)
        }

        /// See [`TcpStream::read_exact`].
        pub fn read_exact<'a>(
            &'a mut self,
            buf: &'a mut [u8],
        ) -> impl Future<Output = io::Result<()>> + 'a {
            self.stream_ref().read_exact_ref(buf)
        }

        /// See [`TcpStream::peek`].
        pub fn peek<'a>(
            &'a mut self,
            buf: &'a mut [u8],
        ) -> impl Future<Output = io::Result<usize>> + 'a {
            self.stream_ref().peek_ref(buf)
        }

        /// See [`TcpStream::readable`].
        pub fn readable(&self) -> impl Future<Output = io::Result<()>> + '_ {
            self.stream_ref().readable_ref()
        }

        /// See [`TcpStream::try_read`].
        pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
            self.stream_ref().try_read(buf)
        }

        /// See [`TcpStream::local_addr`].
        pub fn local_addr(&self) -> io::Result<SocketAddr> {
            self.stream_ref().local_addr()
        }

        /// See [`TcpStream::peer_addr`].
        pub fn peer_addr(&self) -> io::Result<SocketAddr> {
            self.stream_ref().peer_addr()
        }
    };
}

/// The methods both writing halves share.
macro_rules! write_methods {
    () => {
        /// See [`TcpStream::write`].
        pub fn write<'a>(
            &'a mut self,
            buf: &'a [u8],
        ) -> impl Future<Output = io::Result<usize>> + 'a {
            self.stream_ref().write_ref(buf)
        }

        /// See [`TcpStream::write_all`].
        pub fn write_all<'a>(
            &'a mut self,
            buf: &'a [u8],
        ) -> impl Future<Output = io::Result<()>> + 'a {
            self.stream_ref().write_all_ref(buf)
        }

        /// See [`TcpStream::write_vectored`].
        pub fn write_vectored<'a>(
            &'a mut self,
            bufs: &'a [IoSlice<'a>],
        ) -> impl Future<Output = io::Result<usize>> + 'a {
            self.stream_ref().write_vectored_ref(bufs)
        }

        /// See [`TcpStream::writable`].
        pub fn writable(&self) -> impl Future<Output = io::Result<()>> + '_ {
            self.stream_ref().writable_ref()
        }

        /// See [`TcpStream::try_write`].
        pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
            self.stream_ref().try_write(buf)
        }

        /// See [`TcpStream::shutdown_write`].
        pub fn shutdown_write(&self) -> io::Result<()> {
            self.stream_ref().shutdown_write()
        }

        /// See [`TcpStream::local_addr`].
        pub fn local_addr(&self) -> io::Result<SocketAddr> {
            self.stream_ref().local_addr()
        }

        /// See [`TcpStream::peer_addr`].
        pub fn peer_addr(&self) -> io::Result<SocketAddr> {
            self.stream_ref().peer_addr()
        }
    };
}

impl ReadHalf<'_> {
    pub(crate) fn stream_ref(&self) -> &TcpStream {
        self.0
    }
    read_methods!();
}

impl WriteHalf<'_> {
    pub(crate) fn stream_ref(&self) -> &TcpStream {
        self.0
    }
    write_methods!();
}

impl OwnedReadHalf {
    pub(crate) fn stream_ref(&self) -> &TcpStream {
        &self.stream
    }
    read_methods!();

    /// Puts the stream back together from its two halves; fails (giving
    /// both back) if they came from different streams.
    ///
    /// ```
    /// use mudu_net::{TcpListener, TcpStream};
    ///
    /// mudu_runtime::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (read, write) = stream.into_split();
    ///     let stream = read.reunite(write).expect("same stream");
    ///     assert!(stream.peer_addr().is_ok());
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn reunite(self, mut write: OwnedWriteHalf) -> Result<TcpStream, ReuniteError> {
        if !Rc::ptr_eq(&self.stream, &write.stream) {
            return Err(ReuniteError(self, write));
        }
        write.shutdown_on_drop = false;
        drop(write);
        Ok(Rc::try_unwrap(self.stream).expect("both halves held the only references"))
    }
}

impl OwnedWriteHalf {
    pub(crate) fn stream_ref(&self) -> &TcpStream {
        &self.stream
    }
    write_methods!();

    /// See [`OwnedReadHalf::reunite`].
    pub fn reunite(self, read: OwnedReadHalf) -> Result<TcpStream, ReuniteError> {
        read.reunite(self)
    }
}

impl Drop for OwnedWriteHalf {
    fn drop(&mut self) {
        if self.shutdown_on_drop {
            // The peer may be gone already (ENOTCONN); nothing to undo then.
            let _ = self.stream.shutdown_write();
        }
    }
}

/// Two halves of different streams given to `reunite`; holds them both.
#[derive(Debug)]
pub struct ReuniteError(pub OwnedReadHalf, pub OwnedWriteHalf);

impl fmt::Display for ReuniteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tried to reunite halves of different TCP streams")
    }
}

impl Error for ReuniteError {}
