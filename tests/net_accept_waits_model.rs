//! A seeded random model of the waits on one listener: `accept()` futures (each holding a wait that
//! may share the listener with others), `poll_accept` calls (which keep no state), futures dropped
//! while pending, and connections arriving. After every step:
//! - no waker is woken without a connection arriving;
//! - when a connection arrives, every wait still pending is woken, and so is the latest
//!   `poll_accept` caller (an earlier one's waker is replaced, as in tokio).
//!
//! Futures are polled by hand with counting wakers; several futures share a waker, as the futures
//! of one task do.

use mudu::net::TcpListener;
use mudu::task::yield_now;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

/// Wakers (tasks) in the model.
const WAKERS: usize = 3;
/// `accept()` futures in the model; future `i` is polled with waker `i % WAKERS`.
const FUTURES: usize = 5;
const STEPS: usize = 120;
const SEEDS: u64 = 150;

/// A waker that counts its wakes.
struct Counting(AtomicUsize);

impl Wake for Counting {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// xorshift64: the same steps for a seed on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

type Accept<'a> =
    Pin<Box<dyn Future<Output = std::io::Result<(mudu::net::TcpStream, SocketAddr)>> + 'a>>;

/// Who expects a wake: a pending future, or the latest `poll_accept` caller.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Claimant {
    Future(usize),
    PollAccept,
}

/// A claim to a wake: the waker, who holds it, and the waker's count when it was made.
type Claim = (usize, Claimant, usize);

fn run(seed: u64) {
    mudu::block_on(async move {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let counters: Vec<Arc<Counting>> = (0..WAKERS)
            .map(|_| Arc::new(Counting(AtomicUsize::new(0))))
            .collect();
        let wakers: Vec<Waker> = counters
            .iter()
            .map(|c| Waker::from(Arc::clone(c)))
            .collect();
        let wakes = |w: usize| counters[w].0.load(SeqCst);
        let mut futures: Vec<Option<Accept<'_>>> = (0..FUTURES).map(|_| None).collect();
        let mut claims: Vec<Claim> = Vec::new();
        let mut clients = Vec::new();
        let mut log: Vec<String> = Vec::new();
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        for _ in 0..STEPS {
            let before: Vec<usize> = (0..WAKERS).map(wakes).collect();
            let mut arrived = false;
            match rng.below(16) {
                0..=6 => {
                    let i = rng.below(FUTURES);
                    let w = i % WAKERS;
                    let future = futures[i].get_or_insert_with(|| Box::pin(listener.accept()));
                    claims.retain(|claim| claim.1 != Claimant::Future(i));
                    match future.as_mut().poll(&mut Context::from_waker(&wakers[w])) {
                        Poll::Ready(accepted) => {
                            accepted.unwrap();
                            futures[i] = None;
                            log.push(format!("future {i} (waker {w}): accepted"));
                        }
                        Poll::Pending => {
                            log.push(format!("future {i} (waker {w}): pending"));
                            claims.push((w, Claimant::Future(i), wakes(w)));
                        }
                    }
                }
                7..=9 => {
                    let w = rng.below(WAKERS);
                    match listener.poll_accept(&mut Context::from_waker(&wakers[w])) {
                        Poll::Ready(accepted) => {
                            accepted.unwrap();
                            log.push(format!("poll_accept (waker {w}): accepted"));
                        }
                        Poll::Pending => {
                            log.push(format!("poll_accept (waker {w}): pending"));
                            claims.retain(|claim| claim.1 != Claimant::PollAccept);
                            claims.push((w, Claimant::PollAccept, wakes(w)));
                        }
                    }
                }
                10 | 11 => {
                    let i = rng.below(FUTURES);
                    if futures[i].take().is_some() {
                        log.push(format!("future {i} dropped"));
                    }
                    claims.retain(|claim| claim.1 != Claimant::Future(i));
                }
                12 | 13 => {
                    // On loopback the handshake is done when `connect` returns: the listener's
                    // event is there for the loop's next poll, which each yield makes. The loop
                    // takes it in during this step, whoever waits.
                    clients.push(std::net::TcpStream::connect(addr).unwrap());
                    arrived = true;
                    log.push("a connection arrives".into());
                    for _ in 0..3 {
                        yield_now().await;
                    }
                    let mut yields = 0;
                    while !claims.iter().all(|&(w, _, at)| wakes(w) > at) {
                        yield_now().await;
                        yields += 1;
                        assert!(
                            yields < 10_000,
                            "seed {seed}: {claims:?} not woken by a connection\n{log:#?}"
                        );
                    }
                    claims.clear();
                }
                _ => {
                    yield_now().await;
                    log.push("a turn of the loop".into());
                }
            }
            if !arrived {
                for (w, &count) in before.iter().enumerate() {
                    assert_eq!(
                        count,
                        wakes(w),
                        "seed {seed}: waker {w} woken with no connection\n{log:#?}"
                    );
                }
            }
        }
    });
}

#[test]
fn waits_on_a_listener_are_woken_exactly_by_connections() {
    for seed in 1..=SEEDS {
        run(seed);
    }
}
