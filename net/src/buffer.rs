//! `Buffer`: the application-level byte buffer of a connection, after muduo.
//!
//! With non-blocking sockets a connection needs a buffer on each side: the
//! kernel may take only part of a write, and a read may bring half a message.
//! `Buffer` is one contiguous `Vec<u8>` split by two indices into three areas:
//!
//! ```text
//! +-------------------+------------------+------------------+
//! | prependable bytes |  readable bytes  |  writable bytes  |
//! |                   |     (CONTENT)    |                  |
//! +-------------------+------------------+------------------+
//! |                   |                  |                  |
//! 0      <=      reader_index   <=   writer_index    <=    len
//! ```
//!
//! Rules:
//! - Readers consume from `reader_index` (`peek`, `retrieve*`, `read_*`);
//!   writers append at `writer_index` (`append*`, `read_from`); `prepend*`
//!   moves `reader_index` back into the prependable area. Retrieving
//!   everything puts both indices back at [`Buffer::CHEAP_PREPEND`], and so
//!   do compaction (below) and `shrink`, with the content moved along.
//! - The first [`Buffer::CHEAP_PREPEND`] (8) bytes are kept free so that a
//!   length header can be written in front of a message after its body was
//!   serialised (`prepend*`), without moving the body.
//! - Space is made as muduo's `makeSpace` does: if the free bytes at both ends
//!   (writable plus prependable beyond the cheap prepend area) can hold the
//!   request, the readable bytes slide to the front and nothing is allocated;
//!   otherwise the vector grows to exactly `writer_index + n` (capacity grows
//!   amortised, as `Vec` does).
//! - Integers are read and written big-endian (network byte order).
//! - A `Buffer` is a plain value: one owner, no interior mutability, no
//!   locking; it is `Send` and moves with its connection.

use std::cell::RefCell;
use std::fmt;
use std::io::{self, IoSliceMut, Read, Write};

mod integers;

/// Size of the stack area `read_from` reads into when the buffer's own
/// writable tail is too short (muduo's `extrabuf`).
const EXTRA_READ: usize = 64 * 1024;

thread_local! {
    /// The overflow area of `read_from`, zeroed once per thread, reused after.
    static EXTRA: RefCell<Box<[u8]>> = RefCell::new(vec![0; EXTRA_READ].into_boxed_slice());
}

/// Sizes from which [`zeroed`] asks the allocator whether it can give them before it allocates.
const PROBED: usize = 1 << 20;

/// `len` zero bytes. Panics where `vec![0; len]` would abort the process: when the allocator refuses a
/// size, as it does one taken from a peer that is far too large. Large sizes are probed with a
/// fallible reservation first (mapped, never touched), then allocated zeroed, which leaves the pages
/// untouched until they are written; writing the zeros ourselves would make them all resident at
/// once. Below [`PROBED`] a refusal means the process is out of memory, where Rust aborts anyway.
fn zeroed(len: usize) -> Vec<u8> {
    if len >= PROBED {
        Vec::<u8>::new()
            .try_reserve_exact(len)
            .expect("Buffer capacity overflow");
    }
    vec![0; len]
}

/// A growable byte buffer with a cheap prepend area; see the module docs.
///
/// ```
/// use mudu_net::Buffer;
///
/// let mut buf = Buffer::new();
/// buf.append(b"hello");
/// buf.prepend_u32(5); // length header in front of the body
/// assert_eq!(buf.read_u32(), 5);
/// assert_eq!(buf.retrieve_all_as_vec(), b"hello");
/// ```
#[derive(Clone)]
pub struct Buffer {
    buf: Vec<u8>,
    reader: usize,
    writer: usize,
}

impl Buffer {
    /// Bytes kept free in front of the content for `prepend`.
    pub const CHEAP_PREPEND: usize = 8;
    /// Writable bytes of a new buffer.
    pub const INITIAL_SIZE: usize = 1024;

    /// An empty buffer with [`Buffer::INITIAL_SIZE`] writable bytes.
    ///
    /// ```
    /// let buf = mudu_net::Buffer::new();
    /// assert_eq!(buf.writable_bytes(), 1024);
    /// assert_eq!(buf.prependable_bytes(), 8);
    /// ```
    pub fn new() -> Self {
        Self::with_capacity(Self::INITIAL_SIZE)
    }

    /// An empty buffer with `initial` writable bytes.
    ///
    /// ```
    /// let buf = mudu_net::Buffer::with_capacity(16);
    /// assert_eq!(buf.writable_bytes(), 16);
    /// ```
    ///
    /// # Panics
    /// When `initial` plus the cheap prepend area overflows `usize`, or is
    /// more than the allocator can give (a panic, not the abort of a plain
    /// `Vec`).
    pub fn with_capacity(initial: usize) -> Self {
        let len = initial
            .checked_add(Self::CHEAP_PREPEND)
            .expect("Buffer capacity overflow");
        Buffer {
            buf: zeroed(len),
            reader: Self::CHEAP_PREPEND,
            writer: Self::CHEAP_PREPEND,
        }
    }

    /// Bytes ready to be consumed.
    pub fn readable_bytes(&self) -> usize {
        self.writer - self.reader
    }

    /// Bytes that can be appended without making space.
    pub fn writable_bytes(&self) -> usize {
        self.buf.len() - self.writer
    }

    /// Bytes in front of the content (at least 8 unless a prepend used them).
    pub fn prependable_bytes(&self) -> usize {
        self.reader
    }

    /// Total size of the three areas.
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// Whether there is nothing to read.
    pub fn is_empty(&self) -> bool {
        self.reader == self.writer
    }

    /// The readable bytes, without consuming them.
    ///
    /// ```
    /// let mut buf = mudu_net::Buffer::new();
    /// buf.append(b"abc");
    /// assert_eq!(buf.peek(), b"abc");
    /// assert_eq!(buf.readable_bytes(), 3);
    /// ```
    pub fn peek(&self) -> &[u8] {
        &self.buf[self.reader..self.writer]
    }

    /// Consumes `n` readable bytes.
    ///
    /// # Panics
    /// If `n` exceeds [`readable_bytes`](Self::readable_bytes).
    ///
    /// ```
    /// let mut buf = mudu_net::Buffer::new();
    /// buf.append(b"abcdef");
    /// buf.retrieve(2);
    /// assert_eq!(buf.peek(), b"cdef");
    /// ```
    pub fn retrieve(&mut self, n: usize) {
        assert!(
            n <= self.readable_bytes(),
            "retrieve({n}) with only {} readable bytes",
            self.readable_bytes()
        );
        if n < self.readable_bytes() {
            self.reader += n;
        } else {
            self.retrieve_all();
        }
    }

    /// Consumes everything and resets both indices to the cheap prepend mark.
    pub fn retrieve_all(&mut self) {
        self.reader = Self::CHEAP_PREPEND;
        self.writer = Self::CHEAP_PREPEND;
    }

    /// Consumes `n` readable bytes and returns them.
    ///
    /// # Panics
    /// If `n` exceeds [`readable_bytes`](Self::readable_bytes).
    ///
    /// ```
    /// let mut buf = mudu_net::Buffer::new();
    /// buf.append(b"GET /");
    /// assert_eq!(buf.retrieve_as_vec(3), b"GET");
    /// ```
    pub fn retrieve_as_vec(&mut self, n: usize) -> Vec<u8> {
        assert!(n <= self.readable_bytes(), "retrieve_as_vec past the end");
        let out = self.buf[self.reader..self.reader + n].to_vec();
        self.retrieve(n);
        out
    }

    /// Consumes all readable bytes and returns them.
    pub fn retrieve_all_as_vec(&mut self) -> Vec<u8> {
        self.retrieve_as_vec(self.readable_bytes())
    }

    /// Consumes `n` readable bytes as UTF-8 text; on invalid UTF-8 the bytes
    /// are still consumed and come back inside the error.
    ///
    /// # Panics
    /// If `n` exceeds [`readable_bytes`](Self::readable_bytes).
    ///
    /// ```
    /// let mut buf = mudu_net::Buffer::new();
    /// buf.append(b"hi\r\n");
    /// assert_eq!(buf.retrieve_as_string(2).unwrap(), "hi");
    /// ```
    pub fn retrieve_as_string(&mut self, n: usize) -> Result<String, std::string::FromUtf8Error> {
        String::from_utf8(self.retrieve_as_vec(n))
    }

    /// Appends `data` after the readable bytes, making space first.
    pub fn append(&mut self, data: &[u8]) {
        self.ensure_writable(data.len());
        self.buf[self.writer..self.writer + data.len()].copy_from_slice(data);
        self.writer += data.len();
    }

    /// Writes `data` just in front of the readable bytes.
    ///
    /// # Panics
    /// If `data` is longer than [`prependable_bytes`](Self::prependable_bytes).
    ///
    /// ```
    /// let mut buf = mudu_net::Buffer::new();
    /// buf.append(b"body");
    /// buf.prepend(b"hdr:");
    /// assert_eq!(buf.peek(), b"hdr:body");
    /// ```
    pub fn prepend(&mut self, data: &[u8]) {
        assert!(
            data.len() <= self.reader,
            "prepend of {} bytes with only {} prependable",
            data.len(),
            self.reader
        );
        self.reader -= data.len();
        self.buf[self.reader..self.reader + data.len()].copy_from_slice(data);
    }

    /// Makes sure at least `n` bytes are writable: compacts when the free
    /// space at both ends suffices, grows otherwise (muduo's `makeSpace`).
    ///
    /// ```
    /// let mut buf = mudu_net::Buffer::new();
    /// buf.append(&[1; 1000]);
    /// buf.retrieve(900);
    /// buf.ensure_writable(500); // 24 writable + 892 spare in front: compact
    /// assert_eq!(buf.capacity(), 8 + 1024);
    /// assert_eq!(buf.prependable_bytes(), 8);
    /// ```
    ///
    /// # Panics
    /// When the buffer would hold more than `usize::MAX` bytes, or more than
    /// the allocator can give, which a length taken from a peer can ask for:
    /// check such lengths against a limit first. The content is untouched
    /// when it panics. (A plain `Vec` aborts the process when the allocator
    /// refuses; this panics instead.)
    pub fn ensure_writable(&mut self, n: usize) {
        if self.writable_bytes() >= n {
            return;
        }
        if self.writable_bytes() + self.prependable_bytes() < n.saturating_add(Self::CHEAP_PREPEND)
        {
            let len = self
                .writer
                .checked_add(n)
                .expect("Buffer capacity overflow");
            // Reserved first (amortised, as `resize` would): `resize` would abort the process when
            // the allocator refuses.
            self.buf
                .try_reserve(len - self.buf.len())
                .expect("Buffer capacity overflow");
            self.buf.resize(len, 0);
        } else {
            let readable = self.readable_bytes();
            self.buf
                .copy_within(self.reader..self.writer, Self::CHEAP_PREPEND);
            self.reader = Self::CHEAP_PREPEND;
            self.writer = Self::CHEAP_PREPEND + readable;
        }
    }

    /// The writable tail, to fill in place before [`has_written`](Self::has_written).
    pub fn writable_mut(&mut self) -> &mut [u8] {
        &mut self.buf[self.writer..]
    }

    /// Marks `n` bytes of [`writable_mut`](Self::writable_mut) as content.
    ///
    /// # Panics
    /// If `n` exceeds [`writable_bytes`](Self::writable_bytes).
    ///
    /// ```
    /// let mut buf = mudu_net::Buffer::new();
    /// buf.writable_mut()[..2].copy_from_slice(b"ok");
    /// buf.has_written(2);
    /// assert_eq!(buf.peek(), b"ok");
    /// ```
    pub fn has_written(&mut self, n: usize) {
        assert!(n <= self.writable_bytes(), "has_written past the end");
        self.writer += n;
    }

    /// Position of the first `"\r\n"` in the readable bytes.
    ///
    /// ```
    /// let mut buf = mudu_net::Buffer::new();
    /// buf.append(b"GET / HTTP/1.1\r\nHost: x\r\n");
    /// let line_end = buf.find_crlf().unwrap();
    /// assert_eq!(&buf.peek()[..line_end], b"GET / HTTP/1.1");
    /// buf.retrieve(line_end + 2);
    /// ```
    pub fn find_crlf(&self) -> Option<usize> {
        self.find_crlf_from(0)
    }

    /// Position of the first `"\r\n"` at or after `start` in the readable bytes.
    pub fn find_crlf_from(&self, start: usize) -> Option<usize> {
        let hay = self.peek().get(start..)?;
        hay.windows(2).position(|w| w == b"\r\n").map(|p| p + start)
    }

    /// Position of the first `b'\n'` in the readable bytes.
    ///
    /// ```
    /// let mut buf = mudu_net::Buffer::new();
    /// buf.append(b"one\ntwo");
    /// assert_eq!(buf.find_eol(), Some(3));
    /// ```
    pub fn find_eol(&self) -> Option<usize> {
        self.find_eol_from(0)
    }

    /// Position of the first `b'\n'` at or after `start` in the readable bytes.
    pub fn find_eol_from(&self, start: usize) -> Option<usize> {
        let hay = self.peek().get(start..)?;
        hay.iter().position(|&b| b == b'\n').map(|p| p + start)
    }

    /// Releases memory: copies the readable bytes into a fresh allocation
    /// sized for them plus `reserve` writable bytes behind the cheap prepend
    /// area, and frees the old one (muduo's `shrink`).
    ///
    /// ```
    /// let mut buf = mudu_net::Buffer::new();
    /// buf.append(&[7; 10_000]);
    /// buf.retrieve(9_990);
    /// buf.shrink(0);
    /// assert_eq!(buf.capacity(), 8 + 10);
    /// assert_eq!(buf.peek(), &[7; 10]);
    /// ```
    ///
    /// # Panics
    /// When the new size overflows `usize` or is more than the allocator can
    /// give (a panic, not the abort of a plain `Vec`), before anything
    /// changes.
    pub fn shrink(&mut self, reserve: usize) {
        let readable = self.readable_bytes();
        let len = (Self::CHEAP_PREPEND + readable)
            .checked_add(reserve)
            .expect("Buffer capacity overflow");
        let mut fresh = zeroed(len);
        fresh[Self::CHEAP_PREPEND..Self::CHEAP_PREPEND + readable].copy_from_slice(self.peek());
        self.buf = fresh;
        self.reader = Self::CHEAP_PREPEND;
        self.writer = Self::CHEAP_PREPEND + readable;
    }

    /// Reads once from `src`, muduo's `readFd`: one vectored read into the
    /// writable tail and a 64 KiB overflow area, whose part is then appended.
    /// A small buffer thus takes a large burst in one call, and memory grows
    /// only with what actually arrived. The overflow area is a per-thread
    /// scratch array rather than muduo's stack array: safe Rust would zero a
    /// fresh stack array on every call, which costs as much as the read. Returns the bytes read (0 at end of
    /// stream); errors, `WouldBlock` and `Interrupted` included, are returned
    /// as they are and leave the buffer unchanged.
    ///
    /// ```
    /// let mut buf = mudu_net::Buffer::with_capacity(4);
    /// let mut src: &[u8] = &[9; 10_000];
    /// assert_eq!(buf.read_from(&mut src).unwrap(), 10_000);
    /// assert_eq!(buf.readable_bytes(), 10_000);
    /// ```
    pub fn read_from<R: Read + ?Sized>(&mut self, src: &mut R) -> io::Result<usize> {
        EXTRA.with(|cell| match cell.try_borrow_mut() {
            Ok(mut extra) => self.read_with(src, &mut extra[..]),
            // Only when `src` itself reads into another `Buffer` on this thread.
            Err(_) => self.read_with(src, &mut [0u8; EXTRA_READ]),
        })
    }

    /// `read_from` with a given overflow area.
    fn read_with<R: Read + ?Sized>(&mut self, src: &mut R, extra: &mut [u8]) -> io::Result<usize> {
        let writable = self.writable_bytes();
        let n = {
            let mut slices = [
                IoSliceMut::new(&mut self.buf[self.writer..]),
                IoSliceMut::new(extra),
            ];
            src.read_vectored(&mut slices)?
        };
        if n <= writable {
            self.writer += n;
        } else {
            self.writer = self.buf.len();
            self.append(&extra[..n - writable]);
        }
        Ok(n)
    }

    /// Writes the readable bytes once to `dst` and consumes what it took.
    /// Returns that count; with nothing readable it returns `Ok(0)` without
    /// calling `dst` (so `Ok(0)` from a non-empty buffer means `dst` took
    /// nothing). Errors leave the buffer unchanged.
    ///
    /// ```
    /// let mut buf = mudu_net::Buffer::new();
    /// buf.append(b"reply");
    /// let mut out = Vec::new();
    /// assert_eq!(buf.write_to(&mut out).unwrap(), 5);
    /// assert!(buf.is_empty());
    /// assert_eq!(out, b"reply");
    /// ```
    pub fn write_to<W: Write + ?Sized>(&mut self, dst: &mut W) -> io::Result<usize> {
        if self.is_empty() {
            return Ok(0);
        }
        let n = dst.write(self.peek())?;
        self.retrieve(n.min(self.readable_bytes()));
        Ok(n)
    }
}

impl Default for Buffer {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Buffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Buffer")
            .field("prependable", &self.prependable_bytes())
            .field("readable", &self.readable_bytes())
            .field("writable", &self.writable_bytes())
            .finish()
    }
}

/// Appending through `io::Write` (so `write!` works); never fails.
impl Write for Buffer {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.append(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Consuming through `io::Read`; an empty buffer reads as end of stream.
impl Read for Buffer {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = out.len().min(self.readable_bytes());
        out[..n].copy_from_slice(&self.peek()[..n]);
        self.retrieve(n);
        Ok(n)
    }
}
