//! An I/O wait that was given up (its future dropped while pending) no longer counts as a task blocked
//! on I/O: a paused clock then jumps at once, instead of first waiting the I/O quiet period of real
//! time. The quiet period here is an hour, so a wait still counted would stall the test.

mod util;

use mudu::net::TcpListener;
use mudu::time::{sleep, Instant};
use std::future::Future;
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;
use util::tcp_pair;

fn paused_with_a_long_quiet_period() -> mudu::Runtime {
    mudu::Runtime::builder()
        .start_paused(true)
        .io_quiet_period(Duration::from_secs(3600))
        .build()
        .unwrap()
}

/// Polls `fut` once, expecting it to wait, and drops it.
async fn give_up_after_one_poll<F: Future>(fut: F) {
    let mut fut = pin!(fut);
    std::future::poll_fn(|cx| {
        assert!(fut.as_mut().poll(cx).is_pending());
        Poll::Ready(())
    })
    .await;
}

#[test]
fn a_read_given_up_holds_no_paused_clock_back() {
    util::finishes("sleeps after a read given up", 30, || {
        paused_with_a_long_quiet_period().block_on(async {
            let (mut client, _server) = tcp_pair().await;
            let mut buf = [0u8; 16];
            give_up_after_one_poll(client.read(&mut buf)).await;
            let start = Instant::now();
            for _ in 0..10 {
                sleep(Duration::from_secs(1)).await;
            }
            assert_eq!(start.elapsed(), Duration::from_secs(10));
        })
    });
}

#[test]
fn an_accept_given_up_holds_no_paused_clock_back() {
    util::finishes("sleeps after an accept given up", 30, || {
        paused_with_a_long_quiet_period().block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            give_up_after_one_poll(listener.accept()).await;
            give_up_after_one_poll(listener.accept()).await;
            let start = Instant::now();
            sleep(Duration::from_secs(1)).await;
            assert_eq!(start.elapsed(), Duration::from_secs(1));
        })
    });
}

#[test]
fn an_acceptor_waiting_out_a_backoff_holds_no_paused_clock_back() {
    // Two tasks accept on one listener (one waits in its slot, one beside it); an error wakes both
    // and starts the listener's backoff. The task that waits out the backoff waits on a timer, not
    // on I/O, so the paused clock must reach the end of the backoff at once.
    util::finishes("a backoff with two acceptors", 30, || {
        paused_with_a_long_quiet_period().block_on(async {
            let listener = std::rc::Rc::new(TcpListener::bind("127.0.0.1:0").await.unwrap());
            let acceptors: Vec<_> = (0..2)
                .map(|_| {
                    let listener = std::rc::Rc::clone(&listener);
                    mudu::spawn(async move { listener.accept().await.map(|_| ()) })
                })
                .collect();
            for _ in 0..3 {
                mudu::task::yield_now().await;
            }
            let start = Instant::now();
            // Every accept fails with EINVAL from now on; the event wakes both acceptors.
            socket2::SockRef::from(&*listener)
                .shutdown(std::net::Shutdown::Both)
                .unwrap();
            for acceptor in acceptors {
                let err = acceptor.await.unwrap().unwrap_err();
                assert_eq!(err.raw_os_error(), Some(libc::EINVAL), "{err}");
            }
            // The second acceptor's error came after the backoff.
            assert_eq!(start.elapsed(), mudu::net::ACCEPT_BACKOFF);
        })
    });
}
