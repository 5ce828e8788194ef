//! The mudu echo server: one loop (`mudu::block_on`) on this thread, a task
//! per connection that reads into its own 64 KiB buffer and writes it all
//! back.
//!
//! Rules: written the way an application would write it, with nothing
//! tuned for the benchmark; a connection's task ends on end-of-file or on
//! any error (peers close or reset when the driver is done).

use std::io;

use mudu::net::{TcpListener, TcpStream};

use crate::server_kind::{announce, LISTEN_ADDR, READ_BUF};

/// Serves until the process is killed.
pub fn serve() -> io::Result<()> {
    mudu::block_on(async {
        let listener = TcpListener::bind(LISTEN_ADDR.parse().expect("valid address")).await?;
        announce(listener.local_addr()?);
        loop {
            match listener.accept().await {
                Ok((stream, _peer)) => {
                    stream.set_nodelay(true)?;
                    drop(mudu::spawn(echo(stream)));
                }
                Err(e) => eprintln!("mudu server: accept: {e}"),
            }
        }
    })
}

async fn echo(mut stream: TcpStream) {
    let mut buf = vec![0u8; READ_BUF];
    loop {
        let n = match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if stream.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}
