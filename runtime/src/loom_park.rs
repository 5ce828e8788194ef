//! Loom model of the cross-thread hand-off: the inject queue plus the park handshake.
//!
//! The loop's `epoll_wait` and the eventfd are modelled by a mutex-guarded counter and a condition variable.
//! The loop blocks only when the park handshake allows it; unlike `Core::park` it does not also peek at the
//! queue first, so the model checks that the handshake alone never loses a wake-up.
//! Loom explores every interleaving (within the preemption bound) and fails on a lost wake-up (deadlock) or a
//! lost item.

use crate::inject::Inject;
use crate::parker::Parker;
use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::sync::{Arc, Condvar, Mutex};
use loom::thread;

/// The modelled eventfd: a counter of writes, and a way to block until it is non-zero.
struct EventFd {
    count: Mutex<usize>,
    cond: Condvar,
    writes: AtomicUsize,
}

impl EventFd {
    fn wake(&self) {
        self.writes.fetch_add(1, SeqCst);
        *self.count.lock().unwrap() += 1;
        self.cond.notify_one();
    }

    /// Blocks until woken (or returns at once with a zero timeout), then resets the counter.
    fn wait(&self, block: bool) {
        let mut count = self.count.lock().unwrap();
        while block && *count == 0 {
            count = self.cond.wait(count).unwrap();
        }
        *count = 0;
    }
}

struct Loop {
    inject: Inject<usize>,
    parker: Parker,
    eventfd: EventFd,
}

impl Loop {
    fn new() -> Loop {
        Loop {
            inject: Inject::new(),
            parker: Parker::new(),
            eventfd: EventFd {
                count: Mutex::new(0),
                cond: Condvar::new(),
                writes: AtomicUsize::new(0),
            },
        }
    }

    /// What another thread does to hand over work.
    fn push(&self, item: usize) {
        self.inject.push(item).unwrap();
        if self.parker.notify() {
            self.eventfd.wake();
        }
    }

    /// One park of the loop, as `Core::park` does it.
    fn park(&self) {
        let block = self.parker.begin_park();
        self.eventfd.wait(block);
        self.parker.end_park();
    }
}

fn run_loop_until(lp: &Loop, expected: usize) -> Vec<usize> {
    let mut got = Vec::new();
    loop {
        lp.inject.drain_into(&mut got);
        if got.len() == expected {
            return got;
        }
        lp.park();
    }
}

#[test]
fn one_pusher_never_loses_a_wakeup() {
    loom::model(|| {
        let lp = Arc::new(Loop::new());
        let pusher = {
            let lp = lp.clone();
            thread::spawn(move || lp.push(1))
        };
        let got = run_loop_until(&lp, 1);
        pusher.join().unwrap();
        assert_eq!(got, vec![1]);
    });
}

#[test]
fn two_pushers_never_lose_a_wakeup_and_wake_at_most_once_per_park() {
    loom::model(|| {
        let lp = Arc::new(Loop::new());
        let pushers: Vec<_> = (0..2)
            .map(|i| {
                let lp = lp.clone();
                thread::spawn(move || lp.push(i))
            })
            .collect();
        let mut got = run_loop_until(&lp, 2);
        for p in pushers {
            p.join().unwrap();
        }
        got.sort_unstable();
        assert_eq!(got, vec![0, 1]);
        // Each eventfd write answers one park; two pushes never both pay for the same park.
        assert!(lp.eventfd.writes.load(SeqCst) <= 2);
    });
}

#[test]
fn closed_queue_hands_items_back() {
    loom::model(|| {
        let lp = Arc::new(Loop::new());
        let pusher = {
            let lp = lp.clone();
            thread::spawn(move || lp.inject.push(7))
        };
        let left = lp.inject.close();
        let pushed = pusher.join().unwrap();
        // Either the item made it in before the close (and close returned it), or the push was refused.
        match pushed {
            Ok(()) => assert_eq!(left.into_iter().collect::<Vec<_>>(), vec![7]),
            Err(item) => {
                assert_eq!(item, 7);
                assert!(left.is_empty());
            }
        }
    });
}
