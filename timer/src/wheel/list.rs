//! Intrusive doubly-linked lists of wheel entries, linked through slab indices.
//!
//! Rules: a [`List`] is only a head and a tail; the `next`/`prev` links live in the entries of the
//! wheel's [`EntrySlab`], so linking and unlinking never allocate. Each entry is on at most one list
//! at a time and records which one in its `list` field, so it can be unlinked in O(1) from its key alone.
//!
//! ```text
//!   List { head, tail }
//!            |     `-------------------------.
//!            v                               v
//!        [entry 7] <--> [entry 2] <--> [entry 11]      next/prev are u32 slab indices,
//!        prev: NIL                     next: NIL       NIL (u32::MAX) ends the list
//! ```

use super::slab::{EntrySlab, NIL};

/// The ends of one intrusive list. Appending keeps insertion order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct List {
    pub(crate) head: u32,
    pub(crate) tail: u32,
}

impl List {
    pub(crate) const EMPTY: List = List {
        head: NIL,
        tail: NIL,
    };

    pub(crate) fn is_empty(&self) -> bool {
        self.head == NIL
    }

    /// Appends the unlinked entry `index` and records `id` as the list it is on.
    pub(crate) fn push_back<T>(&mut self, slab: &mut EntrySlab<T>, index: u32, id: u16) {
        let entry = slab.entry_mut(index);
        entry.list = id;
        entry.next = NIL;
        entry.prev = self.tail;
        if self.tail == NIL {
            self.head = index;
        } else {
            slab.entry_mut(self.tail).next = index;
        }
        self.tail = index;
    }

    /// Unlinks entry `index` from this list, given `prev` and `next`, its neighbours on it, which the
    /// caller read from the entry: joins them (or moves the head or tail) and leaves the entry's own
    /// links to the caller.
    pub(crate) fn bridge<T>(&mut self, slab: &mut EntrySlab<T>, index: u32, prev: u32, next: u32) {
        if prev == NIL {
            debug_assert_eq!(self.head, index);
            self.head = next;
        } else {
            slab.entry_mut(prev).next = next;
        }
        if next == NIL {
            debug_assert_eq!(self.tail, index);
            self.tail = prev;
        } else {
            slab.entry_mut(next).prev = prev;
        }
    }

    /// Empties the list and returns its old head; walk the old members with [`EntrySlab::next_of`]
    /// before relinking each of them.
    pub(crate) fn take(&mut self) -> u32 {
        let head = self.head;
        *self = List::EMPTY;
        head
    }
}
