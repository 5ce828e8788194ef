//! Wakers of tasks: a task pointer plus one reference, and the two wake paths.
//!
//! A waker may be cloned, woken and dropped on any thread (the `Waker` contract). Which path a wake takes
//! depends on the calling thread:
//!
//! - on the task's own loop thread, the loop's local flags decide: if the task has no local entry and is
//!   not complete, one is pushed on the local run queue. No lock, no syscall, no atomic operation.
//! - on any other thread, the atomic state word decides: only the wake that sets `SCHEDULED` pushes an
//!   entry on the loop's inject queue and, if the loop is parked, wakes its poll.
//!
//! Either way a task has at most one entry per queue however often it is woken, and waking a finished
//! task does nothing.

use super::entry::{Local, Notified};
use super::raw::{header, Header, L_COMPLETE, L_SCHEDULED, NOT_BOUND};
use super::state::WakeByVal;
use super::task_ref::TaskRef;
use std::ptr::NonNull;
use std::task::{RawWaker, RawWakerVTable, Waker};

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);

/// True for the waker of a mudu task. Waking one by reference runs no foreign code: it touches only the
/// task, the current loop's run queue or its owner loop's inject queue, never a reactor, so the reactor
/// may wake it while it holds its own state.
pub(crate) fn is_task_waker(waker: &Waker) -> bool {
    std::ptr::eq(waker.vtable(), &VTABLE)
}

/// A waker for the task at `ptr` that does *not* own a reference: the caller must keep the task alive for
/// the waker's whole life and must never drop it (wrap it in `ManuallyDrop`). Cloning it takes a reference
/// as usual.
///
/// # Safety
/// `ptr` must be a live task for as long as the returned waker is used.
#[inline]
pub(super) unsafe fn borrowed(ptr: NonNull<Header>) -> Waker {
    let raw = RawWaker::new(ptr.as_ptr() as *const (), &VTABLE);
    // SAFETY: `VTABLE`'s functions uphold the `RawWaker` contract for task pointers (see each function).
    unsafe { Waker::from_raw(raw) }
}

/// On the task's loop thread: pushes a local entry unless it has one or is complete. Returns `false` when
/// called on any other thread, or for a task its loop has not adopted yet (nothing was done): such a task
/// came from another thread, its inject entry is still out (`SCHEDULED`), and that entry brings it in.
///
/// # Safety
/// The task at `ptr` must stay alive for the call.
unsafe fn notify_local(ptr: NonNull<Header>) -> bool {
    // SAFETY: alive per the caller.
    let header = unsafe { header(ptr) };
    crate::context::with_owner(header.shared().as_ptr(), |core| {
        if header.owned_key.get() == NOT_BOUND {
            // Not on the task list yet: a local entry now would run a task the loop cannot account for.
            return false;
        }
        let local = header.local.get();
        if local & (L_SCHEDULED | L_COMPLETE) == 0 {
            header.local.set(local | L_SCHEDULED);
            // SAFETY: on the task's loop thread, `L_SCHEDULED` was just set for this entry.
            core.push(unsafe { Local::from_raw(ptr) });
        }
        true
    })
    .unwrap_or(false)
}

/// Pushes an inject entry for the task at `ptr` (whose `SCHEDULED` the caller set) and wakes its loop.
///
/// # Safety
/// The caller must have set `SCHEDULED` on the live task at `ptr`.
unsafe fn notify_remote(ptr: NonNull<Header>) {
    // SAFETY: alive: the entry's right keeps it so (state.rs). The `Arc` keeps the loop's `Shared` alive
    // through the push, after which the loop may free the task.
    let shared = unsafe { header(ptr).shared().to_arc() };
    // SAFETY: forwarded from the caller.
    shared.schedule_remote(unsafe { Notified::from_raw(ptr) });
}

/// Wakes the task at `ptr` from any thread, by whichever path fits the thread.
///
/// # Safety
/// The task at `ptr` must stay alive for the call.
#[inline] // into `wake_by_ref`, the loop's wake path, even though `JoinHandle::abort` calls it too
pub(super) unsafe fn notify(ptr: NonNull<Header>) {
    // SAFETY: forwarded from the caller.
    if unsafe { notify_local(ptr) } {
        return;
    }
    // SAFETY: alive per the caller.
    if unsafe { header(ptr) }.state.transition_to_notified() {
        // SAFETY: the transition set `SCHEDULED`.
        unsafe { notify_remote(ptr) };
    }
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
    // SAFETY: this waker's reference keeps the task alive until it is released below.
    if unsafe { notify_local(ptr) } {
        // SAFETY: releases this waker's reference.
        drop(unsafe { TaskRef::from_raw(ptr) });
        return;
    }
    // SAFETY: as above.
    let header = unsafe { header(ptr) };
    match header.state.transition_to_notified_by_val() {
        // SAFETY: the transition set `SCHEDULED`; the task stays alive through that entry.
        WakeByVal::Submit => unsafe { notify_remote(ptr) },
        WakeByVal::Done => {}
        // SAFETY: the waker's reference was the last one; nothing else can reach the task.
        WakeByVal::Dealloc => unsafe { (header.vtable.dealloc)(ptr) },
    }
}

unsafe fn wake_by_ref(data: *const ()) {
    // SAFETY: the waker keeps the task alive.
    unsafe { notify(ptr_of(data)) };
}

unsafe fn drop_waker(data: *const ()) {
    // SAFETY: an owning waker holds exactly one reference, released here.
    drop(unsafe { TaskRef::from_raw(ptr_of(data)) });
}
