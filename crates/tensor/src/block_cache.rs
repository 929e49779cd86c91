//! A per-thread cache of small storage blocks.
//!
//! Every operation on a small tensor allocates its result and soon frees
//! it, so small blocks are taken and given back at a high rate. glibc's
//! `calloc` skips its own per-thread cache and, with the matching `free`,
//! costs about 300 instructions, half of a whole `x * 1.0001` on a 3×2
//! tensor. Blocks of up to [`MAX_CACHED`] bytes are therefore rounded up to
//! a power of two and, when freed, kept in a free list of their size on the
//! freeing thread (at most [`PER_CLASS`] per size, so at most about 512 KiB
//! per thread), from which the next allocation of that size takes them.
//! Larger blocks go straight to the global allocator. PyTorch's equivalent
//! is c10's `CPUCachingAllocator`.
//!
//! A block taken from a list is cleared before use, so callers always get
//! zeroed memory, as from `calloc`. A thread's lists are freed when it
//! exits; a block freed while its thread is exiting goes back to the
//! global allocator.

use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::cell::RefCell;

/// The largest block (header included) that is cached.
const MAX_CACHED: usize = 4096;
/// The smallest size class: every block of at most this many bytes uses it.
const MIN_CLASS: usize = 64;
/// Size classes: 64, 128, ..., 4096 bytes.
const CLASSES: usize = (MAX_CACHED / MIN_CLASS).trailing_zeros() as usize + 1;
/// Free blocks kept per size class and thread.
const PER_CLASS: usize = 64;
/// The alignment of every block: the allocator's natural one, which suits
/// every element type.
pub(crate) const ALIGN: usize = 16;

/// The size class of a block of `bytes`, if it is cached.
#[inline]
fn class_of(bytes: usize) -> Option<usize> {
    (bytes <= MAX_CACHED)
        .then(|| (bytes.max(MIN_CLASS).next_power_of_two() / MIN_CLASS).trailing_zeros() as usize)
}

/// The allocation layout of a block of `bytes`: rounded up to its size
/// class when it is cached.
#[inline]
fn block_layout(bytes: usize) -> Option<Layout> {
    let size = match class_of(bytes) {
        Some(class) => MIN_CLASS << class,
        None => bytes,
    };
    Layout::from_size_align(size, ALIGN).ok()
}

/// One thread's free blocks, by size class.
struct FreeLists {
    blocks: [[*mut u8; PER_CLASS]; CLASSES],
    lens: [usize; CLASSES],
}

impl Drop for FreeLists {
    fn drop(&mut self) {
        for (class, &len) in self.lens.iter().enumerate() {
            let layout =
                Layout::from_size_align(MIN_CLASS << class, ALIGN).expect("a valid cached layout");
            for &block in &self.blocks[class][..len] {
                // SAFETY: every listed block was allocated with this layout
                // and is owned by the list alone.
                unsafe { dealloc(block, layout) };
            }
        }
    }
}

thread_local! {
    static FREE: RefCell<FreeLists> = const {
        RefCell::new(FreeLists {
            blocks: [[std::ptr::null_mut(); PER_CLASS]; CLASSES],
            lens: [0; CLASSES],
        })
    };
}

/// A block of at least `bytes` bytes (`bytes > 0`) aligned to [`ALIGN`],
/// zeroed if `zeroed` (else its contents are unspecified), or null if the
/// allocator refuses. Free it with [`free`] and the same `bytes`.
#[inline]
pub(crate) fn alloc(bytes: usize, zeroed: bool) -> *mut u8 {
    let Some(layout) = block_layout(bytes) else {
        return std::ptr::null_mut();
    };
    if let Some(class) = class_of(bytes) {
        let cached = FREE
            .try_with(|free| {
                let mut free = free.borrow_mut();
                let len = free.lens[class];
                (len > 0).then(|| {
                    free.lens[class] = len - 1;
                    free.blocks[class][len - 1]
                })
            })
            .ok()
            .flatten();
        if let Some(block) = cached {
            // SAFETY: the block has `layout.size() >= bytes` bytes (at
            // least MIN_CLASS), is aligned to ALIGN, and has no other owner.
            if zeroed {
                unsafe { clear(block, bytes) };
            }
            return block;
        }
    }
    // SAFETY: the layout has a non-zero size (`bytes > 0`).
    unsafe {
        match zeroed {
            true => alloc_zeroed(layout),
            false => std::alloc::alloc(layout),
        }
    }
}

/// Zeroes the first `bytes` of `block`. The two smallest classes (most
/// results of ops on small tensors) are cleared with fixed stores instead
/// of a `memset` call, which costs more than the clearing.
///
/// # Safety
/// `block` is aligned to [`ALIGN`], writable, and at least `bytes` long
/// rounded up to its size class.
#[inline]
unsafe fn clear(block: *mut u8, bytes: usize) {
    const _: () = assert!(MIN_CLASS == 64 && ALIGN >= std::mem::align_of::<[u128; 4]>());
    let line = block.cast::<[u128; 4]>();
    if bytes <= MIN_CLASS {
        // SAFETY: the block holds its class's 64 bytes, aligned for u128.
        unsafe { line.write([0; 4]) };
    } else if bytes <= 2 * MIN_CLASS {
        // SAFETY: the block holds its class's 128 bytes, aligned for u128.
        unsafe {
            line.write([0; 4]);
            line.add(1).write([0; 4]);
        }
    } else {
        // SAFETY: the block holds `bytes` bytes.
        unsafe { block.write_bytes(0, bytes) };
    }
}

/// Gives back a block from [`alloc`].
///
/// # Safety
/// `block` came from [`alloc`] with the same `bytes`, and nothing uses it
/// any more.
#[inline]
pub(crate) unsafe fn free(block: *mut u8, bytes: usize) {
    let layout = block_layout(bytes).expect("checked at allocation");
    if let Some(class) = class_of(bytes) {
        let kept = FREE
            .try_with(|free| {
                let mut free = free.borrow_mut();
                let len = free.lens[class];
                (len < PER_CLASS).then(|| {
                    free.blocks[class][len] = block;
                    free.lens[class] = len + 1;
                })
            })
            .ok()
            .flatten();
        if kept.is_some() {
            return;
        }
    }
    // SAFETY: allocated with this layout (see `alloc`), per the contract.
    unsafe { dealloc(block, layout) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_round_up_to_their_class() {
        assert_eq!(class_of(1), Some(0));
        assert_eq!(class_of(64), Some(0));
        assert_eq!(class_of(65), Some(1));
        assert_eq!(class_of(4096), Some(CLASSES - 1));
        assert_eq!(class_of(4097), None);
        assert_eq!(block_layout(100).unwrap().size(), 128);
        assert_eq!(block_layout(5000).unwrap().size(), 5000);
    }

    #[test]
    fn reused_blocks_come_back_zeroed() {
        // Blocks of the two smallest classes (cleared with fixed stores)
        // and a larger one (cleared with `write_bytes`).
        for (first, second) in [(64, 10), (128, 100), (200, 150)] {
            let block = alloc(first, true);
            // SAFETY: `first` bytes were asked for.
            unsafe { block.write_bytes(0xAB, first) };
            // SAFETY: from `alloc(first)`, no longer used.
            unsafe { free(block, first) };
            let again = alloc(second, true);
            assert_eq!(again, block, "the freed block of the same class is reused");
            // SAFETY: `second` bytes were asked for.
            let bytes = unsafe { std::slice::from_raw_parts(again, second) };
            assert!(bytes.iter().all(|&b| b == 0));
            // SAFETY: from `alloc(second)`, no longer used.
            unsafe { free(again, second) };
        }
    }

    #[test]
    fn a_full_list_returns_blocks_to_the_allocator() {
        let blocks: Vec<*mut u8> = (0..PER_CLASS + 10).map(|_| alloc(1000, true)).collect();
        for &block in &blocks {
            // SAFETY: from `alloc(1000)`, no longer used.
            unsafe { free(block, 1000) };
        }
        let kept = FREE.with(|free| free.borrow().lens[class_of(1000).unwrap()]);
        assert_eq!(kept, PER_CLASS);
    }
}
