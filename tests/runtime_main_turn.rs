//! `block_on`'s own future takes its turn among the tasks: woken on the loop's thread, it is polled
//! after the entries queued before the wake and before those queued after it, as a task would be.

use std::cell::{Cell, RefCell};
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::Duration;

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
fn advance_from_a_task_returns_after_the_main_future_it_woke_has_run() {
    let rt = mudu::Runtime::builder().start_paused(true).build().unwrap();
    rt.block_on(async {
        let main_ran = Rc::new(Cell::new(false));
        let advancer = mudu::spawn({
            let main_ran = Rc::clone(&main_ran);
            async move {
                mudu::time::advance(Duration::from_millis(10)).await;
                main_ran.get()
            }
        });
        mudu::time::sleep(Duration::from_millis(10)).await;
        main_ran.set(true);
        assert!(
            advancer.await.unwrap(),
            "advance returned before the future its timer woke had run"
        );
    });
}

#[test]
#[cfg_attr(miri, ignore = "sockets")]
fn a_main_future_that_keeps_yielding_does_not_starve_tasks_or_io() {
    mudu::block_on(async {
        let listener = mudu::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = mudu::spawn(async move { listener.accept().await.map(|_| ()) });
        let _client = std::net::TcpStream::connect(addr).unwrap();
        // Only the loop's polls of I/O can finish the accept; the main future never waits for anything.
        while !accepted.is_finished() {
            yield_now().await;
        }
        accepted.await.unwrap().unwrap();
    });
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
