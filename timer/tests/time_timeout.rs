//! `timeout` and `timeout_at` on a driver polled by hand.

mod util;

use mudu_timer::time::{sleep, timeout, timeout_at, Instant};
use std::future::{pending, ready};
use std::task::Poll;
use std::time::Duration;
use util::{counting_waker, paused, poll};

#[test]
fn a_future_that_never_finishes_times_out_at_the_deadline() {
    let (driver, _current) = paused();
    let start = Instant::now();
    let (waker, wakes) = counting_waker();
    let mut stuck = timeout(Duration::from_secs(5), pending::<u8>());
    assert_eq!(stuck.deadline(), start + Duration::from_secs(5));
    assert_eq!(poll(&mut stuck, &waker), Poll::Pending);
    assert_eq!(driver.advance(Duration::from_millis(4999)), 0);
    assert_eq!(poll(&mut stuck, &waker), Poll::Pending);
    assert!(driver.advance_to_next());
    assert_eq!(wakes.count(), 1);
    assert_eq!(Instant::now() - start, Duration::from_secs(5));
    let result = poll(&mut stuck, &waker);
    assert!(matches!(result, Poll::Ready(Err(_))), "{result:?}");
    assert_eq!(driver.pending_timers(), 0);
}

#[test]
fn a_future_that_finishes_first_wins_and_leaves_no_timer() {
    let (driver, _current) = paused();
    let (waker, _) = counting_waker();
    let mut quick = timeout(Duration::from_secs(5), sleep(Duration::from_secs(1)));
    assert_eq!(poll(&mut quick, &waker), Poll::Pending);
    assert_eq!(driver.pending_timers(), 2);
    assert!(driver.advance_to_next());
    assert_eq!(poll(&mut quick, &waker), Poll::Ready(Ok(())));
    drop(quick);
    assert_eq!(driver.pending_timers(), 0);
}

#[test]
fn a_future_ready_at_the_deadline_still_wins() {
    let (driver, _current) = paused();
    let (waker, _) = counting_waker();
    let mut tie = timeout(Duration::from_secs(1), sleep(Duration::from_secs(1)));
    assert_eq!(poll(&mut tie, &waker), Poll::Pending);
    driver.advance(Duration::from_secs(1));
    assert_eq!(poll(&mut tie, &waker), Poll::Ready(Ok(())));
}

#[test]
fn timeout_at_a_past_deadline_still_polls_the_future_first() {
    let (driver, _current) = paused();
    driver.advance(Duration::from_secs(1));
    let (waker, _) = counting_waker();
    let past = Instant::now() - Duration::from_millis(1);
    let mut done = timeout_at(past, ready("done"));
    assert_eq!(poll(&mut done, &waker), Poll::Ready(Ok("done")));
    let mut late = timeout_at(past, pending::<()>());
    assert!(matches!(poll(&mut late, &waker), Poll::Ready(Err(_))));
    let _inner: std::future::Pending<()> = late.into_inner();
}
