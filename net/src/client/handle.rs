//! [`ClientHandle`]: disconnects, stops and watches a
//! [`TcpClient`](crate::TcpClient) from any thread.
//!
//! Rules: the handle raises bits in the client's `Signals` (and stops its
//! connector) and wakes `run`; the half-close, the drop of the handler and
//! every other effect happen in `run`, on the client's loop. Both commands
//! are final for the client: once given, `run` returns and later calls of
//! it return at once. The handle may outlive the client; its commands then
//! reach no one and its state streams end.

use crate::broadcast::Subscribers;
use crate::signals::Signals;
use crate::{ClientState, ConnectorHandle, Subscription};

/// The client's command bits.
pub(crate) const STOP: u8 = 1 << 0;
/// Half-close the connection, and do not reconnect.
pub(crate) const DISCONNECT: u8 = 1 << 1;

/// Commands for a [`TcpClient`](crate::TcpClient); `Clone + Send + Sync`.
#[derive(Clone, Debug)]
pub struct ClientHandle {
    signals: Signals,
    connector: ConnectorHandle,
    states: Subscribers<ClientState>,
}

impl ClientHandle {
    pub(crate) fn new(
        signals: Signals,
        connector: ConnectorHandle,
        states: Subscribers<ClientState>,
    ) -> ClientHandle {
        ClientHandle {
            signals,
            connector,
            states,
        }
    }

    /// Ends the client gracefully, as muduo's `TcpClient::disconnect`: the
    /// current connection is half-closed (write side: the server reads
    /// end-of-file, the handler can still read what the server sends until
    /// it closes), no reconnect follows, and `run` returns `Ok(())` when the
    /// handler does. With no connection up, connecting stops and `run`
    /// returns at once. If the handler no longer has its stream (it dropped
    /// it, or turned it into a std stream), there is nothing left to
    /// half-close: the handler is dropped instead, as with
    /// [`stop`](ClientHandle::stop).
    pub fn disconnect(&self) {
        self.signals.raise(DISCONNECT);
        self.connector.stop();
    }

    /// Ends the client now: a pending retry wait or attempt is dropped
    /// (timer and socket with it), the handler future is dropped (closing
    /// the connection), and `run` returns `Ok(())` as soon as its loop polls
    /// it.
    pub fn stop(&self) {
        self.signals.raise(STOP);
        self.connector.stop();
    }

    /// Every [`ClientState`] from now on; the stream ends when the client
    /// is dropped. May be read on any thread.
    pub fn states(&self) -> Subscription<ClientState> {
        self.states.subscribe()
    }
}
