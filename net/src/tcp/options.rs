//! The socket options whose values mudu checks before the kernel sees them.
//!
//! Rules: a value the kernel would take but that cannot work on a loop (a non-zero `SO_LINGER`, whose
//! `close()` blocks the loop's thread), or that it would silently cut to whole seconds, is refused or
//! rounded here, before any option changes, so an error leaves the socket as it was.

use socket2::{SockRef, TcpKeepalive};
use std::io;
use std::time::Duration;

/// The longest keepalive idle time Linux takes (`MAX_TCP_KEEPIDLE`), in seconds.
const MAX_KEEPALIVE_IDLE_SECS: u64 = 32_767;

/// Sets `SO_LINGER`: `None` turns it off (a graceful close in the background), `Some(Duration::ZERO)`
/// makes the close send a reset and drop unsent data. Any other time is refused with
/// `InvalidInput`: Linux's `close()` then waits up to that long for unsent data even on a
/// non-blocking socket, which would stall every task and timer of the loop.
pub(crate) fn set_linger(sock: SockRef<'_>, linger: Option<Duration>) -> io::Result<()> {
    match linger {
        Some(time) if !time.is_zero() => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "a linger of {time:?} would block the loop's thread in close(); \
                 use Some(Duration::ZERO) to reset the connection, or shut down the \
                 write side and read to end-of-file to close it gracefully"
            ),
        )),
        linger => sock.set_linger(linger),
    }
}

/// TCP keepalive: `Some(idle)` turns `SO_KEEPALIVE` on and probes after `idle` without traffic,
/// rounded up to whole seconds (at least one), which is what the kernel counts; `None` turns it
/// off. An idle time above the kernel's limit (32,767 s) is refused with `InvalidInput` and changes
/// nothing.
pub(crate) fn set_keepalive(sock: SockRef<'_>, idle: Option<Duration>) -> io::Result<()> {
    let Some(idle) = idle else {
        return sock.set_keepalive(false);
    };
    let secs = idle
        .as_secs()
        .saturating_add(u64::from(idle.subsec_nanos() > 0))
        .max(1);
    if secs > MAX_KEEPALIVE_IDLE_SECS {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "a keepalive idle time of {idle:?} is above the kernel's limit of \
                 {MAX_KEEPALIVE_IDLE_SECS} s"
            ),
        ));
    }
    let was_on = sock.keepalive()?;
    let set = sock.set_tcp_keepalive(&TcpKeepalive::new().with_time(Duration::from_secs(secs)));
    if set.is_err() && !was_on {
        // `SO_KEEPALIVE` goes on before the idle time is set: do not leave it on with the default.
        let _ = sock.set_keepalive(false);
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};

    fn stream() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        (client, server)
    }

    #[test]
    fn a_non_zero_linger_is_refused_and_changes_nothing() {
        let (client, _server) = stream();
        for time in [Duration::from_millis(500), Duration::from_secs(2)] {
            let err = set_linger(SockRef::from(&client), Some(time)).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
            assert_eq!(SockRef::from(&client).linger().unwrap(), None);
        }
        set_linger(SockRef::from(&client), Some(Duration::ZERO)).unwrap();
        assert_eq!(
            SockRef::from(&client).linger().unwrap(),
            Some(Duration::ZERO)
        );
        set_linger(SockRef::from(&client), None).unwrap();
        assert_eq!(SockRef::from(&client).linger().unwrap(), None);
    }

    #[test]
    fn keepalive_idle_is_rounded_up_to_whole_seconds() {
        let (client, _server) = stream();
        let sock = SockRef::from(&client);
        for (idle, secs) in [(0, 1), (1, 1), (500, 1), (1_000, 1), (1_001, 2), (2_500, 3)] {
            set_keepalive(SockRef::from(&client), Some(Duration::from_millis(idle))).unwrap();
            assert!(sock.keepalive().unwrap());
            assert_eq!(sock.keepalive_time().unwrap(), Duration::from_secs(secs));
        }
        set_keepalive(SockRef::from(&client), None).unwrap();
        assert!(!sock.keepalive().unwrap());
    }

    #[test]
    fn a_keepalive_idle_above_the_kernel_limit_is_refused_and_changes_nothing() {
        let (client, _server) = stream();
        let sock = SockRef::from(&client);
        let too_long = Duration::from_secs(MAX_KEEPALIVE_IDLE_SECS + 1);
        let err = set_keepalive(SockRef::from(&client), Some(too_long)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(!sock.keepalive().unwrap());
        let longest = Duration::from_secs(MAX_KEEPALIVE_IDLE_SECS);
        set_keepalive(SockRef::from(&client), Some(longest)).unwrap();
        assert_eq!(sock.keepalive_time().unwrap(), longest);
    }
}
