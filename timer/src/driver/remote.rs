//! [`Registration`] and [`Remote`]: a timer's place in one driver's wheel, and the timers cancelled away
//! from that driver.
//!
//! Rules: a `Sleep`'s entry sits in the wheel of the driver that was current at its first pending poll,
//! and that wheel is touched only on its loop thread. The `Sleep` keeps a [`Registration`]: the entry's
//! key and the id of that driver. A driver applies a key only when the id is its own, so a key never
//! reaches another driver's wheel. Ids are 32 bits: no two live drivers share one, and an id comes
//! round again only after four billion drivers have been made (each `block_on` makes one). A
//! registration that outlived its driver that long would pass the id check of the driver that took
//! the id; that wheel's generation check, from a start drawn at random for each wheel, then stands
//! between the stale key and that wheel's timers, as it does for a stale key of the wheel's own. A
//! 64-bit id would close even that, at the cost of 4 bytes on every `Sleep` (24 instead of 20). A `Sleep` dropped on another thread, or reset or
//! polled under another loop's driver, [`send`]s its registration instead: the registry of live drivers
//! finds the driver by its id, and that driver's `Remote` queues the key until its loop takes it
//! ([`Remote::take`]), at its next turn and before it looks for the next timer. Nothing wakes the loop
//! for it: until then the entry only keeps its waker alive, and a loop that wakes for it finds nothing
//! to fire.
//!
//! Any thread may `send`; only the owning driver takes. Each lock is held for a lookup, a push or a
//! swap, and no waker runs under either.
//!
//! ```text
//!   OWNERS: id -> weak Remote of that live driver
//!                   | pending: AtomicBool   (read by the loop at every turn: one load)
//!                   | keys: Mutex<Vec<TimerKey>>
//! ```

use crate::TimerKey;
use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

/// The live drivers, by id.
static OWNERS: Mutex<BTreeMap<NonZeroU32, Weak<Remote>>> = Mutex::new(BTreeMap::new());

/// The id the next driver takes.
static NEXT_ID: AtomicU32 = AtomicU32::new(1);

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing panics under these locks but an allocation failure; the data stays whole either way.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A timer's entry in one driver's wheel: 12 bytes, and `Option<Registration>` too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Registration {
    pub(crate) key: TimerKey,
    pub(crate) driver: NonZeroU32,
}

/// The keys other threads and loops sent to one driver, and its id.
#[derive(Debug)]
pub(crate) struct Remote {
    id: NonZeroU32,
    /// Set after a key is queued, cleared by the loop before it takes them.
    pending: AtomicBool,
    keys: Mutex<Vec<TimerKey>>,
}

impl Remote {
    /// The queue of a new driver, under an id no live driver has, entered in the registry until
    /// [`retire`](Remote::retire).
    pub(crate) fn register() -> Arc<Remote> {
        let mut owners = lock(&OWNERS);
        // Ids wrap after four billion drivers; one still alive keeps its id, and the counter skips it.
        let id = loop {
            let candidate = NEXT_ID.fetch_add(1, Ordering::Relaxed);
            if let Some(id) = NonZeroU32::new(candidate) {
                if !owners.contains_key(&id) {
                    break id;
                }
            }
        };
        let remote = Arc::new(Remote {
            id,
            pending: AtomicBool::new(false),
            keys: Mutex::new(Vec::new()),
        });
        owners.insert(id, Arc::downgrade(&remote));
        remote
    }

    /// The driver's id.
    #[inline]
    pub(crate) fn id(&self) -> NonZeroU32 {
        self.id
    }

    /// Takes the driver out of the registry (it is being dropped): keys sent to it from now on are
    /// dropped, its wheel going with it.
    pub(crate) fn retire(&self) {
        lock(&OWNERS).remove(&self.id);
    }

    /// True when keys may be waiting; one relaxed load, for the loop's every turn.
    #[inline]
    pub(crate) fn has_keys(&self) -> bool {
        self.pending.load(Ordering::Relaxed)
    }

    /// Loop thread of the owner: the keys sent so far.
    pub(crate) fn take(&self) -> Vec<TimerKey> {
        // Cleared first: a key sent from here on sets it again, so none waits beyond the next turn.
        self.pending.store(false, Ordering::Relaxed);
        std::mem::take(&mut *lock(&self.keys))
    }
}

/// Any thread: queues the key of `registration` for the driver that holds the entry. A registration
/// with a driver that is gone is dropped (its wheel went with it). Rare, and kept out of the callers'
/// fast paths.
#[cold]
#[inline(never)]
pub(crate) fn send(registration: Registration) {
    let owner = lock(&OWNERS)
        .get(&registration.driver)
        .and_then(Weak::upgrade);
    if let Some(owner) = owner {
        lock(&owner.keys).push(registration.key);
        owner.pending.store(true, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_drivers_have_ids_of_their_own() {
        let first = Remote::register();
        let second = Remote::register();
        assert_ne!(first.id(), second.id());
        assert_eq!(std::mem::size_of::<Option<Registration>>(), 12);
        second.retire();
        first.retire();
    }

    #[test]
    fn a_key_sent_to_a_retired_driver_is_dropped() {
        let remote = Remote::register();
        let key = crate::Wheel::new().insert(1, ());
        send(Registration {
            key,
            driver: remote.id(),
        });
        assert!(remote.has_keys());
        assert_eq!(remote.take(), [key]);
        remote.retire();
        send(Registration {
            key,
            driver: remote.id(),
        });
        assert!(!remote.has_keys());
    }
}
