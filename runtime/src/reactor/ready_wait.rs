//! [`ReadyWait`]: one task's wait for readiness in one direction of a source, withdrawn when dropped.

use super::crowd::WaitAt;
use super::{Direction, ReadyEvent, Registration};
use std::fmt;
use std::io;
use std::task::{Context, Poll};

/// One wait for readiness in one direction of a registered source, as an I/O future keeps it between
/// polls. Several waits may be pending on one direction at once, from several tasks or from several
/// futures of one task, and the next event wakes them all. A wait dropped while pending (a `timeout`
/// that fired, the losing branch of a `select`) withdraws itself: the loop stops counting it as a task
/// blocked on I/O, which a paused clock takes into account.
///
/// [`Registration::poll_ready`] keeps no such state: it suits a caller that polls from a `poll_*`
/// method, and keeps only the latest poll's waker in the slot.
///
/// ```no_run
/// use mudu_runtime::io::{Direction, IoSource, ReadyWait};
///
/// mudu_runtime::block_on(async {
///     let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
///     std_listener.set_nonblocking(true)?;
///     let listener = IoSource::new(mio::net::TcpListener::from_std(std_listener))?;
///     let mut wait = ReadyWait::new(listener.registration(), Direction::Read);
///     loop {
///         let event = std::future::poll_fn(|cx| wait.poll_ready(cx)).await?;
///         match listener.get_ref().accept() {
///             Ok((_stream, peer)) => break println!("accepted {peer}"),
///             Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
///                 listener.registration().clear_readiness(event)
///             }
///             Err(e) => return Err(e),
///         }
///     }
///     Ok::<_, std::io::Error>(())
/// })
/// .unwrap();
/// ```
pub struct ReadyWait<'a> {
    registration: &'a Registration,
    /// The direction and where the wait is registered, in one word: the whole wait is two words, and
    /// it sits in every I/O future a connection's task holds.
    at: WaitAt,
}

impl<'a> ReadyWait<'a> {
    /// A wait on `direction` of `registration`'s source, registered at its first pending poll.
    pub fn new(registration: &'a Registration, direction: Direction) -> ReadyWait<'a> {
        ReadyWait {
            registration,
            at: WaitAt::new(direction),
        }
    }

    /// The readiness recorded for the direction, if any; otherwise registers the wait with `cx`'s
    /// waker and returns `Pending`.
    ///
    /// # Errors
    /// Once the loop has shut down.
    #[inline]
    pub fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<ReadyEvent>> {
        let index = self.registration.index();
        let reactor = self.registration.reactor();
        let waker = cx.waker();
        // One arm per direction, each with the direction a constant in the inlined poll.
        let polled = match self.at.direction {
            Direction::Read => reactor.poll_wait(index, Direction::Read, waker, &mut self.at),
            Direction::Write => reactor.poll_wait(index, Direction::Write, waker, &mut self.at),
        };
        match polled {
            Some(result) => Poll::Ready(result),
            None => Poll::Pending,
        }
    }
}

impl Drop for ReadyWait<'_> {
    #[inline]
    fn drop(&mut self) {
        if self.at.is_pending() {
            self.registration
                .reactor()
                .end_wait(self.registration.index(), self.at);
        }
    }
}

impl fmt::Debug for ReadyWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadyWait")
            .field("direction", &self.at.direction)
            .field("pending", &self.at.is_pending())
            .finish()
    }
}
