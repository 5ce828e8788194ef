//! Connect targets beyond one `SocketAddr`: strings, host names, lists raced as Happy Eyeballs does.

use mudu::net::{ConnectErrorKind, TcpListener, TcpSocket, TcpStream};
use std::net::SocketAddr;
use std::time::Duration;

/// A loopback port that nothing listens on (bound by the kernel, then freed).
fn closed_port() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

#[test]
fn strings_and_host_names_connect() {
    mudu::block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let by_string = TcpStream::connect(addr.to_string()).await.unwrap();
        assert_eq!(by_string.peer_addr().unwrap(), addr);
        let by_name = TcpStream::connect(("localhost", addr.port())).await;
        // "localhost" may resolve to ::1 first; the race then falls back to 127.0.0.1.
        assert_eq!(by_name.unwrap().peer_addr().unwrap().port(), addr.port());
    });
}

#[test]
fn malformed_targets_fail_before_any_attempt() {
    mudu::block_on(async {
        for target in ["no-port-here", "127.0.0.1:notaport", "[::1"] {
            let err = TcpStream::connect(target).await.unwrap_err();
            assert_eq!(err.kind(), ConnectErrorKind::InvalidAddress, "{target}");
            assert!(!err.is_retryable());
            assert_eq!(err.attempt(), 0);
            assert!(err.to_string().contains(target), "{err}");
        }
        let empty: Vec<SocketAddr> = Vec::new();
        let err = TcpStream::connect(empty).await.unwrap_err();
        assert_eq!(err.kind(), ConnectErrorKind::InvalidAddress);
    });
}

#[test]
fn a_refused_address_falls_through_to_the_next_at_once() {
    let rt = mudu::Runtime::builder().start_paused(true).build().unwrap();
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let good = listener.local_addr().unwrap();
        let start = mudu::time::Instant::now();
        let stream = TcpStream::connect(vec![closed_port(), good]).await.unwrap();
        assert_eq!(stream.peer_addr().unwrap(), good);
        // The refusal started the second attempt at once, not after 250 ms.
        assert_eq!(mudu::time::Instant::now() - start, Duration::ZERO);
    });
}

#[test]
fn all_addresses_refused_gives_the_last_error() {
    mudu::block_on(async {
        let (a, b) = (closed_port(), closed_port());
        let err = TcpStream::connect([a, b]).await.unwrap_err();
        assert_eq!(err.kind(), ConnectErrorKind::Refused);
        assert_eq!(err.addr(), b);
        assert_eq!(err.attempt(), 2);
    });
}

/// The first address never answers (its listener's queue is full, so the kernel drops the SYN): the
/// second attempt starts 250 ms later on the virtual clock and wins.
#[test]
fn a_silent_address_is_overtaken_after_the_attempt_delay() {
    let rt = mudu::Runtime::builder().start_paused(true).build().unwrap();
    rt.block_on(async {
        let socket = TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let silent = socket.listen(1).unwrap();
        let silent_addr = silent.local_addr().unwrap();
        let mut queued = Vec::new();
        loop {
            match TcpStream::connect_timeout(silent_addr, Duration::from_secs(5)).await {
                Ok(stream) => queued.push(stream),
                Err(e) => {
                    assert_eq!(e.kind(), ConnectErrorKind::TimedOut);
                    break;
                }
            }
            assert!(queued.len() <= 8, "the backlog never filled");
        }
        let good = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let good_addr = good.local_addr().unwrap();
        let start = mudu::time::Instant::now();
        let stream =
            TcpStream::connect_timeout(vec![silent_addr, good_addr], Duration::from_secs(5))
                .await
                .unwrap();
        assert_eq!(stream.peer_addr().unwrap(), good_addr);
        assert_eq!(
            mudu::time::Instant::now() - start,
            Duration::from_millis(250)
        );
    });
}

#[test]
fn bind_takes_strings_and_names() {
    mudu::block_on(async {
        let a = TcpListener::bind("127.0.0.1:0").await.unwrap();
        assert!(a.local_addr().unwrap().ip().is_loopback());
        let b = TcpListener::bind(("localhost", 0)).await.unwrap();
        assert!(b.local_addr().unwrap().ip().is_loopback());
        let err = TcpListener::bind("nope").await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    });
}
