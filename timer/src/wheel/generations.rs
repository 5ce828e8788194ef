//! [`Generations`]: the generation numbers a wheel stamps on its keys, unique across the process.
//!
//! Rules: generations are handed out in blocks of 2^20 from one process-wide counter (one atomic
//! operation per block, none per key), so no two wheels stamp the same generation until 2^32 keys have
//! been made in the whole process. A key that strays to another wheel (a `Sleep` polled, reset or
//! dropped under another loop's driver) is then rejected there like a key whose timer is gone, and
//! never names that wheel's own timer. The block of a key (its generation's top 12 bits) also tells
//! which wheel made it; the time driver keeps a record of the blocks it took (`driver/remote.rs`).
//!
//! ```text
//!   generation: u32  = | block (12 bits) | number within the block (20 bits) |
//!   NEXT_BLOCK: 0, 1, 2, ... 4095, 0, ...   (block 0 skips generation 0, which no key has)
//! ```

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};

/// Bits of a generation below its block number.
const BLOCK_BITS: u32 = 20;
/// How many blocks the 32-bit generation space holds.
pub(crate) const BLOCKS: u32 = 1 << (32 - BLOCK_BITS);

/// The next block any wheel takes.
static NEXT_BLOCK: AtomicU32 = AtomicU32::new(0);

/// The block of `generation`.
pub(crate) fn block_of(generation: NonZeroU32) -> u32 {
    generation.get() >> BLOCK_BITS
}

/// One wheel's source of generations: the rest of its current block.
pub(crate) struct Generations {
    next: u64,
    /// One past the last generation of the current block.
    end: u64,
}

impl Generations {
    /// A source holding a block of its own.
    pub(crate) fn new() -> Generations {
        let mut generations = Generations { next: 0, end: 0 };
        generations.take_block();
        generations
    }

    /// The next generation, taking a new block when the current one is used up.
    #[inline]
    pub(crate) fn next(&mut self) -> NonZeroU32 {
        if self.next == self.end {
            self.take_block();
        }
        let generation = self.next as u32;
        self.next += 1;
        NonZeroU32::new(generation).expect("generation 0 is skipped")
    }

    /// The block the next generation comes from, or the last one used up.
    pub(crate) fn block(&self) -> u32 {
        ((self.next.min(self.end - 1)) >> BLOCK_BITS) as u32
    }

    fn take_block(&mut self) {
        let block = NEXT_BLOCK.fetch_add(1, Ordering::Relaxed) % BLOCKS;
        let start = u64::from(block) << BLOCK_BITS;
        self.next = start.max(1);
        self.end = start + (1 << BLOCK_BITS);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_sources_never_hand_out_the_same_generation() {
        let mut a = Generations::new();
        let mut b = Generations::new();
        assert_ne!(a.block(), b.block());
        let from_a: std::collections::HashSet<u32> =
            (0..3 << BLOCK_BITS).map(|_| a.next().get()).collect();
        for _ in 0..3 << BLOCK_BITS {
            assert!(!from_a.contains(&b.next().get()));
        }
    }

    #[test]
    fn a_used_up_block_is_followed_by_a_fresh_one() {
        let mut generations = Generations::new();
        let first = generations.block();
        let mut last = generations.next();
        while block_of(last) == first {
            last = generations.next();
        }
        assert_eq!(generations.block(), block_of(last));
        assert_eq!(
            last.get() & ((1 << BLOCK_BITS) - 1),
            if block_of(last) == 0 { 1 } else { 0 }
        );
    }
}
