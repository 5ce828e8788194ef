//! Networking for the mudu runtime.
#![forbid(unsafe_code)]
