//! The driver's clock: the real clock, shifted by the time spent paused, or a virtual clock that only
//! moves when told to.
//!
//! Rules: owned by one `TimeDriver` and touched only from its loop thread. The clock never goes
//! backwards: pausing freezes it at the current reading, the paused clock only jumps forward, and
//! resuming lets it run on from the virtual reading at the real clock's rate.
//!
//! ```text
//!   real time   ----|-------------|-------------------|---------->
//!                 pause()       (advance +1h)       resume()
//!   clock       ----P =========== P+1h --------------- P+1h+(real since resume) -->
//!                     frozen       jumps               runs again
//! ```

use std::time::{Duration, Instant as StdInstant};

/// A real or a paused clock.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Clock {
    /// Reads `base + (real now - real_base)`.
    Running {
        real_base: StdInstant,
        base: StdInstant,
    },
    /// Reads `now` until told to move.
    Paused { now: StdInstant },
}

impl Clock {
    /// A running clock that starts at the real time `origin`, or one paused there.
    pub(crate) fn new(origin: StdInstant, paused: bool) -> Clock {
        if paused {
            Clock::Paused { now: origin }
        } else {
            Clock::Running {
                real_base: origin,
                base: origin,
            }
        }
    }

    pub(crate) fn now(&self) -> StdInstant {
        match *self {
            Clock::Running { real_base, base } => base + real_base.elapsed(),
            Clock::Paused { now } => now,
        }
    }

    pub(crate) fn is_paused(&self) -> bool {
        matches!(self, Clock::Paused { .. })
    }

    /// Freezes the clock at its current reading.
    ///
    /// # Panics
    /// When it is already paused.
    pub(crate) fn pause(&mut self) {
        assert!(!self.is_paused(), "the mudu clock is already paused");
        *self = Clock::Paused { now: self.now() };
    }

    /// Lets the clock run again from its virtual reading.
    ///
    /// # Panics
    /// When it is not paused.
    pub(crate) fn resume(&mut self) {
        let Clock::Paused { now } = *self else {
            panic!("the mudu clock is not paused");
        };
        *self = Clock::Running {
            real_base: StdInstant::now(),
            base: now,
        };
    }

    /// Moves a paused clock forward to `to`; an earlier `to` leaves it where it is.
    pub(crate) fn jump_to(&mut self, to: StdInstant) {
        if let Clock::Paused { now } = self {
            *now = (*now).max(to);
        }
    }

    /// Moves a paused clock forward by `by`, stopping at the last representable instant.
    pub(crate) fn jump_by(&mut self, by: Duration) {
        if let Clock::Paused { now } = self {
            if let Some(later) = now.checked_add(by) {
                *now = later;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paused_clock_moves_only_forward_and_only_when_told() {
        let origin = StdInstant::now();
        let mut clock = Clock::new(origin, true);
        assert_eq!(clock.now(), origin);
        clock.jump_by(Duration::from_secs(5));
        assert_eq!(clock.now(), origin + Duration::from_secs(5));
        clock.jump_to(origin + Duration::from_secs(1));
        assert_eq!(clock.now(), origin + Duration::from_secs(5));
        clock.jump_to(origin + Duration::from_secs(9));
        assert_eq!(clock.now(), origin + Duration::from_secs(9));
    }

    #[test]
    fn resume_continues_from_the_virtual_reading() {
        let origin = StdInstant::now();
        let mut clock = Clock::new(origin, false);
        clock.pause();
        let frozen = clock.now();
        clock.jump_by(Duration::from_secs(3600));
        clock.resume();
        assert!(!clock.is_paused());
        assert!(clock.now() >= frozen + Duration::from_secs(3600));
        // A running clock ignores jumps.
        let before = clock.now();
        clock.jump_by(Duration::from_secs(3600));
        assert!(clock.now() < before + Duration::from_secs(3600));
    }

    #[test]
    #[should_panic(expected = "already paused")]
    fn pausing_twice_panics() {
        let mut clock = Clock::new(StdInstant::now(), true);
        clock.pause();
    }

    #[test]
    #[should_panic(expected = "not paused")]
    fn resuming_a_running_clock_panics() {
        let mut clock = Clock::new(StdInstant::now(), false);
        clock.resume();
    }
}
