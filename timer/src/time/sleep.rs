//! `Sleep`: a future that finishes at a deadline.
//!
//! Rules: a `Sleep` holds only its deadline and, once polled while pending, the registration of its
//! entry in the current driver's wheel (the entry's key and the driver's id). The entry stores the waker of the last poll; a poll with a waker that
//! would wake the same task leaves it alone, another waker replaces it in place (no re-insertion).
//! Dropping or finishing a `Sleep` removes its entry at once. A poll compares the deadline with the
//! clock's latest reading instead of reading the clock again; a deadline passed since that reading
//! fires at the loop's next `process`.
//!
//! A `Sleep` is `Send`: it may sit inside futures handed to another loop, and be dropped anywhere. A
//! driver uses a key only when the registration names it, so a key never reaches another driver's
//! wheel. Dropped on a thread other than its driver's loop, or reset or polled under another loop's
//! driver, a registered `Sleep` sends its registration to the driver that holds the entry, which
//! removes it at its loop's next turn; a poll then registers anew with the current driver. The deadline is an instant of the clock that
//! made it: loops on the real clock share one, while a loop whose clock has been paused keeps its own.
//!
//! ```text
//!   Sleep (20 bytes, 4-aligned)                  wheel entry (40 bytes)
//!   +-----------------+-------------------+     +---------------+----------+-----------+------+
//!   | deadline: 2 x   | Option<Registra-  |     | Option<Waker> | deadline | next/prev | gen  |
//!   | u32 halves      | tion>: key, driver+---->|               |          |           |      |
//!   |        8        |     8 + 4         |     |      16       |    8     |    8      | 4+4  |
//!   +-----------------+-------------------+     +---------------+----------+-----------+------+
//!   one pending sleep: 60 bytes, plus at most one partly used page of entries per wheel
//! ```

use crate::driver::{self, Registration};
use crate::time::instant::PackedInstant;
use crate::time::Instant;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// Waits until `duration` has passed on the runtime's clock.
///
/// The deadline is taken when `sleep` is called. The sleep finishes at a poll that finds the clock at
/// or past it, never earlier; the driver wakes it on the first whole-microsecond tick at or after the
/// deadline, so a poll for another reason may find it finished a fraction of a microsecond before
/// that wake. A poll compares the deadline with the clock's latest reading (taken at the loop's last
/// turn, or by `sleep` or `Instant::now` since), not with a fresh one: a deadline that passed only
/// after that reading is registered and fires at the loop's next turn. `Duration::MAX` sleeps (in practice) forever: about 30 years. A deadline past the
/// end of the clock's range (only a paused clock pushed centuries ahead meets one) never comes.
///
/// # Panics
/// Outside a mudu runtime (no driver is current on this thread).
///
/// ```
/// # use std::{future::Future, pin::Pin, rc::Rc, sync::Arc, task::{Context, Wake, Waker}};
/// # struct Noop;
/// # impl Wake for Noop { fn wake(self: Arc<Self>) {} }
/// use std::time::Duration;
/// use mudu_timer::{time, TimeDriver};
///
/// let driver = Rc::new(TimeDriver::new(true));
/// let _current = driver.enter();
/// let waker = Waker::from(Arc::new(Noop));
/// let mut cx = Context::from_waker(&waker);
///
/// let mut nap = time::sleep(Duration::from_millis(20));
/// assert!(Pin::new(&mut nap).poll(&mut cx).is_pending());
/// assert_eq!(driver.advance(Duration::from_millis(19)), 0);
/// assert_eq!(driver.advance(Duration::from_millis(1)), 1); // woken at exactly +20 ms
/// assert!(Pin::new(&mut nap).poll(&mut cx).is_ready());
/// ```
pub fn sleep(duration: Duration) -> Sleep {
    let now = driver::with_current(driver::TimeDriver::now).expect(driver::NO_DRIVER);
    Sleep::new(now.add_or_far_future(duration))
}

/// Waits until the runtime's clock reaches `deadline`. A deadline the clock's latest reading has
/// reached finishes at the first poll; one that passed only after that reading fires at the loop's
/// next turn (see [`sleep`]).
///
/// # Panics
/// Outside a mudu runtime (no driver is current on this thread).
///
/// ```
/// # use std::{future::Future, pin::Pin, rc::Rc, sync::Arc, task::{Context, Wake, Waker}};
/// # struct Noop;
/// # impl Wake for Noop { fn wake(self: Arc<Self>) {} }
/// use std::time::Duration;
/// use mudu_timer::{time::{sleep_until, Instant}, TimeDriver};
///
/// let driver = Rc::new(TimeDriver::new(true));
/// let _current = driver.enter();
/// let waker = Waker::from(Arc::new(Noop));
///
/// let mut past = sleep_until(Instant::now() - Duration::from_secs(1));
/// assert!(Pin::new(&mut past).poll(&mut Context::from_waker(&waker)).is_ready());
/// ```
pub fn sleep_until(deadline: Instant) -> Sleep {
    driver::expect_current();
    Sleep::new(deadline)
}

/// The future of [`sleep`] and [`sleep_until`]: finishes when the runtime's clock reaches its
/// deadline.
///
/// `Sleep` is `Unpin`, so it can be polled in place (`&mut sleep`) and re-armed with
/// [`reset`](Sleep::reset) without being pinned or re-created. Dropping a pending `Sleep` removes its
/// timer from the wheel at once; dropped on another thread, at its loop's next turn.
///
/// Its deadline is an instant of the clock of the loop that made it. Loops on the real clock share
/// that clock, so a `Sleep` may be made on one and awaited on another; a loop whose clock has been
/// paused keeps a clock of its own, whose instants mean nothing on other loops.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Sleep {
    /// Two 4-byte halves: an 8-aligned `Instant` would pad the `Sleep` from 20 bytes to 24.
    deadline: PackedInstant,
    /// The wheel entry, present from the first pending poll until it is found due or dropped.
    key: Option<Registration>,
}

impl Sleep {
    fn new(deadline: Instant) -> Sleep {
        Sleep {
            deadline: PackedInstant::new(deadline),
            key: None,
        }
    }

    /// The instant at which this sleep finishes.
    pub fn deadline(&self) -> Instant {
        self.deadline.get()
    }

    /// True when the runtime's clock has reached the deadline (the next poll finishes).
    pub fn is_elapsed(&self) -> bool {
        Instant::now() >= self.deadline.get()
    }

    /// Re-arms the sleep for `deadline`, earlier or later, in place: a registered timer moves within
    /// the wheel and keeps its waker; a finished sleep becomes pending again until the new deadline.
    ///
    /// `Pin<&mut Sleep>` reaches this method too, since `Sleep` is `Unpin`.
    ///
    /// ```
    /// # use std::{future::Future, pin::Pin, rc::Rc, sync::Arc, task::{Context, Wake, Waker}};
    /// # struct Noop;
    /// # impl Wake for Noop { fn wake(self: Arc<Self>) {} }
    /// use std::time::Duration;
    /// use mudu_timer::{time, TimeDriver};
    ///
    /// let driver = Rc::new(TimeDriver::new(true));
    /// let _current = driver.enter();
    /// let waker = Waker::from(Arc::new(Noop));
    /// let mut cx = Context::from_waker(&waker);
    ///
    /// let mut nap = time::sleep(Duration::from_secs(60));
    /// assert!(Pin::new(&mut nap).poll(&mut cx).is_pending());
    /// nap.reset(time::Instant::now() + Duration::from_secs(1));
    /// assert_eq!(driver.pending_timers(), 1);
    /// assert_eq!(driver.advance(Duration::from_secs(1)), 1);
    /// assert!(Pin::new(&mut nap).poll(&mut cx).is_ready());
    /// ```
    pub fn reset(&mut self, deadline: Instant) {
        self.deadline = PackedInstant::new(deadline);
        if let Some(key) = self.key {
            let moved = match driver::current() {
                Some(driver) => driver.reschedule(key, deadline),
                None => {
                    driver::send_cancel(key);
                    false
                }
            };
            if !moved {
                // Away from its driver the old entry cannot be moved; the next poll registers anew.
                self.key = None;
            }
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        driver::expect_current().poll_deadline(this.deadline.get(), &mut this.key, cx.waker())
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            // Without a current driver (another thread), the key goes to the driver that holds the
            // entry, if it is still there. The waker taken out of the wheel is dropped after the
            // driver is let go: dropping it may run any code.
            match driver::with_current(|driver| driver.cancel(key)) {
                Some(removed) => drop(removed),
                None => driver::send_cancel(key),
            }
        }
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline.get())
            .field("registered", &self.key.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TimeDriver;
    use std::rc::Rc;
    use std::sync::Arc;
    use std::task::{Wake, Waker};

    struct Noop;

    impl Wake for Noop {
        fn wake(self: Arc<Self>) {}
    }

    #[test]
    fn a_pending_timer_costs_at_most_60_bytes() {
        let sleep = std::mem::size_of::<Sleep>();
        assert!(sleep <= 20, "Sleep grew to {sleep} bytes");
        let entry = crate::wheel::entry_size::<Waker>();
        assert!(entry <= 40, "a wheel entry grew to {entry} bytes");
        assert!(sleep + entry <= 60);
    }

    #[test]
    fn sleep_is_unpin_send_and_sync() {
        fn check<T: Unpin + Send + Sync>() {}
        check::<Sleep>();
    }

    #[test]
    fn a_ready_poll_removes_the_entry() {
        let driver = Rc::new(TimeDriver::new(true));
        let _current = driver.enter();
        let waker = Waker::from(Arc::new(Noop));
        let mut cx = Context::from_waker(&waker);
        let mut nap = sleep(Duration::from_millis(5));
        assert!(Pin::new(&mut nap).poll(&mut cx).is_pending());
        assert!(nap.key.is_some());
        driver.jump_clock(Duration::from_millis(5));
        assert_eq!(
            driver.pending_timers(),
            1,
            "the clock moved but nothing was processed"
        );
        assert!(Pin::new(&mut nap).poll(&mut cx).is_ready());
        assert!(nap.key.is_none());
        assert_eq!(driver.pending_timers(), 0);
    }
}
