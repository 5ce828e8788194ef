//! The chat server example: a line from one member reaches every member.

#[path = "../examples/chat_server.rs"]
#[allow(dead_code)]
mod chat_server;
mod util;

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};

fn start() -> SocketAddr {
    util::serve_on_loopback(chat_server::serve)
}

#[test]
fn every_member_hears_every_line() {
    let addr = start();
    let mut members: Vec<(TcpStream, BufReader<TcpStream>)> = (0..3)
        .map(|_| {
            let s = TcpStream::connect(addr).unwrap();
            let r = BufReader::new(s.try_clone().unwrap());
            (s, r)
        })
        .collect();
    // Make sure all three have joined: each says hello and waits to hear its own line back.
    for (i, (s, r)) in members.iter_mut().enumerate() {
        writeln!(s, "hello from {i}").unwrap();
        loop {
            let mut line = String::new();
            r.read_line(&mut line).unwrap();
            if line == format!("hello from {i}\n") {
                break;
            }
        }
    }
    // Now one line, split over two writes, reaches all three, whole.
    members[1].0.write_all(b"split ").unwrap();
    members[1].0.write_all(b"line\n").unwrap();
    for (_, r) in members.iter_mut() {
        let mut line = String::new();
        loop {
            line.clear();
            r.read_line(&mut line).unwrap();
            if !line.starts_with("hello from") {
                break;
            }
        }
        assert_eq!(line, "split line\n");
    }
}
