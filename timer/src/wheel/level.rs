//! One level of the wheel, and the pure arithmetic that places a deadline on a level and a slot.
//!
//! Rules: a [`Level`] only keeps list heads and its occupancy bitmap; the entries themselves live in the
//! wheel's slab. Everything here is plain integer arithmetic over ticks, owned and called by one `Wheel`.
//!
//! A deadline is placed by the highest bit in which it differs from the wheel's current tick
//! (`elapsed`). Each level owns 6 bits of the tick:
//!
//! ```text
//!  bit 63        36 35    30 29    24 23    18 17    12 11     6 5      0
//!     +-----------+--------+--------+--------+--------+--------+--------+
//!     | overflow  | level5 | level4 | level3 | level2 | level1 | level0 |
//!     +-----------+--------+--------+--------+--------+--------+--------+
//!                   64 slots each; a slot of level L spans 64^L ticks
//! ```
//!
//! A deadline that first differs from `elapsed` inside level L's bits goes to level L, in the slot given by
//! its own 6 bits there. So level 0 holds the deadlines of the current 64-tick block, one tick per slot;
//! level 1 the rest of the current 4096-tick block, 64 ticks per slot; and so on. A deadline that differs
//! above bit 35 (it lies in a later 2^36-tick span, about 19 hours of the runtime's microsecond ticks)
//! is parked on the overflow list.
//!
//! Because every entry of a level shares all higher bits with `elapsed`, its slot index is never below
//! the slot `elapsed` is in, and a lower level always expires before a higher one.

use super::list::List;

/// Levels in the wheel.
pub(crate) const LEVELS: usize = 6;
/// Slots per level.
pub(crate) const SLOTS: usize = 64;
/// Bits of the tick that select a slot on one level.
const SLOT_BITS: u32 = 6;
/// Ticks covered by the whole wheel: `64^6`. Deadlines farther away than one span are parked.
pub(crate) const SPAN: u64 = 1 << (SLOT_BITS * LEVELS as u32);

/// The level for `deadline` seen from `elapsed`, or `None` when it lies beyond the top level.
///
/// The caller clamps past deadlines to `elapsed` first, so `deadline >= elapsed`.
pub(crate) fn level_for(elapsed: u64, deadline: u64) -> Option<usize> {
    debug_assert!(deadline >= elapsed);
    // The low slot bits never decide the level: a deadline equal to `elapsed` still goes to level 0.
    let differing = (elapsed ^ deadline) | (SLOTS as u64 - 1);
    let highest = 63 - differing.leading_zeros();
    let level = (highest / SLOT_BITS) as usize;
    (level < LEVELS).then_some(level)
}

/// The slot of `tick` on `level`: its 6 bits at that level.
pub(crate) fn slot_for(tick: u64, level: usize) -> usize {
    ((tick >> (SLOT_BITS * level as u32)) & (SLOTS as u64 - 1)) as usize
}

/// Ticks covered by one slot of `level`.
pub(crate) fn slot_span(level: usize) -> u64 {
    1 << (SLOT_BITS * level as u32)
}

/// The first tick of `slot` on `level`, in the block of that level that `elapsed` is in.
pub(crate) fn slot_start(elapsed: u64, level: usize, slot: usize) -> u64 {
    let block = slot_span(level) * SLOTS as u64;
    (elapsed & !(block - 1)) | (slot as u64 * slot_span(level))
}

/// The first tick of the span after the one `elapsed` is in, or `None` past the end of `u64` ticks.
pub(crate) fn next_span_start(elapsed: u64) -> Option<u64> {
    (elapsed | (SPAN - 1)).checked_add(1)
}

/// One ring of 64 slot lists and the bitmap of those that are not empty.
pub(crate) struct Level {
    /// Bit `s` is set exactly when `slots[s]` is not empty.
    pub(crate) occupied: u64,
    pub(crate) slots: [List; SLOTS],
}

impl Level {
    pub(crate) const fn new() -> Level {
        Level {
            occupied: 0,
            slots: [List::EMPTY; SLOTS],
        }
    }

    /// The first occupied slot at or after the slot `elapsed` is in, with the tick at which it starts.
    pub(crate) fn next_occupied(&self, elapsed: u64, level: usize) -> Option<(usize, u64)> {
        let current = slot_for(elapsed, level);
        debug_assert_eq!(
            self.occupied & ((1u64 << current) - 1),
            0,
            "a slot behind the current tick still holds entries"
        );
        let ahead = self.occupied & (u64::MAX << current);
        if ahead == 0 {
            return None;
        }
        let slot = ahead.trailing_zeros() as usize;
        Some((slot, slot_start(elapsed, level, slot)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_and_near_deadlines_go_to_level_zero() {
        assert_eq!(level_for(0, 0), Some(0));
        assert_eq!(level_for(0, 63), Some(0));
        assert_eq!(level_for(100, 100), Some(0));
        assert_eq!(level_for(64, 127), Some(0));
    }

    #[test]
    fn level_follows_the_highest_differing_bit_not_the_distance() {
        // 63 -> 64 is one tick away but crosses a level-0 block boundary.
        assert_eq!(level_for(63, 64), Some(1));
        assert_eq!(level_for(0, 64), Some(1));
        assert_eq!(level_for(0, 4095), Some(1));
        assert_eq!(level_for(0, 4096), Some(2));
        assert_eq!(level_for(4095, 4096), Some(2));
        assert_eq!(level_for(0, (1 << 30) - 1), Some(4));
        assert_eq!(level_for(0, 1 << 30), Some(5));
        assert_eq!(level_for(0, SPAN - 1), Some(5));
    }

    #[test]
    fn beyond_the_top_level_is_overflow() {
        assert_eq!(level_for(0, SPAN), None);
        assert_eq!(level_for(SPAN - 1, SPAN), None);
        assert_eq!(level_for(0, u64::MAX), None);
        assert_eq!(level_for(SPAN, 2 * SPAN - 1), Some(5));
    }

    #[test]
    fn slot_is_the_six_bits_of_the_level() {
        assert_eq!(slot_for(0, 0), 0);
        assert_eq!(slot_for(63, 0), 63);
        assert_eq!(slot_for(64, 0), 0);
        assert_eq!(slot_for(64, 1), 1);
        assert_eq!(slot_for(4095, 1), 63);
        assert_eq!(slot_for(4096, 2), 1);
        assert_eq!(slot_for(SPAN - 1, 5), 63);
        assert_eq!(slot_for(u64::MAX, 5), 63);
    }

    #[test]
    fn slot_start_stays_in_the_block_of_elapsed() {
        assert_eq!(slot_start(0, 0, 5), 5);
        assert_eq!(slot_start(70, 0, 10), 74);
        assert_eq!(slot_start(70, 1, 3), 192);
        assert_eq!(slot_start(5000, 1, 63), 4096 + 63 * 64);
        assert_eq!(slot_start(5000, 2, 2), 8192);
        assert_eq!(slot_start(SPAN + 7, 5, 1), SPAN + (1 << 30));
        assert_eq!(slot_span(0), 1);
        assert_eq!(slot_span(5), 1 << 30);
    }

    #[test]
    fn a_deadline_lies_inside_its_slot() {
        let cases = [
            (0, 1),
            (3, 64),
            (100, 5000),
            (12345, 987_654_321),
            (1 << 20, SPAN - 2),
        ];
        for (elapsed, deadline) in cases {
            let level = level_for(elapsed, deadline).unwrap();
            let slot = slot_for(deadline, level);
            let start = slot_start(elapsed, level, slot);
            assert!(start <= deadline && deadline < start + slot_span(level));
            assert!(
                start >= elapsed,
                "slot of {deadline} starts before {elapsed}"
            );
        }
    }

    #[test]
    fn next_span_start_rounds_up_to_the_next_span() {
        assert_eq!(next_span_start(0), Some(SPAN));
        assert_eq!(next_span_start(SPAN - 1), Some(SPAN));
        assert_eq!(next_span_start(SPAN), Some(2 * SPAN));
        assert_eq!(next_span_start(u64::MAX), None);
    }

    #[test]
    fn next_occupied_finds_the_first_slot_at_or_after_the_current_one() {
        let mut level = Level::new();
        assert_eq!(level.next_occupied(0, 0), None);
        level.occupied = (1 << 9) | (1 << 40);
        assert_eq!(level.next_occupied(3, 0), Some((9, 9)));
        assert_eq!(level.next_occupied(9, 0), Some((9, 9)));
        assert_eq!(level.next_occupied(64 * 3 + 1, 1), Some((9, 9 * 64)));
    }
}
