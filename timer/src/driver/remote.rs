//! [`Remote`]: timers cancelled away from the driver that holds them.
//!
//! Rules: a `Sleep`'s entry sits in the wheel of the driver that was current at its first pending
//! poll, and that wheel is touched only on its loop thread. A `Sleep` dropped on another thread, or
//! reset or polled under another loop's driver, cannot reach the entry; it [`send`]s the key instead.
//! The key's generation block names the driver that made it ([`claim`] records who took each block),
//! and that driver's `Remote` queues the key until its loop takes it ([`Remote::take`]), at its next
//! turn and before it looks for the next timer. Nothing wakes the loop for it: until then the entry
//! only keeps its waker alive, and a loop that wakes for it finds nothing to fire.
//!
//! Any thread may `send`; only the owning driver takes. Both locks are held for a push or a swap, and
//! no waker runs under either.
//!
//! ```text
//!   OWNERS[block] --weak--> Remote of the driver that took the block
//!                            | pending: AtomicBool   (read by the loop at every turn: one load)
//!                            | keys: Mutex<Vec<TimerKey>>
//! ```

use crate::wheel::generations::BLOCKS;
use crate::TimerKey;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

/// For each generation block, the driver that took it last.
static OWNERS: Mutex<Vec<Weak<Remote>>> = Mutex::new(Vec::new());

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing panics under these locks but an allocation failure; the data stays whole either way.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The keys other threads and loops sent to one driver.
#[derive(Debug, Default)]
pub(crate) struct Remote {
    /// Set after a key is queued, cleared by the loop before it takes them.
    pending: AtomicBool,
    keys: Mutex<Vec<TimerKey>>,
}

impl Remote {
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

/// Records `remote`'s driver as the owner of the generation `block` it just took.
pub(crate) fn claim(block: u32, remote: &Arc<Remote>) {
    debug_assert!(block < BLOCKS);
    let mut owners = lock(&OWNERS);
    let index = block as usize;
    if owners.len() <= index {
        owners.resize_with(index + 1, Weak::new);
    }
    owners[index] = Arc::downgrade(remote);
}

/// Any thread: queues `key` for the driver that made it. A key of a driver that is gone is dropped
/// (its wheel went with it).
pub(crate) fn send(key: TimerKey) {
    let owner = lock(&OWNERS)
        .get(key.block() as usize)
        .and_then(Weak::upgrade);
    if let Some(owner) = owner {
        lock(&owner.keys).push(key);
        owner.pending.store(true, Ordering::Release);
    }
}

/// The generation blocks one driver took, so that it tells a key of its own whose timer is gone
/// from another driver's key (which it must send on).
#[derive(Debug)]
pub(crate) struct OwnedBlocks {
    bits: Box<[u64; (BLOCKS / 64) as usize]>,
    /// The block of the latest key: a new key from another block is a block to claim.
    last: u32,
}

impl OwnedBlocks {
    /// The record of a driver whose wheel holds `first`, claimed for `remote`.
    pub(crate) fn new(first: u32, remote: &Arc<Remote>) -> OwnedBlocks {
        let mut owned = OwnedBlocks {
            bits: Box::new([0; (BLOCKS / 64) as usize]),
            last: first,
        };
        owned.add(first, remote);
        owned
    }

    /// Notes the block of a key just made; one comparison unless the wheel took a new block.
    #[inline]
    pub(crate) fn note(&mut self, key: TimerKey, remote: &Arc<Remote>) {
        let block = key.block();
        if block != self.last {
            self.last = block;
            self.add(block, remote);
        }
    }

    /// True when `key` came from one of this driver's blocks.
    pub(crate) fn owns(&self, key: TimerKey) -> bool {
        let block = key.block();
        self.bits[(block / 64) as usize] & (1 << (block % 64)) != 0
    }

    fn add(&mut self, block: u32, remote: &Arc<Remote>) {
        self.bits[(block / 64) as usize] |= 1 << (block % 64);
        claim(block, remote);
    }
}
