//! The handle to a spawned task's result.

use super::join_error::JoinError;
use super::raw::{header, Header};
use super::state::{COMPLETE, JOIN_WAKER};
use super::task_ref::TaskRef;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll};

/// An owned permission to await a spawned task's output.
///
/// Awaiting it yields `Ok(output)`, or a [`JoinError`] when the task panicked or was cancelled. Dropping the
/// handle *detaches* the task: it keeps running, and its output is dropped on its loop when it finishes.
/// [`abort`](Self::abort) cancels the task: its future is dropped on its own loop at the next opportunity.
///
/// A handle may be awaited on any thread and from any runtime when `T: Send` (it is then `Send + Sync`),
/// for instance the handle returned by [`Handle::spawn`](crate::Handle::spawn).
///
/// ```
/// let out = mudu_runtime::block_on(async {
///     let task = mudu_runtime::spawn(async { 6 * 7 });
///     task.await.unwrap()
/// });
/// assert_eq!(out, 42);
/// ```
pub struct JoinHandle<T> {
    ptr: NonNull<Header>,
    _output: PhantomData<T>,
}

// SAFETY: the handle reads the output (a `T`) and the join waker slot under the state protocol of state.rs,
// which is thread-safe; moving or sharing the handle moves or shares only `T`, hence the bounds.
unsafe impl<T: Send> Send for JoinHandle<T> {}
// SAFETY: as above; `&JoinHandle` only allows `abort` and `is_finished`, which use the atomic state word.
unsafe impl<T: Send> Sync for JoinHandle<T> {}

impl<T> Unpin for JoinHandle<T> {}

impl<T> JoinHandle<T> {
    /// # Safety
    /// The caller hands over the join handle's reference to the live task at `ptr`, whose output is `T`.
    pub(super) unsafe fn from_raw(ptr: NonNull<Header>) -> JoinHandle<T> {
        JoinHandle {
            ptr,
            _output: PhantomData,
        }
    }

    fn header(&self) -> &Header {
        // SAFETY: the handle owns a reference, which keeps the task alive.
        unsafe { header(self.ptr) }
    }

    /// Cancels the task. Its future is dropped on its own loop the next time that loop runs; awaiting the
    /// handle then yields a [`JoinError`] for which [`is_cancelled`](JoinError::is_cancelled) holds. Aborting a
    /// finished task does nothing: its output is kept.
    pub fn abort(&self) {
        if self.header().state.transition_to_cancelled() {
            // SAFETY: the handle's reference keeps the task alive for the wake.
            unsafe { super::waker::notify(self.ptr) };
        }
    }

    /// True once the task has finished: returned, panicked or been cancelled.
    pub fn is_finished(&self) -> bool {
        self.header().state.load().has(COMPLETE)
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut out: Poll<Result<T, JoinError>> = Poll::Pending;
        // SAFETY: the handle's reference keeps the task alive; `out` is a `Poll<Result<T, JoinError>>` and `T`
        // is the task's output type (guaranteed when the handle was made).
        unsafe {
            (self.header().vtable.try_read_output)(
                self.ptr,
                &mut out as *mut Poll<Result<T, JoinError>> as *mut (),
                cx.waker(),
            )
        };
        out
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        match self.header().state.unset_join_interest() {
            // SAFETY: interest was given up before completion, so the waker slot is this handle's.
            Ok(()) => unsafe { self.header().drop_join_waker() },
            Err(after) => {
                // SAFETY: the task is complete and this handle still had join interest, so it owns the
                // output.
                unsafe { (self.header().vtable.drop_output)(self.ptr) };
                if !after.has(JOIN_WAKER) {
                    // SAFETY: the loop is done with the slot (or never had it), so it is this handle's.
                    unsafe { self.header().drop_join_waker() };
                }
            }
        }
        // SAFETY: releases the handle's own reference.
        drop(unsafe { TaskRef::from_raw(self.ptr) });
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("finished", &self.is_finished())
            .finish()
    }
}
