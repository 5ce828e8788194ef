//! Executor overhead, mudu beside tokio's current-thread runtime, in one run.
//!
//! ```text
//! cargo bench --bench runtime_vs_tokio            # all workloads, 9 interleaved rounds
//! cargo bench --bench runtime_vs_tokio -- 15      # 15 rounds
//! ```
//!
//! Workloads:
//! - spawn+run+join: spawn 1,000,000 trivial tasks, then await every join handle.
//! - ping-pong: two tasks hand a token back and forth through wakers, 1,000,000 round trips.
//!
//! The contenders run in alternation, round after round, and the table reports medians, so drift of the
//! machine between rounds hits both alike.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

const TASKS: usize = 1_000_000;
const ROUND_TRIPS: usize = 1_000_000;

/// A one-way flag with a waker: the same primitive for both runtimes.
#[derive(Default)]
struct Signal {
    set: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl Signal {
    fn notify(&self) {
        self.set.store(true, Ordering::Release);
        if let Some(w) = self.waker.lock().unwrap().take() {
            w.wake();
        }
    }

    fn wait(&self) -> impl Future<Output = ()> + '_ {
        std::future::poll_fn(move |cx: &mut Context<'_>| {
            if self.set.swap(false, Ordering::Acquire) {
                return Poll::Ready(());
            }
            *self.waker.lock().unwrap() = Some(cx.waker().clone());
            if self.set.swap(false, Ordering::Acquire) {
                return Poll::Ready(());
            }
            Poll::Pending
        })
    }
}

async fn ping_pong<S, H>(spawn: S, rounds: usize)
where
    S: Fn(Pin<Box<dyn Future<Output = ()> + Send>>) -> H,
    H: Future<Output = ()>,
{
    let ping = Arc::new(Signal::default());
    let pong = Arc::new(Signal::default());
    let (p1, q1) = (ping.clone(), pong.clone());
    let a = spawn(Box::pin(async move {
        for _ in 0..rounds {
            p1.notify();
            q1.wait().await;
        }
    }));
    let (p2, q2) = (ping, pong);
    let b = spawn(Box::pin(async move {
        for _ in 0..rounds {
            p2.wait().await;
            q2.notify();
        }
    }));
    a.await;
    b.await;
}

fn mudu_spawn_join() -> Duration {
    let rt = mudu::Runtime::new().unwrap();
    let start = Instant::now();
    rt.block_on(async {
        let handles: Vec<_> = (0..TASKS).map(|i| mudu::spawn(async move { i })).collect();
        for h in handles {
            std::hint::black_box(h.await.unwrap());
        }
    });
    start.elapsed()
}

fn tokio_spawn_join() -> Duration {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let start = Instant::now();
    rt.block_on(async {
        let handles: Vec<_> = (0..TASKS).map(|i| tokio::spawn(async move { i })).collect();
        for h in handles {
            std::hint::black_box(h.await.unwrap());
        }
    });
    start.elapsed()
}

fn mudu_ping_pong() -> Duration {
    let rt = mudu::Runtime::new().unwrap();
    let start = Instant::now();
    rt.block_on(ping_pong(
        |f| {
            let h = mudu::spawn(f);
            async move { h.await.unwrap() }
        },
        ROUND_TRIPS,
    ));
    start.elapsed()
}

fn tokio_ping_pong() -> Duration {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let start = Instant::now();
    rt.block_on(ping_pong(
        |f| {
            let h = tokio::spawn(f);
            async move { h.await.unwrap() }
        },
        ROUND_TRIPS,
    ));
    start.elapsed()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    let rounds: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(9);
    type Bench = (&'static str, usize, fn() -> Duration, fn() -> Duration);
    let benches: [Bench; 2] = [
        ("spawn+run+join", TASKS, mudu_spawn_join, tokio_spawn_join),
        (
            "ping-pong (round trip)",
            ROUND_TRIPS,
            mudu_ping_pong,
            tokio_ping_pong,
        ),
    ];
    println!("{rounds} interleaved rounds, medians; ns per operation");
    println!(
        "{:<24} {:>10} {:>10} {:>12}",
        "workload", "mudu", "tokio", "mudu/tokio"
    );
    for (name, ops, mudu, tokio) in benches {
        // Warm up both once.
        mudu();
        tokio();
        let (mut m, mut t) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            m.push(mudu().as_nanos() as f64 / ops as f64);
            t.push(tokio().as_nanos() as f64 / ops as f64);
        }
        let (m, t) = (median(m), median(t));
        println!("{name:<24} {m:>10.1} {t:>10.1} {:>12.2}", m / t);
    }
}
