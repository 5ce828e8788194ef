//! The reactor's own unit tests.

use super::*;
use mudu_timer::time::Instant;

/// An alarm left armed when the clock is paused may still go off. Its event must count: a paused loop
/// takes a poll that returns no event for an idle one and jumps its clock, which would cut short the
/// quiet period it gives a task waiting on real I/O.
#[test]
fn the_alarm_going_off_counts_as_an_event() {
    let (reactor, _waker) = Reactor::new().unwrap();
    let after = Duration::from_micros(300);
    let at = Instant::from_std(std::time::Instant::now()) + after;
    reactor
        .arm_alarm(NextWake {
            at,
            after,
            real_at: at,
        })
        .unwrap();
    // The limit is a safety net only: the alarm ends the wait after 300 us.
    let events = reactor.poll(Some(Duration::from_secs(60)), 64).unwrap();
    assert_eq!(events, 1);
    assert!(!reactor.has_undispatched(), "the alarm is no I/O event");
}
