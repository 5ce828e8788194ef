//! The echo server example must really echo, under many concurrent connections.

#[path = "../examples/echo_server.rs"]
#[allow(dead_code)]
mod echo_server;
mod util;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

/// Runs the example's accept loop on a loop of its own thread; returns where it listens.
fn start() -> SocketAddr {
    util::serve_on_loopback(|listener| echo_server::serve(listener, 0))
}

#[test]
fn echoes_on_a_pool_of_loops() {
    let addr = util::serve_on_loopback(|listener| echo_server::serve(listener, 2));
    let mut conns: Vec<TcpStream> = (0..10).map(|_| TcpStream::connect(addr).unwrap()).collect();
    for (i, c) in conns.iter_mut().enumerate() {
        c.write_all(format!("hello {i}").as_bytes()).unwrap();
    }
    for (i, c) in conns.iter_mut().enumerate() {
        let want = format!("hello {i}");
        let mut back = vec![0; want.len()];
        c.read_exact(&mut back).unwrap();
        assert_eq!(back, want.as_bytes());
    }
}

#[test]
fn echoes_on_many_concurrent_connections() {
    let addr = start();
    const CONNS: usize = 200;
    let mut conns: Vec<TcpStream> = (0..CONNS)
        .map(|_| TcpStream::connect(addr).unwrap())
        .collect();
    for round in 0..3u8 {
        for (i, c) in conns.iter_mut().enumerate() {
            let msg = format!("conn {i} round {round} {}", "x".repeat(i));
            c.write_all(msg.as_bytes()).unwrap();
        }
        for (i, c) in conns.iter_mut().enumerate() {
            let msg = format!("conn {i} round {round} {}", "x".repeat(i));
            let mut back = vec![0; msg.len()];
            c.read_exact(&mut back).unwrap();
            assert_eq!(back, msg.as_bytes());
        }
    }
}

#[test]
fn echoes_a_large_stream_and_sees_the_close() {
    let addr = start();
    let mut c = TcpStream::connect(addr).unwrap();
    let data: Vec<u8> = (0..8 * 1024 * 1024u32)
        .map(|i| (i * 7 % 251) as u8)
        .collect();
    let mut writer = c.try_clone().unwrap();
    let to_send = data.clone();
    let sender = std::thread::spawn(move || {
        writer.write_all(&to_send).unwrap();
        writer.shutdown(std::net::Shutdown::Write).unwrap();
    });
    let mut back = Vec::new();
    c.read_to_end(&mut back).unwrap();
    sender.join().unwrap();
    assert!(back == data, "echoed bytes differ");
}

#[test]
fn parses_its_arguments() {
    let args = |a: &[&str]| echo_server::parse_args(a.iter().map(|s| s.to_string()));
    let options = |addr: &str, threads| {
        Some(echo_server::Options {
            addr: addr.to_owned(),
            threads,
        })
    };
    assert_eq!(args(&[]).unwrap(), options("127.0.0.1:2007", 0));
    assert_eq!(args(&["--addr", "[::1]:9"]).unwrap(), options("[::1]:9", 0));
    assert_eq!(
        args(&["--addr", "localhost:2007"]).unwrap(),
        options("localhost:2007", 0)
    );
    assert_eq!(
        args(&["--threads", "4"]).unwrap(),
        options("127.0.0.1:2007", 4)
    );
    assert!(args(&["--threads", "many"]).is_err());
    assert_eq!(args(&["--help"]).unwrap(), None);
    assert!(args(&["--addr"]).is_err());
    assert!(args(&["--addr", "nope"]).is_err());
    assert!(args(&["--addr", ":80"]).is_err());
    assert!(args(&["--addr", "localhost:http"]).is_err());
    assert!(args(&["--bogus"]).is_err());
}
