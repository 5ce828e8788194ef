//! Several tasks waiting on one direction of one socket through the `&self`
//! operations (`readable`, `writable`, `accept`): an event wakes every one
//! of them, as tokio's do, and none is forgotten.

mod util;

use futures_util::stream::{FuturesUnordered, StreamExt};
use mudu::net::{TcpListener, TcpStream};
use mudu::task::yield_now;
use std::cell::Cell;
use std::future::Future;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Wake, Waker};
use util::tcp_pair;

#[test]
fn two_tasks_awaiting_readable_both_wake() {
    util::finishes("two tasks awaiting readable()", 30, || {
        mudu::block_on(async {
            let (mut client, server) = tcp_pair().await;
            let server = Rc::new(server);
            let waiting: Vec<_> = (0..2)
                .map(|_| {
                    let server = Rc::clone(&server);
                    mudu::spawn(async move { server.readable().await.unwrap() })
                })
                .collect();
            // Both wait before the data comes.
            yield_now().await;
            client.write_all(b"x").await.unwrap();
            for task in waiting {
                task.await.unwrap();
            }
        })
    });
}

#[test]
fn two_readable_futures_in_one_task_both_complete() {
    // One task, but each future in the set has a waker of its own.
    let done = util::finishes("two readable() futures in one task", 30, || {
        mudu::block_on(async {
            let (mut client, server) = tcp_pair().await;
            let mut set: FuturesUnordered<_> = (0..2).map(|_| server.readable()).collect();
            let wait = async {
                let mut done = 0;
                while let Some(ready) = set.next().await {
                    ready.unwrap();
                    done += 1;
                }
                done
            };
            let send = async {
                yield_now().await;
                client.write_all(b"x").await.unwrap();
            };
            futures_util::future::join(wait, send).await.0
        })
    });
    assert_eq!(done, 2);
}

#[test]
fn writers_waiting_on_a_full_socket_all_wake_when_it_drains() {
    util::finishes("three tasks awaiting writable()", 30, || {
        mudu::block_on(async {
            let (client, mut server) = tcp_pair().await;
            // Fill the client's send buffer and the server's receive buffer.
            let chunk = vec![0u8; 64 * 1024];
            while client.try_write(&chunk).is_ok() {}
            let client = Rc::new(client);
            let waiting: Vec<_> = (0..3)
                .map(|_| {
                    let client = Rc::clone(&client);
                    mudu::spawn(async move { client.writable().await.unwrap() })
                })
                .collect();
            yield_now().await;
            // The peer reads everything from now on, and the send buffer drains.
            let _reader = mudu::spawn(async move {
                let mut sink = vec![0u8; 64 * 1024];
                while server.read(&mut sink).await.unwrap() > 0 {}
            });
            for task in waiting {
                task.await.unwrap();
            }
        })
    });
}

#[test]
fn two_acceptor_tasks_each_get_a_connection() {
    util::finishes("two acceptor tasks", 30, || {
        mudu::block_on(async {
            let listener = Rc::new(TcpListener::bind("127.0.0.1:0").await.unwrap());
            let addr = listener.local_addr().unwrap();
            let acceptors: Vec<_> = (0..2)
                .map(|_| {
                    let listener = Rc::clone(&listener);
                    mudu::spawn(async move { listener.accept().await.unwrap().1 })
                })
                .collect();
            yield_now().await;
            two_clients_one_each(addr, acceptors).await;
        })
    });
}

/// Polls `fut`, counting every poll in `polls`.
async fn counted<F: std::future::Future>(polls: Rc<Cell<usize>>, fut: F) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    std::future::poll_fn(|cx| {
        polls.set(polls.get() + 1);
        fut.as_mut().poll(cx)
    })
    .await
}

#[test]
fn more_waiters_than_a_crowd_holds_settle_until_the_event() {
    // Past the crowd's first bound (1024 beside the slot's own waker): the waiters must settle, not
    // wake each other without end, and all of them must wake at the event.
    const TASKS: usize = 1 + 1024 + 2;
    util::finishes("more waiters than a crowd holds", 60, || {
        mudu::block_on(async {
            let (mut client, server) = tcp_pair().await;
            let server = Rc::new(server);
            let polls = Rc::new(Cell::new(0));
            let tasks: Vec<_> = (0..TASKS)
                .map(|_| {
                    let server = Rc::clone(&server);
                    let polls = Rc::clone(&polls);
                    mudu::spawn(async move { counted(polls, server.readable()).await.unwrap() })
                })
                .collect();
            while polls.get() < TASKS {
                yield_now().await;
            }
            // Whatever rearranging the bound causes happens now...
            for _ in 0..100 {
                yield_now().await;
            }
            let settled = polls.get();
            // ...and then, with no event, nothing polls them again.
            for _ in 0..100 {
                yield_now().await;
            }
            assert_eq!(polls.get(), settled, "waiting tasks polled with no event");
            assert!(
                settled < 3 * TASKS,
                "{settled} polls to settle {TASKS} waiters"
            );
            client.write_all(b"x").await.unwrap();
            for task in tasks {
                task.await.unwrap();
            }
        })
    });
}

#[test]
fn two_acceptors_both_get_a_connection_after_a_backoff() {
    // Out of descriptors, both acceptors wait out the listener's backoff; both must be woken when it
    // ends. The descriptor limit is per process, hence a process of its own.
    util::isolated::isolated(
        "two_acceptors_both_get_a_connection_after_a_backoff",
        || {
            util::finishes("two acceptors after a backoff", 30, || {
                mudu::block_on(async {
                    let listener = Rc::new(TcpListener::bind("127.0.0.1:0").await.unwrap());
                    let addr = listener.local_addr().unwrap();
                    let _queued = std::net::TcpStream::connect(addr).unwrap();
                    let normal = util::limit_descriptors(util::limit_leaving_room(0));
                    let errors = Rc::new(Cell::new(0));
                    let acceptors: Vec<_> = (0..2)
                        .map(|_| {
                            let listener = Rc::clone(&listener);
                            let errors = Rc::clone(&errors);
                            mudu::spawn(async move {
                                loop {
                                    match listener.accept().await {
                                        Ok((_, peer)) => return peer,
                                        Err(e) if e.raw_os_error() == Some(libc::EMFILE) => {
                                            errors.set(errors.get() + 1)
                                        }
                                        Err(e) => panic!("accept: {e}"),
                                    }
                                }
                            })
                        })
                        .collect();
                    while errors.get() == 0 {
                        yield_now().await;
                    }
                    for _ in 0..3 {
                        yield_now().await; // both acceptors now wait out the backoff
                    }
                    util::limit_descriptors(normal);
                    // Whether or not the shedding closed the queued client, two more arrive.
                    two_clients_one_each(addr, acceptors).await;
                })
            })
        },
    );
}

#[test]
fn an_accept_beside_a_poll_accept_each_get_a_connection() {
    // `poll_accept` keeps no state, and its waker takes the listener's slot from the pending
    // `accept()` of the other task; that one is still woken by the next connection.
    util::finishes("accept beside poll_accept", 30, || {
        mudu::block_on(async {
            let listener = Rc::new(TcpListener::bind("127.0.0.1:0").await.unwrap());
            let addr = listener.local_addr().unwrap();
            let waiting = {
                let listener = Rc::clone(&listener);
                mudu::spawn(async move { listener.accept().await.unwrap().1 })
            };
            yield_now().await;
            let polling = spawn_poll_accept(&listener);
            yield_now().await;
            two_clients_one_each(addr, vec![waiting, polling]).await;
        })
    });
}

#[test]
fn an_accept_whose_task_also_polled_poll_accept_is_still_woken() {
    // The task polls its `accept()` (whose wait takes the listener's slot) and then, in the same
    // poll, `poll_accept`, as a `select` over both does: same waker, so the slot still stands for the
    // wait. Another task's `poll_accept` then puts that waker out; the `accept()` must still be woken.
    util::finishes("accept beside its own task's poll_accept", 30, || {
        mudu::block_on(async {
            let listener = Rc::new(TcpListener::bind("127.0.0.1:0").await.unwrap());
            let addr = listener.local_addr().unwrap();
            let waiting = {
                let listener = Rc::clone(&listener);
                mudu::spawn(async move {
                    let mut accept = std::pin::pin!(listener.accept());
                    let mut first = true;
                    std::future::poll_fn(|cx| {
                        let polled = accept.as_mut().poll(cx);
                        if std::mem::take(&mut first) {
                            // The other branch, polled once and then given up.
                            assert!(polled.is_pending());
                            assert!(listener.poll_accept(cx).is_pending());
                        }
                        polled
                    })
                    .await
                    .unwrap()
                    .1
                })
            };
            yield_now().await;
            let polling = spawn_poll_accept(&listener);
            yield_now().await;
            two_clients_one_each(addr, vec![polling, waiting]).await;
        })
    });
}

#[test]
fn poll_accepts_given_up_on_an_idle_listener_leave_nothing_behind() {
    // Each `poll_accept` from a new waker replaces the last one, as in tokio: nothing piles up.
    mudu::block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let live = Arc::new(AtomicUsize::new(0));
        let mut most = 0;
        for _ in 0..10_000 {
            let waker = counted_waker(&live);
            assert!(listener
                .poll_accept(&mut Context::from_waker(&waker))
                .is_pending());
            drop(waker);
            most = most.max(live.load(SeqCst));
        }
        assert!(most <= 2, "{most} wakers kept by an idle listener");
    });
}

/// A task that accepts one connection through `poll_accept` and returns its peer.
fn spawn_poll_accept(listener: &Rc<TcpListener>) -> mudu::JoinHandle<std::net::SocketAddr> {
    let listener = Rc::clone(listener);
    mudu::spawn(async move {
        std::future::poll_fn(|cx| listener.poll_accept(cx))
            .await
            .unwrap()
            .1
    })
}

/// Connects two clients to `addr` and checks that the two `acceptors` took one each.
async fn two_clients_one_each(
    addr: std::net::SocketAddr,
    acceptors: Vec<mudu::JoinHandle<std::net::SocketAddr>>,
) {
    let _first = TcpStream::connect(addr).await.unwrap();
    let _second = TcpStream::connect(addr).await.unwrap();
    let mut peers = Vec::new();
    for acceptor in acceptors {
        peers.push(acceptor.await.unwrap());
    }
    assert_ne!(peers[0], peers[1]);
}

#[test]
fn waits_given_up_on_an_idle_socket_leave_nothing_behind() {
    mudu::block_on(async {
        let (_client, server) = tcp_pair().await;
        let live = Arc::new(AtomicUsize::new(0));
        let mut most = 0;
        // Waiters one after another, each polling `readable()` once and giving up; no data comes,
        // so no event clears anything on its own.
        for _ in 0..10_000 {
            let waker = counted_waker(&live);
            {
                let mut ready = std::pin::pin!(server.readable());
                assert!(ready
                    .as_mut()
                    .poll(&mut Context::from_waker(&waker))
                    .is_pending());
            } // the wait is dropped here
            drop(waker);
            most = most.max(live.load(SeqCst));
        }
        // The slot keeps the last waker it cached, for the next wait: one, never a pile.
        assert!(most <= 2, "{most} wakers kept by an idle socket");
    });
}

/// Counts how many wakers of its kind are alive, held by anyone.
struct Counted(Arc<AtomicUsize>);

impl Wake for Counted {
    fn wake(self: Arc<Self>) {}
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, SeqCst);
    }
}

/// A waker counted in `live` while it (or a clone) exists.
fn counted_waker(live: &Arc<AtomicUsize>) -> Waker {
    live.fetch_add(1, SeqCst);
    Waker::from(Arc::new(Counted(Arc::clone(live))))
}
