//! [`Incoming`]: a listener's accepted connections as a `Stream`.
//!
//! Rules: borrows its listener (other tasks may accept beside it); never
//! ends; errors are items, as `accept` returns them (resource errors after
//! the listener's backoff has been armed, so polling again does not spin).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use mudu_runtime::io::ReadyWait;

use super::{TcpListener, TcpStream};

/// The connections a [`TcpListener`] accepts, one item per `accept`.
///
/// ```
/// use mudu_net::{TcpListener, TcpStream};
/// use std::future::poll_fn;
/// use std::pin::Pin;
/// use futures_core::Stream;
///
/// mudu_runtime::block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let _client = TcpStream::connect(listener.local_addr()?).await?;
///     let mut incoming = listener.incoming();
///     let next = poll_fn(|cx| Pin::new(&mut incoming).poll_next(cx)).await;
///     let stream = next.expect("Incoming never ends")?;
///     assert_eq!(stream.local_addr()?, listener.local_addr()?);
///     Ok::<_, std::io::Error>(())
/// })
/// .unwrap();
/// ```
#[derive(Debug)]
#[must_use = "streams do nothing unless polled"]
pub struct Incoming<'a> {
    listener: &'a TcpListener,
    /// The stream's wait for the listener, beside any other task's.
    wait: ReadyWait<'a>,
}

impl<'a> Incoming<'a> {
    pub(crate) fn new(listener: &'a TcpListener) -> Incoming<'a> {
        Incoming {
            listener,
            wait: listener.wait(),
        }
    }
}

impl Stream for Incoming<'_> {
    type Item = io::Result<TcpStream>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        this.listener
            .poll_accept_with(cx, Some(&mut this.wait))
            .map(|accepted| Some(accepted.map(|(stream, _peer)| stream)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (usize::MAX, None)
    }
}
