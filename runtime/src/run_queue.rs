//! The loop's local run queue: entries of tasks to poll, first in, first out.
//!
//! Rules: owned by one loop's `Core`, touched only on its thread.
//!
//! The queue is a ring of [`BLOCK`] entries plus, when that is full, a chain of further blocks of the
//! same size, rather than one ring that doubles: a burst of a million spawns adds blocks one at a
//! time, copying nothing and touching no memory twice, and a drained block is kept for reuse (a few of
//! them) instead of going back to the allocator. In the steady state the one ring serves.
//!
//! A block is a fixed ring whose size is a power of two, so a push or a pop is an index mask, one
//! store and a count, with no growth check and no bounds check: every local wake pushes once and
//! every task run pops once.

use std::collections::VecDeque;

/// Entries per block (a power of two).
const BLOCK: usize = 256;
/// Drained blocks kept for reuse.
const SPARE_BLOCKS: usize = 8;

/// Queued entries (`T` is `Local`; generic for the tests).
pub(crate) struct RunQueue<T> {
    /// The oldest entries. Pops always come from here, and pushes too while it has room and nothing
    /// waits in `overflow`: the steady state touches nothing else.
    front: Block<T>,
    /// Blocks beyond `front`, out of line: the hot part of the queue stays as small as a plain ring.
    more: Box<Overflow<T>>,
}

struct Overflow<T> {
    /// Newer entries once `front` filled up, in blocks, oldest first; only the last may be partly
    /// filled. While any waits here, pushes go here too, so the order stays first in, first out.
    blocks: VecDeque<Block<T>>,
    /// Drained blocks kept for reuse.
    spare: Vec<Block<T>>,
    /// Entries in `blocks`: read on every push and pop, so kept beside nothing else that is written.
    len: usize,
}

/// A ring of [`BLOCK`] slots.
struct Block<T> {
    slots: Box<[Option<T>; BLOCK]>,
    /// Slot of the oldest entry.
    head: usize,
    len: usize,
}

impl<T> Block<T> {
    fn new() -> Block<T> {
        Block {
            slots: Box::new([const { None }; BLOCK]),
            head: 0,
            len: 0,
        }
    }

    fn is_full(&self) -> bool {
        self.len == BLOCK
    }

    /// The caller checked that the block is not full.
    #[inline]
    fn push_back(&mut self, task: T) {
        debug_assert!(!self.is_full());
        self.slots[(self.head + self.len) & (BLOCK - 1)] = Some(task);
        self.len += 1;
    }

    #[inline]
    fn pop_front(&mut self) -> Option<T> {
        if self.len == 0 {
            return None;
        }
        let task = self.slots[self.head & (BLOCK - 1)].take();
        self.head = (self.head + 1) & (BLOCK - 1);
        self.len -= 1;
        task
    }
}

impl<T> RunQueue<T> {
    pub(crate) fn new() -> RunQueue<T> {
        RunQueue {
            front: Block::new(),
            more: Box::new(Overflow {
                blocks: VecDeque::new(),
                spare: Vec::new(),
                len: 0,
            }),
        }
    }

    #[inline]
    pub(crate) fn push_back(&mut self, task: T) {
        if self.more.len == 0 && !self.front.is_full() {
            self.front.push_back(task);
        } else {
            self.push_overflow(task);
        }
    }

    #[cold]
    #[inline(never)]
    fn push_overflow(&mut self, task: T) {
        let more = &mut *self.more;
        let room = more.blocks.back().is_some_and(|block| !block.is_full());
        if !room {
            let block = more.spare.pop().unwrap_or_else(Block::new);
            more.blocks.push_back(block);
        }
        if let Some(block) = more.blocks.back_mut() {
            block.push_back(task);
            more.len += 1;
        }
    }

    #[inline]
    pub(crate) fn pop_front(&mut self) -> Option<T> {
        let task = self.front.pop_front();
        if self.front.len == 0 && self.more.len != 0 {
            self.refill_front();
        }
        task
    }

    /// Makes the oldest overflow block the front, keeping the drained front for reuse.
    #[cold]
    #[inline(never)]
    fn refill_front(&mut self) {
        let more = &mut *self.more;
        if let Some(next) = more.blocks.pop_front() {
            more.len -= next.len;
            let drained = std::mem::replace(&mut self.front, next);
            if more.spare.len() < SPARE_BLOCKS {
                more.spare.push(drained);
            }
        }
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        // The front is refilled as soon as it drains, so it is empty only when everything is.
        self.front.len == 0
    }

    /// Entries queued.
    pub(crate) fn len(&self) -> usize {
        self.front.len + self.more.len
    }

    /// Takes every entry out, oldest first.
    pub(crate) fn drain(&mut self) -> Vec<T> {
        let mut entries = Vec::new();
        while let Some(task) = self.pop_front() {
            entries.push(task);
        }
        entries
    }
}

#[cfg(test)]
mod tests {
    use super::{RunQueue, BLOCK, SPARE_BLOCKS};

    #[test]
    fn first_in_first_out_across_blocks() {
        let mut queue = RunQueue::new();
        assert!(queue.is_empty());
        for i in 0..3 * BLOCK + 5 {
            queue.push_back(i);
        }
        assert_eq!(queue.more.blocks.len(), 3);
        for i in 0..2 * BLOCK {
            assert_eq!(queue.pop_front(), Some(i));
        }
        for i in 3 * BLOCK + 5..3 * BLOCK + 10 {
            queue.push_back(i);
        }
        let rest = queue.drain();
        assert_eq!(rest, (2 * BLOCK..3 * BLOCK + 10).collect::<Vec<_>>());
        assert!(queue.is_empty());
        assert_eq!(queue.pop_front(), None);
        assert!(queue.more.blocks.is_empty());
    }

    #[test]
    fn the_ring_wraps_around() {
        let mut queue = RunQueue::new();
        let mut next = 0;
        for i in 0..5 * BLOCK {
            queue.push_back(i);
            if i % 3 != 0 {
                assert_eq!(queue.pop_front(), Some(next));
                next += 1;
            }
        }
        assert_eq!(queue.drain(), (next..5 * BLOCK).collect::<Vec<_>>());
    }

    #[test]
    fn entries_left_in_the_queue_are_dropped_with_it() {
        let entry = std::rc::Rc::new(());
        let mut queue = RunQueue::new();
        for _ in 0..BLOCK + 3 {
            queue.push_back(entry.clone());
        }
        queue.pop_front();
        drop(queue);
        assert_eq!(std::rc::Rc::strong_count(&entry), 1);
    }

    #[test]
    fn drained_blocks_are_reused_up_to_a_bound() {
        let mut queue = RunQueue::new();
        for round in 0..3 {
            for i in 0..(SPARE_BLOCKS + 4) * BLOCK {
                queue.push_back(i);
            }
            assert!(queue.more.spare.len() <= SPARE_BLOCKS, "round {round}");
            while queue.pop_front().is_some() {}
            assert_eq!(queue.more.spare.len(), SPARE_BLOCKS);
            assert!(queue.is_empty());
        }
    }
}
