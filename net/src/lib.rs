//! Networking for the mudu runtime.
#![forbid(unsafe_code)]

mod buffer;
mod connect_error;

pub use buffer::Buffer;
pub use connect_error::{ConnectError, ConnectErrorKind};
