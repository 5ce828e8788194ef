//! A listener at its process's descriptor limit, flooded with connections:
//! it neither spins (CPU stays low) nor stalls (waiting clients are turned
//! away), and serves again once descriptors free up.
//!
//! The server runs in a child process (this test binary re-run for this one
//! test) whose `RLIMIT_NOFILE` leaves room for a dozen connections. It
//! serves the way real servers are written: accept in a loop, log errors and
//! carry on, an echo task per connection.

mod util;

use mudu::net::TcpListener;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

const CHILD: &str = "MUDU_EMFILE_CHILD";
const TEST: &str = "listener_at_the_descriptor_limit_neither_spins_nor_stalls";
/// Connections the child can hold at its limit.
const ROOM: u64 = 12;
/// Connections turned away while the child's CPU time is measured.
const WINDOW_SHEDS: usize = 100;
/// The shortest measuring window: 50 ticks at the usual 100 Hz.
const MIN_WINDOW: Duration = Duration::from_millis(500);
/// A safety bound on every blocking wait of the parent; never reached when
/// the listener works.
const BOUND: Duration = Duration::from_secs(10);

/// The child: an echo server that logs accept errors and keeps accepting.
fn serve_at_the_limit() {
    mudu::block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        util::limit_descriptors(util::limit_leaving_room(ROOM));
        println!("listening {}", listener.local_addr().unwrap().port());
        let mut told = false;
        loop {
            match listener.accept().await {
                Ok((mut stream, _)) => {
                    mudu::spawn(async move {
                        let mut buf = [0; 256];
                        while let Ok(n @ 1..) = stream.read(&mut buf).await {
                            if stream.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                    });
                }
                Err(e) if e.raw_os_error() == Some(libc::EMFILE) => {
                    if !told {
                        println!("at the limit");
                        told = true;
                    }
                }
                Err(e) => panic!("unexpected accept error: {e}"),
            }
        }
    });
}

/// Kills the child when the parent's test ends, however it ends.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// utime + stime of `pid`, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the parenthesised command name; utime and stime are the
    // 14th and 15th fields of the whole line.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

fn clock_ticks_per_second() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    u64::try_from(hz).unwrap()
}

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect_timeout(&addr, BOUND).unwrap();
    stream.set_read_timeout(Some(BOUND)).unwrap();
    stream
}

#[test]
fn listener_at_the_descriptor_limit_neither_spins_nor_stalls() {
    if util::is_child(CHILD) {
        return serve_at_the_limit();
    }
    let child = util::child_test(TEST, CHILD)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = KillOnDrop(child);
    let pid = child.0.id();
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let mut next_line = || lines.next().expect("child exited").unwrap();
    // The harness prints "test <name> ... " before the child's first line.
    let port = loop {
        if let Some((_, port)) = next_line().split_once("listening ") {
            break port.trim().parse::<u16>().unwrap();
        }
    };
    let addr = SocketAddr::from(([127, 0, 0, 1], port));

    // Fill the child up: it holds what fits and reaches its limit.
    let held: Vec<TcpStream> = (0..ROOM + 8).map(|_| connect(addr)).collect();
    while !next_line().contains("at the limit") {}

    // Measure the child's CPU time while one connection after another waits
    // in its backlog, each opened as soon as the previous one was turned away.
    // The window spans at least WINDOW_SHEDS connections and MIN_WINDOW, so
    // that the tick-granular CPU times are meaningful even if sheds are fast.
    let (cpu0, wall0) = (cpu_ticks(pid), Instant::now());
    let mut sheds = 0;
    while sheds < WINDOW_SHEDS || wall0.elapsed() < MIN_WINDOW {
        flood_once(addr);
        sheds += 1;
    }
    let (cpu1, wall1) = (cpu_ticks(pid), Instant::now());
    let window_ticks = (wall1 - wall0).as_secs_f64() * clock_ticks_per_second() as f64;
    let share = (cpu1 - cpu0) as f64 / window_ticks;
    eprintln!(
        "child CPU {} ticks over {:.0} ticks of wall time ({:.1}%) while turning away {sheds}",
        cpu1 - cpu0,
        window_ticks,
        share * 100.0
    );
    assert!(
        share < 0.05,
        "the listener spins at its limit: {:.1}% CPU",
        share * 100.0
    );

    // The clients go away; the child serves again.
    drop(held);
    let served = (0..100).any(|_| {
        let mut stream = connect(addr);
        stream.write_all(b"ping").unwrap();
        let mut buf = [0; 4];
        stream.read_exact(&mut buf).is_ok() && &buf == b"ping"
    });
    assert!(
        served,
        "the child never served again after its clients left"
    );
}

/// Opens one connection and waits until the child turns it away; fails the
/// test if the child lets it wait out the bound (a stall).
fn flood_once(addr: SocketAddr) {
    let mut stream = connect(addr);
    let mut buf = [0; 1];
    match stream.read(&mut buf) {
        Ok(0) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        Ok(_) => panic!("the child answered a connection it had no room for"),
        Err(e) => panic!("the child left a waiting client alone ({e}): the listener stalls"),
    }
}
