//! Connecting to a target that may name several addresses.
//!
//! Rules: the target is resolved first (literals at once, host names on the runtime's blocking pool),
//! then the addresses are raced as RFC 8305 (Happy Eyeballs) says: one attempt at a time, the next one
//! 250 ms after the previous started or as soon as it fails, families interleaved, the first connection
//! wins and the others' sockets are closed. An optional deadline bounds the whole of it, resolution
//! included. A target with one address is simply one attempt.

use super::{connect_addr, TcpStream};
use crate::addr::{resolve, ToSocketAddrs};
use crate::happy_eyeballs::{race, NoWinner, DEFAULT_ATTEMPT_DELAY};
use crate::ConnectError;
use mudu_timer::time::{timeout_at, Instant};
use std::io;
use std::net::SocketAddr;

/// Resolves `target` and races its addresses, all before `deadline` if one is given.
pub(crate) async fn connect_target<A: ToSocketAddrs + ?Sized>(
    target: &A,
    deadline: Option<Instant>,
) -> Result<TcpStream, ConnectError> {
    let unspecified = SocketAddr::from(([0, 0, 0, 0], 0));
    let resolved = match deadline {
        None => resolve(target).await,
        Some(deadline) => match timeout_at(deadline, resolve(target)).await {
            Ok(resolved) => resolved,
            Err(_elapsed) => return Err(ConnectError::timed_out(unspecified, 0)),
        },
    };
    let addrs = resolved.map_err(ConnectError::resolution)?;
    // A deadline that ends before any attempt starts reports the first address the target named.
    let first = addrs.first().copied().unwrap_or(unspecified);
    if let ([addr], None) = (addrs.as_slice(), deadline) {
        // The common case needs no race and no timer.
        return connect_addr(*addr, None, 1).await;
    }
    race(
        addrs,
        DEFAULT_ATTEMPT_DELAY,
        deadline,
        |addr, attempt| connect_addr(addr, None, attempt),
        |no_winner| match no_winner {
            NoWinner::NoAddresses => ConnectError::resolution(io::Error::new(
                io::ErrorKind::NotFound,
                "the target resolved to no address",
            )),
            NoWinner::DeadlineElapsed { started, last } => {
                ConnectError::timed_out(last.unwrap_or(first), started)
            }
        },
    )
    .await
}
