//! `time::advance` and `block_on`'s own future: an `advance` in a task returns only once that future
//! has seen the timers it fired, and one in that future only once the tasks it woke have run.

mod util;

use std::cell::Cell;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::Duration;

use mudu::task::yield_now;

/// A task that sleeps `ms` (virtual) and then sets the returned flag. Yield once after spawning it so
/// that its timer is registered.
fn sleeper(ms: u64) -> Rc<Cell<bool>> {
    let fired = Rc::new(Cell::new(false));
    let flag = Rc::clone(&fired);
    drop(mudu::spawn(async move {
        mudu::time::sleep(Duration::from_millis(ms)).await;
        flag.set(true);
    }));
    fired
}

/// On a paused clock, in block_on's future: a task sleeps 10 ms, `earlier_wake` gives the future a
/// wake of its own that comes first (what it returns is kept), then `advance(10 ms)`, which must
/// return only once the task its timer woke has run.
fn advance_in_main_waits_for_the_woken_task<T>(
    earlier_wake: impl Future<Output = T> + Send + 'static,
) {
    util::finishes("advance in main", 30, || {
        let rt = mudu::Runtime::builder().start_paused(true).build().unwrap();
        rt.block_on(async {
            let fired = sleeper(10);
            yield_now().await; // the task registers its 10 ms timer
            let _kept = earlier_wake.await;
            mudu::time::advance(Duration::from_millis(10)).await;
            assert!(
                fired.get(),
                "advance(10ms) in block_on's future returned before the task its timer woke had run"
            );
        });
    });
}

/// `advance` in block_on's future returns only once the tasks it woke have run, even when a timer of
/// the future's own fires first in the same advance (a wake during its poll that comes before the
/// task's).
#[test]
fn advance_in_main_with_an_earlier_timer_of_its_own_waits_for_the_woken_task() {
    advance_in_main_waits_for_the_woken_task(async {
        // A 5 ms timer of the future's own (a timeout, an interval...), registered and kept.
        let mut own = mudu::time::sleep(Duration::from_millis(5));
        poll_fn(|cx| {
            assert!(Pin::new(&mut own).poll(cx).is_pending());
            Poll::Ready(())
        })
        .await;
        [own] // kept, not awaited
    });
}

/// Same rule, with the earlier wake a plain self-wake in the same poll (a `join` whose other branch
/// yields, say).
#[test]
fn advance_in_main_after_a_self_wake_waits_for_the_woken_task() {
    advance_in_main_waits_for_the_woken_task(poll_fn(|cx| {
        cx.waker().wake_by_ref();
        Poll::Ready(())
    }));
}

/// On a paused clock: block_on's future sleeps 10 ms while a task runs `before` (given the future's
/// waker) and then `advance(10 ms)`, which must return only once the future has seen its timer.
fn advance_in_a_task_waits_for_main(before: impl FnOnce(Waker) + Send + 'static) {
    util::finishes("advance in a task", 30, || {
        let rt = mudu::Runtime::builder().start_paused(true).build().unwrap();
        rt.block_on(async {
            let main_ran = Rc::new(Cell::new(false));
            let main_waker = poll_fn(|cx| Poll::Ready(cx.waker().clone())).await;
            let advancer = mudu::spawn({
                let main_ran = Rc::clone(&main_ran);
                async move {
                    before(main_waker);
                    mudu::time::advance(Duration::from_millis(10)).await;
                    main_ran.get()
                }
            });
            mudu::time::sleep(Duration::from_millis(10)).await;
            main_ran.set(true);
            assert!(
                advancer.await.unwrap(),
                "advance returned in the task before block_on's future had seen the timer it woke"
            );
        });
    });
}

#[test]
fn advance_from_a_task_returns_after_the_main_future_it_woke_has_run() {
    advance_in_a_task_waits_for_main(drop);
}

/// The same when another thread had woken the future just before (a wake with no place in the
/// queue).
#[test]
fn advance_in_a_task_waits_for_main_to_see_its_timer_after_a_remote_wake_too() {
    advance_in_a_task_waits_for_main(|main_waker| {
        util::wake_from_another_thread(&main_waker);
    });
}
