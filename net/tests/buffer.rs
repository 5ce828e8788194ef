//! `Buffer` tests: compaction against growth, the vectored read with its
//! stack overflow area, integer round trips, and a model test that drives a
//! `Buffer` and a `VecDeque<u8>` with the same random operations.

use mudu_net::Buffer;
use std::collections::VecDeque;
use std::io::{self, IoSliceMut, Read, Write};

/// xorshift64*: a deterministic generator for the model test.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut out: Vec<u8> = (0..n / 8 + 1)
            .flat_map(|_| self.next().to_le_bytes())
            .collect();
        out.truncate(n);
        out
    }
}

fn assert_sizes(buf: &Buffer) {
    assert_eq!(
        buf.prependable_bytes() + buf.readable_bytes() + buf.writable_bytes(),
        buf.capacity()
    );
}

#[test]
fn new_buffer_has_cheap_prepend_and_initial_size() {
    let buf = Buffer::new();
    assert_eq!(buf.prependable_bytes(), 8);
    assert_eq!(buf.readable_bytes(), 0);
    assert_eq!(buf.writable_bytes(), 1024);
    assert!(buf.is_empty());
}

#[test]
fn compacts_when_free_space_at_both_ends_suffices() {
    let mut buf = Buffer::new();
    buf.append(&[1; 1000]);
    buf.retrieve(900);
    assert_eq!((buf.prependable_bytes(), buf.writable_bytes()), (908, 24));
    // 24 + 908 >= 500 + 8: slide, do not allocate.
    buf.append(&[2; 500]);
    assert_eq!(buf.capacity(), 1032);
    assert_eq!(buf.prependable_bytes(), 8);
    assert_eq!(buf.readable_bytes(), 600);
    assert_eq!(&buf.peek()[..100], &[1; 100][..]);
    assert_eq!(&buf.peek()[100..], &[2; 500][..]);
    assert_sizes(&buf);
}

#[test]
fn compaction_boundary_is_exact() {
    let mut buf = Buffer::new();
    buf.append(&[1; 1000]);
    buf.retrieve(100);
    // writable 24 + prependable 108 = 132 = 124 + 8: just enough to compact.
    buf.ensure_writable(124);
    assert_eq!(buf.capacity(), 1032);
    assert_eq!(buf.prependable_bytes(), 8);
    // One byte more would have grown instead.
    let mut buf = Buffer::new();
    buf.append(&[1; 1000]);
    buf.retrieve(100);
    buf.ensure_writable(125);
    assert_eq!(buf.capacity(), 1008 + 125);
    assert_eq!(buf.prependable_bytes(), 108);
}

#[test]
fn grows_to_writer_plus_request_when_compaction_is_not_enough() {
    let mut buf = Buffer::new();
    buf.append(&[1; 1000]);
    buf.retrieve(100);
    buf.append(&[2; 200]);
    // Grown, not compacted: the front gap stays where it was.
    assert_eq!(buf.capacity(), 1008 + 200);
    assert_eq!(buf.prependable_bytes(), 108);
    assert_eq!(buf.readable_bytes(), 1100);
    assert_eq!(buf.writable_bytes(), 0);
    assert_sizes(&buf);
}

/// Sizes past `usize`, past `isize`, and past what any allocator gives (a petabyte).
const TOO_LARGE: [usize; 3] = [usize::MAX - 8, usize::MAX / 2, 1 << 50];

/// Runs `f`, which must panic with the buffer's capacity message (a panic, where a plain `Vec`
/// would abort the process).
fn assert_capacity_panic(n: usize, f: impl FnOnce()) {
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    let message = caught.expect_err("no buffer holds that much");
    let message = message
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| message.downcast_ref::<String>().map(String::as_str))
        .unwrap_or_default();
    assert!(message.contains("capacity overflow"), "{n}: {message}");
}

#[test]
fn a_request_too_large_to_hold_panics_and_keeps_the_content() {
    for n in TOO_LARGE {
        let mut buf = Buffer::new();
        buf.append(b"0123456789ab");
        buf.retrieve(2);
        assert_capacity_panic(n, || buf.ensure_writable(n));
        assert_eq!(buf.peek(), b"23456789ab");
        assert_sizes(&buf);
        assert_capacity_panic(n, || buf.shrink(n));
        assert_eq!(buf.peek(), b"23456789ab");
        assert_sizes(&buf);
        assert_capacity_panic(n, || drop(Buffer::with_capacity(n)));
    }
}

#[test]
fn retrieving_everything_resets_the_indices() {
    let mut buf = Buffer::new();
    buf.append(b"abc");
    buf.retrieve(3);
    assert_eq!(buf.prependable_bytes(), 8);
    assert_eq!(buf.writable_bytes(), 1024);
}

#[test]
#[should_panic(expected = "retrieve(4)")]
fn retrieve_past_the_end_panics() {
    let mut buf = Buffer::new();
    buf.append(b"abc");
    buf.retrieve(4);
}

#[test]
#[should_panic(expected = "prepend of 9 bytes")]
fn prepend_past_the_front_panics() {
    Buffer::new().prepend(&[0; 9]);
}

#[test]
fn integers_round_trip_big_endian() {
    let mut buf = Buffer::new();
    buf.append_u8(0xab);
    buf.append_u16(0x0102);
    buf.append_u32(0x0304_0506);
    buf.append_u64(0x0708_090a_0b0c_0d0e);
    buf.append_i8(-2);
    buf.append_i16(-3);
    buf.append_i32(-4);
    buf.append_i64(-5);
    assert_eq!(&buf.peek()[..3], &[0xab, 0x01, 0x02]);
    assert_eq!(buf.peek_u8(), 0xab);
    assert_eq!(buf.read_u8(), 0xab);
    assert_eq!(buf.read_u16(), 0x0102);
    assert_eq!(buf.read_u32(), 0x0304_0506);
    assert_eq!(buf.read_u64(), 0x0708_090a_0b0c_0d0e);
    assert_eq!(buf.read_i8(), -2);
    assert_eq!(buf.read_i16(), -3);
    assert_eq!(buf.peek_i32(), -4);
    assert_eq!(buf.read_i32(), -4);
    assert_eq!(buf.read_i64(), -5);
    assert!(buf.is_empty());

    buf.append(b"x");
    buf.prepend_u64(1);
    assert_eq!(buf.prependable_bytes(), 0);
    assert_eq!(buf.read_u64(), 1);
    buf.prepend_u16(5);
    buf.prepend_i16(-1);
    buf.prepend_u32(6);
    assert_eq!(buf.prependable_bytes(), 0);
    assert_eq!(buf.read_u32(), 6);
    assert_eq!(buf.read_i16(), -1);
    assert_eq!(buf.read_u16(), 5);
    buf.prepend_u8(3);
    buf.prepend_i8(4);
    buf.prepend_i32(7);
    assert_eq!(buf.read_i32(), 7);
    assert_eq!(buf.read_i8(), 4);
    assert_eq!(buf.read_u8(), 3);
    buf.prepend_i64(8);
    assert_eq!(buf.peek_i64(), 8);
    assert_eq!(buf.read_i64(), 8);
    assert_eq!(buf.peek(), b"x");
}

#[test]
#[should_panic(expected = "peek_u32 needs 4 readable bytes")]
fn peeking_a_short_integer_panics() {
    let mut buf = Buffer::new();
    buf.append(&[1, 2, 3]);
    buf.peek_u32();
}

#[test]
fn finds_line_ends() {
    let mut buf = Buffer::new();
    assert_eq!(buf.find_crlf(), None);
    buf.append(b"a\nb\r\nc\r\n");
    assert_eq!(buf.find_eol(), Some(1));
    assert_eq!(buf.find_eol_from(2), Some(4));
    assert_eq!(buf.find_crlf(), Some(3));
    assert_eq!(buf.find_crlf_from(4), Some(6));
    assert_eq!(buf.find_crlf_from(8), None);
    assert_eq!(buf.find_crlf_from(100), None);
    assert_eq!(buf.find_eol_from(100), None);
    buf.retrieve(4);
    assert_eq!(buf.find_crlf(), Some(2));
}

#[test]
fn read_from_spills_into_the_stack_area_in_one_call() {
    let mut buf = Buffer::new();
    let data: Vec<u8> = (0..100_000u32).map(|i| i as u8).collect();
    let mut src: &[u8] = &data;
    // &[u8] fills every slice: 1024 in place plus 64 KiB through the stack.
    assert_eq!(buf.read_from(&mut src).unwrap(), 1024 + 65536);
    assert_eq!(buf.peek(), &data[..1024 + 65536]);
    assert_eq!(buf.read_from(&mut src).unwrap(), 100_000 - 1024 - 65536);
    assert_eq!(buf.peek(), &data[..]);
    assert_eq!(buf.read_from(&mut src).unwrap(), 0);
    assert_sizes(&buf);
}

#[test]
fn read_from_fitting_data_does_not_grow() {
    let mut buf = Buffer::new();
    let mut src: &[u8] = &[5; 1000];
    assert_eq!(buf.read_from(&mut src).unwrap(), 1000);
    assert_eq!(buf.capacity(), 1032);
}

/// A source that fails, to check the buffer is left alone.
struct Failing;

impl Read for Failing {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Err(io::ErrorKind::WouldBlock.into())
    }
}

#[test]
fn read_and_write_errors_leave_the_buffer_unchanged() {
    let mut buf = Buffer::new();
    buf.append(b"keep");
    let err = buf.read_from(&mut Failing).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
    assert_eq!(buf.peek(), b"keep");
    let mut full = Limited {
        taken: Vec::new(),
        limit: 0,
        fail: true,
    };
    assert!(buf.write_to(&mut full).is_err());
    assert_eq!(buf.peek(), b"keep");
}

/// A sink that takes at most `limit` bytes per write, or fails.
struct Limited {
    taken: Vec<u8>,
    limit: usize,
    fail: bool,
}

impl Write for Limited {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.fail {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = data.len().min(self.limit);
        self.taken.extend_from_slice(&data[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A source that hands out at most `limit` bytes per call and honours
/// vectored reads across slice boundaries.
struct Chunked {
    data: Vec<u8>,
    pos: usize,
    limit: usize,
}

impl Read for Chunked {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        self.read_vectored(&mut [IoSliceMut::new(out)])
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        let mut n = 0;
        for buf in bufs {
            let take = buf
                .len()
                .min(self.limit - n)
                .min(self.data.len() - self.pos);
            buf[..take].copy_from_slice(&self.data[self.pos..self.pos + take]);
            self.pos += take;
            n += take;
        }
        Ok(n)
    }
}

/// A source that reads into another `Buffer` from inside its own read.
struct Nested(Buffer);

impl Read for Nested {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let mut inner: &[u8] = &[3; 70_000];
        assert_eq!(self.0.read_from(&mut inner)?, 1024 + 65536);
        out[..2].copy_from_slice(b"ok");
        Ok(2)
    }
}

#[test]
fn read_from_inside_read_from_works() {
    let mut buf = Buffer::new();
    let mut src = Nested(Buffer::new());
    assert_eq!(buf.read_from(&mut src).unwrap(), 2);
    assert_eq!(buf.peek(), b"ok");
    assert_eq!(src.0.readable_bytes(), 1024 + 65536);
}

#[test]
fn io_traits_append_and_consume() {
    let mut buf = Buffer::new();
    write!(buf, "{}-{}", 1, 2).unwrap();
    buf.flush().unwrap();
    let mut out = [0u8; 2];
    assert_eq!(buf.read(&mut out).unwrap(), 2);
    assert_eq!(&out, b"1-");
    let mut rest = String::new();
    buf.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "2");
    assert_eq!(
        format!("{buf:?}"),
        "Buffer { prependable: 8, readable: 0, writable: 1024 }"
    );
}

#[test]
fn model_against_vecdeque() {
    for seed in 1..=10u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let mut buf = Buffer::with_capacity(rng.below(64));
        let mut model: VecDeque<u8> = VecDeque::new();
        for _ in 0..1000 {
            let op = if model.len() > 150_000 {
                3
            } else {
                rng.below(11)
            };
            match op {
                0 | 1 => {
                    let n = rng.below(3000);
                    let data = rng.bytes(n);
                    buf.append(&data);
                    model.extend(&data);
                }
                2 => {
                    let n = rng.below(buf.prependable_bytes() + 1);
                    let data = rng.bytes(n);
                    buf.prepend(&data);
                    for &b in data.iter().rev() {
                        model.push_front(b);
                    }
                }
                3 => {
                    let n = rng.below(model.len() + 1);
                    buf.retrieve(n);
                    model.drain(..n);
                }
                4 => {
                    let n = rng.below(model.len() + 1);
                    let got = buf.retrieve_as_vec(n);
                    let want: Vec<u8> = model.drain(..n).collect();
                    assert_eq!(got, want);
                }
                5 => {
                    let n = rng.below(80_000);
                    let data = rng.bytes(n);
                    let limit = rng.below(90_000) + 1;
                    let mut src = Chunked {
                        data: data.clone(),
                        pos: 0,
                        limit,
                    };
                    while src.pos < data.len() {
                        let n = buf.read_from(&mut src).unwrap();
                        assert!(n > 0);
                    }
                    model.extend(&data);
                }
                6 => {
                    let mut sink = Limited {
                        taken: Vec::new(),
                        limit: rng.below(5000),
                        fail: false,
                    };
                    let n = buf.write_to(&mut sink).unwrap();
                    let want: Vec<u8> = model.drain(..n).collect();
                    assert_eq!(sink.taken, want);
                }
                7 => {
                    let v = rng.next() as u32;
                    buf.append_u32(v);
                    model.extend(v.to_be_bytes());
                    if model.len() >= 4 {
                        let want = u32::from_be_bytes([model[0], model[1], model[2], model[3]]);
                        assert_eq!(buf.read_u32(), want);
                        model.drain(..4);
                    }
                }
                8 => {
                    let n = rng.below(5000);
                    buf.ensure_writable(n);
                    assert!(buf.writable_bytes() >= n);
                }
                9 => {
                    let reserve = rng.below(100);
                    buf.shrink(reserve);
                    assert_eq!(buf.writable_bytes(), reserve);
                    assert_eq!(buf.prependable_bytes(), Buffer::CHEAP_PREPEND);
                }
                _ => {
                    buf.retrieve_all();
                    model.clear();
                }
            }
            assert_sizes(&buf);
            assert_eq!(buf.readable_bytes(), model.len());
            let (front, back) = model.as_slices();
            assert_eq!(&buf.peek()[..front.len()], front);
            assert_eq!(&buf.peek()[front.len()..], back);
        }
    }
}

/// Resident memory of this process, in KiB.
fn resident_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn a_large_buffer_is_not_made_resident_before_it_is_written() {
    // Zeroed memory from the allocator is fresh pages the kernel maps only when they are touched, as
    // with `vec![0; n]`; writing the zeros ourselves would make all of it resident at once.
    const LARGE: usize = 512 << 20;
    let before = resident_kib();
    let mut buf = Buffer::with_capacity(LARGE);
    buf.append(b"abc");
    buf.shrink(LARGE);
    let grown = resident_kib().saturating_sub(before);
    assert!(
        grown < 64 << 10,
        "{grown} KiB resident for two 512 MiB buffers"
    );
    assert_eq!(buf.peek(), b"abc");
    assert_eq!(buf.writable_bytes(), LARGE);
}
