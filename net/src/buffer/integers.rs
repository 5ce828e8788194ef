//! Big-endian (network byte order) integer accessors of `Buffer`:
//! `append_*`, `prepend_*`, `peek_*` and `read_*` for `u8` to `u64` and
//! `i8` to `i64`. They follow `Buffer`'s rules: `peek_*` and `read_*` panic
//! when fewer bytes than the integer's size are readable, `prepend_*` when
//! the prependable area is too small.
//!
//! ```text
//! append_u32(0x0102_0304):  | ... readable ... | 01 02 03 04 | writable |
//! ```

use super::Buffer;

/// Generates the big-endian integer accessors for one integer type.
macro_rules! int_accessors {
    ($($ty:ident: $append:ident, $prepend:ident, $peek:ident, $read:ident;)*) => {
        impl Buffer {
            $(
                #[doc = concat!("Appends a `", stringify!($ty), "` in network byte order.")]
                pub fn $append(&mut self, value: $ty) {
                    self.append(&value.to_be_bytes());
                }

                #[doc = concat!("Prepends a `", stringify!($ty), "` in network byte order.")]
                ///
                /// # Panics
                /// If the prependable area is too small.
                pub fn $prepend(&mut self, value: $ty) {
                    self.prepend(&value.to_be_bytes());
                }

                #[doc = concat!("The `", stringify!($ty), "` at the front, big-endian, not consumed.")]
                ///
                /// # Panics
                /// If fewer bytes than the integer's size are readable.
                pub fn $peek(&self) -> $ty {
                    const N: usize = std::mem::size_of::<$ty>();
                    let bytes = self.peek().get(..N).unwrap_or_else(|| {
                        panic!("{} needs {} readable bytes", stringify!($peek), N)
                    });
                    let mut raw = [0u8; N];
                    raw.copy_from_slice(bytes);
                    $ty::from_be_bytes(raw)
                }

                #[doc = concat!("Consumes and returns the `", stringify!($ty), "` at the front.")]
                ///
                /// # Panics
                /// If fewer bytes than the integer's size are readable.
                pub fn $read(&mut self) -> $ty {
                    let value = self.$peek();
                    self.retrieve(std::mem::size_of::<$ty>());
                    value
                }
            )*
        }
    };
}

int_accessors! {
    u8: append_u8, prepend_u8, peek_u8, read_u8;
    u16: append_u16, prepend_u16, peek_u16, read_u16;
    u32: append_u32, prepend_u32, peek_u32, read_u32;
    u64: append_u64, prepend_u64, peek_u64, read_u64;
    i8: append_i8, prepend_i8, peek_i8, read_i8;
    i16: append_i16, prepend_i16, peek_i16, read_i16;
    i32: append_i32, prepend_i32, peek_i32, read_i32;
    i64: append_i64, prepend_i64, peek_i64, read_i64;
}
