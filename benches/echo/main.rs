//! TCP echo: mudu beside tokio's current-thread runtime and a hand-written
//! mio loop (the floor), on one core each side.
//!
//! ```text
//!   CPU 1 (pinned)                         CPU 0 (pinned)
//!   +-------------------------+   loopback  +------------------------------+
//!   | driver: load generator  | <---------> | `<self> server mudu|tokio|mio` |
//!   | (mio, closed loop)      |             | one thread, echoes every byte  |
//!   +-------------------------+             +------------------------------+
//!         reads /proc/<server pid>/task/*/schedstat around each window
//! ```
//!
//! Roles, chosen by the arguments:
//! - `server KIND`: an echo server; prints `listening <addr>` and serves
//!   until it is killed.
//! - anything else: the driver. It pins itself to CPU 1, starts each server
//!   pinned to CPU 0, drives it, measures it, kills it. Servers take turns
//!   within every round, so the machine's drift hits them alike; the tables
//!   show medians over the rounds.
//!
//! Run: `cargo bench --bench echo_vs_tokio -- [echo] [cps] [syscalls] [instructions]
//! [shared] [conns=1,10,100,1000] [size=64,16k] [rounds=3] [warmup=0.2] [window=1]
//! [servers=mudu,tokio,mio] [sharing=turns|at-once]`. With no mode named, `echo`, `cps` and
//! `syscalls` run.

mod args;
mod churn;
mod cps;
mod echo;
mod instructions;
mod load;
mod mio_server;
mod mudu_server;
mod report;
mod rlimit;
mod server_kind;
mod server_process;
mod shared;
mod stats;
mod syscalls;
mod tokio_server;

use std::process::{Command, ExitCode};

use args::{Args, Role};

fn main() -> ExitCode {
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(msg) => {
            eprintln!("echo_vs_tokio: {msg}\n\n{}", args::USAGE);
            return ExitCode::from(2);
        }
    };
    if let Err(e) = rlimit::raise_nofile() {
        eprintln!("echo_vs_tokio: cannot raise RLIMIT_NOFILE: {e}");
    }
    let result = match args.role {
        Role::Help => {
            println!("{}", args::USAGE);
            Ok(())
        }
        Role::Server(kind) => kind.serve(),
        Role::Driver(config) => {
            pin_self_to_cpu(1);
            drive(&config)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("echo_vs_tokio: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Pins this process to `cpu` before any thread starts, so that every thread
/// the driver makes stays off the servers' core.
fn pin_self_to_cpu(cpu: usize) {
    let pid = std::process::id().to_string();
    let status = Command::new(server_process::TASKSET)
        .args(["-p", "-c", &cpu.to_string(), &pid])
        .stdout(std::process::Stdio::null())
        .status();
    if !matches!(status, Ok(s) if s.success()) {
        eprintln!("echo_vs_tokio: could not pin the driver to CPU {cpu}; numbers will be noisier");
    }
}

fn drive(config: &args::Config) -> std::io::Result<()> {
    println!(
        "echo_vs_tokio: servers {:?} on CPU 0, load on CPU 1, {} round(s), warm-up {:?}, window {:?}",
        config.servers.iter().map(|k| k.name()).collect::<Vec<_>>(),
        config.rounds,
        config.warmup,
        config.window
    );
    if config.modes.echo {
        echo::run(config)?;
    }
    if config.modes.cps {
        cps::run(config)?;
    }
    if config.modes.syscalls {
        syscalls::run(config)?;
    }
    if config.modes.instructions {
        instructions::run(config)?;
    }
    if config.modes.shared {
        shared::run(config)?;
    }
    Ok(())
}
