//! [`Signals`]: commands from any thread to one future on a loop.
//!
//! A handle ([`ConnectorHandle`](crate::ConnectorHandle),
//! [`ClientHandle`](crate::ClientHandle)) raises a command bit and wakes the
//! future that serves it; that future reads the bits when it is polled, on
//! its own loop. The wake goes through the future's ordinary waker, which
//! is the runtime's cross-thread wake path when the handle is used on
//! another thread: nothing else crosses threads.
//!
//! ```text
//!   bits: u8, one per command; each owner gives them its own meaning
//!   +---+---+---+---+---+---+---+---+
//!   | 7 | 6 | 5 | 4 | 3 | 2 | 1 | 0 |
//!   +---+---+---+---+---+---+---+---+
//!                           |   |   +-- bit 0   (connector: STOP,    client: STOP)
//!                           |   +------ bit 1   (connector: RESTART, client: DISCONNECT)
//!                           +---------- unused
//! ```
//!
//! Rules:
//! - Any thread may raise or clear bits; only the served future registers
//!   its waker (one slot: one future at a time is served).
//! - No lost wake-up: the future stores its waker *before* it reads the
//!   bits, and a raiser sets the bits *before* it takes the waker, so either
//!   the future sees the bit or the raiser sees the waker.
//! - The waker is woken after the slot's lock is released, so a waker may
//!   run any code.

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

/// Shared command bits and the waker of the future that serves them.
#[derive(Clone, Debug, Default)]
pub(crate) struct Signals {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    bits: AtomicU8,
    waker: Mutex<Option<Waker>>,
}

impl Signals {
    /// Fresh signals, all bits clear.
    pub(crate) fn new() -> Signals {
        Signals::default()
    }

    /// Sets `bits` and wakes the served future. Any thread.
    pub(crate) fn raise(&self, bits: u8) {
        self.inner.bits.fetch_or(bits, Ordering::SeqCst);
        let waker = self
            .inner
            .waker
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Clears `bits`; wakes nobody. Any thread.
    pub(crate) fn clear(&self, bits: u8) {
        self.inner.bits.fetch_and(!bits, Ordering::SeqCst);
    }

    /// Clears `bits` and says which of them were set. Any thread.
    pub(crate) fn take(&self, bits: u8) -> u8 {
        self.inner.bits.fetch_and(!bits, Ordering::SeqCst) & bits
    }

    /// The bits now set.
    pub(crate) fn get(&self) -> u8 {
        self.inner.bits.load(Ordering::SeqCst)
    }

    /// Stores the served future's waker (so a later `raise` wakes it), then
    /// returns the bits now set. Call from the served future's `poll` only.
    pub(crate) fn register(&self, cx: &Context<'_>) -> u8 {
        {
            let mut slot = self
                .inner
                .waker
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            match slot.as_ref() {
                Some(waker) if waker.will_wake(cx.waker()) => {}
                _ => *slot = Some(cx.waker().clone()),
            }
        }
        self.get()
    }

    /// Runs `future` until it finishes (`Ok`) or a bit of `mask` is raised
    /// (`Err(raised bits)`, and the future is dropped). The bits are checked
    /// before each poll of `future`, so a command that arrived with the event
    /// that would finish it wins. This is the served future's wait.
    pub(crate) async fn until<F: Future>(&self, mask: u8, future: F) -> Result<F::Output, u8> {
        let mut future = pin!(future);
        poll_fn(|cx| {
            let raised = self.register(cx) & mask;
            if raised != 0 {
                return Poll::Ready(Err(raised));
            }
            future.as_mut().poll(cx).map(Ok)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::task::Wake;

    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn raise_wakes_the_registered_waker_once() {
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        let cx = Context::from_waker(&waker);
        let signals = Signals::new();
        assert_eq!(signals.register(&cx), 0);
        signals.raise(1);
        signals.raise(2);
        assert_eq!(
            count.0.load(Ordering::SeqCst),
            1,
            "the slot empties on wake"
        );
        assert_eq!(signals.register(&cx), 3);
        assert_eq!(signals.take(1), 1);
        assert_eq!(signals.take(1), 0);
        signals.clear(2);
        assert_eq!(signals.get(), 0);
    }

    #[test]
    fn a_raise_from_another_thread_is_seen_or_wakes() {
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        let cx = Context::from_waker(&waker);
        let signals = Signals::new();
        let remote = signals.clone();
        let raiser = std::thread::spawn(move || remote.raise(1));
        let seen = signals.register(&cx);
        raiser.join().unwrap();
        assert!(seen == 1 || count.0.load(Ordering::SeqCst) == 1);
        assert_eq!(signals.get(), 1);
    }
}
