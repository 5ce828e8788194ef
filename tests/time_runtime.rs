//! Timers driven by the loop: the poll timeout from the wheel, the paused clock and its auto-advance.

mod util;

use mudu::task::yield_now;
use mudu::time::{self, Instant};
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::io::{Read, Write};
use std::rc::Rc;
use std::time::Duration;

fn paused() -> mudu::Runtime {
    mudu::Runtime::builder().start_paused(true).build().unwrap()
}

#[test]
fn an_hour_long_sleep_ends_exactly_an_hour_later_on_the_virtual_clock() {
    paused().block_on(async {
        let start = Instant::now();
        time::sleep(Duration::from_secs(3600)).await;
        assert_eq!(Instant::now() - start, Duration::from_secs(3600));
    });
}

#[test]
fn timers_in_many_tasks_fire_in_deadline_order() {
    let order = Rc::new(RefCell::new(Vec::new()));
    paused().block_on({
        let order = order.clone();
        async move {
            let start = Instant::now();
            let delays = [700u64, 5, 300, 5000, 1, 64, 4096, 65_536, 30_000_000];
            let tasks: Vec<_> = delays
                .iter()
                .map(|&ms| {
                    let order = order.clone();
                    mudu::spawn(async move {
                        time::sleep(Duration::from_millis(ms)).await;
                        assert_eq!(Instant::now() - start, Duration::from_millis(ms));
                        order.borrow_mut().push(ms);
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        }
    });
    let mut sorted = order.borrow().clone();
    sorted.sort_unstable();
    assert_eq!(*order.borrow(), sorted);
}

#[test]
fn timeout_of_a_future_that_never_finishes() {
    paused().block_on(async {
        let start = Instant::now();
        let r = time::timeout(Duration::from_secs(5), std::future::pending::<()>()).await;
        assert!(r.is_err());
        assert_eq!(Instant::now() - start, Duration::from_secs(5));
        let ok = time::timeout(Duration::from_secs(5), async { 3 }).await;
        assert_eq!(ok.unwrap(), 3);
    });
}

#[test]
fn hundred_thousand_concurrent_sleeps_all_fire() {
    let fired = Rc::new(Cell::new(0u32));
    paused().block_on({
        let fired = fired.clone();
        async move {
            for i in 0..100_000u64 {
                let fired = fired.clone();
                mudu::spawn(async move {
                    time::sleep(Duration::from_millis(1 + i % 10_000)).await;
                    fired.set(fired.get() + 1);
                });
            }
            time::sleep(Duration::from_secs(11)).await;
        }
    });
    assert_eq!(fired.get(), 100_000);
}

#[test]
fn advance_moves_the_clock_and_fires_due_timers() {
    mudu::block_on(async {
        time::pause();
        let start = Instant::now();
        let fired = Rc::new(Cell::new(false));
        let f = fired.clone();
        mudu::spawn(async move {
            time::sleep(Duration::from_millis(100)).await;
            f.set(true);
        });
        yield_now().await;
        time::advance(Duration::from_millis(99)).await;
        assert!(!fired.get());
        time::advance(Duration::from_millis(1)).await;
        yield_now().await;
        assert!(fired.get());
        assert_eq!(Instant::now() - start, Duration::from_millis(100));
        time::resume();
    });
}

#[test]
fn advancing_by_a_duration_too_long_to_hold_fires_even_the_longest_sleep() {
    paused().block_on(async {
        let start = Instant::now();
        let fired = Rc::new(Cell::new(false));
        let f = fired.clone();
        mudu::spawn(async move {
            time::sleep(Duration::MAX).await;
            f.set(true);
        });
        yield_now().await;
        time::advance(Duration::MAX).await;
        yield_now().await;
        assert!(fired.get());
        assert!(Instant::now() - start > Duration::from_secs(400 * 365 * 24 * 3600));
        // The clock stopped where time still works: a sleep takes its whole length, a timeout holds.
        for _ in 0..3 {
            let before = Instant::now();
            time::sleep(Duration::from_secs(1)).await;
            assert_eq!(Instant::now() - before, Duration::from_secs(1));
        }
        let waited = time::timeout(Duration::from_secs(5), std::future::pending::<()>()).await;
        assert!(waited.is_err());
    });
}

#[test]
fn after_the_largest_advance_long_timeouts_still_take_their_time() {
    // Guarded: with too little room left after the jump, a sleep would never come, and this would hang.
    util::finishes("time after the largest advance", 30, || {
        after_the_largest_advance()
    });
}

fn after_the_largest_advance() {
    paused().block_on(async {
        time::advance(Duration::MAX).await;
        // A timeout of `Duration::MAX` lands 30 years on and fires; time still works after it.
        let forever = time::timeout(Duration::MAX, std::future::pending::<()>()).await;
        assert!(forever.is_err());
        let before = Instant::now();
        let waited =
            time::timeout(Duration::from_secs(5), time::sleep(Duration::from_secs(1))).await;
        assert!(waited.is_ok());
        assert_eq!(Instant::now() - before, Duration::from_secs(1));
        let decades = Duration::from_secs(20 * 365 * 24 * 3600);
        let before = Instant::now();
        assert!(time::timeout(decades, std::future::pending::<()>())
            .await
            .is_err());
        assert_eq!(Instant::now() - before, decades);
    });
}

#[test]
fn a_deadline_past_the_clock_range_never_fires_and_holds_nothing() {
    // The last representable instant cannot be reached on the microsecond grid: the sleep must stay
    // pending (never early) without an entry the loop would keep jumping to.
    paused().block_on(async {
        let now = Instant::now();
        let (mut lo, mut hi) = (0u64, u64::MAX);
        while lo < hi {
            let mid = hi - (hi - lo) / 2;
            if now.checked_add(Duration::from_nanos(mid)).is_some() {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        let last = now.checked_add(Duration::from_nanos(lo)).unwrap();
        let mut end = Box::pin(time::sleep_until(last));
        let waker = std::task::Waker::noop();
        let polled = end
            .as_mut()
            .poll(&mut std::task::Context::from_waker(waker));
        assert!(polled.is_pending());
        let driver = mudu_timer::TimeDriver::current().unwrap();
        assert_eq!(
            driver.pending_timers(),
            0,
            "no entry for a deadline the clock cannot reach"
        );
        // Raced against an hour: the hour ends it, at exactly one hour.
        let raced = time::timeout(Duration::from_secs(3600), end.as_mut()).await;
        assert!(raced.is_err());
        assert_eq!(Instant::now() - now, Duration::from_secs(3600));
        assert!(!end.is_elapsed());
    });
}

#[test]
fn a_panicking_waker_does_not_cost_the_other_timers_of_its_batch_their_wake() {
    struct Panicky;
    impl std::task::Wake for Panicky {
        fn wake(self: std::sync::Arc<Self>) {
            panic!("a foreign waker that panics");
        }
    }
    let rt = paused();
    // Spawned from inside the runtime; handed out in a tuple, as the handle itself is a future.
    let (victim,) = rt.block_on(async { (mudu::spawn(time::sleep(Duration::from_secs(2))),) });
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async {
            yield_now().await; // the victim's sleep registers
            let mut first = Box::pin(time::sleep(Duration::from_secs(1)));
            let waker = std::task::Waker::from(std::sync::Arc::new(Panicky));
            let polled = first
                .as_mut()
                .poll(&mut std::task::Context::from_waker(&waker));
            assert!(polled.is_pending());
            // Fires both: the panicking waker first, then the victim's.
            time::advance(Duration::from_secs(3)).await;
        })
    }));
    assert!(
        unwound.is_err(),
        "the waker's panic reaches block_on's caller"
    );
    rt.block_on(async {
        let joined = time::timeout(Duration::from_secs(3600), victim).await;
        assert!(joined.is_ok(), "the victim was woken and finished");
    });
}

#[test]
fn advance_in_block_on_returns_after_every_task_it_woke_has_run() {
    // More tasks than one tick runs (64 by default): the main future still resumes after all of them.
    paused().block_on(async {
        let done = Rc::new(Cell::new(0));
        for _ in 0..200 {
            let done = Rc::clone(&done);
            mudu::spawn(async move {
                time::sleep(Duration::from_secs(1)).await;
                done.set(done.get() + 1);
            });
        }
        yield_now().await; // every sleep registers
        time::advance(Duration::from_secs(1)).await;
        assert_eq!(done.get(), 200);
    });
}

#[test]
fn real_clock_sleep_never_fires_early() {
    mudu::block_on(async {
        for ms in [0u64, 1, 3, 10] {
            let deadline = Instant::now() + Duration::from_millis(ms);
            time::sleep_until(deadline).await;
            assert!(Instant::now() >= deadline);
            assert!(std::time::Instant::now() >= deadline.into_std());
        }
    });
}

#[test]
fn pausing_and_resuming_never_puts_the_clock_ahead_of_the_real_one() {
    mudu::block_on(async {
        // Each pause rounds the frozen reading up to a whole microsecond; with no `advance`, the clock
        // falls behind the real one by the time spent paused, and is never more than that rounding
        // (under a microsecond) ahead of it.
        for _ in 0..100_000 {
            time::pause();
            time::resume();
        }
        let target = std::time::Instant::now() + Duration::from_millis(5);
        time::sleep_until(Instant::from_std(target)).await;
        // The loop's clock first: it reads no later than the real clock read after it.
        let clock = Instant::now();
        let woke = std::time::Instant::now();
        let tick = Duration::from_micros(1);
        assert!(
            woke + tick > target,
            "woke {:?} before its deadline on the real clock",
            target - woke
        );
        assert!(clock.into_std() < woke + tick);
    });
}

#[test]
fn a_yielding_task_does_not_starve_timers() {
    mudu::block_on(async {
        let stop = Rc::new(Cell::new(false));
        let s = stop.clone();
        let spinner = mudu::spawn(async move {
            while !s.get() {
                yield_now().await;
            }
        });
        time::sleep(Duration::from_millis(2)).await;
        stop.set(true);
        spinner.await.unwrap();
    });
}

/// A peer on another thread answers after 20 ms of real time. With the clock paused, a 5 s virtual timeout
/// must not fire first: while a task waits on I/O the loop gives real I/O a quiet period before it jumps.
#[test]
fn paused_clock_does_not_race_a_real_peer() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let mut req = [0u8; 4];
        conn.read_exact(&mut req).unwrap();
        // The peer's own work takes real time.
        std::thread::sleep(Duration::from_millis(20));
        conn.write_all(b"pong").unwrap();
    });
    paused().block_on(async move {
        let mut std_stream = std::net::TcpStream::connect(addr).unwrap();
        std_stream.write_all(b"ping").unwrap();
        std_stream.set_nonblocking(true).unwrap();
        let stream = mudu::io::IoSource::new(mio::net::TcpStream::from_std(std_stream)).unwrap();
        let start = Instant::now();
        let mut buf = [0u8; 4];
        let read = std::future::poll_fn(|cx| stream.poll_read_with(cx, |mut s| s.read(&mut buf)));
        let n = time::timeout(Duration::from_secs(5), read)
            .await
            .expect("the virtual timeout fired before the real peer answered")
            .unwrap();
        assert_eq!(&buf[..n], b"pong");
        assert!(Instant::now() - start < Duration::from_secs(5));
    });
    peer.join().unwrap();
}

/// With no timer pending the loop reads no clock, so the clock's latest reading may be old. A deadline
/// already passed, taken from the real clock, must still be ready at the first poll.
#[test]
fn a_deadline_already_passed_is_ready_at_the_first_poll_of_an_idle_loop() {
    use std::future::Future;
    mudu::Runtime::new().unwrap().block_on(async {
        let mark = Instant::now();
        // A later real-clock instant, read past the driver (as another thread or `from_std` would).
        let passed = loop {
            let t = Instant::from_std(std::time::Instant::now());
            if t > mark {
                break t;
            }
        };
        let mut nap = time::sleep_until(passed);
        let first = std::future::poll_fn(|cx| {
            std::task::Poll::Ready(std::pin::Pin::new(&mut nap).poll(cx))
        })
        .await;
        assert!(first.is_ready());
    });
}
