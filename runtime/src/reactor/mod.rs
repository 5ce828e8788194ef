//! The reactor: one `mio::Poll` per loop, and the readiness of every source registered with it.
//!
//! Each source registers once, edge-triggered, for reading and writing. Its state lives in a slab slot; the
//! mio token is the slot index plus a generation, so an event that arrives for a slot after its source was
//! deregistered and the slot reused is recognised and ignored.
//!
//! ```text
//!   token (usize) = generation (high 32 bits) | slab index (low 32 bits)
//!   token usize::MAX = the loop's cross-thread waker (eventfd)
//!   token usize::MAX - 1 = the loop's alarm (timerfd, alarm.rs)
//! ```
//!
//! The reactor belongs to its loop's thread (`Rc`, `RefCell`): registrations, readiness queries and the
//! poll itself all run there. A mudu task's waker is woken in place, since it only queues the task;
//! any other waker is collected while the slab is borrowed and woken after it is released, so that
//! code it runs may register or drop sources freely.
//!
//! Events are dispatched in chunks: a poll keeps what `epoll_wait` returned, wakes the tasks of the
//! first chunk, and the loop dispatches one more chunk per tick, after running the tasks the previous
//! one woke, before it polls again. With a thousand ready connections the loop so touches each
//! connection's slot and task once while they are in the cache, instead of waking them all and then
//! running them all, and it makes one `epoll_wait` per batch of events rather than one per tick.

mod alarm;
mod crowd;
mod ready;
mod ready_wait;
mod registration;
mod release_watch;
mod scheduled_io;

pub use ready::{Direction, Ready, ReadyEvent};
pub use ready_wait::ReadyWait;
pub use registration::Registration;
pub use release_watch::ReleaseWatch;

use alarm::Alarm;
use mudu_timer::NextWake;
use scheduled_io::ScheduledIo;
use slab::Slab;
use std::cell::{Cell, RefCell};
use std::io;
use std::task::Waker;
use std::time::Duration;

const WAKER_TOKEN: mio::Token = mio::Token(usize::MAX);
const ALARM_TOKEN: mio::Token = mio::Token(usize::MAX - 1);
const INDEX_MASK: usize = u32::MAX as usize;

/// A waker to wake once the slab is released: the slot it came from (index, generation, direction) and
/// the waker, until it goes back to that slot.
type ToWake = (usize, u32, Direction, Option<Waker>);

/// The reactor of one loop.
pub(crate) struct Reactor {
    poll: RefCell<mio::Poll>,
    events: RefCell<mio::Events>,
    /// Wakes a blocked poll at a timer's exact instant (`None` where the platform has no timer fd).
    alarm: Option<Alarm>,
    ios: RefCell<Slab<ScheduledIo>>,
    next_generation: Cell<u32>,
    /// How many reader/writer slots have a task waiting: tasks blocked on I/O.
    waiters: Cell<usize>,
    shut_down: Cell<bool>,
    /// Reused buffer of wakers to wake after an event batch, with the slot each goes back to.
    to_wake: RefCell<Vec<ToWake>>,
    /// The last poll's events (token and readiness), the cross-thread waker's and the alarm's left out.
    fetched: RefCell<Vec<(usize, Ready)>>,
    /// How many of `fetched` are dispatched.
    dispatched: Cell<usize>,
    /// Tasks waiting for a source to be released (see [`ReleaseWatch`]).
    watchers: release_watch::Watchers,
    /// Tasks waiting on a direction beside the one whose waker the slot caches.
    crowds: crowd::Crowds,
}

impl Reactor {
    /// A reactor and the waker other threads use to interrupt its poll.
    pub(crate) fn new() -> io::Result<(Reactor, mio::Waker)> {
        let poll = mio::Poll::new()?;
        let waker = mio::Waker::new(poll.registry(), WAKER_TOKEN)?;
        let alarm = Alarm::new(poll.registry(), ALARM_TOKEN);
        let reactor = Reactor {
            poll: RefCell::new(poll),
            events: RefCell::new(mio::Events::with_capacity(1024)),
            alarm,
            ios: RefCell::new(Slab::new()),
            next_generation: Cell::new(0),
            waiters: Cell::new(0),
            shut_down: Cell::new(false),
            to_wake: RefCell::new(Vec::new()),
            fetched: RefCell::new(Vec::new()),
            dispatched: Cell::new(0),
            watchers: release_watch::Watchers::default(),
            crowds: crowd::Crowds::default(),
        };
        Ok((reactor, waker))
    }

    /// True when at least one source is registered.
    pub(crate) fn has_sources(&self) -> bool {
        !self.ios.borrow().is_empty()
    }

    /// True when at least one task waits for readiness.
    pub(crate) fn has_waiters(&self) -> bool {
        self.waiters.get() > 0
    }

    /// True while events of the last poll wait to be dispatched: the loop dispatches them before it
    /// polls again.
    pub(crate) fn has_undispatched(&self) -> bool {
        self.dispatched.get() < self.fetched.borrow().len()
    }

    /// Makes the next poll return `wake.after` from now at the latest (at `wake.real_at` on the real
    /// clock), to the microsecond, where the platform allows; the poll's own timeout counts whole
    /// milliseconds.
    pub(crate) fn arm_alarm(&self, wake: NextWake) -> io::Result<()> {
        match &self.alarm {
            Some(alarm) => alarm.arm(wake),
            None => Ok(()),
        }
    }

    /// Waits up to `timeout` (forever if `None`) for events, keeps them, and wakes the tasks of the first
    /// `chunk` of them. Returns how many events arrived, the cross-thread waker's and the alarm's
    /// included: zero means the poll ran out its timeout. (An alarm armed before the clock was paused
    /// may still go off; counting it keeps the paused loop from taking that for an idle poll and
    /// jumping its clock before the I/O quiet period is over.)
    pub(crate) fn poll(&self, timeout: Option<Duration>, chunk: usize) -> io::Result<usize> {
        let count = {
            let mut events = self.events.borrow_mut();
            match self.poll.borrow_mut().poll(&mut events, timeout) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(1),
                Err(e) => return Err(e),
            }
            let mut fetched = self.fetched.borrow_mut();
            fetched.clear();
            let mut count = 0;
            for event in events.iter() {
                match event.token() {
                    ALARM_TOKEN => {
                        if let Some(alarm) = &self.alarm {
                            alarm.fired();
                        }
                    }
                    WAKER_TOKEN => {}
                    token => fetched.push((token.0, Ready::from_event(event))),
                }
                count += 1;
            }
            count
        };
        self.dispatched.set(0);
        self.dispatch(chunk);
        Ok(count)
    }

    /// Records the readiness of up to `chunk` more of the last poll's events and wakes the tasks waiting
    /// for it. Returns how many events it dispatched.
    pub(crate) fn dispatch(&self, chunk: usize) -> usize {
        let start = self.dispatched.get();
        let mut to_wake = self.to_wake.borrow_mut();
        // Slots and directions whose crowd the events reached; allocates only when there is one.
        let mut crowded = Vec::new();
        let end = {
            let fetched = self.fetched.borrow();
            let end = fetched.len().min(start.saturating_add(chunk));
            let mut ios = self.ios.borrow_mut();
            for &(token, ready) in &fetched[start..end] {
                let index = token & INDEX_MASK;
                let generation = (token >> 32) as u32;
                let Some(io) = ios.get_mut(index) else {
                    continue;
                };
                if io.generation != generation {
                    // The source went away after the poll (and the slot may be reused): not its event.
                    continue;
                }
                io.readiness = io.readiness | ready;
                io.tick = io.tick.wrapping_add(1);
                if io.crowded != 0 {
                    for direction in [Direction::Read, Direction::Write] {
                        if ready.intersects(direction.mask()) && io.crowded & direction.bit() != 0 {
                            crowded.push((index, generation, direction));
                        }
                    }
                }
                for direction in [Direction::Read, Direction::Write] {
                    if ready.intersects(direction.mask()) && io.is_waiting(direction) {
                        io.set_waiting(direction, false);
                        self.waiters.set(self.waiters.get() - 1);
                        let slot = io.waker(direction);
                        match slot {
                            // A task's waker only queues the task: woken in place, it stays cached.
                            Some(w) if crate::task::is_task_waker(w) => w.wake_by_ref(),
                            Some(_) => {
                                if let Some(w) = slot.take() {
                                    to_wake.push((index, generation, direction, Some(w)));
                                }
                            }
                            None => {}
                        }
                    }
                }
            }
            end
        };
        self.dispatched.set(end);
        if !crowded.is_empty() {
            let uncounted = self.crowds.wake(&crowded);
            self.waiters.set(self.waiters.get() - uncounted);
            // A direction whose displaced wakers were all it had is not crowded any more.
            let mut ios = self.ios.borrow_mut();
            for &(index, generation, direction) in &crowded {
                if let Some(io) = ios.get_mut(index).filter(|io| io.generation == generation) {
                    self.uncrowd_if_empty(io, index, direction);
                }
            }
        }
        if to_wake.is_empty() {
            // Only task wakers, all woken in place: the common case.
            return end - start;
        }
        // Any other waker is woken with no borrow held (it may run arbitrary code), then put back in its
        // slot for the next wait, unless the slot was refilled or freed meanwhile. Those not put back are
        // dropped only after the slab is released, since dropping one may run arbitrary code too.
        for waker in to_wake.iter().filter_map(|(_, _, _, waker)| waker.as_ref()) {
            waker.wake_by_ref();
        }
        {
            let mut ios = self.ios.borrow_mut();
            for (index, generation, direction, waker) in to_wake.iter_mut() {
                if let Some(io) = ios
                    .get_mut(*index)
                    .filter(|io| io.generation == *generation)
                {
                    let slot = io.waker(*direction);
                    if slot.is_none() {
                        *slot = waker.take();
                    }
                }
            }
        }
        to_wake.clear();
        end - start
    }

    /// Registers `source` for both directions, edge-triggered. Returns the slab index and generation.
    pub(crate) fn register(
        &self,
        source: &mut impl mio::event::Source,
    ) -> io::Result<(usize, u32)> {
        if self.shut_down.get() {
            return Err(shut_down_error());
        }
        let generation = self.next_generation.get();
        self.next_generation.set(generation.wrapping_add(1));
        let mut ios = self.ios.borrow_mut();
        let entry = ios.vacant_entry();
        let index = entry.key();
        if index > INDEX_MASK {
            return Err(io::Error::other("too many I/O sources on one loop"));
        }
        let token = mio::Token(((generation as usize) << 32) | index);
        let interest = mio::Interest::READABLE | mio::Interest::WRITABLE;
        // Urgent TCP data must be seen: a read stops at its mark, and that short read would otherwise
        // pass for a drained socket (see `Ready::PRIORITY`).
        #[cfg(any(target_os = "linux", target_os = "android"))]
        let interest = interest | mio::Interest::PRIORITY;
        self.poll
            .borrow()
            .registry()
            .register(source, token, interest)?;
        entry.insert(ScheduledIo::new(generation));
        Ok((index, generation))
    }

    /// Removes `source` from the poll. The slot stays until [`release`](Self::release).
    pub(crate) fn deregister(&self, source: &mut impl mio::event::Source) -> io::Result<()> {
        self.poll.borrow().registry().deregister(source)
    }

    /// Frees the slot of a dropped registration.
    pub(crate) fn release(&self, index: usize, generation: u32) {
        let removed = {
            let mut ios = self.ios.borrow_mut();
            if ios.get(index).is_none_or(|io| io.generation != generation) {
                return;
            }
            ios.remove(index)
        };
        let watched = removed.watched;
        let crowd = if removed.crowded != 0 {
            self.crowds.release(index)
        } else {
            (Vec::new(), 0)
        };
        let waiting = removed.waiting_count() + crowd.1;
        self.waiters.set(self.waiters.get() - waiting);
        // The slot's wakers go only now that the slab is released: dropping one may run any code.
        drop(removed);
        drop(crowd);
        if watched {
            self.watchers.released(index, generation);
        }
    }

    /// Flags the registration (`index`, `generation`) as watched, so its release wakes its watches.
    pub(crate) fn mark_watched(&self, index: usize, generation: u32) {
        if let Some(io) = self
            .ios
            .borrow_mut()
            .get_mut(index)
            .filter(|io| io.generation == generation)
        {
            io.watched = true;
        }
    }

    /// True while the registration (`index`, `generation`) is in place.
    pub(crate) fn is_registered(&self, index: usize, generation: u32) -> bool {
        self.ios
            .borrow()
            .get(index)
            .is_some_and(|io| io.generation == generation)
    }

    /// Polls one direction of a source: its readiness if any, else stores the waker in the slot, the
    /// latest poll's waker winning, as tokio's `poll_*` methods do. For a caller that keeps no state
    /// between polls; [`poll_wait`](Self::poll_wait) serves waits that may be several at once.
    #[inline]
    pub(crate) fn poll_ready(
        &self,
        index: usize,
        direction: Direction,
        waker: &Waker,
    ) -> Option<io::Result<ReadyEvent>> {
        if self.shut_down.get() {
            return Some(Err(shut_down_error()));
        }
        // Declared before the borrow, so a replaced waker is dropped after the slab is released.
        let mut _replaced = None;
        let mut ios = self.ios.borrow_mut();
        let io = &mut ios[index];
        if let Some(event) = io.ready_event(direction) {
            return Some(Ok(event));
        }
        let was_waiting = io.is_waiting(direction);
        // A pending `ReadyWait` put out of the slot must still be woken; another `poll_*` caller's
        // waker is simply replaced, the latest poll's waker winning.
        let wait_put_out = was_waiting && io.is_held_by_wait(direction);
        if !was_waiting {
            io.set_waiting(direction, true);
            self.waiters.set(self.waiters.get() + 1);
        }
        // No wait owns the slot now: one that held it does not withdraw this poll when it goes.
        io.next_ticket(direction);
        let same = io
            .waker(direction)
            .as_ref()
            .is_some_and(|w| w.will_wake(waker));
        // A pending wait of this very task keeps its claim: the waker in the slot still stands for it.
        io.set_held_by_wait(direction, wait_put_out && same);
        if !same {
            let slot = io.waker(direction);
            _replaced = store_waker(slot, waker);
            if wait_put_out {
                // The next event wakes that wait too, and it finds its place again.
                io.crowded |= direction.bit();
                drop(ios);
                if let Some(displaced) = _replaced.take() {
                    self.crowds.displace(index, direction, displaced);
                }
            }
        }
        None
    }

    /// Polls one direction of a source without storing a waker: its readiness if any.
    #[inline]
    pub(crate) fn ready_now(
        &self,
        index: usize,
        direction: Direction,
    ) -> io::Result<Option<ReadyEvent>> {
        if self.shut_down.get() {
            return Err(shut_down_error());
        }
        Ok(self.ios.borrow()[index].ready_event(direction))
    }

    /// Clears `flags` of `event` unless a newer event arrived since it was observed.
    #[inline]
    pub(crate) fn clear_readiness(&self, index: usize, event: ReadyEvent, flags: Ready) {
        let mut ios = self.ios.borrow_mut();
        let io = &mut ios[index];
        if io.tick == event.tick {
            io.readiness.remove(event.ready & flags);
        }
    }

    /// Loop shutdown: fails every later readiness query and wakes every waiting task so it sees the error.
    pub(crate) fn shut_down(&self) {
        self.shut_down.set(true);
        self.fetched.borrow_mut().clear();
        self.dispatched.set(0);
        // Every cached waker leaves the slab before any is woken or dropped: either may run any code.
        let mut waiting = Vec::new();
        let mut idle = Vec::new();
        {
            let mut ios = self.ios.borrow_mut();
            for (_, io) in ios.iter_mut() {
                for direction in [Direction::Read, Direction::Write] {
                    let was_waiting = io.is_waiting(direction);
                    io.set_waiting(direction, false);
                    if let Some(waker) = io.waker(direction).take() {
                        if was_waiting {
                            waiting.push(waker);
                        } else {
                            idle.push(waker);
                        }
                    }
                }
            }
        }
        self.waiters.set(0);
        drop(idle);
        drop(self.watchers.take_all());
        waiting.extend(self.crowds.take_all());
        for w in waiting {
            w.wake();
        }
    }
}

/// Replaces the waker cached in a slot and returns the old one, for the caller to drop once it holds no
/// borrow. Out of line, so that the hot path of a readiness poll (the same task waiting again) stays
/// small.
#[inline(never)]
fn store_waker(slot: &mut Option<Waker>, waker: &Waker) -> Option<Waker> {
    slot.replace(waker.clone())
}

#[cold]
#[inline(never)]
fn shut_down_error() -> io::Error {
    io::Error::other("the mudu loop that owns this I/O source has shut down")
}

#[cfg(all(test, target_os = "linux", not(miri)))]
mod tests;
