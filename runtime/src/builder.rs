//! Configuration of a runtime before it starts.

use crate::core::Config;
use crate::Runtime;
use std::io;
use std::time::Duration;

/// Builds a [`Runtime`] with non-default settings.
///
/// ```
/// use std::time::Duration;
///
/// let rt = mudu_runtime::Runtime::builder()
///     .event_interval(32)
///     .start_paused(true)
///     .io_quiet_period(Duration::from_millis(20))
///     .build()
///     .unwrap();
/// rt.block_on(async {});
/// ```
#[derive(Clone, Debug)]
pub struct Builder {
    config: Config,
    start_paused: bool,
}

impl Builder {
    /// The default settings: 64 tasks per tick, real clock, 50 ms I/O quiet period for the paused clock.
    pub fn new() -> Builder {
        Builder {
            config: Config {
                event_interval: 64,
                io_quiet_period: Duration::from_millis(50),
            },
            start_paused: false,
        }
    }

    /// How many tasks a loop runs per tick before it polls I/O and fires timers (at least 1); a poll of
    /// `block_on`'s own future at its place among them counts as one. Lower is fairer to I/O; higher
    /// amortises the poll over more work.
    pub fn event_interval(mut self, tasks: usize) -> Builder {
        self.config.event_interval = tasks.max(1);
        self
    }

    /// Starts the loop's clock paused (virtual time): timers then fire only when the clock moves, which it
    /// does when every task is idle (auto-advance) or through `mudu::time::advance`.
    pub fn start_paused(mut self, paused: bool) -> Builder {
        self.start_paused = paused;
        self
    }

    /// With the clock paused and tasks waiting on I/O, how long the loop waits in real time for readiness
    /// before it jumps the virtual clock to the next timer.
    ///
    /// A peer on another thread or process works in real time; this grace period keeps a virtual timeout
    /// from firing while such a peer is still answering. Loops with no task waiting on I/O jump at once.
    pub fn io_quiet_period(mut self, period: Duration) -> Builder {
        self.config.io_quiet_period = period;
        self
    }

    /// Creates the runtime on the current thread: its reactor (an epoll instance and an eventfd) and its
    /// timer wheel.
    ///
    /// # Errors
    /// When the OS refuses the epoll instance or the eventfd (for instance, out of descriptors).
    pub fn build(self) -> io::Result<Runtime> {
        Runtime::from_config(self.config, self.start_paused)
    }
}

impl Default for Builder {
    fn default() -> Builder {
        Builder::new()
    }
}
