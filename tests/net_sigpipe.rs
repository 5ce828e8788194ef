//! Writing to a peer that has gone returns an error and never raises
//! `SIGPIPE`, for plain and vectored writes, even in a process that put the
//! default `SIGPIPE` action back (which kills it; shells report status 141).
//!
//! Each test re-runs itself in a child process with `SIGPIPE` at its default
//! action; the parent checks the child exited normally and got `EPIPE`.

mod util;

use mudu::net::{TcpListener, TcpStream};
use std::io::{self, IoSlice};
use std::os::unix::process::ExitStatusExt;

const CHILD: &str = "MUDU_SIGPIPE_CHILD";
const MARKER: &str = "got EPIPE without a signal";

fn restore_default_sigpipe() {
    // SAFETY: `signal` with `SIG_DFL` installs no handler code; the process
    // is single-purpose (this child) and sets it before any socket exists.
    let previous = unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    assert_ne!(previous, libc::SIG_ERR);
}

/// In the child: closes the peer, then writes until the kernel says `EPIPE`.
fn write_to_a_closed_peer(vectored: bool) {
    restore_default_sigpipe();
    mudu::block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        drop(server);
        let mut buf = [0; 1];
        assert_eq!(client.read(&mut buf).await.unwrap(), 0, "the peer's FIN");
        // The first write goes out and draws a reset; the next report
        // ECONNRESET, then EPIPE, where a plain writev would be killed.
        for _ in 0..1000 {
            let result = if vectored {
                let parts = [IoSlice::new(b"a"), IoSlice::new(b"b")];
                client.write_vectored(&parts).await
            } else {
                client.write(b"ab").await
            };
            match result {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                    println!("{MARKER}");
                    return;
                }
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => {}
                Err(e) => panic!("unexpected error {e:?}"),
            }
        }
        panic!("no EPIPE after 1000 writes to a closed peer");
    });
}

fn run_child(test: &str) {
    let output = util::child_test(test, CHILD).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_ne!(
        output.status.signal(),
        Some(libc::SIGPIPE),
        "the child was killed by SIGPIPE (exit status 141 in a shell)"
    );
    assert!(
        output.status.success(),
        "child failed: {:?}\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains(MARKER), "the child did not run: {stdout}");
}

#[test]
fn plain_write_to_a_closed_peer_raises_no_sigpipe() {
    if util::is_child(CHILD) {
        return write_to_a_closed_peer(false);
    }
    run_child("plain_write_to_a_closed_peer_raises_no_sigpipe");
}

#[test]
fn vectored_write_to_a_closed_peer_raises_no_sigpipe() {
    if util::is_child(CHILD) {
        return write_to_a_closed_peer(true);
    }
    run_child("vectored_write_to_a_closed_peer_raises_no_sigpipe");
}
