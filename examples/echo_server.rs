//! Echo server: every byte a client sends comes straight back, on every connection, until it closes.
//!
//! ```text
//! cargo run --release --example echo_server -- --addr 127.0.0.1:2007
//! nc 127.0.0.1 2007        # type a line, get it back
//! ```
//!
//! One loop on one thread serves every connection, a task per connection.

use mudu::net::{TcpListener, TcpStream};
use std::io;
use std::net::SocketAddr;

const USAGE: &str = "usage: echo_server [--addr HOST:PORT]

Echoes every byte back to its sender, on any number of connections.

options:
  --addr HOST:PORT   address to listen on (default 127.0.0.1:2007)
  -h, --help         print this help";

fn main() {
    let addr = match parse_args(std::env::args().skip(1)) {
        Ok(Some(addr)) => addr,
        Ok(None) => return println!("{USAGE}"),
        Err(msg) => {
            eprintln!("echo_server: {msg}\n\n{USAGE}");
            std::process::exit(2);
        }
    };
    if let Err(e) = mudu::block_on(run(addr)) {
        eprintln!("echo_server: {e}");
        std::process::exit(1);
    }
}

/// `Ok(None)` asks for the help text.
pub fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<SocketAddr>, String> {
    let mut addr: SocketAddr = "127.0.0.1:2007".parse().expect("valid default");
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--addr" => {
                let value = args.next().ok_or("--addr needs a value")?;
                addr = value
                    .parse()
                    .map_err(|e| format!("bad --addr {value:?}: {e}"))?;
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Some(addr))
}

async fn run(addr: SocketAddr) -> io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    println!("echo server listening on {}", listener.local_addr()?);
    serve(listener).await
}

/// Accepts connections forever, one echo task each.
pub async fn serve(listener: TcpListener) -> io::Result<()> {
    loop {
        match listener.accept().await {
            Ok((stream, _peer)) => {
                mudu::spawn(async move {
                    if let Err(e) = echo(stream).await {
                        eprintln!("connection ended: {e}");
                    }
                });
            }
            // Out of descriptors, for instance: the listener backs off by itself; keep serving.
            Err(e) => eprintln!("accept failed: {e}"),
        }
    }
}

async fn echo(mut stream: TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        stream.write_all(&buf[..n]).await?;
    }
}
