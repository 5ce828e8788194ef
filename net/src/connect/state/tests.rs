//! Every transition of `ConnectMachine`, every row of the errno table as
//! `connect()`'s result and as `SO_ERROR`, and self-connect in both families.

use super::*;
use ConnectErrorKind as K;

const CONNECTING: [i32; 4] = [0, libc::EINPROGRESS, libc::EINTR, libc::EISCONN];

const RETRY: [(i32, ConnectErrorKind); 16] = [
    (libc::EAGAIN, K::WouldBlock),
    (libc::EADDRINUSE, K::AddrInUse),
    (libc::EADDRNOTAVAIL, K::AddrNotAvailable),
    (libc::ECONNREFUSED, K::Refused),
    (libc::ECONNRESET, K::Refused),
    (libc::ENETUNREACH, K::Unreachable),
    (libc::EHOSTUNREACH, K::Unreachable),
    (libc::EHOSTDOWN, K::Unreachable),
    (libc::ENETDOWN, K::Unreachable),
    (libc::EINVAL, K::Unreachable),
    (libc::ETIMEDOUT, K::TimedOut),
    (libc::EMFILE, K::OutOfResources),
    (libc::ENFILE, K::OutOfResources),
    (libc::ENOBUFS, K::OutOfResources),
    (libc::ENOMEM, K::OutOfResources),
    (libc::ENOSPC, K::OutOfResources),
];

const FATAL: [(i32, ConnectErrorKind); 10] = [
    (libc::EACCES, K::PermissionDenied),
    (libc::EPERM, K::PermissionDenied),
    (libc::EAFNOSUPPORT, K::UnsupportedFamily),
    (libc::EALREADY, K::Other),
    (libc::EBADF, K::Other),
    (libc::EFAULT, K::Other),
    (libc::ENOTSOCK, K::Other),
    (libc::EIO, K::Other),
    (9999, K::Other),
    (-1, K::Other),
];

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn os_failure(kind: ConnectErrorKind, errno: i32) -> Failure {
    Failure {
        kind,
        errno: Some(errno),
        abort_close: false,
    }
}

fn connecting() -> ConnectMachine {
    let mut m = ConnectMachine::new();
    assert_eq!(
        m.handle(ConnectInput::ConnectReturned(libc::EINPROGRESS)),
        Ok(ConnectAction::WaitWritable)
    );
    m
}

fn writable(so_error: i32, local: &str, peer: Result<&str, i32>) -> ConnectInput {
    ConnectInput::Writable {
        so_error,
        local: addr(local),
        peer: peer.map(addr),
    }
}

#[test]
fn starts_idle() {
    let m = ConnectMachine::default();
    assert_eq!(m.state(), ConnectState::Idle);
    assert!(!m.is_finished());
}

#[test]
fn connect_returned_connecting_errnos_wait_for_writable() {
    for errno in CONNECTING {
        let mut m = ConnectMachine::new();
        assert_eq!(
            m.handle(ConnectInput::ConnectReturned(errno)),
            Ok(ConnectAction::WaitWritable)
        );
        assert_eq!(m.state(), ConnectState::Connecting);
        assert!(!m.is_finished());
    }
}

#[test]
fn connect_returned_retry_errnos_close_and_retry() {
    for (errno, kind) in RETRY {
        let mut m = ConnectMachine::new();
        let failure = os_failure(kind, errno);
        assert_eq!(
            m.handle(ConnectInput::ConnectReturned(errno)),
            Ok(ConnectAction::CloseAndRetry(failure))
        );
        assert_eq!(m.state(), ConnectState::Failed(failure));
        assert!(m.is_finished());
        assert!(failure.is_retryable());
    }
}

#[test]
fn connect_returned_fatal_errnos_close_and_fail() {
    for (errno, kind) in FATAL {
        let mut m = ConnectMachine::new();
        let failure = os_failure(kind, errno);
        assert_eq!(
            m.handle(ConnectInput::ConnectReturned(errno)),
            Ok(ConnectAction::CloseAndFail(failure))
        );
        assert_eq!(m.state(), ConnectState::Failed(failure));
        assert!(!failure.is_retryable());
    }
}

#[test]
fn so_error_retry_errnos_close_and_retry() {
    for (errno, kind) in RETRY {
        let mut m = connecting();
        let input = writable(errno, "10.0.0.1:5000", Err(libc::ENOTCONN));
        let failure = os_failure(kind, errno);
        assert_eq!(m.handle(input), Ok(ConnectAction::CloseAndRetry(failure)));
        assert_eq!(m.state(), ConnectState::Failed(failure));
    }
}

#[test]
fn so_error_fatal_errnos_close_and_fail() {
    for (errno, kind) in FATAL {
        let mut m = connecting();
        let input = writable(errno, "10.0.0.1:5000", Err(libc::ENOTCONN));
        assert_eq!(
            m.handle(input),
            Ok(ConnectAction::CloseAndFail(os_failure(kind, errno)))
        );
    }
}

#[test]
fn so_error_zero_with_a_peer_is_connected() {
    let mut m = connecting();
    let done = Connected {
        local: addr("10.0.0.1:5000"),
        peer: addr("10.0.0.2:9981"),
    };
    let action = m.handle(writable(0, "10.0.0.1:5000", Ok("10.0.0.2:9981")));
    assert_eq!(action, Ok(ConnectAction::Done(done)));
    assert_eq!(m.state(), ConnectState::Connected(done));
    assert!(m.is_finished());
}

#[test]
fn so_error_connecting_errnos_go_on_to_the_peer_check() {
    for errno in CONNECTING {
        let mut m = connecting();
        let action = m.handle(writable(errno, "[::1]:5000", Ok("[::1]:9981")));
        assert!(
            matches!(action, Ok(ConnectAction::Done(_))),
            "errno {errno}"
        );
    }
}

#[test]
fn peer_not_connected_yet_waits_again() {
    let mut m = connecting();
    for _ in 0..3 {
        let action = m.handle(writable(0, "10.0.0.1:5000", Err(libc::ENOTCONN)));
        assert_eq!(action, Ok(ConnectAction::WaitWritable));
        assert_eq!(m.state(), ConnectState::Connecting);
    }
    let action = m.handle(writable(0, "10.0.0.1:5000", Ok("10.0.0.2:80")));
    assert!(matches!(action, Ok(ConnectAction::Done(_))));
}

#[test]
fn peer_errors_are_judged_by_the_table() {
    let mut m = connecting();
    let action = m.handle(writable(0, "10.0.0.1:5000", Err(libc::EINTR)));
    assert_eq!(action, Ok(ConnectAction::WaitWritable));
    let action = m.handle(writable(0, "10.0.0.1:5000", Err(libc::ECONNRESET)));
    assert_eq!(
        action,
        Ok(ConnectAction::CloseAndRetry(os_failure(
            K::Refused,
            libc::ECONNRESET
        )))
    );

    let mut m = connecting();
    let action = m.handle(writable(0, "10.0.0.1:5000", Err(libc::EBADF)));
    assert_eq!(
        action,
        Ok(ConnectAction::CloseAndFail(os_failure(
            K::Other,
            libc::EBADF
        )))
    );
}

fn assert_self_connect(local: &str, peer: &str) {
    let mut m = connecting();
    let failure = Failure {
        kind: K::SelfConnect,
        errno: None,
        abort_close: true,
    };
    assert_eq!(
        m.handle(writable(0, local, Ok(peer))),
        Ok(ConnectAction::CloseAndRetry(failure))
    );
    assert_eq!(m.state(), ConnectState::Failed(failure));
    assert!(failure.is_retryable());
    let err = failure.into_error(addr(peer), 5);
    assert_eq!(err.kind(), K::SelfConnect);
    assert_eq!(err.attempt(), 5);
}

#[test]
fn self_connect_ipv4() {
    assert_self_connect("127.0.0.1:40000", "127.0.0.1:40000");
}

#[test]
fn self_connect_ipv6() {
    assert_self_connect("[::1]:40000", "[::1]:40000");
    // Flow info and scope id do not make two ends different.
    assert_self_connect("[fe80::1%2]:40000", "[fe80::1%3]:40000");
}

#[test]
fn self_connect_ipv4_mapped() {
    assert_self_connect("[::ffff:127.0.0.1]:40000", "127.0.0.1:40000");
}

#[test]
fn same_port_or_same_ip_alone_is_not_self_connect() {
    for (local, peer) in [
        ("127.0.0.1:40000", "127.0.0.2:40000"),
        ("127.0.0.1:40000", "127.0.0.1:40001"),
        ("[::1]:40000", "[::2]:40000"),
        ("[::1]:40000", "[::1]:40001"),
        ("[::ffff:127.0.0.1]:40000", "127.0.0.2:40000"),
    ] {
        let mut m = connecting();
        let action = m.handle(writable(0, local, Ok(peer)));
        assert!(
            matches!(action, Ok(ConnectAction::Done(_))),
            "{local} -> {peer}"
        );
    }
}

#[test]
fn unexpected_inputs_are_refused_and_change_nothing() {
    let ready = writable(0, "10.0.0.1:5000", Ok("10.0.0.2:80"));
    let returned = ConnectInput::ConnectReturned(0);

    let mut idle = ConnectMachine::new();
    let err = idle.handle(ready).unwrap_err();
    assert_eq!((err.state(), err.input()), ("Idle", "Writable"));
    assert_eq!(
        err.to_string(),
        "connect state machine got Writable in state Idle"
    );
    assert_eq!(idle.state(), ConnectState::Idle);

    let mut m = connecting();
    let err = m.handle(returned).unwrap_err();
    assert_eq!(
        (err.state(), err.input()),
        ("Connecting", "ConnectReturned")
    );
    assert_eq!(m.state(), ConnectState::Connecting);

    m.handle(ready).unwrap();
    let done = m.state();
    assert_eq!(m.handle(ready).unwrap_err().state(), "Connected");
    assert!(m.handle(returned).is_err());
    assert_eq!(m.state(), done);

    let mut failed = ConnectMachine::new();
    failed
        .handle(ConnectInput::ConnectReturned(libc::ECONNREFUSED))
        .unwrap();
    let state = failed.state();
    assert!(failed.handle(ready).is_err());
    assert_eq!(failed.handle(returned).unwrap_err().state(), "Failed");
    assert_eq!(failed.state(), state);
}

#[test]
fn failures_become_connect_errors() {
    let target = addr("127.0.0.1:9981");
    let err = os_failure(K::Unreachable, libc::EINVAL).into_error(target, 2);
    assert_eq!(err.kind(), K::Unreachable);
    assert_eq!(err.io_error().raw_os_error(), Some(libc::EINVAL));
    assert_eq!(err.addr(), target);
    let timed_out = Failure {
        kind: K::TimedOut,
        errno: None,
        abort_close: false,
    };
    assert_eq!(timed_out.into_error(target, 1).kind(), K::TimedOut);
    let stopped = Failure {
        kind: K::Stopped,
        errno: None,
        abort_close: false,
    };
    assert_eq!(stopped.into_error(target, 1).kind(), K::Stopped);
}
