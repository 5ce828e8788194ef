//! [`ServerProcess`]: one echo server running as a child process pinned to
//! CPU 0, and the CPU time it has used.
//!
//! Rules: the driver owns the child; dropping the handle kills and reaps it,
//! so a failed measurement leaves no server behind. CPU time is the sum over
//! the server's threads of the first field of `/proc/<pid>/task/<tid>/schedstat`
//! (nanoseconds on a CPU, user and kernel together, softirq work the kernel
//! charges to the thread included).

use std::io::{self, BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, ChildStdout, Command, Stdio};

use crate::server_kind::ServerKind;

/// Where `taskset` lives on the machines this benchmark runs on.
pub const TASKSET: &str = "/usr/bin/taskset";

/// The CPU the servers run on; the driver takes the other one.
pub const SERVER_CPU: usize = 0;

/// A running echo server.
pub struct ServerProcess {
    child: Child,
    /// Held open so that the server never writes to a closed pipe.
    _stdout: BufReader<ChildStdout>,
    addr: SocketAddr,
}

impl ServerProcess {
    /// Starts `<this binary> server KIND` under `taskset -c 0` and waits
    /// for its `listening <addr>` line.
    pub fn start(kind: ServerKind) -> io::Result<ServerProcess> {
        ServerProcess::start_under(kind, &[])
    }

    /// [`start`](Self::start), with the server run by `wrapper` (a command
    /// and its arguments that exec the rest of the line in the same process,
    /// such as valgrind).
    pub fn start_under(kind: ServerKind, wrapper: &[&str]) -> io::Result<ServerProcess> {
        let exe = std::env::current_exe()?;
        let mut child = Command::new(TASKSET)
            .args(["-c", &SERVER_CPU.to_string()])
            .args(wrapper)
            .arg(exe)
            .args(["server", kind.name()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()?;
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
        let mut line = String::new();
        stdout.read_line(&mut line)?;
        let addr = line
            .trim()
            .strip_prefix("listening ")
            .and_then(|a| a.parse().ok());
        let Some(addr) = addr else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(io::Error::other(format!(
                "{} server did not announce an address (said {line:?})",
                kind.name()
            )));
        };
        Ok(ServerProcess {
            child,
            _stdout: stdout,
            addr,
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its process id (`taskset` execs the server, so this is the server).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Nanoseconds its threads have spent on a CPU so far.
    pub fn cpu_ns(&self) -> io::Result<u64> {
        let mut total = 0;
        for task in std::fs::read_dir(format!("/proc/{}/task", self.pid()))? {
            let path = task?.path().join("schedstat");
            let text = match std::fs::read_to_string(&path) {
                Ok(text) => text,
                // A thread that ended between listing and reading.
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            let first = text.split_whitespace().next().unwrap_or("");
            total += first.parse::<u64>().map_err(|_| {
                io::Error::other(format!("unexpected {}: {text:?}", path.display()))
            })?;
        }
        Ok(total)
    }
}

impl ServerProcess {
    /// Stops the server with SIGINT (which lets a wrapper such as valgrind
    /// write its results) and waits for it to exit.
    pub fn interrupt(mut self) -> io::Result<()> {
        let status = Command::new("kill")
            .args(["-INT", &self.pid().to_string()])
            .status()?;
        if !status.success() {
            return Err(io::Error::other("could not interrupt the server"));
        }
        self.child.wait()?;
        Ok(())
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
