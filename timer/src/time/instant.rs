//! `Instant`: a point on the runtime's clock.
//!
//! Rules: an `Instant` is a plain `std::time::Instant` inside; only [`Instant::now`] consults the
//! current thread's driver, which makes the clock virtual while it is paused. Instants are `Copy`,
//! `Send` and `Sync`, and compare with instants from any driver (they share the std time base).

use crate::driver;
use std::fmt;
use std::ops::{Add, AddAssign, Sub, SubAssign};
use std::time::{Duration, Instant as StdInstant};

/// A measurement of the runtime's monotonic clock.
///
/// Inside a runtime, [`Instant::now`] reads the loop's clock: the real clock, or the virtual clock
/// while time is paused (so a test that sleeps an hour sees exactly one more hour). Outside any
/// runtime it reads the real clock.
///
/// ```
/// use std::rc::Rc;
/// use std::time::Duration;
/// use mudu_timer::{time::Instant, TimeDriver};
///
/// let driver = Rc::new(TimeDriver::new(true));
/// let _current = driver.enter();
/// let start = Instant::now();
/// driver.advance(Duration::from_millis(250));
/// assert_eq!(start.elapsed(), Duration::from_millis(250));
/// assert_eq!(Instant::now(), start + Duration::from_millis(250));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(StdInstant);

/// How far ahead a deadline lands when `now + duration` cannot be represented: about 30 years,
/// beyond the life of any process, yet far inside every platform's `Instant` range.
const FAR_FUTURE: Duration = Duration::from_secs(30 * 365 * 24 * 3600);

impl Instant {
    /// The current time of this thread's runtime clock (virtual while paused), or of the real clock
    /// outside any runtime.
    pub fn now() -> Instant {
        match driver::current() {
            Some(driver) => driver.now(),
            None => Instant(StdInstant::now()),
        }
    }

    /// Wraps a std instant.
    pub fn from_std(std: StdInstant) -> Instant {
        Instant(std)
    }

    /// The std instant inside.
    pub fn into_std(self) -> StdInstant {
        self.0
    }

    /// Time from `earlier` to `self`, zero if `earlier` is later.
    pub fn duration_since(&self, earlier: Instant) -> Duration {
        self.0.saturating_duration_since(earlier.0)
    }

    /// Time from `earlier` to `self`, or `None` if `earlier` is later.
    pub fn checked_duration_since(&self, earlier: Instant) -> Option<Duration> {
        self.0.checked_duration_since(earlier.0)
    }

    /// Time from `earlier` to `self`, zero if `earlier` is later.
    pub fn saturating_duration_since(&self, earlier: Instant) -> Duration {
        self.0.saturating_duration_since(earlier.0)
    }

    /// Time since `self` on the runtime clock ([`Instant::now`]), zero if `self` is in the future.
    pub fn elapsed(&self) -> Duration {
        Instant::now().saturating_duration_since(*self)
    }

    /// `self + duration`, or `None` if it cannot be represented.
    pub fn checked_add(&self, duration: Duration) -> Option<Instant> {
        self.0.checked_add(duration).map(Instant)
    }

    /// `self - duration`, or `None` if it cannot be represented.
    pub fn checked_sub(&self, duration: Duration) -> Option<Instant> {
        self.0.checked_sub(duration).map(Instant)
    }

    /// `self + duration`, or a deadline about 30 years ahead when that cannot be represented (so
    /// `sleep(Duration::MAX)` is a sleep that never ends in practice rather than a panic).
    pub(crate) fn add_or_far_future(self, duration: Duration) -> Instant {
        self.checked_add(duration)
            .or_else(|| self.checked_add(FAR_FUTURE))
            .unwrap_or(self)
    }
}

impl From<StdInstant> for Instant {
    fn from(std: StdInstant) -> Instant {
        Instant(std)
    }
}

impl From<Instant> for StdInstant {
    fn from(instant: Instant) -> StdInstant {
        instant.0
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;

    /// # Panics
    /// When the result cannot be represented.
    fn add(self, duration: Duration) -> Instant {
        Instant(self.0 + duration)
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, duration: Duration) {
        *self = *self + duration;
    }
}

impl Sub<Duration> for Instant {
    type Output = Instant;

    /// # Panics
    /// When the result cannot be represented.
    fn sub(self, duration: Duration) -> Instant {
        Instant(self.0 - duration)
    }
}

impl SubAssign<Duration> for Instant {
    fn sub_assign(&mut self, duration: Duration) {
        *self = *self - duration;
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;

    /// Time from `earlier` to `self`, zero if `earlier` is later.
    fn sub(self, earlier: Instant) -> Duration {
        self.duration_since(earlier)
    }
}

impl fmt::Debug for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn far_future_replaces_an_unrepresentable_deadline() {
        let now = Instant::from_std(StdInstant::now());
        let far = now.add_or_far_future(Duration::MAX);
        assert_eq!(far - now, FAR_FUTURE);
        assert_eq!(
            now.add_or_far_future(Duration::from_secs(1)) - now,
            Duration::from_secs(1)
        );
    }

    #[test]
    fn arithmetic_matches_std() {
        let now = Instant::from_std(StdInstant::now());
        let later = now + Duration::from_millis(1500);
        assert_eq!(later - now, Duration::from_millis(1500));
        assert_eq!(now - later, Duration::ZERO);
        assert_eq!(now.checked_duration_since(later), None);
        assert_eq!(later - Duration::from_millis(1500), now);
        let mut moving = now;
        moving += Duration::from_secs(2);
        moving -= Duration::from_secs(1);
        assert_eq!(moving.into_std(), now.into_std() + Duration::from_secs(1));
    }
}
