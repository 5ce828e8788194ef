//! Loopback ports a test can count on.

use mudu::net::TcpSocket;
use std::net::SocketAddr;

/// A loopback port held for the test: bound with `SO_REUSEADDR` but not
/// listening, so connecting to it is refused, the kernel never hands it out
/// as the local port of an outgoing connection, and a listener (which also
/// sets `SO_REUSEADDR`) can still bind it while the guard lives.
pub struct ReservedPort {
    _socket: TcpSocket,
    addr: SocketAddr,
}

impl ReservedPort {
    /// Reserves a free port chosen by the kernel.
    pub fn new() -> ReservedPort {
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_reuseaddr(true).unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = socket.local_addr().unwrap();
        ReservedPort {
            _socket: socket,
            addr,
        }
    }

    /// The reserved address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}
