//! [`Connector`]: connects to one address, retrying on the timer wheel until
//! it succeeds, meets a fatal error, runs out of attempts or time, or is
//! stopped. muduo's `Connector`, as one future.
//!
//! ```text
//!        connect()
//!            |  reset the backoff, start = now
//!            v
//!   +--> STOP raised? --yes--> Err(Stopped)
//!   |        | no
//!   |   Attempt{n}: a new socket, one pass of the connect state machine
//!   |        |          (with connect_timeout, if set)
//!   |        +-- STOP raised meanwhile --> drop the attempt (its socket
//!   |        |                             closes) --> Err(Stopped)
//!   |        +-- Ok(stream) -- STOP raised? --yes--> close it, Err(Stopped)
//!   |        |                     | no
//!   |        |                Connected{n} --> Ok(stream)
//!   |        v Err(e)
//!   |   Failed{n, kind}
//!   |        +-- fatal kind -----------------------------> Err(e)
//!   |        +-- backoff says stop (attempts, deadline) --> Err(e)
//!   |        v delay
//!   |   RetryScheduled{n+1, delay}: sleep(delay) on the wheel
//!   |        +-- STOP raised --> drop the sleep (its timer leaves
//!   |        |                   the wheel at once) --> Err(Stopped)
//!   |        +-- RESTART raised --> reset the backoff, n = 1
//!   +--------+-- delay elapsed
//! ```
//!
//! Rules:
//! - A `Connector` and its `connect()` future belong to the loop of the
//!   thread that polls them (the stream they make is `!Send`). One
//!   `connect()` runs at a time (`&mut self`).
//! - Everything an attempt or a wait holds (socket, registration, timer)
//!   lives inside the `connect()` future: whatever ends it (a result, a
//!   stop, or dropping it) releases them. Nothing is left behind that could
//!   fire later.
//! - [`ConnectorHandle`] is the only way in from other threads: it raises a
//!   bit and wakes the future, which acts on its next poll.
//! - Events ([`ConnectorEvent`]) are published as they happen, and logged
//!   through `tracing` when the `tracing` feature is on.

mod event;
mod handle;

pub use event::ConnectorEvent;
pub use handle::ConnectorHandle;

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::fd::AsFd;
use std::time::Duration;

use mudu_timer::time::{self, Instant};
use socket2::Socket;

use crate::broadcast::{Broadcast, Subscription};
use crate::log::log;
use crate::signals::Signals;
use crate::tcp::{connect_addr, setup_error};
use crate::{Backoff, ConnectError, TcpSocket, TcpStream};
use handle::{RESTART, STOP};

/// Makes each attempt's socket (see [`Connector::socket`]).
type SocketFactory = Box<dyn FnMut() -> io::Result<TcpSocket>>;

/// Connects to one address with retries; see the module docs.
///
/// ```
/// use mudu_net::{Backoff, Connector, ConnectorEvent, TcpListener};
/// use std::time::Duration;
///
/// mudu_runtime::block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let addr = listener.local_addr().unwrap();
///     let mut connector = Connector::new(addr)
///         .backoff(Backoff::default().max_attempts(5))
///         .connect_timeout(Duration::from_secs(3));
///     let mut events = connector.events();
///     let stream = connector.connect().await.unwrap();
///     assert_eq!(stream.peer_addr().unwrap(), addr);
///     assert_eq!(events.try_recv(), Some(ConnectorEvent::Attempt { addr, attempt: 1 }));
///     assert!(matches!(events.try_recv(), Some(ConnectorEvent::Connected { attempt: 1, .. })));
/// });
/// ```
///
/// A connector belongs to its loop; its handle is what crosses threads:
///
/// ```compile_fail
/// fn needs_send<T: Send>() {}
/// needs_send::<mudu_net::Connector>();
/// ```
pub struct Connector {
    addr: SocketAddr,
    backoff: Backoff,
    connect_timeout: Option<Duration>,
    socket: Option<SocketFactory>,
    signals: Signals,
    events: Broadcast<ConnectorEvent>,
}

impl Connector {
    /// A connector for `addr` with muduo's schedule ([`Backoff::default`]:
    /// 500 ms doubling to 30 s, no limit) and no per-attempt time limit
    /// beyond the kernel's.
    pub fn new(addr: SocketAddr) -> Connector {
        Connector {
            addr,
            backoff: Backoff::default(),
            connect_timeout: None,
            socket: None,
            signals: Signals::new(),
            events: Broadcast::new(),
        }
    }

    /// The schedule of waits between attempts, with its optional attempts
    /// limit and deadline (measured from the first attempt of each
    /// `connect()`).
    pub fn backoff(mut self, backoff: Backoff) -> Connector {
        self.backoff = backoff;
        self
    }

    /// A time limit for each attempt on the runtime's clock; an attempt
    /// past it fails with the retryable
    /// [`TimedOut`](crate::ConnectErrorKind::TimedOut).
    pub fn connect_timeout(mut self, timeout: Duration) -> Connector {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Makes each attempt's socket with `make` instead of a plain socket of
    /// the target's family: to set options or bind a local address before
    /// connecting. An error from `make` fails that attempt, classified by
    /// the setup table ([`classify_setup`](crate::connect::classify_setup):
    /// a want of resources, a local address in use or not available is
    /// retried; anything else is fatal).
    ///
    /// ```
    /// use mudu_net::{Connector, TcpListener, TcpSocket};
    ///
    /// mudu_runtime::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let mut connector = Connector::new(listener.local_addr().unwrap()).socket(|| {
    ///         let socket = TcpSocket::new_v4()?;
    ///         socket.set_nodelay(true)?;
    ///         Ok(socket)
    ///     });
    ///     assert!(connector.connect().await.unwrap().nodelay().unwrap());
    /// });
    /// ```
    pub fn socket(mut self, make: impl FnMut() -> io::Result<TcpSocket> + 'static) -> Connector {
        self.socket = Some(Box::new(make));
        self
    }

    /// The target address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A handle to stop or restart this connector from any thread.
    pub fn handle(&self) -> ConnectorHandle {
        ConnectorHandle::new(self.signals.clone())
    }

    /// A stream of every [`ConnectorEvent`] from now on; it ends when the
    /// connector is dropped. Any number of subscribers may listen.
    pub fn events(&self) -> Subscription<ConnectorEvent> {
        self.events.subscribe()
    }

    /// Connects, retrying retryable failures after the backoff's delays.
    ///
    /// Each call starts the schedule over (attempt 1, initial delay).
    ///
    /// # Errors
    /// - the first fatal error (permission, address family, ...);
    /// - the last error when the backoff's attempts limit or deadline ends
    ///   the retries;
    /// - kind [`Stopped`](crate::ConnectErrorKind::Stopped) after
    ///   [`ConnectorHandle::stop`], with the number of the last attempt.
    ///
    /// # Cancellation
    /// Dropping the future closes the socket of an attempt in flight and
    /// removes a pending retry timer from the wheel.
    ///
    /// Outside a mudu runtime the attempt's socket cannot be registered with
    /// a loop, so the first attempt fails with kind
    /// [`Other`](crate::ConnectErrorKind::Other), which is not retried.
    /// (Were it retried, the wait would panic: it needs the runtime's timer.)
    pub async fn connect(&mut self) -> Result<TcpStream, ConnectError> {
        let addr = self.addr;
        self.signals.clear(RESTART);
        self.backoff.reset();
        let mut start = Instant::now();
        loop {
            let attempt = self.backoff.attempt();
            if self.signals.get() & STOP != 0 {
                return Err(self.stopped(attempt));
            }
            self.publish(ConnectorEvent::Attempt { addr, attempt });
            let result = match self.make_socket(attempt) {
                Ok(socket) => {
                    let attempt_future = one_attempt(addr, socket, attempt, self.connect_timeout);
                    match self.signals.until(STOP, attempt_future).await {
                        Ok(result) => result,
                        // The attempt future dropped in `until`: its socket is closed.
                        Err(_stop) => return Err(self.stopped(attempt)),
                    }
                }
                Err(e) => Err(e),
            };
            let err = match result {
                Ok(stream) => return self.hand_out(stream, attempt),
                Err(err) => err,
            };
            log!(warn, "{err}");
            self.publish(ConnectorEvent::Failed {
                addr,
                attempt,
                kind: err.kind(),
            });
            if !err.is_retryable() {
                log!(error, "giving up connecting to {addr}: {}", err.kind());
                return Err(err);
            }
            if self.signals.take(RESTART) != 0 {
                self.backoff.reset();
                start = Instant::now();
            }
            let Some(delay) = self.backoff.next_delay_at(start.elapsed()) else {
                log!(
                    error,
                    "giving up connecting to {addr} after attempt {attempt}"
                );
                return Err(err);
            };
            let next = self.backoff.attempt();
            let event = ConnectorEvent::RetryScheduled {
                addr,
                attempt: next,
                delay,
            };
            log!(info, "{event}");
            self.publish(event);
            match self
                .signals
                .until(STOP | RESTART, wait_to_retry(delay))
                .await
            {
                Ok(()) => {}
                Err(raised) if raised & STOP != 0 => return Err(self.stopped(attempt)),
                Err(_restart) => {
                    self.signals.clear(RESTART);
                    self.backoff.reset();
                    start = Instant::now();
                }
            }
        }
    }

    /// The last check before a stream leaves: a stop that arrived while the
    /// handshake finished wins, and the socket is closed.
    fn hand_out(&self, stream: TcpStream, attempt: u32) -> Result<TcpStream, ConnectError> {
        if self.signals.get() & STOP != 0 {
            drop(stream);
            return Err(self.stopped(attempt));
        }
        match (stream.local_addr(), stream.peer_addr()) {
            (Ok(local), Ok(peer)) => {
                let event = ConnectorEvent::Connected {
                    local,
                    peer,
                    attempt,
                };
                log!(info, "{event}");
                self.publish(event);
            }
            _ => log!(info, "connected to {} (attempt {attempt})", self.addr),
        }
        Ok(stream)
    }

    fn stopped(&self, attempt: u32) -> ConnectError {
        log!(info, "stopped connecting to {}", self.addr);
        ConnectError::stopped(self.addr, attempt)
    }

    fn publish(&self, event: ConnectorEvent) {
        if let ConnectorEvent::Attempt { .. } = event {
            log!(debug, "{event}");
        }
        self.events.publish(event);
    }

    /// The caller's socket for this attempt, if a factory was given. The
    /// `TcpSocket` is taken over through a duplicate of its descriptor
    /// (the original closes when the `TcpSocket` drops).
    fn make_socket(&mut self, attempt: u32) -> Result<Option<Socket>, ConnectError> {
        let Some(make) = self.socket.as_mut() else {
            return Ok(None);
        };
        let addr = self.addr;
        let socket = make().map_err(|e| setup_error(addr, attempt, e))?;
        let fd = socket
            .as_fd()
            .try_clone_to_owned()
            .map_err(|e| setup_error(addr, attempt, e))?;
        Ok(Some(Socket::from(fd)))
    }
}

/// The pause before the next attempt: `delay`, and one turn of the loop
/// in any case. A zero delay is over at the first poll, and attempts that
/// fail inside `connect()` itself (a `blackhole` route) never wait for the
/// loop: without the turn, such a retry loop would never let its loop run
/// another task, not even the one that would stop it.
async fn wait_to_retry(delay: Duration) {
    time::sleep(delay).await;
    mudu_runtime::task::yield_now().await;
}

/// One attempt, within `limit` if there is one.
async fn one_attempt(
    addr: SocketAddr,
    socket: Option<Socket>,
    attempt: u32,
    limit: Option<Duration>,
) -> Result<TcpStream, ConnectError> {
    let attempt_future = connect_addr(addr, socket, attempt);
    match limit {
        None => attempt_future.await,
        Some(limit) => match time::timeout(limit, attempt_future).await {
            Ok(result) => result,
            Err(_elapsed) => Err(ConnectError::timed_out(addr, attempt)),
        },
    }
}

impl fmt::Debug for Connector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connector")
            .field("addr", &self.addr)
            .field("backoff", &self.backoff)
            .field("connect_timeout", &self.connect_timeout)
            .field("custom_socket", &self.socket.is_some())
            .field("signals", &self.signals.get())
            .finish()
    }
}
