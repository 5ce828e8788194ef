//! Networking for the mudu runtime.
#![forbid(unsafe_code)]

mod buffer;
pub mod connect;
mod connect_error;

pub use buffer::Buffer;
pub use connect_error::{ConnectError, ConnectErrorKind};
