//! Synchronisation primitives for the cross-thread paths (the inject queue, the park handshake and a
//! task's state word).
//!
//! Under `cfg(loom)` they come from `loom`, so the model tests explore every interleaving of those paths;
//! otherwise they are the standard library's. Only `inject.rs`, `parker.rs`, `task/anchor.rs` and
//! `task/state.rs` use this module: the rest of the runtime is single-threaded per loop and uses `std` directly.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::Mutex;

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::Mutex;

/// Locks `mutex`, ignoring poisoning: every critical section here is a plain queue operation that leaves the
/// data consistent even if a panic unwinds through a caller.
#[cfg(not(loom))]
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Locks `mutex` (loom's mutex never poisons).
#[cfg(loom)]
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> loom::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap()
}
