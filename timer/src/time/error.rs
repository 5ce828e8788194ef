//! Errors of the time API.
//!
//! Rules: plain values, `Send + Sync`, cheap to create; they carry no driver state.

use std::error::Error;
use std::fmt;
use std::io;

/// The error of a [`Timeout`](crate::time::Timeout) whose deadline passed before its future finished.
///
/// It converts into an [`io::Error`] of kind [`TimedOut`](io::ErrorKind::TimedOut), so I/O code
/// can use `?` on a timed-out operation.
///
/// ```
/// use mudu_timer::time::error::Elapsed;
///
/// fn describe(result: Result<u32, Elapsed>) -> String {
///     match result {
///         Ok(n) => format!("got {n}"),
///         Err(elapsed) => elapsed.to_string(),
///     }
/// }
/// assert_eq!(describe(Ok(3)), "got 3");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed(());

impl Elapsed {
    pub(crate) fn new() -> Elapsed {
        Elapsed(())
    }
}

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl Error for Elapsed {}

impl From<Elapsed> for io::Error {
    fn from(elapsed: Elapsed) -> io::Error {
        io::Error::new(io::ErrorKind::TimedOut, elapsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_to_a_timed_out_io_error() {
        let error = io::Error::from(Elapsed::new());
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        assert_eq!(error.to_string(), "deadline has elapsed");
    }
}
