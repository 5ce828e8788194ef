//! The reconnecting client on loopback, on the virtual clock: reconnects
//! after the server closes or restarts, disconnect and stop from another
//! thread, giving up, and a client dropped after a stop.

mod util;

use mudu::net::{
    Backoff, ClientState, ConnectErrorKind, DisconnectReason, Subscription, TcpClient, TcpListener,
    TcpStream,
};
use mudu::time::{self, Instant};
use mudu_timer::TimeDriver;
use std::cell::Cell;
use std::io;
use std::rc::Rc;
use std::time::Duration;
use util::isolated::isolated;
use util::ports::ReservedPort;
use util::DropCounter;

fn paused() -> mudu::Runtime {
    mudu::Runtime::builder().start_paused(true).build().unwrap()
}

/// Reads `states` until the client is gone, noting the virtual time (since
/// `start`) of each.
fn record(
    mut states: Subscription<ClientState>,
    start: Instant,
) -> mudu::JoinHandle<Vec<(u64, ClientState)>> {
    mudu::spawn(async move {
        let mut seen = Vec::new();
        while let Some(state) = states.recv().await {
            seen.push(((Instant::now() - start).as_millis() as u64, state));
        }
        seen
    })
}

/// A compact spelling of a state, for whole-sequence comparisons.
fn short(state: &ClientState) -> String {
    match state {
        ClientState::Connecting => "connecting".into(),
        ClientState::Retrying { delay } => format!("retry {}", delay.as_millis()),
        ClientState::Connected { .. } => "connected".into(),
        ClientState::Disconnected { reason } => match reason {
            DisconnectReason::Closed => "closed".into(),
            DisconnectReason::Error(_) => "error".into(),
            DisconnectReason::Requested => "requested".into(),
            DisconnectReason::Stopped => "stopped".into(),
            DisconnectReason::ConnectFailed(kind) => format!("gave up: {kind}"),
            other => format!("{other}"),
        },
        other => format!("{other}"),
    }
}

/// Waits until the client reports a connection: its handler is then running.
async fn until_connected(states: &mut Subscription<ClientState>) {
    loop {
        match states.recv().await {
            Some(ClientState::Connected { .. }) => return,
            Some(_) => {}
            None => panic!("the client ended before it connected"),
        }
    }
}

/// Reads until end-of-file; returns what it read.
async fn read_to_end(stream: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut all = Vec::new();
    let mut buf = [0; 256];
    loop {
        match stream.read(&mut buf).await? {
            0 => return Ok(all),
            n => all.extend_from_slice(&buf[..n]),
        }
    }
}

/// A client with retry on, running on this loop against `listener`, its handler reading each
/// connection to the end; its states recorded from now on.
struct Retrying {
    handle: mudu::net::ClientHandle,
    states: Subscription<ClientState>,
    recorder: mudu::JoinHandle<Vec<(u64, ClientState)>>,
    running: mudu::JoinHandle<Result<(), mudu::net::ConnectError>>,
    runs: Rc<Cell<usize>>,
}

fn retrying_client(listener: &TcpListener) -> Retrying {
    let mut client = TcpClient::new(listener.local_addr().unwrap()).retry(true);
    let handle = client.handle();
    let recorder = record(handle.states(), Instant::now());
    let states = handle.states();
    let runs = Rc::new(Cell::new(0));
    let counted = runs.clone();
    let running = mudu::spawn(async move {
        let result = client
            .run(|mut stream| {
                counted.set(counted.get() + 1);
                async move { read_to_end(&mut stream).await.map(drop) }
            })
            .await;
        drop(client);
        result
    });
    Retrying {
        handle,
        states,
        recorder,
        running,
        runs,
    }
}

/// The virtual times (ms) at which the client started connecting.
fn connect_times(seen: &[(u64, ClientState)]) -> Vec<u64> {
    seen.iter()
        .filter(|(_, s)| matches!(s, ClientState::Connecting))
        .map(|(at, _)| *at)
        .collect()
}

#[test]
fn a_server_closing_at_once_is_reconnected_on_the_backoff_schedule() {
    paused().block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let Retrying {
            handle,
            mut states,
            recorder,
            running,
            runs,
        } = retrying_client(&listener);

        for _ in 0..3 {
            let (conn, _) = listener.accept().await.unwrap();
            drop(conn); // the server closes; the client comes back
        }
        let (mut last, _) = listener.accept().await.unwrap();
        for _ in 0..4 {
            until_connected(&mut states).await;
        }
        handle.stop();
        running.await.unwrap().unwrap();
        assert_eq!(read_to_end(&mut last).await.unwrap(), b"", "stop closed it");
        assert_eq!(runs.get(), 4);

        let seen = recorder.await.unwrap();
        let names: Vec<String> = seen.iter().map(|(_, s)| short(s)).collect();
        let mut expected: Vec<String> = Vec::new();
        for delay in [500, 1000, 2000] {
            expected.extend(["connecting", "connected", "closed"].map(String::from));
            expected.push(format!("retry {delay}"));
        }
        expected.extend(["connecting", "connected", "stopped"].map(String::from));
        assert_eq!(names, expected);
        // Each connection ended at once, so each reconnect waited like a failed connect.
        assert_eq!(connect_times(&seen), [0, 500, 1500, 3500]);
    });
}

#[test]
fn a_connection_that_lasted_is_reconnected_at_once() {
    paused().block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let Retrying {
            handle,
            mut states,
            recorder,
            running,
            ..
        } = retrying_client(&listener);
        for _ in 0..2 {
            let (conn, _) = listener.accept().await.unwrap();
            // Up for longer than the schedule's initial delay: the server is fine, come back at once.
            time::sleep(Duration::from_secs(2)).await;
            drop(conn);
        }
        let (_last, _) = listener.accept().await.unwrap();
        for _ in 0..3 {
            until_connected(&mut states).await;
        }
        handle.stop();
        running.await.unwrap().unwrap();
        let seen = recorder.await.unwrap();
        let names: Vec<String> = seen.iter().map(|(_, s)| short(s)).collect();
        let mut expected = Vec::new();
        for _ in 0..2 {
            expected.extend(["connecting", "connected", "closed"]);
        }
        expected.extend(["connecting", "connected", "stopped"]);
        assert_eq!(names, expected);
        assert_eq!(connect_times(&seen), [0, 2000, 4000]);
    });
}

/// In a process of its own: a test beside it that starts a child process
/// would hold a copy of the closed listener's descriptor until the child's
/// `exec`, and the first reconnect could still reach it.
#[test]
fn a_server_back_after_10s_is_reconnected_on_the_backoff_schedule() {
    isolated(
        "a_server_back_after_10s_is_reconnected_on_the_backoff_schedule",
        || {
            paused().block_on(async {
                let port = ReservedPort::new();
                let addr = port.addr();
                let listener = TcpListener::bind(addr).await.unwrap();
                let mut client = TcpClient::new(addr).retry(true);
                let handle = client.handle();
                let mut states = handle.states();
                let running = mudu::spawn(async move {
                    let result = client
                        .run(|mut stream| async move { read_to_end(&mut stream).await.map(drop) })
                        .await;
                    drop(client);
                    result
                });
                let (conn, _) = listener.accept().await.unwrap();
                until_connected(&mut states).await;
                // Up long enough that its end is not paced as a failed connect.
                time::sleep(Duration::from_secs(1)).await;

                // The server goes away; it is back 10 s later on the same port.
                let start = Instant::now();
                let recorder = record(handle.states(), start);
                drop((conn, listener));
                time::sleep(Duration::from_secs(10)).await;
                let listener = TcpListener::bind(addr).await.unwrap();
                let (_conn, _) = listener.accept().await.unwrap();
                assert_eq!(Instant::now() - start, Duration::from_millis(15_500));
                until_connected(&mut states).await;
                handle.stop();
                running.await.unwrap().unwrap();

                let seen = recorder.await.unwrap();
                let states: Vec<(u64, String)> =
                    seen.iter().map(|(at, s)| (*at, short(s))).collect();
                let expected: Vec<(u64, String)> = [
                    (0, "closed"),
                    (0, "connecting"),
                    (0, "retry 500"),
                    (500, "connecting"),
                    (500, "retry 1000"),
                    (1_500, "connecting"),
                    (1_500, "retry 2000"),
                    (3_500, "connecting"),
                    (3_500, "retry 4000"),
                    (7_500, "connecting"),
                    (7_500, "retry 8000"),
                    (15_500, "connecting"),
                    (15_500, "connected"),
                    (15_500, "stopped"),
                ]
                .into_iter()
                .map(|(at, s)| (at, s.to_string()))
                .collect();
                assert_eq!(states, expected);
            });
        },
    );
}

/// `disconnect()` half-closes: the server reads end-of-file, the handler
/// still reads what the server sends afterwards, and no reconnect follows.
#[test]
fn disconnect_from_another_thread_half_closes_and_ends_run() {
    paused().block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = TcpClient::new(listener.local_addr().unwrap()).retry(true);
        let handle = client.handle();
        let recorder = record(handle.states(), Instant::now());
        let mut states = handle.states();
        let running = mudu::spawn(async move {
            let result = client
                .run(|mut stream| async move {
                    let heard = read_to_end(&mut stream).await?;
                    assert_eq!(heard, b"last words");
                    Ok(())
                })
                .await;
            drop(client);
            result
        });
        let (mut conn, _) = listener.accept().await.unwrap();
        until_connected(&mut states).await;

        let remote = handle.clone();
        let thread = std::thread::spawn(move || remote.disconnect());
        assert_eq!(read_to_end(&mut conn).await.unwrap(), b"", "half-closed");
        thread.join().unwrap();
        conn.write_all(b"last words").await.unwrap();
        drop(conn);
        running.await.unwrap().unwrap();

        let seen = recorder.await.unwrap();
        let names: Vec<String> = seen.iter().map(|(_, s)| short(s)).collect();
        assert_eq!(names, ["connecting", "connected", "requested"]);
    });
}

/// A handler blocked writing to a server that reads nothing: `disconnect()`
/// half-closes, its write fails with `EPIPE`, and that is the disconnect's
/// doing: reported as `Requested`, not as an error.
#[test]
fn disconnect_of_a_writing_handler_is_requested_not_an_error() {
    paused().block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = TcpClient::new(listener.local_addr().unwrap()).retry(true);
        let handle = client.handle();
        let recorder = record(handle.states(), Instant::now());
        let mut states = handle.states();
        let blocked = Rc::new(Cell::new(false));
        let is_blocked = Rc::clone(&blocked);
        let running = mudu::spawn(async move {
            let result = client
                .run(|stream| {
                    let blocked = Rc::clone(&blocked);
                    async move {
                        let chunk = vec![1u8; 64 * 1024];
                        loop {
                            match stream.try_write(&chunk) {
                                Ok(_) => continue,
                                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                                Err(e) => return Err(e),
                            }
                            blocked.set(true);
                            stream.writable().await?;
                        }
                    }
                })
                .await;
            drop(client);
            result
        });
        let (_conn, _) = listener.accept().await.unwrap();
        until_connected(&mut states).await;
        // The server reads nothing: the handler fills both buffers and waits to write.
        while !is_blocked.get() {
            mudu::task::yield_now().await;
        }
        handle.disconnect();
        running.await.unwrap().unwrap();

        let seen = recorder.await.unwrap();
        let names: Vec<String> = seen.iter().map(|(_, s)| short(s)).collect();
        assert_eq!(names, ["connecting", "connected", "requested"]);
    });
}

#[test]
fn stop_from_another_thread_drops_the_handler_and_closes_the_connection() {
    isolated(
        "stop_from_another_thread_drops_the_handler_and_closes_the_connection",
        || {
            paused().block_on(async {
                let fds = util::open_fds();
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let mut client = TcpClient::new(listener.local_addr().unwrap()).retry(true);
                let handle = client.handle();
                let recorder = record(handle.states(), Instant::now());
                let mut states = handle.states();
                let drops = DropCounter::default();
                let token_source = drops.clone();
                let running = mudu::spawn(async move {
                    let result = client
                        .run(|mut stream| {
                            let token = token_source.token();
                            async move {
                                let _token = token;
                                read_to_end(&mut stream).await.map(drop)
                            }
                        })
                        .await;
                    drop(client);
                    result
                });
                let (mut conn, _) = listener.accept().await.unwrap();
                until_connected(&mut states).await;

                let thread = std::thread::spawn(move || handle.stop());
                assert_eq!(read_to_end(&mut conn).await.unwrap(), b"", "closed by stop");
                thread.join().unwrap();
                running.await.unwrap().unwrap();
                assert_eq!(drops.dropped(), 1, "the handler future was dropped");

                let seen = recorder.await.unwrap();
                let names: Vec<String> = seen.iter().map(|(_, s)| short(s)).collect();
                assert_eq!(names, ["connecting", "connected", "stopped"]);
                drop((conn, listener));
                assert_eq!(util::open_fds(), fds);
            });
        },
    );
}

/// muduo's defects: stop() leaving the retry timer armed, and a stopped
/// client that crashes when destroyed.
#[test]
fn a_client_stopped_while_retrying_leaves_no_timer_and_drops_cleanly() {
    paused().block_on(async {
        let port = ReservedPort::new();
        let mut client = TcpClient::new(port.addr()).retry(true);
        let handle = client.handle();
        let mut states = handle.states();
        let running = mudu::spawn(async move {
            let result = client.run(|_stream| async { Ok(()) }).await;
            (result, client)
        });
        loop {
            if let Some(ClientState::Retrying { .. }) = states.recv().await {
                break;
            }
        }
        let driver = TimeDriver::current().unwrap();
        assert_eq!(driver.pending_timers(), 1);
        handle.stop();
        let (result, client) = running.await.unwrap();
        result.unwrap();
        assert_eq!(driver.pending_timers(), 0);
        assert!(matches!(
            states.recv().await,
            Some(ClientState::Disconnected {
                reason: DisconnectReason::Stopped
            })
        ));

        drop(client);
        handle.stop(); // reaches no one
        handle.disconnect();
        assert!(
            states.recv().await.is_none(),
            "the stream ends with the client"
        );
        assert!(handle.states().recv().await.is_none());
    });
}

/// muduo's third defect: the caller never learns that connecting failed.
#[test]
fn run_returns_the_error_when_connecting_gives_up() {
    paused().block_on(async {
        let port = ReservedPort::new();
        let mut client = TcpClient::new(port.addr()).backoff(Backoff::default().max_attempts(2));
        let start = Instant::now();
        let recorder = record(client.states(), start);
        let err = client.run(|_stream| async { Ok(()) }).await.unwrap_err();
        drop(client);
        assert_eq!(err.kind(), ConnectErrorKind::Refused);
        assert_eq!(err.attempt(), 2);
        let seen = recorder.await.unwrap();
        let states: Vec<(u64, String)> = seen.iter().map(|(at, s)| (*at, short(s))).collect();
        assert_eq!(
            states,
            [
                (0, "connecting".to_string()),
                (0, "retry 500".to_string()),
                (500, "connecting".to_string()),
                (500, "gave up: connection refused".to_string()),
            ]
        );
    });
}

#[test]
fn without_retry_run_returns_when_the_handler_does() {
    paused().block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = TcpClient::new(listener.local_addr().unwrap());
        let recorder = record(client.states(), Instant::now());
        let server = mudu::spawn(async move {
            let (conn, _) = listener.accept().await.unwrap();
            drop(conn);
        });
        client
            .run(|_stream| async { Err(io::Error::other("handler failed")) })
            .await
            .unwrap();
        drop(client);
        server.await.unwrap();
        let seen = recorder.await.unwrap();
        let names: Vec<String> = seen.iter().map(|(_, s)| short(s)).collect();
        assert_eq!(names, ["connecting", "connected", "error"]);
        let (_, last) = seen.last().unwrap();
        assert_eq!(last.to_string(), "disconnected (error: handler failed)");
    });
}

#[test]
fn handles_and_state_streams_cross_threads() {
    fn send_sync<T: Send + Sync + Clone>() {}
    fn send<T: Send>() {}
    send_sync::<mudu::net::ClientHandle>();
    send_sync::<mudu::net::ConnectorHandle>();
    send::<Subscription<ClientState>>();
    send::<Subscription<mudu::net::ConnectorEvent>>();
}
