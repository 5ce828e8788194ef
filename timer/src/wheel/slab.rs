//! The storage of wheel entries: fixed-size pages with a free list, addressed by `u32` indices.
//!
//! Rules: owned by one `Wheel`; nothing else holds a reference into it. An index names a page and a
//! place in it (high bits and low 8 bits). Pages are allocated one at a time, exactly [`PAGE`] entries
//! each, and never moved, resized or freed before the slab is dropped: growth adds one page and copies
//! no entry, so the storage holds at most one partly used page beyond what the pending timers need.
//! A slot is either in use (its `value` is `Some`, its `generation` is the non-zero generation of the
//! key handed out for it) or free (`value` is `None`, `generation` is 0, and `next` links it into the
//! free list). A new page's slots all join the free list in index order; freed slots are reused, last
//! freed first, before another page is added, so a warm wheel inserts and cancels without allocating.
//!
//! ```text
//!  index (u32):  31                       8 7        0
//!               +--------------------------+----------+
//!               |          page            |  offset  |
//!               +--------------------------+----------+
//!
//!  pages: Vec<Box<[Entry; 256]>>
//!   [0] -> [e0|e1|e2| ... |e255]          each page: 256 x 40 bytes = 10 KiB,
//!   [1] -> [e256|  ...    |e511]          allocated exactly, never moved
//!   [2] -> [e512|  ...    |e767]
//!
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

/// Bits of an index that name the place within a page.
const PAGE_BITS: u32 = 8;
/// Entries per page.
pub(crate) const PAGE: usize = 1 << PAGE_BITS;
/// Mask of the offset bits of an index.
const OFFSET_MASK: u32 = (1 << PAGE_BITS) - 1;
/// The most pages a slab holds: the page that would contain index `NIL` is never made, so no in-use
/// index can be mistaken for the end of a list.
const MAX_PAGES: usize = (NIL >> PAGE_BITS) as usize;

/// One timer: its value, its deadline in ticks, and its links.
pub(crate) struct Entry<T> {
    pub(crate) value: Option<T>,
    pub(crate) deadline: u64,
    pub(crate) next: u32,
    pub(crate) prev: u32,
    pub(crate) generation: u32,
    pub(crate) list: u16,
}

/// What [`EntrySlab::take`] hands back: the value, and where the entry was linked.
pub(crate) struct Taken<T> {
    pub(crate) value: T,
    pub(crate) list: u16,
    pub(crate) prev: u32,
    pub(crate) next: u32,
}

/// One page of entries, allocated with exactly `PAGE` slots.
type Page<T> = Box<[Entry<T>; PAGE]>;

/// Pages of entries with a free list threaded through the free ones.
pub(crate) struct EntrySlab<T> {
    pages: Vec<Page<T>>,
    free: u32,
    len: usize,
}

impl<T> EntrySlab<T> {
    pub(crate) const fn new() -> EntrySlab<T> {
        EntrySlab {
            pages: Vec::new(),
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
    /// When every index below the last page's worth under `u32::MAX` is in use.
    pub(crate) fn alloc(&mut self, value: T, deadline: u64, generation: NonZeroU32) -> u32 {
        if self.free == NIL {
            self.add_page();
        }
        let index = self.free;
        let slot = self.entry_mut(index);
        let next_free = slot.next;
        *slot = Entry {
            value: Some(value),
            deadline,
            next: NIL,
            prev: NIL,
            generation: generation.get(),
            list: NO_LIST,
        };
        self.free = next_free;
        self.len += 1;
        index
    }

    /// Adds one page whose slots, all free, become the free list (which is empty when this is called).
    #[cold]
    fn add_page(&mut self) {
        debug_assert_eq!(self.free, NIL);
        assert!(
            self.pages.len() < MAX_PAGES,
            "timer wheel is full: {} pending timers",
            MAX_PAGES * PAGE
        );
        let first = (self.pages.len() * PAGE) as u32;
        let mut slots = Vec::with_capacity(PAGE);
        for offset in 0..PAGE as u32 {
            slots.push(Entry {
                value: None,
                deadline: 0,
                next: if offset == OFFSET_MASK {
                    NIL
                } else {
                    first + offset + 1
                },
                prev: NIL,
                generation: 0,
                list: NO_LIST,
            });
        }
        // `into_boxed_slice` would reallocate to drop spare capacity; there must be none.
        debug_assert_eq!(slots.capacity(), PAGE);
        let page: Page<T> = match slots.into_boxed_slice().try_into() {
            Ok(page) => page,
            Err(_) => unreachable!("a page is built with exactly PAGE entries"),
        };
        self.pages.push(page);
        self.free = first;
    }

    /// Frees the in-use entry `index` (already unlinked) and returns its value.
    pub(crate) fn free(&mut self, index: u32) -> T {
        let free_head = self.free;
        let entry = self.entry_mut(index);
        debug_assert_eq!(entry.list, NO_LIST, "freeing an entry that is still linked");
        let value = vacate(entry, free_head);
        self.free = index;
        self.len -= 1;
        value
    }

    /// Frees the in-use entry named by `index` and `generation`, still linked, in one lookup: returns its
    /// value and the list it was on with its neighbours there (`list`, `prev`, `next`), for the caller
    /// to join; `None` if that timer is gone.
    pub(crate) fn take(&mut self, index: u32, generation: NonZeroU32) -> Option<Taken<T>> {
        let free_head = self.free;
        let page = self.pages.get_mut((index >> PAGE_BITS) as usize)?;
        let entry = &mut page[(index & OFFSET_MASK) as usize];
        if entry.generation != generation.get() {
            return None;
        }
        let (list, prev, next) = (entry.list, entry.prev, entry.next);
        let value = vacate(entry, free_head);
        self.free = index;
        self.len -= 1;
        Some(Taken {
            value,
            list,
            prev,
            next,
        })
    }

    /// The index of the in-use entry named by `index` and `generation`, or `None` if that timer is gone.
    pub(crate) fn lookup(&self, index: u32, generation: NonZeroU32) -> Option<u32> {
        let page = self.pages.get((index >> PAGE_BITS) as usize)?;
        let entry = &page[(index & OFFSET_MASK) as usize];
        (entry.generation == generation.get()).then_some(index)
    }

    pub(crate) fn entry(&self, index: u32) -> &Entry<T> {
        &self.pages[(index >> PAGE_BITS) as usize][(index & OFFSET_MASK) as usize]
    }

    pub(crate) fn entry_mut(&mut self, index: u32) -> &mut Entry<T> {
        &mut self.pages[(index >> PAGE_BITS) as usize][(index & OFFSET_MASK) as usize]
    }

    /// Walks the free list, checking that every slot on it is free and that it holds every slot not in
    /// use.
    #[cfg(test)]
    pub(crate) fn check_free_list(&self) {
        let mut count = 0;
        let mut index = self.free;
        while index != NIL {
            let entry = self.entry(index);
            assert!(entry.value.is_none(), "an entry in use is on the free list");
            assert_eq!(entry.generation, 0);
            count += 1;
            assert!(count <= self.capacity(), "the free list has a cycle");
            index = entry.next;
        }
        assert_eq!(count + self.len, self.capacity());
    }

    /// Slots allocated, in use or free.
    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        self.pages.len() * PAGE
    }

    /// The entry after `index` on its list.
    pub(crate) fn next_of(&self, index: u32) -> u32 {
        self.entry(index).next
    }
}

/// Empties the in-use `entry` and links it in front of `free_head` on the free list, returning its
/// value; the caller makes it the list's head and counts it out.
#[inline]
fn vacate<T>(entry: &mut Entry<T>, free_head: u32) -> T {
    let value = entry.value.take().expect("freeing a free slab entry");
    entry.generation = 0;
    entry.list = NO_LIST;
    entry.prev = NIL;
    entry.next = free_head;
    value
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
    fn take_frees_the_entry_and_reports_its_links() {
        let mut slab = EntrySlab::new();
        let a = slab.alloc('a', 1, generation(3));
        let b = slab.alloc('b', 2, generation(4));
        let entry = slab.entry_mut(b);
        (entry.list, entry.prev, entry.next) = (17, 5, 9);
        assert!(slab.take(b, generation(5)).is_none(), "another generation");
        let taken = slab.take(b, generation(4)).unwrap();
        assert_eq!(
            (taken.value, taken.list, taken.prev, taken.next),
            ('b', 17, 5, 9)
        );
        assert_eq!(slab.len(), 1);
        assert!(slab.take(b, generation(4)).is_none(), "already taken");
        assert_eq!(
            slab.alloc('c', 3, generation(6)),
            b,
            "the slot is free again"
        );
        assert_eq!(slab.lookup(a, generation(3)), Some(a));
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
        assert_eq!(
            slab.lookup(NIL - 1, generation(9)),
            None,
            "a page never made"
        );
    }

    #[test]
    fn growth_adds_one_page_and_moves_no_entry() {
        let mut slab = EntrySlab::new();
        assert_eq!(slab.capacity(), 0);
        let first = slab.alloc(0usize, 0, generation(1));
        assert_eq!(slab.capacity(), PAGE);
        let address = std::ptr::from_ref(slab.entry(first));
        for i in 1..PAGE {
            assert_eq!(slab.alloc(i, i as u64, generation(1)), i as u32);
        }
        assert_eq!(slab.capacity(), PAGE, "one page holds PAGE entries");
        for i in PAGE..3 * PAGE + 1 {
            assert_eq!(slab.alloc(i, i as u64, generation(1)), i as u32);
        }
        assert_eq!(slab.capacity(), 4 * PAGE);
        assert_eq!(slab.len(), 3 * PAGE + 1);
        assert!(std::ptr::eq(address, slab.entry(first)), "an entry moved");
        for i in 0..3 * PAGE + 1 {
            let entry = slab.entry(i as u32);
            assert_eq!((entry.value, entry.deadline), (Some(i), i as u64));
        }
    }

    #[test]
    fn a_full_page_is_refilled_before_another_is_added() {
        let mut slab = EntrySlab::new();
        let all: Vec<u32> = (0..PAGE).map(|i| slab.alloc(i, 0, generation(2))).collect();
        for &index in all.iter().rev().step_by(3) {
            slab.free(index);
        }
        let freed = all.iter().rev().step_by(3).count();
        for _ in 0..freed {
            assert!((slab.alloc(0, 0, generation(3)) as usize) < PAGE);
        }
        assert_eq!(slab.capacity(), PAGE);
        assert_eq!(slab.alloc(0, 0, generation(3)) as usize, PAGE);
        assert_eq!(slab.capacity(), 2 * PAGE);
    }
}
