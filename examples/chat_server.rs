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
//!
//! Memory stays bounded whatever the members do. A member that stops reading while the room talks
//! is cut off once its outbox holds [`MAX_BACKLOG`] bytes (muduo's high-water mark; with the batch
//! its writer is sending, a member queues at most about twice that, in buffers whose capacity may
//! round each up to the next power of two), and one that sends a line
//! longer than [`MAX_LINE`] is cut off too. A partial line is scanned for its end only in the bytes
//! that arrived since the last scan. After each chunk it reads, a member's task lets the others
//! run, so the writers drain what the chunk queued before a fast sender adds more.

use mudu::net::{Buffer, OwnedWriteHalf, TcpListener, TcpStream};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::rc::Rc;
use std::task::{Poll, Waker};

/// The most bytes a member's outbox holds before the member is cut off.
pub const MAX_BACKLOG: usize = 1 << 20;

/// The longest line a member may send, end of line included.
pub const MAX_LINE: usize = 64 << 10;

/// What one member has yet to receive, and the member's two tasks waiting on it.
#[derive(Default)]
struct Outbox {
    pending: RefCell<Buffer>,
    /// The writer task, waiting for lines (or for its write to finish).
    writer: Cell<Option<Waker>>,
    /// The reader task, waiting for the member's input.
    reader: Cell<Option<Waker>>,
    /// The member left: the writer sends what is pending, then ends.
    closed: Cell<bool>,
    /// The member is dropped: both tasks end at once, and what is pending is discarded.
    cut: Cell<bool>,
}

impl Outbox {
    fn push(&self, line: &[u8]) {
        if self.cut.get() {
            return;
        }
        let mut pending = self.pending.borrow_mut();
        if pending.readable_bytes() + line.len() > MAX_BACKLOG {
            drop(pending);
            return self.cut_off();
        }
        pending.append(line);
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

    fn cut_off(&self) {
        self.cut.set(true);
        self.pending.borrow_mut().retrieve_all();
        for slot in [&self.writer, &self.reader] {
            if let Some(w) = slot.take() {
                w.wake();
            }
        }
    }

    /// Runs `io` to its end, unless the member is cut off first (then `None`). `slot` is where the
    /// calling task leaves its waker.
    async fn unless_cut<F: Future>(&self, slot: &Cell<Option<Waker>>, io: F) -> Option<F::Output> {
        let mut io = pin!(io);
        poll_fn(|cx| {
            if self.cut.get() {
                return Poll::Ready(None);
            }
            slot.set(Some(cx.waker().clone()));
            io.as_mut().poll(cx).map(Some)
        })
        .await
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
    // How much of `inbound` is known to hold no end of line.
    let mut scanned = 0;
    let mut chunk = [0u8; 4096];
    while let Some(Ok(n @ 1..)) = outbox
        .unless_cut(&outbox.reader, reader.read(&mut chunk))
        .await
    {
        inbound.append(&chunk[..n]);
        while let Some(eol) = inbound.find_eol_from(scanned) {
            if eol >= MAX_LINE {
                outbox.cut_off();
                break;
            }
            let line = inbound.retrieve_as_vec(eol + 1);
            scanned = 0;
            for other in room.members.borrow().values() {
                other.push(&line);
            }
        }
        scanned = inbound.readable_bytes();
        if scanned >= MAX_LINE {
            outbox.cut_off();
        }
        mudu::task::yield_now().await;
    }
    room.members.borrow_mut().remove(&id);
    outbox.close();
    let _ = writing.await;
}

async fn write_out(mut writer: OwnedWriteHalf, outbox: Rc<Outbox>) {
    loop {
        let data = poll_fn(|cx| {
            let mut pending = outbox.pending.borrow_mut();
            if outbox.cut.get() {
                Poll::Ready(None)
            } else if !pending.is_empty() {
                Poll::Ready(Some(pending.retrieve_all_as_vec()))
            } else if outbox.closed.get() {
                Poll::Ready(None)
            } else {
                outbox.writer.set(Some(cx.waker().clone()));
                Poll::Pending
            }
        })
        .await;
        let Some(data) = data else { return };
        match outbox
            .unless_cut(&outbox.writer, writer.write_all(&data))
            .await
        {
            Some(Ok(())) => {}
            _ => return,
        }
    }
}
