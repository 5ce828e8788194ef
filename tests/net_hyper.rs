//! HTTP/1 with hyper on a mudu loop: hyper's server through hyper-util's
//! `TokioIo` over mudu's `TcpStream` (tokio's I/O traits, feature
//! `tokio-io`), answering a hyper client on the same loop and a plain std
//! client on another thread.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use mudu::net::{TcpListener, TcpStream};
use std::convert::Infallible;
use std::io::{Read, Write};

async fn hello(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_owned();
    let body = req.into_body().collect().await.unwrap().to_bytes();
    let text = format!("{path} got {} bytes", body.len());
    Ok(Response::new(Full::new(Bytes::from(text))))
}

/// Serves every connection the listener accepts, each in its own task.
async fn serve(listener: TcpListener) {
    loop {
        let (stream, _) = listener.accept().await.unwrap();
        mudu::spawn(async move {
            hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service_fn(hello))
                .await
                .unwrap();
        });
    }
}

#[test]
fn hyper_server_and_client_on_one_mudu_loop() {
    mudu::block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = mudu::spawn(serve(listener));

        let stream = TcpStream::connect(addr).await.unwrap();
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        let connection = mudu::spawn(conn);
        // Several requests on one kept-alive connection.
        for i in 0..5usize {
            let req = Request::post(format!("/hello/{i}"))
                .header("host", addr.to_string())
                .body(Full::new(Bytes::from(vec![b'x'; i * 1000])))
                .unwrap();
            let resp = sender.send_request(req).await.unwrap();
            assert_eq!(resp.status(), 200);
            let body = resp.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(body, format!("/hello/{i} got {} bytes", i * 1000));
        }
        drop(sender);
        connection.await.unwrap().unwrap();

        // A plain client on another thread, speaking HTTP/1.1 by hand.
        // tokio's oneshot needs no tokio runtime: the loop awaits it.
        let (reply_tx, reply_rx) = tokio::sync::oneshot::channel();
        let plain = std::thread::spawn(move || {
            let mut stream = std::net::TcpStream::connect(addr).unwrap();
            stream
                .write_all(b"GET /plain HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
                .unwrap();
            let mut reply = String::new();
            stream.read_to_string(&mut reply).unwrap();
            reply_tx.send(reply).unwrap();
        });
        let reply = reply_rx.await.unwrap();
        plain.join().unwrap();
        assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{reply}");
        assert!(reply.ends_with("/plain got 0 bytes"), "{reply}");
        server.abort();
    });
}
