//! `block_on`'s own future takes its turn among the tasks: woken on the loop's thread, it is polled
//! after the entries queued before the wake and before those queued after it, as a task would be.

mod util;

use std::cell::{Cell, RefCell};
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Poll, Waker};

use mudu::task::yield_now;

/// What happened, in order.
type Log = Rc<RefCell<Vec<&'static str>>>;

/// A log, and a future for `block_on` that a task can wake.
#[derive(Clone, Default)]
struct Scene {
    log: Log,
    go: Rc<Cell<bool>>,
    slot: Rc<RefCell<Option<Waker>>>,
}

impl Scene {
    fn note(&self, what: &'static str) {
        self.log.borrow_mut().push(what);
    }

    /// Pending until [`wake_main`](Self::wake_main), keeping its waker.
    async fn main_waits(&self) {
        poll_fn(|cx| {
            if self.go.get() {
                Poll::Ready(())
            } else {
                *self.slot.borrow_mut() = Some(cx.waker().clone());
                Poll::Pending
            }
        })
        .await
    }

    fn wake_main(&self) {
        self.go.set(true);
        self.slot.borrow_mut().take().expect("main's waker").wake();
    }
}

#[test]
fn a_task_that_wakes_the_main_future_and_yields_resumes_after_it() {
    let scene = Scene::default();
    mudu::block_on({
        let scene = scene.clone();
        async move {
            let task = mudu::spawn({
                let scene = scene.clone();
                async move {
                    scene.wake_main();
                    scene.note("task wakes main");
                    yield_now().await;
                    scene.note("task resumes");
                }
            });
            scene.main_waits().await;
            scene.note("main");
            task.await.unwrap();
        }
    });
    assert_eq!(
        *scene.log.borrow(),
        ["task wakes main", "main", "task resumes"]
    );
}

#[test]
fn entries_queued_before_the_wake_run_first_and_those_after_it_run_later() {
    let scene = Scene::default();
    mudu::block_on({
        let scene = scene.clone();
        async move {
            let waker = mudu::spawn({
                let scene = scene.clone();
                async move {
                    let note = |what| {
                        let scene = scene.clone();
                        mudu::spawn(async move { scene.note(what) })
                    };
                    let before = note("spawned before the wake");
                    scene.wake_main();
                    let after = note("spawned after the wake");
                    before.await.unwrap();
                    after.await.unwrap();
                }
            });
            scene.main_waits().await;
            scene.note("main");
            waker.await.unwrap();
        }
    });
    assert_eq!(
        *scene.log.borrow(),
        ["spawned before the wake", "main", "spawned after the wake"]
    );
}

#[test]
fn the_main_future_yielding_lets_the_queued_tasks_run_first() {
    let log: Log = Rc::default();
    mudu::block_on({
        let log = Rc::clone(&log);
        async move {
            for name in ["first", "second", "third"] {
                let log = Rc::clone(&log);
                drop(mudu::spawn(async move { log.borrow_mut().push(name) }));
            }
            yield_now().await;
            log.borrow_mut().push("main");
        }
    });
    assert_eq!(*log.borrow(), ["first", "second", "third", "main"]);
}

#[test]
#[cfg_attr(miri, ignore = "sockets")]
fn a_main_future_that_keeps_yielding_does_not_starve_tasks_or_io() {
    // The default budget, and one with no end: either way the loop polls I/O between its polls.
    for budget in [64, usize::MAX] {
        util::finishes("a main future that keeps yielding", 30, move || {
            let rt = mudu::Runtime::builder()
                .event_interval(budget)
                .build()
                .unwrap();
            rt.block_on(async {
                let listener = mudu::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = listener.local_addr().unwrap();
                let accepted = mudu::spawn(async move { listener.accept().await.map(|_| ()) });
                let _client = std::net::TcpStream::connect(addr).unwrap();
                // Only the loop's polls of I/O can finish the accept; the main future waits for nothing.
                while !accepted.is_finished() {
                    yield_now().await;
                }
                accepted.await.unwrap().unwrap();
            });
        });
    }
}

#[test]
fn a_main_future_woken_by_each_of_many_tasks_sees_every_wake() {
    let woken = Rc::new(Cell::new(0usize));
    mudu::block_on({
        let woken = Rc::clone(&woken);
        async move {
            let handles: Vec<_> = (0..1000).map(|i| mudu::spawn(async move { i })).collect();
            let mut sum = 0;
            for handle in handles {
                sum += handle.await.unwrap();
                woken.set(woken.get() + 1);
            }
            assert_eq!(sum, (0..1000).sum::<usize>());
        }
    });
    assert_eq!(woken.get(), 1000);
}

/// The same with `yield_now`: called from block_on's future, it resumes only after the entries
/// queued when it yielded.
#[test]
fn yield_now_in_main_after_a_self_wake_waits_for_the_entries_queued_when_it_yielded() {
    util::finishes("yield in main", 30, || {
        let rt = mudu::Runtime::new().unwrap();
        rt.block_on(async {
            let ran = Rc::new(Cell::new(false));
            poll_fn(|cx| {
                cx.waker().wake_by_ref();
                Poll::Ready(())
            })
            .await;
            let flag = Rc::clone(&ran);
            drop(mudu::spawn(async move { flag.set(true) }));
            yield_now().await;
            assert!(
                ran.get(),
                "yield_now in block_on's future resumed before the entry queued when it yielded"
            );
        });
    });
}

/// With a budget of one task per tick, a future woken from another thread every tick is polled first
/// at each tick, and the tasks still get their turn: that poll does not spend the budget.
#[test]
fn event_interval_one_runs_tasks_while_main_is_woken_from_another_thread_each_tick() {
    util::finishes("starvation", 60, || {
        let rt = mudu::Runtime::builder().event_interval(1).build().unwrap();
        rt.block_on(async {
            let ran = Rc::new(Cell::new(false));
            let flag = Rc::clone(&ran);
            drop(mudu::spawn(async move { flag.set(true) }));
            let mut polls = 0u32;
            poll_fn(|cx| {
                if ran.get() {
                    return Poll::Ready(());
                }
                polls += 1;
                assert!(
                    polls < 1000,
                    "the spawned task has not run in {polls} polls of block_on's future"
                );
                // Another thread wakes the future (a channel fed from elsewhere, say).
                util::wake_from_another_thread(cx.waker());
                Poll::Pending
            })
            .await;
        });
    });
}

/// The same with I/O: block_on's future waits for a socket that is readable again at every poll of
/// the loop (the peer keeps sending; the future reads one byte per wake).
#[test]
#[cfg_attr(miri, ignore = "sockets")]
fn event_interval_one_runs_tasks_while_main_is_woken_by_io_each_tick() {
    use std::io::Write;
    util::finishes("starvation by io", 60, || {
        let rt = mudu::Runtime::builder().event_interval(1).build().unwrap();
        rt.block_on(async {
            let listener = mudu::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let mut peer = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
            let (stream, _) = listener.accept().await.unwrap();
            let ran = Rc::new(Cell::new(false));
            let flag = Rc::clone(&ran);
            drop(mudu::spawn(async move { flag.set(true) }));
            let mut reads = 0u32;
            let mut byte = [0u8; 1];
            while !ran.get() {
                reads += 1;
                assert!(
                    reads < 1000,
                    "the spawned task has not run in {reads} wakes of block_on's future by I/O"
                );
                peer.write_all(b"x").unwrap();
                // Wait for readiness (a wake from the loop's poll), then take the byte.
                stream.readable().await.unwrap();
                assert_eq!(stream.try_read(&mut byte).unwrap(), 1);
            }
        });
    });
}

/// A waker of block_on's future kept past its block_on and woken (on the loop thread) during a later
/// block_on of the same runtime: must not disturb the new future's scheduling.
#[test]
fn a_stale_main_waker_woken_in_a_later_block_on_is_harmless() {
    util::finishes("stale waker", 30, || {
        let rt = mudu::Runtime::new().unwrap();
        let stale = rt.block_on(poll_fn(|cx| Poll::Ready(cx.waker().clone())));
        let order = rt.block_on(async {
            let log = Rc::new(std::cell::RefCell::new(Vec::new()));
            let l = Rc::clone(&log);
            let t = mudu::spawn(async move {
                stale.wake_by_ref();
                l.borrow_mut().push("task");
                yield_now().await;
                stale.wake();
                l.borrow_mut().push("task again");
            });
            yield_now().await;
            log.borrow_mut().push("main");
            t.await.unwrap();
            let v = log.borrow().clone();
            v
        });
        assert_eq!(order, ["task", "main", "task again"]);
    });
}

/// `Handle::spawn` and `spawn_local` from the loop's own thread, while block_on's future waits on
/// their join handles: no wake is lost.
#[test]
fn handle_spawns_on_the_loop_thread_wake_main() {
    util::finishes("handle spawn on own thread", 30, || {
        let rt = mudu::Runtime::builder().event_interval(1).build().unwrap();
        let handle = rt.handle();
        rt.block_on(async move {
            // Fewer rounds under Miri, which runs them a hundred times slower.
            for i in 0..if cfg!(miri) { 10 } else { 200u32 } {
                let a = handle.spawn(async move { i });
                let b = handle.spawn_local(move || async move { i + 1 });
                let c = mudu::spawn(async move {
                    yield_now().await;
                    i + 2
                });
                assert_eq!(
                    a.await.unwrap() + b.await.unwrap() + c.await.unwrap(),
                    3 * i + 3
                );
            }
        });
    });
}

/// A task woken from another thread before block_on's future yields sits in the inject queue; it was
/// queued before the yield, so it runs before `yield_now` returns.
#[test]
fn yield_now_in_main_waits_for_a_task_woken_from_another_thread_before() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    util::finishes("inject before yield", 30, || {
        let rt = mudu::Runtime::new().unwrap();
        rt.block_on(async {
            let ran = Rc::new(Cell::new(false));
            let go = Arc::new(AtomicBool::new(false));
            let slot: Rc<std::cell::RefCell<Option<std::task::Waker>>> = Rc::default();
            let task = mudu::spawn({
                let (ran, go, slot) = (Rc::clone(&ran), Arc::clone(&go), Rc::clone(&slot));
                async move {
                    poll_fn(|cx| {
                        if go.load(Ordering::SeqCst) {
                            Poll::Ready(())
                        } else {
                            *slot.borrow_mut() = Some(cx.waker().clone());
                            Poll::Pending
                        }
                    })
                    .await;
                    ran.set(true);
                }
            });
            yield_now().await; // the task runs and waits
            let waker = slot.borrow_mut().take().expect("the task waits");
            let go2 = Arc::clone(&go);
            // Another thread wakes the task (a reply arrives); joined, so its entry is queued now.
            std::thread::spawn(move || {
                go2.store(true, Ordering::SeqCst);
                waker.wake();
            })
            .join()
            .unwrap();
            yield_now().await;
            assert!(
                ran.get(),
                "yield_now in block_on's future returned before the task woken (and queued) before it ran"
            );
            task.await.unwrap();
        });
    });
}

/// A task spawned through a `Handle` before `block_on` (in the inject queue) runs before the future's
/// one `yield_now` returns.
#[test]
fn a_task_spawned_through_the_handle_runs_before_a_yield_of_main_returns() {
    util::finishes("handle-spawned task and one yield", 30, || {
        let rt = mudu::Runtime::new().unwrap();
        let ran = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = std::sync::Arc::clone(&ran);
        let task = rt.handle().spawn(async move {
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
        });
        rt.block_on(async {
            yield_now().await;
        });
        assert!(
            ran.load(std::sync::atomic::Ordering::SeqCst),
            "block_on(yield_now) returned and the task spawned before it, through the Handle, never ran"
        );
        drop(task);
    });
}
