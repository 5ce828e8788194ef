//! The waker of `block_on`'s own future, and its place in the run queue.
//!
//! That future is not a task: it lives on `block_on`'s stack and is polled by the loop itself, never
//! queued. To be fair with the tasks all the same, it takes the place a task would take:
//! - Woken by a task (on the loop's thread), it notes how many entries the run queue held then; those
//!   run first, and the future is polled before any entry queued after the wake. So a task that wakes
//!   it and then yields (`yield_now`, `time::advance`) resumes only after the future has seen the wake.
//!   Later wakes by tasks keep the first place.
//! - Woken during its own poll (a `yield_now` of its own, an `advance` that fires timers), it is polled
//!   again after every entry queued by the end of that poll, injected ones included, whatever other
//!   wakes come meanwhile: that is what `yield_now` and `advance` promise it. Such a poll at a place
//!   ends the tick, so a future that keeps waking itself lets the loop poll I/O in between.
//! - Woken by the loop's poll (an I/O event, a timer fired there) or from another thread, it is polled
//!   first at the next tick, before the tasks that poll woke, as tokio's `block_on` is, or at an
//!   earlier place a task gave it. Only its polls at a place count against the tick's budget, so a
//!   wake from there each tick cannot starve the tasks.

use crate::context;
use crate::shared::Shared;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering::Relaxed, Ordering::SeqCst};
use std::sync::Arc;
use std::task::Wake;

/// `ahead` when no wake on the loop's thread has set a place since the last poll.
const NO_PLACE: usize = usize::MAX;

/// `state`: woken since the last poll.
const WOKEN: u8 = 1;
/// `state`: woken from another thread or by the loop's poll, so due first at the next tick (unless
/// its own poll placed it).
const FIRST: u8 = 2;

/// The wake state of the future, its place among the queued entries, and a wake-up of the poll when
/// woken from another thread. Lives as long as one `block_on`; a stale one, kept by a task after its
/// `block_on` returned, only writes to itself.
///
/// Rules: `state` is the only field other threads touch (one word, so a remote wake sets both of its
/// bits at once). The others are the loop thread's, atomic only because a waker must be `Sync`, and
/// relaxed. A place is set only with `WOKEN`, and everything is cleared when the future is polled.
pub(crate) struct MainWaker {
    state: AtomicU8,
    /// Entries to run before the future's next poll, counted down by the loop as it takes them off
    /// the queue ([`NO_PLACE`]: none set).
    ahead: AtomicUsize,
    /// The place was set after the future's own poll: `FIRST` does not move it.
    placed_by_itself: AtomicBool,
    /// Woken on the loop's thread since [`Self::watch_park`]: during the poll of I/O and timers.
    in_park: AtomicBool,
    shared: Arc<Shared>,
}

impl MainWaker {
    /// A waker for a future that has not been polled yet: it starts woken.
    pub(crate) fn new(shared: Arc<Shared>) -> MainWaker {
        MainWaker {
            state: AtomicU8::new(WOKEN),
            ahead: AtomicUsize::new(NO_PLACE),
            placed_by_itself: AtomicBool::new(false),
            in_park: AtomicBool::new(false),
            shared,
        }
    }

    /// True when the future was woken since its last poll.
    pub(crate) fn is_woken(&self) -> bool {
        self.state.load(SeqCst) & WOKEN != 0
    }

    /// Loop thread, before it polls the future: true when the future was woken and its turn has come.
    /// At the start of a tick (`at_start`) that is a wake from another thread or the loop's poll,
    /// unless the future's own poll placed it; anywhere, a place that has come (no entry left ahead,
    /// or an empty queue: `queued` gives the run queue's length, asked for only then), or a wake with
    /// no place. Clears the wake when it is the future's turn.
    pub(crate) fn take_turn(&self, at_start: bool, queued: impl FnOnce() -> usize) -> bool {
        // A plain load first: most ticks find no wake, and the swap is a locked instruction.
        let state = self.state.load(SeqCst);
        if state & WOKEN == 0 {
            return false;
        }
        let ahead = self.ahead.load(Relaxed);
        let first = at_start && state & FIRST != 0 && !self.placed_by_itself.load(Relaxed);
        if !first && ahead != NO_PLACE && ahead != 0 && queued() != 0 {
            return false;
        }
        self.ahead.store(NO_PLACE, Relaxed);
        self.placed_by_itself.store(false, Relaxed);
        self.state.swap(0, SeqCst) & WOKEN != 0
    }

    /// Loop thread, right after a poll of the future in which it was woken again: it goes behind every
    /// entry queued by now (`queued`), whatever place a wake during the poll gave it.
    pub(crate) fn place_behind(&self, queued: usize) {
        self.ahead.store(queued, Relaxed);
        self.placed_by_itself.store(true, Relaxed);
    }

    /// Loop thread, before its poll of I/O and timers.
    pub(crate) fn watch_park(&self) {
        self.in_park.store(false, Relaxed);
    }

    /// Loop thread, after its poll of I/O and timers: a wake from there puts the future first at the
    /// next tick.
    pub(crate) fn end_park(&self) {
        if self.in_park.load(Relaxed) {
            self.state.fetch_or(FIRST, SeqCst);
        }
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
            // Another thread: first at the next tick.
            self.state.fetch_or(WOKEN | FIRST, SeqCst);
            self.shared.unpark();
            return;
        };
        self.in_park.store(true, Relaxed);
        // The first place stands: a later one would only push the future back. (An unknown length,
        // while the queue is being changed, gives no place: the next look polls the future.)
        if let Some(queued) = queued {
            if self.ahead.load(Relaxed) == NO_PLACE {
                self.ahead.store(queued, Relaxed);
            }
        }
        self.state.fetch_or(WOKEN, SeqCst);
    }
}
