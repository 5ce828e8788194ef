//! No descriptor leaks: 10,000 connect/accept/close cycles leave the
//! process's descriptor count where it was. Alone in its test binary, so no
//! other test opens descriptors meanwhile.

mod util;

use mudu::net::{TcpListener, TcpStream};
use std::time::Duration;

#[test]
fn ten_thousand_connect_close_cycles_leak_no_descriptor() {
    mudu::block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // Warm up: the first connection may allocate lazily.
        drop(TcpStream::connect(addr).await.unwrap());
        drop(listener.accept().await.unwrap());
        let before = util::open_fds();
        for i in 0..10_000u32 {
            let client = TcpStream::connect(addr).await.unwrap();
            let (server, _) = listener.accept().await.unwrap();
            // Alternate who closes first; resets on half of them keep
            // TIME_WAIT from piling up on the loopback ports.
            if i % 2 == 0 {
                client.set_linger(Some(Duration::ZERO)).unwrap();
                drop(client);
                drop(server);
            } else {
                drop(server);
                drop(client);
            }
        }
        assert_eq!(util::open_fds(), before);
    });
}
