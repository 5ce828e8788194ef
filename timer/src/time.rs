//! The time API of mudu: instants, sleeps, timeouts, intervals, and virtual time for tests.
//!
//! Rules: every item here works on the current thread's [`TimeDriver`](crate::TimeDriver), the one
//! the runtime entered for this loop. Creating a sleep, timeout or interval, or pausing, resuming or
//! advancing the clock outside a runtime panics with a message that says so; [`Instant::now`] alone
//! falls back to the real clock. A [`Sleep`] is `Send`: dropped on another thread, or polled on another
//! loop, it still leaves its loop's wheel (see its docs).
//!
//! The clock is real, or virtual while paused ([`pause`], `Builder::start_paused` in the runtime). A
//! paused clock stays put until [`advance`] moves it, or until the loop has nothing to run and jumps
//! it straight to the next timer, so a test that sleeps an hour runs in microseconds.
//!
//! | item | what it gives |
//! |---|---|
//! | [`Instant`] | the runtime's clock (`Instant::now`) |
//! | [`sleep`], [`sleep_until`] -> [`Sleep`] | `()` at the deadline; `Sleep::reset` re-arms in place |
//! | [`timeout`], [`timeout_at`] -> [`Timeout`] | `Result<T, Elapsed>` |
//! | [`interval`], [`interval_at`] -> [`Interval`] | ticks; a `Stream` of `Instant` |
//! | [`pause`], [`resume`], [`advance`] | virtual time control |

mod control;
pub mod error;
mod instant;
mod interval;
mod missed_tick_behavior;
mod sleep;
mod timeout;

pub use control::{advance, pause, resume};
pub use error::Elapsed;
pub use instant::Instant;
pub use interval::{interval, interval_at, Interval};
pub use missed_tick_behavior::MissedTickBehavior;
pub use sleep::{sleep, sleep_until, Sleep};
pub use timeout::{timeout, timeout_at, Timeout};
