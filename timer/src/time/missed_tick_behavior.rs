//! `MissedTickBehavior`: what an `Interval` does after the loop fell behind its schedule.
//!
//! Rules: pure arithmetic over instants; no clock is read here (the interval passes `now` in).

use crate::time::Instant;
use std::time::Duration;

/// How an [`Interval`](crate::time::Interval) schedules its next tick when a tick is observed late.
///
/// A tick counts as *late* when it is observed more than [`MissedTickBehavior::TOLERANCE`] after it
/// was due; smaller delays are ordinary timer jitter (millisecond rounding, loop wake-up), and the
/// schedule simply continues. With a period of 100 ms starting at 0, and a tick due at 200 observed
/// at 350 (the one due at 300 was missed):
///
/// ```text
///   Burst: 200@350, 300 (at once), 400, 500 ...   catch up, then keep the original schedule
///   Delay: 200@350, 450, 550, 650 ...             restart the schedule from the late tick
///   Skip:  200@350, 400, 500, 600 ...             drop missed ticks, keep the original phase
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum MissedTickBehavior {
    /// Tick as fast as possible until caught up with the original schedule (the default).
    #[default]
    Burst,
    /// After a late tick, the next one comes a full period after the instant the late one was seen.
    Delay,
    /// After a late tick, the next one is the first tick of the original schedule after now.
    Skip,
}

impl MissedTickBehavior {
    /// How late a tick may be observed and still count as on time: five milliseconds, ordinary jitter
    /// of a loop that blocks in whole milliseconds.
    pub const TOLERANCE: Duration = Duration::from_millis(5);

    /// The instant of the tick after the one `due` (scheduled with `period`), observed at `now`.
    pub(crate) fn next_tick(self, due: Instant, now: Instant, period: Duration) -> Instant {
        let lateness = now.saturating_duration_since(due);
        if lateness <= Self::TOLERANCE {
            return due.add_or_far_future(period);
        }
        match self {
            MissedTickBehavior::Burst => due.add_or_far_future(period),
            MissedTickBehavior::Delay => now.add_or_far_future(period),
            MissedTickBehavior::Skip => {
                // The first `due + k * period` strictly after `now`.
                let period_nanos = period.as_nanos();
                let behind = lateness.as_nanos() % period_nanos;
                let ahead = u64::try_from(period_nanos - behind).unwrap_or(u64::MAX);
                now.add_or_far_future(Duration::from_nanos(ahead))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(base: Instant, millis: u64) -> Instant {
        base + Duration::from_millis(millis)
    }

    #[test]
    fn on_time_ticks_keep_the_schedule_for_every_behavior() {
        let base = Instant::now();
        let period = Duration::from_millis(100);
        for behavior in [
            MissedTickBehavior::Burst,
            MissedTickBehavior::Delay,
            MissedTickBehavior::Skip,
        ] {
            assert_eq!(
                behavior.next_tick(at(base, 200), at(base, 200), period),
                at(base, 300)
            );
            assert_eq!(
                behavior.next_tick(at(base, 200), at(base, 205), period),
                at(base, 300)
            );
        }
    }

    #[test]
    fn late_ticks_follow_each_behavior() {
        let base = Instant::now();
        let period = Duration::from_millis(100);
        let (due, now) = (at(base, 200), at(base, 350));
        assert_eq!(
            MissedTickBehavior::Burst.next_tick(due, now, period),
            at(base, 300)
        );
        assert_eq!(
            MissedTickBehavior::Delay.next_tick(due, now, period),
            at(base, 450)
        );
        assert_eq!(
            MissedTickBehavior::Skip.next_tick(due, now, period),
            at(base, 400)
        );
        // Exactly on a later tick of the schedule: Skip moves past it.
        assert_eq!(
            MissedTickBehavior::Skip.next_tick(due, at(base, 400), period),
            at(base, 500)
        );
    }
}
