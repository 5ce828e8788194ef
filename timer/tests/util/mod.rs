//! Helpers shared by the integration tests: a paused driver, wakers that count or log their wakes,
//! and polling by hand.

#![allow(dead_code)]

use mudu_timer::{EnterGuard, TimeDriver};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

/// A driver with a paused (virtual) clock, made current until the guard drops.
pub fn paused() -> (Rc<TimeDriver>, EnterGuard) {
    let driver = Rc::new(TimeDriver::new(true));
    let guard = driver.enter();
    (driver, guard)
}

/// Counts how often it is woken.
#[derive(Default)]
pub struct Counter(AtomicUsize);

impl Counter {
    pub fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A waker and the counter behind it.
pub fn counting_waker() -> (Waker, Arc<Counter>) {
    let counter = Arc::new(Counter::default());
    (Waker::from(Arc::clone(&counter)), counter)
}

/// Appends its id to a shared log when woken, to check wake order.
pub struct Logger {
    pub id: usize,
    pub log: Arc<Mutex<Vec<usize>>>,
}

impl Wake for Logger {
    fn wake(self: Arc<Self>) {
        self.log.lock().unwrap().push(self.id);
    }
}

/// Polls `future` once with `waker`.
pub fn poll<F: Future + Unpin>(future: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(future).poll(&mut Context::from_waker(waker))
}
