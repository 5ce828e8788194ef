//! Dropping a runtime closes what its tasks own and fails what still waits on its reactor.

mod util;

use std::future::poll_fn;
use std::io::Read;
use std::os::unix::net::UnixStream;

/// The tests of this file count the process's descriptors: they must not run at the same time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn pair() -> (mudu::io::IoSource<mio::net::UnixStream>, UnixStream) {
    let (a, b) = UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    (
        mudu::io::IoSource::new(mio::net::UnixStream::from_std(a)).unwrap(),
        b,
    )
}

#[test]
fn dropping_the_runtime_closes_every_source_its_tasks_own() {
    let _serial = serial();
    let before = util::open_fds();
    let rt = mudu::Runtime::new().unwrap();
    let peers: Vec<UnixStream> = rt.block_on(async {
        let mut peers = Vec::new();
        for _ in 0..50 {
            let (source, peer) = pair();
            peers.push(peer);
            mudu::spawn(async move {
                let mut buf = [0u8; 8];
                // Never readable: the peer writes nothing.
                let _ = poll_fn(|cx| source.poll_read_with(cx, |mut s| s.read(&mut buf))).await;
            });
        }
        mudu::task::yield_now().await;
        peers
    });
    drop(rt);
    // The loop's epoll and eventfd and every task-owned socket are closed; only the peers remain.
    assert_eq!(util::open_fds(), before + peers.len());
    // And each peer sees its other end closed.
    for mut peer in peers {
        let mut buf = [0u8; 1];
        assert_eq!(peer.read(&mut buf).unwrap(), 0);
    }
    assert_eq!(util::open_fds(), before);
}

#[test]
fn a_source_that_outlives_its_runtime_reports_an_error() {
    let _serial = serial();
    let rt = mudu::Runtime::new().unwrap();
    let (source, _peer) = rt.block_on(async { pair() });
    drop(rt);
    let other = mudu::Runtime::new().unwrap();
    let mut buf = [0u8; 1];
    let err = other
        .block_on(poll_fn(|cx| {
            source.poll_read_with(cx, |mut s| s.read(&mut buf))
        }))
        .unwrap_err();
    assert!(err.to_string().contains("shut down"), "{err}");
}

thread_local! {
    static THREAD_RUNTIME: mudu::Runtime = mudu::Runtime::new().unwrap();
}

#[test]
fn a_runtime_in_a_thread_local_shuts_down_at_thread_exit() {
    // The runtime is dropped among the thread's thread-locals, after mudu's own may be gone. Run in a
    // child process: a failure here aborts the process rather than failing one test.
    if util::is_child("MUDU_TLS_RUNTIME_CHILD") {
        let answer = std::thread::spawn(|| {
            THREAD_RUNTIME.with(|rt| {
                rt.block_on(async {
                    drop(mudu::spawn(std::future::pending::<()>()));
                    let _nap = mudu::time::sleep(std::time::Duration::from_secs(60));
                    mudu::task::yield_now().await;
                    42
                })
            })
        })
        .join()
        .expect("the thread exits cleanly");
        assert_eq!(answer, 42);
        return;
    }
    let status = util::child_test(
        "a_runtime_in_a_thread_local_shuts_down_at_thread_exit",
        "MUDU_TLS_RUNTIME_CHILD",
    )
    .status()
    .unwrap();
    assert!(status.success(), "child: {status}");
}
