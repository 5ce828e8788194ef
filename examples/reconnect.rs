//! Reconnect: a client that keeps a connection to a server that comes and
//! goes, printing each state change.
//!
//! ```text
//! cargo run --example reconnect                    # against its own server, up 1 s, down 2 s, 3 times
//! cargo run --example reconnect -- 127.0.0.1:9981  # against yours, until Ctrl-C:
//! nc -l 127.0.0.1 9981                             # type a line; stop nc, start it again
//! ```
//!
//! One loop on one thread: the client's `run`, a task printing its states
//! and, without an address, the server that comes and goes.

use mudu::net::{Backoff, ClientHandle, TcpClient, TcpListener, TcpStream};
use mudu::time::{self, Instant};
use std::error::Error;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

/// Where the session's lines go: standard output in `main`.
pub type Say = Rc<dyn Fn(String)>;

fn main() {
    let target = match std::env::args().nth(1).map(|arg| arg.parse::<SocketAddr>()) {
        None => None,
        Some(Ok(addr)) => Some(addr),
        Some(Err(e)) => {
            eprintln!("reconnect: {e}\nusage: reconnect [HOST:PORT]");
            std::process::exit(2);
        }
    };
    mudu::block_on(session(target, Rc::new(|line| println!("{line}")))).unwrap_or_else(|e| {
        eprintln!("reconnect: {e}");
        std::process::exit(1);
    });
}

/// The client against `target`, or against a server of its own that comes
/// and goes; each state and each line received goes to `say`. Returns when
/// the client stops (never, against `target`), after its last state is told.
pub async fn session(target: Option<SocketAddr>, say: Say) -> Result<(), Box<dyn Error>> {
    let start = Instant::now();
    let (addr, listener) = match target {
        Some(addr) => (addr, None),
        None => {
            let listener = TcpListener::bind("127.0.0.1:0").await?;
            (listener.local_addr()?, Some(listener))
        }
    };
    let backoff = Backoff::default()
        .initial_delay(Duration::from_millis(250))
        .max_delay(Duration::from_secs(2));
    let mut client = TcpClient::new(addr).retry(true).backoff(backoff);
    let handle = client.handle();
    let mut states = handle.states();
    let tell = Rc::clone(&say);
    let printer = mudu::spawn(async move {
        while let Some(state) = states.recv().await {
            tell(format!("[{:6.3} s] {state}", start.elapsed().as_secs_f64()));
        }
    });
    if let Some(listener) = listener {
        mudu::spawn(flaky_server(listener, handle, Rc::clone(&say)));
    }
    client
        .run(|stream| print_lines(stream, Rc::clone(&say)))
        .await?;
    // The last state was published as `run` returned: the printer tells it, and its stream ends once
    // the client is gone.
    drop(client);
    printer.await?;
    Ok(())
}

/// The handler: tells what the server sends until it closes.
async fn print_lines(mut stream: TcpStream, say: Say) -> std::io::Result<()> {
    let mut buf = [0; 1024];
    loop {
        match stream.read(&mut buf).await? {
            0 => return Ok(()),
            n => say(format!(
                "    received: {}",
                String::from_utf8_lossy(&buf[..n]).trim_end()
            )),
        }
    }
}

/// Up (one connection, greeted and kept 1 s), then down for 2 s, three
/// times; then stops the client.
async fn flaky_server(first: TcpListener, client: ClientHandle, say: Say) {
    let addr = first.local_addr().unwrap();
    let mut listener = Some(first);
    for round in 1..=3 {
        let up = match listener.take() {
            Some(listener) => listener,
            None => TcpListener::bind(addr)
                .await
                .expect("the port is free again"),
        };
        if let Ok((mut conn, _)) = up.accept().await {
            let _ = conn
                .write_all(format!("hello, round {round}\n").as_bytes())
                .await;
            time::sleep(Duration::from_secs(1)).await;
        } // the connection and the listener close here
        drop(up);
        say("           server down for 2 s".to_owned());
        time::sleep(Duration::from_secs(2)).await;
    }
    client.stop();
}
