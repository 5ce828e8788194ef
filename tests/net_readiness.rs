//! Readiness corner cases that would stall or spin a loop: `try_read` polled between yields, and
//! error events that do not make the next read or write fail (a transmit timestamp waiting in the
//! socket's error queue raises `EPOLLERR`, which mio also reports as write-closed), and urgent data,
//! which a read stops short at.

mod util;

use mudu::net::TcpStream;
use std::io;
use std::os::fd::AsRawFd;

use util::tcp_pair as pair;

/// Turns on software transmit timestamps: every send then queues an entry in the socket's error
/// queue, and the loop sees `EPOLLERR` although nothing failed.
fn timestamp_sends(stream: &TcpStream) {
    let flags = (libc::SOF_TIMESTAMPING_TX_SOFTWARE
        | libc::SOF_TIMESTAMPING_SOFTWARE
        | libc::SOF_TIMESTAMPING_OPT_TSONLY) as libc::c_int;
    // SAFETY: `flags` is a live c_int for the call, and its size is passed with it.
    let rc = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_TIMESTAMPING,
            (&flags as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0, "SO_TIMESTAMPING: {}", io::Error::last_os_error());
}

/// Sends a byte with timestamps on and waits until the loop has seen the resulting error event
/// (`readable` returns on it: the peer sent nothing).
async fn raise_error_event(stream: &mut TcpStream) {
    timestamp_sends(stream);
    stream.write_all(b"x").await.unwrap();
    stream.readable().await.unwrap();
}

#[test]
fn try_read_between_yields_sees_the_data() {
    // The loop stays busy (the task yields) and no task waits on the socket (`try_read` stores no
    // waker): the loop must still poll for I/O, or the data never shows.
    let n = util::finishes("try_read between yields", 30, || {
        mudu::block_on(async {
            let (mut client, server) = pair().await;
            client.write_all(b"hi").await.unwrap();
            let mut buf = [0; 8];
            loop {
                match server.try_read(&mut buf) {
                    Ok(n) => return n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        mudu::task::yield_now().await
                    }
                    Err(e) => panic!("try_read: {e}"),
                }
            }
        })
    });
    assert_eq!(n, 2);
}

#[test]
fn an_error_event_that_fails_no_read_does_not_spin_the_reader() {
    let n = util::finishes("read after an error event", 30, || {
        mudu::block_on(async {
            let (mut client, mut server) = pair().await;
            raise_error_event(&mut server).await;
            // The answer comes from another task, which runs only once the read waits.
            let answer = mudu::spawn(async move {
                client.write_all(b"reply").await.unwrap();
                client
            });
            let mut buf = [0; 16];
            let n = server.read(&mut buf).await.unwrap();
            drop(answer.await.unwrap());
            n
        })
    });
    assert_eq!(n, 5);
}

#[test]
fn an_error_event_that_fails_no_write_does_not_spin_the_writer() {
    const SIZE: usize = 32 << 20;
    let received = util::finishes("write after an error event", 60, || {
        mudu::block_on(async {
            let (mut client, mut server) = pair().await;
            raise_error_event(&mut server).await;
            // The reader runs only once the writer waits for room in the send buffer.
            let reader = mudu::spawn(async move {
                let mut total = 0;
                let mut buf = vec![0; 1 << 16];
                loop {
                    match client.read(&mut buf).await.unwrap() {
                        0 => return total,
                        n => total += n,
                    }
                }
            });
            server.write_all(&vec![1; SIZE]).await.unwrap();
            drop(server);
            reader.await.unwrap()
        })
    });
    assert_eq!(received, 1 + SIZE);
}

#[test]
fn a_read_stopped_short_at_urgent_data_does_not_stall_the_reader() {
    // The kernel stops a read at the urgent mark: the short read that returns `abc` leaves `def`
    // queued, and no new edge will announce it. All of it is queued before the first read (loopback
    // delivers within the sender's call), so only the urgent flag can bring the reader back.
    let got = util::finishes("reading past urgent data", 30, || {
        mudu::block_on(async {
            let (mut client, mut server) = pair().await;
            client.write_all(b"abc").await.unwrap();
            socket2::SockRef::from(&client)
                .send_out_of_band(b"!")
                .unwrap();
            client.write_all(b"def").await.unwrap();
            let mut got = Vec::new();
            let mut buf = [0; 64];
            while got.len() < 6 {
                let n = server.read(&mut buf).await.unwrap();
                assert!(n > 0, "the peer did not close");
                got.extend_from_slice(&buf[..n]);
            }
            got
        })
    });
    // Not inline (`SO_OOBINLINE` is off): the urgent byte is skipped by plain reads.
    assert_eq!(got, b"abcdef");
}
