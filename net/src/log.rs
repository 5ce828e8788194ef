//! `log!`: the crate's log lines, through the `tracing` crate when the
//! `tracing` feature is on (the default), and compiled out otherwise.
//!
//! Rules: messages are plain sentences ("retry connecting to 127.0.0.1:9981
//! in 2000 ms") so that any subscriber prints them readably; the arguments
//! are type-checked in both builds, so a build without the feature cannot
//! rot.

/// `log!(info, "format", args..)`: a `tracing` event at that level.
macro_rules! log {
    ($level:ident, $($arg:tt)+) => {{
        #[cfg(feature = "tracing")]
        {
            ::tracing::$level!($($arg)+);
        }
        #[cfg(not(feature = "tracing"))]
        {
            if false {
                let _ = format_args!($($arg)+);
            }
        }
    }};
}

pub(crate) use log;
