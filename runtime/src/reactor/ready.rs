//! Readiness bits and the events handed to I/O types.

use std::fmt;
use std::ops::{BitAnd, BitOr};

/// A set of readiness flags of one I/O source.
///
/// Readiness is a *hint*: a source reported readable may still answer `WouldBlock`, and then the I/O type
/// clears the readiness (see [`Registration::clear_readiness`](crate::io::Registration::clear_readiness))
/// and waits for the next edge.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct Ready(u8);

impl Ready {
    /// No readiness.
    pub const EMPTY: Ready = Ready(0);
    /// Data (or a connection, or an error) can be read.
    pub const READABLE: Ready = Ready(1 << 0);
    /// Data can be written.
    pub const WRITABLE: Ready = Ready(1 << 1);
    /// The peer closed its write side: reads will return end-of-file. Sticky.
    pub const READ_CLOSED: Ready = Ready(1 << 2);
    /// The write side is closed: writes will fail. Sticky.
    pub const WRITE_CLOSED: Ready = Ready(1 << 3);
    /// The socket has an error pending (read it with `take_error`/`SO_ERROR`).
    pub const ERROR: Ready = Ready(1 << 4);
    /// Urgent (out-of-band) TCP data arrived (`EPOLLPRI`). A read stops short at the urgent mark with
    /// more data queued behind it, so while this is set a short read does not mean the socket is
    /// drained: it stays set, and wakes readers, until a read answers `WouldBlock`.
    pub const PRIORITY: Ready = Ready(1 << 5);

    /// Everything that wakes a reader.
    pub(crate) const READ_MASK: Ready = Ready(1 | (1 << 2) | (1 << 4) | (1 << 5));
    /// Everything that wakes a writer.
    pub(crate) const WRITE_MASK: Ready = Ready((1 << 1) | (1 << 3) | (1 << 4));
    /// The bits a short read or a partial write clears: the closed and error states stay, since the
    /// next operation must still see them.
    pub(crate) const DRAINED: Ready = Ready(1 | (1 << 1));

    /// True when no flag is set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// True when every flag of `other` is set in `self`.
    pub fn contains(self, other: Ready) -> bool {
        self.0 & other.0 == other.0
    }

    /// True when any flag of `other` is set in `self`.
    pub fn intersects(self, other: Ready) -> bool {
        self.0 & other.0 != 0
    }

    pub(crate) fn remove(&mut self, other: Ready) {
        self.0 &= !other.0;
    }

    pub(crate) fn from_event(event: &mio::event::Event) -> Ready {
        let mut ready = Ready::EMPTY;
        if event.is_readable() {
            ready = ready | Ready::READABLE;
        }
        if event.is_writable() {
            ready = ready | Ready::WRITABLE;
        }
        if event.is_read_closed() {
            ready = ready | Ready::READ_CLOSED;
        }
        if event.is_write_closed() {
            ready = ready | Ready::WRITE_CLOSED;
        }
        if event.is_error() {
            ready = ready | Ready::ERROR;
        }
        if event.is_priority() {
            ready = ready | Ready::PRIORITY;
        }
        ready
    }
}

impl BitOr for Ready {
    type Output = Ready;
    fn bitor(self, rhs: Ready) -> Ready {
        Ready(self.0 | rhs.0)
    }
}

impl BitAnd for Ready {
    type Output = Ready;
    fn bitand(self, rhs: Ready) -> Ready {
        Ready(self.0 & rhs.0)
    }
}

impl fmt::Debug for Ready {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [
            (Ready::READABLE, "READABLE"),
            (Ready::WRITABLE, "WRITABLE"),
            (Ready::READ_CLOSED, "READ_CLOSED"),
            (Ready::WRITE_CLOSED, "WRITE_CLOSED"),
            (Ready::ERROR, "ERROR"),
            (Ready::PRIORITY, "PRIORITY"),
        ];
        let mut list = f.debug_set();
        for (flag, name) in names {
            if self.contains(flag) {
                list.entry(&format_args!("{name}"));
            }
        }
        list.finish()
    }
}

/// Which half of a source a task waits on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Waiting to read (or accept).
    Read,
    /// Waiting to write (or for a connect to finish).
    Write,
}

impl Direction {
    /// The direction's bit in a slot's set of crowded directions.
    pub(crate) fn bit(self) -> u8 {
        match self {
            Direction::Read => 1,
            Direction::Write => 2,
        }
    }

    pub(crate) fn mask(self) -> Ready {
        match self {
            Direction::Read => Ready::READ_MASK,
            Direction::Write => Ready::WRITE_MASK,
        }
    }
}

/// Readiness observed at one moment, tagged with the reactor tick it was seen at.
///
/// Handing the event back to [`clear_readiness`](crate::io::Registration::clear_readiness) clears the flags
/// only if no newer event arrived since: a stale observation can never erase fresh readiness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadyEvent {
    pub(crate) ready: Ready,
    pub(crate) tick: u32,
}

impl ReadyEvent {
    /// The readiness flags seen (those relevant to the direction polled).
    pub fn ready(&self) -> Ready {
        self.ready
    }
}
