//! The driver's clock: the real clock (shifted by the time spent paused, once resumed), or a virtual
//! clock that only moves when told to.
//!
//! Rules: owned by one `TimeDriver` and touched only from its loop thread. The clock never goes
//! backwards: pausing freezes it at the current reading, the paused clock only jumps forward, and
//! resuming lets it run on from the virtual reading at the real clock's rate. Every reading is kept,
//! so a caller that can live with a slightly old time ([`Clock::last_reading`]) pays no clock read.
//!
//! ```text
//!   real time   ----|-------------|-------------------|---------->
//!                 pause()       (advance +1h)       resume()
//!   clock       ----P =========== P+1h --------------- P+1h+(real since resume) -->
//!                     frozen       jumps               runs again (Shifted)
//! ```

use crate::time::Instant;
use std::time::Duration;

/// A clock and its latest reading.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    mode: Mode,
    /// The latest reading; while paused, the virtual time itself.
    last: Instant,
}

#[derive(Debug, Clone, Copy)]
enum Mode {
    /// The real clock, as it is.
    Real,
    /// Reads `base + (real now - real_base)`: the real clock's rate from a virtual starting point.
    Shifted { real_base: Instant, base: Instant },
    /// Reads `last` until told to move. `rounding`: nanoseconds by which the driver moved the frozen
    /// reading up to a whole tick when pausing; resuming gives them back, so that pausing by itself
    /// never puts the clock more than that rounding (under a tick) ahead of the real one.
    Paused { rounding: u64 },
}

impl Clock {
    /// A real clock, or a clock paused at `origin`.
    pub(crate) fn new(origin: Instant, paused: bool) -> Clock {
        let mode = if paused {
            Mode::Paused { rounding: 0 }
        } else {
            Mode::Real
        };
        Clock { mode, last: origin }
    }

    /// Reads the clock.
    pub(crate) fn now(&mut self) -> Instant {
        match self.mode {
            Mode::Real => self.last = Instant::real_now(),
            Mode::Shifted { real_base, base } => {
                self.last = base.saturating_add_nanos(Instant::real_now().nanos_since(real_base));
            }
            Mode::Paused { .. } => {}
        }
        self.last
    }

    /// The real clock's instant for `reading`, a reading of this clock that is not paused: the same
    /// instant while the clock was never paused, shifted by the time spent paused once it runs again.
    pub(crate) fn real_of(&self, reading: Instant) -> Instant {
        match self.mode {
            Mode::Shifted { real_base, base } => {
                real_base.saturating_add_nanos(reading.nanos_since(base))
            }
            // Never asked while paused (`next_wake` answers `None` then); the reading is all there is.
            Mode::Real | Mode::Paused { .. } => reading,
        }
    }

    /// The latest reading, without reading the clock: never later than [`now`](Clock::now), and
    /// equal to it while paused.
    pub(crate) fn last_reading(&self) -> Instant {
        self.last
    }

    #[inline]
    pub(crate) fn is_paused(&self) -> bool {
        matches!(self.mode, Mode::Paused { .. })
    }

    /// Freezes the clock at its current reading.
    ///
    /// # Panics
    /// When it is already paused.
    pub(crate) fn pause(&mut self) {
        assert!(!self.is_paused(), "the mudu clock is already paused");
        // A clock still standing after a resume has not given back all of its rounding yet: carry the
        // rest over, or a pause and resume in quick succession would keep it.
        let owed = match self.mode {
            Mode::Shifted { real_base, .. } => real_base.nanos_since(Instant::real_now()),
            Mode::Real | Mode::Paused { .. } => 0,
        };
        self.now();
        self.mode = Mode::Paused { rounding: owed };
    }

    /// Paused clock only: moves the frozen reading up to `to` (the next whole tick), and remembers
    /// by how much, to give it back when the clock resumes.
    pub(crate) fn round_up(&mut self, to: Instant) {
        if let Mode::Paused { rounding } = &mut self.mode {
            *rounding += to.nanos_since(self.last);
            self.last = self.last.max(to);
        }
    }

    /// Lets the clock run again from its virtual reading, at the real clock's rate once the rounding
    /// of [`round_up`](Clock::round_up) is given back: the clock stands still for that long first.
    /// Without that, each pause and resume would move the clock up to a tick ahead, and many of them
    /// would put it ahead of the real clock by as many ticks, so that a deadline taken from `std`
    /// would fire that much early. With it, the clock is never more than one rounding ahead.
    ///
    /// # Panics
    /// When it is not paused.
    pub(crate) fn resume(&mut self) {
        let Mode::Paused { rounding } = self.mode else {
            panic!("the mudu clock is not paused");
        };
        self.mode = Mode::Shifted {
            real_base: Instant::real_now().saturating_add_nanos(rounding),
            base: self.last,
        };
    }

    /// Moves a paused clock forward to `to`; an earlier `to` leaves it where it is.
    pub(crate) fn jump_to(&mut self, to: Instant) {
        if self.is_paused() {
            self.last = self.last.max(to);
        }
    }

    /// Moves a paused clock forward by `by`, stopping at `ceiling` when it would go further (the
    /// driver passes [`Instant::jump_ceiling`], on its tick grid: far enough from the last
    /// representable instant that later deadlines still fit).
    pub(crate) fn jump_by(&mut self, by: Duration, ceiling: Instant) {
        let later = self
            .last
            .checked_add(by)
            .map_or(ceiling, |t| t.min(ceiling));
        self.jump_to(later);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paused_clock_moves_only_forward_and_only_when_told() {
        let origin = Instant::real_now();
        let mut clock = Clock::new(origin, true);
        assert_eq!(clock.now(), origin);
        clock.jump_by(Duration::from_secs(5), Instant::jump_ceiling());
        assert_eq!(clock.now(), origin + Duration::from_secs(5));
        clock.jump_to(origin + Duration::from_secs(1));
        assert_eq!(clock.now(), origin + Duration::from_secs(5));
        clock.jump_to(origin + Duration::from_secs(9));
        assert_eq!(clock.now(), origin + Duration::from_secs(9));
        assert_eq!(clock.last_reading(), origin + Duration::from_secs(9));
    }

    #[test]
    fn the_rounding_of_a_pause_is_given_back_on_resume() {
        let origin = Instant::real_now();
        let mut clock = Clock::new(origin, false);
        clock.pause();
        let frozen = clock.now();
        // An hour of rounding: the resumed clock stands still until the real clock has made it up.
        clock.round_up(frozen + Duration::from_secs(3600));
        assert_eq!(clock.now(), frozen + Duration::from_secs(3600));
        clock.resume();
        assert_eq!(clock.now(), frozen + Duration::from_secs(3600));
        assert!(clock.now() <= Instant::real_now() + Duration::from_secs(3600));
        // A jump is not rounding: it is kept.
        clock.pause();
        clock.jump_by(Duration::from_secs(60), Instant::jump_ceiling());
        clock.resume();
        let now = clock.now();
        assert!(now >= frozen + Duration::from_secs(3660));
        assert!(now < frozen + Duration::from_secs(3661));
    }

    #[test]
    fn a_jump_too_far_stops_where_later_deadlines_still_fit() {
        let origin = Instant::real_now();
        let mut clock = Clock::new(origin, true);
        clock.jump_by(Duration::MAX, Instant::jump_ceiling());
        let top = clock.now();
        assert_eq!(top, Instant::jump_ceiling());
        assert!(top > origin + Duration::from_secs(400 * 365 * 24 * 3600));
        // A sleep of any length still gets a deadline ahead of the clock.
        assert!(top.add_or_far_future(Duration::from_secs(1)) > top);
        assert!(top.add_or_far_future(Duration::MAX) > top);
        assert!(top.checked_add(Duration::from_secs(3600)).is_some());
        clock.jump_by(Duration::from_secs(1), Instant::jump_ceiling());
        assert_eq!(clock.now(), top);
    }

    #[test]
    fn resume_continues_from_the_virtual_reading() {
        let origin = Instant::real_now();
        let mut clock = Clock::new(origin, false);
        clock.pause();
        let frozen = clock.now();
        clock.jump_by(Duration::from_secs(3600), Instant::jump_ceiling());
        clock.resume();
        assert!(!clock.is_paused());
        assert!(clock.now() >= frozen + Duration::from_secs(3600));
        // A running clock ignores jumps.
        let before = clock.now();
        clock.jump_by(Duration::from_secs(3600), Instant::jump_ceiling());
        assert!(clock.now() < before + Duration::from_secs(3600));
    }

    #[test]
    fn the_last_reading_trails_the_real_clock() {
        let mut clock = Clock::new(Instant::real_now(), false);
        let read = clock.now();
        assert_eq!(clock.last_reading(), read);
        assert!(clock.now() >= read);
    }

    #[test]
    #[should_panic(expected = "already paused")]
    fn pausing_twice_panics() {
        let mut clock = Clock::new(Instant::real_now(), true);
        clock.pause();
    }

    #[test]
    #[should_panic(expected = "not paused")]
    fn resuming_a_running_clock_panics() {
        let mut clock = Clock::new(Instant::real_now(), false);
        clock.resume();
    }
}
