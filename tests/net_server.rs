//! `TcpServer`: connections on the accepting loop or spread over a pool of loops.

mod util;

use mudu::net::TcpServer;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::rc::Rc;

/// Connects `n` clients one after the other; each sends one byte and reads until the server closes.
fn clients(addr: SocketAddr, n: usize) -> std::thread::JoinHandle<Vec<String>> {
    std::thread::spawn(move || {
        (0..n)
            .map(|_| {
                let mut c = TcpStream::connect(addr).unwrap();
                c.write_all(b"?").unwrap();
                let mut reply = String::new();
                c.read_to_string(&mut reply).unwrap();
                reply
            })
            .collect()
    })
}

/// Replies with the name of the thread the handler runs on, then closes.
async fn thread_name(mut stream: mudu::net::TcpStream, _peer: SocketAddr) {
    let mut byte = [0u8; 1];
    if stream.read_exact(&mut byte).await.is_ok() {
        // Not `Send`: the handler's future is built and run on the connection's own loop.
        let name = Rc::new(std::thread::current().name().unwrap_or("").to_owned());
        let _ = stream.write_all(name.as_bytes()).await;
    }
}

#[test]
fn without_a_pool_connections_stay_on_the_accepting_loop() {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("acceptor".into())
        .spawn(move || {
            mudu::block_on(async move {
                let server = TcpServer::bind("127.0.0.1:0").await?.threads(0)?;
                tx.send(server.local_addr()?).unwrap();
                server.serve(thread_name).await
            })
        })
        .unwrap();
    let addr = rx.recv().unwrap();
    assert_eq!(clients(addr, 3).join().unwrap(), ["acceptor"; 3]);
}

#[test]
fn a_pool_serves_connections_round_robin() {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        mudu::block_on(async move {
            let server = TcpServer::bind("127.0.0.1:0").await?.threads(3)?;
            tx.send(server.local_addr()?).unwrap();
            server.serve(thread_name).await
        })
    });
    let addr = rx.recv().unwrap();
    assert_eq!(
        clients(addr, 6).join().unwrap(),
        [
            "mudu-server-0",
            "mudu-server-1",
            "mudu-server-2",
            "mudu-server-0",
            "mudu-server-1",
            "mudu-server-2"
        ]
    );
}

#[test]
fn dropping_the_server_closes_the_connections_of_its_pool() {
    util::finishes("dropping a pooled server", 30, || dropping_serve_closes(2));
}

#[test]
fn dropping_the_server_closes_the_connections_on_its_own_loop() {
    util::finishes("dropping a server with no pool", 30, || {
        dropping_serve_closes(0)
    });
}

/// Serves one connection whose handler never returns, aborts `serve`, and checks that the client sees
/// the connection close.
fn dropping_serve_closes(threads: usize) {
    mudu::block_on(async move {
        let server = TcpServer::bind("127.0.0.1:0")
            .await
            .unwrap()
            .threads(threads)
            .unwrap();
        let addr = server.local_addr().unwrap();
        let (started, has_started) = std::sync::mpsc::channel::<()>();
        let serving = mudu::spawn(server.serve(move |stream, _| {
            let started = started.clone();
            async move {
                // Holds the connection until `serve` ends.
                let _stream = stream;
                started.send(()).unwrap();
                std::future::pending::<()>().await;
            }
        }));
        let client = mudu::spawn_blocking(move || {
            let mut c = TcpStream::connect(addr).unwrap();
            let mut buf = [0u8; 1];
            // Blocks until the server side closes.
            c.read(&mut buf).unwrap()
        });
        // Once the connection's handler runs, stop everything.
        mudu::spawn_blocking(move || has_started.recv().unwrap())
            .await
            .unwrap();
        serving.abort();
        assert!(serving.await.unwrap_err().is_cancelled());
        assert_eq!(client.await.unwrap(), 0, "the client sees end-of-file");
    });
}
