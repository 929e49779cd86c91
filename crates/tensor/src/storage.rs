//! [`Storage`]: the reference-counted element buffer that a tensor and all
//! its views share, in a single heap allocation.
//!
//! One block holds a small header (reference count, version counter, a
//! reader/writer lock) followed by the elements, so creating a tensor costs
//! one allocation. Views (`transpose`, `narrow`, `expand`, ...) clone the
//! handle, which only bumps the count, and describe their elements with a
//! [`Layout`](crate::layout::Layout) over the same buffer.
//!
//! Writes through any view are visible through every other, as in PyTorch.
//! To keep that sound when handles live on several threads, every access
//! takes the storage's lock: kernels hold a shared lock while they read and
//! in-place operations an exclusive one while they write. The lock favours
//! readers (a reader never waits for a waiting writer), so nested reads of
//! one storage cannot deadlock; an operation that writes one storage while
//! reading another locks the two in address order.

use std::ptr::NonNull;
use std::sync::atomic::{fence, AtomicU32, AtomicU64, AtomicUsize, Ordering};

use crate::block_cache;
use crate::dtype::DType;
use crate::error::{Result, TensorError};

/// The lock state's writer bit; the other bits count readers.
const WRITER: u32 = 1 << 31;

#[repr(C)]
struct Header {
    refs: AtomicUsize,
    version: AtomicU64,
    lock: AtomicU32,
    bytes: usize,
}

/// Elements start this many bytes into the block: the header rounded up to
/// the block's alignment ([`block_cache::ALIGN`]), which suits every
/// element type.
const DATA_OFFSET: usize = 32;
const _: () = assert!(std::mem::size_of::<Header>() <= DATA_OFFSET);
const _: () = assert!(DATA_OFFSET.is_multiple_of(block_cache::ALIGN));

/// A shared, lockable buffer of elements (untyped: the tensor knows the dtype).
pub(crate) struct Storage {
    header: NonNull<Header>,
}

// SAFETY: the header is only accessed through atomics, and the elements only
// under the lock (shared for reads, exclusive for writes).
unsafe impl Send for Storage {}
unsafe impl Sync for Storage {}

impl Storage {
    /// A zero-filled buffer of `numel` elements of `dtype` (zero bits are
    /// `0`, `0.0` and `false` in every dtype). Small buffers are reused from
    /// this thread's recently freed ones ([`block_cache`]); large ones come
    /// zeroed from the operating system, with no separate fill pass.
    ///
    /// # Errors
    /// [`TensorError::Allocation`] (naming `op`) if the allocator refuses.
    #[inline]
    pub(crate) fn try_zeroed(op: &'static str, dtype: DType, numel: usize) -> Result<Storage> {
        Storage::try_alloc(op, dtype, numel, true)
    }

    /// A buffer of `numel` elements of `dtype` whose contents are
    /// unspecified (not even initialised): for kernels that initialise
    /// every element themselves, where zeroing a large output first would
    /// be a serial pass over memory ahead of the work.
    ///
    /// # Errors
    /// [`TensorError::Allocation`] (naming `op`) if the allocator refuses.
    pub(crate) fn try_uninit(op: &'static str, dtype: DType, numel: usize) -> Result<Storage> {
        Storage::try_alloc(op, dtype, numel, false)
    }

    #[inline]
    fn try_alloc(op: &'static str, dtype: DType, numel: usize, zeroed: bool) -> Result<Storage> {
        let error = || TensorError::Allocation { op, numel, dtype };
        let bytes = numel.checked_mul(dtype.size()).ok_or_else(error)?;
        if bytes > isize::MAX as usize - DATA_OFFSET {
            return Err(error());
        }
        // Small blocks come from this thread's cache of freed ones.
        let block = block_cache::alloc(DATA_OFFSET + bytes, zeroed);
        let header = NonNull::new(block.cast::<Header>()).ok_or_else(error)?;
        // SAFETY: the block is fresh, aligned for Header, and large enough.
        unsafe {
            header.as_ptr().write(Header {
                refs: AtomicUsize::new(1),
                version: AtomicU64::new(0),
                lock: AtomicU32::new(0),
                bytes,
            })
        };
        Ok(Storage { header })
    }

    #[inline]
    fn header(&self) -> &Header {
        // SAFETY: the header lives as long as any handle to the storage.
        unsafe { self.header.as_ref() }
    }

    /// The buffer's length in bytes.
    pub(crate) fn bytes(&self) -> usize {
        self.header().bytes
    }

    /// A pointer to the first element. Reading or writing through it needs
    /// the matching lock (or a storage no other handle can reach).
    #[inline]
    pub(crate) fn data_ptr(&self) -> *mut u8 {
        // SAFETY: DATA_OFFSET is inside the block.
        unsafe { self.header.as_ptr().cast::<u8>().add(DATA_OFFSET) }
    }

    /// Whether two handles share one buffer.
    #[inline]
    pub(crate) fn ptr_eq(&self, other: &Storage) -> bool {
        self.header == other.header
    }

    /// An address that identifies the buffer (for ordering locks).
    pub(crate) fn addr(&self) -> usize {
        self.header.as_ptr() as usize
    }

    /// Whether this is the only handle to the buffer.
    #[inline]
    pub(crate) fn is_unique(&self) -> bool {
        self.header().refs.load(Ordering::Acquire) == 1
    }

    /// The version counter, bumped by in-place writes that autograd tracks.
    #[inline]
    pub(crate) fn version(&self) -> u64 {
        self.header().version.load(Ordering::Acquire)
    }

    pub(crate) fn bump_version(&self) {
        self.header().version.fetch_add(1, Ordering::AcqRel);
    }

    /// Takes the lock for reading (shared with other readers).
    #[inline]
    pub(crate) fn read(&self) -> ReadGuard<'_> {
        let lock = &self.header().lock;
        let mut spins = 0u32;
        loop {
            let previous = lock.fetch_add(1, Ordering::Acquire);
            if previous & WRITER == 0 {
                return ReadGuard { storage: self };
            }
            lock.fetch_sub(1, Ordering::Relaxed);
            while lock.load(Ordering::Relaxed) & WRITER != 0 {
                backoff(&mut spins);
            }
        }
    }

    /// Takes the lock for writing (exclusive), waiting for readers on other
    /// threads to finish.
    pub(crate) fn write(&self) -> WriteGuard<'_> {
        let lock = &self.header().lock;
        let mut spins = 0u32;
        while lock
            .compare_exchange_weak(0, WRITER, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            backoff(&mut spins);
        }
        WriteGuard { storage: self }
    }
}

/// Spins briefly, then yields the thread: lock waits only happen when
/// threads really touch one buffer at the same time, and end quickly.
fn backoff(spins: &mut u32) {
    if *spins < 64 {
        std::hint::spin_loop();
        *spins += 1;
    } else {
        std::thread::yield_now();
    }
}

impl Clone for Storage {
    #[inline]
    fn clone(&self) -> Storage {
        let old = self.header().refs.fetch_add(1, Ordering::Relaxed);
        if old > isize::MAX as usize {
            std::process::abort();
        }
        Storage {
            header: self.header,
        }
    }
}

impl Drop for Storage {
    #[inline(always)]
    fn drop(&mut self) {
        if self.header().refs.fetch_sub(1, Ordering::Release) == 1 {
            self.free_block();
        }
    }
}

impl Storage {
    /// Gives the block back, after the last handle's count-down.
    #[inline(never)]
    fn free_block(&mut self) {
        fence(Ordering::Acquire);
        // SAFETY: this was the last handle; the block came from
        // `block_cache::alloc` with this size.
        unsafe {
            block_cache::free(
                self.header.as_ptr().cast::<u8>(),
                DATA_OFFSET + self.bytes(),
            )
        };
    }
}

/// A shared lock on a storage; released on drop.
pub(crate) struct ReadGuard<'a> {
    storage: &'a Storage,
}

impl Drop for ReadGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        self.storage.header().lock.fetch_sub(1, Ordering::Release);
    }
}

/// An exclusive lock on a storage; released on drop.
pub(crate) struct WriteGuard<'a> {
    storage: &'a Storage,
}

impl Drop for WriteGuard<'_> {
    fn drop(&mut self) {
        self.storage
            .header()
            .lock
            .fetch_sub(WRITER, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impossible_allocations_are_errors() {
        // 2^46 f32s (256 TiB) exceed the 47-bit user address space: refused
        // whatever the machine's memory and overcommit policy.
        let e = Storage::try_zeroed("zeros", DType::Float32, 1 << 46)
            .err()
            .unwrap();
        assert_eq!(
            e.to_string(),
            "zeros: cannot allocate 70368744177664 elements of float32 (256 TiB)"
        );
        assert!(Storage::try_zeroed("zeros", DType::Float64, usize::MAX).is_err());
        assert!(Storage::try_zeroed("zeros", DType::Bool, isize::MAX as usize).is_err());
    }

    #[test]
    fn clones_share_and_the_last_drop_frees() {
        let s = Storage::try_zeroed("t", DType::Int64, 3).unwrap();
        assert!(s.is_unique());
        let t = s.clone();
        assert!(s.ptr_eq(&t) && !s.is_unique());
        t.bump_version();
        assert_eq!(s.version(), 1);
        drop(t);
        assert!(s.is_unique());
        assert_eq!(s.bytes(), 24);
    }

    #[test]
    fn readers_share_and_writers_exclude() {
        let s = Storage::try_zeroed("t", DType::Float32, 1).unwrap();
        let (r1, r2) = (s.read(), s.read());
        drop((r1, r2));
        let w = s.write();
        drop(w);
        let _r = s.read();
    }
}
