//! The inject queue: work handed to a loop by other threads (muduo's `queueInLoop`).
//!
//! Any thread may push; only the loop thread takes. A lock guards the queue, and an atomic length lets the
//! loop skip the lock on every tick where nothing was injected. Once the loop closes the queue (at shutdown),
//! `push` hands the item back to the caller, which must dispose of it on its own thread.

use crate::sync::{lock, AtomicBool, AtomicUsize, Mutex, Ordering::SeqCst};
use std::collections::VecDeque;

/// A multi-producer, single-consumer queue guarded by a mutex.
#[derive(Debug)]
pub(crate) struct Inject<T> {
    queue: Mutex<VecDeque<T>>,
    /// Mirrors `queue.len()`; written under the lock, read without it.
    len: AtomicUsize,
    /// Set once, under the lock, when the owning loop shuts down.
    closed: AtomicBool,
}

impl<T> Inject<T> {
    /// An empty, open queue.
    pub(crate) fn new() -> Inject<T> {
        Inject {
            queue: Mutex::new(VecDeque::new()),
            len: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
        }
    }

    /// Any thread: queues `item`, or gives it back when the queue is closed.
    pub(crate) fn push(&self, item: T) -> Result<(), T> {
        let mut queue = lock(&self.queue);
        if self.closed.load(SeqCst) {
            return Err(item);
        }
        queue.push_back(item);
        self.len.store(queue.len(), SeqCst);
        Ok(())
    }

    /// True when nothing is queued. A lock-free hint for the loop's park check.
    pub(crate) fn is_empty(&self) -> bool {
        self.len.load(SeqCst) == 0
    }

    /// Loop thread: moves everything queued into `out`, in push order.
    pub(crate) fn drain_into(&self, out: &mut impl Extend<T>) {
        if self.is_empty() {
            return;
        }
        let mut queue = lock(&self.queue);
        self.len.store(0, SeqCst);
        out.extend(queue.drain(..));
    }

    /// Loop thread, at shutdown: closes the queue and returns what was left in it. Later pushes fail.
    pub(crate) fn close(&self) -> VecDeque<T> {
        let mut queue = lock(&self.queue);
        self.closed.store(true, SeqCst);
        self.len.store(0, SeqCst);
        std::mem::take(&mut *queue)
    }
}
