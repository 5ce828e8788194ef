//! The loop's alarm: a timer descriptor registered with the poll, so that a blocked loop wakes at its
//! next timer's exact instant instead of at the whole millisecond `epoll_wait`'s timeout rounds up to.
//!
//! muduo gives every timer to a `timerfd`. mudu sizes its poll timeout from the timing wheel and keeps
//! the descriptor only for what that timeout cannot express: the part of a wait below a millisecond.
//! The poll timeout still bounds every wait, so the alarm can only make a wake-up earlier, never later.
//!
//! Rules: loop thread only. Arming costs one `timerfd_settime`, so the alarm remembers the instant it
//! is armed for, on the real clock (the driver's clock shifts against it when it is paused and
//! resumed; the descriptor does not), and arms again only for an earlier instant, or after it fired.
//! An alarm armed for a timer that was then cancelled or pushed back still fires: the loop wakes
//! once, fires nothing and arms it again. Its expirations are never read: the descriptor is
//! registered edge-triggered, and each expiry is one new edge.
//!
//! Linux only (and not under Miri, which has no timer descriptors); elsewhere, or where the
//! descriptor cannot be made, [`Alarm::new`] gives `None` and the loop wakes on whole milliseconds:
//! the alarm makes timers punctual, never correct.

use mudu_timer::time::Instant;
use mudu_timer::NextWake;
use std::cell::Cell;
use std::io;

#[cfg(all(target_os = "linux", not(miri)))]
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// A one-shot timer descriptor of one loop, and the instant it is armed for.
#[derive(Debug)]
pub(crate) struct Alarm {
    #[cfg(all(target_os = "linux", not(miri)))]
    fd: OwnedFd,
    armed: Cell<Option<Instant>>,
}

impl Alarm {
    /// A disarmed alarm registered with `registry` under `token`, or `None` when the system refuses
    /// the descriptor (out of descriptors, say): the loop then does without.
    #[cfg(all(target_os = "linux", not(miri)))]
    pub(crate) fn new(registry: &mio::Registry, token: mio::Token) -> Option<Alarm> {
        Alarm::create(registry, token).ok()
    }

    #[cfg(all(target_os = "linux", not(miri)))]
    fn create(registry: &mio::Registry, token: mio::Token) -> io::Result<Alarm> {
        // SAFETY: `timerfd_create` takes no pointers; its result is checked before use.
        let raw = unsafe {
            libc::timerfd_create(
                libc::CLOCK_MONOTONIC,
                libc::TFD_NONBLOCK | libc::TFD_CLOEXEC,
            )
        };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a descriptor `timerfd_create` just returned, owned by nothing else.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        registry.register(
            &mut mio::unix::SourceFd(&fd.as_raw_fd()),
            token,
            mio::Interest::READABLE,
        )?;
        Ok(Alarm {
            fd,
            armed: Cell::new(None),
        })
    }

    /// No timer descriptor here: the loop relies on its poll timeout alone.
    #[cfg(not(all(target_os = "linux", not(miri))))]
    pub(crate) fn new(_registry: &mio::Registry, _token: mio::Token) -> Option<Alarm> {
        None
    }

    /// Makes sure the alarm goes off `wake.after` from now at the latest, with one system call at most.
    ///
    /// Nothing to do when the wake is already due or the alarm is armed for that instant or an earlier
    /// one (it fires, the loop wakes and asks again).
    pub(crate) fn arm(&self, wake: NextWake) -> io::Result<()> {
        if wake.after.is_zero() || self.armed.get().is_some_and(|armed| armed <= wake.real_at) {
            return Ok(());
        }
        self.set(wake)?;
        self.armed.set(Some(wake.real_at));
        Ok(())
    }

    /// The poll reported the alarm's expiry: it is disarmed.
    pub(crate) fn fired(&self) {
        self.armed.set(None);
    }

    #[cfg(all(target_os = "linux", not(miri)))]
    fn set(&self, wake: NextWake) -> io::Result<()> {
        let zero = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        let value = libc::timespec {
            tv_sec: libc::time_t::try_from(wake.after.as_secs()).unwrap_or(libc::time_t::MAX),
            // Below 1e9, so it fits every platform's `c_long`.
            tv_nsec: wake.after.subsec_nanos() as libc::c_long,
        };
        let spec = libc::itimerspec {
            it_interval: zero,
            it_value: value,
        };
        // SAFETY: `self.fd` is the timer descriptor this alarm owns; `spec` is a valid `itimerspec` that
        // outlives the call; a null old-value pointer is allowed.
        let rc =
            unsafe { libc::timerfd_settime(self.fd.as_raw_fd(), 0, &spec, std::ptr::null_mut()) };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    #[cfg(not(all(target_os = "linux", not(miri))))]
    fn set(&self, _wake: NextWake) -> io::Result<()> {
        unreachable!("no alarm is built where there is no timer descriptor")
    }
}

#[cfg(all(test, target_os = "linux", not(miri)))]
mod tests {
    use super::*;
    use std::time::Duration;

    const TOKEN: mio::Token = mio::Token(7);

    /// A poll and an alarm registered with it.
    fn alarm() -> (mio::Poll, Alarm) {
        let poll = mio::Poll::new().unwrap();
        let alarm = Alarm::new(poll.registry(), TOKEN).expect("a timer descriptor");
        (poll, alarm)
    }

    fn wake_in(after: Duration) -> NextWake {
        let at = Instant::from_std(std::time::Instant::now()) + after;
        NextWake {
            at,
            after,
            real_at: at,
        }
    }

    #[test]
    fn arms_only_for_an_earlier_instant() {
        let (_poll, alarm) = alarm();
        let first = wake_in(Duration::from_secs(100));
        alarm.arm(first).unwrap();
        assert_eq!(alarm.armed.get(), Some(first.real_at));
        alarm.arm(wake_in(Duration::from_secs(200))).unwrap();
        assert_eq!(
            alarm.armed.get(),
            Some(first.real_at),
            "a later wake is left to the armed one"
        );
        let earlier = wake_in(Duration::from_secs(50));
        alarm.arm(earlier).unwrap();
        assert_eq!(alarm.armed.get(), Some(earlier.real_at));
        let now = Instant::from_std(std::time::Instant::now());
        let due = NextWake {
            at: now,
            after: Duration::ZERO,
            real_at: now,
        };
        alarm.arm(due).unwrap();
        assert_eq!(
            alarm.armed.get(),
            Some(earlier.real_at),
            "a due wake needs no alarm"
        );
    }

    #[test]
    fn compares_on_the_real_clock_not_the_drivers() {
        let (_poll, alarm) = alarm();
        let armed = wake_in(Duration::from_secs(10));
        alarm.arm(armed).unwrap();
        // After pause, advance(1 h) and resume, the driver's clock runs an hour ahead of the real one:
        // a wake 1 ms away is an hour "later" on the driver's clock but earlier in real time.
        let soon = wake_in(Duration::from_millis(1));
        let shifted = NextWake {
            at: soon.at + Duration::from_secs(3600),
            ..soon
        };
        alarm.arm(shifted).unwrap();
        assert_eq!(alarm.armed.get(), Some(soon.real_at));
    }

    #[test]
    fn an_armed_alarm_ends_a_poll_that_has_no_timeout_of_its_own() {
        let (mut poll, alarm) = alarm();
        let mut events = mio::Events::with_capacity(4);
        // Armed twice in a row, each expiry is one event: the count is never read.
        for _ in 0..2 {
            alarm.arm(wake_in(Duration::from_micros(300))).unwrap();
            loop {
                // The limit is a safety net only: the alarm ends the wait after 300 us.
                poll.poll(&mut events, Some(Duration::from_secs(60)))
                    .unwrap();
                if events.iter().any(|event| event.token() == TOKEN) {
                    break;
                }
                assert!(
                    !events.is_empty(),
                    "the poll ran out its limit: the alarm never went off"
                );
            }
            alarm.fired();
            assert_eq!(alarm.armed.get(), None);
        }
    }
}
