//! Hierarchical timing wheel and the time futures of the mudu runtime.
//!
//! - [`Wheel`]: a pure timing wheel over integer ticks (6 levels x 64 slots, O(1) insert and cancel).
//! - [`TimeDriver`]: one per event loop; a clock (real or virtual) and a wheel of wakers, driven by
//!   the loop through [`next_wake`](TimeDriver::next_wake) and [`process`](TimeDriver::process).
//! - [`time`]: `Instant`, `sleep`, `timeout`, `interval` and virtual-time control, on the current
//!   thread's driver. The `mudu` crate re-exports it as `mudu::time`.
//!
//! Everything here is single-threaded per loop: drivers are `!Send` and live behind an `Rc`.
#![forbid(unsafe_code)]

mod driver;
pub mod time;
mod wheel;

pub use driver::{EnterGuard, NextWake, TimeDriver};
pub use wheel::{TimerKey, Wheel};
