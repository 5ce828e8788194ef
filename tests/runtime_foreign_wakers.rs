//! Wakers that are not mudu tasks' may run any code when they are woken or dropped, including code
//! that drops another I/O source of the same loop. The reactor must never hold its own state while
//! it drops or wakes one.

use mudu::io::{Direction, Registration};
use mudu::task::yield_now;
use std::cell::RefCell;
use std::io::Write;
use std::sync::Arc;
use std::task::{Context, Wake, Waker};

thread_local! {
    /// A source that the foreign waker's drop lets go of.
    static HELD: RefCell<Vec<(Registration, mio::net::UnixStream)>> = const { RefCell::new(Vec::new()) };
}

/// A waker whose last drop drops another source of the loop.
struct DropsASource;

impl Wake for DropsASource {
    fn wake(self: Arc<Self>) {}
}

impl Drop for DropsASource {
    fn drop(&mut self) {
        let held = HELD.with(|held| std::mem::take(&mut *held.borrow_mut()));
        drop(held);
    }
}

/// Registers a second source and parks it where `DropsASource` will drop it.
fn hold_another_source() {
    let (mut b, _peer) = mio::net::UnixStream::pair().unwrap();
    let registration = Registration::new(&mut b).unwrap();
    HELD.with(|held| held.borrow_mut().push((registration, b)));
}

/// A source whose read slot caches the only reference to a `DropsASource` waker (the task waits on
/// it), with another source held for that waker to drop. Must run inside a loop.
fn source_caching_a_foreign_waker() -> (Registration, mio::net::UnixStream, mio::net::UnixStream) {
    let (mut a, peer) = mio::net::UnixStream::pair().unwrap();
    let registration = Registration::new(&mut a).unwrap();
    hold_another_source();
    let waker = Waker::from(Arc::new(DropsASource));
    assert!(registration
        .poll_read_ready(&mut Context::from_waker(&waker))
        .is_pending());
    (registration, a, peer)
}

#[test]
fn dropping_a_source_whose_slot_holds_the_last_foreign_waker() {
    mudu::block_on(async {
        let (registration, mut a, _peer) = source_caching_a_foreign_waker();
        registration.deregister(&mut a).unwrap();
        drop(registration);
        assert!(HELD.with(|held| held.borrow().is_empty()));
    });
}

#[test]
fn shutting_down_with_a_foreign_waker_cached_in_a_slot() {
    let runtime = mudu::Runtime::new().unwrap();
    let kept = runtime.block_on(async {
        let (registration, a, mut peer) = source_caching_a_foreign_waker();
        peer.write_all(b"x").unwrap();
        // Once the loop has dispatched the event, the waker was woken and went back to its slot,
        // cached there but no longer waiting.
        while registration.try_ready(Direction::Read).unwrap().is_none() {
            yield_now().await;
        }
        (registration, a, peer)
    });
    drop(runtime); // shutdown drops the cached waker, which drops the other source
    assert!(HELD.with(|held| held.borrow().is_empty()));
    drop(kept);
}
