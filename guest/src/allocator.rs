//! One heap for Rust and C.
//!
//! Lua and wasi-libc allocate with `malloc`; Rust would otherwise bring its
//! own allocator and both would grow linear memory on their own, corrupting
//! each other. So Rust's global allocator forwards to wasi-libc's `malloc`.

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

unsafe extern "C" {
    fn malloc(size: usize) -> *mut c_void;
    fn aligned_alloc(align: usize, size: usize) -> *mut c_void;
    fn realloc(ptr: *mut c_void, size: usize) -> *mut c_void;
    fn free(ptr: *mut c_void);
}

/// `malloc` guarantees this alignment on wasm32.
const MALLOC_ALIGN: usize = 16;

struct LibcAllocator;

// SAFETY: `malloc` and `aligned_alloc` return null or a block of at least
// `size` bytes aligned as asked (`malloc` to `MALLOC_ALIGN`, enough for any
// smaller alignment); `realloc` keeps the contents; blocks are freed once.
unsafe impl GlobalAlloc for LibcAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: plain libc calls; the alignment is a power of two (a
        // `Layout`), as `aligned_alloc` needs.
        unsafe {
            if layout.align() <= MALLOC_ALIGN {
                malloc(layout.size()).cast()
            } else {
                aligned_alloc(layout.align(), layout.size()).cast()
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: `ptr` came from this allocator (the `GlobalAlloc`
        // contract), so from libc.
        unsafe { free(ptr.cast()) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` is a live block of `layout` from this allocator (the
        // `GlobalAlloc` contract); over-aligned blocks are moved by hand,
        // copying no more than both blocks hold, and the old one freed once.
        unsafe {
            if layout.align() <= MALLOC_ALIGN {
                realloc(ptr.cast(), new_size).cast()
            } else {
                let new = aligned_alloc(layout.align(), new_size).cast::<u8>();
                if !new.is_null() {
                    std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                    free(ptr.cast());
                }
                new
            }
        }
    }
}

#[global_allocator]
static ALLOCATOR: LibcAllocator = LibcAllocator;

/// Lua's allocator (`lua_Alloc`): `realloc`/`free`, returning NULL when the
/// host's memory cap refuses to grow linear memory, so that Lua raises its
/// own "not enough memory" error instead of the guest aborting.
pub unsafe extern "C" fn lua_alloc(
    _ud: *mut c_void,
    ptr: *mut c_void,
    _old_size: usize,
    new_size: usize,
) -> *mut c_void {
    // SAFETY: Lua passes null or a block it got from this function, which
    // comes from libc; `malloc`'s alignment suits every Lua object.
    unsafe {
        if new_size == 0 {
            free(ptr);
            std::ptr::null_mut()
        } else {
            realloc(ptr, new_size)
        }
    }
}
