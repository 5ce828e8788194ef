//! The reconnecting client never holds a connection open that its handler closed: the descriptor it
//! keeps for `disconnect`'s half-close goes as soon as the handler's stream does, whether the handler
//! dropped it or a task it handed the stream to did.

mod util;

use mudu::net::{ClientHandle, ConnectError, TcpClient, TcpListener, TcpStream};
use mudu::time;
use std::cell::Cell;
use std::future::Future;
use std::io;
use std::rc::Rc;
use std::time::Duration;

fn paused() -> mudu::Runtime {
    mudu::Runtime::builder().start_paused(true).build().unwrap()
}

/// A client (retry off) running on one connection to a fresh local listener.
struct Started {
    handle: ClientHandle,
    running: mudu::JoinHandle<Result<(), ConnectError>>,
    /// The server's side of the connection.
    conn: TcpStream,
}

/// Starts a client whose handler `make_handler` builds (given the client's handle), and accepts its
/// connection.
async fn start<H, F>(make_handler: impl FnOnce(ClientHandle) -> H) -> Started
where
    H: Fn(TcpStream) -> F + 'static,
    F: Future<Output = io::Result<()>> + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut client = TcpClient::new(listener.local_addr().unwrap());
    let handle = client.handle();
    let handler = make_handler(handle.clone());
    let running = mudu::spawn(async move { client.run(handler).await });
    let (conn, _) = listener.accept().await.unwrap();
    Started {
        handle,
        running,
        conn,
    }
}

/// Runs a client whose handler is `handler` and returns what the server's first read gets: 0
/// (end-of-file) once the connection is closed. The handler never returns.
fn server_read_after<H, F>(handler: H) -> usize
where
    H: Fn(TcpStream) -> F + 'static,
    F: Future<Output = io::Result<()>> + 'static,
{
    paused().block_on(async move {
        let mut started = start(|_| handler).await;
        let mut buf = [0u8; 8];
        let n = started.conn.read(&mut buf).await.unwrap();
        started.handle.stop();
        started.running.await.unwrap().unwrap();
        n
    })
}

#[test]
fn a_handler_that_drops_its_stream_closes_the_connection_while_it_runs_on() {
    let n = util::finishes("a handler dropping its stream", 30, || {
        server_read_after(|stream| async move {
            drop(stream);
            std::future::pending::<()>().await;
            Ok(())
        })
    });
    assert_eq!(n, 0, "the server reads end-of-file");
}

#[test]
fn a_stream_dropped_by_another_task_closes_the_connection() {
    let n = util::finishes("a stream dropped by another task", 30, || {
        server_read_after(|stream| async move {
            // The handler itself waits on nothing that will wake it: only the stream's release can.
            drop(mudu::spawn(async move {
                let _stream = stream;
                time::sleep(Duration::from_secs(1)).await;
            }));
            std::future::pending::<()>().await;
            Ok(())
        })
    });
    assert_eq!(n, 0, "the server reads end-of-file");
}

#[test]
fn disconnect_ends_a_handler_that_turned_its_stream_into_a_std_one() {
    // The handler moves the socket out of the client's reach (`into_std`) and then waits for the
    // server to close; nothing is left for `disconnect` to half-close, so it ends the handler.
    util::finishes("disconnect after into_std", 30, || {
        paused().block_on(async {
            let moved = Rc::new(Cell::new(false));
            let flag = Rc::clone(&moved);
            let Started {
                handle,
                running,
                mut conn,
            } = start(|_| {
                move |stream: TcpStream| {
                    let flag = Rc::clone(&flag);
                    async move {
                        let mut stream = TcpStream::from_std(stream.into_std()?)?;
                        flag.set(true);
                        let mut buf = [0u8; 8];
                        while stream.read(&mut buf).await? != 0 {}
                        Ok(())
                    }
                }
            })
            .await;
            while !moved.get() {
                mudu::task::yield_now().await;
            }
            handle.disconnect();
            running.await.unwrap().unwrap();
            let mut buf = [0u8; 8];
            assert_eq!(
                conn.read(&mut buf).await.unwrap(),
                0,
                "the connection closed"
            );
        })
    });
}

#[test]
fn disconnect_in_the_same_turn_as_another_task_drops_the_stream_ends_run() {
    // Both wakes (the release and the disconnect) reach the client before it runs again: it must see
    // the stream gone, and end the handler rather than wait on it.
    util::finishes("disconnect in the turn the stream went", 30, || {
        paused().block_on(async {
            let started = start(|handle| {
                move |stream: TcpStream| {
                    let handle = handle.clone();
                    async move {
                        drop(mudu::spawn(async move {
                            drop(stream);
                            handle.disconnect();
                        }));
                        std::future::pending::<()>().await;
                        Ok(())
                    }
                }
            })
            .await;
            started.running.await.unwrap().unwrap();
        })
    });
}
