//! Spawning, joining, aborting and panics, through the public API.

mod util;

use mudu::task::yield_now;
use std::cell::RefCell;
use std::rc::Rc;
use util::DropCounter;

#[test]
fn spawn_and_join_returns_outputs() {
    let out = mudu::block_on(async {
        let handles: Vec<_> = (0..100u64)
            .map(|i| mudu::spawn(async move { i * i }))
            .collect();
        let mut sum = 0;
        for h in handles {
            sum += h.await.unwrap();
        }
        sum
    });
    assert_eq!(out, (0..100u64).map(|i| i * i).sum::<u64>());
}

#[test]
fn tasks_run_without_being_awaited() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let rt = mudu::Runtime::new().unwrap();
    let l = log.clone();
    rt.block_on(async move {
        for i in 0..3 {
            let l = l.clone();
            drop(mudu::spawn(async move { l.borrow_mut().push(i) }));
        }
        yield_now().await;
    });
    assert_eq!(*log.borrow(), vec![0, 1, 2]);
}

#[test]
fn not_send_futures_can_be_spawned() {
    let shared = Rc::new(RefCell::new(0));
    let s = shared.clone();
    mudu::block_on(async move {
        let t = mudu::spawn(async move {
            *s.borrow_mut() += 1;
            yield_now().await;
            Rc::strong_count(&s)
        });
        assert_eq!(t.await.unwrap(), 2);
    });
    assert_eq!(*shared.borrow(), 1);
}

#[test]
fn abort_before_first_poll_cancels() {
    let drops = DropCounter::default();
    let token = drops.token();
    mudu::block_on(async move {
        let ran = Rc::new(RefCell::new(false));
        let r = ran.clone();
        let t = mudu::spawn(async move {
            let _token = token;
            *r.borrow_mut() = true;
        });
        t.abort();
        let err = t.await.unwrap_err();
        assert!(err.is_cancelled());
        assert!(!*ran.borrow());
    });
    assert_eq!(drops.dropped(), 1);
}

#[test]
fn abort_while_pending_drops_the_future() {
    let drops = DropCounter::default();
    let token = drops.token();
    mudu::block_on(async move {
        let t = mudu::spawn(async move {
            let _token = token;
            std::future::pending::<()>().await;
        });
        yield_now().await;
        assert!(!t.is_finished());
        t.abort();
        let err = t.await.unwrap_err();
        assert!(err.is_cancelled());
        assert!(!err.is_panic());
    });
    assert_eq!(drops.dropped(), 1);
}

#[test]
fn abort_after_completion_keeps_output() {
    mudu::block_on(async {
        let t = mudu::spawn(async { 7 });
        yield_now().await;
        assert!(t.is_finished());
        t.abort();
        assert_eq!(t.await.unwrap(), 7);
    });
}

#[test]
fn panic_is_caught_and_loop_keeps_running() {
    mudu::block_on(async {
        let bad = mudu::spawn(async { panic!("boom") });
        let good = mudu::spawn(async { 5 });
        let err = bad.await.unwrap_err();
        assert!(err.is_panic());
        assert_eq!(err.to_string(), "task panicked with message \"boom\"");
        let payload = err.into_panic();
        assert_eq!(*payload.downcast_ref::<&str>().unwrap(), "boom");
        assert_eq!(good.await.unwrap(), 5);
    });
}

#[test]
fn dropping_join_handle_detaches() {
    let done = Rc::new(RefCell::new(false));
    let d = done.clone();
    mudu::block_on(async move {
        drop(mudu::spawn(async move {
            yield_now().await;
            *d.borrow_mut() = true;
        }));
        for _ in 0..3 {
            yield_now().await;
        }
    });
    assert!(*done.borrow());
}

#[test]
fn dropping_runtime_drops_pending_tasks() {
    let drops = DropCounter::default();
    let rt = mudu::Runtime::new().unwrap();
    let handles: Vec<_> = rt.block_on(async {
        let mut hs = Vec::new();
        for _ in 0..10 {
            let token = drops.token();
            hs.push(mudu::spawn(async move {
                let _token = token;
                std::future::pending::<()>().await;
            }));
        }
        // Spawned but never polled.
        for _ in 0..5 {
            let token = drops.token();
            hs.push(mudu::spawn(async move {
                let _token = token;
            }));
        }
        hs
    });
    assert_eq!(
        drops.dropped(),
        0,
        "block_on returned before any spawned task ran"
    );
    drop(rt);
    assert_eq!(drops.dropped(), 15);
    for h in handles.into_iter().take(10) {
        assert!(h.is_finished());
        assert!(mudu::block_on(h).unwrap_err().is_cancelled());
    }
}

#[test]
fn spawn_from_a_destructor_during_shutdown_is_cancelled() {
    struct SpawnOnDrop(DropCounter);
    impl Drop for SpawnOnDrop {
        fn drop(&mut self) {
            let token = self.0.token();
            let h = mudu::spawn(async move {
                let _token = token;
            });
            assert!(h.is_finished());
        }
    }
    let drops = DropCounter::default();
    let rt = mudu::Runtime::new().unwrap();
    let guard = SpawnOnDrop(drops.clone());
    rt.spawn(async move {
        let _guard = guard;
        std::future::pending::<()>().await;
    });
    rt.block_on(yield_now());
    drop(rt);
    assert_eq!(drops.dropped(), 1);
}

#[test]
#[should_panic(expected = "outside of a mudu runtime")]
fn spawn_outside_runtime_panics() {
    drop(mudu::spawn(async {}));
}

#[test]
#[should_panic(expected = "from within a runtime")]
fn nested_block_on_panics() {
    mudu::block_on(async {
        mudu::block_on(async {});
    });
}

#[test]
fn runtime_is_reusable_across_block_on_calls() {
    let rt = mudu::Runtime::new().unwrap();
    let t = rt.spawn(async { 1 });
    assert_eq!(rt.block_on(t).unwrap(), 1);
    let t = rt
        .block_on(async { Some(mudu::spawn(async { 2 })) })
        .unwrap();
    assert_eq!(rt.block_on(t).unwrap(), 2);
}
