//! `Instant`: a point on the runtime's clock, in 8 bytes.
//!
//! Rules: an `Instant` is a count of nanoseconds since the process's time base, a
//! `std::time::Instant` fixed once per process at the first use of the clock and placed far enough in
//! the past (up to 100 years) that every instant the process can observe lies after it. Only
//! [`Instant::now`] consults the current thread's driver, which makes the clock virtual while it is
//! paused. Instants are `Copy`, `Send` and `Sync`, and compare with instants from any driver and any
//! thread (they share the base).
//!
//! ```text
//!   std time:   ----|---------------------------------|-------------|------------->
//!                 base                           first use         now
//!                   |<-- margin: up to 100 years -->|
//!   Instant:        0 ............................................. nanos (u64: ~584 years)
//! ```
//!
//! Half the size of a `std::time::Instant` on 64-bit Linux (16 bytes), which keeps a pending
//! [`Sleep`](crate::time::Sleep) at 20 bytes. A std instant before the base (more than the margin
//! before the first use) reads as the base itself, and one more than ~584 years after it as the last
//! representable instant; both only arise from instants built by arithmetic, never from a clock.

use crate::driver;
use std::fmt;
use std::ops::{Add, AddAssign, Sub, SubAssign};
use std::sync::OnceLock;
use std::time::{Duration, Instant as StdInstant};

/// A measurement of the runtime's monotonic clock.
///
/// Inside a runtime, [`Instant::now`] reads the loop's clock: the real clock, or the virtual clock
/// while time is paused (so a test that sleeps an hour sees exactly one more hour). Outside any
/// runtime it reads the real clock. An `Instant` is 8 bytes, nanoseconds since the process's time
/// base; it converts to and from `std::time::Instant` without loss.
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
/// assert_eq!(std::mem::size_of::<Instant>(), 8);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant {
    /// Nanoseconds since [`base`].
    nanos: u64,
}

/// How far ahead a deadline lands when `now + duration` cannot be represented: about 30 years,
/// beyond the life of any process, yet far inside the ~584 years an `Instant` spans.
const FAR_FUTURE: Duration = Duration::from_secs(30 * 365 * 24 * 3600);

/// How far before its first use the time base is placed, when std can represent it.
const BASE_MARGIN: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

const NANOS_PER_SEC: u64 = 1_000_000_000;

/// The process's time base: instant 0.
static BASE: OnceLock<StdInstant> = OnceLock::new();

fn base() -> StdInstant {
    *BASE.get_or_init(|| base_before(StdInstant::now()))
}

/// `now` minus the largest margin of the form `BASE_MARGIN / 2^k` that std can represent (on Linux,
/// the full 100 years; where std instants count from boot, about the time since boot), or `now`
/// itself.
fn base_before(now: StdInstant) -> StdInstant {
    let mut margin = BASE_MARGIN;
    while !margin.is_zero() {
        if let Some(base) = now.checked_sub(margin) {
            return base;
        }
        margin /= 2;
    }
    now
}

/// `duration` in whole nanoseconds, or `None` beyond `u64::MAX` (~584 years).
fn nanos_of(duration: Duration) -> Option<u64> {
    duration
        .as_secs()
        .checked_mul(NANOS_PER_SEC)?
        .checked_add(u64::from(duration.subsec_nanos()))
}

impl Instant {
    /// The last instant an `Instant` can hold.
    pub(crate) const LAST: Instant = Instant { nanos: u64::MAX };

    /// The current time of this thread's runtime clock (virtual while paused), or of the real clock
    /// outside any runtime.
    pub fn now() -> Instant {
        match driver::current() {
            Some(driver) => driver.now(),
            None => Instant::real_now(),
        }
    }

    /// Converts a std instant. Exact for every instant a clock of this process returns; an instant
    /// before the process's time base (more than a century before the clock was first used) reads
    /// as the base, and one ~584 years after it as the last representable instant.
    pub fn from_std(std: StdInstant) -> Instant {
        let nanos = match std.checked_duration_since(base()) {
            Some(since) => nanos_of(since).unwrap_or(u64::MAX),
            None => 0,
        };
        Instant { nanos }
    }

    /// The std instant this one stands for: `from_std(s).into_std() == s` for every `s` a clock
    /// returned.
    ///
    /// # Panics
    /// When std cannot represent the instant: never on 64-bit Linux; elsewhere only for an instant
    /// centuries ahead.
    pub fn into_std(self) -> StdInstant {
        base() + Duration::from_nanos(self.nanos)
    }

    /// Time from `earlier` to `self`, zero if `earlier` is later.
    pub fn duration_since(&self, earlier: Instant) -> Duration {
        self.saturating_duration_since(earlier)
    }

    /// Time from `earlier` to `self`, or `None` if `earlier` is later.
    pub fn checked_duration_since(&self, earlier: Instant) -> Option<Duration> {
        self.nanos
            .checked_sub(earlier.nanos)
            .map(Duration::from_nanos)
    }

    /// Time from `earlier` to `self`, zero if `earlier` is later.
    pub fn saturating_duration_since(&self, earlier: Instant) -> Duration {
        Duration::from_nanos(self.nanos_since(earlier))
    }

    /// Time since `self` on the runtime clock ([`Instant::now`]), zero if `self` is in the future.
    pub fn elapsed(&self) -> Duration {
        Instant::now().saturating_duration_since(*self)
    }

    /// `self + duration`, or `None` if it cannot be represented (beyond ~584 years after the time
    /// base).
    pub fn checked_add(&self, duration: Duration) -> Option<Instant> {
        self.checked_add_nanos(nanos_of(duration)?)
    }

    /// `self - duration`, or `None` if it cannot be represented (before the time base, a century or
    /// more before the clock was first used).
    pub fn checked_sub(&self, duration: Duration) -> Option<Instant> {
        let nanos = self.nanos.checked_sub(nanos_of(duration)?)?;
        Some(Instant { nanos })
    }

    /// `self + duration`, or a deadline about 30 years ahead when that cannot be represented (so
    /// `sleep(Duration::MAX)` is a sleep that never ends in practice rather than a panic). Within 30
    /// years of the end of the clock's range (only a paused clock gets there), the last
    /// representable instant, which no timer can wait for: such a deadline never comes, rather than
    /// coming early.
    pub(crate) fn add_or_far_future(self, duration: Duration) -> Instant {
        self.checked_add(duration)
            .or_else(|| self.checked_add(FAR_FUTURE))
            .unwrap_or(Instant::LAST)
    }

    /// The latest instant `advance` moves a paused clock to: twice [`FAR_FUTURE`] (60 years) before
    /// the last representable one, so that sleeps, timeouts and intervals keep working after any
    /// jump, even after a `Duration::MAX` timeout (which lands 30 years on) has fired.
    pub(crate) fn jump_ceiling() -> Instant {
        Instant {
            nanos: u64::MAX - 2 * FAR_FUTURE.as_secs() * 1_000_000_000,
        }
    }

    /// The real clock, whatever the current driver's clock says.
    pub(crate) fn real_now() -> Instant {
        Instant::from_std(StdInstant::now())
    }

    /// Nanoseconds from `earlier` to `self`, zero if `earlier` is later.
    pub(crate) fn nanos_since(self, earlier: Instant) -> u64 {
        self.nanos.saturating_sub(earlier.nanos)
    }

    /// `self` plus `nanos` nanoseconds, or `None` if it cannot be represented.
    pub(crate) fn checked_add_nanos(self, nanos: u64) -> Option<Instant> {
        let nanos = self.nanos.checked_add(nanos)?;
        Some(Instant { nanos })
    }

    /// `self` plus `nanos` nanoseconds, stopping at the last representable instant.
    pub(crate) fn saturating_add_nanos(self, nanos: u64) -> Instant {
        Instant {
            nanos: self.nanos.saturating_add(nanos),
        }
    }
}

impl From<StdInstant> for Instant {
    fn from(std: StdInstant) -> Instant {
        Instant::from_std(std)
    }
}

impl From<Instant> for StdInstant {
    fn from(instant: Instant) -> StdInstant {
        instant.into_std()
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;

    /// # Panics
    /// When the result cannot be represented.
    fn add(self, duration: Duration) -> Instant {
        self.checked_add(duration)
            .expect("overflow when adding a duration to an instant")
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
        self.checked_sub(duration)
            .expect("overflow when subtracting a duration from an instant")
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
    /// The time since the process's time base, e.g. `Instant(3155760012.5s)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Instant")
            .field(&Duration::from_nanos(self.nanos))
            .finish()
    }
}

/// An [`Instant`] kept as two 4-byte halves, for a struct that would otherwise be padded for it: a
/// `Sleep` is 20 bytes with it, 24 with an `Instant`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct PackedInstant([u32; 2]);

impl PackedInstant {
    #[inline]
    pub(crate) fn new(instant: Instant) -> PackedInstant {
        PackedInstant([instant.nanos as u32, (instant.nanos >> 32) as u32])
    }

    #[inline]
    pub(crate) fn get(self) -> Instant {
        Instant {
            nanos: u64::from(self.0[0]) | u64::from(self.0[1]) << 32,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instant_is_eight_bytes() {
        assert_eq!(std::mem::size_of::<Instant>(), 8);
    }

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
        assert_eq!(
            later.checked_duration_since(now),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(later - Duration::from_millis(1500), now);
        let mut moving = now;
        moving += Duration::from_secs(2);
        moving -= Duration::from_secs(1);
        assert_eq!(moving.into_std(), now.into_std() + Duration::from_secs(1));
        assert_eq!(now.checked_add(Duration::MAX), None);
        assert_eq!(now.checked_sub(Duration::MAX), None);
    }

    #[test]
    fn std_instants_round_trip_exactly_and_keep_their_order() {
        let now = StdInstant::now();
        let mut instants = vec![
            now,
            now + Duration::from_nanos(1),
            now + Duration::new(7, 3),
        ];
        for back in [Duration::from_nanos(1), Duration::from_secs(3600)] {
            instants.extend(now.checked_sub(back));
        }
        for &a in &instants {
            assert_eq!(Instant::from_std(a).into_std(), a);
            assert_eq!(StdInstant::from(Instant::from(a)), a);
            for &b in &instants {
                assert_eq!(Instant::from_std(a).cmp(&Instant::from_std(b)), a.cmp(&b));
                assert_eq!(
                    Instant::from_std(a).checked_duration_since(Instant::from_std(b)),
                    a.checked_duration_since(b)
                );
            }
        }
    }

    #[test]
    fn the_base_lies_before_every_observed_instant() {
        let first = Instant::real_now();
        assert!(
            first.nanos > 0,
            "the clock's first reading is after the base"
        );
        let now = StdInstant::now();
        let base = base_before(now);
        assert!(base <= now);
        if now.checked_sub(BASE_MARGIN).is_some() {
            assert_eq!(now - base, BASE_MARGIN);
        }
    }

    #[test]
    fn an_instant_before_the_base_saturates_to_the_base() {
        let zero = Instant { nanos: 0 };
        assert_eq!(zero.into_std(), base());
        if let Some(before) = base().checked_sub(Duration::from_secs(1)) {
            assert_eq!(Instant::from_std(before), zero);
        }
        assert_eq!(zero.checked_sub(Duration::from_nanos(1)), None);
    }

    #[test]
    fn debug_shows_the_time_since_the_base() {
        let instant = Instant {
            nanos: 1_500_000_000,
        };
        assert_eq!(format!("{instant:?}"), "Instant(1.5s)");
    }

    #[test]
    fn a_packed_instant_is_the_same_instant() {
        for nanos in [0, 1, u64::from(u32::MAX), 1 << 32, u64::MAX - 1, u64::MAX] {
            let instant = Instant { nanos };
            assert_eq!(PackedInstant::new(instant).get(), instant);
        }
        assert_eq!(std::mem::align_of::<PackedInstant>(), 4);
    }
}
