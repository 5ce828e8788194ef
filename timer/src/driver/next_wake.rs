//! When the loop must next wake for its timers: the instant, how far away it is, and the poll timeout
//! that covers it.

use crate::time::Instant;
use std::time::Duration;

/// The next instant the loop must wake for its timers, as [`TimeDriver::next_wake`] reads it.
///
/// The instant may be that of a wheel cascade rather than of a deadline: the loop then fires nothing
/// and asks again. A loop that can be woken at an exact instant (a timer descriptor, a poll with a
/// nanosecond timeout) arms it [`after`](NextWake::after) from now, which is
/// [`real_at`](NextWake::real_at) on the real clock; a poll that counts whole milliseconds uses
/// [`timeout`](NextWake::timeout).
///
/// [`TimeDriver::next_wake`]: crate::TimeDriver::next_wake
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NextWake {
    /// The instant, on the driver's clock.
    pub at: Instant,
    /// How long from the clock reading `next_wake` made until `at`: zero when a timer is already due.
    pub after: Duration,
    /// `at` on the real clock, which the driver's clock has been shifted from if it was ever paused
    /// and resumed: the instant to compare with anything armed in real time.
    pub real_at: Instant,
}

impl NextWake {
    /// [`after`](NextWake::after) rounded *up* to whole milliseconds: a 0.3 ms remainder gives 1 ms,
    /// never 0, so a loop whose poll counts milliseconds does not spin on sub-millisecond remainders.
    pub fn timeout(&self) -> Duration {
        ceil_to_millis(self.after)
    }
}

/// `duration` rounded up to whole milliseconds.
fn ceil_to_millis(duration: Duration) -> Duration {
    let sub_millis = duration.subsec_nanos().div_ceil(1_000_000);
    let millis = duration
        .as_secs()
        .saturating_mul(1000)
        .saturating_add(u64::from(sub_millis));
    Duration::from_millis(millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceil_to_millis_never_rounds_a_remainder_to_zero() {
        assert_eq!(ceil_to_millis(Duration::ZERO), Duration::ZERO);
        assert_eq!(
            ceil_to_millis(Duration::from_nanos(1)),
            Duration::from_millis(1)
        );
        assert_eq!(
            ceil_to_millis(Duration::from_micros(300)),
            Duration::from_millis(1)
        );
        assert_eq!(
            ceil_to_millis(Duration::from_millis(7)),
            Duration::from_millis(7)
        );
        assert_eq!(
            ceil_to_millis(Duration::from_micros(7001)),
            Duration::from_millis(8)
        );
    }
}
