//! Connecting on loopback: refusals, self-connects (made on purpose and met
//! by chance), a full backlog against `connect_timeout`, and IPv6.

mod util;

use mudu::net::{ConnectErrorKind, TcpListener, TcpSocket, TcpStream};
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

/// A loopback port that nothing listens on (bound by the kernel, then freed).
fn closed_port() -> SocketAddr {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    probe.local_addr().unwrap()
}

/// Binds a listener on `addr` without `SO_REUSEADDR`, so any socket left
/// on that port (even in `TIME_WAIT`) makes it fail with `EADDRINUSE`.
fn bind_strict(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    assert!(!socket.reuseaddr()?);
    socket.bind(addr)?;
    socket.listen(16)
}

#[test]
fn refused_port_is_a_retryable_refusal() {
    let addr = closed_port();
    let err = mudu::block_on(TcpStream::connect(addr)).unwrap_err();
    assert_eq!(err.kind(), ConnectErrorKind::Refused);
    assert!(err.is_retryable());
    assert_eq!(err.addr(), addr);
    assert_eq!(err.attempt(), 1);
    assert_eq!(err.io_error().raw_os_error(), Some(libc::ECONNREFUSED));
    assert!(err.to_string().contains(&addr.to_string()));
    let io: io::Error = err.into();
    assert_eq!(io.kind(), io::ErrorKind::ConnectionRefused);
}

#[test]
fn socket_bound_to_its_target_is_a_self_connect_and_frees_the_port() {
    mudu::block_on(async {
        let addr = closed_port();
        let socket = TcpSocket::new_v4().unwrap();
        socket.bind(addr).unwrap();
        let err = socket.connect(addr).await.unwrap_err();
        assert_eq!(err.kind(), ConnectErrorKind::SelfConnect);
        assert!(err.is_retryable());
        assert_eq!(err.addr(), addr);
        // Reset, not closed gracefully: no TIME_WAIT holds the port.
        let listener = bind_strict(addr).expect("the self-connected port is free at once");
        assert_eq!(listener.local_addr().unwrap(), addr);
    });
}

/// The kernel's port range for outgoing connections.
fn ephemeral_range() -> (u16, u16) {
    let text = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").unwrap();
    let mut bounds = text.split_whitespace().map(|s| s.parse::<u16>().unwrap());
    (bounds.next().unwrap(), bounds.next().unwrap())
}

#[test]
fn connecting_to_a_closed_ephemeral_port_meets_itself_and_is_never_ok() {
    let (low, high) = ephemeral_range();
    // Linux gives outgoing connections even ports first and sweeps them in
    // order, so an even free port inside the range is reached within one
    // sweep: at most (high - low) / 2 + 1 attempts.
    let target = loop {
        let addr = closed_port();
        let port = addr.port() & !1;
        if (low..=high).contains(&port) {
            let candidate = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
            if std::net::TcpListener::bind(candidate).is_ok() {
                break candidate;
            }
        }
    };
    // Other tests of this binary connect at the same time and may take the target port as their source
    // port during one sweep; allow a few sweeps.
    let bound = 4 * (u32::from(high - low) + 64);
    let (attempts, refused) = mudu::block_on(async {
        let mut refused = 0u32;
        for attempt in 1..=bound {
            match TcpStream::connect(target).await {
                Ok(stream) => panic!(
                    "connect handed out a stream {:?} -> {:?}",
                    stream.local_addr(),
                    stream.peer_addr()
                ),
                Err(e) if e.kind() == ConnectErrorKind::Refused => refused += 1,
                Err(e) if e.kind() == ConnectErrorKind::SelfConnect => {
                    return (attempt, refused);
                }
                Err(e) => panic!("unexpected error: {e}"),
            }
        }
        panic!("no self-connect to {target} in {bound} attempts");
    });
    assert_eq!(refused, attempts - 1);
    eprintln!("self-connect to {target} at attempt {attempts}");
    mudu::block_on(async { bind_strict(target) }).expect("the self-connected port is free at once");
}

#[test]
fn full_backlog_times_out_on_the_paused_clock() {
    let rt = mudu::Runtime::builder().start_paused(true).build().unwrap();
    rt.block_on(async {
        let socket = TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let listener = socket.listen(1).unwrap();
        let addr = listener.local_addr().unwrap();
        // Never accepted: the queue takes backlog + 1 connections, then the
        // kernel drops further SYNs and the client waits to retransmit.
        let mut queued = Vec::new();
        let start = mudu::time::Instant::now();
        let err = loop {
            match TcpStream::connect_timeout(addr, Duration::from_secs(30)).await {
                Ok(stream) => queued.push(stream),
                Err(e) => break e,
            }
            assert!(queued.len() <= 8, "the backlog never filled");
        };
        assert!(!queued.is_empty());
        assert_eq!(err.kind(), ConnectErrorKind::TimedOut);
        assert!(err.is_retryable());
        assert_eq!(err.addr(), addr);
        // Virtual time: exactly the timeout passed for the failed attempt.
        assert!(mudu::time::Instant::now() - start >= Duration::from_secs(30));
        drop(listener);
    });
}

#[test]
fn ipv6_loopback() {
    mudu::block_on(async {
        let listener = match TcpListener::bind("[::1]:0").await {
            Ok(listener) => listener,
            Err(e) => {
                eprintln!("skipped: no IPv6 loopback here ({e})");
                return;
            }
        };
        let addr = listener.local_addr().unwrap();
        assert!(addr.is_ipv6());
        let mut client = TcpStream::connect(addr).await.unwrap();
        let (mut server, peer) = listener.accept().await.unwrap();
        assert_eq!(client.local_addr().unwrap(), peer);
        assert_eq!(client.peer_addr().unwrap(), addr);
        client.write_all(b"six").await.unwrap();
        let mut buf = [0; 3];
        server.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"six");

        // A self-connect over IPv6 is caught as well.
        let me: SocketAddr = "[::1]:0".parse().unwrap();
        let socket = TcpSocket::new_v6().unwrap();
        socket.bind(me).unwrap();
        let me = socket.local_addr().unwrap();
        let err = socket.connect(me).await.unwrap_err();
        assert_eq!(err.kind(), ConnectErrorKind::SelfConnect);
    });
}

#[test]
fn connect_through_a_prepared_socket_keeps_its_options() {
    mudu::block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_nodelay(true).unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let local = socket.local_addr().unwrap();
        let stream = socket
            .connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        assert_eq!(stream.local_addr().unwrap(), local);
        assert!(stream.nodelay().unwrap());
        let (_server, peer) = listener.accept().await.unwrap();
        assert_eq!(peer, local);
    });
}

#[test]
fn connect_outside_a_runtime_is_an_error_not_a_hang() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // Polled by a foreign executor: the socket cannot join a loop.
    let err = futures_executor_block_on(TcpStream::connect(addr)).unwrap_err();
    assert_eq!(err.kind(), ConnectErrorKind::Other);
}

/// Polls a future to completion on this thread without any runtime.
fn futures_executor_block_on<F: std::future::Future>(future: F) -> F::Output {
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::park();
    }
}

#[test]
fn connect_timeout_too_long_to_represent_means_no_deadline() {
    util::finishes("connect_timeout with Duration::MAX", 30, || {
        mudu::block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let stream = TcpStream::connect_timeout(addr, Duration::MAX)
                .await
                .unwrap();
            assert_eq!(stream.peer_addr().unwrap(), addr);
            drop(listener);
            let err = TcpStream::connect_timeout(addr, Duration::MAX)
                .await
                .unwrap_err();
            assert_eq!(err.kind(), ConnectErrorKind::Refused);
        })
    });
}

#[test]
fn a_zero_connect_timeout_names_the_address_it_never_tried() {
    mudu::block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let err = TcpStream::connect_timeout(addr, Duration::ZERO)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ConnectErrorKind::TimedOut);
        assert_eq!((err.addr(), err.attempt()), (addr, 0), "{err}");
        assert_eq!(
            err.to_string(),
            format!("connect to {addr} failed before any attempt: connect attempt timed out")
        );
    });
}

#[test]
fn a_zero_connect_timeout_names_an_unspecified_target_it_never_tried() {
    mudu::block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let target: std::net::SocketAddr = format!("0.0.0.0:{port}").parse().unwrap();
        let err = TcpStream::connect_timeout(target, Duration::ZERO)
            .await
            .unwrap_err();
        assert_eq!((err.addr(), err.attempt()), (target, 0), "{err}");
        assert!(
            err.to_string()
                .starts_with(&format!("connect to {target} ")),
            "{err}"
        );
    });
}

#[test]
fn a_dual_stack_socket_reaches_an_ipv4_peer_through_its_mapped_address() {
    mudu::block_on(async {
        let Ok(socket) = TcpSocket::new_v6() else {
            eprintln!("skipped: no IPv6 here");
            return;
        };
        if socket.only_v6().unwrap() {
            eprintln!("skipped: IPv6 sockets are v6-only here");
            return;
        }
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut stream = socket.connect(addr).await.unwrap();
        let (mut accepted, _) = listener.accept().await.unwrap();
        let mapped = SocketAddr::new(
            match addr.ip() {
                std::net::IpAddr::V4(v4) => v4.to_ipv6_mapped().into(),
                std::net::IpAddr::V6(_) => unreachable!(),
            },
            addr.port(),
        );
        assert_eq!(stream.peer_addr().unwrap(), mapped);
        stream.write_all(b"ping").await.unwrap();
        let mut buf = [0u8; 4];
        accepted.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ping");
    });
}

#[test]
fn a_v6_only_socket_fails_for_an_ipv4_peer_and_says_it_will_not_work_later() {
    mudu::block_on(async {
        let Ok(socket) = TcpSocket::new_v6() else {
            eprintln!("skipped: no IPv6 here");
            return;
        };
        socket.set_only_v6(true).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let err = socket.connect(addr).await.unwrap_err();
        assert_eq!(err.kind(), ConnectErrorKind::UnsupportedFamily);
        assert!(!err.is_retryable());
        assert_eq!(err.addr(), addr);
    });
}

#[test]
fn an_ipv4_socket_fails_for_an_ipv6_peer_and_says_it_will_not_work_later() {
    mudu::block_on(async {
        let socket = TcpSocket::new_v4().unwrap();
        let err = socket
            .connect("[::1]:9".parse().unwrap())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ConnectErrorKind::UnsupportedFamily);
        assert!(!err.is_retryable());
    });
}
