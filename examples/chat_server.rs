//! Chat server: every line a client sends goes to every connected client.
//!
//! ```text
//! cargo run --example chat_server -- --addr 127.0.0.1:9981
//! nc 127.0.0.1 9981        # in two terminals: type in one, read in both
//! ```
//!
//! One loop serves the whole room, so the room is a plain `Rc<RefCell<..>>`. Each member has an outbox
//! (a [`Buffer`]) drained by its own writer task: a slow reader never blocks the others, muduo's
//! "send from the loop, buffer what the socket cannot take yet".

use mudu::net::{Buffer, OwnedWriteHalf, TcpListener, TcpStream};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Poll, Waker};

/// What one member has yet to receive, and the writer task waiting for it.
#[derive(Default)]
struct Outbox {
    pending: RefCell<Buffer>,
    writer: Cell<Option<Waker>>,
    closed: Cell<bool>,
}

impl Outbox {
    fn push(&self, line: &[u8]) {
        self.pending.borrow_mut().append(line);
        if let Some(w) = self.writer.take() {
            w.wake();
        }
    }

    fn close(&self) {
        self.closed.set(true);
        if let Some(w) = self.writer.take() {
            w.wake();
        }
    }
}

#[derive(Default)]
struct Room {
    members: RefCell<HashMap<u64, Rc<Outbox>>>,
    next_id: Cell<u64>,
}

fn main() {
    let addr = std::env::args().skip_while(|a| a != "--addr").nth(1);
    let addr = addr.unwrap_or_else(|| "127.0.0.1:9981".into());
    let served = mudu::block_on(async move {
        let listener = TcpListener::bind(addr.as_str()).await?;
        println!("chat server listening on {}", listener.local_addr()?);
        serve(listener).await
    });
    if let Err(e) = served {
        eprintln!("chat_server: {e}");
        std::process::exit(1);
    }
}

/// Accepts members forever.
pub async fn serve(listener: TcpListener) -> std::io::Result<()> {
    let room = Rc::new(Room::default());
    loop {
        match listener.accept().await {
            Ok((stream, _)) => drop(mudu::spawn(member(room.clone(), stream))),
            Err(e) => eprintln!("accept failed: {e}"),
        }
    }
}

async fn member(room: Rc<Room>, stream: TcpStream) {
    let id = room.next_id.replace(room.next_id.get() + 1);
    let outbox = Rc::new(Outbox::default());
    room.members.borrow_mut().insert(id, outbox.clone());
    let (mut reader, writer) = stream.into_split();
    let writing = mudu::spawn(write_out(writer, outbox.clone()));
    let mut inbound = Buffer::new();
    let mut chunk = [0u8; 4096];
    while let Ok(n @ 1..) = reader.read(&mut chunk).await {
        inbound.append(&chunk[..n]);
        while let Some(eol) = inbound.find_eol() {
            let line = inbound.retrieve_as_vec(eol + 1);
            for other in room.members.borrow().values() {
                other.push(&line);
            }
        }
    }
    room.members.borrow_mut().remove(&id);
    outbox.close();
    let _ = writing.await;
}

async fn write_out(mut writer: OwnedWriteHalf, outbox: Rc<Outbox>) {
    loop {
        let data = poll_fn(|cx| {
            let mut pending = outbox.pending.borrow_mut();
            if !pending.is_empty() {
                Poll::Ready(Some(pending.retrieve_all_as_vec()))
            } else if outbox.closed.get() {
                Poll::Ready(None)
            } else {
                outbox.writer.set(Some(cx.waker().clone()));
                Poll::Pending
            }
        })
        .await;
        match data {
            Some(data) if writer.write_all(&data).await.is_ok() => {}
            _ => return,
        }
    }
}
