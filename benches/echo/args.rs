//! Command line: which role this process plays and, for the driver, which
//! measurements to make.
//!
//! Rules: parsing is pure (no I/O); unknown words are errors, so a typo in a
//! filter never silently measures everything. `--bench`, which `cargo bench`
//! appends, is accepted and ignored.

use std::time::Duration;

use crate::server_kind::ServerKind;

/// Printed for `-h`/`--help` and after a bad argument.
pub const USAGE: &str = "usage: echo_vs_tokio [MODE...] [FILTER...]
       echo_vs_tokio server mudu|tokio|mio

modes (default: all three):
  echo        messages/s, MiB/s, p50/p99 latency, server CPU per message
  cps         connections per second (connect, one 64-byte echo, close)
  syscalls    strace the servers under 64-byte echoes (100 connections unless syscall-conns=N)
  instructions  user-space instructions and simulated L1 data misses per 64-byte echo under
              valgrind (same connections as `syscalls`; only when named)
  shared      server CPU per message (and, taking turns, messages/s) with every server alive on
              CPU 0 for the whole run, plus a second mio as a control (same filters as `echo`;
              only when named)

filters:
  conns=1,10,100,1000   connection counts for `echo`
  syscall-conns=100     connection count for `syscalls`
  size=64,16k           message sizes in bytes (k = KiB) for `echo`
  servers=mudu,tokio,mio
  rounds=3              rounds per measurement (the tables show medians)
  warmup=0.2            seconds of load before each window
  window=1              seconds measured
  sharing=turns         for `shared`: turns (50 ms turns on the core) or at-once";

/// What this process does.
pub enum Role {
    /// Print the usage text.
    Help,
    /// Serve echo until killed.
    Server(ServerKind),
    /// Start servers, load them, print tables.
    Driver(Config),
}

/// Which measurement families the driver runs.
pub struct Modes {
    pub echo: bool,
    pub cps: bool,
    pub syscalls: bool,
    pub instructions: bool,
    pub shared: bool,
}

/// How the servers of `shared` share CPU 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sharing {
    /// One works at a time, in short turns.
    Turns,
    /// All work all the time.
    AtOnce,
}

/// Everything the driver needs to know.
pub struct Config {
    pub modes: Modes,
    pub conns: Vec<usize>,
    pub syscall_conns: usize,
    pub sizes: Vec<usize>,
    pub servers: Vec<ServerKind>,
    pub rounds: usize,
    pub warmup: Duration,
    pub window: Duration,
    pub sharing: Sharing,
}

/// The parsed command line.
pub struct Args {
    pub role: Role,
}

impl Args {
    /// Parses the arguments after the program name.
    pub fn parse(args: impl Iterator<Item = String>) -> Result<Args, String> {
        let args: Vec<String> = args.filter(|a| a != "--bench").collect();
        if args.first().map(String::as_str) == Some("server") {
            let kind = args.get(1).ok_or("`server` needs a kind")?;
            if args.len() > 2 {
                return Err(format!("unexpected {:?} after the server kind", args[2]));
            }
            return Ok(Args {
                role: Role::Server(ServerKind::from_name(kind)?),
            });
        }
        let mut modes = Modes {
            echo: false,
            cps: false,
            syscalls: false,
            instructions: false,
            shared: false,
        };
        let mut config = Config {
            modes: Modes {
                echo: true,
                cps: true,
                syscalls: true,
                instructions: false,
                shared: false,
            },
            conns: vec![1, 10, 100, 1000],
            syscall_conns: 100,
            sizes: vec![64, 16 * 1024],
            servers: ServerKind::ALL.to_vec(),
            rounds: 3,
            warmup: Duration::from_millis(200),
            window: Duration::from_secs(1),
            sharing: Sharing::Turns,
        };
        for arg in &args {
            match arg.split_once('=') {
                None => match arg.as_str() {
                    "-h" | "--help" => return Ok(Args { role: Role::Help }),
                    "echo" => modes.echo = true,
                    "cps" => modes.cps = true,
                    "syscalls" => modes.syscalls = true,
                    "instructions" => modes.instructions = true,
                    "shared" => modes.shared = true,
                    other => return Err(format!("unknown argument {other:?}")),
                },
                Some(("conns", v)) => config.conns = list(v, |s| s.parse().ok())?,
                Some(("syscall-conns", v)) => config.syscall_conns = positive("syscall-conns", v)?,
                Some(("size", v)) => config.sizes = list(v, parse_size)?,
                Some(("servers", v)) => {
                    config.servers = list(v, |s| ServerKind::from_name(s).ok())?
                }
                Some(("rounds", v)) => config.rounds = positive("rounds", v)?,
                Some(("warmup", v)) => config.warmup = seconds(v)?,
                Some(("window", v)) => config.window = seconds(v)?,
                Some(("sharing", "turns")) => config.sharing = Sharing::Turns,
                Some(("sharing", "at-once")) => config.sharing = Sharing::AtOnce,
                Some(("sharing", v)) => {
                    return Err(format!("unknown sharing {v:?} (turns or at-once)"))
                }
                Some((key, _)) => return Err(format!("unknown filter {key:?}")),
            }
        }
        if modes.echo || modes.cps || modes.syscalls || modes.instructions || modes.shared {
            config.modes = modes;
        }
        if config.window.is_zero() {
            return Err("window must be above zero".into());
        }
        Ok(Args {
            role: Role::Driver(config),
        })
    }
}

/// A count above zero given as `key=value`.
fn positive(key: &str, value: &str) -> Result<usize, String> {
    value
        .parse()
        .ok()
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("bad {key} {value:?}"))
}

fn list<T>(value: &str, parse: impl Fn(&str) -> Option<T>) -> Result<Vec<T>, String> {
    let items: Option<Vec<T>> = value.split(',').map(|s| parse(s.trim())).collect();
    match items {
        Some(items) if !items.is_empty() => Ok(items),
        _ => Err(format!("bad list {value:?}")),
    }
}

/// `64`, `16k`, `16KiB`, `1m`: bytes, at least one.
fn parse_size(s: &str) -> Option<usize> {
    let lower = s.to_ascii_lowercase();
    let (digits, scale) = if let Some(d) = lower.strip_suffix("kib").or(lower.strip_suffix('k')) {
        (d, 1024)
    } else if let Some(d) = lower.strip_suffix("mib").or(lower.strip_suffix('m')) {
        (d, 1024 * 1024)
    } else {
        (lower.as_str(), 1)
    };
    digits
        .parse::<usize>()
        .ok()
        .map(|n| n * scale)
        .filter(|&n| n > 0)
}

fn seconds(s: &str) -> Result<Duration, String> {
    s.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite() && *x >= 0.0)
        .map(Duration::from_secs_f64)
        .ok_or(format!("bad seconds {s:?}"))
}
