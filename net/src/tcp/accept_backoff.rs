//! [`AcceptBackoff`]: the pause a listener takes after `accept` returned an error.
//!
//! Rules: loop thread only. While the pause lasts, every task that polls `accept` waits; when it ends,
//! all of them are woken, however many there are. The pause is ended by a small task of its own that
//! sleeps on the loop's timer, not by one of the waiting tasks: a `Sleep` keeps the waker of its last
//! poll only, so a pause shared by several acceptors and ended by whichever polled last would forget the
//! others, and leave them all waiting if that one went away.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use mudu_timer::time::sleep;

/// A listener's pause after an error, shared with the task that ends it.
#[derive(Default)]
pub(crate) struct AcceptBackoff {
    state: Rc<State>,
}

#[derive(Default)]
struct State {
    pausing: Cell<bool>,
    /// The tasks waiting for the pause to end, one waker each.
    waiting: RefCell<Vec<Waker>>,
}

/// Ends the pause when dropped: when its task has slept, and also when the task is cancelled (a loop
/// that shuts down cancels it, and the acceptors then see the loop's shutdown error, not a pause that
/// never ends).
struct EndPause(Rc<State>);

impl Drop for EndPause {
    fn drop(&mut self) {
        self.0.pausing.set(false);
        let waiting = std::mem::take(&mut *self.0.waiting.borrow_mut());
        for waker in waiting {
            waker.wake();
        }
    }
}

impl AcceptBackoff {
    /// Starts a pause of `length`, unless one is on.
    pub(crate) fn start(&self, length: Duration) {
        if self.state.pausing.replace(true) {
            return;
        }
        let end = EndPause(Rc::clone(&self.state));
        drop(mudu_runtime::spawn(async move {
            sleep(length).await;
            drop(end);
        }));
    }

    /// Ready when no pause is on; otherwise keeps `cx`'s waker to wake when it ends.
    pub(crate) fn poll_over(&self, cx: &mut Context<'_>) -> Poll<()> {
        if !self.state.pausing.get() {
            return Poll::Ready(());
        }
        let known = self
            .state
            .waiting
            .borrow()
            .iter()
            .any(|w| w.will_wake(cx.waker()));
        if !known {
            // Cloned with no borrow held: a clone may run any code.
            let waker = cx.waker().clone();
            self.state.waiting.borrow_mut().push(waker);
        }
        Poll::Pending
    }
}
