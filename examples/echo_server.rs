//! Echo server: every byte a client sends comes straight back, on every connection, until it closes.
//!
//! ```text
//! cargo run --release --example echo_server -- --addr 127.0.0.1:2007 [--threads 4]
//! nc 127.0.0.1 2007        # type a line, get it back
//! ```
//!
//! One loop accepts; a task per connection echoes, on that loop or, with `--threads N`, on N loops of
//! their own that take the connections in turn (muduo's `TcpServer::setThreadNum`).

use mudu::net::{TcpListener, TcpServer, TcpStream};
use std::io;

const USAGE: &str = "usage: echo_server [--addr HOST:PORT] [--threads N]

Echoes every byte back to its sender, on any number of connections.

options:
  --addr HOST:PORT   address to listen on, HOST a name or an IP (default 127.0.0.1:2007)
  --threads N        serve connections on N loops of their own (default 0: on the accepting loop)
  -h, --help         print this help";

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub struct Options {
    /// Where to listen: `HOST:PORT`, resolved when the server binds.
    pub addr: String,
    /// Loops that serve connections besides the accepting one.
    pub threads: usize,
}

fn main() {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(Some(options)) => options,
        Ok(None) => return println!("{USAGE}"),
        Err(msg) => {
            eprintln!("echo_server: {msg}\n\n{USAGE}");
            std::process::exit(2);
        }
    };
    if let Err(e) = mudu::block_on(run(options)) {
        eprintln!("echo_server: {e}");
        std::process::exit(1);
    }
}

/// `Ok(None)` asks for the help text.
pub fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
    let mut addr = String::from("127.0.0.1:2007");
    let mut threads = 0;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--addr" => {
                let value = args.next().ok_or("--addr needs a value")?;
                // The host may be a name, resolved by `bind`; only the shape is checked here.
                let has_port = value
                    .rsplit_once(':')
                    .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
                if !has_port {
                    return Err(format!("bad --addr {value:?}: expected HOST:PORT"));
                }
                addr = value;
            }
            "--threads" => {
                let value = args.next().ok_or("--threads needs a value")?;
                threads = value
                    .parse()
                    .map_err(|e| format!("bad --threads {value:?}: {e}"))?;
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Some(Options { addr, threads }))
}

async fn run(options: Options) -> io::Result<()> {
    let listener = TcpListener::bind(options.addr.as_str()).await?;
    println!("echo server listening on {}", listener.local_addr()?);
    serve(listener, options.threads).await
}

/// Serves connections forever, one echo task each, on the accepting loop (`threads` 0) or on `threads`
/// loops of their own.
pub async fn serve(listener: TcpListener, threads: usize) -> io::Result<()> {
    let server = TcpServer::from_listener(listener).threads(threads)?;
    server
        .serve(|stream, peer| async move {
            if let Err(e) = echo(stream).await {
                eprintln!("connection from {peer} ended: {e}");
            }
        })
        .await
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
