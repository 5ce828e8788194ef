//! Connecting in a process that has no descriptor left: the attempt fails as
//! `OutOfResources`, which is retryable, and a `Connector` keeps to its
//! backoff schedule and connects once descriptors are free again.
//!
//! The descriptor limit is per process, so the test runs in a child process
//! (this test binary re-run for this one test).

mod util;

use mudu::net::{ConnectErrorKind, Connector, ConnectorEvent, TcpListener, TcpStream};
use mudu::time::Instant;
use std::time::Duration;

const CHILD: &str = "MUDU_CONNECT_EMFILE_CHILD";
const TEST: &str = "connecting_without_a_free_descriptor_is_retried";

fn connect_at_the_limit() {
    let rt = mudu::Runtime::builder().start_paused(true).build().unwrap();
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut connector = Connector::new(addr);
        let mut events = connector.events();

        let normal = util::limit_descriptors(util::limit_leaving_room(0));
        let err = TcpStream::connect(addr).await.unwrap_err();
        assert_eq!(err.kind(), ConnectErrorKind::OutOfResources, "{err}");
        assert!(err.is_retryable());
        assert_eq!(err.io_error().raw_os_error(), Some(libc::EMFILE));
        assert_eq!(err.addr(), addr);

        let start = Instant::now();
        let client = mudu::spawn(async move { connector.connect().await });
        assert_eq!(
            events.recv().await,
            Some(ConnectorEvent::Attempt { addr, attempt: 1 })
        );
        assert_eq!(
            events.recv().await,
            Some(ConnectorEvent::Failed {
                addr,
                attempt: 1,
                kind: ConnectErrorKind::OutOfResources
            })
        );
        assert_eq!(
            events.recv().await,
            Some(ConnectorEvent::RetryScheduled {
                addr,
                attempt: 2,
                delay: Duration::from_millis(500)
            })
        );

        // Descriptors come back (as they do when other connections close).
        util::limit_descriptors(normal);
        let (_server, peer) = listener.accept().await.unwrap();
        let stream = client.await.unwrap().unwrap();
        assert_eq!(stream.local_addr().unwrap(), peer);
        assert_eq!(Instant::now() - start, Duration::from_millis(500));
    });
    println!("connected after the retry");
}

#[test]
fn connecting_without_a_free_descriptor_is_retried() {
    if util::is_child(CHILD) {
        return connect_at_the_limit();
    }
    let output = util::child_test(TEST, CHILD).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("connected after the retry"),
        "child failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}
