//! Starting a future that is not `Send` on another thread's loop.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A task future that builds its real future on its first poll, on its loop's thread.
///
/// It is `Send` while it holds only the builder closure, which is `Send`. Once polled, it holds the built
/// future, which is not `Send` but never needs to be: a task's future is polled and dropped only on its
/// own loop's thread (see raw.rs), and the one exception, a new task cancelled by its spawner because
/// the loop had shut down, has never been polled.
pub(crate) struct LocalStart<F, Fut> {
    state: State<F, Fut>,
}

enum State<F, Fut> {
    Unstarted(Option<F>),
    Running(Fut),
}

impl<F, Fut> LocalStart<F, Fut> {
    pub(crate) fn new(build: F) -> LocalStart<F, Fut> {
        LocalStart {
            state: State::Unstarted(Some(build)),
        }
    }
}

// SAFETY: see the type's documentation: the value crosses threads only before its first poll, when it
// holds nothing but `F: Send`; `Fut` is created, polled and dropped on the loop thread alone.
unsafe impl<F: Send, Fut> Send for LocalStart<F, Fut> {}

impl<F, Fut> Future for LocalStart<F, Fut>
where
    F: FnOnce() -> Fut,
    Fut: Future,
{
    type Output = Fut::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Fut::Output> {
        // SAFETY: `state` is never moved out of the pinned value: `Running` is written in place and the
        // built future is only accessed through a pinned reference from then on.
        let this = unsafe { self.get_unchecked_mut() };
        if let State::Unstarted(build) = &mut this.state {
            let build = build
                .take()
                .expect("LocalStart polled after a panic in its builder");
            this.state = State::Running(build());
        }
        match &mut this.state {
            // SAFETY: the built future lives inside the pinned `LocalStart` and is never moved.
            State::Running(future) => unsafe { Pin::new_unchecked(future) }.poll(cx),
            State::Unstarted(_) => unreachable!("the builder ran just above"),
        }
    }
}
