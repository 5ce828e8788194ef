//! A `Sleep` that leaves its loop: dropped on another thread, or finished on another loop of a pool.
//! The loop that held its timer removes the entry at its next turn.

use mudu::time::{self, Instant};
use mudu_timer::TimeDriver;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

const HOUR: Duration = Duration::from_secs(3600);

/// Polls `sleep` once from the current task; it must still be pending.
async fn register(sleep: &mut time::Sleep) {
    poll_fn(|cx| {
        assert!(Pin::new(&mut *sleep).poll(cx).is_pending());
        Poll::Ready(())
    })
    .await;
}

fn pending_timers() -> usize {
    TimeDriver::current().unwrap().pending_timers()
}

#[test]
fn a_sleep_dropped_on_another_thread_leaves_no_timer_behind() {
    let rt = mudu::Runtime::builder().start_paused(true).build().unwrap();
    rt.block_on(async {
        let mut nap = time::sleep(HOUR);
        register(&mut nap).await;
        assert_eq!(pending_timers(), 1);
        std::thread::spawn(move || drop(nap)).join().unwrap();
        assert_eq!(pending_timers(), 0);
        // With no timer left, the paused clock has nowhere to jump: a sleep of a minute ends a
        // minute later, not an hour.
        let start = Instant::now();
        time::sleep(Duration::from_secs(60)).await;
        assert_eq!(Instant::now() - start, Duration::from_secs(60));
    });
}

#[test]
fn a_sleep_finished_on_another_loop_leaves_no_timer_on_its_first_loop() {
    let pool = mudu::LoopPool::new(2).unwrap();
    let [first, second] = pool.handles() else {
        unreachable!("a pool of two")
    };
    mudu::block_on(async {
        let (nap,) = first
            .spawn(async {
                let mut nap = time::sleep(HOUR);
                register(&mut nap).await;
                // Handed out in a tuple: a value to poll elsewhere, not awaited here.
                (nap,)
            })
            .await
            .unwrap();
        second
            .spawn(async move {
                let mut nap = nap;
                nap.reset(Instant::now());
                nap.await;
                pending_timers()
            })
            .await
            .map(|left| assert_eq!(left, 0))
            .unwrap();
        let left = first.spawn(async { pending_timers() }).await.unwrap();
        assert_eq!(left, 0, "the first loop still holds the sleep's timer");
    });
}
