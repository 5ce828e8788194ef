//! Executor overhead, mudu beside tokio's current-thread runtime, in one run.
//!
//! ```text
//! cargo bench --bench runtime_vs_tokio            # all workloads, 9 interleaved rounds
//! cargo bench --bench runtime_vs_tokio -- 15      # 15 rounds
//! cargo bench --bench runtime_vs_tokio -- 15 spawn   # only workloads whose name contains "spawn"
//! PROFILE=mudu cargo bench --bench runtime_vs_tokio  # run mudu alone (for perf record), no table
//! ```
//!
//! Workloads:
//! - spawn+run+join: spawn 1,000,000 trivial tasks, then await every join handle.
//! - ping-pong, Send: two tasks hand a token back and forth through wakers, 1,000,000 round trips, with a
//!   thread-safe flag (atomics and a mutex), spawned with `mudu::spawn` / `tokio::spawn`.
//! - ping-pong, local: the same with a single-threaded flag (`Cell`, `RefCell`), spawned with
//!   `mudu::spawn` / tokio's `LocalSet::spawn_local` (tokio's way to run tasks that are not `Send`).
//!
//! The contenders run in alternation, round after round, and the table reports medians, so drift of the
//! machine between rounds hits both alike. Each workload runs in a child process of its own, so that
//! none inherits the allocator state another left behind.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

const TASKS: usize = 1_000_000;
const ROUND_TRIPS: usize = 1_000_000;

/// A one-way flag with a waker: the same primitive for both runtimes. It keeps the waiter's waker
/// registered (refreshing it only when `will_wake` says it changed) and wakes it by reference, so the
/// round trip costs the runtimes' wake and poll paths, not waker clones.
#[derive(Default)]
struct Signal {
    set: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl Signal {
    fn notify(&self) {
        self.set.store(true, Ordering::Release);
        if let Some(w) = &*self.waker.lock().unwrap() {
            w.wake_by_ref();
        }
    }

    fn wait(&self) -> impl Future<Output = ()> + '_ {
        std::future::poll_fn(move |cx: &mut Context<'_>| {
            if self.set.swap(false, Ordering::Acquire) {
                return Poll::Ready(());
            }
            {
                let mut slot = self.waker.lock().unwrap();
                if !slot.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                    *slot = Some(cx.waker().clone());
                }
            }
            if self.set.swap(false, Ordering::Acquire) {
                return Poll::Ready(());
            }
            Poll::Pending
        })
    }
}

/// The single-threaded twin of [`Signal`], for tasks that need not be `Send` (mudu's tasks, tokio's
/// `LocalSet`): no atomics, no lock, so the runtimes' own wake paths are all that is measured.
#[derive(Default)]
struct LocalSignal {
    set: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

impl LocalSignal {
    fn notify(&self) {
        self.set.set(true);
        if let Some(w) = &*self.waker.borrow() {
            w.wake_by_ref();
        }
    }

    fn wait(&self) -> impl Future<Output = ()> + '_ {
        std::future::poll_fn(move |cx: &mut Context<'_>| {
            if self.set.replace(false) {
                return Poll::Ready(());
            }
            let mut slot = self.waker.borrow_mut();
            if !slot.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                *slot = Some(cx.waker().clone());
            }
            Poll::Pending
        })
    }
}

async fn local_ping_pong<S, H>(spawn: S, rounds: usize)
where
    S: Fn(Pin<Box<dyn Future<Output = ()>>>) -> H,
    H: Future<Output = ()>,
{
    let ping = Rc::new(LocalSignal::default());
    let pong = Rc::new(LocalSignal::default());
    let (p1, q1) = (ping.clone(), pong.clone());
    let a = spawn(Box::pin(async move {
        for _ in 0..rounds {
            p1.notify();
            q1.wait().await;
        }
    }));
    let b = spawn(Box::pin(async move {
        for _ in 0..rounds {
            ping.wait().await;
            pong.notify();
        }
    }));
    a.await;
    b.await;
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

fn mudu_local_ping_pong() -> Duration {
    let rt = mudu::Runtime::new().unwrap();
    let start = Instant::now();
    rt.block_on(local_ping_pong(
        |f| {
            let h = mudu::spawn(f);
            async move { h.await.unwrap() }
        },
        ROUND_TRIPS,
    ));
    start.elapsed()
}

fn tokio_local_ping_pong() -> Duration {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    let start = Instant::now();
    local.block_on(
        &rt,
        local_ping_pong(
            |f| {
                let h = tokio::task::spawn_local(f);
                async move { h.await.unwrap() }
            },
            ROUND_TRIPS,
        ),
    );
    start.elapsed()
}

/// Set in the child process that runs one workload.
const CHILD_ENV: &str = "MUDU_RUNTIME_BENCH_CHILD";

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let rounds: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(9);
    let filter = args.iter().find(|a| a.parse::<usize>().is_err());
    let profile = std::env::var("PROFILE").ok();
    type Bench = (&'static str, usize, fn() -> Duration, fn() -> Duration);
    let benches: [Bench; 3] = [
        ("spawn+run+join", TASKS, mudu_spawn_join, tokio_spawn_join),
        (
            "ping-pong, Send",
            ROUND_TRIPS,
            mudu_ping_pong,
            tokio_ping_pong,
        ),
        (
            "ping-pong, local",
            ROUND_TRIPS,
            mudu_local_ping_pong,
            tokio_local_ping_pong,
        ),
    ];
    let child = std::env::var_os(CHILD_ENV).is_some();
    if !child && profile.is_none() {
        println!(
            "{rounds} interleaved rounds, medians; ns per operation; one process per workload"
        );
        println!(
            "{:<24} {:>10} {:>10} {:>12}",
            "workload", "mudu", "tokio", "mudu/tokio"
        );
    }
    for (name, ops, mudu, tokio) in benches {
        if filter.is_some_and(|f| !name.contains(f.as_str())) {
            continue;
        }
        if !child && profile.is_none() {
            // Each workload runs in a process of its own: a million freed task cells leave the allocator
            // in a state that changes where the next workload's few allocations land, and with them the
            // next workload's timings (by up to a fifth for mudu's local ping-pong, in either direction).
            let out = std::process::Command::new(std::env::current_exe().expect("own path"))
                .arg(rounds.to_string())
                .arg(name)
                .env(CHILD_ENV, "1")
                .output()
                .expect("run one workload");
            print!("{}", String::from_utf8_lossy(&out.stdout));
            continue;
        }
        if let Some(who) = &profile {
            let run = if who == "tokio" { tokio } else { mudu };
            for _ in 0..rounds {
                run();
            }
            continue;
        }
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
