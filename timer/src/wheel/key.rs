//! The handle to one pending timer.
//!
//! Rules: a key names a slab index and the generation the entry had when it was inserted. Keys are
//! `Copy` and may outlive their timer; the wheel compares the generation on every use, so a key whose
//! timer fired or was cancelled is rejected, even after its slab slot was reused.

use std::num::NonZeroU32;

/// Names one timer in a [`Wheel`](crate::Wheel), as returned by [`Wheel::insert`](crate::Wheel::insert).
///
/// A key stays cheap to keep around after its timer is gone: [`Wheel::cancel`](crate::Wheel::cancel)
/// and the other lookups answer `None` for a fired or cancelled timer and never touch the timer that
/// reused its slot. `Option<TimerKey>` is as small as `TimerKey` (8 bytes).
///
/// ```
/// use mudu_timer::Wheel;
///
/// let mut wheel = Wheel::new();
/// let key = wheel.insert(5, "tea");
/// assert_eq!(wheel.cancel(key), Some("tea"));
/// let other = wheel.insert(5, "coffee"); // reuses the slot
/// assert_eq!(wheel.cancel(key), None);   // the old key does not reach it
/// assert_eq!(wheel.cancel(other), Some("coffee"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimerKey {
    pub(crate) index: u32,
    pub(crate) generation: NonZeroU32,
}
