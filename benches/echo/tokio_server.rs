//! The tokio echo server: a current-thread runtime with I/O enabled, a task
//! per connection, same shape as the mudu server (64 KiB buffer per
//! connection, `read` then `write_all`).
//!
//! Rules: as in `mudu_server`, a connection's task ends on end-of-file or
//! on any error.

use std::io;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
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
