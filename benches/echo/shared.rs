//! Server CPU per message with every server alive for the whole
//! measurement: all of the line-up on CPU 0 together, the load generator on
//! CPU 1, and the CPU time of each server over the same stretch of time.
//!
//! Why: in `echo` the servers take turns of a second and more, and this
//! guest drifts by 10-15% over such spans, more than the differences to
//! resolve. Here the servers live side by side, so a drift of the machine
//! reaches all of them alike and cancels in their ratios. Two ways to share
//! the core (`sharing=`):
//! - `turns` (the default): the servers take turns of `SLICE` (50 ms): one
//!   works while the others wait idle in their polls, so each has the core
//!   and its caches to itself, as in `echo`, while the turns come fast
//!   enough that the drift reaches all alike. Its messages/s are those of
//!   its own turns, so this also compares throughput.
//! - `at-once`: every server works all the time and they compete for the
//!   core, so each also pays for what the others evict from the caches; a
//!   server's rate depends on its neighbours, so no messages/s.
//!
//! Rules:
//! - The line-up is the `servers=` list plus a second mio loop, the
//!   control: the two floors do the same work under the same conditions, so
//!   their ratio shows how closely the method measures (1 with no noise).
//! - Each server gets `conns` connections of its own.
//! - Fresh servers every round, started in a rotated order; in `turns` the
//!   order of the turns rotates too.

use std::io;
use std::time::{Duration, Instant};

use crate::args::{Config, Sharing};
use crate::load::Load;
use crate::report::{count, num, round_order, Table};
use crate::server_kind::ServerKind;
use crate::server_process::ServerProcess;
use crate::stats::median;

/// One server's turn with `sharing=turns`.
const SLICE: Duration = Duration::from_millis(50);

/// How long the messages in flight at the end of a turn may take to come back before the
/// measurement fails.
const DRAIN_LIMIT: Duration = Duration::from_secs(10);

/// What one round gives for one server.
#[derive(Clone, Copy, Default)]
struct Sample {
    cpu_per_msg: f64,
    /// NaN with `sharing=at-once`.
    msgs_per_sec: f64,
}

fn start_all(lineup: &[ServerKind]) -> io::Result<Vec<ServerProcess>> {
    lineup
        .iter()
        .map(|&kind| ServerProcess::start(kind))
        .collect()
}

fn cpu_of(servers: &[ServerProcess]) -> io::Result<Vec<u64>> {
    servers.iter().map(ServerProcess::cpu_ns).collect()
}

/// `sharing=at-once`: one load spread over all servers, one window.
fn at_once(
    lineup: &[ServerKind],
    conns: usize,
    size: usize,
    config: &Config,
) -> io::Result<Vec<Sample>> {
    let servers = start_all(lineup)?;
    let addrs: Vec<_> = servers.iter().map(ServerProcess::addr).collect();
    let mut load = Load::connect_each(&addrs, conns, size)?;
    load.run(config.warmup, false)?;
    let before = cpu_of(&servers)?;
    let span = load.run(config.window, false)?;
    let after = cpu_of(&servers)?;
    Ok((0..servers.len())
        .map(|s| Sample {
            cpu_per_msg: (after[s] - before[s]) as f64 / span.messages_by_server[s] as f64,
            msgs_per_sec: f64::NAN,
        })
        .collect())
}

/// `sharing=turns`: a load per server, driven one at a time for `SLICE`, then drained, until each
/// server has had `config.window` of turns.
fn in_turns(
    lineup: &[ServerKind],
    conns: usize,
    size: usize,
    config: &Config,
) -> io::Result<Vec<Sample>> {
    let servers = start_all(lineup)?;
    let mut loads = Vec::with_capacity(servers.len());
    for server in &servers {
        let mut load = Load::connect(server.addr(), conns, size)?;
        load.run(config.warmup, false)?;
        load.finish(DRAIN_LIMIT)?;
        loads.push(load);
    }
    let turns = (config.window.as_secs_f64() / SLICE.as_secs_f64()).ceil() as usize;
    let mut cpu = vec![0u64; servers.len()];
    let mut messages = vec![0u64; servers.len()];
    let mut busy = vec![Duration::ZERO; servers.len()];
    let indices: Vec<usize> = (0..servers.len()).collect();
    for turn in 0..turns {
        for s in round_order(&indices, turn) {
            let before = servers[s].cpu_ns()?;
            let begin = Instant::now();
            loads[s].resume()?;
            messages[s] += loads[s].run(SLICE, false)?.messages;
            messages[s] += loads[s].finish(DRAIN_LIMIT)?;
            busy[s] += begin.elapsed();
            cpu[s] += servers[s].cpu_ns()? - before;
        }
    }
    Ok((0..servers.len())
        .map(|s| Sample {
            cpu_per_msg: cpu[s] as f64 / messages[s] as f64,
            msgs_per_sec: messages[s] as f64 / busy[s].as_secs_f64(),
        })
        .collect())
}

/// Runs every cell the filters leave and prints its table.
pub fn run(config: &Config) -> io::Result<()> {
    let mut lineup = config.servers.clone();
    lineup.push(ServerKind::Mio);
    let control = Some(lineup.len() - 1);
    let find = |kind| lineup.iter().position(|&k| k == kind);
    let (mudu, tokio, floor) = (
        find(ServerKind::Mudu),
        find(ServerKind::Tokio),
        find(ServerKind::Mio),
    );
    let turns = config.sharing == Sharing::Turns;
    let mut table = Table::new(&[
        "conns",
        "size",
        "mudu ns/msg",
        "tokio ns/msg",
        "mio ns/msg",
        "CPU mudu/mio",
        "CPU mudu/tokio",
        "CPU mio/mio (control)",
        "msg/s mudu/tokio",
        "msg/s mudu/mio",
    ]);
    for &size in &config.sizes {
        for &conns in &config.conns {
            // samples[r][s]: round r, server lineup[s].
            let mut samples = Vec::with_capacity(config.rounds);
            let indices: Vec<usize> = (0..lineup.len()).collect();
            for round in 0..config.rounds {
                let order = round_order(&indices, round);
                let kinds: Vec<ServerKind> = order.iter().map(|&s| lineup[s]).collect();
                let values = if turns {
                    in_turns(&kinds, conns, size, config)?
                } else {
                    at_once(&kinds, conns, size, config)?
                };
                let mut row = vec![Sample::default(); lineup.len()];
                for (i, &s) in order.iter().enumerate() {
                    row[s] = values[i];
                }
                samples.push(row);
            }
            let cpu = |s: Option<usize>| match s {
                Some(s) => count(median(
                    &samples.iter().map(|r| r[s].cpu_per_msg).collect::<Vec<_>>(),
                )),
                None => "-".into(),
            };
            let ratio =
                |a: Option<usize>, b: Option<usize>, metric: fn(&Sample) -> f64| match (a, b) {
                    (Some(a), Some(b)) if turns || metric(&samples[0][a]).is_finite() => spread(
                        &samples
                            .iter()
                            .map(|r| metric(&r[a]) / metric(&r[b]))
                            .collect::<Vec<_>>(),
                    ),
                    _ => "-".into(),
                };
            let by_cpu: fn(&Sample) -> f64 = |s| s.cpu_per_msg;
            let by_rate: fn(&Sample) -> f64 = |s| s.msgs_per_sec;
            let row = vec![
                conns.to_string(),
                crate::echo::size_name(size),
                cpu(mudu),
                cpu(tokio),
                cpu(floor),
                ratio(mudu, floor, by_cpu),
                ratio(mudu, tokio, by_cpu),
                ratio(control, floor, by_cpu),
                ratio(mudu, tokio, by_rate),
                ratio(mudu, floor, by_rate),
            ];
            eprintln!("shared conns={conns} size={size}: {}", row[2..].join(" | "));
            table.push(row);
        }
    }
    println!(
        "\nThe servers side by side on CPU 0 ({}), medians of {} rounds; ratios: median of per-round \
         ratios (lowest..highest round)",
        if turns { "taking turns of 50 ms" } else { "all at once" },
        config.rounds
    );
    table.print();
    Ok(())
}

/// `median (lowest..highest)` of per-round ratios.
fn spread(ratios: &[f64]) -> String {
    let lo = ratios.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = ratios.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    format!(
        "{} ({}..{})",
        num(median(ratios), 3),
        num(lo, 3),
        num(hi, 3)
    )
}
