//! `Backoff`: the schedule of delays between connect attempts.
//!
//! Muduo's connector waits 500 ms after the first failure, doubles the wait
//! after each further failure, and caps it at 30 s; `Backoff::default()` is
//! exactly that. On top of it a schedule may add jitter (so that many clients
//! cut off together do not come back together), a limit on the number of
//! attempts, and a deadline.
//!
//! ```text
//! attempt  1      2          3                  4
//!          |-0.5s-|----1s----|--------2s--------|---- ...  (default schedule)
//!          ^ first attempt: no delay before it
//!          |<-------------- elapsed, measured against the deadline ---->|
//! ```
//!
//! Rules:
//! - Pure: no clock is read and nothing sleeps. The caller asks for the next
//!   delay after each failed attempt, with [`Backoff::next_delay_at`] (passing
//!   the time elapsed since the first attempt began) or [`Backoff::next_delay`]
//!   (which counts only the delays handed out so far, as if attempts took no
//!   time). `None` means stop: the attempts limit is reached, or the next
//!   attempt would start after the deadline. A `None` changes nothing.
//! - Attempts are numbered from 1; the first needs no delay, so a limit of
//!   `n` attempts hands out at most `n - 1` delays.
//! - The un-jittered delay before attempt `k + 1` is
//!   `min(max_delay, initial_delay * multiplier^(k-1))`; jitter then draws
//!   from a range around it (see [`Jitter`]).
//! - Jitter is drawn from a small internal generator: given [`Backoff::seed`]
//!   the whole schedule is reproducible; otherwise the seed comes from the
//!   process's hash randomness.
//! - Builder methods take and return the schedule by value and start it over.
//!   A `Backoff` is a plain value owned by one retry loop.

use std::time::Duration;

use crate::splitmix::SplitMix64;

/// How a delay is randomised (the classic "exponential backoff and jitter"
/// strategies). `base` below is the un-jittered delay.
///
/// ```
/// use mudu_net::{Backoff, Jitter};
/// use std::time::Duration;
///
/// let mut b = Backoff::default().jitter(Jitter::Full).seed(7);
/// assert!(b.next_delay().unwrap() <= Duration::from_millis(500));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Jitter {
    /// Exactly `base`.
    #[default]
    None,
    /// Uniform in `[0, base]`: spreads retries the most.
    Full,
    /// Uniform in `[base / 2, base]`: keeps at least half the wait.
    Equal,
    /// Uniform in `[initial_delay, 3 * previous delay]`, capped at
    /// `max_delay`: each delay grows from the last one actually used,
    /// independently of `multiplier`.
    Decorrelated,
}

/// A retry schedule; see the module docs.
///
/// ```
/// use mudu_net::Backoff;
/// use std::time::Duration;
///
/// let delays: Vec<_> = Backoff::default().take(8).map(|d| d.as_millis()).collect();
/// assert_eq!(delays, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
///
/// let mut b = Backoff::default().max_attempts(3);
/// assert_eq!(b.next_delay(), Some(Duration::from_millis(500)));
/// assert_eq!(b.next_delay(), Some(Duration::from_secs(1)));
/// assert_eq!(b.next_delay(), None); // attempt 3 was the last
/// ```
#[derive(Clone, Debug)]
pub struct Backoff {
    initial: Duration,
    multiplier: f64,
    max: Duration,
    jitter: Jitter,
    max_attempts: Option<u32>,
    deadline: Option<Duration>,
    /// Number of the attempt the next delay comes after (1-based).
    attempt: u32,
    /// Un-jittered delay before the next attempt.
    base: Duration,
    /// The last delay handed out (`initial` before any).
    prev: Duration,
    /// Sum of the delays handed out.
    total: Duration,
    rng: SplitMix64,
}

impl Default for Backoff {
    /// Muduo's schedule: 500 ms, doubling, at most 30 s, no jitter, no limit.
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(500),
            multiplier: 2.0,
            max: Duration::from_secs(30),
            jitter: Jitter::None,
            max_attempts: None,
            deadline: None,
            attempt: 1,
            base: Duration::from_millis(500),
            prev: Duration::from_millis(500),
            total: Duration::ZERO,
            rng: SplitMix64::from_entropy(),
        }
    }
}

impl Backoff {
    /// The default schedule; see [`Backoff::default`].
    pub fn new() -> Self {
        Self::default()
    }

    /// The delay after the first failed attempt.
    pub fn initial_delay(mut self, delay: Duration) -> Self {
        self.initial = delay;
        self.restarted()
    }

    /// The factor each delay grows by.
    ///
    /// # Panics
    /// If `factor` is not finite or is below 1.
    ///
    /// ```
    /// use mudu_net::Backoff;
    /// use std::time::Duration;
    ///
    /// let b = Backoff::default().initial_delay(Duration::from_millis(100)).multiplier(1.5);
    /// let ms: Vec<_> = b.take(3).map(|d| d.as_micros()).collect();
    /// assert_eq!(ms, [100_000, 150_000, 225_000]);
    /// ```
    pub fn multiplier(mut self, factor: f64) -> Self {
        assert!(
            factor.is_finite() && factor >= 1.0,
            "backoff multiplier must be finite and >= 1, got {factor}"
        );
        self.multiplier = factor;
        self.restarted()
    }

    /// The largest delay (before jitter; jitter never exceeds it either).
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max = delay;
        self.restarted()
    }

    /// How delays are randomised; [`Jitter::None`] by default.
    pub fn jitter(mut self, jitter: Jitter) -> Self {
        self.jitter = jitter;
        self.restarted()
    }

    /// At most `attempts` attempts in all, the first included.
    ///
    /// # Panics
    /// If `attempts` is 0: the first attempt is the caller's, not the schedule's.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        assert!(attempts >= 1, "max_attempts must be at least 1");
        self.max_attempts = Some(attempts);
        self.restarted()
    }

    /// No attempt starts later than `deadline` after the first one began.
    ///
    /// ```
    /// use mudu_net::Backoff;
    /// use std::time::Duration;
    ///
    /// // 0.5 + 1 + 2 + 4 = 7.5 s; the next attempt would start at 15.5 s.
    /// let b = Backoff::default().deadline(Duration::from_secs(10));
    /// assert_eq!(b.count(), 4);
    /// ```
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self.restarted()
    }

    /// Makes the jitter reproducible: the same seed, the same delays.
    pub fn seed(mut self, seed: u64) -> Self {
        self.rng = SplitMix64::new(seed);
        self.restarted()
    }

    /// Starts the schedule over (after a success, or muduo's `restart`):
    /// attempt 1, initial delay, nothing elapsed. The jitter generator goes
    /// on from where it was, so a restarted schedule does not replay the
    /// same random delays; rebuild with the same seed for that.
    pub fn reset(&mut self) {
        self.attempt = 1;
        self.base = self.initial;
        self.prev = self.initial;
        self.total = Duration::ZERO;
    }

    fn restarted(mut self) -> Self {
        self.reset();
        self
    }

    /// This schedule without its attempts limit and deadline, started over: for pacing reconnects,
    /// which go on for as long as a client runs.
    pub(crate) fn unlimited(&self) -> Backoff {
        let mut schedule = self.clone();
        schedule.max_attempts = None;
        schedule.deadline = None;
        schedule.restarted()
    }

    /// The delay before the second attempt.
    pub(crate) fn initial(&self) -> Duration {
        self.initial
    }

    /// The number of the current attempt: 1 until a delay is handed out,
    /// `k + 1` after `k` delays.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The sum of the delays handed out since the start or the last reset.
    pub fn total_delay(&self) -> Duration {
        self.total
    }

    /// The delay before the next attempt, with the elapsed time counted as
    /// the sum of the delays handed out so far; `None` to stop.
    pub fn next_delay(&mut self) -> Option<Duration> {
        self.next_delay_at(self.total)
    }

    /// The delay before the next attempt, given the time `elapsed` since the
    /// first attempt began; `None` (and no change) if the attempts limit is
    /// reached or the next attempt would start after the deadline.
    ///
    /// ```
    /// use mudu_net::Backoff;
    /// use std::time::Duration;
    ///
    /// let mut b = Backoff::default().deadline(Duration::from_secs(2));
    /// // The first attempt took 1.6 s to fail: 1.6 + 0.5 > 2.
    /// assert_eq!(b.next_delay_at(Duration::from_millis(1600)), None);
    /// // It took 1.5 s: the second attempt starts exactly at the deadline.
    /// assert_eq!(b.next_delay_at(Duration::from_millis(1500)), Some(Duration::from_millis(500)));
    /// ```
    pub fn next_delay_at(&mut self, elapsed: Duration) -> Option<Duration> {
        if self.max_attempts.is_some_and(|max| self.attempt >= max) {
            return None;
        }
        let base = self.base.min(self.max);
        let mut rng = self.rng.clone();
        let delay = match self.jitter {
            Jitter::None => base,
            Jitter::Full => uniform(&mut rng, Duration::ZERO, base),
            Jitter::Equal => uniform(&mut rng, base / 2, base),
            Jitter::Decorrelated => {
                let high = self.prev.saturating_mul(3).min(self.max);
                uniform(&mut rng, self.initial.min(high), high)
            }
        };
        if self
            .deadline
            .is_some_and(|deadline| elapsed.saturating_add(delay) > deadline)
        {
            return None;
        }
        self.rng = rng;
        self.attempt = self.attempt.saturating_add(1);
        self.base = grow(base, self.multiplier, self.max);
        self.prev = delay;
        self.total = self.total.saturating_add(delay);
        Some(delay)
    }
}

/// Yields [`Backoff::next_delay`] until it says stop.
impl Iterator for Backoff {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        self.next_delay()
    }
}

/// `min(max, delay * factor)`: exact for whole factors, rounded to the
/// nanosecond otherwise; never overflows.
fn grow(delay: Duration, factor: f64, max: Duration) -> Duration {
    if factor.fract() == 0.0 && factor <= f64::from(u32::MAX) {
        return delay.checked_mul(factor as u32).map_or(max, |d| d.min(max));
    }
    let nanos = (delay.as_nanos() as f64 * factor).round();
    if nanos >= max.as_nanos() as f64 {
        return max;
    }
    let nanos = nanos as u128;
    Duration::new(
        (nanos / 1_000_000_000) as u64,
        (nanos % 1_000_000_000) as u32,
    )
}

/// A duration uniform in `[low, high]` at nanosecond grain (spans beyond
/// 584 years are clamped, which no retry schedule reaches).
fn uniform(rng: &mut SplitMix64, low: Duration, high: Duration) -> Duration {
    let span = u64::try_from(high.saturating_sub(low).as_nanos()).unwrap_or(u64::MAX);
    low + Duration::from_nanos(rng.below_or_eq(span))
}

#[cfg(test)]
mod tests;
