//! [`Load`]: the closed-loop echo load generator, one mio thread.
//!
//! Rules:
//! - N connections, each with at most one message in flight: send S bytes,
//!   wait until S bytes have come back, note the round trip, send again.
//!   The server therefore never has more than N messages to answer.
//! - Sockets are registered once, edge-triggered. A read asks for exactly
//!   the bytes still owed, so a full read completes the message and a short
//!   one has drained the socket: one `read` and one `write` per message
//!   here too, which keeps the generator from being the bottleneck sooner
//!   than it must.
//! - [`Load::run`] drives the loop for a span of time and reports what
//!   completed inside it; spans follow one another with no gap, so a
//!   warm-up followed by a window keeps every connection busy throughout.
//!   [`Load::finish`] ends the load: no new messages, the ones in flight
//!   complete, and then the server has nothing left to do.
//! - [`Load::connect_each`] spreads the connections over several servers
//!   (connection `i` goes to server `i % servers`) and counts each server's
//!   messages apart, so servers that run at the same time share one load.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

/// What completed during one [`Load::run`].
pub struct Span {
    /// Messages echoed in full.
    pub messages: u64,
    /// The same, per server, in the order of [`Load::connect_each`]'s addresses.
    pub messages_by_server: Vec<u64>,
    /// Round trip of each message, nanoseconds (empty unless recorded).
    pub latencies_ns: Vec<u64>,
    /// How long the span really lasted.
    pub elapsed: Duration,
}

struct Conn {
    stream: TcpStream,
    sent: usize,
    received: usize,
    started: Instant,
}

/// N connections echoing S-byte messages, closed loop.
pub struct Load {
    /// How many servers the connections are spread over.
    servers: usize,
    poll: Poll,
    events: Events,
    conns: Vec<Conn>,
    message: Vec<u8>,
    scratch: Vec<u8>,
    /// Set by [`Load::finish`]: completed messages are not followed up.
    finishing: bool,
    /// Connections with a message on the wire.
    in_flight: usize,
}

impl Load {
    /// Opens `conns` connections to `addr` and puts the first message of
    /// each on the wire.
    pub fn connect(addr: SocketAddr, conns: usize, size: usize) -> io::Result<Load> {
        Load::connect_each(&[addr], conns, size)
    }

    /// Opens `conns` connections to each of `addrs` (interleaved, so no
    /// server's connections all come first) and puts the first message of
    /// each on the wire.
    pub fn connect_each(addrs: &[SocketAddr], conns: usize, size: usize) -> io::Result<Load> {
        let poll = Poll::new()?;
        let total = conns * addrs.len();
        let mut list = Vec::with_capacity(total);
        for i in 0..total {
            let std = std::net::TcpStream::connect(addrs[i % addrs.len()])?;
            std.set_nodelay(true)?;
            std.set_nonblocking(true)?;
            let mut stream = TcpStream::from_std(std);
            poll.registry().register(
                &mut stream,
                Token(i),
                Interest::READABLE | Interest::WRITABLE,
            )?;
            list.push(Conn {
                stream,
                sent: 0,
                received: 0,
                started: Instant::now(),
            });
        }
        let message: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        let mut load = Load {
            servers: addrs.len(),
            poll,
            events: Events::with_capacity(1024),
            conns: list,
            message,
            scratch: vec![0; size],
            finishing: false,
            in_flight: 0,
        };
        let now = Instant::now();
        for i in 0..total {
            load.start(i, now)?;
        }
        Ok(load)
    }

    /// Drives the connections for `span`; with `record`, keeps every round
    /// trip that completes.
    pub fn run(&mut self, span: Duration, record: bool) -> io::Result<Span> {
        let begin = Instant::now();
        self.drive(begin + span, record)
    }

    /// Stops sending and waits (up to `limit`) until every message in
    /// flight is back; returns how many completed meanwhile. The load is
    /// idle afterwards, until [`resume`](Self::resume).
    pub fn finish(&mut self, limit: Duration) -> io::Result<u64> {
        self.finishing = true;
        let deadline = Instant::now() + limit;
        let mut messages = 0;
        while self.in_flight > 0 {
            if Instant::now() >= deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("{} messages never came back", self.in_flight),
                ));
            }
            messages += self.drive(deadline, false)?.messages;
        }
        Ok(messages)
    }

    /// After [`finish`](Self::finish): puts a new message on every
    /// connection's wire, as [`connect`](Self::connect) did.
    pub fn resume(&mut self) -> io::Result<()> {
        self.finishing = false;
        let now = Instant::now();
        for i in 0..self.conns.len() {
            self.start(i, now)?;
        }
        Ok(())
    }

    /// The event loop: runs until `deadline`, or, when finishing, until
    /// nothing is in flight.
    fn drive(&mut self, deadline: Instant, record: bool) -> io::Result<Span> {
        let begin = Instant::now();
        let mut out = Span {
            messages: 0,
            messages_by_server: vec![0; self.servers],
            latencies_ns: Vec::new(),
            elapsed: Duration::ZERO,
        };
        loop {
            let now = Instant::now();
            if now >= deadline || (self.finishing && self.in_flight == 0) {
                out.elapsed = now - begin;
                return Ok(out);
            }
            match self.poll.poll(&mut self.events, Some(deadline - now)) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                result => result?,
            }
            let events = std::mem::replace(&mut self.events, Events::with_capacity(0));
            for event in events.iter() {
                let i = event.token().0;
                if self.conns[i].sent < self.message.len() {
                    self.push(i)?;
                }
                if (event.is_readable() || event.is_read_closed()) && self.pull(i)? {
                    let now = Instant::now();
                    out.messages += 1;
                    out.messages_by_server[i % self.servers] += 1;
                    if record {
                        out.latencies_ns
                            .push((now - self.conns[i].started).as_nanos() as u64);
                    }
                    self.in_flight -= 1;
                    if !self.finishing {
                        self.start(i, now)?;
                    }
                }
            }
            self.events = events;
        }
    }

    /// Begins a new message on connection `i`.
    fn start(&mut self, i: usize, now: Instant) -> io::Result<()> {
        let conn = &mut self.conns[i];
        conn.sent = 0;
        conn.received = 0;
        conn.started = now;
        self.in_flight += 1;
        self.push(i)
    }

    /// Sends what the kernel takes of the rest of the message.
    fn push(&mut self, i: usize) -> io::Result<()> {
        let conn = &mut self.conns[i];
        while conn.sent < self.message.len() {
            match conn.stream.write(&self.message[conn.sent..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    conn.sent += n;
                    if conn.sent < self.message.len() {
                        return Ok(()); // send buffer full: wait for writable
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Reads what has come back; `true` once the message is whole.
    fn pull(&mut self, i: usize) -> io::Result<bool> {
        let size = self.message.len();
        let conn = &mut self.conns[i];
        while conn.received < size {
            let want = size - conn.received;
            match conn.stream.read(&mut self.scratch[..want]) {
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => {
                    conn.received += n;
                    if n < want {
                        return Ok(false); // drained; more comes with the next edge
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }
}
