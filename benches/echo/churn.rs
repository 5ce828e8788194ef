//! [`Churn`]: the connection-rate load generator, one mio thread.
//!
//! Rules:
//! - P slots, each running connections one after another: non-blocking
//!   connect, send 64 bytes once writable, read 64 bytes back, close (the
//!   client closes first, so `TIME_WAIT` stays on this side, where the
//!   kernel's loopback `tcp_tw_reuse` recycles the ports), then at once the
//!   next connection. P = 1 is the serial rate.
//! - A slot's token carries a generation, so an edge still queued for a
//!   closed socket is never taken for its successor's:
//!
//! ```text
//!   token (usize, 64 bits)
//!   +--------------------------+--------------------------+
//!   | generation (bits 63..32) |     slot (bits 31..0)    |
//!   +--------------------------+--------------------------+
//! ```

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

/// Bytes echoed on every connection.
const MESSAGE: [u8; 64] = [0x5a; 64];

/// What completed during one [`Churn::run`].
pub struct ChurnSpan {
    /// Connections that connected, echoed and closed.
    pub connections: u64,
    /// Connections that failed (refused, reset) and were replaced.
    pub failures: u64,
    /// Connect-to-echo time of each connection, nanoseconds, if recorded.
    pub latencies_ns: Vec<u64>,
    /// How long the span really lasted.
    pub elapsed: Duration,
}

struct Slot {
    stream: Option<TcpStream>,
    generation: u32,
    sent: usize,
    received: usize,
    started: Instant,
}

/// P slots opening, echoing and closing connections back to back.
pub struct Churn {
    poll: Poll,
    events: Events,
    addr: SocketAddr,
    slots: Vec<Slot>,
}

fn token(slot: usize, generation: u32) -> Token {
    Token(((generation as usize) << 32) | slot)
}

fn untoken(token: Token) -> (usize, u32) {
    (token.0 & 0xffff_ffff, (token.0 >> 32) as u32)
}

impl Churn {
    /// Starts the first connection of each of `parallel` slots.
    pub fn new(addr: SocketAddr, parallel: usize) -> io::Result<Churn> {
        let now = Instant::now();
        let slots = (0..parallel)
            .map(|_| Slot {
                stream: None,
                generation: 0,
                sent: 0,
                received: 0,
                started: now,
            })
            .collect();
        let mut churn = Churn {
            poll: Poll::new()?,
            events: Events::with_capacity(1024),
            addr,
            slots,
        };
        for i in 0..parallel {
            churn.open(i)?;
        }
        Ok(churn)
    }

    /// Replaces slot `i`'s connection (if any) with a new one.
    fn open(&mut self, i: usize) -> io::Result<()> {
        let slot = &mut self.slots[i];
        slot.stream = None; // closes the old socket, which leaves the epoll set
        slot.generation = slot.generation.wrapping_add(1);
        slot.started = Instant::now();
        let mut stream = TcpStream::connect(self.addr)
            .map_err(|e| io::Error::new(e.kind(), format!("connect: {e}")))?;
        self.poll.registry().register(
            &mut stream,
            token(i, slot.generation),
            Interest::READABLE | Interest::WRITABLE,
        )?;
        slot.stream = Some(stream);
        slot.sent = 0;
        slot.received = 0;
        Ok(())
    }

    /// Drives the slots for `span`; with `record`, keeps each connection's
    /// time from `connect` to the echo's last byte.
    pub fn run(&mut self, span: Duration, record: bool) -> io::Result<ChurnSpan> {
        let begin = Instant::now();
        let deadline = begin + span;
        let mut out = ChurnSpan {
            connections: 0,
            failures: 0,
            latencies_ns: Vec::new(),
            elapsed: Duration::ZERO,
        };
        loop {
            let now = Instant::now();
            if now >= deadline {
                out.elapsed = now - begin;
                return Ok(out);
            }
            match self.poll.poll(&mut self.events, Some(deadline - now)) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                result => result?,
            }
            let events = std::mem::replace(&mut self.events, Events::with_capacity(0));
            for event in events.iter() {
                let (i, generation) = untoken(event.token());
                if self.slots[i].generation != generation {
                    continue;
                }
                match self.advance(i) {
                    Ok(false) => {}
                    Ok(true) => {
                        out.connections += 1;
                        if record {
                            let rtt = self.slots[i].started.elapsed();
                            out.latencies_ns.push(rtt.as_nanos() as u64);
                        }
                        self.open(i)?;
                    }
                    Err(_) => {
                        out.failures += 1;
                        self.open(i)?;
                    }
                }
            }
            self.events = events;
        }
    }

    /// Moves slot `i` along after an edge; `true` once its echo is back.
    fn advance(&mut self, i: usize) -> io::Result<bool> {
        let slot = &mut self.slots[i];
        let Some(stream) = slot.stream.as_mut() else {
            return Ok(false);
        };
        if slot.sent < MESSAGE.len() {
            loop {
                match stream.write(&MESSAGE[slot.sent..]) {
                    Ok(n) => slot.sent += n,
                    // Still connecting: the writable edge comes when it is done.
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                    Err(e) if e.kind() == io::ErrorKind::NotConnected => return Ok(false),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
                if slot.sent == MESSAGE.len() {
                    // The echo cannot be here yet; its readable edge will be.
                    return Ok(false);
                }
            }
        }
        let mut buf = [0u8; 64];
        while slot.received < MESSAGE.len() {
            match stream.read(&mut buf[..MESSAGE.len() - slot.received]) {
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => slot.received += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }
}
