//! `TcpServer`: a listener whose connections are served on a pool of loops (muduo's `TcpServer`).
//!
//! Rules: the server accepts on the loop that runs [`TcpServer::serve`] (muduo's acceptor on the base
//! loop). With no pool, each connection's handler runs as a task on that same loop. With a pool of N
//! loops ([`TcpServer::threads`]), connections go round-robin to the pool's loops: the accepted socket
//! travels as a plain std socket, registered with no loop, and the mudu stream and the handler's future
//! are built on the target loop, so the handler need not be `Send`, only the closure that makes it.
//! Dropping the `serve` future (or the server) closes the listener and drops every connection it
//! accepted: with a pool, by stopping the pool's loops; without one, by aborting the handler tasks, whose
//! futures drop on the loop's next turn. Without a pool, a task that a handler spawned itself (a writer
//! holding the write half of a split stream, say) is not the server's: it lives on, and so does what it
//! holds, as with any spawned task. A handler whose connection must end with the server keeps such
//! work inside its own future (join or select the halves) or runs on a pool.
//!
//! ```text
//!   serve() on the base loop           pool loop k = next()
//!   accept_std() ── std socket ──────► TcpStream::from_std ─► handler(stream, peer).await
//! ```

mod handlers;

use crate::log::log;
use crate::{TcpListener, TcpStream, ToSocketAddrs};
use handlers::Handlers;
use mudu_runtime::LoopPool;
use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

/// A TCP server: one listener, and optionally a pool of loops that own the connections.
///
/// ```
/// use mudu_net::TcpServer;
/// use std::io::{Read, Write};
///
/// mudu_runtime::block_on(async {
///     let server = TcpServer::bind("127.0.0.1:0").await?.threads(2)?;
///     let addr = server.local_addr()?;
///     let client = std::thread::spawn(move || {
///         let mut c = std::net::TcpStream::connect(addr).unwrap();
///         let mut name = String::new();
///         c.read_to_string(&mut name).unwrap();
///         name
///     });
///     let serving = mudu_runtime::spawn(server.serve(|mut stream, _peer| async move {
///         let name = std::thread::current().name().unwrap_or("").to_owned();
///         let _ = stream.write_all(name.as_bytes()).await;
///     }));
///     let name = mudu_runtime::spawn_blocking(move || client.join().unwrap()).await.unwrap();
///     assert_eq!(name, "mudu-server-0");
///     serving.abort();
///     Ok::<_, std::io::Error>(())
/// })
/// .unwrap();
/// ```
pub struct TcpServer {
    listener: TcpListener,
    pool: Option<LoopPool>,
}

impl TcpServer {
    /// Binds a listener to `target` (see [`TcpListener::bind`]), on the current loop.
    ///
    /// # Errors
    /// As [`TcpListener::bind`].
    pub async fn bind<A: ToSocketAddrs>(target: A) -> io::Result<TcpServer> {
        Ok(TcpServer::from_listener(TcpListener::bind(target).await?))
    }

    /// A server around an existing listener.
    pub fn from_listener(listener: TcpListener) -> TcpServer {
        TcpServer {
            listener,
            pool: None,
        }
    }

    /// Serves connections on `threads` loops of their own, on threads named `mudu-server-N`
    /// (muduo's `setThreadNum`). With 0, connections stay on the accepting loop.
    ///
    /// # Errors
    /// When the pool's threads or runtimes cannot be started.
    pub fn threads(self, threads: usize) -> io::Result<TcpServer> {
        if threads == 0 {
            return Ok(TcpServer { pool: None, ..self });
        }
        let pool = LoopPool::with_builder(threads, "mudu-server", mudu_runtime::Builder::new)?;
        Ok(self.with_pool(pool))
    }

    /// Serves connections on the loops of `pool`.
    pub fn with_pool(self, pool: LoopPool) -> TcpServer {
        TcpServer {
            pool: Some(pool),
            ..self
        }
    }

    /// The address the listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Accepts connections until dropped, running `handler(stream, peer)` for each on the loop that owns
    /// it. A connection that fails before the handler starts is dropped. The handlers end with `serve`:
    /// when it is dropped or returns an error, every connection it accepted is dropped too (a handler's
    /// future is dropped wherever it was waiting). With a pool that includes the tasks a handler spawned,
    /// since the pool's loops stop; without one, those tasks are not the server's and live on (see the
    /// module docs).
    ///
    /// Running out of descriptors or memory does not end it: the listener sheds its backlog and backs off
    /// (see [`TcpListener::accept`]), and the error is logged.
    ///
    /// # Errors
    /// Any other accept error, which means the listener itself is broken.
    pub async fn serve<H, F>(self, handler: H) -> io::Result<()>
    where
        H: Fn(TcpStream, SocketAddr) -> F + Send + Sync + 'static,
        F: Future<Output = ()> + 'static,
    {
        let handler = Arc::new(handler);
        let mut handlers = Handlers::new();
        loop {
            match &self.pool {
                // Registering a connection can fail on its own (epoll's watch limit): that drops the
                // connection, not the server.
                None => match self.listener.accept_mio().await {
                    Ok((stream, peer)) => match TcpStream::from_mio(stream) {
                        Ok(stream) => handlers.spawn(handler(stream, peer)),
                        Err(e) => log!(warn, "dropping connection from {peer}: {e}"),
                    },
                    Err(e) => survive(e)?,
                },
                Some(pool) => match self.listener.accept_std().await {
                    Ok((stream, peer)) => {
                        let handler = Arc::clone(&handler);
                        drop(pool.spawn_local(move || async move {
                            match TcpStream::from_std(stream) {
                                Ok(stream) => handler(stream, peer).await,
                                Err(e) => log!(warn, "dropping connection from {peer}: {e}"),
                            }
                        }));
                    }
                    Err(e) => survive(e)?,
                },
            }
        }
    }
}

/// Logs an accept error the server lives through, or hands back one it cannot.
fn survive(e: io::Error) -> io::Result<()> {
    match e.raw_os_error() {
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM) => {
            log!(warn, "accept failed, backing off: {e}");
            Ok(())
        }
        _ => Err(e),
    }
}

impl fmt::Debug for TcpServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpServer")
            .field("local_addr", &self.listener.local_addr().ok())
            .field("loops", &self.pool.as_ref().map_or(0, LoopPool::len))
            .finish()
    }
}
