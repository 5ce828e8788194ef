//! [`SpareFd`]: a descriptor held in reserve so a listener can still accept
//! (and turn away) connections when the process is out of descriptors.
//!
//! muduo's trick for `EMFILE`: keep `/dev/null` open; when `accept` fails
//! for want of descriptors, close it, accept the waiting connection into the
//! freed slot, close that connection at once (the client sees its peer
//! close instead of hanging in the backlog), and reopen `/dev/null` to
//! restore the reserve.
//!
//! Rules: one per listener, owned by it, loop thread only (a `RefCell`
//! inside). If the reserve cannot be reopened (another thread took the slot
//! first) it stays empty and the next `EMFILE` tries again.

use std::cell::RefCell;
use std::fs::File;

/// The reserve descriptor; empty when it could not be (re)opened.
#[derive(Debug)]
pub(crate) struct SpareFd {
    file: RefCell<Option<File>>,
}

impl SpareFd {
    /// Opens the reserve (close-on-exec, as std opens every file).
    pub(crate) fn new() -> SpareFd {
        SpareFd {
            file: RefCell::new(open()),
        }
    }

    /// Closes the reserve so its slot is free; runs `use_slot`, then reopens
    /// the reserve. Returns what `use_slot` returned.
    pub(crate) fn lend<R>(&self, use_slot: impl FnOnce() -> R) -> R {
        drop(self.file.borrow_mut().take());
        let result = use_slot();
        *self.file.borrow_mut() = open();
        result
    }

    /// Whether the reserve is open.
    #[cfg(test)]
    pub(crate) fn is_held(&self) -> bool {
        self.file.borrow().is_some()
    }
}

fn open() -> Option<File> {
    File::open("/dev/null").ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_while_lent_and_reopened_after() {
        let spare = SpareFd::new();
        assert!(spare.is_held());
        let held_inside = spare.lend(|| spare.is_held());
        assert!(
            !held_inside,
            "the reserve must be closed while its slot is lent"
        );
        assert!(spare.is_held(), "the reserve must be reopened afterwards");
    }
}
