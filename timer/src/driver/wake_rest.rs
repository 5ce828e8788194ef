//! [`WakeRest`]: the rest of a batch of fired timers' wakers, woken even if one of them panics.
//!
//! Rules: loop thread only, inside the driver's `wake_all`, with no borrow of the driver held.

use std::task::Waker;

/// The wakers of a batch not woken yet. Dropped while a waker's panic unwinds, it wakes them all, each
/// one guarded: a second panic during the unwind would abort the process.
pub(super) struct WakeRest<'a>(pub(super) std::vec::Drain<'a, Waker>);

impl Drop for WakeRest<'_> {
    fn drop(&mut self) {
        for waker in &mut self.0 {
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| waker.wake()));
        }
    }
}
