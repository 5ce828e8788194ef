//! The per-source state the reactor keeps: readiness, its tick, and the waker cached per direction.
//!
//! More tasks may wait on one direction; they wait in the reactor's crowds (crowd.rs), and the slot
//! only marks the directions that have one.

use super::ready::{Direction, Ready, ReadyEvent};
use std::task::Waker;

/// One registered I/O source, stored in the reactor's slab. Loop thread only.
///
/// Exactly one cache line, and aligned to it, so the slot an event or a readiness check touches is one
/// line, not two (the slab's vector would otherwise start 16 bytes into a line, like any large heap
/// block, and every slot would straddle two).
///
/// Per direction the slot caches one waker. It stays cached after it was woken: the task usually polls
/// the same source again, and then `will_wake` finds it in place, so a wake-and-wait cycle costs no
/// waker clone and no reference count. The `waiting` bit says whether that waker's task actually waits
/// now, which is what the loop counts. The ticket names the wait that holds the slot (bumped each time
/// a wait takes it), so a wait that goes away withdraws only itself ([`ReadyWait`](super::ReadyWait)).
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
    /// The directions ([`Direction::bit`]) where tasks wait in a crowd (crowd.rs).
    pub(crate) crowded: u8,
    /// The directions whose cached waker's task waits now.
    waiting: u8,
    /// The directions whose slot a [`ReadyWait`](super::ReadyWait) holds (rather than a `poll_*`
    /// caller, which keeps no state).
    held_by_wait: u8,
    /// Per direction, the ticket of the wait that last took the slot.
    tickets: [u32; 2],
    /// Per direction, the cached waker.
    wakers: [Option<Waker>; 2],
}

// One line: a field added past it would double the memory an event touches.
const _: () = assert!(std::mem::size_of::<ScheduledIo>() == 64);

impl ScheduledIo {
    /// A slot for a new registration.
    pub(crate) fn new(generation: u32) -> ScheduledIo {
        ScheduledIo {
            generation,
            ..ScheduledIo::default()
        }
    }

    /// The readiness recorded for `direction`, as an event, if there is any.
    #[inline]
    pub(crate) fn ready_event(&self, direction: Direction) -> Option<ReadyEvent> {
        let ready = self.readiness & direction.mask();
        (!ready.is_empty()).then_some(ReadyEvent {
            ready,
            tick: self.tick,
        })
    }

    /// The waker cached for `direction`.
    #[inline]
    pub(crate) fn waker(&mut self, direction: Direction) -> &mut Option<Waker> {
        let [read, write] = &mut self.wakers;
        match direction {
            Direction::Read => read,
            Direction::Write => write,
        }
    }

    /// Whether the cached waker's task waits on `direction` now.
    #[inline]
    pub(crate) fn is_waiting(&self, direction: Direction) -> bool {
        self.waiting & direction.bit() != 0
    }

    /// Marks the cached waker's task as waiting on `direction`, or not.
    #[inline]
    pub(crate) fn set_waiting(&mut self, direction: Direction, waiting: bool) {
        set_bit(&mut self.waiting, direction, waiting);
    }

    /// Whether a [`ReadyWait`](super::ReadyWait) holds `direction`'s slot.
    #[inline]
    pub(crate) fn is_held_by_wait(&self, direction: Direction) -> bool {
        self.held_by_wait & direction.bit() != 0
    }

    /// Records whether a [`ReadyWait`](super::ReadyWait) holds `direction`'s slot.
    #[inline]
    pub(crate) fn set_held_by_wait(&mut self, direction: Direction, held: bool) {
        set_bit(&mut self.held_by_wait, direction, held);
    }

    /// How many directions have a waiting task in the slot.
    pub(crate) fn waiting_count(&self) -> usize {
        self.waiting.count_ones() as usize
    }

    /// The ticket of the wait holding `direction`.
    #[inline]
    pub(crate) fn ticket(&self, direction: Direction) -> u32 {
        let [read, write] = self.tickets;
        match direction {
            Direction::Read => read,
            Direction::Write => write,
        }
    }

    /// A new wait takes `direction`: returns its ticket.
    #[inline]
    pub(crate) fn next_ticket(&mut self, direction: Direction) -> u32 {
        let [read, write] = &mut self.tickets;
        let ticket = match direction {
            Direction::Read => read,
            Direction::Write => write,
        };
        *ticket = ticket.wrapping_add(1);
        *ticket
    }
}

/// Sets or clears `direction`'s bit in `bits`.
#[inline]
fn set_bit(bits: &mut u8, direction: Direction, on: bool) {
    if on {
        *bits |= direction.bit();
    } else {
        *bits &= !direction.bit();
    }
}
