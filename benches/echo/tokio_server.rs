//! The tokio echo server: a current-thread runtime with I/O enabled, a task
//! per connection, same code as the mudu server (`readable`, then
//! `try_read`/`try_write` through the loop's one 64 KiB buffer).
//!
//! Rules: as in `mudu_server`, a connection's task ends on end-of-file or
//! on any error.

use std::cell::RefCell;
use std::io;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

use crate::server_kind::{announce, LISTEN_ADDR, READ_BUF};

/// Serves until the process is killed.
pub fn serve() -> io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    runtime.block_on(async {
        let listener = TcpListener::bind(LISTEN_ADDR).await?;
        announce(listener.local_addr()?);
        loop {
            match listener.accept().await {
                Ok((stream, _peer)) => {
                    stream.set_nodelay(true)?;
                    drop(tokio::spawn(echo(stream)));
                }
                Err(e) => eprintln!("tokio server: accept: {e}"),
            }
        }
    })
}

thread_local! {
    /// The loop's one read buffer: each read is written straight back, so no connection keeps a buffer
    /// of its own (the mio floor does the same).
    static SCRATCH: RefCell<Vec<u8>> = RefCell::new(vec![0u8; READ_BUF]);
}

async fn echo(mut stream: TcpStream) {
    // What the kernel did not take yet; written back before the next read.
    let mut unsent = Vec::new();
    loop {
        if !unsent.is_empty() {
            if stream.write_all(&unsent).await.is_err() {
                return;
            }
            unsent.clear();
        }
        if stream.readable().await.is_err() {
            return;
        }
        let ended =
            SCRATCH.with(|scratch| echo_ready(&stream, &mut scratch.borrow_mut(), &mut unsent));
        if ended {
            return;
        }
    }
}

/// Reads and writes back until the socket is drained (`WouldBlock`, or a short read) or the kernel stops
/// taking writes (the rest goes to `unsent`). True when the connection is over.
fn echo_ready(stream: &TcpStream, buf: &mut [u8], unsent: &mut Vec<u8>) -> bool {
    loop {
        let n = match stream.try_read(buf) {
            Ok(0) => return true,
            Ok(n) => n,
            Err(e) => return e.kind() != io::ErrorKind::WouldBlock,
        };
        let written = match stream.try_write(&buf[..n]) {
            Ok(w) => w,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => 0,
            Err(_) => return true,
        };
        if written < n {
            unsent.extend_from_slice(&buf[written..n]);
            return false;
        }
        if n < buf.len() {
            return false;
        }
    }
}
