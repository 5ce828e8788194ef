//! The time driver of one event loop: a clock, a timing wheel of wakers, and the loop-facing calls.
//!
//! Rules: one `TimeDriver` per event loop, owned by the loop thread through an `Rc` (it is `!Send` and
//! `!Sync`; the state sits in a `RefCell`). Time futures reach it through the thread's current driver
//! ([`TimeDriver::enter`]). The one part other threads reach is its queue of keys of timers cancelled
//! from away (`remote.rs`), which the loop drains at every turn. Wakers are never woken, cloned or dropped while the state
//! is borrowed, so a waker may run any code, including code that reads the clock or drops a `Sleep`.
//!
//! One wheel tick is one microsecond of the driver's clock, counted from the instant the driver was
//! created (its origin). A deadline is rounded *up* to its tick and the clock *down*, so a timer never
//! fires before its deadline:
//!
//! ```text
//!   origin        tick 1        tick 2        tick 3
//!     |-------------|-------------|-------------|----> driver clock (us)
//!                        ^ deadline 1.4 us  -> tick 2
//!                               ^ now 2.1 us -> tick 2: fires
//! ```
//!
//! Ticks are finer than a poll timeout that counts whole milliseconds on purpose: a loop that can
//! wake at an exact instant (the runtime arms a timer descriptor for [`NextWake::at`]) fires a timer
//! within microseconds of its deadline, and one that cannot still wakes at most a millisecond after
//! it, whatever the phase of its wake-ups.
//!
//! The loop's side of the contract, per iteration:
//!
//! ```text
//!   wake = next_wake()                // None while paused or with no timer
//!   poll I/O until wake.at at most    // or for wake.timeout(): rounded up to whole ms
//!   process()                         // fire what is due, wake those tasks
//!   if paused and nothing can run:    // (the runtime decides, after ready I/O is handled)
//!       advance_to_next()             // jump the virtual clock to the next timer and fire it
//! ```

mod clock;
mod context;
mod next_wake;
mod remote;
mod wake_rest;

pub use context::EnterGuard;
pub(crate) use context::{current, expect_current, with_current, NO_DRIVER};
pub use next_wake::NextWake;
pub(crate) use remote::{send as send_cancel, Registration};

use crate::time::Instant;
use crate::Wheel;
use clock::Clock;
use remote::Remote;
use std::cell::RefCell;
use std::fmt;
use std::mem;
use std::num::NonZeroU32;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Poll, Waker};
use std::time::Duration;
use wake_rest::WakeRest;

/// Nanoseconds in one wheel tick (a microsecond).
const NANOS_PER_TICK: u64 = 1_000;

/// Drives the timers of one event loop.
///
/// The runtime creates one per loop, makes it current with [`enter`](TimeDriver::enter), learns when
/// to wake from [`next_wake`](TimeDriver::next_wake) and calls [`process`](TimeDriver::process) after
/// every poll. Tests can drive it by hand:
///
/// ```
/// # use std::{future::Future, pin::Pin, rc::Rc, sync::Arc, task::{Context, Wake, Waker}};
/// # struct Noop;
/// # impl Wake for Noop { fn wake(self: Arc<Self>) {} }
/// use std::time::Duration;
/// use mudu_timer::{time, TimeDriver};
///
/// let driver = Rc::new(TimeDriver::new(true)); // virtual clock, paused
/// let _current = driver.enter();
/// let start = time::Instant::now();
///
/// let mut nap = time::sleep(Duration::from_secs(3600));
/// let waker = Waker::from(Arc::new(Noop));
/// let mut cx = Context::from_waker(&waker);
/// assert!(Pin::new(&mut nap).poll(&mut cx).is_pending());
/// assert!(driver.has_timers());
///
/// assert!(driver.advance_to_next()); // jumps one hour, fires the timer
/// assert!(Pin::new(&mut nap).poll(&mut cx).is_ready());
/// assert_eq!(time::Instant::now() - start, Duration::from_secs(3600));
/// ```
pub struct TimeDriver {
    /// The instant of tick 0.
    origin: Instant,
    /// The last tick whose instant an `Instant` can hold: the clock never gets past it, so a later
    /// deadline never comes.
    last_tick: u64,
    /// This driver's id, unique among live drivers: `remote`'s, kept here too to spare a `Sleep`'s
    /// every poll and drop the pointer chase.
    id: NonZeroU32,
    /// The keys of this driver's timers sent from away (`remote.rs`).
    remote: Arc<Remote>,
    state: RefCell<State>,
}

struct State {
    clock: Clock,
    wheel: Wheel<Waker>,
    /// Reused buffer for the wakers of one `process`, so firing does not allocate once warm.
    fired: Vec<Waker>,
}

impl TimeDriver {
    /// A driver whose clock is real (`start_paused == false`), or virtual and paused at the current
    /// instant.
    pub fn new(start_paused: bool) -> TimeDriver {
        let origin = Instant::real_now();
        let remote = Remote::register();
        TimeDriver {
            origin,
            last_tick: Instant::LAST.nanos_since(origin) / NANOS_PER_TICK,
            id: remote.id(),
            remote,
            state: RefCell::new(State {
                clock: Clock::new(origin, start_paused),
                wheel: Wheel::new(),
                fired: Vec::new(),
            }),
        }
    }

    /// Makes `self` the current thread's driver until the guard drops, which restores the previous
    /// one. [`Instant::now`], [`sleep`](crate::time::sleep), [`timeout`](crate::time::timeout),
    /// [`interval`](crate::time::interval), [`pause`](crate::time::pause),
    /// [`resume`](crate::time::resume) and [`advance`](crate::time::advance) use the current driver.
    pub fn enter(self: &Rc<Self>) -> EnterGuard {
        EnterGuard::new(Rc::clone(self))
    }

    /// The current thread's driver, if one was entered.
    pub fn current() -> Option<Rc<TimeDriver>> {
        current()
    }

    /// The driver's clock: the real time (shifted by time spent paused), or the virtual time.
    pub fn now(&self) -> Instant {
        self.state.borrow_mut().clock.now()
    }

    /// True while the clock is virtual (paused).
    #[inline]
    pub fn is_paused(&self) -> bool {
        self.state.borrow().clock.is_paused()
    }

    /// True when at least one timer is pending.
    #[inline]
    pub fn has_timers(&self) -> bool {
        self.settle_remote();
        !self.state.borrow().wheel.is_empty()
    }

    /// How many timers are pending.
    pub fn pending_timers(&self) -> usize {
        self.settle_remote();
        self.state.borrow().wheel.len()
    }

    /// Removes the timers whose keys were sent from away (`remote.rs`). Every turn of the loop passes
    /// here (through `has_timers`), and costs one load when nothing was sent.
    #[inline]
    fn settle_remote(&self) {
        if self.remote.has_keys() {
            self.cancel_sent();
        }
    }

    fn cancel_sent(&self) {
        let keys = self.remote.take();
        let mut state = self.state.borrow_mut();
        let removed: Vec<Waker> = keys
            .into_iter()
            .filter_map(|key| state.wheel.cancel(key))
            .collect();
        drop(state);
        // Dropped with no borrow held: a waker's drop may run any code.
        drop(removed);
    }

    /// When the loop must next wake for its timers, on the real clock.
    ///
    /// `None` when no timer is pending, and always `None` while the clock is paused (the loop never
    /// blocks in real time for a virtual deadline; it uses [`has_timers`](TimeDriver::has_timers) and
    /// [`advance_to_next`](TimeDriver::advance_to_next)). A zero [`after`](NextWake::after) when a
    /// timer is already due. Reads the clock once.
    #[inline]
    pub fn next_wake(&self) -> Option<NextWake> {
        // Inlined into the loop up to here: a loop with no timer pays a length check per park.
        if !self.has_timers() {
            return None;
        }
        self.next_pending_wake()
    }

    /// [`next_wake`](TimeDriver::next_wake) once a timer is known to be pending.
    fn next_pending_wake(&self) -> Option<NextWake> {
        let mut state = self.state.borrow_mut();
        if state.clock.is_paused() {
            return None;
        }
        let at = self.instant_of(state.wheel.next_expiration()?)?;
        let after = at.saturating_duration_since(state.clock.now());
        let real_at = state.clock.real_of(at);
        Some(NextWake { at, after, real_at })
    }

    /// How long the loop may block in a poll that counts whole milliseconds before the next timer is
    /// due: [`next_wake`](TimeDriver::next_wake)'s [`timeout`](NextWake::timeout). A 0.3 ms remainder
    /// gives 1 ms, never 0, so the loop does not spin on sub-millisecond remainders.
    pub fn next_timeout(&self) -> Option<Duration> {
        self.next_wake().map(|wake| wake.timeout())
    }

    /// Reads the clock and fires every timer whose deadline is due: removes it from the wheel and
    /// wakes its waker. Returns how many fired. The loop calls it after every poll.
    #[inline]
    pub fn process(&self) -> usize {
        if !self.has_timers() {
            // Nothing can fire: no clock read. The wheel's time catches up when a timer is added.
            return 0;
        }
        self.fire_due()
    }

    /// [`process`](TimeDriver::process) once a timer is known to be pending.
    fn fire_due(&self) -> usize {
        let mut state = self.state.borrow_mut();
        let now = self.tick_floor(state.clock.now());
        let mut fired = mem::take(&mut state.fired);
        state.wheel.advance(now, &mut fired);
        drop(state);
        self.wake_all(fired)
    }

    /// Paused clock only: jumps the virtual clock to the earliest pending deadline and fires what is
    /// due then. Returns false, and does nothing, when the clock runs or no timer is pending.
    pub fn advance_to_next(&self) -> bool {
        self.settle_remote();
        let mut state = self.state.borrow_mut();
        if !state.clock.is_paused() || state.wheel.is_empty() {
            return false;
        }
        let mut fired = mem::take(&mut state.fired);
        // Each step either fires or cascades entries one level down, so this ends within a few steps.
        while fired.is_empty() {
            let tick = state.wheel.next_expiration().expect("a pending timer");
            if let Some(at) = self.instant_of(tick) {
                state.clock.jump_to(at);
            }
            state.wheel.advance(tick, &mut fired);
        }
        // Also fire anything else the clock had already reached.
        let now = self.tick_floor(state.clock.now());
        state.wheel.advance(now, &mut fired);
        drop(state);
        self.wake_all(fired);
        true
    }

    /// Paused clock only: moves the virtual clock forward by `duration` and fires every timer due by
    /// then, in deadline order. Returns how many fired. [`time::advance`](crate::time::advance) is the
    /// async form that also lets the woken tasks run.
    ///
    /// # Panics
    /// When the clock is not paused.
    pub fn advance(&self, duration: Duration) -> usize {
        {
            let mut state = self.state.borrow_mut();
            assert!(
                state.clock.is_paused(),
                "time can only be advanced while the mudu clock is paused"
            );
            state.clock.jump_by(duration, self.jump_ceiling());
        }
        self.process()
    }

    /// Freezes the clock: from now on it moves only through [`advance`](TimeDriver::advance) and
    /// [`advance_to_next`](TimeDriver::advance_to_next).
    ///
    /// The frozen reading is the current one rounded *up* to the next whole tick, so that a timer set
    /// for a whole number of microseconds afterwards fires exactly when the virtual clock reaches it
    /// (a deadline between two ticks would otherwise wait for the later one). The clock moves forward
    /// by less than a microsecond, never backwards, and [`resume`](TimeDriver::resume) gives that back
    /// (the clock stands still for as long before it runs again). So pausing alone puts the clock
    /// ahead of the real one by less than a microsecond at most, and only until the real clock has
    /// caught up with that rounding; the time spent paused soon leaves it behind.
    ///
    /// # Panics
    /// When the clock is already paused.
    pub fn pause(&self) {
        let mut state = self.state.borrow_mut();
        state.clock.pause();
        let now = state.clock.last_reading();
        if let Some(aligned) = self.instant_of(self.tick_ceil(now)) {
            state.clock.round_up(aligned);
        }
    }

    /// Lets a paused clock run again at the real clock's rate, from its virtual reading.
    ///
    /// # Panics
    /// When the clock is not paused.
    pub fn resume(&self) {
        self.state.borrow_mut().clock.resume();
    }

    /// The work of `Sleep::poll`: ready once the clock reaches `deadline` (dropping any wheel entry),
    /// else registers `waker` once in the wheel, or refreshes the stored waker in place.
    ///
    /// It compares with the clock's latest reading (taken by `sleep`, `Instant::now`, and by `process`
    /// while timers are pending) rather than reading the clock again: a deadline that passed since
    /// then is registered anyway and fires at the next `process`, never early and at most one loop
    /// turn late. With no timer pending, `process` reads no clock, so the first poll then reads it.
    pub(crate) fn poll_deadline(
        &self,
        deadline: Instant,
        key: &mut Option<Registration>,
        waker: &Waker,
    ) -> Poll<()> {
        // Registered with another loop's driver: that one is told to drop its entry, and the sleep
        // registers here.
        *key = key.filter(|registration| self.keeps(*registration));
        let Some(Registration {
            key: registered, ..
        }) = *key
        else {
            // First poll: the common case. The waker is cloned before the state is borrowed (a clone
            // may run any code).
            {
                let mut state = self.state.borrow_mut();
                // An empty wheel's `process` reads no clock, so the latest reading may be old then:
                // read afresh, so that a deadline already passed is ready at once.
                let now = if state.wheel.is_empty() {
                    state.clock.now()
                } else {
                    state.clock.last_reading()
                };
                if now >= deadline {
                    return Poll::Ready(());
                }
            }
            let tick = self.tick_ceil(deadline);
            if !self.can_reach(tick) {
                // Taking no entry keeps the loop from jumping to it over and over.
                return Poll::Pending;
            }
            let fresh = waker.clone();
            let mut state = self.state.borrow_mut();
            if state.wheel.is_empty() {
                // `process` leaves an empty wheel's time behind; bring it up to the latest reading, so
                // the timer is placed as near its deadline as it can be (cheap: nothing to move).
                let now = self.tick_floor(state.clock.last_reading());
                state.wheel.advance(now, &mut Vec::new());
            }
            *key = Some(self.insert(&mut state, tick, fresh));
            return Poll::Pending;
        };
        let mut state = self.state.borrow_mut();
        if state.clock.last_reading() >= deadline {
            *key = None;
            let stale = state.wheel.cancel(registered);
            drop(state);
            drop(stale);
            return Poll::Ready(());
        }
        let same_task = state
            .wheel
            .get(registered)
            .map(|stored| stored.will_wake(waker));
        drop(state);
        if same_task == Some(true) {
            return Poll::Pending;
        }
        let fresh = waker.clone();
        let mut state = self.state.borrow_mut();
        let replaced = match state.wheel.get_mut(registered) {
            Some(stored) => Some(mem::replace(stored, fresh)),
            None => {
                // Gone without being due (a reset made away from this driver): register anew, unless
                // the deadline is past the clock's range.
                let tick = self.tick_ceil(deadline);
                if self.can_reach(tick) {
                    *key = Some(self.insert(&mut state, tick, fresh));
                    None
                } else {
                    *key = None;
                    Some(fresh) // dropped below, with no borrow held
                }
            }
        };
        drop(state);
        drop(replaced);
        Poll::Pending
    }

    /// Takes the timer of `registration` out of the wheel, if it is still pending, and returns its waker
    /// for the caller to drop once no borrow is held. A registration with another driver is sent to it.
    #[inline]
    pub(crate) fn cancel(&self, registration: Registration) -> Option<Waker> {
        if !self.keeps(registration) {
            return None;
        }
        self.state.borrow_mut().wheel.cancel(registration.key)
    }

    /// Moves the pending timer of `registration` to `deadline`; false if it is gone, registered with
    /// another driver (which is told to drop it), or taken out because `deadline` is past the clock's
    /// range (it never comes; the next poll takes no entry).
    pub(crate) fn reschedule(&self, registration: Registration, deadline: Instant) -> bool {
        if !self.keeps(registration) {
            return false;
        }
        let tick = self.tick_ceil(deadline);
        let mut state = self.state.borrow_mut();
        if !self.can_reach(tick) {
            let removed = state.wheel.cancel(registration.key);
            drop(state);
            drop(removed);
            return false;
        }
        state.wheel.reset(registration.key, tick)
    }

    /// True when `registration` names this driver's wheel; otherwise it is sent to the driver that
    /// holds the entry, and the caller must not use its key here.
    #[inline]
    fn keeps(&self, registration: Registration) -> bool {
        if registration.driver == self.id {
            return true;
        }
        remote::send(registration);
        false
    }

    /// Inserts a timer, registered with this driver.
    fn insert(&self, state: &mut State, tick: u64, waker: Waker) -> Registration {
        Registration {
            key: state.wheel.insert(tick, waker),
            driver: self.id,
        }
    }

    /// Moves the paused clock without firing anything, to test what a poll sees before `process`.
    #[cfg(test)]
    pub(crate) fn jump_clock(&self, by: Duration) {
        let ceiling = self.jump_ceiling();
        self.state.borrow_mut().clock.jump_by(by, ceiling);
    }

    /// Wakes every waker in `fired` (with no borrow held), then keeps the buffer for next time.
    ///
    /// A waker that panics (a foreign one: a task's never does) does not cost the others their wake:
    /// the rest are woken while the panic unwinds, and then it goes on to the loop's caller.
    fn wake_all(&self, mut fired: Vec<Waker>) -> usize {
        let count = fired.len();
        let mut rest = WakeRest(fired.drain(..));
        for waker in &mut rest.0 {
            waker.wake();
        }
        drop(rest);
        let mut state = self.state.borrow_mut();
        if state.fired.capacity() < fired.capacity() {
            state.fired = fired;
        }
        count
    }

    /// The tick of a deadline: whole microseconds since the origin, rounded up.
    fn tick_ceil(&self, deadline: Instant) -> u64 {
        deadline.nanos_since(self.origin).div_ceil(NANOS_PER_TICK)
    }

    /// The tick the clock is in: whole microseconds since the origin, rounded down.
    fn tick_floor(&self, now: Instant) -> u64 {
        now.nanos_since(self.origin) / NANOS_PER_TICK
    }

    /// The furthest a paused clock jumps ([`Instant::jump_ceiling`]), rounded down to a tick so that a
    /// sleep set there still lasts exactly its length.
    fn jump_ceiling(&self) -> Instant {
        let ceiling = Instant::jump_ceiling();
        self.instant_of(self.tick_floor(ceiling)).unwrap_or(ceiling)
    }

    /// Whether the clock can ever reach `tick`. A later deadline is past the end of the clock's range
    /// (only a paused clock pushed centuries ahead meets one): its timer never fires, and takes no
    /// entry in the wheel.
    fn can_reach(&self, tick: u64) -> bool {
        tick <= self.last_tick
    }

    /// The instant at which `tick` begins, if it is representable.
    fn instant_of(&self, tick: u64) -> Option<Instant> {
        self.origin
            .checked_add_nanos(tick.checked_mul(NANOS_PER_TICK)?)
    }
}

impl Drop for TimeDriver {
    fn drop(&mut self) {
        self.remote.retire();
    }
}

impl fmt::Debug for TimeDriver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.borrow();
        f.debug_struct("TimeDriver")
            .field("origin", &self.origin)
            .field("clock", &state.clock)
            .field("wheel", &state.wheel)
            .finish()
    }
}

#[cfg(test)]
mod tests;
