//! The per-source state the reactor keeps: readiness, its tick, and the two waiting tasks.
//!
//! More tasks may wait on one direction; they wait in the reactor's crowds (crowd.rs), and the slot
//! only marks the directions that have one.

use super::ready::{Direction, Ready};
use std::task::Waker;

/// One registered I/O source, stored in the reactor's slab. Loop thread only.
///
/// Exactly one cache line, and aligned to it, so the slot an event or a readiness check touches is one
/// line, not two (the slab's vector would otherwise start 16 bytes into a line, like any large heap
/// block, and every slot would straddle two).
#[derive(Default)]
#[repr(align(64))]
pub(crate) struct ScheduledIo {
    /// Distinguishes this registration from earlier ones that used the same slab slot; part of the token.
    pub(crate) generation: u32,
    /// Readiness accumulated from events and not yet cleared.
    pub(crate) readiness: Ready,
    /// Bumped on every event for this source.
    pub(crate) tick: u32,
    /// A [`ReleaseWatch`](super::ReleaseWatch) waits for this registration to go.
    pub(crate) watched: bool,
    /// The directions ([`Direction::bit`]) where more tasks wait than the cached waker's (crowd.rs).
    pub(crate) crowded: u8,
    /// The task reading from this source.
    pub(crate) reader: Waiter,
    /// The task writing to this source.
    pub(crate) writer: Waiter,
}

// One line: a field added past it would double the memory an event touches.
const _: () = assert!(std::mem::size_of::<ScheduledIo>() == 64);

/// The task interested in one direction of a source.
///
/// The waker stays cached after it was woken: the task usually polls the same source again, and then
/// `will_wake` finds it in place, so a wake-and-wait cycle costs no waker clone and no reference count.
/// `waiting` says whether the task actually waits now, which is what the loop counts.
#[derive(Default)]
pub(crate) struct Waiter {
    pub(crate) waker: Option<Waker>,
    pub(crate) waiting: bool,
}

impl ScheduledIo {
    pub(crate) fn waiter(&mut self, direction: Direction) -> &mut Waiter {
        match direction {
            Direction::Read => &mut self.reader,
            Direction::Write => &mut self.writer,
        }
    }
}
