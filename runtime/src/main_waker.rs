//! The waker of `block_on`'s own future, and its place in the run queue.
//!
//! That future is not a task: it lives on `block_on`'s stack and is polled by the loop itself, never
//! queued. To be fair with the tasks all the same, it takes the place a task would take:
//! - Woken by a task (on the loop's thread), it notes how many entries the run queue held then; those
//!   run first, and the future is polled before any entry queued after the wake. So a task that wakes
//!   it and then yields (`yield_now`, `time::advance`) resumes only after the future has seen the wake.
//!   Later wakes keep the first place.
//! - Woken during its own poll (a `yield_now` of its own, an `advance` that fires timers), it is polled
//!   again after every entry queued by the end of that poll, injected ones included.
//! - Woken by the loop's poll (an I/O event, a timer fired there) or from another thread, it has no
//!   place: it is polled first at the next tick, before the tasks that poll woke, as tokio's
//!   `block_on` is. Only its polls at a place count against the tick's budget, so a wake from there
//!   each tick cannot starve the tasks.

use crate::context;
use crate::shared::Shared;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed, Ordering::SeqCst};
use std::sync::Arc;
use std::task::Wake;

/// `ahead` when no wake on the loop's thread has set a place since the last poll.
const NO_PLACE: usize = usize::MAX;

/// A flag, the number of queued entries still ahead of the future, and a wake-up of the poll when
/// set from another thread. Lives as long as one `block_on`; a stale one, kept by a task after its
/// `block_on` returned, only writes to itself.
pub(crate) struct MainWaker {
    woken: AtomicBool,
    /// Entries to run before the future's next poll, counted down by the loop as it takes them off
    /// the queue ([`NO_PLACE`]: none set). Written only on the loop's thread; atomic because a waker
    /// must be `Sync`, relaxed because no other thread reads it.
    ahead: AtomicUsize,
    shared: Arc<Shared>,
}

impl MainWaker {
    /// A waker for a future that has not been polled yet: it starts woken.
    pub(crate) fn new(shared: Arc<Shared>) -> MainWaker {
        MainWaker {
            woken: AtomicBool::new(true),
            ahead: AtomicUsize::new(NO_PLACE),
            shared,
        }
    }

    /// True when the future was woken since its last poll.
    pub(crate) fn is_woken(&self) -> bool {
        self.woken.load(SeqCst)
    }

    /// Loop thread, before it polls the future: true when the future was woken and its turn has
    /// come (no entry left ahead of it, or an empty queue: `queued` gives the run queue's length,
    /// asked for only when the future has a place). Clears the wake then.
    pub(crate) fn take_turn(&self, queued: impl FnOnce() -> usize) -> bool {
        let ahead = self.ahead.load(Relaxed);
        if ahead != NO_PLACE {
            if ahead != 0 && queued() != 0 {
                return false;
            }
            self.ahead.store(NO_PLACE, Relaxed);
        }
        // A plain load first: most ticks find no wake, and the swap is a locked instruction.
        self.woken.load(SeqCst) && self.woken.swap(false, SeqCst)
    }

    /// Loop thread, around its poll of I/O and timers: a wake from there gives no place (the future goes
    /// first at the next tick). `had_place`: [`has_place`](Self::has_place) before that poll; a place
    /// set earlier stands.
    pub(crate) fn forget_place_unless(&self, had_place: bool) {
        if !had_place {
            self.ahead.store(NO_PLACE, Relaxed);
        }
    }

    /// Loop thread, right after a poll of the future in which it was woken again: it goes behind every
    /// entry queued by now (`queued`), whatever place a wake during the poll gave it.
    pub(crate) fn place_behind(&self, queued: usize) {
        self.ahead.store(queued, Relaxed);
    }

    /// True when a wake has set the future's place in the queue since its last poll.
    pub(crate) fn has_place(&self) -> bool {
        self.ahead.load(Relaxed) != NO_PLACE
    }

    /// Loop thread, before it takes an entry off the run queue: false when the future's turn comes
    /// first. Counts the entry otherwise.
    #[inline(always)]
    pub(crate) fn let_entry_pass(&self) -> bool {
        match self.ahead.load(Relaxed) {
            NO_PLACE => true,
            0 => false,
            ahead => {
                self.ahead.store(ahead - 1, Relaxed);
                true
            }
        }
    }
}

impl Wake for MainWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let queued = context::with_owner(Arc::as_ptr(&self.shared), |core| core.try_queued());
        self.woken.store(true, SeqCst);
        match queued {
            None => self.shared.unpark(),
            // The first place stands: a later one would only push the future back. One woken from
            // another thread before has none yet, and takes this one, so the wake is seen no later
            // than here. (An unknown length, while the queue is being changed, gives no place: the
            // next tick polls the future.)
            Some(Some(queued)) if self.ahead.load(Relaxed) == NO_PLACE => {
                self.ahead.store(queued, Relaxed);
            }
            Some(_) => {}
        }
    }
}
