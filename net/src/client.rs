//! [`TcpClient`]: keeps one connection to a server, running a handler on
//! each connection and reconnecting when it ends. muduo's `TcpClient`, as
//! one future ([`TcpClient::run`]).
//!
//! ```text
//!   run(handler)
//!     loop:
//!       connector.connect()        Connecting / Retrying{delay} (backoff
//!         | Err(Stopped) --------> Disconnected{Stopped|Requested}, Ok(())
//!         | Err(gave up) --------> Disconnected{ConnectFailed}, Err(e)
//!         v Ok(stream)             Connected{local, peer}
//!       handler(stream) ............ DISCONNECT: shutdown(Write) on a dup
//!         |                          of the socket, keep running it
//!         |                          (the dup goes once used, or once the
//!         |                          handler's stream is gone)
//!         +-- STOP --------------> drop it (the connection closes),
//!         |                        Disconnected{Stopped}, Ok(())
//!         v returns                Disconnected{Closed|Error|Requested}
//!       disconnect asked or retry off: Ok(())
//!       connection lived at least the backoff's initial delay:
//!         reconnect at once (muduo), the pacing schedule started over
//!       else (the server accepts and closes at once):
//!         wait the pacing schedule's next delay, Retrying{delay}
//!         (500 ms doubling to 30 s by default), then reconnect
//! ```
//!
//! Rules:
//! - The client, its `run` future and the connections belong to the loop
//!   of the thread that polls `run`. One `run` at a time (`&mut self`).
//! - Everything `run` starts (the connector's attempt and retry timer, the
//!   handler future, the connection and the descriptor kept for the
//!   half-close) lives inside the `run` future: it is released when `run`
//!   returns or is dropped, and nothing outlives the client.
//! - [`ClientHandle`] is the way in from other threads (`stop`,
//!   `disconnect`, `states`); its commands act on `run`'s next poll.
//! - The client keeps a dup of the socket for `disconnect` to half-close, but
//!   never keeps the connection open by it: the dup is dropped as soon as the
//!   handler's stream is gone (dropped, or turned into a std stream, which a
//!   [`ReleaseWatch`] reports, waking the client even when another task
//!   dropped it), once `disconnect` has used it, and when the handler
//!   returns. A handler that drops its stream closes the connection then,
//!   even if it runs on. A `disconnect` that finds no dup (the stream gone,
//!   or no descriptor to spare) cannot half-close: it drops the handler, as
//!   `stop` does, so `run` still returns.
//! - Connections that end as soon as they are made are paced like failed
//!   connects, on the client's backoff schedule (without its attempts limit
//!   or deadline): a server that accepts and closes at once, or a handler
//!   that fails its handshake, does not turn the client into a busy loop of
//!   connections. muduo reconnects at once whatever happened.
//!
//! muduo's known defects, and why they cannot happen here:
//! - `TcpClient::stop` (`Connector::stop`) leaves the pending retry timer
//!   armed. Here the retry wait is a `Sleep` inside the `connect()` future;
//!   `stop()` wakes that future, which returns and drops the `Sleep`, whose
//!   entry leaves the wheel at once.
//! - Destroying a stopped client can crash: muduo's timer and connection
//!   callbacks keep raw pointers to the client (and its connector) and may
//!   run after it is gone. Here no callback exists: `run` borrows the client
//!   mutably, so the borrow checker forbids dropping the client while any of
//!   `run`'s work exists, and handles hold only shared flags and a waker.
//! - A caller cannot learn that connecting failed (muduo only logs it).
//!   Here `run` returns the [`ConnectError`] when connecting gives up,
//!   [`ClientState::Disconnected`] says why, and the connector's retries are
//!   visible as [`ClientState::Retrying`].

mod handle;
mod state;

pub use handle::ClientHandle;
pub use state::{ClientState, DisconnectReason};

use std::fmt;
use std::future::{poll_fn, Future};
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::os::fd::{AsFd, OwnedFd};
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use mudu_runtime::io::ReleaseWatch;
use mudu_timer::time::{self, Instant};
use socket2::SockRef;

use crate::broadcast::{Broadcast, Subscription};
use crate::log::log;
use crate::signals::Signals;
use crate::{
    Backoff, ConnectError, ConnectErrorKind, Connector, ConnectorEvent, TcpSocket, TcpStream,
};
use handle::{DISCONNECT, STOP};

/// A client that keeps a connection to one server; see the module docs.
///
/// ```
/// use mudu_net::{TcpClient, TcpListener};
///
/// mudu_runtime::block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let mut client = TcpClient::new(listener.local_addr()?); // retry off
///     let server = mudu_runtime::spawn(async move {
///         let (mut conn, _) = listener.accept().await?;
///         conn.write_all(b"hello").await
///     });
///     client
///         .run(|mut stream| async move {
///             let mut buf = [0; 5];
///             stream.read_exact(&mut buf).await?;
///             assert_eq!(&buf, b"hello");
///             Ok(())
///         })
///         .await?;
///     server.await.unwrap()?;
///     Ok::<_, std::io::Error>(())
/// })
/// .unwrap();
/// ```
///
/// A client belongs to its loop; its handle is what crosses threads:
///
/// ```compile_fail
/// fn needs_send<T: Send>() {}
/// needs_send::<mudu_net::TcpClient>();
/// ```
pub struct TcpClient {
    connector: Connector,
    /// Paces reconnects after connections that ended at once.
    pacing: Backoff,
    retry: bool,
    signals: Signals,
    states: Broadcast<ClientState>,
}

impl TcpClient {
    /// A client for `addr`: muduo's backoff while connecting, no time limit
    /// per attempt, and no reconnect after a connection ends.
    pub fn new(addr: SocketAddr) -> TcpClient {
        TcpClient {
            connector: Connector::new(addr),
            pacing: Backoff::default(),
            retry: false,
            signals: Signals::new(),
            states: Broadcast::new(),
        }
    }

    /// The schedule of waits between attempts to connect (see
    /// [`Connector::backoff`]); each connecting phase starts it over. The
    /// same schedule, without its attempts limit and deadline, paces
    /// reconnects after connections that end within its initial delay of
    /// being made (see the module docs).
    pub fn backoff(mut self, backoff: Backoff) -> TcpClient {
        self.pacing = backoff.unlimited();
        self.connector = self.connector.backoff(backoff);
        self
    }

    /// Whether to reconnect after a connection ends (muduo's
    /// `enableRetry`); off by default.
    pub fn retry(mut self, retry: bool) -> TcpClient {
        self.retry = retry;
        self
    }

    /// A time limit for each connect attempt (see
    /// [`Connector::connect_timeout`]).
    pub fn connect_timeout(mut self, timeout: Duration) -> TcpClient {
        self.connector = self.connector.connect_timeout(timeout);
        self
    }

    /// Makes each attempt's socket (see [`Connector::socket`]).
    pub fn socket(mut self, make: impl FnMut() -> io::Result<TcpSocket> + 'static) -> TcpClient {
        self.connector = self.connector.socket(make);
        self
    }

    /// The server's address.
    pub fn addr(&self) -> SocketAddr {
        self.connector.addr()
    }

    /// A handle to disconnect, stop or watch the client from any thread.
    pub fn handle(&self) -> ClientHandle {
        ClientHandle::new(
            self.signals.clone(),
            self.connector.handle(),
            self.states.subscribers(),
        )
    }

    /// Every [`ClientState`] from now on (as [`ClientHandle::states`]).
    pub fn states(&self) -> Subscription<ClientState> {
        self.states.subscribe()
    }

    /// Connects and runs `handler` with each connection until the client
    /// is done: the handler returned and retry is off, or
    /// [`ClientHandle::disconnect`] or [`ClientHandle::stop`] was called.
    /// With retry on, a connection that ends (the handler returns, with
    /// `Ok` or an error) is followed by a new connecting phase with a fresh
    /// backoff: at once if the connection lasted at least the backoff's
    /// initial delay, else after the pacing schedule's next delay (see the
    /// module docs).
    ///
    /// The handler's error does not end `run`; it is reported as
    /// [`DisconnectReason::Error`].
    ///
    /// # Errors
    /// The connector's error when connecting gives up: a fatal error, or
    /// the backoff's attempts limit or deadline. A stop is not an error.
    ///
    /// Outside a mudu runtime, connecting fails at once with kind
    /// [`Other`](crate::ConnectErrorKind::Other) (see
    /// [`Connector::connect`](crate::Connector::connect)).
    pub async fn run<H, F>(&mut self, mut handler: H) -> Result<(), ConnectError>
    where
        H: FnMut(TcpStream) -> F,
        F: Future<Output = io::Result<()>>,
    {
        let TcpClient {
            connector,
            pacing,
            retry,
            signals,
            states,
        } = self;
        let mut events = connector.events();
        loop {
            let stream = match connect_reporting(connector, &mut events, states).await {
                Ok(stream) => stream,
                Err(err) if err.kind() == ConnectErrorKind::Stopped => {
                    let reason = if signals.get() & STOP != 0 {
                        DisconnectReason::Stopped
                    } else {
                        DisconnectReason::Requested
                    };
                    states.publish(ClientState::Disconnected { reason });
                    return Ok(());
                }
                Err(err) => {
                    let reason = DisconnectReason::ConnectFailed(err.kind());
                    states.publish(ClientState::Disconnected { reason });
                    return Err(err);
                }
            };
            if let (Ok(local), Ok(peer)) = (stream.local_addr(), stream.peer_addr()) {
                states.publish(ClientState::Connected { local, peer });
            }
            let connected_at = Instant::now();
            let dup = dup_for_shutdown(&stream);
            let watch = stream.release_watch();
            let reason = serve(signals, dup, &watch, handler(stream)).await;
            log!(info, "disconnected from {}: {reason}", connector.addr());
            let done = !*retry
                || matches!(
                    reason,
                    DisconnectReason::Stopped | DisconnectReason::Requested
                )
                || signals.get() & (STOP | DISCONNECT) != 0;
            states.publish(ClientState::Disconnected { reason });
            if done {
                return Ok(());
            }
            if connected_at.elapsed() >= pacing.initial() {
                pacing.reset();
                continue;
            }
            let delay = pacing.next_delay().unwrap_or_else(|| pacing.initial());
            log!(
                info,
                "the connection to {} ended at once; reconnecting in {delay:?}",
                connector.addr()
            );
            states.publish(ClientState::Retrying { delay });
            if let Some(reason) = pause(signals, delay).await {
                states.publish(ClientState::Disconnected { reason });
                return Ok(());
            }
        }
    }
}

/// Waits `delay` before the next connection. A stop or disconnect ends the wait early, with the
/// reason to give up.
async fn pause(signals: &Signals, delay: Duration) -> Option<DisconnectReason> {
    match signals.until(STOP | DISCONNECT, time::sleep(delay)).await {
        Ok(()) => None,
        Err(raised) if raised & STOP != 0 => Some(DisconnectReason::Stopped),
        Err(_disconnect) => Some(DisconnectReason::Requested),
    }
}

/// The connector's `connect()`, with its events turned into states as they
/// happen (drained after every poll).
async fn connect_reporting(
    connector: &mut Connector,
    events: &mut Subscription<ConnectorEvent>,
    states: &Broadcast<ClientState>,
) -> Result<TcpStream, ConnectError> {
    let mut connecting = pin!(connector.connect());
    poll_fn(|cx| {
        let poll = connecting.as_mut().poll(cx);
        while let Some(event) = events.try_recv() {
            match event {
                ConnectorEvent::Attempt { .. } => states.publish(ClientState::Connecting),
                ConnectorEvent::RetryScheduled { delay, .. } => {
                    states.publish(ClientState::Retrying { delay })
                }
                _ => {}
            }
        }
        poll
    })
    .await
}

/// A second descriptor for the connection, so that `disconnect` can
/// half-close it while the handler owns the stream. `None` if the process
/// is out of descriptors: `disconnect` then ends the connection by dropping
/// the handler.
fn dup_for_shutdown(stream: &TcpStream) -> Option<OwnedFd> {
    match stream.as_fd().try_clone_to_owned() {
        Ok(fd) => Some(fd),
        Err(e) => {
            log!(warn, "cannot keep a descriptor for disconnect: {e}");
            None
        }
    }
}

/// What the client holds of the connection while the handler runs.
enum Kept {
    /// The dup for `disconnect`'s half-close.
    Dup(OwnedFd),
    /// No dup: none could be made, or the handler's stream went (dropped, or turned into a std
    /// stream that may live on elsewhere). `disconnect` cannot half-close then: it ends the
    /// connection's handler instead, as `stop` does.
    Nothing,
    /// Used by `disconnect`.
    Used,
}

impl Kept {
    /// Drops the dup once the handler's stream is gone (`stream_gone` keeps `cx`'s waker until then),
    /// so that it never holds the connection open by itself.
    fn forget_if_gone(&mut self, stream_gone: &ReleaseWatch, cx: &mut Context<'_>) {
        if matches!(self, Kept::Dup(_)) && stream_gone.poll_released(cx).is_ready() {
            *self = Kept::Nothing;
        }
    }
}

/// Runs one connection's handler until it returns or a command ends it.
async fn serve<F>(
    signals: &Signals,
    dup: Option<OwnedFd>,
    stream_gone: &ReleaseWatch,
    session: F,
) -> DisconnectReason
where
    F: Future<Output = io::Result<()>>,
{
    let mut session = pin!(session);
    let mut kept = dup.map_or(Kept::Nothing, Kept::Dup);
    let mut half_closed = false;
    poll_fn(|cx| {
        let raised = signals.register(cx);
        if raised & STOP != 0 {
            return Poll::Ready(DisconnectReason::Stopped);
        }
        // The stream may have gone since the last poll (another task dropped it, or turned it into a
        // std stream, perhaps in the same turn as the disconnect): `disconnect` must know.
        kept.forget_if_gone(stream_gone, cx);
        if raised & DISCONNECT != 0 && !half_closed {
            half_closed = true;
            match std::mem::replace(&mut kept, Kept::Used) {
                // ENOTCONN: the peer already reset the connection; the
                // handler will see that itself. The dup closes here.
                Kept::Dup(fd) => {
                    if let Err(e) = SockRef::from(&fd).shutdown(Shutdown::Write) {
                        log!(debug, "half-close on disconnect: {e}");
                    }
                }
                Kept::Nothing | Kept::Used => return Poll::Ready(DisconnectReason::Requested),
            }
        }
        let polled = session.as_mut().poll(cx);
        // The handler may have dropped the stream in that poll: the connection
        // must close then, so the dup goes too.
        kept.forget_if_gone(stream_gone, cx);
        polled.map(|result| match result {
            Ok(()) if half_closed => DisconnectReason::Requested,
            Ok(()) => DisconnectReason::Closed,
            // A write after the half-close fails with EPIPE: the disconnect's doing, not a fault.
            Err(e) if half_closed && e.kind() == io::ErrorKind::BrokenPipe => {
                DisconnectReason::Requested
            }
            Err(e) => DisconnectReason::Error(Arc::new(e)),
        })
    })
    .await
    // The handler future drops here, then the dup if still kept: the socket closes.
}

impl fmt::Debug for TcpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpClient")
            .field("connector", &self.connector)
            .field("retry", &self.retry)
            .field("signals", &self.signals.get())
            .finish()
    }
}
