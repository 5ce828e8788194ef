//! An accept error that comes back on every call (a listener shut down
//! through another handle): a server loop that logs it and carries on makes
//! one call per backoff, and the loop's other tasks keep running.
//! A pause cut short by the loop's shutdown ends with it.

use mudu::net::{TcpListener, ACCEPT_BACKOFF};
use mudu::time::Instant;
use std::cell::Cell;
use std::rc::Rc;

#[test]
fn a_lasting_accept_error_backs_off_instead_of_spinning() {
    let rt = mudu::Runtime::builder().start_paused(true).build().unwrap();
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        // No longer listening: every accept fails with EINVAL from now on.
        socket2::SockRef::from(&listener)
            .shutdown(std::net::Shutdown::Both)
            .unwrap();
        let ticks = Rc::new(Cell::new(0u32));
        let counter = Rc::clone(&ticks);
        // Another task of the loop, waking every millisecond.
        let other = mudu::spawn(async move {
            let mut every_ms = mudu::time::interval(std::time::Duration::from_millis(1));
            loop {
                every_ms.tick().await;
                counter.set(counter.get() + 1);
            }
        });
        mudu::task::yield_now().await;

        let start = Instant::now();
        let mut seen = Vec::new();
        for _ in 0..3 {
            let before = ticks.get();
            let err = listener.accept().await.unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::EINVAL), "{err}");
            seen.push((Instant::now() - start, ticks.get() > before));
        }
        other.abort();
        // The first error comes at once; each later call waits out the backoff, during which the
        // other task ran.
        assert_eq!(
            seen,
            [
                (std::time::Duration::ZERO, false),
                (ACCEPT_BACKOFF, true),
                (ACCEPT_BACKOFF * 2, true)
            ]
        );
    });
}

mod util;

/// A loop shut down during an accept backoff cancels the task that would
/// end the pause; the pause ends with it, so a later `accept` on that
/// listener reports that its loop is gone instead of waiting for ever.
#[test]
fn a_backoff_cut_short_by_shutdown_leaves_accept_an_error() {
    let err = util::finishes("accept after the loop's shutdown", 20, || {
        let first = mudu::Runtime::new().unwrap();
        let listener = first.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            socket2::SockRef::from(&listener)
                .shutdown(std::net::Shutdown::Both)
                .unwrap();
            // This error starts the backoff.
            listener.accept().await.unwrap_err();
            listener
        });
        drop(first);
        let second = mudu::Runtime::new().unwrap();
        second.block_on(listener.accept()).unwrap_err()
    });
    assert!(err.to_string().contains("shut down"), "{err}");
}
