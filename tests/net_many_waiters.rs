//! Several tasks waiting on one direction of one socket through the `&self`
//! operations (`readable`, `writable`, `accept`): an event wakes every one
//! of them, as tokio's do, and none is forgotten.

mod util;

use futures_util::stream::{FuturesUnordered, StreamExt};
use mudu::net::{TcpListener, TcpStream};
use mudu::task::yield_now;
use std::rc::Rc;
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
            let first = TcpStream::connect(addr).await.unwrap();
            let second = TcpStream::connect(addr).await.unwrap();
            let mut peers = Vec::new();
            for acceptor in acceptors {
                peers.push(acceptor.await.unwrap());
            }
            peers.sort();
            let mut expected = vec![first.local_addr().unwrap(), second.local_addr().unwrap()];
            expected.sort();
            assert_eq!(peers, expected);
        })
    });
}
