//! The loop's list of its tasks that have not completed, so that shutdown can drop their futures.
//!
//! Rules: owned by one loop's `Core`, touched only on its thread. A task is inserted when the loop
//! adopts it and removed by the key it was given when it completes (or at shutdown). Keys are `u32`
//! (they live in a 32-bit field of the task header) and name a page and a place in it.
//!
//! The storage grows by fixed pages that are never moved or resized: a burst of a million spawns
//! adds pages one at a time instead of doubling one array, so nothing is copied and no memory is
//! touched twice (with a large `Vec`, each doubling faults in fresh pages for the whole copy). A slot
//! is 8 bytes (`Option<TaskRef>`, using the pointer's niche) plus 4 for the free list threaded
//! through the free slots; freed slots are reused, last freed first, before another page is added.
//!
//! ```text
//!  key (u32):  31                      10 9          0
//!             +--------------------------+------------+
//!             |          page            |   offset   |
//!             +--------------------------+------------+
//!  pages: Vec<Page>, each 1024 x (8-byte task + 4-byte next free)
//! ```

const PAGE_BITS: u32 = 10;
const PAGE: usize = 1 << PAGE_BITS;
const OFFSET_MASK: u32 = (1 << PAGE_BITS) - 1;
/// The end of the free list.
const NIL: u32 = u32::MAX;
/// The most pages: keys stay below `u32::MAX - 1`, which the task header reserves for its own marks.
const MAX_PAGES: usize = ((u32::MAX - 1) >> PAGE_BITS) as usize;

struct Page<T> {
    tasks: Box<[Option<T>]>,
    /// For a free slot, the next free key (or `NIL`); meaningless for a slot in use.
    next_free: Box<[u32]>,
}

/// Incomplete tasks of one loop (`T` is `TaskRef`; generic for the tests), by key.
pub(crate) struct TaskList<T> {
    pages: Vec<Page<T>>,
    free: u32,
    len: usize,
}

fn split(key: u32) -> (usize, usize) {
    ((key >> PAGE_BITS) as usize, (key & OFFSET_MASK) as usize)
}

impl<T> TaskList<T> {
    pub(crate) const fn new() -> TaskList<T> {
        TaskList {
            pages: Vec::new(),
            free: NIL,
            len: 0,
        }
    }

    /// Tasks in the list.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Stores the task `adopt` makes from its key, and returns that key.
    ///
    /// # Panics
    /// When some four billion tasks are in the list.
    #[inline]
    pub(crate) fn insert(&mut self, adopt: impl FnOnce(usize) -> T) -> usize {
        if self.free == NIL {
            self.add_page();
        }
        let key = self.free;
        let (page, offset) = split(key);
        let page = &mut self.pages[page];
        page.tasks[offset] = Some(adopt(key as usize));
        self.free = page.next_free[offset];
        self.len += 1;
        key as usize
    }

    /// Takes the task stored under `key` out of the list.
    ///
    /// # Panics
    /// When no task is stored under `key`.
    #[inline]
    pub(crate) fn remove(&mut self, key: usize) -> T {
        let key = u32::try_from(key).expect("a task-list key fits 32 bits");
        let (page, offset) = split(key);
        let page = &mut self.pages[page];
        let task = page.tasks[offset]
            .take()
            .expect("removed a task that is not in the list");
        page.next_free[offset] = self.free;
        self.free = key;
        self.len -= 1;
        task
    }

    /// Takes every task out of the list (shutdown). The pages stay, all free.
    pub(crate) fn drain(&mut self) -> Vec<T> {
        let mut tasks = Vec::with_capacity(self.len);
        let mut free = NIL;
        for (index, page) in self.pages.iter_mut().enumerate().rev() {
            let base = (index << PAGE_BITS) as u32;
            for offset in (0..PAGE).rev() {
                tasks.extend(page.tasks[offset].take());
                page.next_free[offset] = free;
                free = base + offset as u32;
            }
        }
        self.free = free;
        self.len = 0;
        tasks
    }

    /// Adds one page whose slots, all free, become the free list (which is empty when this is called).
    #[cold]
    fn add_page(&mut self) {
        debug_assert_eq!(self.free, NIL);
        assert!(
            self.pages.len() < MAX_PAGES,
            "a mudu loop holds at most {} live tasks",
            MAX_PAGES * PAGE
        );
        let base = (self.pages.len() << PAGE_BITS) as u32;
        let next_free = (1..=PAGE as u32)
            .map(|i| if i == PAGE as u32 { NIL } else { base + i })
            .collect();
        self.pages.push(Page {
            tasks: (0..PAGE).map(|_| None).collect(),
            next_free,
        });
        self.free = base;
    }
}

#[cfg(test)]
mod tests {
    use super::{TaskList, PAGE};

    #[test]
    fn keys_are_reused_last_freed_first_and_pages_added_one_at_a_time() {
        let mut list = TaskList::new();
        let keys: Vec<usize> = (0..PAGE + 3).map(|i| list.insert(|_| i)).collect();
        assert_eq!(keys, (0..PAGE + 3).collect::<Vec<_>>());
        assert_eq!(list.pages.len(), 2);
        assert_eq!(list.remove(5), 5);
        assert_eq!(list.remove(PAGE + 1), PAGE + 1);
        assert_eq!(list.len(), PAGE + 1);
        assert_eq!(list.insert(|key| key * 10), PAGE + 1);
        assert_eq!(list.insert(|key| key * 10), 5);
        assert_eq!(list.remove(5), 50);
        assert_eq!(list.pages.len(), 2);
    }

    #[test]
    fn adopt_sees_its_own_key() {
        let mut list = TaskList::new();
        for _ in 0..10 {
            let key = list.insert(|key| key);
            assert_eq!(list.remove(key), key);
            list.insert(|key| key);
        }
    }

    #[test]
    fn drain_takes_everything_and_leaves_every_slot_free() {
        let mut list = TaskList::new();
        for i in 0..2 * PAGE + 7 {
            list.insert(|_| i);
        }
        list.remove(3);
        let mut drained = list.drain();
        drained.sort_unstable();
        assert_eq!(drained.len(), 2 * PAGE + 6);
        assert!(!drained.contains(&3));
        assert_eq!(list.len(), 0);
        let pages = list.pages.len();
        let keys: Vec<usize> = (0..pages * PAGE).map(|_| list.insert(|key| key)).collect();
        assert_eq!(
            keys,
            (0..pages * PAGE).collect::<Vec<_>>(),
            "free list in key order"
        );
        assert_eq!(
            list.pages.len(),
            pages,
            "no page added while free slots remained"
        );
    }
}
