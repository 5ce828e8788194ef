//! `ConnectError`: display, source, kinds and the `io::Error` conversion.

use super::*;

fn addr() -> SocketAddr {
    "127.0.0.1:9981".parse().unwrap()
}

#[test]
fn display_names_address_attempt_and_cause() {
    let err = ConnectError::from_errno(addr(), 3, ConnectErrorKind::Refused, libc::ECONNREFUSED);
    assert_eq!(
        err.to_string(),
        "connect to 127.0.0.1:9981 failed (attempt 3): connection refused (os error 111)"
    );
    let err = ConnectError::new(
        addr(),
        1,
        ConnectErrorKind::Other,
        io::Error::other("EOF seen"),
    );
    assert_eq!(
        err.to_string(),
        "connect to 127.0.0.1:9981 failed (attempt 1): EOF seen"
    );
    let err = ConnectError::new(addr(), 1, ConnectErrorKind::Other, io::Error::other(""));
    assert_eq!(
        err.to_string(),
        "connect to 127.0.0.1:9981 failed (attempt 1): "
    );
}

#[test]
fn source_is_the_io_error() {
    let err =
        ConnectError::from_errno(addr(), 1, ConnectErrorKind::Unreachable, libc::EHOSTUNREACH);
    let source = err.source().unwrap().downcast_ref::<io::Error>().unwrap();
    assert_eq!(source.raw_os_error(), Some(libc::EHOSTUNREACH));
    assert_eq!(err.io_error().raw_os_error(), Some(libc::EHOSTUNREACH));
    assert_eq!(err.into_io_error().raw_os_error(), Some(libc::EHOSTUNREACH));
}

#[test]
fn converts_to_io_error_with_sensible_kinds() {
    use ConnectErrorKind as K;
    let os = |kind, errno| io::Error::from(ConnectError::from_errno(addr(), 1, kind, errno)).kind();
    let host = io::Error::from_raw_os_error(libc::EHOSTUNREACH).kind();
    let net = io::Error::from_raw_os_error(libc::ENETUNREACH).kind();
    assert_ne!(host, net);
    assert_eq!(
        os(K::Refused, libc::ECONNREFUSED),
        io::ErrorKind::ConnectionRefused
    );
    assert_eq!(
        os(K::Refused, libc::ECONNRESET),
        io::ErrorKind::ConnectionRefused
    );
    assert_eq!(os(K::Unreachable, libc::EHOSTUNREACH), host);
    assert_eq!(os(K::Unreachable, libc::EINVAL), host);
    assert_eq!(os(K::Unreachable, libc::EHOSTDOWN), host);
    assert_eq!(os(K::Unreachable, libc::ENETUNREACH), net);
    assert_eq!(os(K::Unreachable, libc::ENETDOWN), net);
    assert_eq!(os(K::AddrInUse, libc::EADDRINUSE), io::ErrorKind::AddrInUse);
    assert_eq!(
        os(K::AddrNotAvailable, libc::EADDRNOTAVAIL),
        io::ErrorKind::AddrNotAvailable
    );
    assert_eq!(
        os(K::WouldBlock, libc::EAGAIN),
        io::ErrorKind::AddrNotAvailable
    );
    assert_eq!(os(K::TimedOut, libc::ETIMEDOUT), io::ErrorKind::TimedOut);
    assert_eq!(
        os(K::OutOfResources, libc::ENOMEM),
        io::ErrorKind::OutOfMemory
    );
    assert_eq!(
        os(K::OutOfResources, libc::EMFILE),
        io::Error::from_raw_os_error(libc::EMFILE).kind()
    );
    assert_eq!(
        os(K::PermissionDenied, libc::EACCES),
        io::ErrorKind::PermissionDenied
    );
    assert_eq!(
        os(K::UnsupportedFamily, libc::EAFNOSUPPORT),
        io::ErrorKind::Unsupported
    );
    assert_eq!(
        os(K::Other, libc::EFAULT),
        io::Error::from_raw_os_error(libc::EFAULT).kind()
    );
    let kind = |err: ConnectError| io::Error::from(err).kind();
    assert_eq!(
        kind(ConnectError::self_connect(addr(), 2)),
        io::ErrorKind::ConnectionRefused
    );
    assert_eq!(
        kind(ConnectError::timed_out(addr(), 2)),
        io::ErrorKind::TimedOut
    );
    assert_eq!(kind(ConnectError::stopped(addr(), 2)), io::ErrorKind::Other);
}

#[test]
fn io_error_carries_the_connect_error() {
    let io: io::Error = ConnectError::self_connect(addr(), 4).into();
    assert!(io.to_string().contains("127.0.0.1:9981"));
    let inner = io
        .get_ref()
        .unwrap()
        .downcast_ref::<ConnectError>()
        .unwrap();
    assert_eq!(inner.kind(), ConnectErrorKind::SelfConnect);
    assert_eq!(inner.attempt(), 4);
    assert_eq!(inner.addr(), addr());
}

#[test]
fn synthetic_errors_have_their_kinds() {
    let cases = [
        (
            ConnectError::self_connect(addr(), 1),
            ConnectErrorKind::SelfConnect,
            true,
        ),
        (
            ConnectError::timed_out(addr(), 1),
            ConnectErrorKind::TimedOut,
            true,
        ),
        (
            ConnectError::stopped(addr(), 1),
            ConnectErrorKind::Stopped,
            false,
        ),
    ];
    for (err, kind, retryable) in cases {
        assert_eq!(err.kind(), kind);
        assert_eq!(err.is_retryable(), retryable);
        assert_eq!(err.io_error().raw_os_error(), None);
    }
}

#[test]
fn every_kind_has_a_description_and_a_retry_decision() {
    use ConnectErrorKind::*;
    let all = [
        Refused,
        Unreachable,
        AddrInUse,
        AddrNotAvailable,
        WouldBlock,
        SelfConnect,
        TimedOut,
        OutOfResources,
        Resolve,
        PermissionDenied,
        UnsupportedFamily,
        Stopped,
        InvalidAddress,
        Other,
    ];
    assert_eq!(all.iter().filter(|k| k.is_retryable()).count(), 9);
    for kind in all {
        assert!(!kind.to_string().is_empty());
        assert_eq!(kind.to_string(), kind.as_str());
    }
}
