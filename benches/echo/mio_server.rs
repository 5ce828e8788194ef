//! The floor: an echo server written by hand on mio, with nothing between
//! the event loop and the system calls.
//!
//! Rules:
//! - One `Poll`, one thread. Every socket is registered once, edge-triggered,
//!   for reading and writing; nothing is re-registered per message.
//! - Connections live in a `Slab`; the key is the token. One 64 KiB read
//!   buffer serves them all, because an echo writes back at once.
//! - Reading goes on until `WouldBlock` or a short read (a stream socket
//!   hands over all it holds, so a short read has drained it). Each chunk
//!   read is written straight back; what the kernel does not take waits in
//!   the connection's `pending` bytes, reading pauses, and the next writable
//!   edge flushes them and resumes reading.

use std::io::{self, Read, Write};

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use slab::Slab;

use crate::server_kind::{announce, LISTEN_ADDR, READ_BUF};

const LISTENER: Token = Token(usize::MAX - 1);

struct Conn {
    stream: TcpStream,
    /// Bytes read but not yet written back.
    pending: Vec<u8>,
    /// Reading stopped with `pending` bytes; resume once they are out.
    read_paused: bool,
}

/// Serves until the process is killed.
pub fn serve() -> io::Result<()> {
    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(1024);
    let mut listener = TcpListener::bind(LISTEN_ADDR.parse().expect("valid address"))?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    announce(listener.local_addr()?);
    let mut conns: Slab<Conn> = Slab::new();
    let mut buf = vec![0u8; READ_BUF];
    loop {
        if let Err(e) = poll.poll(&mut events, None) {
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        for event in events.iter() {
            if event.token() == LISTENER {
                accept_all(&poll, &listener, &mut conns);
                continue;
            }
            let key = event.token().0;
            let Some(conn) = conns.get_mut(key) else {
                continue;
            };
            let readable = event.is_readable() || event.is_read_closed() || event.is_error();
            if !conn.on_event(&mut buf, readable) {
                // Closing the socket also takes it out of the epoll set.
                conns.remove(key);
            }
        }
    }
}

fn accept_all(poll: &Poll, listener: &TcpListener, conns: &mut Slab<Conn>) {
    loop {
        match listener.accept() {
            Ok((mut stream, _peer)) => {
                let entry = conns.vacant_entry();
                let registered = stream.set_nodelay(true).and_then(|()| {
                    poll.registry().register(
                        &mut stream,
                        Token(entry.key()),
                        Interest::READABLE | Interest::WRITABLE,
                    )
                });
                match registered {
                    Ok(()) => {
                        entry.insert(Conn {
                            stream,
                            pending: Vec::new(),
                            read_paused: false,
                        });
                    }
                    Err(e) => eprintln!("mio server: register: {e}"),
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                eprintln!("mio server: accept: {e}");
                return;
            }
        }
    }
}

impl Conn {
    /// Handles one readiness edge; `false` means the connection is done.
    fn on_event(&mut self, buf: &mut [u8], readable: bool) -> bool {
        if !self.pending.is_empty() {
            match write_some(&self.stream, &self.pending) {
                Ok(n) => drop(self.pending.drain(..n)),
                Err(_) => return false,
            }
            if !self.pending.is_empty() {
                return true;
            }
        }
        if readable || self.read_paused {
            self.read_paused = false;
            return self.read_and_echo(buf);
        }
        true
    }

    fn read_and_echo(&mut self, buf: &mut [u8]) -> bool {
        loop {
            match (&self.stream).read(buf) {
                Ok(0) => return false,
                Ok(n) => {
                    let written = match write_some(&self.stream, &buf[..n]) {
                        Ok(written) => written,
                        Err(_) => return false,
                    };
                    if written < n {
                        self.pending.extend_from_slice(&buf[written..n]);
                        self.read_paused = true;
                        return true;
                    }
                    if n < buf.len() {
                        return true;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
    }
}

/// Writes as much of `data` as the kernel takes now. A partial write means
/// the send buffer is full, so it stops there rather than asking again.
fn write_some(mut stream: &TcpStream, data: &[u8]) -> io::Result<usize> {
    let mut sent = 0;
    while sent < data.len() {
        match stream.write(&data[sent..]) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => {
                sent += n;
                if sent < data.len() {
                    break;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(sent)
}
