//! Connections per second: connect, one 64-byte echo, close; one at a time
//! (serial) and 100 in parallel, every server in every round.
//!
//! Rules: as for the echo matrix, a fresh server per measurement, killed
//! before the next starts; CPU time is read around the window only.

use std::io;

use crate::args::Config;
use crate::churn::Churn;
use crate::report::{count, num, round_order, Rounds, Table};
use crate::server_kind::ServerKind;
use crate::server_process::ServerProcess;
use crate::stats::percentile;

/// The parallelism of the two measurements.
const PARALLEL: [usize; 2] = [1, 100];

const CONNS: usize = 0;
const P50: usize = 1;
const P99: usize = 2;
const CPU: usize = 3;
const FAILED: usize = 4;

fn measure(kind: ServerKind, parallel: usize, config: &Config) -> io::Result<Vec<f64>> {
    let server = ServerProcess::start(kind)?;
    let mut churn = Churn::new(server.addr(), parallel)?;
    churn.run(config.warmup, false)?;
    let cpu_before = server.cpu_ns()?;
    let mut span = churn.run(config.window, true)?;
    let cpu_after = server.cpu_ns()?;
    drop(churn);
    let n = span.connections as f64;
    Ok(vec![
        n / span.elapsed.as_secs_f64(),
        percentile(&mut span.latencies_ns, 50.0) / 1e3,
        percentile(&mut span.latencies_ns, 99.0) / 1e3,
        (cpu_after - cpu_before) as f64 / n,
        span.failures as f64,
    ])
}

fn mode_name(parallel: usize) -> String {
    if parallel == 1 {
        "serial".into()
    } else {
        format!("{parallel} parallel")
    }
}

/// Runs both measurements and prints their tables.
pub fn run(config: &Config) -> io::Result<()> {
    let mut results = Vec::new();
    for parallel in PARALLEL {
        let mut rounds = Rounds::new(&config.servers);
        for round in 0..config.rounds {
            for kind in round_order(&config.servers, round) {
                rounds.push(kind, measure(kind, parallel, config)?);
            }
        }
        eprintln!(
            "cps {}: {}",
            mode_name(parallel),
            rounds
                .servers()
                .iter()
                .map(|&k| format!("{} {} conn/s", k.name(), count(rounds.median(k, CONNS))))
                .collect::<Vec<_>>()
                .join(", ")
        );
        results.push((parallel, rounds));
    }
    println!("\nConnections per second (connect, 64-byte echo, close), medians:");
    let mut table = Table::new(&[
        "mode",
        "server",
        "conn/s",
        "p50 µs",
        "p99 µs",
        "CPU ns/conn",
        "failed",
    ]);
    for (parallel, rounds) in &results {
        for &kind in rounds.servers() {
            table.push(vec![
                mode_name(*parallel),
                kind.name().into(),
                count(rounds.median(kind, CONNS)),
                num(rounds.median(kind, P50), 1),
                num(rounds.median(kind, P99), 1),
                count(rounds.median(kind, CPU)),
                count(rounds.median(kind, FAILED)),
            ]);
        }
    }
    table.print();
    println!("Connections per second, mudu over the others (median of per-round ratios):");
    let mut table = Table::new(&[
        "mode",
        "conn/s mudu/tokio",
        "conn/s mudu/mio",
        "CPU/conn mudu/tokio",
        "CPU/conn mudu/mio",
    ]);
    let (mudu, tokio, mio) = (ServerKind::Mudu, ServerKind::Tokio, ServerKind::Mio);
    for (parallel, rounds) in &results {
        table.push(vec![
            mode_name(*parallel),
            num(rounds.ratio(mudu, tokio, CONNS), 3),
            num(rounds.ratio(mudu, mio, CONNS), 3),
            num(rounds.ratio(mudu, tokio, CPU), 3),
            num(rounds.ratio(mudu, mio, CPU), 3),
        ]);
    }
    table.print();
    Ok(())
}
