//! The race on the virtual clock, with fake attempts that sleep a planned time and then succeed or fail.

use super::*;
use mudu_timer::time::sleep;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

const FOREVER: u64 = 3_600_000;

fn a(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// What a fake attempt to one address does: wait `ms` of virtual time, then succeed or fail.
#[derive(Clone, Copy)]
struct Plan {
    ms: u64,
    ok: bool,
}

fn ok(ms: u64) -> Plan {
    Plan { ms, ok: true }
}

fn fail(ms: u64) -> Plan {
    Plan { ms, ok: false }
}

fn hang() -> Plan {
    Plan {
        ms: FOREVER,
        ok: false,
    }
}

#[derive(Debug, PartialEq)]
enum TestError {
    Failed(SocketAddr, u32),
    NoWinner(NoWinner),
}

/// What happened during one race, in virtual milliseconds since its start.
#[derive(Default)]
struct Log {
    /// (address, attempt number, start time)
    starts: Vec<(SocketAddr, u32, u64)>,
    /// (address, time) of attempts dropped before they finished.
    dropped_unfinished: Vec<(SocketAddr, u64)>,
    /// Attempt futures alive right now.
    alive: usize,
}

/// Marks an attempt alive while it exists; records its drop if it had not finished.
struct Guard {
    log: Rc<RefCell<Log>>,
    addr: SocketAddr,
    t0: Instant,
    finished: bool,
}

impl Drop for Guard {
    fn drop(&mut self) {
        let mut log = self.log.borrow_mut();
        log.alive -= 1;
        if !self.finished {
            let at = ms_since(self.t0);
            log.dropped_unfinished.push((self.addr, at));
        }
    }
}

fn ms_since(t0: Instant) -> u64 {
    Instant::now().duration_since(t0).as_millis() as u64
}

struct Outcome {
    result: Result<(SocketAddr, u32), TestError>,
    /// When the race returned.
    at: u64,
    log: Log,
}

/// Runs one race on a paused clock.
fn run(plans: &[(SocketAddr, Plan)], delay_ms: u64, deadline_ms: Option<u64>) -> Outcome {
    let rt = mudu_runtime::Runtime::builder()
        .start_paused(true)
        .build()
        .unwrap();
    let addrs: Vec<SocketAddr> = plans.iter().map(|(addr, _)| *addr).collect();
    let plans: HashMap<SocketAddr, Plan> = plans.iter().copied().collect();
    rt.block_on(async move {
        let t0 = Instant::now();
        let log = Rc::new(RefCell::new(Log::default()));
        let attempt = |addr: SocketAddr, n: u32| {
            let plan = plans[&addr];
            let log = Rc::clone(&log);
            {
                let mut l = log.borrow_mut();
                l.starts.push((addr, n, ms_since(t0)));
                l.alive += 1;
            }
            async move {
                let mut guard = Guard {
                    log,
                    addr,
                    t0,
                    finished: false,
                };
                sleep(Duration::from_millis(plan.ms)).await;
                guard.finished = true;
                if plan.ok {
                    Ok((addr, n))
                } else {
                    Err(TestError::Failed(addr, n))
                }
            }
        };
        let deadline = deadline_ms.map(|ms| t0 + Duration::from_millis(ms));
        let result = race(
            addrs,
            Duration::from_millis(delay_ms),
            deadline,
            attempt,
            TestError::NoWinner,
        )
        .await;
        let at = ms_since(t0);
        let log = Rc::try_unwrap(log)
            .ok()
            .expect("the race dropped every attempt")
            .into_inner();
        Outcome { result, at, log }
    })
}

fn start_times(log: &Log) -> Vec<u64> {
    log.starts.iter().map(|&(_, _, at)| at).collect()
}

#[test]
fn next_attempt_starts_after_each_delay_and_first_success_wins() {
    let (w, x, y, z) = (
        a("10.0.0.1:80"),
        a("10.0.0.2:80"),
        a("10.0.0.3:80"),
        a("10.0.0.4:80"),
    );
    let out = run(
        &[(w, hang()), (x, hang()), (y, ok(100)), (z, ok(1))],
        250,
        None,
    );
    assert_eq!(out.result, Ok((y, 3)));
    assert_eq!(start_times(&out.log), [0, 250, 500]);
    assert_eq!(out.at, 600);
    // The losers were dropped the moment the winner was known; the fourth never started.
    assert_eq!(out.log.dropped_unfinished, [(w, 600), (x, 600)]);
    assert_eq!(out.log.alive, 0);
}

#[test]
fn a_failure_starts_the_next_attempt_at_once() {
    // The timeline drawn in the module documentation.
    let (v6a, v4a, v6b, v4b) = (
        a("[::a]:80"),
        a("10.0.0.1:80"),
        a("[::b]:80"),
        a("10.0.0.2:80"),
    );
    let out = run(
        &[
            (v6a, hang()),
            (v6b, fail(100)),
            (v4a, hang()),
            (v4b, ok(50)),
        ],
        250,
        None,
    );
    assert_eq!(out.result, Ok((v4b, 4)));
    let order: Vec<_> = out
        .log
        .starts
        .iter()
        .map(|&(addr, n, at)| (addr, n, at))
        .collect();
    assert_eq!(
        order,
        [(v6a, 1, 0), (v4a, 2, 250), (v6b, 3, 500), (v4b, 4, 600)]
    );
    assert_eq!(out.at, 650);
    assert_eq!(out.log.dropped_unfinished, [(v6a, 650), (v4a, 650)]);
}

#[test]
fn a_delay_too_long_to_add_to_the_clock_waits_only_for_failures() {
    // `Duration::from_millis(u64::MAX)` is past anything an `Instant` holds: no next attempt is ever
    // due by time, so each one starts when the one before it fails.
    let (v6, v4) = (a("[::a]:80"), a("10.0.0.1:80"));
    let out = run(&[(v6, fail(10)), (v4, ok(5))], u64::MAX, None);
    assert_eq!(out.result, Ok((v4, 2)));
    assert_eq!(start_times(&out.log), [0, 10]);
    assert_eq!(out.at, 15);
}

#[test]
fn the_delay_counts_from_the_latest_start() {
    let (w, x, y) = (a("10.0.0.1:80"), a("10.0.0.2:80"), a("10.0.0.3:80"));
    let out = run(&[(w, fail(100)), (x, hang()), (y, ok(10))], 250, None);
    assert_eq!(out.result, Ok((y, 3)));
    assert_eq!(start_times(&out.log), [0, 100, 350]);
    assert_eq!(out.at, 360);
}

#[test]
fn an_older_attempt_failing_also_starts_the_next_early() {
    let (w, x, y) = (a("10.0.0.1:80"), a("10.0.0.2:80"), a("10.0.0.3:80"));
    let out = run(&[(w, fail(300)), (x, hang()), (y, ok(10))], 250, None);
    assert_eq!(start_times(&out.log), [0, 250, 300]);
    assert_eq!(out.result, Ok((y, 3)));
    assert_eq!(out.at, 310);
}

#[test]
fn immediate_failures_run_through_the_list_without_waiting() {
    let (w, x, y) = (a("10.0.0.1:80"), a("10.0.0.2:80"), a("10.0.0.3:80"));
    let out = run(&[(w, fail(0)), (x, fail(0)), (y, ok(0))], 250, None);
    assert_eq!(out.result, Ok((y, 3)));
    assert_eq!(start_times(&out.log), [0, 0, 0]);
    assert_eq!(out.at, 0);
}

#[test]
fn all_failing_returns_the_error_of_the_last_to_fail() {
    // w fails last in time although z started last.
    let (w, x, y) = (a("10.0.0.1:80"), a("10.0.0.2:80"), a("10.0.0.3:80"));
    let out = run(&[(w, fail(900)), (x, fail(10)), (y, fail(20))], 250, None);
    assert_eq!(start_times(&out.log), [0, 250, 260]);
    assert_eq!(out.result, Err(TestError::Failed(w, 1)));
    assert_eq!(out.at, 900);
    assert!(out.log.dropped_unfinished.is_empty());
}

#[test]
fn deadline_gives_up_at_exactly_the_deadline() {
    let (w, x, y, z) = (
        a("10.0.0.1:80"),
        a("10.0.0.2:80"),
        a("10.0.0.3:80"),
        a("10.0.0.4:80"),
    );
    let out = run(
        &[(w, hang()), (x, hang()), (y, hang()), (z, hang())],
        250,
        Some(600),
    );
    let timed_out = NoWinner::DeadlineElapsed {
        started: 3,
        last: Some(y),
    };
    assert_eq!(out.result, Err(TestError::NoWinner(timed_out)));
    assert_eq!(out.at, 600);
    assert_eq!(start_times(&out.log), [0, 250, 500]);
    assert_eq!(out.log.dropped_unfinished, [(w, 600), (x, 600), (y, 600)]);
    assert_eq!(out.log.alive, 0);
}

#[test]
fn no_attempt_starts_at_or_after_the_deadline() {
    let (w, x) = (a("10.0.0.1:80"), a("10.0.0.2:80"));
    let out = run(&[(w, hang()), (x, hang())], 250, Some(250));
    let timed_out = NoWinner::DeadlineElapsed {
        started: 1,
        last: Some(w),
    };
    assert_eq!(out.result, Err(TestError::NoWinner(timed_out)));
    assert_eq!(start_times(&out.log), [0]);
    assert_eq!(out.at, 250);
}

#[test]
fn a_deadline_already_passed_starts_nothing() {
    let out = run(&[(a("10.0.0.1:80"), ok(1))], 250, Some(0));
    let timed_out = NoWinner::DeadlineElapsed {
        started: 0,
        last: None,
    };
    assert_eq!(out.result, Err(TestError::NoWinner(timed_out)));
    assert!(out.log.starts.is_empty());
}

#[test]
fn success_at_the_deadline_instant_counts() {
    let w = a("10.0.0.1:80");
    let out = run(&[(w, ok(400))], 250, Some(400));
    assert_eq!(out.result, Ok((w, 1)));
    assert_eq!(out.at, 400);
}

#[test]
fn a_failure_at_the_deadline_instant_counts() {
    let w = a("10.0.0.1:80");
    let out = run(&[(w, fail(400))], 250, Some(400));
    assert_eq!(out.result, Err(TestError::Failed(w, 1)));
    assert_eq!(out.at, 400);
}

#[test]
fn a_failure_before_the_deadline_is_returned_as_such() {
    let w = a("10.0.0.1:80");
    let out = run(&[(w, fail(100))], 250, Some(1000));
    assert_eq!(out.result, Err(TestError::Failed(w, 1)));
    assert_eq!(out.at, 100);
}

#[test]
fn an_empty_list_reports_no_addresses() {
    for deadline in [None, Some(0)] {
        let out = run(&[], 250, deadline);
        assert_eq!(out.result, Err(TestError::NoWinner(NoWinner::NoAddresses)));
        assert_eq!(out.at, 0);
    }
}

#[test]
fn families_alternate_in_start_order() {
    let v6: Vec<_> = ["[::1]:1", "[::2]:1", "[::3]:1"].map(a).into();
    let v4: Vec<_> = ["10.0.0.1:1", "10.0.0.2:1"].map(a).into();
    let plans: Vec<_> = v6.iter().chain(&v4).map(|&addr| (addr, hang())).collect();
    let out = run(&plans, 250, Some(1500));
    let order: Vec<_> = out
        .log
        .starts
        .iter()
        .map(|&(addr, n, at)| (addr, n, at))
        .collect();
    assert_eq!(
        order,
        [
            (v6[0], 1, 0),
            (v4[0], 2, 250),
            (v6[1], 3, 500),
            (v4[1], 4, 750),
            (v6[2], 5, 1000),
        ]
    );
    assert_eq!(out.at, 1500);
}

#[test]
fn a_zero_delay_starts_every_attempt_at_once() {
    let (w, x, y) = (a("10.0.0.1:80"), a("10.0.0.2:80"), a("10.0.0.3:80"));
    let out = run(&[(w, hang()), (x, ok(30)), (y, ok(20))], 0, None);
    assert_eq!(start_times(&out.log), [0, 0, 0]);
    assert_eq!(out.result, Ok((y, 3)));
    assert_eq!(out.at, 20);
    assert_eq!(out.log.dropped_unfinished, [(w, 20), (x, 20)]);
}

#[test]
fn dropping_the_race_drops_every_attempt() {
    let rt = mudu_runtime::Runtime::builder()
        .start_paused(true)
        .build()
        .unwrap();
    rt.block_on(async {
        let alive = Rc::new(RefCell::new(0usize));
        struct Alive(Rc<RefCell<usize>>);
        impl Drop for Alive {
            fn drop(&mut self) {
                *self.0.borrow_mut() -= 1;
            }
        }
        let addrs = vec![a("10.0.0.1:80"), a("10.0.0.2:80"), a("10.0.0.3:80")];
        let attempt = |_addr, _n| {
            *alive.borrow_mut() += 1;
            let token = Alive(Rc::clone(&alive));
            async move {
                let _token = token;
                sleep(Duration::from_millis(FOREVER)).await;
                Ok::<(), ()>(())
            }
        };
        let racing = race(addrs, Duration::from_millis(250), None, attempt, |_| ());
        let cut = mudu_timer::time::timeout(Duration::from_millis(300), racing).await;
        assert!(cut.is_err());
        assert_eq!(
            *alive.borrow(),
            0,
            "a dropped race leaves no attempt behind"
        );
    });
}
