//! The waker a `JoinHandle` leaves in its task: it lives no longer than its use. A handle dropped before
//! the task completes takes it back, and completion wakes it and lets it go. Kept any longer, it holds
//! whatever it owns, and a task that awaited its own handle holds itself (and its loop) for ever. A waker
//! whose destructor panics costs nobody anything.

mod util;

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Wake, Waker};
use std::thread::ThreadId;

/// A waker whose destructor panics (safe Rust allows it).
struct PanicsOnDrop;

impl Wake for PanicsOnDrop {
    fn wake(self: Arc<Self>) {}
}

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("a waker's drop panicked");
        }
    }
}

struct Counted;

impl Wake for Counted {
    fn wake(self: Arc<Self>) {}
}

fn poll_once<T>(handle: &mut mudu::JoinHandle<T>, waker: &Waker) -> bool {
    Pin::new(handle)
        .poll(&mut Context::from_waker(waker))
        .is_pending()
}

#[test]
fn a_handle_dropped_before_completion_lets_its_waker_go() {
    let rt = mudu::Runtime::new().unwrap();
    let mut handle = rt.spawn(std::future::pending::<()>());
    let counted = Arc::new(Counted);
    assert!(poll_once(&mut handle, &Waker::from(Arc::clone(&counted))));
    assert_eq!(Arc::strong_count(&counted), 2, "the task keeps the waker");
    drop(handle);
    assert_eq!(
        Arc::strong_count(&counted),
        1,
        "the task still keeps the waker"
    );
    drop(rt);
}

#[test]
fn a_handle_dropped_after_completion_lets_its_waker_go() {
    let rt = mudu::Runtime::new().unwrap();
    // The task hands out a waker of its own, which keeps its cell alive after the handle is gone: the
    // join waker must go with the handle, not with the cell.
    let kept: Arc<Mutex<Option<Waker>>> = Arc::new(Mutex::new(None));
    let out = Arc::clone(&kept);
    let mut handle = rt.spawn(async move {
        let own = std::future::poll_fn(|cx| Poll::Ready(cx.waker().clone())).await;
        *out.lock().unwrap() = Some(own);
        mudu::task::yield_now().await;
    });
    let counted = Arc::new(Counted);
    assert!(poll_once(&mut handle, &Waker::from(Arc::clone(&counted))));
    rt.block_on(async {
        while !handle.is_finished() {
            mudu::task::yield_now().await;
        }
    });
    // Completion woke the waker in place; the handle keeps it, as a poll may still compare it.
    assert_eq!(Arc::strong_count(&counted), 2);
    drop(handle);
    assert_eq!(
        Arc::strong_count(&counted),
        1,
        "the finished task keeps the waker"
    );
    drop(kept);
    drop(rt);
}

/// Runs `body`, which spawns on the runtime it is given a task that polls its own handle, in a process
/// of its own, and checks that dropping the runtime closes every descriptor it opened: a task cell kept
/// alive holds its loop's shared part, and with it the loop's eventfd.
fn frees_its_loop(test: &str, body: fn(&mudu::Runtime)) {
    util::isolated::isolated(test, || {
        // Anything opened once per process is opened now.
        drop(mudu::Runtime::new().unwrap());
        let before = util::open_fds();
        let rt = mudu::Runtime::new().unwrap();
        body(&rt);
        drop(rt);
        assert_eq!(util::open_fds(), before, "a task cell outlived its runtime");
    });
}

type Slot = Rc<RefCell<Option<mudu::JoinHandle<()>>>>;

/// Spawns a task that polls its own handle (taken from the slot) once, then does `then` with it.
fn spawn_self_polling(rt: &mudu::Runtime, then: fn(mudu::JoinHandle<()>, &Slot)) -> Slot {
    let slot: Slot = Rc::new(RefCell::new(None));
    let inner = Rc::clone(&slot);
    let handle = rt.spawn(async move {
        let mut me = inner
            .borrow_mut()
            .take()
            .expect("the handle is in its slot");
        let first = std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut me).poll(cx))).await;
        assert!(first.is_pending());
        then(me, &inner);
    });
    *slot.borrow_mut() = Some(handle);
    rt.block_on(async {
        for _ in 0..4 {
            mudu::task::yield_now().await;
        }
    });
    slot
}

#[test]
#[cfg_attr(miri, ignore = "runs a child process")]
fn a_task_that_polled_and_dropped_its_own_handle_is_freed() {
    frees_its_loop(
        "a_task_that_polled_and_dropped_its_own_handle_is_freed",
        |rt| {
            spawn_self_polling(rt, |me, _| drop(me));
        },
    );
}

#[test]
#[cfg_attr(miri, ignore = "runs a child process")]
fn a_task_that_finished_while_its_own_handle_waited_is_freed() {
    frees_its_loop(
        "a_task_that_finished_while_its_own_handle_waited_is_freed",
        |rt| {
            // The handle goes back to the slot and outlives the task; the task's completion wakes it.
            let slot = spawn_self_polling(rt, |me, slot| *slot.borrow_mut() = Some(me));
            let handle = slot.borrow_mut().take().expect("the handle was put back");
            assert!(handle.is_finished());
            drop(handle);
        },
    );
}

/// A waker whose destructor panics, left by a handle dropped early, must not cut a loop's shutdown short:
/// the tasks after it would be freed by whoever holds their last reference, and a `!Send` future would
/// be dropped on another thread.
#[test]
fn a_join_waker_whose_drop_panics_leaves_shutdown_whole() {
    /// Not `Send` (the `PhantomData` of an `Rc`); records the thread that drops it.
    struct Guard(
        Arc<Mutex<Option<ThreadId>>>,
        std::marker::PhantomData<Rc<()>>,
    );
    impl Drop for Guard {
        fn drop(&mut self) {
            *self.0.lock().unwrap() = Some(std::thread::current().id());
        }
    }

    let dropped_on = Arc::new(Mutex::new(None));
    let rt = mudu::Runtime::new().unwrap();
    let guard = Guard(Arc::clone(&dropped_on), std::marker::PhantomData);
    // Spawned first: shutdown cancels it after the task below.
    let local_task = rt.spawn(async move {
        let _guard = guard;
        std::future::pending::<()>().await
    });
    let mut waited = rt.spawn(std::future::pending::<()>());
    // Both tasks run once and wait: no queue entry is left for shutdown to release.
    rt.block_on(mudu::task::yield_now());
    assert!(poll_once(&mut waited, &Waker::from(Arc::new(PanicsOnDrop))));
    drop(waited);

    let shutdown = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(rt)));
    assert!(
        shutdown.is_ok(),
        "a waker's panic escaped the runtime's drop"
    );
    std::thread::spawn(move || drop(local_task)).join().unwrap();
    assert_eq!(
        *dropped_on.lock().unwrap(),
        Some(std::thread::current().id()),
        "the !Send future was dropped on another thread"
    );
}

/// The same waker, left in a task that completes: completion drops it, and the panic stays inside.
#[test]
fn a_completed_task_whose_join_waker_panics_on_drop_does_not_unwind_its_loop() {
    let rt = mudu::Runtime::new().unwrap();
    let mut task = rt.spawn(async { mudu::task::yield_now().await });
    assert!(poll_once(&mut task, &Waker::from(Arc::new(PanicsOnDrop))));
    let finished = rt.block_on(async {
        while !task.is_finished() {
            mudu::task::yield_now().await;
        }
        mudu::spawn(async { 7 }).await.unwrap()
    });
    assert_eq!(finished, 7);
    drop(task);
}

/// A waker whose clones share one vtable in a `static`, so that `will_wake` holds for a clone under
/// Miri too (which may give each use of a constant vtable an address of its own).
static STEADY: RawWakerVTable =
    RawWakerVTable::new(steady_clone, steady_noop, steady_noop, steady_noop);

fn steady_clone(data: *const ()) -> RawWaker {
    RawWaker::new(data, &STEADY)
}

fn steady_noop(_: *const ()) {}

/// A handle polled over and over with the same waker, on another thread, while its task completes: such
/// a poll reads the waker slot, and so does completion, but neither may write it then. Miri's race
/// detector checks this (`.ci/run` runs this file under Miri).
#[test]
fn a_handle_polled_while_its_task_completes_shares_the_waker_slot_only_to_read() {
    let pool = mudu::LoopPool::new(1).unwrap();
    let go = Arc::new(AtomicBool::new(false));
    let seen = Arc::clone(&go);
    let mut handle = pool.spawn(async move {
        while !seen.load(Ordering::Acquire) {
            mudu::task::yield_now().await;
        }
        7
    });
    // SAFETY: the vtable's functions ignore the data pointer and keep `RawWaker`'s contract.
    let waker = unsafe { Waker::from_raw(RawWaker::new(std::ptr::null(), &STEADY)) };
    let mut cx = Context::from_waker(&waker);
    assert!(Pin::new(&mut handle).poll(&mut cx).is_pending());
    go.store(true, Ordering::Release);
    let out = loop {
        if let Poll::Ready(out) = Pin::new(&mut handle).poll(&mut cx) {
            break out;
        }
        std::thread::yield_now();
    };
    assert_eq!(out.unwrap(), 7);
}

static OTHER: RawWakerVTable =
    RawWakerVTable::new(other_clone, steady_noop, steady_noop, steady_noop);

fn other_clone(data: *const ()) -> RawWaker {
    RawWaker::new(data, &OTHER)
}

/// A handle polled with two wakers in turn, on another thread, while its task completes: a poll whose
/// waker differs from the stored one reads the state (`JOIN_WAKER` set, not complete), then takes the
/// slot back, and completion may clear `JOIN_WAKER` between the two. The window is narrow, so this
/// runs many tasks (a few under Miri); a poll that mishandles it panics (debug builds check the state
/// word's transitions).
#[test]
fn a_handle_polled_with_another_waker_while_its_task_completes_does_not_panic() {
    let tasks = if cfg!(miri) { 20 } else { 20_000 };
    let pool = mudu::LoopPool::new(1).unwrap();
    // SAFETY: the vtables' functions ignore the data pointer and keep `RawWaker`'s contract.
    let wakers = unsafe {
        [
            Waker::from_raw(RawWaker::new(std::ptr::null(), &STEADY)),
            Waker::from_raw(RawWaker::new(std::ptr::null(), &OTHER)),
        ]
    };
    for _ in 0..tasks {
        let go = Arc::new(AtomicBool::new(false));
        let seen = Arc::clone(&go);
        let mut handle = pool.spawn(async move {
            while !seen.load(Ordering::Acquire) {
                mudu::task::yield_now().await;
            }
        });
        let mut turn = 0;
        assert!(Pin::new(&mut handle)
            .poll(&mut Context::from_waker(&wakers[0]))
            .is_pending());
        go.store(true, Ordering::Release);
        loop {
            turn ^= 1;
            let mut cx = Context::from_waker(&wakers[turn]);
            if Pin::new(&mut handle).poll(&mut cx).is_ready() {
                break;
            }
        }
    }
}
