//! `block_on`'s own future woken during its own poll (`yield_now`, `advance`) goes behind the entries
//! queued by the end of that poll, whatever other wake comes meanwhile: one from another thread, or
//! one from the loop's poll of I/O.

mod util;

use std::cell::Cell;
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;

use mudu::task::yield_now;
use util::wake_from_another_thread;

/// A task that sets the returned flag when it runs.
fn flag_task() -> Rc<Cell<bool>> {
    let ran = Rc::new(Cell::new(false));
    let flag = Rc::clone(&ran);
    drop(mudu::spawn(async move { flag.set(true) }));
    ran
}

/// Queues a task, then yields from block_on's future, and checks that the task has run by the time
/// `yield_now` returns.
async fn yield_past_a_queued_task() {
    let ran = flag_task();
    yield_now().await;
    assert!(
        ran.get(),
        "yield_now in block_on's future resumed before the task queued when it yielded"
    );
}

/// A task that sleeps 10 ms and then sets the returned flag.
fn sleeper() -> Rc<Cell<bool>> {
    let fired = Rc::new(Cell::new(false));
    let flag = Rc::clone(&fired);
    drop(mudu::spawn(async move {
        mudu::time::sleep(Duration::from_millis(10)).await;
        flag.set(true);
    }));
    fired
}

/// Advances the paused clock past the sleeper's timer, from block_on's future, and checks that the
/// sleeper has run by the time `advance` returns.
async fn advance_past(fired: &Cell<bool>) {
    mudu::time::advance(Duration::from_millis(10)).await;
    assert!(
        fired.get(),
        "advance(10ms) in block_on's future returned before the task its timer woke had run"
    );
}

/// `yield_now` in block_on's future, in a poll during which another thread also woke it: the yield
/// still resumes only after the entry queued before it yielded.
#[test]
fn yield_in_main_after_a_remote_wake_in_the_same_poll_waits_for_the_queued_task() {
    util::finishes("remote wake in poll, then yield", 30, || {
        let rt = mudu::Runtime::new().unwrap();
        rt.block_on(async {
            yield_now().await; // the next poll is one at a place
            poll_fn(|cx| {
                wake_from_another_thread(cx.waker());
                Poll::Ready(())
            })
            .await;
            yield_past_a_queued_task().await;
        });
    });
}

/// An `advance` awaited in block_on's future returns only once the tasks it woke have run, also when
/// another thread wakes the future during the same poll (a channel fed from elsewhere).
#[test]
fn advance_in_main_after_a_remote_wake_in_the_same_poll_waits_for_the_woken_task() {
    util::finishes("remote wake in poll, then advance", 30, || {
        let rt = mudu::Runtime::builder().start_paused(true).build().unwrap();
        rt.block_on(async {
            let fired = sleeper();
            yield_now().await; // the task registers its timer; the next poll is one at a place
            poll_fn(|cx| {
                wake_from_another_thread(cx.waker());
                Poll::Ready(())
            })
            .await;
            advance_past(&fired).await;
        });
    });
}

/// The same with the remote wake in the tick's first poll (block_on's very first) and a budget of one
/// task per tick: the two woken tasks need two ticks, and the future waits for both.
#[test]
fn advance_in_main_at_the_start_of_a_tick_with_a_remote_wake_and_event_interval_one() {
    util::finishes("remote wake at start, then advance", 30, || {
        let rt = mudu::Runtime::builder()
            .start_paused(true)
            .event_interval(1)
            .build()
            .unwrap();
        let fired = Rc::new(Cell::new(0usize));
        for _ in 0..2 {
            let flag = Rc::clone(&fired);
            drop(rt.spawn(async move {
                mudu::time::sleep(Duration::from_millis(10)).await;
                flag.set(flag.get() + 1);
            }));
        }
        // Both tasks register their timers.
        rt.block_on(async {
            for _ in 0..4 {
                yield_now().await;
            }
        });
        assert_eq!(fired.get(), 0);
        rt.block_on(async {
            poll_fn(|cx| {
                wake_from_another_thread(cx.waker());
                Poll::Ready(())
            })
            .await;
            mudu::time::advance(Duration::from_millis(10)).await;
            assert_eq!(
                fired.get(),
                2,
                "advance(10ms) in block_on's future returned before the tasks its timer woke had run"
            );
        });
    });
}

/// `yield_now` in block_on's future while a socket it also awaits becomes readable: the I/O wake comes
/// from the loop's poll, between the yield and the entry it must wait for.
#[test]
#[cfg_attr(miri, ignore = "sockets")]
fn yield_in_main_with_io_ready_at_the_next_poll_waits_for_the_queued_task() {
    use std::io::Write;
    util::finishes("io wake after yield", 30, || {
        let rt = mudu::Runtime::new().unwrap();
        rt.block_on(async {
            let listener = mudu::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let mut peer = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
            let (stream, _) = listener.accept().await.unwrap();
            let mut readable = pin!(stream.readable());
            yield_now().await; // the next poll is one at a place
            poll_fn(|cx| {
                assert!(readable.as_mut().poll(cx).is_pending(), "no data yet");
                Poll::Ready(())
            })
            .await;
            peer.write_all(b"x").unwrap(); // readable at the loop's next poll of I/O
            yield_past_a_queued_task().await;
        });
    });
}

/// The same for `advance` in block_on's future.
#[test]
#[cfg_attr(miri, ignore = "sockets")]
fn advance_in_main_with_io_ready_at_the_next_poll_waits_for_the_woken_task() {
    use std::io::Write;
    util::finishes("io wake after advance", 30, || {
        let rt = mudu::Runtime::builder().start_paused(true).build().unwrap();
        rt.block_on(async {
            let listener = mudu::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let mut peer = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
            let (stream, _) = listener.accept().await.unwrap();
            let fired = sleeper();
            yield_now().await; // the task registers its timer; the next poll is one at a place
            let mut readable = pin!(stream.readable());
            poll_fn(|cx| {
                assert!(readable.as_mut().poll(cx).is_pending(), "no data yet");
                Poll::Ready(())
            })
            .await;
            peer.write_all(b"x").unwrap(); // readable at the loop's next poll of I/O
            advance_past(&fired).await;
        });
    });
}
