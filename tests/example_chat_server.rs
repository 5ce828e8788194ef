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

/// Connects a member and waits until the room has it: it says hello and hears its own line back.
fn join(addr: SocketAddr, name: &str) -> (TcpStream, BufReader<TcpStream>) {
    let mut s = TcpStream::connect(addr).unwrap();
    let mut r = BufReader::new(s.try_clone().unwrap());
    writeln!(s, "hello from {name}").unwrap();
    let mut line = String::new();
    while line != format!("hello from {name}\n") {
        line.clear();
        r.read_line(&mut line).unwrap();
    }
    (s, r)
}

#[test]
fn a_member_that_stops_reading_is_cut_off_and_the_room_goes_on() {
    use std::io::Read;
    let addr = start();
    let (_silent, mut silent_in) = join(addr, "silent");
    let (mut talker, talker_in) = join(addr, "talker");
    // The talker hears its own lines on a thread of its own, so only the silent member falls behind.
    let echoes =
        std::thread::spawn(move || std::io::copy(&mut { talker_in }, &mut std::io::sink()));
    // Far more than the loopback socket buffers and the outbox limit together.
    let line = [b'x'; 1023]
        .iter()
        .chain(b"\n")
        .copied()
        .collect::<Vec<u8>>();
    let total = 48 << 20;
    for _ in 0..total / line.len() {
        talker.write_all(&line).unwrap();
    }
    // The silent member is cut off: after what the socket buffers held, end-of-file.
    let heard = util::finishes("the silent member's read to end-of-file", 60, move || {
        let mut heard = Vec::new();
        silent_in.read_to_end(&mut heard).unwrap();
        heard
    });
    assert!(
        heard.len() < total,
        "the silent member got everything ({} bytes): it was never cut off",
        heard.len()
    );
    // The room still works: a newcomer hears the talker.
    let (_newcomer, mut newcomer_in) = join(addr, "newcomer");
    writeln!(talker, "still here").unwrap();
    let mut said = String::new();
    while said != "still here\n" {
        said.clear();
        newcomer_in.read_line(&mut said).unwrap();
    }
    drop(talker);
    drop(echoes);
}

#[test]
fn a_line_longer_than_the_limit_cuts_its_sender_off() {
    use std::io::Read;
    let addr = start();
    let (mut rambler, mut rambler_in) = join(addr, "rambler");
    let endless = vec![b'y'; chat_server::MAX_LINE + 4096];
    // The server may close before it has read all of it: a reset then fails the write, which is fine.
    let _ = rambler.write_all(&endless);
    let rest = util::finishes("the rambler's read to end-of-file", 60, move || {
        let mut rest = Vec::new();
        let _ = rambler_in.read_to_end(&mut rest);
        rest
    });
    assert!(rest.is_empty(), "nobody hears a line that never ended");
}
