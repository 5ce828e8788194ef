//! System calls per echoed message: `strace -c -f -p <server>` attached
//! while 100 connections (`syscall-conns=N`) echo 64-byte messages, detached with SIGINT, its
//! summary divided by the messages that completed meanwhile.
//!
//! Rules: the connections are open and warm before strace attaches, so any
//! `epoll_ctl` it counts is spent per message, not per connection. Messages
//! are counted from the moment strace reports the attach; at the end the
//! load stops and every message in flight comes back before strace is
//! interrupted, so nothing untraced runs while it detaches (the few calls
//! traced before the attach is reported, and the server's last
//! `epoll_wait`, are noise against thousands of messages). Tracing slows the
//! server a great deal; the counts, not the rates, are the result.

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::args::Config;
use crate::load::Load;
use crate::report::{num, Table};
use crate::server_kind::ServerKind;
use crate::server_process::ServerProcess;

/// Where `strace` lives on the machines this benchmark runs on.
const STRACE: &str = "/usr/bin/strace";

const SIZE: usize = 64;

/// One traced window: calls by name, and the messages echoed meanwhile.
struct Trace {
    calls: BTreeMap<String, u64>,
    messages: u64,
}

fn measure(kind: ServerKind, config: &Config) -> io::Result<Trace> {
    let server = ServerProcess::start(kind)?;
    let mut load = Load::connect(server.addr(), config.syscall_conns, SIZE)?;
    load.run(config.warmup, false)?;
    let summary = std::env::temp_dir().join(format!(
        "echo_vs_tokio-strace-{}-{}.txt",
        std::process::id(),
        kind.name()
    ));
    let mut strace = Command::new(STRACE)
        .args(["-c", "-f", "-p", &server.pid().to_string(), "-o"])
        .arg(&summary)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    let (tx, rx) = mpsc::channel();
    let stderr = strace.stderr.take().expect("stderr is piped");
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let give_up = Instant::now() + Duration::from_secs(5);
    loop {
        load.run(Duration::from_millis(2), false)?;
        match rx.try_recv() {
            Ok(line) if line.contains("attached") => break,
            Ok(line) => eprintln!("strace: {line}"),
            Err(mpsc::TryRecvError::Empty) if Instant::now() < give_up => {}
            Err(_) => {
                let _ = strace.kill();
                let _ = strace.wait();
                return Err(io::Error::other("strace did not attach"));
            }
        }
    }
    let mut messages = load.run(config.window, false)?.messages;
    // Quiet the server before detaching, so that no untraced message runs
    // between the detach and strace's exit.
    messages += load.finish(Duration::from_secs(10))?;
    let status = Command::new("kill")
        .args(["-INT", &strace.id().to_string()])
        .status()?;
    if !status.success() {
        return Err(io::Error::other("could not interrupt strace"));
    }
    strace.wait()?;
    let text = std::fs::read_to_string(&summary)?;
    let _ = std::fs::remove_file(&summary);
    Ok(Trace {
        calls: parse_summary(&text),
        messages,
    })
}

/// Calls per system call from an `strace -c` summary:
/// `% time  seconds  usecs/call  calls  [errors]  syscall`, the `total`
/// line left out.
fn parse_summary(text: &str) -> BTreeMap<String, u64> {
    let mut calls = BTreeMap::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (Some(&name), Some(count)) = (fields.last(), fields.get(3)) else {
            continue;
        };
        if name == "total" || fields.len() < 5 {
            continue;
        }
        if let Ok(count) = count.parse::<u64>() {
            calls.insert(name.to_string(), count);
        }
    }
    calls
}

/// Traces every server once and prints the per-message counts.
pub fn run(config: &Config) -> io::Result<()> {
    let mut table = Table::new(&[
        "server",
        "messages",
        "syscalls/msg",
        "epoll_wait/msg",
        "epoll_ctl (total)",
        "per message, by call",
    ]);
    for &kind in &config.servers {
        let trace = measure(kind, config)?;
        let msgs = trace.messages as f64;
        let total: u64 = trace.calls.values().sum();
        let per = |name: &str| trace.calls.get(name).copied().unwrap_or(0);
        let mut by_call: Vec<(&String, &u64)> = trace.calls.iter().collect();
        by_call.sort_by(|a, b| b.1.cmp(a.1));
        let detail: Vec<String> = by_call
            .iter()
            .map(|(name, &n)| format!("{name} {}", num(n as f64 / msgs, 3)))
            .collect();
        eprintln!(
            "syscalls {}: {} calls, {} messages",
            kind.name(),
            total,
            trace.messages
        );
        table.push(vec![
            kind.name().into(),
            trace.messages.to_string(),
            num(total as f64 / msgs, 3),
            num(per("epoll_wait") as f64 / msgs, 3),
            per("epoll_ctl").to_string(),
            detail.join(", "),
        ]);
    }
    println!(
        "\nSystem calls per echoed message, {} connections, {SIZE}-byte messages (strace -c -f):",
        config.syscall_conns
    );
    table.print();
    Ok(())
}
