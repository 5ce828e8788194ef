//! mudu: a per-thread async runtime.
#![forbid(unsafe_code)]
pub use mudu_net as net;
