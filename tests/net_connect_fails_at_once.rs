//! Attempts that fail inside `connect()` itself, with no wait on the loop.
//! Where the caller's own socket or target is at fault, no retry mends it:
//! the attempt gives up at once instead of passing for a route that may come
//! back. Where the failure is retried, a retry loop with no delay still lets
//! its loop run other tasks.

mod util;

use mudu::net::{Backoff, ConnectErrorKind, Connector, TcpListener, TcpSocket, TcpStream};
use std::net::SocketAddr;
use std::time::Duration;

fn mapped(addr: SocketAddr) -> SocketAddr {
    let SocketAddr::V4(v4) = addr else {
        panic!("{addr} is not IPv4")
    };
    SocketAddr::new(v4.ip().to_ipv6_mapped().into(), v4.port())
}

#[test]
fn a_link_local_target_without_a_scope_id_is_an_invalid_address() {
    mudu::block_on(async {
        let addr: SocketAddr = "[fe80::1]:80".parse().unwrap();
        let err = TcpStream::connect(addr).await.unwrap_err();
        assert_eq!(err.io_error().raw_os_error(), Some(libc::EINVAL), "{err}");
        assert_eq!(err.kind(), ConnectErrorKind::InvalidAddress, "{err}");
        assert!(!err.is_retryable());
        assert_eq!((err.addr(), err.attempt()), (addr, 1));
    });
}

#[test]
fn a_factory_whose_bind_fails_with_einval_gives_up_at_the_first_attempt() {
    let rt = mudu::Runtime::builder().start_paused(true).build().unwrap();
    rt.block_on(async {
        let listener = TcpListener::bind("[::1]:0").await.unwrap();
        let mut connector = Connector::new(listener.local_addr().unwrap())
            .backoff(Backoff::default().max_attempts(4))
            .socket(|| {
                let socket = TcpSocket::new_v6()?;
                // Link-local without a scope id: `bind` answers EINVAL, whatever the network does.
                socket.bind("[fe80::1]:0".parse().unwrap())?;
                Ok(socket)
            });
        let err = connector.connect().await.unwrap_err();
        assert_eq!(err.io_error().raw_os_error(), Some(libc::EINVAL), "{err}");
        assert_eq!((err.kind(), err.attempt()), (ConnectErrorKind::Other, 1));
    });
}

#[test]
fn a_v6_only_socket_gives_up_on_the_mapped_form_of_an_ipv4_peer() {
    mudu::block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let socket = TcpSocket::new_v6().unwrap();
        socket.set_only_v6(true).unwrap();
        let err = socket
            .connect(mapped(listener.local_addr().unwrap()))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ConnectErrorKind::UnsupportedFamily, "{err}");
        assert!(!err.is_retryable());
    });
}

#[test]
fn a_connector_with_a_v6_only_factory_gives_up_on_a_mapped_peer_at_the_first_attempt() {
    let rt = mudu::Runtime::builder().start_paused(true).build().unwrap();
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut connector = Connector::new(mapped(listener.local_addr().unwrap()))
            .backoff(Backoff::default().max_attempts(5))
            .socket(|| {
                let socket = TcpSocket::new_v6()?;
                socket.set_only_v6(true)?;
                Ok(socket)
            });
        let err = connector.connect().await.unwrap_err();
        assert_eq!(
            (err.kind(), err.attempt()),
            (ConnectErrorKind::UnsupportedFamily, 1),
            "{err}"
        );
    });
}

#[test]
fn the_mapped_form_of_an_ipv4_peer_is_reached_on_any_socket_that_can() {
    mudu::block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // A fresh socket, an IPv4 one, and a dual-stack IPv6 one.
        let fresh = TcpStream::connect(mapped(addr)).await.unwrap();
        assert_eq!(fresh.peer_addr().unwrap(), addr);
        let v4 = TcpSocket::new_v4().unwrap();
        assert_eq!(
            v4.connect(mapped(addr)).await.unwrap().peer_addr().unwrap(),
            addr
        );
        let v6 = TcpSocket::new_v6().unwrap();
        v6.set_only_v6(false).unwrap();
        let dual = v6.connect(mapped(addr)).await.unwrap();
        assert_eq!(dual.peer_addr().unwrap().ip().to_canonical(), addr.ip());
    });
}

/// Every attempt fails before its socket reaches the loop (here the factory is out of descriptors, a
/// retried failure), so no attempt waits for the loop, and a zero delay is over at its first poll.
#[test]
fn a_retry_loop_with_no_delay_still_lets_its_loop_run() {
    let (kind, attempts) = util::finishes("connect() with zero retry delays", 20, || {
        let rt = mudu::Runtime::builder().start_paused(true).build().unwrap();
        rt.block_on(async {
            let mut connector = Connector::new("127.0.0.1:9".parse().unwrap())
                .backoff(Backoff::default().initial_delay(Duration::ZERO))
                .socket(|| Err(std::io::Error::from_raw_os_error(libc::EMFILE)));
            let handle = connector.handle();
            // Runs as soon as the loop gets control back from `connect()`.
            mudu::spawn(async move { handle.stop() });
            let err = connector.connect().await.unwrap_err();
            (err.kind(), err.attempt())
        })
    });
    assert_eq!((kind, attempts), (ConnectErrorKind::Stopped, 1));
}
