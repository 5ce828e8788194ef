//! TcpStream on loopback: half-close, resets, large transfers, peek, split
//! halves, readiness, options, and drops while a read is pending.

mod util;

use futures_util::future::join;
use mudu::net::{OwnedReadHalf, OwnedWriteHalf, TcpStream};
use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::pin;
use std::task::{Context, Poll};
use std::time::Duration;

use util::tcp_pair as pair;

/// Polls `future` once with a waker that does nothing.
fn poll_once<F: Future>(future: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(&util::noop_waker()))
}

async fn read_to_end(stream: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0; 4096];
    loop {
        match stream.read(&mut buf).await.unwrap() {
            0 => return out,
            n => out.extend_from_slice(&buf[..n]),
        }
    }
}

#[test]
fn half_close_both_ways() {
    mudu::block_on(async {
        let (mut client, mut server) = pair().await;
        // Client done sending; the server still answers.
        client.write_all(b"question").await.unwrap();
        client.shutdown_write().unwrap();
        assert_eq!(read_to_end(&mut server).await, b"question");
        server.write_all(b"answer").await.unwrap();
        let mut buf = [0; 6];
        client.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"answer");

        // The other way round on a fresh pair.
        let (mut client, mut server) = pair().await;
        server.write_all(b"banner").await.unwrap();
        server.shutdown_write().unwrap();
        assert_eq!(read_to_end(&mut client).await, b"banner");
        client.write_all(b"late reply").await.unwrap();
        client.shutdown_write().unwrap();
        assert_eq!(read_to_end(&mut server).await, b"late reply");
    });
}

#[test]
fn peer_reset_mid_write_is_an_error() {
    mudu::block_on(async {
        let (mut client, mut server) = pair().await;
        let writer = mudu::spawn(async move {
            let big = vec![7u8; 32 << 20];
            let result = client.write_all(&big).await;
            (result, client)
        });
        let mut first = [0; 1];
        server.read_exact(&mut first).await.unwrap();
        server.set_linger(Some(Duration::ZERO)).unwrap();
        drop(server); // a reset, with data unread
        let (result, client) = writer.await.unwrap();
        let err = result.expect_err("writing to a reset peer must fail");
        assert!(
            matches!(
                err.kind(),
                io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe
            ),
            "{err:?}"
        );
        // Later writes keep failing; no signal kills the process.
        let err = client.try_write(b"x").unwrap_err();
        assert_ne!(err.kind(), io::ErrorKind::WouldBlock, "{err:?}");
    });
}

const BLOCK: usize = 1 << 20;
const BLOCKS: u64 = 64;

/// Order-sensitive checksum of 1 MiB blocks, eight bytes at a time.
fn checksum(mut sum: u64, block: &[u8]) -> u64 {
    for word in block.chunks_exact(8) {
        let w = u64::from_le_bytes(word.try_into().unwrap());
        sum = (sum ^ w).wrapping_mul(0x100_0000_01b3).rotate_left(29);
    }
    sum
}

fn base_block(seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..BLOCK)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

async fn send_blocks(mut w: OwnedWriteHalf, seed: u64) -> u64 {
    let mut block = base_block(seed);
    let mut sum = 0;
    for i in 0..BLOCKS {
        block[..8].copy_from_slice(&i.to_le_bytes());
        sum = checksum(sum, &block);
        w.write_all(&block).await.unwrap();
    }
    sum // dropping `w` half-closes: the reader sees end-of-file next
}

async fn receive_blocks(mut r: OwnedReadHalf) -> u64 {
    let mut block = vec![0; BLOCK];
    let mut sum = 0;
    for _ in 0..BLOCKS {
        r.read_exact(&mut block).await.unwrap();
        sum = checksum(sum, &block);
    }
    assert_eq!(
        r.read(&mut block).await.unwrap(),
        0,
        "end-of-file after 64 MiB"
    );
    sum
}

#[test]
fn sixty_four_mib_each_way_checksummed() {
    mudu::block_on(async {
        let (client, server) = pair().await;
        let (client_r, client_w) = client.into_split();
        let (server_r, server_w) = server.into_split();
        let up = mudu::spawn(send_blocks(client_w, 1));
        let down = mudu::spawn(send_blocks(server_w, 2));
        let got_up = mudu::spawn(receive_blocks(server_r));
        let got_down = receive_blocks(client_r).await;
        assert_eq!(got_up.await.unwrap(), up.await.unwrap());
        assert_eq!(got_down, down.await.unwrap());
    });
}

#[test]
fn vectored_writes_arrive_in_order() {
    mudu::block_on(async {
        let (mut client, mut server) = pair().await;
        let parts = [
            IoSlice::new(b"head "),
            IoSlice::new(b""),
            IoSlice::new(b"tail"),
        ];
        let n = client.write_vectored(&parts).await.unwrap();
        assert_eq!(n, 9);
        drop(client);
        assert_eq!(read_to_end(&mut server).await, b"head tail");
    });
}

#[test]
fn vectored_writes_of_more_slices_than_sendmsg_takes() {
    mudu::block_on(async {
        let (mut client, mut server) = pair().await;
        // sendmsg takes at most 1024 slices: the write sends that many and says so.
        let chunk = [7; 4];
        let many: Vec<IoSlice<'_>> = (0..2000).map(|_| IoSlice::new(&chunk)).collect();
        assert_eq!(client.write_vectored(&many).await.unwrap(), 1024 * 4);
        // Empty slices in front do not count against the limit, nor end in a zero-byte write.
        let empty = [IoSlice::new(&[]); 1500];
        let mut slices = empty.to_vec();
        slices.push(IoSlice::new(b"tail"));
        assert_eq!(client.write_vectored(&slices).await.unwrap(), 4);
        let mut buf = vec![0; 1024 * 4 + 4];
        server.read_exact(&mut buf).await.unwrap();
        assert!(buf[..4096].iter().all(|&b| b == 7));
        assert_eq!(&buf[4096..], b"tail");
    });
}

#[test]
fn peek_leaves_the_bytes_for_read() {
    mudu::block_on(async {
        let (mut client, mut server) = pair().await;
        client.write_all(b"hello").await.unwrap();
        let mut peeked = [0; 5];
        let n = server.peek(&mut peeked).await.unwrap();
        assert_eq!(&peeked[..n], &b"hello"[..n]);
        let mut read = [0; 5];
        server.read_exact(&mut read).await.unwrap();
        assert_eq!(&read, b"hello");
    });
}

#[test]
fn owned_halves_serve_two_tasks() {
    mudu::block_on(async {
        let (client, mut server) = pair().await;
        let echo = mudu::spawn(async move {
            let (mut r, mut w) = server.split();
            let mut buf = [0; 1024];
            loop {
                match r.read(&mut buf).await.unwrap() {
                    0 => break,
                    n => w.write_all(&buf[..n]).await.unwrap(),
                }
            }
        });
        let (mut r, mut w) = client.into_split();
        let writer = mudu::spawn(async move {
            for i in 0..1000u32 {
                w.write_all(&i.to_le_bytes()).await.unwrap();
            }
        });
        let reader = mudu::spawn(async move {
            let mut word = [0; 4];
            for i in 0..1000u32 {
                r.read_exact(&mut word).await.unwrap();
                assert_eq!(u32::from_le_bytes(word), i);
            }
            let mut rest = [0; 1];
            assert_eq!(r.read(&mut rest).await.unwrap(), 0);
        });
        writer.await.unwrap(); // its drop half-closed the client
        reader.await.unwrap();
        echo.await.unwrap();
    });
}

#[test]
fn borrowed_halves_in_one_task() {
    mudu::block_on(async {
        let (mut client, mut server) = pair().await;
        let (mut r, mut w) = client.split();
        let send = async {
            w.write_all(b"ping").await.unwrap();
            w.shutdown_write().unwrap();
        };
        let receive = async {
            let mut buf = [0; 4];
            r.read_exact(&mut buf).await.unwrap();
            buf
        };
        let serve = async {
            let got = read_to_end(&mut server).await;
            server.write_all(&got).await.unwrap();
        };
        let (((), ()), buf) = join(join(send, serve), receive).await;
        assert_eq!(&buf, b"ping");
    });
}

#[test]
fn dropping_a_stream_while_its_read_is_pending() {
    mudu::block_on(async {
        // A read future polled to Pending, then dropped with its stream.
        let (mut client, mut server) = pair().await;
        {
            let mut buf = [0; 8];
            let mut read = pin!(client.read(&mut buf));
            assert!(poll_once(read.as_mut()).is_pending());
        }
        drop(client);
        assert_eq!(read_to_end(&mut server).await, b"");

        // A task blocked in read, aborted: its owned half drops inside.
        let (client, mut server) = pair().await;
        let (mut r, w) = client.into_split();
        let blocked = mudu::spawn(async move {
            let mut buf = [0; 8];
            r.read(&mut buf).await
        });
        mudu::task::yield_now().await;
        assert!(!blocked.is_finished());
        blocked.abort();
        assert!(blocked.await.unwrap_err().is_cancelled());
        drop(w);
        assert_eq!(read_to_end(&mut server).await, b"");
        // Data for the dropped socket's old slot wakes nobody and breaks nothing.
        let (mut a, mut b) = pair().await;
        a.write_all(b"still fine").await.unwrap();
        a.shutdown_write().unwrap();
        assert_eq!(read_to_end(&mut b).await, b"still fine");
    });
}

#[test]
fn try_read_and_try_write_follow_readiness() {
    mudu::block_on(async {
        let (client, server) = pair().await;
        let mut buf = [0; 16];
        let err = server.try_read(&mut buf).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
        client.writable().await.unwrap();
        assert_eq!(client.try_write(b"abc").unwrap(), 3);
        let n = loop {
            server.readable().await.unwrap();
            match server.try_read(&mut buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                other => break other.unwrap(),
            }
        };
        assert_eq!(&buf[..n], b"abc");
        // The short read drained the socket: readiness is clear again.
        assert_eq!(
            server.try_read(&mut buf).unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
        let mut readable = pin!(server.readable());
        assert!(poll_once(readable.as_mut()).is_pending());
    });
}

#[test]
fn a_short_read_is_taken_as_drained() {
    mudu::block_on(async {
        let (mut client, mut server) = pair().await;
        client.write_all(b"def").await.unwrap();
        let mut buf = [0; 16];
        assert_eq!(server.read(&mut buf).await.unwrap(), 3);
        // No second read was needed to learn the socket is empty: readiness
        // is already clear, so waiting for it pends until new data comes.
        {
            let mut readable = pin!(server.readable());
            assert!(poll_once(readable.as_mut()).is_pending());
        }
        client.write_all(b"ghi").await.unwrap();
        server.readable().await.unwrap();
        assert_eq!(server.read(&mut buf).await.unwrap(), 3);
        assert_eq!(&buf[..3], b"ghi");
    });
}

#[test]
fn socket_options() {
    mudu::block_on(async {
        let (client, _server) = pair().await;
        client.set_nodelay(true).unwrap();
        assert!(client.nodelay().unwrap());
        client.set_nodelay(false).unwrap();
        assert!(!client.nodelay().unwrap());
        client.set_linger(Some(Duration::ZERO)).unwrap();
        assert_eq!(client.linger().unwrap(), Some(Duration::ZERO));
        client.set_linger(None).unwrap();
        assert_eq!(client.linger().unwrap(), None);
        // A non-zero linger would make the drop's close() block the loop's thread: refused, unchanged.
        for time in [Duration::from_millis(500), Duration::from_secs(3)] {
            let err = client.set_linger(Some(time)).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
            assert_eq!(client.linger().unwrap(), None);
        }
        let socket = mudu::net::TcpSocket::new_v4().unwrap();
        let err = socket.set_linger(Some(Duration::from_secs(1))).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        socket.set_linger(Some(Duration::ZERO)).unwrap();

        client.set_keepalive(Some(Duration::from_secs(75))).unwrap();
        assert_eq!(client.keepalive().unwrap(), Some(Duration::from_secs(75)));
        // The kernel counts whole seconds: rounded up, never cut to an invalid zero.
        client
            .set_keepalive(Some(Duration::from_millis(500)))
            .unwrap();
        assert_eq!(client.keepalive().unwrap(), Some(Duration::from_secs(1)));
        client.set_keepalive(None).unwrap();
        assert_eq!(client.keepalive().unwrap(), None);
        // Above the kernel's limit: refused, and keepalive stays off.
        let err = client
            .set_keepalive(Some(Duration::from_secs(100_000)))
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert_eq!(client.keepalive().unwrap(), None);
        assert!(client.take_error().unwrap().is_none());
    });
}

#[test]
fn streams_move_between_loops_through_std() {
    let (std_client, addr) = mudu::block_on(async {
        let (client, mut server) = pair().await;
        let addr = client.local_addr().unwrap();
        let std_client = client.into_std().unwrap();
        // The server stays on this loop; answer what the client sends.
        let handle = std::thread::spawn(move || {
            mudu::block_on(async move {
                let mut client = TcpStream::from_std(std_client).unwrap();
                client.write_all(b"from another loop").await.unwrap();
                client.shutdown_write().unwrap();
                client.into_std().unwrap()
            })
        });
        assert_eq!(read_to_end(&mut server).await, b"from another loop");
        (handle.join().unwrap(), addr)
    });
    assert_eq!(std_client.local_addr().unwrap(), addr);
}

#[test]
fn io_futures_hold_only_their_arguments() {
    // A connection's task stores the future it awaits: each is its captures (the stream and the
    // buffer) and its readiness wait (which names the stream itself), no generator state, so a task
    // serving a connection stays a few cache lines.
    mudu::block_on(async {
        let (mut client, _server) = pair().await;
        let word = std::mem::size_of::<usize>();
        let wait = std::mem::size_of::<mudu::io::ReadyWait<'_>>();
        assert_eq!(wait, 2 * word);
        let mut buf = [0; 8];
        let slices = [IoSlice::new(b"x")];
        assert_eq!(std::mem::size_of_val(&client.readable()), wait);
        assert_eq!(std::mem::size_of_val(&client.writable()), wait);
        assert_eq!(
            std::mem::size_of_val(&client.peek(&mut buf)),
            3 * word + wait
        );
        assert_eq!(
            std::mem::size_of_val(&client.read(&mut buf)),
            3 * word + wait
        );
        assert_eq!(
            std::mem::size_of_val(&client.read_exact(&mut buf)),
            3 * word + wait
        );
        assert_eq!(std::mem::size_of_val(&client.write(b"x")), 3 * word + wait);
        assert_eq!(
            std::mem::size_of_val(&client.write_all(b"x")),
            3 * word + wait
        );
        assert_eq!(
            std::mem::size_of_val(&client.write_vectored(&slices)),
            3 * word + wait
        );
        let (mut read, mut write) = client.split();
        assert_eq!(std::mem::size_of_val(&read.read(&mut buf)), 3 * word + wait);
        assert_eq!(
            std::mem::size_of_val(&write.write_all(b"x")),
            3 * word + wait
        );
    });
}
