//! Wakers of tasks: a task pointer plus one reference.
//!
//! A waker may be cloned, woken and dropped on any thread (the `Waker` contract). Waking goes through the
//! task's state word: only the wake that moves a task from idle to `SCHEDULED` queues it, so a task sits in
//! at most one queue entry however often it is woken, and waking a finished task does nothing. Where the
//! task is queued depends on the calling thread (see [`schedule`](super::task_ref::schedule)): the owning
//! loop's thread pushes to its local run queue with no lock and no syscall; any other thread goes through
//! the loop's inject queue.

use super::raw::{header, Header};
use super::state::WakeByVal;
use super::task_ref::{schedule, Notified, TaskRef};
use std::ptr::NonNull;
use std::task::{RawWaker, RawWakerVTable, Waker};

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);

/// A waker for the task at `ptr` that does *not* own a reference: the caller must keep the task alive for
/// the waker's whole life and must never drop it (wrap it in `ManuallyDrop`). Cloning it takes a reference
/// as usual.
///
/// # Safety
/// `ptr` must be a live task for as long as the returned waker is used.
pub(super) unsafe fn borrowed(ptr: NonNull<Header>) -> Waker {
    let raw = RawWaker::new(ptr.as_ptr() as *const (), &VTABLE);
    // SAFETY: `VTABLE`'s functions uphold the `RawWaker` contract for task pointers (see each function).
    unsafe { Waker::from_raw(raw) }
}

fn ptr_of(data: *const ()) -> NonNull<Header> {
    NonNull::new(data as *mut Header).expect("task waker with a null pointer")
}

unsafe fn clone(data: *const ()) -> RawWaker {
    // SAFETY: a waker exists, so it (or its borrowed owner) keeps the task alive.
    unsafe { header(ptr_of(data)) }.state.ref_inc();
    RawWaker::new(data, &VTABLE)
}

unsafe fn wake(data: *const ()) {
    let ptr = ptr_of(data);
    // SAFETY: this waker owns a reference, so the task is alive.
    let header = unsafe { header(ptr) };
    match header.state.transition_to_notified_by_val() {
        // SAFETY: the transition set `SCHEDULED` for this entry; the task stays alive through it.
        WakeByVal::Submit => schedule(unsafe { Notified::from_raw(ptr) }),
        WakeByVal::Done => {}
        // SAFETY: the waker's reference was the last one; nothing else can reach the task.
        WakeByVal::Dealloc => unsafe { (header.vtable.dealloc)(ptr) },
    }
}

unsafe fn wake_by_ref(data: *const ()) {
    let ptr = ptr_of(data);
    // SAFETY: the waker keeps the task alive.
    let header = unsafe { header(ptr) };
    if header.state.transition_to_notified() {
        // SAFETY: the transition set `SCHEDULED` for this entry.
        schedule(unsafe { Notified::from_raw(ptr) });
    }
}

unsafe fn drop_waker(data: *const ()) {
    // SAFETY: an owning waker holds exactly one reference, released here.
    drop(unsafe { TaskRef::from_raw(ptr_of(data)) });
}
