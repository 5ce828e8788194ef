//! Cooperative yielding.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Gives the loop a chance to run other tasks, poll I/O and fire timers before this task continues.
///
/// The task wakes itself and goes to the back of its loop's run queue: whatever was queued before,
/// `block_on`'s own future included if a task (this one, say) woke it, runs first. Called from that
/// future, it likewise resumes only after the entries queued when it yielded. A loop runs at most a
/// budget of tasks per tick before it polls I/O, so a task that yields in a loop cannot starve I/O or
/// timers.
///
/// ```
/// mudu_runtime::block_on(async {
///     let other = mudu_runtime::spawn(async { 1 });
///     mudu_runtime::task::yield_now().await;
///     assert!(other.is_finished());
/// });
/// ```
pub async fn yield_now() {
    YieldNow { yielded: false }.await
}

struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
