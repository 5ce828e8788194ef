//! User-space instructions per echoed message: each server runs under
//! valgrind's cachegrind, which counts the instructions the process executes
//! outside the kernel, and the count is divided by the messages echoed.
//! cachegrind also simulates the level-1 data cache (the host's geometry) for
//! those instructions: its misses per message say how many cache lines a
//! server touches per message that it had not touched recently, which grows
//! with the connections a server juggles. The kernel's own memory traffic is
//! not simulated, so on real hardware these lines are evicted sooner.
//!
//! Rules: startup, accepting the connections and exiting cost the same
//! however long the load runs, so every server runs twice, with a short and
//! a long load on the same connections, and the result is the difference of
//! the two counts over the difference of the two message counts. The kernel's
//! share of the work (the system calls themselves) is not in these counts:
//! it is the same for every server making the same calls (see `syscalls`),
//! so what remains is each runtime's own cost per message, beside the floor's.
//! Unlike CPU time, instruction counts do not drift from run to run.
//! Running under valgrind slows a server many times over; only the counts
//! are the result.

use std::io;
use std::time::Duration;

use crate::args::Config;
use crate::load::Load;
use crate::report::{num, Table};
use crate::server_kind::ServerKind;
use crate::server_process::ServerProcess;

/// Where valgrind lives on the machines this benchmark runs on.
const VALGRIND: &str = "/usr/bin/valgrind";

const SIZE: usize = 64;

/// Instructions, simulated L1 data misses and messages of one run of a server.
struct Count {
    instructions: u64,
    l1d_misses: u64,
    messages: u64,
}

/// Runs `kind` under cachegrind for `span` of load after `config.warmup`.
fn count(kind: ServerKind, config: &Config, span: Duration) -> io::Result<Count> {
    let out = std::env::temp_dir().join(format!(
        "echo_vs_tokio-cachegrind-{}-{}.out",
        std::process::id(),
        kind.name()
    ));
    let out_arg = format!("--cachegrind-out-file={}", out.display());
    let wrapper = [
        VALGRIND,
        "-q",
        "--tool=cachegrind",
        "--cache-sim=yes",
        &out_arg,
    ];
    let server = ServerProcess::start_under(kind, &wrapper)?;
    let mut load = Load::connect(server.addr(), config.syscall_conns, SIZE)?;
    let mut messages = load.run(config.warmup, false)?.messages;
    messages += load.run(span, false)?.messages;
    messages += load.finish(Duration::from_secs(30))?;
    drop(load);
    server.interrupt()?;
    let text = std::fs::read_to_string(&out)?;
    let _ = std::fs::remove_file(&out);
    let event = |name: &str| {
        summary_event(&text, name)
            .ok_or_else(|| io::Error::other(format!("no {name} in cachegrind's summary")))
    };
    Ok(Count {
        instructions: event("Ir")?,
        l1d_misses: event("D1mr")? + event("D1mw")?,
        messages,
    })
}

/// The total of event `name` in a cachegrind output file: its `events:` line names the columns of
/// its `summary:` line.
fn summary_event(text: &str, name: &str) -> Option<u64> {
    let names = text.lines().find_map(|line| line.strip_prefix("events:"))?;
    let totals = text
        .lines()
        .find_map(|line| line.strip_prefix("summary:"))?;
    let column = names.split_whitespace().position(|n| n == name)?;
    totals.split_whitespace().nth(column)?.parse().ok()
}

/// Counts every server and prints instructions per message.
pub fn run(config: &Config) -> io::Result<()> {
    let mut table = Table::new(&[
        "server",
        "messages",
        "instructions/msg",
        "over the floor",
        "L1d misses/msg",
    ]);
    let mut rows = Vec::new();
    for &kind in &config.servers {
        let short = count(kind, config, Duration::ZERO)?;
        let long = count(kind, config, config.window * 5)?;
        let messages = long.messages.saturating_sub(short.messages);
        if messages == 0 {
            return Err(io::Error::other(format!(
                "{}: the long run echoed no more messages than the short one",
                kind.name()
            )));
        }
        let per = long.instructions.saturating_sub(short.instructions) as f64 / messages as f64;
        let misses = long.l1d_misses.saturating_sub(short.l1d_misses) as f64 / messages as f64;
        eprintln!(
            "instructions {}: {} and {} over {} and {} messages",
            kind.name(),
            short.instructions,
            long.instructions,
            short.messages,
            long.messages
        );
        rows.push((kind, messages, per, misses));
    }
    let floor = rows
        .iter()
        .find(|(kind, ..)| *kind == ServerKind::Mio)
        .map(|&(_, _, per, _)| per);
    for (kind, messages, per, misses) in rows {
        table.push(vec![
            kind.name().into(),
            messages.to_string(),
            num(per, 0),
            floor.map_or("-".into(), |floor| num(per - floor, 0)),
            num(misses, 2),
        ]);
    }
    println!(
        "\nUser-space instructions and simulated L1 data misses per echoed message, {} connections, \
         {SIZE}-byte messages (cachegrind):",
        config.syscall_conns
    );
    table.print();
    Ok(())
}
