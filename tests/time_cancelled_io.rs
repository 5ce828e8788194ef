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
