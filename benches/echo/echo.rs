//! The echo matrix: connections x message sizes, every server in every
//! round, and the tables of medians and ratios.
//!
//! Rules: each measurement starts a fresh server, opens the connections,
//! warms up, then reads the server's CPU time, runs the window and reads it
//! again; the server is killed before the next one starts, so only one
//! server ever runs at a time.

use std::io;

use crate::args::Config;
use crate::load::Load;
use crate::report::{count, num, round_order, Rounds, Table};
use crate::server_kind::ServerKind;
use crate::server_process::ServerProcess;
use crate::stats::percentile;

/// Metric columns of one sample, in [`Rounds`] order.
const MSGS: usize = 0;
const MIB: usize = 1;
const P50: usize = 2;
const P99: usize = 3;
const CPU: usize = 4;

/// One window against one fresh server: the metrics above.
fn measure(kind: ServerKind, conns: usize, size: usize, config: &Config) -> io::Result<Vec<f64>> {
    let server = ServerProcess::start(kind)?;
    let mut load = Load::connect(server.addr(), conns, size)?;
    load.run(config.warmup, false)?;
    let cpu_before = server.cpu_ns()?;
    let mut span = load.run(config.window, true)?;
    let cpu_after = server.cpu_ns()?;
    drop(load);
    let secs = span.elapsed.as_secs_f64();
    let msgs = span.messages as f64;
    Ok(vec![
        msgs / secs,
        msgs * size as f64 / secs / (1024.0 * 1024.0),
        percentile(&mut span.latencies_ns, 50.0) / 1e3,
        percentile(&mut span.latencies_ns, 99.0) / 1e3,
        (cpu_after - cpu_before) as f64 / msgs,
    ])
}

/// Runs the matrix the filters leave and prints its tables.
pub fn run(config: &Config) -> io::Result<()> {
    let mut results = Vec::new();
    for &size in &config.sizes {
        for &conns in &config.conns {
            let mut rounds = Rounds::new(&config.servers);
            for round in 0..config.rounds {
                for kind in round_order(&config.servers, round) {
                    rounds.push(kind, measure(kind, conns, size, config)?);
                }
            }
            eprintln!(
                "echo conns={conns} size={size}: {}",
                rounds
                    .servers()
                    .iter()
                    .map(|&k| format!(
                        "{} {} msg/s {} ns/msg",
                        k.name(),
                        count(rounds.median(k, MSGS)),
                        count(rounds.median(k, CPU))
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            results.push((conns, size, rounds));
        }
    }
    print_tables(&results);
    Ok(())
}

/// `64 B`, `16 KiB`: a message size as the tables print it.
pub fn size_name(size: usize) -> String {
    if size >= 1024 && size % 1024 == 0 {
        format!("{} KiB", size / 1024)
    } else {
        format!("{size} B")
    }
}

fn print_tables(results: &[(usize, usize, Rounds)]) {
    println!("\nEcho, medians per server:");
    let mut table = Table::new(&[
        "conns",
        "size",
        "server",
        "msg/s",
        "MiB/s",
        "p50 µs",
        "p99 µs",
        "p99/p50",
        "CPU ns/msg",
    ]);
    for (conns, size, rounds) in results {
        for &kind in rounds.servers() {
            let (p50, p99) = (rounds.median(kind, P50), rounds.median(kind, P99));
            table.push(vec![
                conns.to_string(),
                size_name(*size),
                kind.name().into(),
                count(rounds.median(kind, MSGS)),
                num(rounds.median(kind, MIB), 1),
                num(p50, 1),
                num(p99, 1),
                num(p99 / p50, 2),
                count(rounds.median(kind, CPU)),
            ]);
        }
    }
    table.print();
    println!("Echo, mudu over the others (median of per-round ratios):");
    let mut table = Table::new(&[
        "conns",
        "size",
        "msg/s mudu/tokio",
        "msg/s mudu/mio",
        "CPU/msg mudu/tokio",
        "CPU/msg mudu/mio",
    ]);
    let (mudu, tokio, mio) = (ServerKind::Mudu, ServerKind::Tokio, ServerKind::Mio);
    for (conns, size, rounds) in results {
        table.push(vec![
            conns.to_string(),
            size_name(*size),
            num(rounds.ratio(mudu, tokio, MSGS), 3),
            num(rounds.ratio(mudu, mio, MSGS), 3),
            num(rounds.ratio(mudu, tokio, CPU), 3),
            num(rounds.ratio(mudu, mio, CPU), 3),
        ]);
    }
    table.print();
}
