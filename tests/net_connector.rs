//! The connector's retry loop on loopback, on the virtual clock: the
//! schedule, stop (in a wait, with a completing handshake, from another
//! thread), restart, self-connects, fatal errors, the attempts limit and
//! the deadline.

mod util;

use mudu::net::{
    Backoff, ConnectErrorKind, Connector, ConnectorEvent, Subscription, TcpListener, TcpSocket,
};
use mudu::time::{self, Instant};
use mudu_timer::TimeDriver;
use std::time::Duration;
use util::isolated::isolated;
use util::ports::ReservedPort;

fn paused() -> mudu::Runtime {
    mudu::Runtime::builder().start_paused(true).build().unwrap()
}

fn ms(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

fn pending_timers() -> usize {
    TimeDriver::current().unwrap().pending_timers()
}

/// Reads `events` until the publisher is gone, noting the virtual time
/// (since `start`) at which each arrived.
fn record(
    mut events: Subscription<ConnectorEvent>,
    start: Instant,
) -> mudu::JoinHandle<Vec<(Duration, ConnectorEvent)>> {
    mudu::spawn(async move {
        let mut seen = Vec::new();
        while let Some(event) = events.recv().await {
            seen.push((Instant::now() - start, event));
        }
        seen
    })
}

fn attempt_times(seen: &[(Duration, ConnectorEvent)]) -> Vec<u64> {
    seen.iter()
        .filter(|(_, e)| matches!(e, ConnectorEvent::Attempt { .. }))
        .map(|(at, _)| at.as_millis() as u64)
        .collect()
}

/// Waits for the first `RetryScheduled` event: the connector is then in its
/// retry wait (it publishes the event and starts the wait in one poll).
async fn until_retry_wait(events: &mut Subscription<ConnectorEvent>) -> Duration {
    loop {
        match events.recv().await {
            Some(ConnectorEvent::RetryScheduled { delay, .. }) => return delay,
            Some(_) => {}
            None => panic!("the connector ended before it waited"),
        }
    }
}

#[test]
fn no_listener_follows_the_default_schedule_until_the_attempts_limit() {
    paused().block_on(async {
        let port = ReservedPort::new();
        let addr = port.addr();
        let mut connector = Connector::new(addr).backoff(Backoff::default().max_attempts(8));
        let start = Instant::now();
        let first = record(connector.events(), start);
        let second = record(connector.events(), start);
        let err = connector.connect().await.unwrap_err();
        assert_eq!(Instant::now() - start, ms(61_500));
        drop(connector);

        assert_eq!(err.kind(), ConnectErrorKind::Refused);
        assert_eq!(err.attempt(), 8);
        let seen = first.await.unwrap();
        assert_eq!(
            attempt_times(&seen),
            [0, 500, 1_500, 3_500, 7_500, 15_500, 31_500, 61_500]
        );
        let delays: Vec<u64> = seen
            .iter()
            .filter_map(|(_, e)| match *e {
                ConnectorEvent::RetryScheduled { delay, .. } => {
                    let line = format!("retry connecting to {addr} in {} ms", delay.as_millis());
                    assert_eq!(e.to_string(), line);
                    Some(delay.as_millis() as u64)
                }
                _ => None,
            })
            .collect();
        assert_eq!(delays, [500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000]);
        let failures = seen
            .iter()
            .filter(|(_, e)| {
                matches!(
                    e,
                    ConnectorEvent::Failed {
                        kind: ConnectErrorKind::Refused,
                        ..
                    }
                )
            })
            .count();
        assert_eq!(failures, 8);
        // Each subscriber gets every event.
        assert_eq!(second.await.unwrap(), seen);
    });
}

#[test]
fn a_listener_that_appears_at_20s_is_connected_at_31_5s() {
    paused().block_on(async {
        let port = ReservedPort::new();
        let addr = port.addr();
        let mut connector = Connector::new(addr);
        let start = Instant::now();
        let recorder = record(connector.events(), start);
        let client = mudu::spawn(async move {
            let result = connector.connect().await;
            (result, Instant::now() - start)
        });

        time::sleep(Duration::from_secs(20)).await;
        let listener = TcpListener::bind(addr).await.unwrap();
        let (_server, peer) = listener.accept().await.unwrap();
        assert_eq!(Instant::now() - start, ms(31_500));

        let (stream, at) = client.await.unwrap();
        let stream = stream.unwrap();
        assert_eq!(at, ms(31_500));
        assert_eq!(stream.local_addr().unwrap(), peer);
        let seen = recorder.await.unwrap();
        assert_eq!(
            attempt_times(&seen),
            [0, 500, 1_500, 3_500, 7_500, 15_500, 31_500]
        );
        let (at, last) = *seen.last().unwrap();
        assert_eq!(at, ms(31_500));
        assert_eq!(
            last,
            ConnectorEvent::Connected {
                local: peer,
                peer: addr,
                attempt: 7
            }
        );
    });
}

#[test]
fn stop_during_a_retry_wait_returns_at_once_and_leaves_nothing_behind() {
    isolated(
        "stop_during_a_retry_wait_returns_at_once_and_leaves_nothing_behind",
        || {
            paused().block_on(async {
                let fds = util::open_fds();
                let port = ReservedPort::new();
                let mut connector = Connector::new(port.addr());
                let handle = connector.handle();
                let mut events = connector.events();
                let client = mudu::spawn(async move {
                    let result = connector.connect().await;
                    (result, Instant::now())
                });

                assert_eq!(until_retry_wait(&mut events).await, ms(500));
                assert_eq!(pending_timers(), 1, "the retry wait is on the wheel");
                let stopped_at = Instant::now();
                handle.stop();
                let (result, at) = client.await.unwrap();
                let err = result.unwrap_err();
                assert_eq!(err.kind(), ConnectErrorKind::Stopped);
                assert_eq!(err.attempt(), 1);
                assert_eq!(at, stopped_at, "no virtual time passed");
                assert_eq!(pending_timers(), 0, "the retry timer left the wheel");
                assert!(handle.is_stopped());
                // No attempt after the stop; the stream ended with the connector.
                assert_eq!(events.recv().await, None);
                drop(port);
                assert_eq!(util::open_fds(), fds);
            });
        },
    );
}

/// muduo's `TcpClient_reg1`: `stop()` runs in the same loop iteration as the
/// event that completes the handshake. The late socket must be closed, not
/// handed out.
#[test]
fn stop_in_the_iteration_the_handshake_completes_closes_the_late_socket() {
    isolated(
        "stop_in_the_iteration_the_handshake_completes_closes_the_late_socket",
        || {
            paused().block_on(async {
                let fds = util::open_fds();
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let mut connector = Connector::new(listener.local_addr().unwrap());
                let handle = connector.handle();
                let client = mudu::spawn(async move { connector.connect().await });

                // The accept and the connector's writable event come from the same
                // poll; this (`block_on`'s) future runs first in the iteration.
                let (mut server, _) = listener.accept().await.unwrap();
                handle.stop();
                let err = client.await.unwrap().unwrap_err();
                assert_eq!(err.kind(), ConnectErrorKind::Stopped);
                let mut buf = [0; 1];
                assert_eq!(
                    server.read(&mut buf).await.unwrap(),
                    0,
                    "the late socket was closed"
                );
                drop((server, listener));
                assert_eq!(util::open_fds(), fds);
            });
        },
    );
}

#[test]
fn stop_from_another_thread_ends_connect() {
    isolated("stop_from_another_thread_ends_connect", || {
        paused().block_on(async {
            let fds = util::open_fds();
            let port = ReservedPort::new();
            let mut connector = Connector::new(port.addr());
            let handle = connector.handle();
            let mut events = connector.events();
            let client = mudu::spawn(async move { connector.connect().await });
            until_retry_wait(&mut events).await;

            // The loop keeps retrying on the virtual clock until the stop lands.
            let stopper = std::thread::spawn(move || handle.stop());
            let err = client.await.unwrap().unwrap_err();
            stopper.join().unwrap();
            assert_eq!(err.kind(), ConnectErrorKind::Stopped);
            assert_eq!(pending_timers(), 0);
            drop(port);
            assert_eq!(util::open_fds(), fds);
        });
    });
}

#[test]
fn a_stopped_connector_returns_at_once_until_restarted() {
    paused().block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut connector = Connector::new(listener.local_addr().unwrap());
        let handle = connector.handle();
        handle.stop();
        let mut events = connector.events();
        let err = connector.connect().await.unwrap_err();
        assert_eq!(err.kind(), ConnectErrorKind::Stopped);
        assert_eq!(events.try_recv(), None, "no attempt was made");

        handle.restart();
        assert!(!handle.is_stopped());
        let stream = connector.connect().await.unwrap();
        assert_eq!(stream.peer_addr().unwrap(), listener.local_addr().unwrap());
    });
}

#[test]
fn restart_cuts_a_retry_wait_short_and_starts_the_schedule_over() {
    paused().block_on(async {
        let port = ReservedPort::new();
        let hour = Duration::from_secs(3600);
        let backoff = Backoff::default().initial_delay(hour).max_delay(hour);
        let mut connector = Connector::new(port.addr()).backoff(backoff);
        let handle = connector.handle();
        let mut events = connector.events();
        let client = mudu::spawn(async move { connector.connect().await });

        assert_eq!(
            until_retry_wait(&mut events).await,
            Duration::from_secs(3600)
        );
        let restarted_at = Instant::now();
        handle.restart();
        let event = events.recv().await.unwrap();
        assert!(matches!(event, ConnectorEvent::Attempt { attempt: 1, .. }));
        assert_eq!(
            Instant::now(),
            restarted_at,
            "the next attempt started at once"
        );
        until_retry_wait(&mut events).await;
        handle.stop();
        let err = client.await.unwrap().unwrap_err();
        assert_eq!(err.kind(), ConnectErrorKind::Stopped);
    });
}

#[test]
fn dropping_the_connect_future_cancels_its_timer_and_socket() {
    isolated(
        "dropping_the_connect_future_cancels_its_timer_and_socket",
        || {
            paused().block_on(async {
                let fds = util::open_fds();
                let port = ReservedPort::new();
                let mut connector = Connector::new(port.addr());
                let mut events = connector.events();
                let client = mudu::spawn(async move { connector.connect().await });
                until_retry_wait(&mut events).await;
                assert_eq!(pending_timers(), 1);
                client.abort();
                assert!(client.await.unwrap_err().is_cancelled());
                assert_eq!(pending_timers(), 0);
                assert_eq!(events.recv().await, None);
                drop(port);
                assert_eq!(util::open_fds(), fds);
            });
        },
    );
}

/// A socket bound to the port it connects to meets itself (the kernel's
/// simultaneous open); the socket factory makes one on every attempt. In a
/// process of its own: a test beside it that starts a child process would
/// hold a copy of each attempt's descriptor until the child's `exec`, and
/// the next attempt would find the previous one's connection still there
/// (`EADDRNOTAVAIL`).
#[test]
fn a_self_connect_is_retried_and_never_returned() {
    isolated("a_self_connect_is_retried_and_never_returned", || {
        paused().block_on(async {
            let port = ReservedPort::new();
            let addr = port.addr();
            let mut connector = Connector::new(addr)
                .backoff(Backoff::default().max_attempts(3))
                .socket(move || {
                    let socket = TcpSocket::new_v4()?;
                    socket.set_reuseaddr(true)?;
                    socket.bind(addr)?;
                    Ok(socket)
                });
            let start = Instant::now();
            let recorder = record(connector.events(), start);
            let err = connector.connect().await.unwrap_err();
            drop(connector);
            assert_eq!(err.kind(), ConnectErrorKind::SelfConnect);
            assert_eq!(err.attempt(), 3);
            let seen = recorder.await.unwrap();
            let kinds: Vec<_> = seen
                .iter()
                .filter_map(|(_, e)| match e {
                    ConnectorEvent::Failed { kind, .. } => Some(*kind),
                    _ => None,
                })
                .collect();
            assert_eq!(kinds, [ConnectErrorKind::SelfConnect; 3]);
            assert_eq!(attempt_times(&seen), [0, 500, 1_500]);
        });
    });
}

/// An IPv4 socket cannot connect to an IPv6 address (`EAFNOSUPPORT`): a
/// fatal error, returned by the first attempt with no retry scheduled.
#[test]
fn a_fatal_error_is_returned_on_the_first_attempt() {
    paused().block_on(async {
        let target = "[::1]:9".parse().unwrap();
        let mut connector = Connector::new(target).socket(TcpSocket::new_v4);
        let mut events = connector.events();
        let start = Instant::now();
        let err = connector.connect().await.unwrap_err();
        assert_eq!(err.kind(), ConnectErrorKind::UnsupportedFamily);
        assert_eq!(err.io_error().raw_os_error(), Some(libc::EAFNOSUPPORT));
        assert_eq!(err.attempt(), 1);
        assert_eq!(Instant::now(), start);
        assert_eq!(pending_timers(), 0);
        assert_eq!(
            events.try_recv(),
            Some(ConnectorEvent::Attempt {
                addr: target,
                attempt: 1
            })
        );
        assert_eq!(
            events.try_recv(),
            Some(ConnectorEvent::Failed {
                addr: target,
                attempt: 1,
                kind: ConnectErrorKind::UnsupportedFamily
            })
        );
        assert_eq!(events.try_recv(), None);
    });
}

#[test]
fn the_deadline_ends_the_retries_with_the_last_error() {
    paused().block_on(async {
        let port = ReservedPort::new();
        // 0.5 + 1 + 2 + 4 = 7.5 s; the next attempt would start at 15.5 s.
        let backoff = Backoff::default().deadline(Duration::from_secs(10));
        let mut connector = Connector::new(port.addr()).backoff(backoff);
        let start = Instant::now();
        let recorder = record(connector.events(), start);
        let err = connector.connect().await.unwrap_err();
        assert_eq!(Instant::now() - start, ms(7_500));
        drop(connector);
        assert_eq!(err.kind(), ConnectErrorKind::Refused);
        assert_eq!(err.attempt(), 5);
        let seen = recorder.await.unwrap();
        assert_eq!(attempt_times(&seen), [0, 500, 1_500, 3_500, 7_500]);
    });
}

#[test]
fn each_connect_starts_the_schedule_over() {
    paused().block_on(async {
        let port = ReservedPort::new();
        let mut connector = Connector::new(port.addr()).backoff(Backoff::default().max_attempts(2));
        for _ in 0..2 {
            let start = Instant::now();
            let err = connector.connect().await.unwrap_err();
            assert_eq!(err.attempt(), 2);
            assert_eq!(Instant::now() - start, ms(500));
        }
    });
}
