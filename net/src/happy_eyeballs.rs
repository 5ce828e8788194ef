//! Happy Eyeballs (RFC 8305): racing connection attempts over several addresses.
//!
//! A host often has addresses of both families, and one of them may be broken (an IPv6 route that
//! swallows SYNs, a firewalled IPv4 address). Trying them one at a time waits out every broken one; trying
//! all at once floods the network. Happy Eyeballs starts one attempt, and starts the next when the
//! previous has not succeeded within a short *connection attempt delay* (250 ms by default, as the RFC
//! recommends) or as soon as an attempt fails. The first attempt to succeed wins; every other attempt is
//! dropped at that moment, which closes its socket.
//!
//! Rules:
//! - Addresses are tried in [`interleave`]d order; attempt numbers count from 1 in that order.
//! - At most one attempt starts per delay; each failure lets one more start at once. The delay is
//!   measured from the latest start.
//! - Attempts run concurrently inside the one future [`race`] returns, on the loop that polls it; they
//!   need not be `Send`. Nothing is spawned, so dropping the race drops every attempt.
//! - In the poll where the deadline passes, the running attempts are polled first: a success wins,
//!   and when every address has been tried and failed the last failure is the answer. A failure
//!   while addresses remain untried gives way to the deadline's error.
//! - The per-address attempt is a closure, so the race is tested on the virtual clock with fake attempts
//!   and used by connect with real ones.
//!
//! Timeline of four addresses, the first two hanging, the third failing after 100 ms, the fourth
//! succeeding after 50 ms:
//!
//! ```text
//!   t (ms)   0        250       500   600  650
//!            |         |         |     |    |
//!   #1 6a    |=========|=========|=====|====x   dropped when #4 wins
//!   #2 4a              |=========|=====|====x   dropped when #4 wins
//!   #3 6b                        |=====F        failed: #4 starts at once, not at 750
//!   #4 4b                              |====W   winner at 650
//! ```

mod interleave;

pub use interleave::interleave;

use mudu_timer::time::{sleep, sleep_until, Instant};
use std::future::{poll_fn, Future};
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

/// The connection attempt delay RFC 8305 recommends: how long an attempt runs alone before the next one
/// starts beside it.
pub const DEFAULT_ATTEMPT_DELAY: Duration = Duration::from_millis(250);

/// Why a race ended with neither a winner nor a failed attempt whose error it could return.
///
/// [`race`] hands it to the caller's closure, which turns it into the caller's error type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoWinner {
    /// The address list was empty: nothing was tried.
    NoAddresses,
    /// The deadline passed before any attempt succeeded; the attempts still running were dropped.
    DeadlineElapsed {
        /// How many attempts had started.
        started: u32,
        /// The address of the latest attempt started, if any started.
        last: Option<SocketAddr>,
    },
}

/// How the polling loop ended, before the caller's error is built.
enum End<T, E> {
    Won(T),
    AllFailed(Option<E>),
    Deadline,
}

/// Races `attempt` over `addrs` as Happy Eyeballs does, and returns the first success.
///
/// `attempt(addr, n)` makes the future of one attempt: `n` is its number, from 1, in [`interleave`]d
/// order. A new attempt starts when `attempt_delay` has passed since the latest start, or at once when an
/// attempt fails, until the addresses run out. When an attempt succeeds, every other attempt is dropped
/// before `race` returns. When all attempts fail, the error of the last one to fail is returned.
/// `no_winner` builds the error for the other endings: an empty list, or `deadline` passing first (the
/// race then drops its attempts at exactly the deadline and starts none after it).
///
/// Must be polled inside a mudu runtime (it uses the loop's timers).
///
/// ```
/// use mudu_net::happy_eyeballs::{race, NoWinner, DEFAULT_ATTEMPT_DELAY};
/// use mudu_timer::time::{sleep, Instant};
/// use std::net::SocketAddr;
/// use std::time::Duration;
///
/// let rt = mudu_runtime::Runtime::builder().start_paused(true).build().unwrap();
/// rt.block_on(async {
///     let addrs: Vec<SocketAddr> = vec!["[2001:db8::1]:80".parse().unwrap(), "192.0.2.1:80".parse().unwrap()];
///     let start = Instant::now();
///     let winner = race(
///         addrs,
///         DEFAULT_ATTEMPT_DELAY,
///         None,
///         |addr, n| async move {
///             if addr.is_ipv6() {
///                 sleep(Duration::from_secs(60)).await; // a route that swallows SYNs
///                 Err(format!("attempt {n} to {addr} timed out"))
///             } else {
///                 sleep(Duration::from_millis(20)).await;
///                 Ok(addr)
///             }
///         },
///         |why: NoWinner| format!("{why:?}"),
///     )
///     .await;
///     assert_eq!(winner.unwrap(), "192.0.2.1:80".parse().unwrap());
///     assert_eq!(start.elapsed(), Duration::from_millis(270)); // IPv4 started at 250 ms
/// });
/// ```
pub async fn race<T, E, F, Fut, G>(
    addrs: Vec<SocketAddr>,
    attempt_delay: Duration,
    deadline: Option<Instant>,
    mut attempt: F,
    no_winner: G,
) -> Result<T, E>
where
    F: FnMut(SocketAddr, u32) -> Fut,
    Fut: Future<Output = Result<T, E>>,
    G: FnOnce(NoWinner) -> E,
{
    let mut queue = interleave(addrs).into_iter();
    let mut deadline = deadline.map(sleep_until);
    let mut next_start = sleep(attempt_delay);
    let mut running: Vec<Pin<Box<Fut>>> = Vec::new();
    let mut last_err: Option<E> = None;
    let mut started: u32 = 0;
    let mut last: Option<SocketAddr> = None;

    let end = poll_fn(|cx| {
        // Starts owed to failures seen in this poll: each failure lets the next attempt start at once.
        let mut owed = 0usize;
        let mut i = 0;
        while i < running.len() {
            match running[i].as_mut().poll(cx) {
                Poll::Ready(Ok(won)) => {
                    running.clear();
                    return Poll::Ready(End::Won(won));
                }
                Poll::Ready(Err(err)) => {
                    drop(running.remove(i));
                    last_err = Some(err);
                    owed += 1;
                }
                Poll::Pending => i += 1,
            }
        }
        if queue.len() == 0 && running.is_empty() {
            // Every attempt has ended, or there was none: that is the answer, deadline or not (an
            // attempt that fails in the same poll as the deadline counts).
            return Poll::Ready(End::AllFailed(last_err.take()));
        }
        if let Some(deadline) = deadline.as_mut() {
            if Pin::new(deadline).poll(cx).is_ready() {
                running.clear();
                return Poll::Ready(End::Deadline);
            }
        }
        loop {
            if queue.len() == 0 {
                if running.is_empty() {
                    return Poll::Ready(End::AllFailed(last_err.take()));
                }
                return Poll::Pending;
            }
            let due =
                running.is_empty() || owed > 0 || Pin::new(&mut next_start).poll(cx).is_ready();
            if !due {
                return Poll::Pending;
            }
            owed = owed.saturating_sub(1);
            let Some(addr) = queue.next() else {
                unreachable!("the queue was checked to be non-empty");
            };
            started += 1;
            last = Some(addr);
            // A fresh sleep rather than `reset(now + delay)`: it saturates a delay too long to add.
            next_start = sleep(attempt_delay);
            let mut fresh = Box::pin(attempt(addr, started));
            match fresh.as_mut().poll(cx) {
                Poll::Ready(Ok(won)) => {
                    running.clear();
                    return Poll::Ready(End::Won(won));
                }
                Poll::Ready(Err(err)) => {
                    last_err = Some(err);
                    owed += 1;
                }
                Poll::Pending => running.push(fresh),
            }
        }
    })
    .await;

    match end {
        End::Won(won) => Ok(won),
        End::AllFailed(Some(err)) => Err(err),
        End::AllFailed(None) => Err(no_winner(NoWinner::NoAddresses)),
        End::Deadline => Err(no_winner(NoWinner::DeadlineElapsed { started, last })),
    }
}

#[cfg(test)]
mod tests;
