//! The per-source state the reactor keeps: readiness, its tick, and the two waiting tasks.

use super::ready::{Direction, Ready};
use std::task::Waker;

/// One registered I/O source, stored in the reactor's slab. Loop thread only.
#[derive(Default)]
pub(crate) struct ScheduledIo {
    /// Distinguishes this registration from earlier ones that used the same slab slot; part of the token.
    pub(crate) generation: u32,
    /// Readiness accumulated from events and not yet cleared.
    pub(crate) readiness: Ready,
    /// Bumped on every event for this source.
    pub(crate) tick: u32,
    /// The task waiting to read, if any.
    pub(crate) reader: Option<Waker>,
    /// The task waiting to write, if any.
    pub(crate) writer: Option<Waker>,
}

impl ScheduledIo {
    pub(crate) fn waiter(&mut self, direction: Direction) -> &mut Option<Waker> {
        match direction {
            Direction::Read => &mut self.reader,
            Direction::Write => &mut self.writer,
        }
    }
}
