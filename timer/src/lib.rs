//! Hierarchical timing wheel and the time futures of the mudu runtime.
#![forbid(unsafe_code)]

mod wheel;

pub use wheel::{TimerKey, Wheel};
