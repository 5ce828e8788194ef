//! `block_on`'s own future after mixed wakes: a wake from another thread or from the loop's poll of
//! I/O and timers puts it first at the next tick, whatever place a task gave it.

mod util;

use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::rc::Rc;
use std::task::{Poll, Waker};

use mudu::task::yield_now;
use util::wake_from_another_thread;

const SPAWNED: usize = 100;
const INTERVAL: usize = 4;

/// block_on's future waits for `go`; a task runs `wakes(main's waker, spawn_many)` where
/// `spawn_many` queues SPAWNED counting tasks. Returns how many of them had run when the future
/// was polled and saw `go`.
fn entries_before_main(wakes: impl FnOnce(Waker, &dyn Fn()) + Send + 'static) -> usize {
    util::finishes("place test", 30, move || {
        let rt = mudu::Runtime::builder()
            .event_interval(INTERVAL)
            .build()
            .unwrap();
        rt.block_on(async move {
            let ran = Rc::new(Cell::new(0usize));
            let go = Rc::new(Cell::new(false));
            let slot: Rc<RefCell<Option<Waker>>> = Rc::default();
            let task = mudu::spawn({
                let (ran, go, slot) = (Rc::clone(&ran), Rc::clone(&go), Rc::clone(&slot));
                async move {
                    let waker = slot.borrow_mut().take().expect("main waits");
                    go.set(true);
                    let spawn_many = || {
                        for _ in 0..SPAWNED {
                            let ran = Rc::clone(&ran);
                            drop(mudu::spawn(async move { ran.set(ran.get() + 1) }));
                        }
                    };
                    wakes(waker, &spawn_many);
                }
            });
            let seen = poll_fn(|cx| {
                if go.get() {
                    Poll::Ready(ran.get())
                } else {
                    *slot.borrow_mut() = Some(cx.waker().clone());
                    Poll::Pending
                }
            })
            .await;
            task.await.unwrap();
            while ran.get() < SPAWNED {
                yield_now().await;
            }
            seen
        })
    })
}

/// Woken from another thread first, then by a task: still first at the next tick, not behind the
/// entries queued before the task's wake.
#[test]
fn remote_wake_then_task_wake_is_polled_at_the_next_tick() {
    let seen = entries_before_main(|waker, spawn_many| {
        wake_from_another_thread(&waker);
        spawn_many();
        waker.wake_by_ref(); // the same task, on the loop's thread
    });
    assert!(
        seen < INTERVAL,
        "woken from another thread, block_on's future was polled only after {seen} entries \
         (event_interval {INTERVAL}): not first at the next tick"
    );
}

/// Woken by a task behind the spawned entries, then from another thread: first at the next tick.
#[test]
fn task_wake_then_remote_wake_is_polled_at_the_next_tick() {
    let seen = entries_before_main(|waker, spawn_many| {
        spawn_many();
        waker.wake_by_ref();
        wake_from_another_thread(&waker);
    });
    assert!(
        seen < INTERVAL,
        "woken from another thread, block_on's future was polled only after {seen} entries \
         (event_interval {INTERVAL}): not first at the next tick"
    );
}

/// Woken by a task only, it is polled after the entries queued before the wake.
#[test]
fn task_wake_alone_waits_for_the_entries_before_it() {
    let seen = entries_before_main(|waker, spawn_many| {
        spawn_many();
        waker.wake_by_ref();
    });
    assert_eq!(seen, SPAWNED);
}

/// Woken by a task behind the spawned entries, then by its own timer, which the loop's poll of
/// timers fires: first at the next tick.
#[test]
fn task_wake_then_timer_wake_is_polled_at_the_next_tick() {
    let seen = util::finishes("timer after a task's wake", 30, || {
        let rt = mudu::Runtime::builder()
            .event_interval(INTERVAL)
            .build()
            .unwrap();
        rt.block_on(async {
            let ran = Rc::new(Cell::new(0usize));
            let slot: Rc<RefCell<Option<Waker>>> = Rc::default();
            let mut nap = mudu::time::sleep(std::time::Duration::from_millis(1));
            let due = nap.deadline().into_std();
            let task = mudu::spawn({
                let (ran, slot) = (Rc::clone(&ran), Rc::clone(&slot));
                async move {
                    for _ in 0..SPAWNED {
                        let ran = Rc::clone(&ran);
                        drop(mudu::spawn(async move { ran.set(ran.get() + 1) }));
                    }
                    slot.borrow_mut().take().expect("main waits").wake();
                    // The timer is due before the loop next polls (a busy wait, not a sleep).
                    while std::time::Instant::now() < due {
                        std::hint::spin_loop();
                    }
                }
            });
            let seen = poll_fn(|cx| {
                *slot.borrow_mut() = Some(cx.waker().clone());
                match std::pin::Pin::new(&mut nap).poll(cx) {
                    Poll::Ready(()) => Poll::Ready(ran.get()),
                    Poll::Pending => Poll::Pending,
                }
            })
            .await;
            task.await.unwrap();
            seen
        })
    });
    assert!(
        seen < INTERVAL,
        "woken by its timer in the loop's poll, block_on's future was polled only after {seen} \
         entries (event_interval {INTERVAL}): not first at the next tick"
    );
}
