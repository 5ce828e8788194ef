//! A `Sleep` away from the driver that holds its timer: dropped on another thread, or polled and reset
//! under another driver. Its key never names the other driver's timers, and the first driver removes
//! its entry at its next turn.

mod util;

use mudu_timer::time::{sleep, Instant};
use mudu_timer::{TimeDriver, Wheel};
use std::rc::Rc;
use std::time::Duration;
use util::{counting_waker, poll};

const HOUR: Duration = Duration::from_secs(3600);

#[test]
fn no_key_of_one_wheel_reaches_another_wheels_timer() {
    let mut first = Wheel::new();
    let mut second = Wheel::new();
    let keys: Vec<_> = (0..10_000u64).map(|t| first.insert(t, t)).collect();
    for t in 0..10_000u64 {
        second.insert(t, t + 1_000_000);
    }
    for &key in &keys {
        assert_eq!(second.get(key), None);
        assert_eq!(second.cancel(key), None);
        assert!(!second.reset(key, 5));
    }
    assert_eq!((first.len(), second.len()), (10_000, 10_000));
}

#[test]
fn a_sleep_polled_under_a_second_driver_moves_there_and_leaves_nothing_behind() {
    let first = Rc::new(TimeDriver::new(true));
    let second = Rc::new(TimeDriver::new(true));
    let (waker, woken) = counting_waker();
    let entered = first.enter();
    let mut nap = sleep(HOUR);
    assert!(poll(&mut nap, &waker).is_pending());
    drop(entered);

    let _entered = second.enter();
    // The second driver's own timers, on the slots the first one used.
    let (theirs, their_wakes) = counting_waker();
    let mut others: Vec<_> = (0..64).map(|_| sleep(HOUR)).collect();
    for other in &mut others {
        assert!(poll(other, &theirs).is_pending());
    }
    assert!(poll(&mut nap, &waker).is_pending());
    assert_eq!(first.pending_timers(), 0, "the first driver kept the entry");
    assert_eq!(second.pending_timers(), 65);

    // Each timer wakes its own waker when the hour is up.
    assert_eq!(second.advance(HOUR), 65);
    assert_eq!((woken.count(), their_wakes.count()), (1, 64));
    assert!(poll(&mut nap, &waker).is_ready());
}

#[test]
fn a_sleep_reset_under_a_second_driver_leaves_nothing_behind() {
    let first = Rc::new(TimeDriver::new(true));
    let second = Rc::new(TimeDriver::new(true));
    let (waker, _) = counting_waker();
    let entered = first.enter();
    let mut nap = sleep(HOUR);
    assert!(poll(&mut nap, &waker).is_pending());
    drop(entered);
    let _entered = second.enter();
    nap.reset(Instant::now() + HOUR);
    assert_eq!(first.pending_timers(), 0);
    assert!(poll(&mut nap, &waker).is_pending());
    assert_eq!(second.pending_timers(), 1);
    drop(nap);
    assert_eq!(second.pending_timers(), 0);
}

#[test]
fn a_sleep_dropped_on_another_thread_leaves_nothing_behind() {
    let driver = Rc::new(TimeDriver::new(true));
    let _entered = driver.enter();
    let (waker, _) = counting_waker();
    let mut naps: Vec<_> = (0..3).map(|_| sleep(HOUR)).collect();
    for nap in &mut naps {
        assert!(poll(nap, &waker).is_pending());
    }
    let kept = naps.pop().unwrap();
    std::thread::spawn(move || drop(naps)).join().unwrap();
    assert_eq!(driver.pending_timers(), 1);
    assert!(driver.advance_to_next());
    assert_eq!(Instant::now() - kept.deadline(), Duration::ZERO);
}

#[test]
fn a_sleep_whose_driver_is_gone_drops_quietly_anywhere() {
    let (waker, _) = counting_waker();
    let mut nap = {
        let driver = Rc::new(TimeDriver::new(true));
        let _entered = driver.enter();
        let mut nap = sleep(HOUR);
        assert!(poll(&mut nap, &waker).is_pending());
        nap
    };
    nap.reset(Instant::from_std(std::time::Instant::now()));
    std::thread::spawn(move || drop(nap)).join().unwrap();
}
