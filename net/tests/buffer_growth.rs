//! `Buffer` grows its storage geometrically, as `Vec` does: appending byte
//! by byte costs amortised constant time, not a reallocation per append.

use mudu_net::Buffer;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The system allocator, counting reallocations.
struct CountingReallocs;

static REALLOCS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator, which upholds the contract.
unsafe impl GlobalAlloc for CountingReallocs {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc` is passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` through this allocator, with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        REALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: `ptr` came from `System` through this allocator, with `layout`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingReallocs = CountingReallocs;

#[test]
fn small_appends_grow_the_storage_geometrically() {
    let mut buf = Buffer::new();
    let before = REALLOCS.load(Ordering::Relaxed);
    for _ in 0..65_536 {
        buf.append(&[7u8; 16]);
    }
    let reallocs = REALLOCS.load(Ordering::Relaxed) - before;
    // 1 MiB from 1 KiB by doubling is 10 steps.
    assert!(reallocs < 64, "{reallocs} reallocations for 65,536 appends");
    assert_eq!(buf.readable_bytes(), 1 << 20);
}
