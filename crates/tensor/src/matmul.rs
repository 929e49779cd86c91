//! Matrix products with `torch.matmul`'s semantics.
//!
//! The 2-D kernel is a cache-blocked SIMD sgemm chosen at run time for the
//! CPU (AVX-512, AVX2+FMA, ...): the `gemm` crate's by default (feature
//! `gemm`), else `matrixmultiply`'s. Both accept arbitrary strides, so
//! transposed operands are never copied. Products large enough to pay for it
//! run across the kernels' rayon pool (set `RAYON_NUM_THREADS` to limit it); small
//! ones run on the calling thread, and tiny ones use a plain loop that avoids
//! the kernels' packing overhead.

use rayon::prelude::*;

use crate::alloc::checked_numel;
use crate::arith::Num;
use crate::dtype::DType;
use crate::error::{Result, TensorError};
use crate::shape::broadcast_shapes;
use crate::tensor::{or_panic, Tensor};

/// Products with fewer multiply-adds than this use a plain triple loop.
const TINY_FLOPS: usize = 4 * 1024;
/// Products with fewer multiply-adds than this stay on the calling thread.
const PARALLEL_FLOPS: usize = 1 << 21;

/// A borrowed strided matrix: pointer to element (0, 0) plus row and column strides.
pub(crate) struct MatRef<T> {
    ptr: *const T,
    rows: usize,
    cols: usize,
    row_stride: isize,
    col_stride: isize,
}

/// An output pointer that may be shared across rayon workers because each
/// worker writes a disjoint block.
struct OutPtr<T>(*mut T);
// SAFETY: used only to hand disjoint output blocks to worker threads.
unsafe impl<T> Send for OutPtr<T> {}
unsafe impl<T> Sync for OutPtr<T> {}

impl<T> Clone for OutPtr<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for OutPtr<T> {}

impl<T> OutPtr<T> {
    /// Taking `self` makes closures capture the whole (Send) wrapper.
    fn get(self) -> *mut T {
        self.0
    }
}
// SAFETY: the pointed-to inputs are only read during the product while the
// owning tensors are borrowed.
unsafe impl<T> Send for MatRef<T> {}
unsafe impl<T> Sync for MatRef<T> {}

impl<T> Clone for MatRef<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for MatRef<T> {}

/// The element types of matrix products (float32, float64 with blocked
/// kernels; int64 with the plain loop, in wrapping arithmetic).
pub(crate) trait GemmElement: Num {
    /// `c = a · b` with `matrixmultiply`'s kernel for this type.
    ///
    /// # Safety
    /// As [`gemm_tiny`].
    #[cfg(not(feature = "gemm"))]
    unsafe fn blocked(a: MatRef<Self>, b: MatRef<Self>, c: *mut Self, ldc: usize, accumulate: bool);
}

/// The float types, with `matrixmultiply`'s kernel of each.
macro_rules! float_gemm {
    ($($T:ty => $kernel:ident),*) => {$(
        impl GemmElement for $T {
            #[cfg(not(feature = "gemm"))]
            unsafe fn blocked(a: MatRef<$T>, b: MatRef<$T>, c: *mut $T, ldc: usize, accumulate: bool) {
                let beta = if accumulate { 1.0 } else { 0.0 };
                matrixmultiply::$kernel(
                    a.rows, a.cols, b.cols, 1.0, a.ptr, a.row_stride, a.col_stride, b.ptr,
                    b.row_stride, b.col_stride, beta, c, ldc as isize, 1,
                )
            }
        }
    )*};
}
float_gemm!(f32 => sgemm, f64 => dgemm);

impl GemmElement for i64 {
    #[cfg(not(feature = "gemm"))]
    unsafe fn blocked(a: MatRef<i64>, b: MatRef<i64>, c: *mut i64, ldc: usize, accumulate: bool) {
        gemm_tiny(a, b, c, ldc, accumulate)
    }
}

impl<T> MatRef<T> {
    /// The matrix of `rows × cols` elements at `ptr` with these strides (in elements).
    pub(crate) fn new(
        ptr: *const T,
        rows: usize,
        cols: usize,
        row_stride: isize,
        col_stride: isize,
    ) -> MatRef<T> {
        MatRef {
            ptr,
            rows,
            cols,
            row_stride,
            col_stride,
        }
    }

    /// The transposed matrix (no copy).
    pub(crate) fn t(self) -> MatRef<T> {
        MatRef {
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
            ..self
        }
    }

    /// The element at row `i`, column `j`.
    ///
    /// # Safety
    /// The matrix is readable and (i, j) inside it.
    #[cfg(feature = "gemm")]
    #[inline(always)]
    unsafe fn at(self, i: usize, j: usize) -> T
    where
        T: Copy,
    {
        // SAFETY: as the contract.
        unsafe {
            *self
                .ptr
                .offset(i as isize * self.row_stride + j as isize * self.col_stride)
        }
    }

    /// Rows `start..start + len` of this matrix.
    fn rows(self, start: usize, len: usize) -> MatRef<T> {
        MatRef {
            // SAFETY: start < rows, so the offset stays inside the matrix.
            ptr: unsafe { self.ptr.offset(start as isize * self.row_stride) },
            rows: len,
            ..self
        }
    }

    /// Columns `start..start + len` of this matrix.
    fn cols(self, start: usize, len: usize) -> MatRef<T> {
        MatRef {
            // SAFETY: start < cols, so the offset stays inside the matrix.
            ptr: unsafe { self.ptr.offset(start as isize * self.col_stride) },
            cols: len,
            ..self
        }
    }
}

/// `c = a · b` for products too small for a blocked kernel: a plain loop.
///
/// # Safety
/// `a` and `b` must describe readable matrices, `c` a writable `a.rows × b.cols`
/// block with row stride `ldc` that nothing else accesses during the call.
unsafe fn gemm_tiny<T: GemmElement>(
    a: MatRef<T>,
    b: MatRef<T>,
    c: *mut T,
    ldc: usize,
    accumulate: bool,
) {
    for i in 0..a.rows {
        let c_row = c.add(i * ldc);
        if !accumulate {
            for j in 0..b.cols {
                *c_row.add(j) = T::zero();
            }
        }
        for p in 0..a.cols {
            let a_ip = *a
                .ptr
                .offset(i as isize * a.row_stride + p as isize * a.col_stride);
            let b_row = b.ptr.offset(p as isize * b.row_stride);
            for j in 0..b.cols {
                let c = c_row.add(j);
                *c = (*c).add(a_ip.mul(*b_row.offset(j as isize * b.col_stride)));
            }
        }
    }
}

/// `out = a · b` for a row-major `[out.len(), K]` matrix `a` and a vector
/// `b` of `K` elements, `K` fixed so each row's dot product is unrolled
/// (a linear regression's `X @ w`); sums in the general loop's order.
fn matvec_narrow<T: GemmElement, const K: usize>(a: &[T], b: &[T], out: &mut [T]) {
    let b: &[T; K] = b.try_into().expect("K elements");
    for (o, row) in out.iter_mut().zip(a.chunks_exact(K)) {
        let row: &[T; K] = row.try_into().expect("K elements");
        *o = (0..K).fold(T::zero(), |acc, p| acc.add(row[p].mul(b[p])));
    }
}

/// `c = a · b` with the `gemm` crate's kernel, using the current rayon pool (the kernels' pool) if `parallel`.
///
/// # Safety
/// As [`gemm_tiny`].
#[cfg(feature = "gemm")]
unsafe fn gemm_kernel<T: GemmElement>(
    a: MatRef<T>,
    b: MatRef<T>,
    c: *mut T,
    ldc: usize,
    parallel: bool,
    accumulate: bool,
) {
    // A transposed `b` (a linear layer's `x @ Wᵀ`): the crate reads this
    // layout in place, unpacked, at 97 GFLOP/s on one thread and 133-155
    // on two, against 108-112 and 200-212 for a row-major `b`, which it
    // packs. Across threads, one column block per thread, each run
    // serially, scales better than the crate's threading of this layout;
    // and with enough rows of `a` to amortise it, a row-major copy of
    // (each thread's block of) `b` costs less than it saves. The copy is
    // made COPY_BYTES of columns at a time, each block's product run
    // before the next is copied, so that a layer's forward does not hold a
    // second copy of its weight.
    if b.row_stride == 1 && b.col_stride != 1 {
        if parallel {
            let serial = |a, b, c| gemm_kernel(a, b, c, ldc, false, accumulate);
            return split_product(a, b, c, ldc, 1, serial);
        }
        if a.rows >= TRANSPOSE_ROWS {
            const COPY_BYTES: usize = 256 << 10;
            let column_bytes = b.rows.max(1) * std::mem::size_of::<T>();
            let width = (COPY_BYTES / column_bytes).max(16) / 16 * 16;
            for start in (0..b.cols).step_by(width) {
                let block = b.cols(start, width.min(b.cols - start));
                let copy = row_major_copy(block);
                let block = MatRef::new(
                    copy.as_ptr(),
                    block.rows,
                    block.cols,
                    block.cols as isize,
                    1,
                );
                gemm_kernel(a, block, c.add(start), ldc, false, accumulate);
            }
            return;
        }
    }
    let parallelism = if parallel {
        gemm::Parallelism::Rayon(rayon::current_num_threads())
    } else {
        gemm::Parallelism::None
    };
    // The kernel packs a `b` whose rows are not contiguous along k into a
    // buffer it allocates per call, about `min(k, 512) · n` elements (2 MiB
    // for the weight gradient of a 1024-wide layer, on top of the product's
    // own output). Products of column blocks pack one block at a time, so
    // that transient stays under PACK_BYTES (the blocks' outputs are
    // disjoint, and each still runs in parallel).
    const PACK_BYTES: usize = 256 << 10;
    let pack_bytes = a.cols.min(512) * b.cols * std::mem::size_of::<T>();
    let width = if b.row_stride != 1 && pack_bytes > PACK_BYTES {
        (PACK_BYTES / (a.cols.min(512) * std::mem::size_of::<T>())).max(64) / 64 * 64
    } else {
        b.cols
    };
    let mut start = 0;
    while start < b.cols {
        let cols = width.min(b.cols - start);
        let b = b.cols(start, cols);
        gemm::gemm(
            a.rows,
            cols,
            a.cols,
            c.add(start),
            1,
            ldc as isize,
            accumulate,
            a.ptr,
            a.col_stride,
            a.row_stride,
            b.ptr,
            b.col_stride,
            b.row_stride,
            T::from_f64(if accumulate { 1.0 } else { 0.0 }),
            T::from_f64(1.0),
            false,
            false,
            false,
            parallelism,
        );
        start += cols;
    }
}

/// Rows of `a` from which a column-major `b` is copied row-major before
/// the product (see [`gemm_kernel`]).
#[cfg(feature = "gemm")]
const TRANSPOSE_ROWS: usize = 128;

/// The elements of a column-major `m` (`row_stride == 1`) in row-major
/// order: 8×8 blocks transposed in registers (float32 with AVX), the
/// edges element by element.
///
/// # Safety
/// `m` must describe a readable matrix with `row_stride == 1`.
#[cfg(feature = "gemm")]
unsafe fn row_major_copy<T: GemmElement>(m: MatRef<T>) -> Vec<T> {
    const BLOCK: usize = 8;
    debug_assert_eq!(m.row_stride, 1);
    let (rows, cols) = (m.rows, m.cols);
    let mut copy: Vec<T> = Vec::with_capacity(rows * cols);
    let dst = copy.as_mut_ptr();
    let (full_rows, full_cols) = (rows / BLOCK * BLOCK, cols / BLOCK * BLOCK);
    for j0 in (0..full_cols).step_by(BLOCK) {
        for i0 in (0..full_rows).step_by(BLOCK) {
            // SAFETY: the block is inside both matrices.
            unsafe { transpose_block(m, dst, cols, i0, j0) };
        }
    }
    // The last rows (all columns) and the last columns (full rows).
    let edges = (full_rows..rows)
        .flat_map(|i| (0..cols).map(move |j| (i, j)))
        .chain((0..full_rows).flat_map(|i| (full_cols..cols).map(move |j| (i, j))));
    for (i, j) in edges {
        // SAFETY: (i, j) is inside both matrices.
        unsafe { dst.add(i * cols + j).write(m.at(i, j)) };
    }
    // SAFETY: every element was written above.
    unsafe { copy.set_len(rows * cols) };
    copy
}

/// Copies the 8×8 block at (`i0`, `j0`) of a column-major `m` into the
/// row-major `dst` of `cols` columns.
///
/// # Safety
/// The block is inside `m` and `dst`, and `m.row_stride == 1`.
#[cfg(feature = "gemm")]
#[inline(always)]
unsafe fn transpose_block<T: GemmElement>(
    m: MatRef<T>,
    dst: *mut T,
    cols: usize,
    i0: usize,
    j0: usize,
) {
    #[cfg(target_arch = "x86_64")]
    if T::DTYPE == DType::Float32 && std::arch::is_x86_feature_detected!("avx") {
        // SAFETY: `T` is f32 and the CPU has AVX; the block is in bounds.
        return unsafe {
            crate::transpose::transpose_8x8_avx(
                m.ptr
                    .cast::<f32>()
                    .offset(i0 as isize + j0 as isize * m.col_stride),
                m.col_stride,
                dst.cast::<f32>().add(i0 * cols + j0),
                cols,
            )
        };
    }
    for i in i0..i0 + 8 {
        for j in j0..j0 + 8 {
            // SAFETY: as the contract.
            unsafe { dst.add(i * cols + j).write(m.at(i, j)) };
        }
    }
}

/// `c = a · b` with `matrixmultiply`'s kernel; if `parallel`, split across
/// rayon workers by blocks of output rows (or columns, when the output is
/// wide and short), several blocks per thread to even out uneven cores.
///
/// # Safety
/// As [`gemm_tiny`].
#[cfg(not(feature = "gemm"))]
unsafe fn gemm_kernel<T: GemmElement>(
    a: MatRef<T>,
    b: MatRef<T>,
    c: *mut T,
    ldc: usize,
    parallel: bool,
    accumulate: bool,
) {
    let serial = |a: MatRef<T>, b: MatRef<T>, c: *mut T| T::blocked(a, b, c, ldc, accumulate);
    if !parallel {
        return serial(a, b, c);
    }
    // Several blocks per thread even out uneven cores.
    split_product(a, b, c, ldc, 2, serial)
}

/// Runs `serial` on disjoint blocks of `c = a · b` across the current rayon
/// pool, `per_thread` blocks per thread: blocks of output rows, or of
/// columns when the output is wide and short.
///
/// # Safety
/// As [`gemm_tiny`]; `serial` computes the product of the blocks it is given.
unsafe fn split_product<T: GemmElement>(
    a: MatRef<T>,
    b: MatRef<T>,
    c: *mut T,
    ldc: usize,
    per_thread: usize,
    serial: impl Fn(MatRef<T>, MatRef<T>, *mut T) + Sync,
) {
    let (m, n) = (a.rows, b.cols);
    let threads = rayon::current_num_threads();
    let split_rows = m >= n || m >= 64 * threads;
    let extent = if split_rows { m } else { n };
    let blocks = (per_thread * threads).min(extent.div_ceil(32)).max(1);
    let block = extent.div_ceil(blocks).next_multiple_of(16);
    let c = OutPtr(c);
    (0..extent.div_ceil(block)).into_par_iter().for_each(|i| {
        let start = i * block;
        let len = block.min(extent - start);
        if split_rows {
            serial(a.rows(start, len), b, c.get().add(start * ldc));
        } else {
            serial(a, b.cols(start, len), c.get().add(start));
        }
    });
}

/// `c = a · b` (or `c += a · b` if `accumulate`): a plain loop for tiny products, else the blocked kernel,
/// across the kernels' pool when the product is large enough and the caller is
/// not already a rayon worker (parallel sections never nest).
///
/// # Safety
/// As [`gemm_tiny`].
pub(crate) unsafe fn gemm<T: GemmElement>(
    a: MatRef<T>,
    b: MatRef<T>,
    c: *mut T,
    ldc: usize,
    accumulate: bool,
) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    if m == 0 || n == 0 {
        return;
    }
    let flops = m.saturating_mul(k).saturating_mul(n);
    if flops < TINY_FLOPS || T::DTYPE == DType::Int64 {
        return gemm_tiny(a, b, c, ldc, accumulate);
    }
    if flops >= PARALLEL_FLOPS
        && rayon::current_thread_index().is_none()
        && crate::pool::threads() > 1
    {
        /// The output pointer, handed to the kernels' pool (one product).
        struct Out<T>(*mut T);
        // SAFETY: the product below is the only writer of the block.
        unsafe impl<T> Send for Out<T> {}
        let out = Out(c);
        return crate::pool::install(move || {
            let out = out;
            let parallel = rayon::current_num_threads() > 1;
            // SAFETY: as this function's contract; the caller waits for install.
            unsafe { gemm_kernel(a, b, out.0, ldc, parallel, accumulate) }
        });
    }
    gemm_kernel(a, b, c, ldc, false, accumulate);
}

impl Tensor {
    /// Matrix product with `torch.matmul`'s semantics:
    /// 1-D·1-D is a dot product (0-d result); 2-D·1-D and 1-D·2-D are
    /// matrix-vector products (the 1-D operand is treated as a column / row and
    /// that dim is removed from the result); 2-D·2-D is the matrix product; and
    /// N-D operands are batches of matrices whose batch dims broadcast.
    /// PyTorch equivalent: `torch.matmul(a, b)` / `a @ b`.
    ///
    /// # Errors
    /// [`TensorError::MatmulShape`] if the inner dims differ;
    /// [`TensorError::Broadcast`] if the batch dims cannot be broadcast;
    /// [`TensorError::InvalidArgument`] for a 0-d operand.
    pub fn try_matmul(&self, other: &Tensor) -> Result<Tensor> {
        match (self.dtype, other.dtype) {
            (DType::Float32, DType::Float32) => self.matmul_as::<f32>(other),
            (DType::Float64, DType::Float64) => self.matmul_as::<f64>(other),
            (DType::Int64, DType::Int64) => self.matmul_as::<i64>(other),
            (DType::Float32 | DType::Float64, _) => {
                other.expect_dtype("matmul", self.dtype)?;
                unreachable!("dtypes differ")
            }
            _ => self
                .expect_dtype("matmul", DType::Float32)
                .map(|_| unreachable!()),
        }
    }

    fn matmul_as<T: GemmElement>(&self, other: &Tensor) -> Result<Tensor> {
        if let Some(out) = self.small_matmul::<T>(other) {
            return out;
        }
        let (ls, rs) = (self.shape(), other.shape());
        if ls.is_empty() || rs.is_empty() {
            return Err(TensorError::invalid(
                "matmul",
                format!("both arguments need at least 1 dimension, got {ls:?} and {rs:?}"),
            ));
        }
        // Promote 1-D operands to matrices; remember which dims to drop.
        let lhs = if ls.len() == 1 {
            self.unsqueeze(0)
        } else {
            self.alias()
        };
        let rhs = if rs.len() == 1 {
            other.unsqueeze(1)
        } else {
            other.alias()
        };
        let (l, r) = (lhs.shape(), rhs.shape());
        let (m, k) = (l[l.len() - 2], l[l.len() - 1]);
        let (k2, n) = (r[r.len() - 2], r[r.len() - 1]);
        if k != k2 {
            return Err(TensorError::MatmulShape {
                op: "matmul",
                lhs: ls.to_vec(),
                rhs: rs.to_vec(),
                lhs_k: k,
                rhs_k: k2,
            });
        }
        let batch = broadcast_shapes("matmul", &l[..l.len() - 2], &r[..r.len() - 2])?;
        let batch_count = checked_numel("matmul", &batch)?;
        let mut shape = batch.clone();
        if ls.len() > 1 {
            shape.push(m);
        }
        if rs.len() > 1 {
            shape.push(n);
        }
        // The output can be far larger than the inputs ([m, 0] @ [0, n]):
        // check its size and allocate it fallibly.
        // (The output's shape holds batch_count * m * n elements: a 1-D
        // operand contributes a size of 1.)
        let numel = checked_numel("matmul", &shape).map_err(|_| {
            TensorError::invalid(
                "matmul",
                format!("the product of {ls:?} and {rs:?} has shape {shape:?}, whose number of elements overflows"),
            )
        })?;
        if numel == 0 || k == 0 {
            // Nothing to compute (the output is empty or all sums are empty):
            // don't walk what may be a huge number of empty batch entries.
            return Tensor::try_zeros_of("matmul", T::DTYPE, &shape);
        }

        let batch_strides = |t: &Tensor| -> Vec<isize> {
            // Stride of each broadcast batch dim in `t` (0 where broadcast).
            let (shape, strides) = (t.shape(), t.stride());
            let nb = shape.len() - 2;
            let lead = batch.len() - nb;
            (0..batch.len())
                .map(|i| {
                    if i < lead || shape[i - lead] == 1 {
                        0
                    } else {
                        strides[i - lead] as isize
                    }
                })
                .collect()
        };
        let (lbs, rbs) = (batch_strides(&lhs), batch_strides(&rhs));
        let (lstr, rstr) = (lhs.stride(), rhs.stride());
        let (lread, rread) = (lhs.read::<T>(), rhs.read::<T>());
        let (lptr, rptr) = (lread.as_ptr(), rread.as_ptr());
        Tensor::try_build::<T>("matmul", &shape, |out| {
            let mut index = vec![0usize; batch.len()];
            for b in 0..batch_count {
                let offset = |strides: &[isize]| -> isize {
                    index
                        .iter()
                        .zip(strides)
                        .map(|(&i, &s)| i as isize * s)
                        .sum()
                };
                let a = MatRef {
                    // SAFETY: the offset addresses batch element `index` of `lhs`.
                    ptr: unsafe { lptr.offset(offset(&lbs)) },
                    rows: m,
                    cols: k,
                    row_stride: lstr[lstr.len() - 2] as isize,
                    col_stride: lstr[lstr.len() - 1] as isize,
                };
                let bm = MatRef {
                    // SAFETY: as above, for `rhs`.
                    ptr: unsafe { rptr.offset(offset(&rbs)) },
                    rows: k,
                    cols: n,
                    row_stride: rstr[rstr.len() - 2] as isize,
                    col_stride: rstr[rstr.len() - 1] as isize,
                };
                // SAFETY: `out` has room for batch_count blocks of m×n; block b is
                // written only here.
                unsafe { gemm(a, bm, out.as_mut_ptr().add(b * m * n), n, false) };
                // Advance the batch multi-index in row-major order.
                for d in (0..batch.len()).rev() {
                    index[d] += 1;
                    if index[d] < batch[d] {
                        break;
                    }
                    index[d] = 0;
                }
            }
        })
    }

    /// Tiny matrix-matrix and matrix-vector products, computed directly
    /// (contiguous or not): the general path's promotions and bookkeeping
    /// would cost more than the arithmetic. `None` when the fast path does not apply.
    fn small_matmul<T: GemmElement>(&self, other: &Tensor) -> Option<Result<Tensor>> {
        let (ls, rs) = (self.shape(), other.shape());
        if ls.len() != 2 || rs.is_empty() || rs.len() > 2 {
            return None;
        }
        let (m, k) = (ls[0], ls[1]);
        let n = if rs.len() == 2 { rs[1] } else { 1 };
        let flops = m.checked_mul(k)?.checked_mul(n)?;
        let out_numel = m.checked_mul(n)?;
        if rs[0] != k || flops >= TINY_FLOPS || out_numel >= TINY_FLOPS {
            return None;
        }
        let (ra, rb) = (self.read::<T>(), other.read::<T>());
        let shape: &[usize] = if rs.len() == 2 { &[m, n] } else { &[m] };
        let (Some(a), Some(b)) = (ra.slice(), rb.slice()) else {
            // A transposed or sliced operand (a backward's `xᵀ @ g`): read
            // through the strides, summing in the same order.
            let (sa, sb) = (self.stride(), other.stride());
            let (sb0, sb1) = (sb[0], if rs.len() == 2 { sb[1] } else { 0 });
            let (pa, pb) = (ra.as_ptr(), rb.as_ptr());
            return Some(Tensor::try_build::<T>("matmul", shape, |out| {
                for (i, row) in out.chunks_exact_mut(n.max(1)).enumerate() {
                    for (j, o) in row.iter_mut().enumerate() {
                        *o = (0..k).fold(T::zero(), |acc, p| {
                            // SAFETY: i < m, p < k and j < n index elements
                            // of the operands' layouts, which the readers
                            // keep readable.
                            let (x, y) = unsafe {
                                (*pa.add(i * sa[0] + p * sa[1]), *pb.add(p * sb0 + j * sb1))
                            };
                            acc.add(x.mul(y))
                        });
                    }
                }
            }));
        };
        if n == 1 && k > 0 {
            // Matrix-vector: one dot product per row.
            return Some(Tensor::try_build::<T>("matmul", shape, |out| match k {
                1 => matvec_narrow::<T, 1>(a, b, out),
                2 => matvec_narrow::<T, 2>(a, b, out),
                3 => matvec_narrow::<T, 3>(a, b, out),
                4 => matvec_narrow::<T, 4>(a, b, out),
                _ => {
                    for (o, row) in out.iter_mut().zip(a.chunks_exact(k)) {
                        *o = row
                            .iter()
                            .zip(b)
                            .fold(T::zero(), |acc, (&x, &y)| acc.add(x.mul(y)));
                    }
                }
            }));
        }
        Some(Tensor::try_build::<T>("matmul", shape, |out| {
            for (row, c) in a.chunks_exact(k.max(1)).zip(out.chunks_exact_mut(n.max(1))) {
                for (p, &x) in row.iter().enumerate() {
                    let b_row = &b[p * n..(p + 1) * n];
                    c.iter_mut()
                        .zip(b_row)
                        .for_each(|(c, &y)| *c = c.add(x.mul(y)));
                }
            }
        }))
    }

    /// Panicking form of [`try_matmul`](Tensor::try_matmul).
    ///
    /// # Panics
    /// If the shapes are incompatible.
    #[track_caller]
    pub fn matmul(&self, other: &Tensor) -> Tensor {
        or_panic(self.try_matmul(other))
    }
}
