//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Counts how many of its clones were dropped.
#[derive(Clone, Default)]
pub struct DropCounter(Arc<AtomicUsize>);

impl DropCounter {
    /// A token whose drop increments the counter.
    pub fn token(&self) -> DropToken {
        DropToken(self.0.clone())
    }

    /// How many tokens were dropped so far.
    pub fn dropped(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// Increments its counter when dropped.
pub struct DropToken(Arc<AtomicUsize>);

impl Drop for DropToken {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Number of open file descriptors of this process.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// A command that re-runs this test binary for the single test `test`, with
/// `var=1` set: the test sees the variable and plays the child's part.
pub fn child_test(test: &str, var: &str) -> std::process::Command {
    let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
    cmd.args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(var, "1");
    cmd
}

/// True in the child process started by [`child_test`] with `var`.
pub fn is_child(var: &str) -> bool {
    std::env::var_os(var).is_some()
}

/// The descriptor limit that leaves exactly `room` free numbers below it
/// (new descriptors take the lowest free number; open ones above the limit,
/// such as a high descriptor inherited from the parent, stay usable).
pub fn limit_leaving_room(room: u64) -> u64 {
    let listed: Vec<u64> = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u64>().ok())
        .collect();
    // The listing includes the descriptor that read the directory, closed by now.
    let open: Vec<u64> = listed
        .into_iter()
        // SAFETY: F_GETFD only reads the descriptor's flags; a closed one answers -1 (EBADF).
        .filter(|&fd| unsafe { libc::fcntl(fd as i32, libc::F_GETFD) } != -1)
        .collect();
    (0..)
        .find(|&limit| limit - open.iter().filter(|&&fd| fd < limit).count() as u64 == room)
        .unwrap()
}

/// Sets this process's soft `RLIMIT_NOFILE` to `limit` and returns the
/// previous soft limit. The hard limit stays, so the old limit can be put back.
pub fn limit_descriptors(limit: u64) -> u64 {
    let mut rlimit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `rlimit` is a valid struct that outlives the call, which only writes it.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut rlimit) };
    assert_eq!(rc, 0, "getrlimit: {}", std::io::Error::last_os_error());
    let previous = rlimit.rlim_cur;
    rlimit.rlim_cur = limit;
    // SAFETY: `rlimit` is a valid, initialised struct that outlives the call.
    let rc = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &rlimit) };
    assert_eq!(rc, 0, "setrlimit: {}", std::io::Error::last_os_error());
    previous
}

/// A waker that does nothing, for polling a future by hand.
pub fn noop_waker() -> std::task::Waker {
    struct Noop;
    impl std::task::Wake for Noop {
        fn wake(self: Arc<Self>) {}
    }
    std::task::Waker::from(Arc::new(Noop))
}

pub mod isolated;
pub mod ports;

/// Runs `serve(listener)` on a loop of its own thread, with a listener bound to a free loopback port;
/// returns that port's address. The thread serves until the test process exits.
pub fn serve_on_loopback<F, Fut>(serve: F) -> std::net::SocketAddr
where
    F: FnOnce(mudu::net::TcpListener) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = std::io::Result<()>>,
{
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        mudu::block_on(async move {
            let listener = mudu::net::TcpListener::bind("127.0.0.1:0").await?;
            tx.send(listener.local_addr()?)
                .expect("the test waits for the address");
            serve(listener).await
        })
    });
    rx.recv().expect("the server thread bound a listener")
}

/// Runs `f` on a thread of its own and returns its result, or panics naming `what` if it has not
/// finished after `secs` seconds: for tests of livelocks, which would otherwise hang instead of fail.
/// The bound is a safety net far above the time the test needs, never a timing assertion.
pub fn finishes<T: Send + 'static>(
    what: &str,
    secs: u64,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(std::time::Duration::from_secs(secs)) {
        Ok(result) => result,
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            panic!("{what}: panicked (its message is above)")
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("{what}: not finished after {secs} s (the loop is stuck)")
        }
    }
}

/// A connected pair of mudu streams on loopback: (client, server).
pub async fn tcp_pair() -> (mudu::net::TcpStream, mudu::net::TcpStream) {
    let listener = mudu::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = mudu::net::TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, peer) = listener.accept().await.unwrap();
    assert_eq!(peer, client.local_addr().unwrap());
    (client, server)
}

/// Wakes `waker` from a thread of its own, joined, so the wake has happened when this returns.
pub fn wake_from_another_thread(waker: &std::task::Waker) {
    let waker = waker.clone();
    std::thread::spawn(move || waker.wake()).join().unwrap();
}
