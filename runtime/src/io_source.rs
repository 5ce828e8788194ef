//! An owned mio source registered with the current loop.

use crate::reactor::{Direction, Registration};
use std::fmt;
use std::io;
use std::task::{Context, Poll};

/// A mio source (socket, pipe, ...) together with its registration on the loop that created it.
///
/// This is the building block of mudu's I/O types: it owns the source, registers it on creation and
/// deregisters it before the source closes, when dropped. Like its registration it is bound to its loop's
/// thread.
///
/// ```no_run
/// use mudu_runtime::io::IoSource;
/// use std::io::Read;
///
/// mudu_runtime::block_on(async {
///     let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
///     std_listener.set_nonblocking(true)?;
///     let listener = IoSource::new(mio::net::TcpListener::from_std(std_listener))?;
///     let (stream, peer) =
///         std::future::poll_fn(|cx| listener.poll_read_with(cx, |l| l.accept())).await?;
///     println!("accepted {peer}");
///     # let _ = stream;
///     Ok::<_, std::io::Error>(())
/// })
/// .unwrap();
/// ```
pub struct IoSource<S: mio::event::Source> {
    /// `Some` until `into_inner` takes it.
    source: Option<S>,
    registration: Registration,
}

impl<S: mio::event::Source> IoSource<S> {
    /// Registers `source` with the current thread's loop.
    ///
    /// # Errors
    /// Outside a mudu runtime, or when the poll refuses the source.
    pub fn new(mut source: S) -> io::Result<IoSource<S>> {
        let registration = Registration::new(&mut source)?;
        Ok(IoSource {
            source: Some(source),
            registration,
        })
    }

    /// The source.
    pub fn get_ref(&self) -> &S {
        self.source
            .as_ref()
            .expect("source present until into_inner")
    }

    /// The source, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        self.source
            .as_mut()
            .expect("source present until into_inner")
    }

    /// The registration, for fine-grained readiness handling.
    pub fn registration(&self) -> &Registration {
        &self.registration
    }

    /// Runs `op` on the source once it is ready in `direction`, until it stops answering `WouldBlock`.
    pub fn poll_with<R>(
        &self,
        direction: Direction,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&S) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        let source = self.get_ref();
        self.registration.poll_io(direction, cx, || op(source))
    }

    /// [`poll_with`](Self::poll_with) for reading.
    pub fn poll_read_with<R>(
        &self,
        cx: &mut Context<'_>,
        op: impl FnMut(&S) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.poll_with(Direction::Read, cx, op)
    }

    /// [`poll_with`](Self::poll_with) for writing.
    pub fn poll_write_with<R>(
        &self,
        cx: &mut Context<'_>,
        op: impl FnMut(&S) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.poll_with(Direction::Write, cx, op)
    }

    /// Deregisters the source and hands it back, e.g. to move it to another loop.
    pub fn into_inner(mut self) -> io::Result<S> {
        let mut source = self.source.take().expect("source present until into_inner");
        self.registration.deregister(&mut source)?;
        Ok(source)
    }
}

impl<S: mio::event::Source> Drop for IoSource<S> {
    fn drop(&mut self) {
        if let Some(mut source) = self.source.take() {
            // The source closes right after; a failure here leaves nothing to undo.
            let _ = self.registration.deregister(&mut source);
        }
    }
}

impl<S: mio::event::Source + fmt::Debug> fmt::Debug for IoSource<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IoSource")
            .field("source", &self.source)
            .finish()
    }
}
