//! The storage of wheel entries: a `Vec` with a free list, addressed by `u32` indices.
//!
//! Rules: owned by one `Wheel`; nothing else holds a reference into it. A slot is either in use (its
//! `value` is `Some`, its `generation` is the non-zero generation of the key handed out for it) or free
//! (`value` is `None`, `generation` is 0, and `next` links it into the free list). Freed slots are
//! reused before the `Vec` grows, so a warm wheel inserts and cancels without allocating.
//!
//! ```text
//!  Entry<Waker>, 40 bytes on 64-bit targets:
//!  +------------------+----------+------+------+------------+------+-----+
//!  | value: Option<T> | deadline | next | prev | generation | list | pad |
//!  |       16         |    8     |  4   |  4   |     4      |  2   |  2  |
//!  +------------------+----------+------+------+------------+------+-----+
//! ```

use std::num::NonZeroU32;

/// The end of a list and of the free list.
pub(crate) const NIL: u32 = u32::MAX;
/// The `list` of an entry that is on no list (free, or being moved).
pub(crate) const NO_LIST: u16 = u16::MAX;

/// One timer: its value, its deadline in ticks, and its links.
pub(crate) struct Entry<T> {
    pub(crate) value: Option<T>,
    pub(crate) deadline: u64,
    pub(crate) next: u32,
    pub(crate) prev: u32,
    pub(crate) generation: u32,
    pub(crate) list: u16,
}

/// A `Vec` of entries with a free list threaded through the free ones.
pub(crate) struct EntrySlab<T> {
    entries: Vec<Entry<T>>,
    free: u32,
    len: usize,
}

impl<T> EntrySlab<T> {
    pub(crate) const fn new() -> EntrySlab<T> {
        EntrySlab {
            entries: Vec::new(),
            free: NIL,
            len: 0,
        }
    }

    /// Entries in use.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Stores a new entry (on no list yet) and returns its index.
    ///
    /// # Panics
    /// When `u32::MAX - 1` entries are already in use.
    pub(crate) fn alloc(&mut self, value: T, deadline: u64, generation: NonZeroU32) -> u32 {
        let fresh = Entry {
            value: Some(value),
            deadline,
            next: NIL,
            prev: NIL,
            generation: generation.get(),
            list: NO_LIST,
        };
        self.len += 1;
        if self.free != NIL {
            let index = self.free;
            let slot = &mut self.entries[index as usize];
            self.free = slot.next;
            *slot = fresh;
            index
        } else {
            let index = u32::try_from(self.entries.len())
                .ok()
                .filter(|&i| i != NIL)
                .expect("timer wheel is full: u32::MAX - 1 pending timers");
            self.entries.push(fresh);
            index
        }
    }

    /// Frees the in-use entry `index` (already unlinked) and returns its value.
    pub(crate) fn free(&mut self, index: u32) -> T {
        let free_head = self.free;
        let entry = &mut self.entries[index as usize];
        debug_assert_eq!(entry.list, NO_LIST, "freeing an entry that is still linked");
        let value = entry.value.take().expect("freeing a free slab entry");
        entry.generation = 0;
        entry.prev = NIL;
        entry.next = free_head;
        self.free = index;
        self.len -= 1;
        value
    }

    /// The index of the in-use entry named by `index` and `generation`, or `None` if that timer is gone.
    pub(crate) fn lookup(&self, index: u32, generation: NonZeroU32) -> Option<u32> {
        let entry = self.entries.get(index as usize)?;
        (entry.generation == generation.get()).then_some(index)
    }

    pub(crate) fn entry(&self, index: u32) -> &Entry<T> {
        &self.entries[index as usize]
    }

    pub(crate) fn entry_mut(&mut self, index: u32) -> &mut Entry<T> {
        &mut self.entries[index as usize]
    }

    /// Slots allocated, in use or free.
    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        self.entries.len()
    }

    /// The entry after `index` on its list.
    pub(crate) fn next_of(&self, index: u32) -> u32 {
        self.entries[index as usize].next
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Waker;

    fn generation(n: u32) -> NonZeroU32 {
        NonZeroU32::new(n).unwrap()
    }

    #[test]
    fn entry_for_a_waker_is_forty_bytes() {
        assert!(std::mem::size_of::<Entry<Waker>>() <= 40);
    }

    #[test]
    fn freed_slots_are_reused_last_freed_first() {
        let mut slab = EntrySlab::new();
        let a = slab.alloc('a', 1, generation(1));
        let b = slab.alloc('b', 2, generation(2));
        let c = slab.alloc('c', 3, generation(3));
        assert_eq!((a, b, c), (0, 1, 2));
        assert_eq!(slab.free(a), 'a');
        assert_eq!(slab.free(c), 'c');
        assert_eq!(slab.len(), 1);
        assert_eq!(slab.alloc('d', 4, generation(4)), c);
        assert_eq!(slab.alloc('e', 5, generation(5)), a);
        assert_eq!(slab.alloc('f', 6, generation(6)), 3);
        assert_eq!(slab.len(), 4);
    }

    #[test]
    fn lookup_checks_the_generation() {
        let mut slab = EntrySlab::new();
        let a = slab.alloc((), 1, generation(7));
        assert_eq!(slab.lookup(a, generation(7)), Some(a));
        assert_eq!(slab.lookup(a, generation(8)), None);
        assert_eq!(slab.lookup(a + 1, generation(7)), None);
        slab.free(a);
        assert_eq!(slab.lookup(a, generation(7)), None);
        let again = slab.alloc((), 1, generation(9));
        assert_eq!(again, a);
        assert_eq!(slab.lookup(a, generation(7)), None);
        assert_eq!(slab.lookup(a, generation(9)), Some(a));
    }
}
