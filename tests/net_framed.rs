//! The ecosystem's codecs and I/O helpers on mudu streams: tokio-util's
//! `Framed` with `LinesCodec` (tokio's traits, feature `tokio-io`), and
//! futures-io's extension traits (feature `futures-io`, on by default).

use futures_util::{AsyncReadExt, AsyncWriteExt, SinkExt, StreamExt};
use mudu::net::{TcpListener, TcpStream};
use tokio_util::codec::{Framed, LinesCodec};

#[test]
fn framed_lines_round_trip() {
    mudu::block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = mudu::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let mut lines = Framed::new(stream, LinesCodec::new());
            while let Some(line) = lines.next().await {
                let line = line.unwrap();
                lines.send(line.to_uppercase()).await.unwrap();
            }
        });
        let stream = TcpStream::connect(addr).await.unwrap();
        let (read, write) = stream.into_split();
        let mut to_server = tokio_util::codec::FramedWrite::new(write, LinesCodec::new());
        let mut from_server = tokio_util::codec::FramedRead::new(read, LinesCodec::new());
        for word in ["one loop", "per thread", "muduo"] {
            to_server.send(word).await.unwrap();
            let echoed = from_server.next().await.unwrap().unwrap();
            assert_eq!(echoed, word.to_uppercase());
        }
        drop(to_server); // the write half's drop half-closes: the server's stream ends
        server.await.unwrap();
        assert!(from_server.next().await.is_none());
    });
}

#[test]
fn futures_io_extension_traits() {
    mudu::block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        AsyncWriteExt::write_all(&mut client, b"through futures-io")
            .await
            .unwrap();
        AsyncWriteExt::close(&mut client).await.unwrap();
        let mut got = Vec::new();
        AsyncReadExt::read_to_end(&mut server, &mut got)
            .await
            .unwrap();
        assert_eq!(got, b"through futures-io");
    });
}
