//! A `Sleep` away from the driver that holds its timer: dropped on another thread, or polled and reset
//! under another driver. Its key never reaches the other driver's wheel, and the first driver removes
//! its entry at its next turn.

mod util;

use mudu_timer::time::{sleep, Instant};
use mudu_timer::TimeDriver;
use std::rc::Rc;
use std::time::Duration;
use util::{counting_waker, poll};

const HOUR: Duration = Duration::from_secs(3600);

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

/// Thousands of drivers come and go (a test suite builds a runtime per test) while an old one still
/// holds a timer: a key of the old driver, sent from another thread, reaches the old driver alone.
#[test]
fn a_sleep_of_a_long_lived_driver_never_reaches_a_newer_drivers_timer() {
    let (waker, _) = counting_waker();
    let old = Rc::new(TimeDriver::new(true));
    let entered = old.enter();
    let mut theirs = sleep(HOUR);
    assert!(poll(&mut theirs, &waker).is_pending());
    drop(entered);
    for _ in 0..5_000 {
        drop(TimeDriver::new(true));
    }
    let new = Rc::new(TimeDriver::new(true));
    let _entered = new.enter();
    let (mine_waker, mine_wakes) = counting_waker();
    let mut mine = sleep(HOUR);
    assert!(poll(&mut mine, &mine_waker).is_pending());

    std::thread::spawn(move || drop(theirs)).join().unwrap();
    assert_eq!((old.pending_timers(), new.pending_timers()), (0, 1));
    assert_eq!(new.advance(HOUR), 1);
    assert_eq!(mine_wakes.count(), 1);
}
