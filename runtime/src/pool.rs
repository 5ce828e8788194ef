//! A pool of event loops, each on a thread of its own (muduo's `EventLoopThreadPool`).
//!
//! The pool owns its threads: each runs one [`Runtime`](crate::Runtime) until the pool is dropped. Work reaches the loops
//! through their [`Handle`]s; [`next`](LoopPool::next) hands them out round-robin, which is how a server
//! spreads its connections. Dropping the pool stops every loop (each drops its remaining tasks on its own
//! thread) and joins the threads.

use crate::{Builder, Handle, JoinHandle};
use std::fmt;
use std::future::Future;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Poll, Waker};

/// Tells one pool loop to stop; cross-thread, woken through the loop's own waker.
#[derive(Default)]
struct StopSignal {
    stopped: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl StopSignal {
    fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        let waker = self.waker.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    async fn wait(&self) {
        std::future::poll_fn(|cx| {
            if self.stopped.load(Ordering::SeqCst) {
                return Poll::Ready(());
            }
            *self.waker.lock().unwrap_or_else(|e| e.into_inner()) = Some(cx.waker().clone());
            if self.stopped.load(Ordering::SeqCst) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await
    }
}

struct PoolLoop {
    stop: Arc<StopSignal>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// A fixed set of loops on threads of their own.
///
/// ```
/// let pool = mudu_runtime::LoopPool::new(2).unwrap();
/// let a = pool.spawn(async { std::thread::current().name().map(str::to_owned) });
/// let b = pool.spawn(async { std::thread::current().name().map(str::to_owned) });
/// let names = mudu_runtime::block_on(async { (a.await.unwrap(), b.await.unwrap()) });
/// assert_eq!(names, (Some("mudu-loop-0".into()), Some("mudu-loop-1".into())));
/// ```
pub struct LoopPool {
    handles: Vec<Handle>,
    loops: Vec<PoolLoop>,
    next: AtomicUsize,
}

impl LoopPool {
    /// Starts `threads` loops (at least one) with default settings, on threads named `mudu-loop-N`.
    ///
    /// # Errors
    /// When a thread cannot be started or its runtime cannot be built; the loops already started are
    /// stopped again.
    pub fn new(threads: usize) -> io::Result<LoopPool> {
        LoopPool::with_builder(threads, "mudu-loop", Builder::new)
    }

    /// Starts `threads` loops (at least one) on threads named `{name}-N`, each runtime built by
    /// `builder()` on its own thread.
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub fn with_builder(
        threads: usize,
        name: &str,
        builder: impl Fn() -> Builder + Send + Sync + 'static,
    ) -> io::Result<LoopPool> {
        let builder = Arc::new(builder);
        let mut pool = LoopPool {
            handles: Vec::new(),
            loops: Vec::new(),
            next: AtomicUsize::new(0),
        };
        for i in 0..threads.max(1) {
            let stop = Arc::new(StopSignal::default());
            let (tx, rx) = mpsc::channel();
            let thread = {
                let stop = Arc::clone(&stop);
                let builder = Arc::clone(&builder);
                std::thread::Builder::new()
                    .name(format!("{name}-{i}"))
                    .spawn(move || {
                        let rt = match builder().build() {
                            Ok(rt) => rt,
                            Err(e) => return drop(tx.send(Err(e))),
                        };
                        if tx.send(Ok(rt.handle())).is_ok() {
                            rt.block_on(stop.wait());
                        }
                    })?
            };
            pool.loops.push(PoolLoop {
                stop,
                thread: Some(thread),
            });
            let handle = rx
                .recv()
                .map_err(|_| io::Error::other("a pool loop thread exited before it started"))??;
            pool.handles.push(handle);
        }
        Ok(pool)
    }

    /// How many loops the pool runs.
    pub fn len(&self) -> usize {
        self.handles.len()
    }

    /// Never true: a pool has at least one loop.
    pub fn is_empty(&self) -> bool {
        self.handles.is_empty()
    }

    /// The handles of all loops, in thread order.
    pub fn handles(&self) -> &[Handle] {
        &self.handles
    }

    /// The next loop, round-robin (muduo's `getNextLoop`). Any thread may call it.
    pub fn next(&self) -> &Handle {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.handles.len();
        &self.handles[i]
    }

    /// Spawns a `Send` future on the next loop.
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.next().spawn(future)
    }

    /// Builds and runs a future that need not be `Send` on the next loop; see
    /// [`Handle::spawn_local`].
    pub fn spawn_local<B, F>(&self, build: B) -> JoinHandle<F::Output>
    where
        B: FnOnce() -> F + Send + 'static,
        F: Future + 'static,
        F::Output: Send + 'static,
    {
        self.next().spawn_local(build)
    }
}

impl Drop for LoopPool {
    fn drop(&mut self) {
        for l in &self.loops {
            l.stop.stop();
        }
        let this_thread = std::thread::current().id();
        for l in &mut self.loops {
            if let Some(thread) = l.thread.take() {
                if thread.thread().id() == this_thread {
                    // Dropped by a task on one of its own loops: that loop stops once the task returns
                    // (its stop signal is set) and cannot wait for itself.
                    continue;
                }
                // A loop thread panics only if a runtime's poll failed; the pool is going away anyway.
                let _ = thread.join();
            }
        }
    }
}

impl fmt::Debug for LoopPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoopPool")
            .field("loops", &self.handles.len())
            .finish()
    }
}
