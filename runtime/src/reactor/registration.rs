//! The handle an I/O type keeps to its source's reactor slot.

use super::{Direction, Reactor, Ready, ReadyEvent, ReleaseWatch};
use std::fmt;
use std::io;
use std::rc::Rc;
use std::task::{Context, Poll};

/// A source's registration with its loop's reactor.
///
/// Created on a loop's thread (inside `block_on` or a task), it belongs to that loop: it is neither `Send` nor
/// `Sync`, like every I/O type built on it. The I/O type owns the mio source and must
/// [`deregister`](Self::deregister) it before closing it; dropping the registration frees the slot.
///
/// The protocol, for each direction: [`poll_ready`](Self::poll_ready) until it yields an event, attempt the
/// operation, and on `WouldBlock` hand the event to [`clear_readiness`](Self::clear_readiness) and poll again.
/// Readiness is edge-triggered, so an I/O type must keep going until `WouldBlock` (or until a read returns
/// fewer bytes than asked, which on a stream socket means the socket is drained, and then hand the event to
/// [`clear_drained`](Self::clear_drained)) before it waits.
pub struct Registration {
    reactor: Rc<Reactor>,
    index: usize,
    generation: u32,
}

impl Registration {
    /// Registers `source` with the current thread's loop for reading and writing.
    ///
    /// # Errors
    /// Outside a mudu loop (an error of kind `Other`), or when the poll refuses the source.
    pub fn new(source: &mut impl mio::event::Source) -> io::Result<Registration> {
        let reactor =
            crate::context::with_core(|core| Rc::clone(&core.reactor)).ok_or_else(|| {
                io::Error::other("a mudu I/O source must be created inside a mudu runtime")
            })?;
        let (index, generation) = reactor.register(source)?;
        Ok(Registration {
            reactor,
            index,
            generation,
        })
    }

    /// Polls for readiness in `direction`. When none is recorded, stores `cx`'s waker and returns
    /// `Pending`. For a caller that keeps no state between polls (a `poll_*` method): the slot keeps
    /// the latest poll's waker, and an earlier such caller's is dropped, as with tokio's `poll_*`
    /// methods. A pending [`ReadyWait`](super::ReadyWait) it puts out of the slot is still woken by
    /// the next event in that direction. Futures that may wait beside others, and that should stop
    /// counting as blocked on I/O when dropped, use a `ReadyWait`.
    ///
    /// # Errors
    /// Once the loop has shut down.
    #[inline]
    pub fn poll_ready(
        &self,
        direction: Direction,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<ReadyEvent>> {
        match self.reactor.poll_ready(self.index, direction, cx.waker()) {
            Some(result) => Poll::Ready(result),
            None => Poll::Pending,
        }
    }

    /// [`poll_ready`](Self::poll_ready) for reading.
    #[inline]
    pub fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<ReadyEvent>> {
        self.poll_ready(Direction::Read, cx)
    }

    /// [`poll_ready`](Self::poll_ready) for writing.
    #[inline]
    pub fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<ReadyEvent>> {
        self.poll_ready(Direction::Write, cx)
    }

    /// The readiness recorded for `direction` right now, without storing a waker: for the `try_*` operations
    /// of I/O types, which must not steal the wake-up of a task waiting in that direction.
    ///
    /// # Errors
    /// Once the loop has shut down.
    #[inline]
    pub fn try_ready(&self, direction: Direction) -> io::Result<Option<ReadyEvent>> {
        self.reactor.ready_now(self.index, direction)
    }

    /// Forgets the readiness `event` reported, all of it, unless the source saw a newer event since.
    /// Call it when the operation answered `WouldBlock`: that shows the direction is neither ready
    /// nor closed nor failed, whatever the event said. (An `EPOLLERR` does not always make the
    /// operation fail: a transmit timestamp waiting in the error queue raises it too. Kept, it would
    /// report the direction ready forever, and the I/O type would spin.)
    #[inline]
    pub fn clear_readiness(&self, event: ReadyEvent) {
        self.reactor.clear_readiness(self.index, event, event.ready);
    }

    /// Forgets that `event` found the source readable or writable, but keeps its closed and error
    /// flags, unless the source saw a newer event since. Call it after a short read (the socket is
    /// drained) or a partial write (the send buffer is full): the next operation must still see an
    /// end-of-file or an error that came with the event.
    #[inline]
    pub fn clear_drained(&self, event: ReadyEvent) {
        self.reactor
            .clear_readiness(self.index, event, Ready::DRAINED);
    }

    /// Runs the non-blocking operation `op` when `direction` is ready, clearing readiness and waiting again
    /// each time it answers `WouldBlock`.
    #[inline]
    pub fn poll_io<R>(
        &self,
        direction: Direction,
        cx: &mut Context<'_>,
        mut op: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        loop {
            let event = match self.poll_ready(direction, cx) {
                Poll::Ready(Ok(event)) => event,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            };
            match op() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.clear_readiness(event),
                result => return Poll::Ready(result),
            }
        }
    }

    /// A watch that tells when this registration is gone (see [`ReleaseWatch`]).
    pub fn release_watch(&self) -> ReleaseWatch {
        ReleaseWatch::new(Rc::clone(&self.reactor), self.index, self.generation)
    }

    /// The reactor of the registration's loop.
    pub(super) fn reactor(&self) -> &Reactor {
        &self.reactor
    }

    /// The registration's slot in that reactor.
    pub(super) fn index(&self) -> usize {
        self.index
    }

    /// Removes `source` from the loop's poll. Call it before the source is closed.
    pub fn deregister(&self, source: &mut impl mio::event::Source) -> io::Result<()> {
        self.reactor.deregister(source)
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.reactor.release(self.index, self.generation);
    }
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registration")
            .field("index", &self.index)
            .field("generation", &self.generation)
            .finish()
    }
}
