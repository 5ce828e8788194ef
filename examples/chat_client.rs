//! Chat client: sends the lines you type to a chat server and prints what the room says.
//!
//! ```text
//! cargo run --example chat_server                       # in one terminal
//! cargo run --example chat_client -- 127.0.0.1:9981     # in two others
//! ```
//!
//! Standard input is read on the runtime's blocking pool, so the loop keeps printing the room's lines
//! while it waits for yours.

use mudu::net::TcpStream;
use std::future::{poll_fn, Future};
use std::io::{self, BufRead, Write};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::Poll;

/// Errors that mean the server already went away: not worth reporting once it has said goodbye.
fn gone(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::NotConnected | io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
    )
}

fn main() {
    let target = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9981".into());
    let outcome = mudu::block_on(chat(target, io::BufReader::new(io::stdin())));
    if let Err(e) = outcome {
        eprintln!("chat_client: {e}");
        std::process::exit(1);
    }
}

/// Joins the room at `target`: sends every line read from `input` and prints what the room says.
/// Returns at the end of `input` (after a half-close, once the server has closed too), or as soon
/// as the server closes the connection.
pub async fn chat<R: BufRead + Send + 'static>(target: String, input: R) -> io::Result<()> {
    let stream = TcpStream::connect(target.as_str()).await?;
    println!("connected to {}", stream.peer_addr()?);
    let (mut reader, mut writer) = stream.into_split();
    let mut printing = mudu::spawn(async move {
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = reader.read(&mut buf).await {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(&buf[..n]).and_then(|()| out.flush());
        }
        println!("the server closed the connection");
    });
    // Read on the blocking pool, so the loop keeps printing while it waits for a line.
    let input = Arc::new(Mutex::new(input));
    loop {
        let source = Arc::clone(&input);
        let mut typed = mudu::spawn_blocking(move || {
            let mut line = String::new();
            let mut source = source.lock().unwrap_or_else(PoisonError::into_inner);
            source.read_line(&mut line).map(|n| (n, line))
        });
        // Whichever comes first: your next line, or the server closing the connection (then
        // there is nobody left to talk to, and the line being typed is abandoned).
        let next = poll_fn(|cx| {
            if Pin::new(&mut printing).poll(cx).is_ready() {
                return Poll::Ready(None);
            }
            Pin::new(&mut typed).poll(cx).map(Some)
        })
        .await;
        let Some(typed) = next else {
            return Ok(());
        };
        match typed?? {
            (0, _) => break, // end of input: say goodbye with a half-close
            (_, line) => match writer.write_all(line.as_bytes()).await {
                Ok(()) => {}
                Err(e) if gone(&e) => break,
                Err(e) => return Err(e),
            },
        }
    }
    match writer.shutdown_write() {
        Err(e) if !gone(&e) => return Err(e),
        _ => {}
    }
    let _ = printing.await;
    Ok(())
}
