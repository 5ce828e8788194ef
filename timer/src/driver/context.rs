//! The current thread's time driver.
//!
//! Rules: each thread has at most one current driver, set by [`TimeDriver::enter`] and restored by
//! dropping the [`EnterGuard`]. Everything here is thread-local and `!Send`; the time API
//! (`Instant::now`, `sleep`, `timeout`, `interval`, `pause`, `resume`, `advance`) finds its driver here.

use super::TimeDriver;
use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

thread_local! {
    static CURRENT: RefCell<Option<Rc<TimeDriver>>> = const { RefCell::new(None) };
}

/// The message of every time call made where no driver is current.
pub(crate) const NO_DRIVER: &str =
    "there is no mudu timer driver on this thread: call this inside a mudu runtime";

/// Keeps a driver current on this thread; dropping it makes the previous one current again.
///
/// Returned by [`TimeDriver::enter`]. Guards must be dropped in the reverse order of their creation,
/// on the thread that created them (the guard is `!Send`).
///
/// ```compile_fail
/// use std::rc::Rc;
/// use mudu_timer::TimeDriver;
///
/// let driver = Rc::new(TimeDriver::new(true));
/// let guard = driver.enter();
/// std::thread::spawn(move || drop(guard)); // a guard cannot leave its thread
/// ```
#[must_use = "the driver stops being current as soon as the guard is dropped"]
pub struct EnterGuard {
    previous: Option<Rc<TimeDriver>>,
    /// False when the thread's `CURRENT` was already destroyed (a runtime dropped by a thread-local
    /// destructor at thread exit): no driver was made current, and nothing is restored.
    entered: bool,
}

impl EnterGuard {
    pub(crate) fn new(driver: Rc<TimeDriver>) -> EnterGuard {
        match CURRENT.try_with(|current| current.replace(Some(driver))) {
            Ok(previous) => EnterGuard {
                previous,
                entered: true,
            },
            Err(_) => EnterGuard {
                previous: None,
                entered: false,
            },
        }
    }
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        if !self.entered {
            return;
        }
        let previous = self.previous.take();
        // The replaced driver is dropped after the thread-local is released: its wakers may run code
        // that reads the clock.
        let _left = CURRENT.try_with(|current| current.replace(previous));
    }
}

impl fmt::Debug for EnterGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnterGuard").finish_non_exhaustive()
    }
}

/// Runs `f` with the current driver, if any, without taking a count of its `Rc`: the cheap path for
/// calls made once per timer. `f` must not run foreign code that could make another driver current
/// (waker clones and drops belong outside it).
#[inline]
pub(crate) fn with_current<R>(f: impl FnOnce(&TimeDriver) -> R) -> Option<R> {
    CURRENT
        .try_with(|current| current.borrow().as_deref().map(f))
        .ok()
        .flatten()
}

/// The current driver, if any (also `None` while the thread is being torn down).
pub(crate) fn current() -> Option<Rc<TimeDriver>> {
    CURRENT
        .try_with(|current| current.borrow().clone())
        .ok()
        .flatten()
}

/// The current driver.
///
/// # Panics
/// When no driver is current on this thread.
pub(crate) fn expect_current() -> Rc<TimeDriver> {
    current().expect(NO_DRIVER)
}
