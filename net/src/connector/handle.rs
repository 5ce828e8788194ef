//! [`ConnectorHandle`]: stops and restarts a [`Connector`](crate::Connector)
//! from any thread.
//!
//! Rules: the handle only raises bits in the connector's
//! `Signals` and wakes the `connect()` future through its
//! own waker; everything else (closing the attempt's socket, dropping the
//! retry timer) is done by that future, on its loop, when it wakes. The
//! handle outlives the connector harmlessly: its commands then reach no one.

use crate::signals::Signals;

/// The connector's command bits (see [`Signals`]).
pub(crate) const STOP: u8 = 1 << 0;
/// Start the schedule over; cuts a pending retry wait short.
pub(crate) const RESTART: u8 = 1 << 1;

/// Stops or restarts a [`Connector`](crate::Connector); `Clone + Send +
/// Sync`, usable from any thread.
///
/// ```
/// use mudu_net::{ConnectErrorKind, Connector};
///
/// let rt = mudu_runtime::Runtime::builder().start_paused(true).build().unwrap();
/// rt.block_on(async {
///     let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
///     let addr = probe.local_addr().unwrap();
///     drop(probe); // nobody listens: the connector retries
///
///     let mut connector = Connector::new(addr);
///     let handle = connector.handle();
///     std::thread::spawn(move || handle.stop());
///     let err = connector.connect().await.unwrap_err();
///     assert_eq!(err.kind(), ConnectErrorKind::Stopped);
/// });
/// ```
#[derive(Clone, Debug)]
pub struct ConnectorHandle {
    signals: Signals,
}

impl ConnectorHandle {
    pub(crate) fn new(signals: Signals) -> ConnectorHandle {
        ConnectorHandle { signals }
    }

    /// Stops connecting: a pending retry wait is dropped (its timer leaves
    /// the wheel), an attempt in flight has its socket closed, a socket that
    /// completes afterwards is closed rather than handed out, and
    /// `connect()` returns an error of kind
    /// [`Stopped`](crate::ConnectErrorKind::Stopped) as soon as its loop
    /// polls it. Sticky: later `connect()` calls return `Stopped` at once
    /// until [`restart`](Self::restart).
    pub fn stop(&self) {
        self.signals.raise(STOP);
    }

    /// Undoes [`stop`](Self::stop) and starts the retry schedule over: the
    /// next wait is the initial delay, attempts are numbered from 1 again,
    /// and a pending retry wait is cut short (the next attempt starts at
    /// once). After a stop, the caller's next `connect()` connects again.
    pub fn restart(&self) {
        self.signals.clear(STOP);
        self.signals.raise(RESTART);
    }

    /// Whether [`stop`](Self::stop) was called and not undone.
    pub fn is_stopped(&self) -> bool {
        self.signals.get() & STOP != 0
    }
}
