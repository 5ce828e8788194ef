//! The chat client example: it sends what it reads and leaves as soon as the server does.

#[path = "../examples/chat_client.rs"]
#[allow(dead_code)]
mod chat_client;
mod util;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::os::unix::net::UnixStream;

#[test]
fn the_client_leaves_when_the_server_closes_even_while_waiting_for_input() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // Input that never comes: the other end of the pair stays open and silent.
    let (keyboard, _silent) = UnixStream::pair().unwrap();
    let server = std::thread::spawn(move || drop(listener.accept().unwrap()));
    let result = util::finishes("the chat client after the server closed", 30, move || {
        mudu::block_on(chat_client::chat(
            addr.to_string(),
            BufReader::new(keyboard),
        ))
        .map_err(|e| e.to_string())
    });
    server.join().unwrap();
    assert_eq!(result, Ok(()));
}

#[test]
fn the_client_sends_each_line_and_half_closes_at_the_end_of_input() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (keyboard, mut typing) = UnixStream::pair().unwrap();
    let server = std::thread::spawn(move || {
        let (conn, _) = listener.accept().unwrap();
        // Reads to end-of-file: the client's half-close after its input ended.
        let lines: Vec<String> = BufReader::new(&conn).lines().map(Result::unwrap).collect();
        lines
    });
    typing.write_all(b"first\nsecond\n").unwrap();
    drop(typing);
    let result = util::finishes("the chat client at the end of input", 30, move || {
        mudu::block_on(chat_client::chat(
            addr.to_string(),
            BufReader::new(keyboard),
        ))
        .map_err(|e| e.to_string())
    });
    assert_eq!(result, Ok(()));
    assert_eq!(server.join().unwrap(), ["first", "second"]);
}
