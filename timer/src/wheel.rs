//! A hierarchical timing wheel (Varghese & Lauck) over integer ticks.
//!
//! Rules: a [`Wheel`] is a plain data structure with no clock of its own and no interior mutability; its
//! owner (the time driver of one event loop) calls it from one thread and tells it the time through
//! [`Wheel::advance`]. One tick is whatever unit the owner picks (the runtime uses microseconds).
//!
//! ```text
//!  level 5  [..|..|..|##|..]   64 slots x 2^30 ticks      overflow list: beyond 2^36 ticks,
//!  level 4  [..|..|..|..|..]   64 slots x 2^24 ticks      re-placed when time enters their span
//!  level 3  [..|..|..|..|..]   64 slots x 2^18 ticks
//!  level 2  [..|..|##|..|..]   64 slots x 4096 ticks
//!  level 1  [..|##|..|..|..]   64 slots x 64 ticks         ## = occupied slot, a bit set in the
//!  level 0  [##|..|##|..|..]   64 slots x 1 tick                level's u64 bitmap
//!              ^ elapsed
//!
//!  cascade: when time reaches the start of an occupied slot on level L > 0, the slot's list is
//!  emptied and each entry is placed again relative to the new time, landing on a lower level;
//!  entries on level 0 fire when time reaches their slot, since a level-0 slot is a single tick.
//! ```
//!
//! Entries live in a slab of fixed-size pages ([`slab`]); each slot is an intrusive list through slab
//! indices ([`list`]), so insert and cancel are O(1) and do not allocate once the slab has grown. `advance` costs the
//! entries it fires plus at most one move per level for each entry it cascades.

mod key;
mod level;
mod list;
mod slab;

pub use key::TimerKey;

use level::{level_for, next_span_start, slot_for, Level, LEVELS, SLOTS, SPAN};
use list::List;
use slab::{EntrySlab, NIL, NO_LIST};
use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::num::NonZeroU32;

/// The `list` id of the overflow list; ids below it are `level * 64 + slot`.
const OVERFLOW: u16 = (LEVELS * SLOTS) as u16;

/// A timing wheel of 6 levels x 64 slots holding values of type `T` until their deadline tick.
///
/// - [`insert`](Wheel::insert) and [`cancel`](Wheel::cancel) are O(1).
/// - [`advance`](Wheel::advance) hands over every value whose deadline is at or before the new time,
///   in deadline order (ties in insertion order), and never one whose deadline is later.
/// - A deadline already in the past fires on the next `advance`; deadlines beyond the wheel's range
///   (2^36 ticks) are parked and placed again as time approaches them.
///
/// ```
/// use mudu_timer::Wheel;
///
/// let mut wheel = Wheel::new();
/// wheel.insert(300, "c");
/// wheel.insert(10, "a");
/// let b = wheel.insert(70, "b");
/// *wheel.get_mut(b).unwrap() = "B";
///
/// let mut fired = Vec::new();
/// wheel.advance(100, &mut fired);
/// assert_eq!(fired, ["a", "B"]);
/// assert_eq!(wheel.len(), 1);
/// assert!(wheel.next_expiration().unwrap() <= 300);
/// ```
pub struct Wheel<T> {
    slab: EntrySlab<T>,
    levels: [Level; LEVELS],
    overflow: List,
    /// No deadline on the overflow list is below this (it may be lower than the true minimum).
    overflow_min: u64,
    /// The current tick: everything at or before it has fired, except past deadlines inserted since.
    elapsed: u64,
    next_generation: NonZeroU32,
    /// Reused by `fire_slot` to order a slot that holds past deadlines.
    order: Vec<(u64, u32)>,
}

/// Where the next piece of work of `advance` lies.
#[derive(Clone, Copy)]
enum Due {
    Slot { level: usize, slot: usize },
    Overflow,
}

impl<T> Wheel<T> {
    /// An empty wheel at tick 0.
    pub fn new() -> Wheel<T> {
        // Each wheel starts its generations at a different number, so a key that strays to another
        // wheel (a bug in the caller) is rejected there too rather than matching by accident.
        let seed = RandomState::new().build_hasher().finish() as u32;
        Wheel {
            slab: EntrySlab::new(),
            levels: [const { Level::new() }; LEVELS],
            overflow: List::EMPTY,
            overflow_min: u64::MAX,
            elapsed: 0,
            next_generation: NonZeroU32::new(seed).unwrap_or(NonZeroU32::MIN),
            order: Vec::new(),
        }
    }

    /// Timers pending in the wheel.
    pub fn len(&self) -> usize {
        self.slab.len()
    }

    /// True when no timer is pending.
    pub fn is_empty(&self) -> bool {
        self.slab.len() == 0
    }

    /// The wheel's current tick: the `now` of the last [`advance`](Wheel::advance) (0 at first).
    pub fn elapsed(&self) -> u64 {
        self.elapsed
    }

    /// Adds a timer that fires at tick `deadline` and returns its key.
    ///
    /// A deadline at or before [`elapsed`](Wheel::elapsed) fires on the next `advance`.
    ///
    /// # Panics
    /// When `u32::MAX - 1` timers are already pending.
    pub fn insert(&mut self, deadline: u64, value: T) -> TimerKey {
        let generation = self.next_generation;
        self.next_generation = generation.checked_add(1).unwrap_or(NonZeroU32::MIN);
        let index = self.slab.alloc(value, deadline, generation);
        self.place(index);
        TimerKey { index, generation }
    }

    /// Removes the timer named by `key` and returns its value, or `None` if it already fired or was
    /// cancelled. Never removes any other timer.
    pub fn cancel(&mut self, key: TimerKey) -> Option<T> {
        // One lookup of the entry (it is freed at once), then its two neighbours.
        let taken = self.slab.take(key.index, key.generation)?;
        self.bridge(taken.list, key.index, taken.prev, taken.next);
        Some(taken.value)
    }

    /// The value of the pending timer named by `key`, to update it in place.
    pub fn get_mut(&mut self, key: TimerKey) -> Option<&mut T> {
        let index = self.slab.lookup(key.index, key.generation)?;
        self.slab.entry_mut(index).value.as_mut()
    }

    /// The value of the pending timer named by `key`.
    pub fn get(&self, key: TimerKey) -> Option<&T> {
        let index = self.slab.lookup(key.index, key.generation)?;
        self.slab.entry(index).value.as_ref()
    }

    /// The deadline of the pending timer named by `key`.
    pub fn deadline(&self, key: TimerKey) -> Option<u64> {
        let index = self.slab.lookup(key.index, key.generation)?;
        Some(self.slab.entry(index).deadline)
    }

    /// Moves the pending timer named by `key` to a new deadline, keeping its key and value; it then
    /// orders after timers already set for the same tick. Returns false if the timer is gone.
    pub fn reset(&mut self, key: TimerKey, deadline: u64) -> bool {
        let Some(index) = self.slab.lookup(key.index, key.generation) else {
            return false;
        };
        self.unlink(index);
        self.slab.entry_mut(index).deadline = deadline;
        self.place(index);
        true
    }

    /// The next tick at which [`advance`](Wheel::advance) has work to do, or `None` when empty.
    ///
    /// It is never later than the earliest deadline, and equals it when that deadline is on level 0
    /// (within the current 64-tick block). Otherwise it is the tick at which the earliest occupied slot
    /// must cascade; advancing to it and asking again reaches the earliest deadline within six steps.
    /// It is [`elapsed`](Wheel::elapsed) when a past deadline is waiting.
    pub fn next_expiration(&self) -> Option<u64> {
        self.next_due().map(|(_, tick)| tick)
    }

    /// Moves time forward to `now` and appends to `fired` the value of every timer whose deadline is
    /// at or before `now`, in deadline order, ties in insertion order. A `now` before
    /// [`elapsed`](Wheel::elapsed) does not move time back; it still fires past deadlines.
    pub fn advance(&mut self, now: u64, fired: &mut Vec<T>) {
        let now = now.max(self.elapsed);
        while let Some((due, tick)) = self.next_due() {
            if tick > now {
                break;
            }
            self.elapsed = tick;
            match due {
                Due::Slot { level: 0, slot } => self.fire_slot(slot, fired),
                Due::Slot { level, slot } => {
                    let head = self.take_list(list_id(level, slot));
                    self.replace_all(head);
                }
                Due::Overflow => {
                    let head = self.overflow.take();
                    self.overflow_min = u64::MAX;
                    self.replace_all(head);
                }
            }
        }
        self.elapsed = now;
    }

    /// The earliest occupied slot (lower levels always come first) or else the overflow list.
    fn next_due(&self) -> Option<(Due, u64)> {
        if self.is_empty() {
            // Every loop turn asks, timers or not: answer without scanning the levels.
            return None;
        }
        for (level, ring) in self.levels.iter().enumerate() {
            if let Some((slot, tick)) = ring.next_occupied(self.elapsed, level) {
                return Some((Due::Slot { level, slot }, tick));
            }
        }
        if self.overflow.is_empty() {
            return None;
        }
        // Jump straight to the span holding the smallest parked deadline, not span by span.
        let next_span = next_span_start(self.elapsed).expect("parked timer past the last tick");
        let tick = next_span.max(self.overflow_min & !(SPAN - 1));
        Some((Due::Overflow, tick))
    }

    /// Links the unlinked entry `index` on the list its deadline belongs to, seen from `elapsed`.
    fn place(&mut self, index: u32) {
        let deadline = self.slab.entry(index).deadline.max(self.elapsed);
        match level_for(self.elapsed, deadline) {
            Some(level) => {
                let slot = slot_for(deadline, level);
                let ring = &mut self.levels[level];
                ring.occupied |= 1 << slot;
                ring.slots[slot].push_back(&mut self.slab, index, list_id(level, slot));
            }
            None => {
                self.overflow_min = self.overflow_min.min(deadline);
                self.overflow.push_back(&mut self.slab, index, OVERFLOW);
            }
        }
    }

    /// Unlinks entry `index` from the list it is on.
    fn unlink(&mut self, index: u32) {
        let entry = self.slab.entry_mut(index);
        let (id, prev, next) = (entry.list, entry.prev, entry.next);
        entry.list = NO_LIST;
        entry.prev = NIL;
        entry.next = NIL;
        self.bridge(id, index, prev, next);
    }

    /// Joins `prev` and `next`, the neighbours entry `index` had on list `id` before it was taken off,
    /// and keeps the list's bookkeeping (the level's bitmap, the overflow's earliest deadline).
    fn bridge(&mut self, id: u16, index: u32, prev: u32, next: u32) {
        if id == OVERFLOW {
            self.overflow.bridge(&mut self.slab, index, prev, next);
            if self.overflow.is_empty() {
                self.overflow_min = u64::MAX;
            }
        } else {
            let (level, slot) = (id as usize / SLOTS, id as usize % SLOTS);
            let ring = &mut self.levels[level];
            ring.slots[slot].bridge(&mut self.slab, index, prev, next);
            if ring.slots[slot].is_empty() {
                ring.occupied &= !(1 << slot);
            }
        }
    }

    /// Empties slot list `id` and returns its old head.
    fn take_list(&mut self, id: u16) -> u32 {
        let (level, slot) = (id as usize / SLOTS, id as usize % SLOTS);
        let ring = &mut self.levels[level];
        ring.occupied &= !(1 << slot);
        ring.slots[slot].take()
    }

    /// Places again every entry of a list that was just taken (the cascade step).
    fn replace_all(&mut self, mut index: u32) {
        while index != NIL {
            let next = self.slab.next_of(index);
            self.slab.entry_mut(index).list = NO_LIST;
            self.place(index);
            index = next;
        }
    }

    /// Fires every entry of level-0 `slot`, whose tick is `elapsed`.
    fn fire_slot(&mut self, slot: usize, fired: &mut Vec<T>) {
        let tick = self.elapsed;
        let head = self.take_list(list_id(0, slot));
        // Usually every entry has exactly this tick and the list is already in insertion order.
        // Past deadlines inserted at this tick are ordered by deadline first (a stable sort).
        let mut index = head;
        let mut in_order = true;
        while index != NIL {
            let deadline = self.slab.entry(index).deadline;
            debug_assert!(deadline <= tick, "a level-0 slot holds a later deadline");
            in_order &= deadline == tick;
            index = self.slab.next_of(index);
        }
        if in_order {
            let mut index = head;
            while index != NIL {
                let next = self.slab.next_of(index);
                fired.push(self.release(index));
                index = next;
            }
        } else {
            let mut order = std::mem::take(&mut self.order);
            let mut index = head;
            while index != NIL {
                order.push((self.slab.entry(index).deadline, index));
                index = self.slab.next_of(index);
            }
            order.sort_by_key(|&(deadline, _)| deadline);
            for &(_, index) in &order {
                fired.push(self.release(index));
            }
            order.clear();
            self.order = order;
        }
    }

    /// Frees entry `index`, whose list was already taken, and returns its value.
    fn release(&mut self, index: u32) -> T {
        self.slab.entry_mut(index).list = NO_LIST;
        self.slab.free(index)
    }
}

/// The bytes one pending timer holding a `T` takes in the wheel's slab.
#[cfg(test)]
pub(crate) const fn entry_size<T>() -> usize {
    std::mem::size_of::<slab::Entry<T>>()
}

/// The list id of `slot` on `level`.
fn list_id(level: usize, slot: usize) -> u16 {
    (level * SLOTS + slot) as u16
}

impl<T> Default for Wheel<T> {
    fn default() -> Wheel<T> {
        Wheel::new()
    }
}

impl<T> fmt::Debug for Wheel<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wheel")
            .field("len", &self.len())
            .field("elapsed", &self.elapsed)
            .field("next_expiration", &self.next_expiration())
            .finish()
    }
}

#[cfg(test)]
mod tests;
