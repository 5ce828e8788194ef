//! [`ServerKind`]: the three echo servers this benchmark compares.
//!
//! Rules: every server is one thread, listens on an ephemeral loopback port,
//! prints `listening <addr>` on stdout as its first line (the driver waits
//! for it), sets `TCP_NODELAY` on every connection, and echoes until killed.

use std::io;
use std::net::SocketAddr;

use crate::{mio_server, mudu_server, tokio_server};

/// One of the servers under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerKind {
    /// mudu: `block_on`, `TcpListener`, a task per connection.
    Mudu,
    /// tokio's current-thread runtime, same shape as `Mudu`.
    Tokio,
    /// A hand-written edge-triggered mio loop: the floor.
    Mio,
}

impl ServerKind {
    /// In the order the tables list them.
    pub const ALL: [ServerKind; 3] = [ServerKind::Mudu, ServerKind::Tokio, ServerKind::Mio];

    /// The name on the command line and in the tables.
    pub fn name(self) -> &'static str {
        match self {
            ServerKind::Mudu => "mudu",
            ServerKind::Tokio => "tokio",
            ServerKind::Mio => "mio",
        }
    }

    /// The inverse of [`name`](Self::name).
    pub fn from_name(name: &str) -> Result<ServerKind, String> {
        ServerKind::ALL
            .into_iter()
            .find(|k| k.name() == name)
            .ok_or_else(|| format!("unknown server {name:?} (mudu, tokio or mio)"))
    }

    /// Runs this server on the current thread until the process is killed.
    pub fn serve(self) -> io::Result<()> {
        match self {
            ServerKind::Mudu => mudu_server::serve(),
            ServerKind::Tokio => tokio_server::serve(),
            ServerKind::Mio => mio_server::serve(),
        }
    }
}

/// Where every server listens: loopback, a port the kernel picks.
pub const LISTEN_ADDR: &str = "127.0.0.1:0";

/// The line the driver waits for; flushed at once (stdout is line-buffered).
pub fn announce(addr: SocketAddr) {
    println!("listening {addr}");
}

/// The read buffer each server's loop shares among its connections.
pub const READ_BUF: usize = 64 * 1024;
