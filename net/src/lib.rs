//! Networking for the mudu runtime.
#![forbid(unsafe_code)]

mod buffer;

pub use buffer::Buffer;
