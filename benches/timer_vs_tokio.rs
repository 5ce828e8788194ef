//! Timers, mudu beside tokio's current-thread runtime, in one run.
//!
//! ```text
//! cargo bench --bench timer_vs_tokio            # 9 interleaved rounds (5 for 1,000,000 pending)
//! cargo bench --bench timer_vs_tokio -- 15      # 15 rounds (8 for 1,000,000 pending)
//! cargo bench --bench timer_vs_tokio -- firing  # only the firing test (or `pending`: only the others)
//! cargo bench --bench timer_vs_tokio -- firing firing-timers=1000   # firing at a lower rate
//! ```
//!
//! Workloads, each with 1,000, 100,000 and 1,000,000 pending timers whose deadlines are drawn from
//! 1 ms to 10 s by a fixed-seed generator (the same draws for both runtimes):
//! - insert: create a sleep and poll it once inside the runtime, so that it is registered.
//! - cancel: drop a pending sleep inside the runtime.
//! - bytes per pending timer: heap bytes live after the inserts minus before, over the number of timers
//!   (a counting global allocator), plus the size of what the user holds for each timer: `Sleep` for
//!   mudu (it is `Unpin`), `Pin<Box<Sleep>>` for tokio (its `Sleep` is `!Unpin`, so it is boxed to be
//!   kept in a collection and polled; the box's contents are in the heap bytes). Bytes come from a
//!   cold fill on a fresh runtime, so growth of the timer storage is counted; insert and cancel times
//!   from a second, warm fill and drain on the same runtime (the steady state).
//!
//! And firing: 100,000 tasks (or `firing-timers=N`) each sleep until their own deadline, drawn
//! within a 100 ms window on the real clock; each records how late it woke
//! (`std::time::Instant::now() - deadline`); the table shows the p50 and p99 of that lateness.
//!
//! The contenders run in alternation, round after round, and the table reports medians, so drift of the
//! machine between rounds hits both alike. Insert and cancel with 1,000 timers repeat the batch on
//! fresh runtimes and report the mean per timer of each round.

use std::alloc::{GlobalAlloc, Layout, System};
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// The system allocator, keeping a count of the bytes live on the heap.
struct Counting;

static LIVE_BYTES: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is forwarded unchanged to `System`, which upholds the `GlobalAlloc` contract; the
// counter is only bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's guarantees for `alloc` are passed on to `System`.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            LIVE_BYTES.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's guarantees for `alloc_zeroed` are passed on to `System`.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            LIVE_BYTES.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout`, as the caller guarantees.
        unsafe { System.dealloc(ptr, layout) };
        LIVE_BYTES.fetch_sub(layout.size() as isize, Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's guarantees for `realloc` are passed on to `System`.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            LIVE_BYTES.fetch_add(
                new_size as isize - layout.size() as isize,
                Ordering::Relaxed,
            );
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live_bytes() -> isize {
    LIVE_BYTES.load(Ordering::Relaxed)
}

/// SplitMix64: a small fixed-seed generator, so every run draws the same deadlines.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A duration drawn uniformly from `lo..hi`, at nanosecond resolution.
    fn duration(&mut self, lo: Duration, hi: Duration) -> Duration {
        let span = (hi - lo).as_nanos() as u64;
        lo + Duration::from_nanos(self.next() % span)
    }
}

/// `n` delays from 1 ms to 10 s.
fn delays(n: usize) -> Vec<Duration> {
    let mut rng = Rng(0x5EED_0000 ^ n as u64);
    (0..n)
        .map(|_| rng.duration(Duration::from_millis(1), Duration::from_secs(10)))
        .collect()
}

/// One batch: nanoseconds spent inserting and cancelling, and heap bytes grown by the inserts.
#[derive(Default, Clone, Copy)]
struct Batch {
    insert: Duration,
    cancel: Duration,
    heap: isize,
}

impl std::ops::AddAssign for Batch {
    fn add_assign(&mut self, other: Batch) {
        self.insert += other.insert;
        self.cancel += other.cancel;
        self.heap += other.heap;
    }
}

/// Creates and polls once a timer for every delay, holding them in `held` (whose capacity is already
/// there and touched, so its growth is not measured), then drops them all. Returns the insert time, the
/// cancel time and the heap bytes that the pending timers added.
fn fill_and_drain<S>(
    cx: &mut Context<'_>,
    delays: &[Duration],
    held: &mut Vec<S>,
    make: impl Fn(Duration) -> S,
    poll: impl Fn(&mut S, &mut Context<'_>) -> Poll<()>,
) -> Batch {
    held.clear();
    held.reserve(delays.len());
    let before = live_bytes();
    let start = Instant::now();
    for &d in delays {
        let mut sleep = make(d);
        assert!(poll(&mut sleep, cx).is_pending());
        held.push(sleep);
    }
    let insert = start.elapsed();
    let heap = live_bytes() - before;
    let start = Instant::now();
    held.clear();
    let cancel = start.elapsed();
    Batch {
        insert,
        cancel,
        heap,
    }
}

/// A cold fill on a fresh runtime gives the bytes; a second, warm fill gives the times (steady state:
/// timer storage already grown, allocator free lists already filled).
fn cold_then_warm<S>(
    cx: &mut Context<'_>,
    delays: &[Duration],
    held: &mut Vec<S>,
    make: impl Fn(Duration) -> S,
    poll: impl Fn(&mut S, &mut Context<'_>) -> Poll<()>,
) -> Batch {
    let cold = fill_and_drain(cx, delays, held, &make, &poll);
    let warm = fill_and_drain(cx, delays, held, &make, &poll);
    Batch {
        heap: cold.heap,
        ..warm
    }
}

fn mudu_batch(delays: &[Duration], held: &mut Vec<mudu::time::Sleep>) -> Batch {
    let rt = mudu::Runtime::new().unwrap();
    rt.block_on(poll_fn(|cx: &mut Context<'_>| {
        Poll::Ready(cold_then_warm(
            cx,
            delays,
            held,
            mudu::time::sleep,
            |s, cx| Pin::new(s).poll(cx),
        ))
    }))
}

fn tokio_batch(delays: &[Duration], held: &mut Vec<Pin<Box<tokio::time::Sleep>>>) -> Batch {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    rt.block_on(poll_fn(|cx: &mut Context<'_>| {
        Poll::Ready(cold_then_warm(
            cx,
            delays,
            held,
            |d| Box::pin(tokio::time::sleep(d)),
            |s, cx| s.as_mut().poll(cx),
        ))
    }))
}

/// Per-timer figures of one round: ns per insert, ns per cancel, bytes per pending timer.
struct PerTimer {
    insert: f64,
    cancel: f64,
    bytes: f64,
}

fn per_timer<S>(
    delays: &[Duration],
    batches: usize,
    held: &mut Vec<S>,
    run: fn(&[Duration], &mut Vec<S>) -> Batch,
) -> PerTimer {
    let mut sum = Batch::default();
    for _ in 0..batches {
        sum += run(delays, held);
    }
    let held = std::mem::size_of::<S>();
    let timers = (delays.len() * batches) as f64;
    PerTimer {
        insert: sum.insert.as_nanos() as f64 / timers,
        cancel: sum.cancel.as_nanos() as f64 / timers,
        bytes: sum.heap as f64 / timers + held as f64,
    }
}

/// Timers in the firing test (unless `firing-timers=N` says otherwise), and the window their
/// deadlines fall in.
const FIRING_TIMERS: usize = 100_000;
const FIRING_WINDOW: Duration = Duration::from_millis(100);
/// Time from the start of the test to the window, to spawn every task and register its timer first.
const FIRING_LEAD: Duration = Duration::from_millis(300);

/// Deadline offsets from the window's start, in spawn order.
fn firing_offsets(timers: usize) -> Vec<Duration> {
    let mut rng = Rng(0xF1BE);
    (0..timers)
        .map(|_| rng.duration(Duration::ZERO, FIRING_WINDOW))
        .collect()
}

/// Lateness of every timer in nanoseconds, sorted; a negative value would be a timer fired early.
fn mudu_firing(offsets: &[Duration]) -> Vec<i64> {
    let rt = mudu::Runtime::new().unwrap();
    rt.block_on(async {
        let base = Instant::now() + FIRING_LEAD;
        let tasks: Vec<_> = offsets
            .iter()
            .map(|&offset| {
                let deadline = base + offset;
                mudu::spawn(async move {
                    mudu::time::sleep_until(mudu::time::Instant::from_std(deadline)).await;
                    lateness(deadline)
                })
            })
            .collect();
        let mut late = Vec::with_capacity(tasks.len());
        for task in tasks {
            late.push(task.await.unwrap());
        }
        late.sort_unstable();
        late
    })
}

fn tokio_firing(offsets: &[Duration]) -> Vec<i64> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    rt.block_on(async {
        let base = Instant::now() + FIRING_LEAD;
        let tasks: Vec<_> = offsets
            .iter()
            .map(|&offset| {
                let deadline = base + offset;
                tokio::spawn(async move {
                    tokio::time::sleep_until(deadline.into()).await;
                    lateness(deadline)
                })
            })
            .collect();
        let mut late = Vec::with_capacity(tasks.len());
        for task in tasks {
            late.push(task.await.unwrap());
        }
        late.sort_unstable();
        late
    })
}

/// Signed nanoseconds from `deadline` to now.
fn lateness(deadline: Instant) -> i64 {
    let now = Instant::now();
    match now.checked_duration_since(deadline) {
        Some(late) => late.as_nanos() as i64,
        None => -(deadline.duration_since(now).as_nanos() as i64),
    }
}

/// The `p`-th percentile of sorted values.
fn percentile(sorted: &[i64], p: usize) -> f64 {
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)] as f64
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn row(name: &str, mudu: Vec<f64>, tokio: Vec<f64>, precision: usize) {
    let (m, t) = (median(mudu), median(tokio));
    println!(
        "{name:<34} {m:>10.p$} {t:>10.p$} {:>11.2}",
        m / t,
        p = precision
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rounds: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(9);
    let only = |name: &str| {
        !args.iter().any(|a| a == "firing" || a == "pending") || args.iter().any(|a| a == name)
    };
    let mudu_held = std::mem::size_of::<mudu::time::Sleep>();
    let tokio_held = std::mem::size_of::<Pin<Box<tokio::time::Sleep>>>();
    println!(
        "{rounds} interleaved rounds ({} for 1,000,000 pending), medians",
        rounds.div_ceil(2)
    );
    println!(
        "held per timer: mudu Sleep {mudu_held} B; tokio Pin<Box<Sleep>> {tokio_held} B (+ {} B boxed)",
        std::mem::size_of::<tokio::time::Sleep>()
    );
    println!(
        "{:<34} {:>10} {:>10} {:>11}",
        "workload", "mudu", "tokio", "mudu/tokio"
    );
    let sizes = if only("pending") {
        &[1_000, 100_000, 1_000_000][..]
    } else {
        &[]
    };
    for &pending in sizes {
        let (batches, rounds) = match pending {
            1_000 => (50, rounds),
            1_000_000 => (1, rounds.div_ceil(2)),
            _ => (1, rounds),
        };
        let delays = delays(pending);
        // Warm up both once.
        let (mut mudu_sleeps, mut tokio_sleeps) = (Vec::new(), Vec::new());
        per_timer(&delays, 1, &mut mudu_sleeps, mudu_batch);
        per_timer(&delays, 1, &mut tokio_sleeps, tokio_batch);
        let (mut m, mut t) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            m.push(per_timer(&delays, batches, &mut mudu_sleeps, mudu_batch));
            t.push(per_timer(&delays, batches, &mut tokio_sleeps, tokio_batch));
        }
        let pick = |v: &[PerTimer], f: fn(&PerTimer) -> f64| v.iter().map(f).collect::<Vec<_>>();
        row(
            &format!("insert ns, {pending} pending"),
            pick(&m, |p| p.insert),
            pick(&t, |p| p.insert),
            1,
        );
        row(
            &format!("cancel ns, {pending} pending"),
            pick(&m, |p| p.cancel),
            pick(&t, |p| p.cancel),
            1,
        );
        row(
            &format!("bytes per timer, {pending} pending"),
            pick(&m, |p| p.bytes),
            pick(&t, |p| p.bytes),
            1,
        );
    }

    if !only("firing") {
        return;
    }
    let timers = args
        .iter()
        .find_map(|a| a.strip_prefix("firing-timers="))
        .map_or(FIRING_TIMERS, |n| {
            n.parse()
                .ok()
                .filter(|&n| n > 0)
                .expect("firing-timers=N takes a positive count")
        });
    let offsets = firing_offsets(timers);
    mudu_firing(&offsets);
    tokio_firing(&offsets);
    let (mut m50, mut m99, mut t50, mut t99) = (vec![], vec![], vec![], vec![]);
    let mut early = 0;
    for _ in 0..rounds.div_ceil(2) {
        let m = mudu_firing(&offsets);
        let t = tokio_firing(&offsets);
        early += m.iter().filter(|&&ns| ns < 0).count();
        m50.push(percentile(&m, 50) / 1e3);
        m99.push(percentile(&m, 99) / 1e3);
        t50.push(percentile(&t, 50) / 1e3);
        t99.push(percentile(&t, 99) / 1e3);
    }
    let window = FIRING_WINDOW.as_millis();
    row(
        &format!("firing lateness p50 us, {timers}/{window}ms"),
        m50,
        t50,
        0,
    );
    row(
        &format!("firing lateness p99 us, {timers}/{window}ms"),
        m99,
        t99,
        0,
    );
    assert_eq!(early, 0, "a mudu timer fired before its deadline");
}
