//! The waker of `block_on`'s own future, and its place in the run queue.
//!
//! That future is not a task: it lives on `block_on`'s stack and is polled by the loop itself, never
//! queued. To be fair with the tasks all the same, a wake from a task, or from the future's own poll,
//! gives it the place a task would take: it notes how many entries the run queue held then; those run
//! first, and the future is polled before any entry queued after the wake. So a task that wakes it and
//! then yields (`yield_now`, `time::advance`) resumes only after the future has seen the wake. A wake
//! from the loop's poll (an I/O event, a timer it fires) or from another thread has no such place:
//! the future is polled first at the next tick, before the tasks that same poll woke, as tokio's
//! `block_on` does.

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
    /// come (no entry left ahead of it, or an empty queue: `queued`). Clears the wake then.
    pub(crate) fn take_turn(&self, queued: usize) -> bool {
        let ahead = self.ahead.load(Relaxed);
        if ahead != NO_PLACE {
            if ahead != 0 && queued != 0 {
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
        let Some(queued) = queued else {
            self.woken.store(true, SeqCst);
            self.shared.unpark();
            return;
        };
        // The first wake since the poll sets the place; later ones would only push it back.
        if !self.woken.swap(true, SeqCst) {
            // Unknown (the queue is being changed): no place, so the next tick polls the future.
            self.ahead.store(queued.unwrap_or(NO_PLACE), Relaxed);
        }
    }
}
