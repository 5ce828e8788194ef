//! Loop pools and starting futures that are not `Send` on other loops.

mod util;

use std::cell::Cell;
use std::io::{Read, Write};
use std::rc::Rc;
use util::DropCounter;

fn thread_name() -> String {
    std::thread::current().name().unwrap_or("").to_string()
}

#[test]
fn next_hands_out_loops_round_robin() {
    let pool = mudu::LoopPool::new(3).unwrap();
    assert_eq!(pool.len(), 3);
    let names: Vec<String> = mudu::block_on(async {
        let mut names = Vec::new();
        for _ in 0..6 {
            names.push(pool.spawn(async { thread_name() }).await.unwrap());
        }
        names
    });
    assert_eq!(
        names,
        [
            "mudu-loop-0",
            "mudu-loop-1",
            "mudu-loop-2",
            "mudu-loop-0",
            "mudu-loop-1",
            "mudu-loop-2"
        ]
    );
}

#[test]
fn spawn_local_builds_the_future_on_the_target_loop() {
    let pool = mudu::LoopPool::new(2).unwrap();
    let caller = std::thread::current().id();
    let out = mudu::block_on(pool.spawn_local(move || {
        assert_ne!(std::thread::current().id(), caller);
        let counter = Rc::new(Cell::new(0));
        async move {
            for _ in 0..3 {
                let c = counter.clone();
                mudu::spawn(async move { c.set(c.get() + 1) })
                    .await
                    .unwrap();
            }
            counter.get()
        }
    }));
    assert_eq!(out.unwrap(), 3);
}

#[test]
fn dropping_the_pool_drops_pending_tasks_on_their_loops() {
    let drops = DropCounter::default();
    let pool = mudu::LoopPool::new(2).unwrap();
    let joins: Vec<_> = (0..4)
        .map(|_| {
            let token = drops.token();
            pool.spawn_local(move || async move {
                let _token = token;
                std::future::pending::<()>().await;
            })
        })
        .collect();
    // Wait until every task has started on its loop.
    mudu::block_on(async {
        for h in pool.handles() {
            h.spawn(async {}).await.unwrap();
        }
    });
    drop(pool);
    assert_eq!(drops.dropped(), 4);
    for j in joins {
        assert!(mudu::block_on(j).unwrap_err().is_cancelled());
    }
}

#[test]
fn spawn_local_on_a_dropped_loop_never_runs_the_builder() {
    let rt = mudu::Runtime::new().unwrap();
    let handle = rt.handle();
    drop(rt);
    let drops = DropCounter::default();
    let token = drops.token();
    let join = handle.spawn_local(move || {
        let _token = token;
        async { unreachable!("the builder of a task on a dropped loop must not run") }
    });
    assert_eq!(drops.dropped(), 1);
    assert!(mudu::block_on(join).unwrap_err().is_cancelled());
}

/// muduo's TcpServer shape: one loop accepts, the pool's loops own the connections.
#[test]
#[cfg_attr(miri, ignore = "Miri has no TCP sockets")]
fn connections_spread_over_the_pool() {
    let pool = mudu::LoopPool::new(2).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let clients = std::thread::spawn(move || {
        (0..4)
            .map(|i| {
                let mut c = std::net::TcpStream::connect(addr).unwrap();
                c.write_all(&[i]).unwrap();
                let mut name = String::new();
                c.read_to_string(&mut name).unwrap();
                name
            })
            .collect::<Vec<_>>()
    });
    for _ in 0..4 {
        let (conn, _) = listener.accept().unwrap();
        drop(pool.spawn_local(move || async move {
            conn.set_nonblocking(true).unwrap();
            let conn = mudu::io::IoSource::new(mio::net::TcpStream::from_std(conn)).unwrap();
            let mut byte = [0u8; 1];
            std::future::poll_fn(|cx| conn.poll_read_with(cx, |mut s| s.read(&mut byte)))
                .await
                .unwrap();
            let name = thread_name();
            std::future::poll_fn(|cx| conn.poll_write_with(cx, |mut s| s.write(name.as_bytes())))
                .await
                .unwrap();
        }));
    }
    let names = clients.join().unwrap();
    assert_eq!(
        names,
        ["mudu-loop-0", "mudu-loop-1", "mudu-loop-0", "mudu-loop-1"]
    );
}

#[test]
fn a_task_on_the_pool_may_drop_the_last_reference_to_it() {
    // The loop the task runs on cannot wait for its own thread: the pool stops it and lets it go.
    let pool = std::sync::Arc::new(mudu::LoopPool::new(2).unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    let last = std::sync::Arc::clone(&pool);
    let join = pool.spawn(async move {
        // Wait until the test's thread has let go of its reference, so this drop is the last.
        while std::sync::Arc::strong_count(&last) > 1 {
            mudu::task::yield_now().await;
        }
        drop(last);
        tx.send(thread_name()).unwrap();
    });
    drop(join);
    drop(pool);
    assert!(rx.recv().unwrap().starts_with("mudu-loop-"));
}
