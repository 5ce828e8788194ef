//! The blocking pool seen from a loop: results, panics, concurrency, and a loop that keeps running while a
//! job blocks.

mod util;

use mudu::task::yield_now;
use std::cell::Cell;
use std::future::Future;
use std::rc::Rc;
use std::sync::{mpsc, Arc, Barrier};

#[test]
fn job_result_comes_back_to_the_loop() {
    let out = mudu::block_on(async {
        let here = std::thread::current().id();
        mudu::spawn_blocking(move || (std::thread::current().id() != here, "done"))
            .await
            .unwrap()
    });
    assert_eq!(out, (true, "done"), "the job must run on another thread");
}

#[test]
fn job_panic_is_reported_and_the_pool_lives_on() {
    mudu::block_on(async {
        let err = mudu::spawn_blocking(|| -> u32 { panic!("resolver exploded") })
            .await
            .unwrap_err();
        assert!(err.is_panic());
        assert!(!err.is_cancelled());
        assert!(err.to_string().contains("resolver exploded"), "{err}");
        let payload = err.into_panic();
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"resolver exploded"));
        assert_eq!(mudu::spawn_blocking(|| 5).await.unwrap(), 5);
    });
}

#[test]
fn many_jobs_all_deliver() {
    let sum = mudu::block_on(async {
        let handles: Vec<_> = (0..200u64)
            .map(|i| mudu::spawn_blocking(move || i * i))
            .collect();
        let mut sum = 0;
        for (i, handle) in handles.into_iter().enumerate() {
            let v = handle.await.unwrap();
            assert_eq!(v, (i * i) as u64);
            sum += v;
        }
        sum
    });
    assert_eq!(sum, (0..200u64).map(|i| i * i).sum::<u64>());
}

#[test]
fn jobs_block_in_parallel() {
    // Four jobs that can only finish together: each waits at a barrier for the other three.
    let barrier = Arc::new(Barrier::new(4));
    let ids = mudu::block_on(async move {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let barrier = Arc::clone(&barrier);
                mudu::spawn_blocking(move || {
                    barrier.wait();
                    std::thread::current().id()
                })
            })
            .collect();
        let mut ids = Vec::new();
        for handle in handles {
            ids.push(handle.await.unwrap());
        }
        ids
    });
    let mut unique = ids.clone();
    unique.sort_by_key(|id| format!("{id:?}"));
    unique.dedup();
    assert_eq!(unique.len(), 4, "four jobs, four threads: {ids:?}");
}

#[test]
fn loop_runs_other_tasks_while_a_job_blocks() {
    mudu::block_on(async {
        let (release_tx, release_rx) = mpsc::channel::<u32>();
        // The job blocks its worker until the loop releases it.
        let job = mudu::spawn_blocking(move || release_rx.recv().unwrap() + 1);

        let ticks = Rc::new(Cell::new(0));
        let ticker = {
            let ticks = Rc::clone(&ticks);
            mudu::spawn(async move {
                for _ in 0..100 {
                    ticks.set(ticks.get() + 1);
                    yield_now().await;
                }
            })
        };
        ticker.await.unwrap();
        assert_eq!(ticks.get(), 100, "the loop ran another task to its end");
        assert!(!job.is_finished(), "the job still waits for its release");

        // Released from the loop; the answer comes back through the task's waker while the loop is parked.
        release_tx.send(41).unwrap();
        assert_eq!(job.await.unwrap(), 42);
    });
}

#[test]
fn handle_can_be_awaited_on_another_loop() {
    let handle = std::thread::spawn(|| mudu::spawn_blocking(|| String::from("moved")))
        .join()
        .unwrap();
    assert_eq!(mudu::block_on(handle).unwrap(), "moved");
}

#[test]
fn dropping_the_handle_does_not_stop_the_job() {
    let (tx, rx) = mpsc::channel();
    mudu::block_on(async move {
        drop(mudu::spawn_blocking(move || tx.send("ran anyway").unwrap()));
    });
    assert_eq!(rx.recv().unwrap(), "ran anyway");
}

#[test]
fn a_paused_clock_waits_for_a_blocking_job() {
    // The job takes real time; the timeout guarding it is virtual. The clock must not jump to the
    // timeout while the job runs, even though no task is runnable and none waits on I/O.
    let rt = mudu::Runtime::builder().start_paused(true).build().unwrap();
    let (result, waited) = rt.block_on(async {
        let start = mudu::time::Instant::now();
        let job = mudu::spawn_blocking(|| {
            // The blocking work itself (a slow lookup, say), not a wait for an event: whatever it
            // takes, the loop must wait for it rather than jump an hour ahead.
            std::thread::sleep(std::time::Duration::from_millis(50));
            7
        });
        let result = mudu::time::timeout(std::time::Duration::from_secs(3600), job).await;
        (result.map(|r| r.unwrap()), start.elapsed())
    });
    assert_eq!(result, Ok(7));
    assert_eq!(
        waited,
        std::time::Duration::ZERO,
        "the virtual clock must not move"
    );
}

#[test]
fn a_job_nobody_awaits_yet_holds_no_paused_clock_back() {
    // The job waits for a value the loop sends only after a virtual second: the clock must move.
    let got = util::finishes("a job waiting on virtual time", 30, || {
        let rt = mudu::Runtime::builder().start_paused(true).build().unwrap();
        rt.block_on(async {
            let (tx, rx) = mpsc::channel::<u32>();
            let job = mudu::spawn_blocking(move || rx.recv().unwrap());
            mudu::time::sleep(std::time::Duration::from_secs(1)).await;
            tx.send(7).unwrap();
            job.await.unwrap()
        })
    });
    assert_eq!(got, 7);
}

#[test]
fn a_dropped_handle_holds_no_paused_clock_back() {
    util::finishes("a detached job", 30, || {
        let rt = mudu::Runtime::builder().start_paused(true).build().unwrap();
        let (tx, rx) = mpsc::channel::<()>();
        rt.block_on(async move {
            // Awaited once, then given up: a long job nobody waits for any more.
            let mut job = mudu::spawn_blocking(move || {
                let _ = rx.recv();
            });
            std::future::poll_fn(|cx| {
                assert!(std::pin::Pin::new(&mut job).poll(cx).is_pending());
                std::task::Poll::Ready(())
            })
            .await;
            drop(job);
            mudu::time::sleep(std::time::Duration::from_secs(1)).await;
        });
        drop(tx);
    });
}

#[test]
fn a_job_waiting_for_a_busy_pool_holds_the_paused_clock() {
    // Every worker is busy with work of its own (other loops' lookups, say): the awaited job waits in
    // the queue, and the timeout guarding it must not fire meanwhile. The pool is process-wide, hence
    // a process of its own.
    util::isolated::isolated(
        "a_job_waiting_for_a_busy_pool_holds_the_paused_clock",
        || {
            let workers = mudu_runtime::blocking::MAX_THREADS;
            let (started, all_started) = mpsc::channel();
            let busy: Vec<_> = (0..workers)
                .map(|_| {
                    let started = started.clone();
                    mudu::spawn_blocking(move || {
                        started.send(()).unwrap();
                        // The work itself, not a wait for an event.
                        std::thread::sleep(std::time::Duration::from_millis(100));
                    })
                })
                .collect();
            for _ in 0..workers {
                all_started.recv().unwrap();
            }
            let rt = mudu::Runtime::builder().start_paused(true).build().unwrap();
            let (result, waited) = rt.block_on(async {
                let start = mudu::time::Instant::now();
                let job = mudu::spawn_blocking(|| 7);
                let result = mudu::time::timeout(std::time::Duration::from_secs(5), job).await;
                (result.map(|r| r.unwrap()), start.elapsed())
            });
            drop(busy);
            assert_eq!(result, Ok(7));
            assert_eq!(waited, std::time::Duration::ZERO);
        },
    );
}

#[test]
fn a_handle_awaited_on_a_second_loop_holds_that_loops_paused_clock() {
    // Polled once on one loop, then awaited on another: the second loop must wait for the job, not
    // jump its clock to the timeout.
    let first = mudu::Runtime::builder().start_paused(true).build().unwrap();
    let mut job = mudu::spawn_blocking(|| {
        // The blocking work itself (a slow lookup, say).
        std::thread::sleep(std::time::Duration::from_millis(50));
        7
    });
    first.block_on(std::future::poll_fn(|cx| {
        assert!(std::pin::Pin::new(&mut job).poll(cx).is_pending());
        std::task::Poll::Ready(())
    }));
    let rt = mudu::Runtime::builder().start_paused(true).build().unwrap();
    let (result, waited) = rt.block_on(async {
        let start = mudu::time::Instant::now();
        let result = mudu::time::timeout(std::time::Duration::from_secs(1), &mut job).await;
        (result.map(|r| r.unwrap()), start.elapsed())
    });
    assert_eq!(result, Ok(7));
    assert_eq!(waited, std::time::Duration::ZERO);
}

#[test]
fn long_lived_jobs_leave_workers_for_name_lookups() {
    // Sixteen jobs that run until the task has connected (stdin readers, blocking client libraries:
    // code written for tokio keeps such jobs on the pool). The host-name lookup must still find a
    // worker, or the task never connects and the jobs never end. The pool is process-wide, hence a
    // process of its own.
    util::isolated::isolated("long_lived_jobs_leave_workers_for_name_lookups", || {
        util::finishes("a host-name connect beside 16 long jobs", 60, || {
            mudu::block_on(async {
                let listener = mudu::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let port = listener.local_addr().unwrap().port();
                let (release, released) = mpsc::channel::<()>();
                let released = Arc::new(std::sync::Mutex::new(released));
                let (started, all_started) = mpsc::channel();
                let jobs: Vec<_> = (0..16)
                    .map(|_| {
                        let (released, started) = (Arc::clone(&released), started.clone());
                        mudu::spawn_blocking(move || {
                            started.send(()).unwrap();
                            // Ends when the sender is dropped, once the task has connected.
                            let _ = released.lock().unwrap().recv();
                        })
                    })
                    .collect();
                for _ in 0..16 {
                    all_started.recv().unwrap();
                }
                let stream = mudu::net::TcpStream::connect(("localhost", port))
                    .await
                    .unwrap();
                assert_eq!(stream.peer_addr().unwrap().port(), port);
                drop(release);
                for job in jobs {
                    job.await.unwrap();
                }
            })
        });
    });
}
