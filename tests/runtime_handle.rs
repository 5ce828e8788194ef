//! Cross-thread work: `Handle::spawn`, wakes from other threads, join handles awaited elsewhere.

mod util;

use mudu::task::yield_now;
use std::cell::{Cell, RefCell};
use std::io::{Read, Write};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::task::{Poll, Waker};
use std::time::Duration;
use tokio::sync::oneshot;
use util::DropCounter;

#[test]
fn handle_spawn_from_many_threads() {
    // Miri interprets every step: fewer spawns there, the same interleavings of threads.
    const THREADS: usize = if cfg!(miri) { 4 } else { 8 };
    const PER_THREAD: usize = if cfg!(miri) { 50 } else { 500 };
    let rt = mudu::Runtime::new().unwrap();
    let handle = rt.handle();
    let ran = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(Barrier::new(THREADS));
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let handle = handle.clone();
            let ran = ran.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                (0..PER_THREAD)
                    .map(|i| {
                        let ran = ran.clone();
                        handle.spawn(async move {
                            ran.fetch_add(1, Ordering::SeqCst);
                            t * PER_THREAD + i
                        })
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let joins: Vec<_> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    let mut outputs = rt.block_on(async move {
        let mut v = Vec::new();
        for j in joins {
            v.push(j.await.unwrap());
        }
        v
    });
    outputs.sort_unstable();
    assert_eq!(outputs, (0..THREADS * PER_THREAD).collect::<Vec<_>>());
    assert_eq!(ran.load(Ordering::SeqCst), THREADS * PER_THREAD);
}

#[test]
fn handle_spawn_wakes_a_parked_loop() {
    let rt = mudu::Runtime::new().unwrap();
    let handle = rt.handle();
    let (tx, rx) = oneshot::channel();
    let thread = std::thread::spawn(move || {
        // The loop below has nothing to do but wait, so it parks in epoll_wait until this spawn wakes it.
        let inner = handle.spawn(async { 41 });
        tx.send(inner).unwrap();
    });
    let out = rt.block_on(async move {
        let inner = rx.await.unwrap();
        inner.await.unwrap() + 1
    });
    thread.join().unwrap();
    assert_eq!(out, 42);
}

#[test]
fn task_woken_from_another_thread() {
    mudu::block_on(async {
        let (tx, rx) = oneshot::channel::<u32>();
        let task = mudu::spawn(async move { rx.await.unwrap() * 2 });
        yield_now().await;
        let sender = std::thread::spawn(move || tx.send(21).unwrap());
        assert_eq!(task.await.unwrap(), 42);
        sender.join().unwrap();
    });
}

/// A task that finishes while an entry for it waits in the inject queue (a wake from another thread that
/// the loop has not drained yet) must still wake the task awaiting its join handle.
#[test]
fn joiner_is_woken_when_a_task_finishes_with_a_remote_wake_pending() {
    let rt = mudu::Runtime::builder().start_paused(true).build().unwrap();
    rt.block_on(async {
        let go = Rc::new(Cell::new(false));
        let slot: Rc<RefCell<Option<Waker>>> = Rc::default();
        let task = mudu::spawn({
            let (go, slot) = (go.clone(), slot.clone());
            std::future::poll_fn(move |cx| {
                if go.get() {
                    return Poll::Ready(7);
                }
                *slot.borrow_mut() = Some(cx.waker().clone());
                Poll::Pending
            })
        });
        yield_now().await;
        let waker = slot.borrow_mut().take().expect("the task ran once");
        mudu::spawn(async move {
            go.set(true);
            let remote = waker.clone();
            // The inject entry is out before the local wake below, and the loop drains the inject queue
            // only at the start of a tick: the task completes in this tick with that entry still out.
            std::thread::spawn(move || remote.wake()).join().unwrap();
            waker.wake();
        });
        // On the paused clock a joiner that is never woken is polled again only when the clock jumps to
        // this timeout, an hour on, instead of hanging the test.
        let start = mudu::time::Instant::now();
        let joined = mudu::time::timeout(Duration::from_secs(3600), task).await;
        assert_eq!(
            start.elapsed(),
            Duration::ZERO,
            "the joiner was never woken"
        );
        assert_eq!(joined.unwrap().unwrap(), 7);
    });
}

/// A task's waker and join handle may outlive its runtime and be dropped on another thread; the last one
/// dropped frees the task and then the loop state it points at (Miri checks nothing leaks or dangles).
#[test]
fn wakers_and_join_handles_outlive_their_runtime_on_other_threads() {
    let rt = mudu::Runtime::new().unwrap();
    let (waker, task) = rt.block_on(async {
        let slot: Rc<RefCell<Option<Waker>>> = Rc::default();
        let task = mudu::spawn({
            let slot = slot.clone();
            std::future::poll_fn(move |cx| {
                *slot.borrow_mut() = Some(cx.waker().clone());
                Poll::<()>::Pending
            })
        });
        yield_now().await;
        let waker = slot.borrow_mut().take().expect("the task ran once");
        (waker, task)
    });
    drop(rt);
    std::thread::spawn(move || {
        // The runtime cancelled the task: waking it does nothing, and its handle reports the cancellation.
        waker.wake_by_ref();
        assert!(mudu::block_on(task).unwrap_err().is_cancelled());
        drop(waker);
    })
    .join()
    .unwrap();
}

/// A task spawned through a handle on another thread sits in the inject queue until its loop adopts
/// it. Aborting it from a task of that loop meanwhile must cancel it through that entry, with no local
/// entry for a task the loop does not own yet.
#[test]
fn aborting_a_task_its_loop_has_not_adopted_yet_cancels_it() {
    let rt = mudu::Runtime::new().unwrap();
    let handle = rt.handle();
    let joined = rt.block_on(async move {
        let aborter = mudu::spawn(async move {
            let join = std::thread::spawn(move || handle.spawn(async { 5 }))
                .join()
                .unwrap();
            join.abort();
            // Handed back inside an `Option` (not as an awaitable output) to be awaited on its own.
            Some(join)
        });
        let join = aborter
            .await
            .unwrap()
            .expect("the aborter hands the handle back");
        join.await
    });
    assert!(joined.unwrap_err().is_cancelled());
}

#[test]
fn join_handle_awaited_on_another_loop() {
    let rt = mudu::Runtime::new().unwrap();
    let handle = rt.handle();
    let (tx, rx) = oneshot::channel::<()>();
    let task = handle.spawn(async move {
        rx.await.unwrap();
        "done"
    });
    let other = std::thread::spawn(move || mudu::block_on(task).unwrap());
    rt.block_on(async move {
        tx.send(()).unwrap();
        // The send woke the task on this loop; one yield lets it run to completion.
        yield_now().await;
    });
    assert_eq!(other.join().unwrap(), "done");
}

#[test]
fn handle_current_inside_runtime() {
    mudu::block_on(async {
        let h = mudu::Handle::current();
        let t = std::thread::spawn(move || h.spawn(async { 3 }));
        let j = t.join().unwrap();
        assert_eq!(j.await.unwrap(), 3);
    });
    assert!(mudu::Handle::try_current().is_none());
}

#[test]
fn spawn_onto_dropped_runtime_is_cancelled() {
    let drops = DropCounter::default();
    let rt = mudu::Runtime::new().unwrap();
    let handle = rt.handle();
    drop(rt);
    let token = drops.token();
    let j = handle.spawn(async move {
        let _token = token;
    });
    assert_eq!(drops.dropped(), 1);
    assert!(mudu::block_on(j).unwrap_err().is_cancelled());
}

#[test]
fn injected_tasks_pending_at_drop_are_cancelled() {
    let drops = DropCounter::default();
    let rt = mudu::Runtime::new().unwrap();
    let token = drops.token();
    let j = rt.handle().spawn(async move {
        let _token = token;
    });
    drop(rt);
    assert_eq!(drops.dropped(), 1);
    assert!(mudu::block_on(j).unwrap_err().is_cancelled());
}

#[test]
#[cfg_attr(miri, ignore = "Miri cannot make a socketpair non-blocking")]
fn a_yielding_task_does_not_starve_io_or_injected_work() {
    mudu::block_on(async {
        let stop = Rc::new(Cell::new(false));
        let s = stop.clone();
        let spinner = mudu::spawn(async move {
            let mut spins = 0u64;
            while !s.get() {
                spins += 1;
                yield_now().await;
            }
            spins
        });

        // I/O readiness must be seen although the spinner is always runnable.
        let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        let a = mudu::io::IoSource::new(mio::net::UnixStream::from_std(a)).unwrap();
        b.write_all(b"ping").unwrap();
        let mut buf = [0u8; 4];
        let n = std::future::poll_fn(|cx| a.poll_read_with(cx, |mut s| s.read(&mut buf))).await;
        assert_eq!(n.unwrap(), 4);
        assert_eq!(&buf, b"ping");

        // So must work injected from another thread.
        let (tx, rx) = oneshot::channel();
        let h = mudu::Handle::current();
        std::thread::spawn(move || tx.send(h.spawn(async { 9 })).unwrap());
        assert_eq!(rx.await.unwrap().await.unwrap(), 9);

        stop.set(true);
        assert!(spinner.await.unwrap() > 0);
    });
}
