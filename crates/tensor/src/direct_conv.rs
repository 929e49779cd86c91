//! Direct convolution for small kernels over few channels (LeNet's
//! layers): no column matrix is built. Each output position's patch is read
//! in place from a zero-padded copy of the image, and a block of output
//! channels (one SIMD register's worth) accumulates over the patch, four
//! positions at a time. The loops are compiled for AVX-512 and AVX2+FMA as
//! well as the baseline, and the best the CPU supports runs.

use std::mem::MaybeUninit;

use crate::arith::Float;

/// Output channels per block: accumulators of this many lanes.
const BLOCK: usize = 16;
/// Output positions computed together (they share each weight load).
const POSITIONS: usize = 4;

/// Defines `$name` to run `$generic::<T, FMA>` compiled for AVX-512 or
/// AVX2+FMA when the CPU has them (checked at run time), else for the
/// baseline without fused multiply-adds.
macro_rules! simd_versions {
    ($(#[$doc:meta])* $vis:vis fn $name:ident<$T:ident>($($arg:ident: $ty:ty),*) => $generic:ident) => {
        $(#[$doc])*
        $vis fn $name<$T: Float>($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,fma")]
                unsafe fn avx512<$T: Float>($($arg: $ty),*) {
                    $generic::<$T, true>($($arg),*)
                }
                #[target_feature(enable = "avx2,fma")]
                unsafe fn avx2<$T: Float>($($arg: $ty),*) {
                    $generic::<$T, true>($($arg),*)
                }
                if std::arch::is_x86_feature_detected!("avx512f") {
                    // SAFETY: the CPU supports AVX-512F (and so FMA).
                    return unsafe { avx512($($arg),*) };
                }
                if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
                    // SAFETY: the CPU supports AVX2 and FMA.
                    return unsafe { avx2($($arg),*) };
                }
            }
            $generic::<$T, false>($($arg),*)
        }
    };
}

/// One image group's convolution: sizes, stride, dilation and padding.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Shape {
    pub channels: usize,
    pub outputs: usize,
    pub input: [usize; 2],
    pub kernel: [usize; 2],
    pub output: [usize; 2],
    pub stride: [usize; 2],
    pub dilation: [usize; 2],
    pub padding: [usize; 2],
}

impl Shape {
    /// The zero-padded image's size: large enough for every tap of every output.
    fn padded(&self) -> [usize; 2] {
        [0, 1].map(|i| {
            let reach = (self.output[i].max(1) - 1) * self.stride[i]
                + (self.kernel[i] - 1) * self.dilation[i]
                + 1;
            reach.max(self.padding[i] + self.input[i])
        })
    }
}

/// The weights `[O, C, kh, kw]` as `[⌈O/16⌉ blocks][C·kh·kw taps][16]`,
/// zeros past the last output channel.
pub(crate) fn pack_weights<T: Float>(weight: &[T], outputs: usize, taps: usize) -> Vec<T> {
    let blocks = outputs.div_ceil(BLOCK);
    let mut packed = vec![T::zero(); blocks * taps * BLOCK];
    for o in 0..outputs {
        for t in 0..taps {
            packed[((o / BLOCK) * taps + t) * BLOCK + o % BLOCK] = weight[o * taps + t];
        }
    }
    packed
}

/// `out` `[O, oh, ow]` = the convolution of `image` `[C, h, w]` by the
/// packed weights, plus `bias`, reading where `taps` says; `scratch`
/// holds the padded image when it needs a border. Every element of `out`
/// is written (it may start uninitialised).
pub(crate) fn convolve<T: Float>(
    shape: &Shape,
    taps: &Taps,
    image: &[T],
    packed: &[T],
    bias: Option<&[T]>,
    out: &mut [MaybeUninit<T>],
    scratch: &mut Vec<T>,
) {
    let padded = padded_image(shape, image, scratch);
    let (offsets, bases) = (&taps.offsets, &taps.bases);
    #[cfg(target_arch = "x86_64")]
    if T::DTYPE == crate::dtype::DType::Float32 && std::arch::is_x86_feature_detected!("avx512f") {
        let cast = |values: &[T]| {
            // SAFETY: `T` is `f32` (its dtype is float32).
            unsafe { std::slice::from_raw_parts(values.as_ptr().cast::<f32>(), values.len()) }
        };
        // SAFETY: as above, for the output (the kernel only writes it).
        let out = unsafe {
            std::slice::from_raw_parts_mut(out.as_mut_ptr().cast::<MaybeUninit<f32>>(), out.len())
        };
        // SAFETY: the CPU has AVX-512F, and `Shape::taps` bounds every tap.
        return unsafe {
            avx512::convolve_f32(
                offsets,
                bases,
                cast(padded),
                cast(packed),
                shape.outputs,
                bias.map(cast),
                out,
            )
        };
    }
    convolve_blocks(offsets, bases, padded, packed, shape.outputs, bias, out);
}

simd_versions! {
    /// The forward loops over blocks of output channels and positions.
    fn convolve_blocks<T>(
        offsets: &[usize],
        bases: &[usize],
        padded: &[T],
        packed: &[T],
        outputs: usize,
        bias: Option<&[T]>,
        out: &mut [MaybeUninit<T>]
    ) => convolve_generic
}

/// Where the kernels read: each tap's offset in the padded image, in
/// `[C, kh, kw]` order, and each output position's, row after row. They
/// depend on the shape alone, so one convolution computes them once for
/// all its images.
pub(crate) struct Taps {
    offsets: Vec<usize>,
    bases: Vec<usize>,
}

impl Shape {
    /// The taps' and positions' offsets in the padded image.
    pub(crate) fn taps(&self) -> Taps {
        let [ph, pw] = self.padded();
        let [kh, kw] = self.kernel;
        let [dh, dw] = self.dilation;
        let [oh, ow] = self.output;
        let mut offsets = Vec::with_capacity(self.channels * kh * kw);
        for c in 0..self.channels {
            for ki in 0..kh {
                for kj in 0..kw {
                    offsets.push((c * ph + ki * dh) * pw + kj * dw);
                }
            }
        }
        let bases = (0..oh)
            .flat_map(|y| (0..ow).map(move |x| y * self.stride[0] * pw + x * self.stride[1]))
            .collect();
        let taps = Taps { offsets, bases };
        // The last position plus the last tap (both lists increase) stays
        // inside the padded image, which makes every unchecked read in the
        // kernels in bounds.
        let largest =
            taps.offsets.last().copied().unwrap_or(0) + taps.bases.last().copied().unwrap_or(0);
        assert!(
            largest < self.channels * ph * pw,
            "direct convolution: a tap reads past the padded image"
        );
        taps
    }
}

/// `image` inside its zero border (so taps never test bounds): `image`
/// itself when it needs none, else a copy in `scratch`.
fn padded_image<'a, T: Float>(shape: &Shape, image: &'a [T], scratch: &'a mut Vec<T>) -> &'a [T] {
    let [h, w] = shape.input;
    let [ph, pw] = shape.padded();
    if [ph, pw] == [h, w] {
        return &image[..shape.channels * h * w];
    }
    scratch.clear();
    scratch.resize(shape.channels * ph * pw, T::zero());
    for (c, plane) in image.chunks_exact(h * w).enumerate() {
        for y in 0..h {
            let at = (c * ph + y + shape.padding[0]) * pw + shape.padding[1];
            scratch[at..at + w].copy_from_slice(&plane[y * w..(y + 1) * w]);
        }
    }
    scratch
}

/// `a · b + c`, one fused instruction with `FMA` (only where the CPU has
/// one: elsewhere `mul_add` is a slow library call).
#[inline(always)]
fn multiply_add<T: Float, const FMA: bool>(a: T, b: T, c: T) -> T {
    if FMA {
        a.mul_add(b, c)
    } else {
        c.add(a.mul(b))
    }
}

/// The forward loops, as the compiler vectorises them; with `FMA` each
/// multiply-add is one fused instruction (only where the CPU has one:
/// elsewhere `mul_add` is a slow library call).
#[inline(always)]
fn convolve_generic<T: Float, const FMA: bool>(
    offsets: &[usize],
    bases: &[usize],
    padded: &[T],
    packed: &[T],
    outputs: usize,
    bias: Option<&[T]>,
    out: &mut [MaybeUninit<T>],
) {
    let (taps, plane) = (offsets.len(), bases.len());
    for block in 0..outputs.div_ceil(BLOCK) {
        let weights = &packed[block * taps * BLOCK..(block + 1) * taps * BLOCK];
        let first = block * BLOCK;
        let count = BLOCK.min(outputs - first);
        let mut start = [T::zero(); BLOCK];
        if let Some(bias) = bias {
            start[..count].copy_from_slice(&bias[first..first + count]);
        }
        for chunk in (0..plane).step_by(POSITIONS) {
            let n = POSITIONS.min(plane - chunk);
            let mut acc = [start; POSITIONS];
            // Past the last position, repeat it (computed, not stored).
            let at: [usize; POSITIONS] = std::array::from_fn(|q| bases[chunk + q.min(n - 1)]);
            for (t, &offset) in offsets.iter().enumerate() {
                let wt: &[T; BLOCK] = weights[t * BLOCK..(t + 1) * BLOCK]
                    .try_into()
                    .expect("a block");
                for q in 0..POSITIONS {
                    // SAFETY: within the padded image (checked by `Shape::taps`).
                    let v = unsafe { *padded.get_unchecked(at[q] + offset) };
                    for j in 0..BLOCK {
                        acc[q][j] = multiply_add::<T, FMA>(v, wt[j], acc[q][j]);
                    }
                }
            }
            for (q, acc) in acc.iter().enumerate().take(n) {
                for (j, &value) in acc.iter().enumerate().take(count) {
                    out[(first + j) * plane + chunk + q] = MaybeUninit::new(value);
                }
            }
        }
    }
}

/// The float32 loops written with AVX-512 instructions. The forward takes
/// ten output positions at a time and the weight gradient ten taps: ten
/// independent accumulators hide the fused multiply-add's latency, which
/// the portable loops' four did not. Each input value is broadcast from
/// memory. The same operations in the same order as the portable loops,
/// so the results are identical.
#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::BLOCK;
    use std::arch::x86_64::{
        __m512, __mmask16, _mm512_add_ps, _mm512_fmadd_ps, _mm512_loadu_ps, _mm512_mask_storeu_ps,
        _mm512_set1_ps, _mm512_setzero_ps, _mm512_shuffle_f32x4, _mm512_shuffle_ps,
        _mm512_storeu_ps, _mm512_unpackhi_ps, _mm512_unpacklo_ps,
    };

    /// Output positions per step.
    const POSITIONS: usize = 10;

    /// # Safety
    /// The CPU has AVX-512F; every position's base plus every tap's offset
    /// indexes `padded`, and `packed` holds `⌈outputs/16⌉ · taps · 16` weights.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn convolve_f32(
        offsets: &[usize],
        bases: &[usize],
        padded: &[f32],
        packed: &[f32],
        outputs: usize,
        bias: Option<&[f32]>,
        out: &mut [std::mem::MaybeUninit<f32>],
    ) {
        let (taps, plane) = (offsets.len(), bases.len());
        let image = padded.as_ptr();
        for block in 0..outputs.div_ceil(BLOCK) {
            let weights = packed[block * taps * BLOCK..(block + 1) * taps * BLOCK].as_ptr();
            let first = block * BLOCK;
            let count = BLOCK.min(outputs - first);
            let mut start = [0.0f32; BLOCK];
            if let Some(bias) = bias {
                start[..count].copy_from_slice(&bias[first..first + count]);
            }
            // SAFETY: `start` holds 16 floats.
            let start = unsafe { _mm512_loadu_ps(start.as_ptr()) };
            for chunk in (0..plane).step_by(POSITIONS) {
                let n = POSITIONS.min(plane - chunk);
                // Past the last position, repeat it (computed, not stored).
                let at: [*const f32; POSITIONS] = std::array::from_fn(|q| {
                    // SAFETY: a position's base is inside the padded image.
                    unsafe { image.add(bases[chunk + q.min(n - 1)]) }
                });
                let mut acc = [start; POSITIONS];
                for (t, &offset) in offsets.iter().enumerate() {
                    // SAFETY: tap `t`'s 16 weights (see the contract), and
                    // each position's tap inside the padded image.
                    unsafe {
                        let w = _mm512_loadu_ps(weights.add(t * BLOCK));
                        for q in 0..POSITIONS {
                            let v = _mm512_set1_ps(*at[q].add(offset));
                            acc[q] = _mm512_fmadd_ps(v, w, acc[q]);
                        }
                    }
                }
                // Channel j's n positions are consecutive in `out`: one
                // masked store per channel of the transposed accumulators.
                assert!(chunk + n <= plane && (first + count) * plane <= out.len());
                let mut rows = [_mm512_setzero_ps(); BLOCK];
                rows[..POSITIONS].copy_from_slice(&acc);
                let columns = transpose_16x16(rows);
                let mask: __mmask16 = (1 << n) - 1;
                for (j, column) in columns.iter().enumerate().take(count) {
                    // SAFETY: channel `first + j`'s positions `chunk..chunk + n`
                    // are inside `out` (asserted above).
                    unsafe {
                        let at = out
                            .as_mut_ptr()
                            .add((first + j) * plane + chunk)
                            .cast::<f32>();
                        _mm512_mask_storeu_ps(at, mask, *column);
                    }
                }
            }
        }
    }

    /// The columns of the 16×16 matrix whose rows are `rows`: unpacks
    /// within pairs of rows, shuffles within 128-bit lanes, then two rounds
    /// of 128-bit lane shuffles.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn transpose_16x16(r: [__m512; 16]) -> [__m512; 16] {
        let t: [__m512; 16] = std::array::from_fn(|i| {
            let (a, b) = (r[i / 2 * 2], r[i / 2 * 2 + 1]);
            if i % 2 == 0 {
                _mm512_unpacklo_ps(a, b)
            } else {
                _mm512_unpackhi_ps(a, b)
            }
        });
        // u[4g + c] holds, in each 128-bit lane k, rows 4g..4g+4 of column 4k + c.
        let u: [__m512; 16] = std::array::from_fn(|i| {
            let (g, c) = (i / 4, i % 4);
            let (lo, hi) = (t[4 * g + c / 2], t[4 * g + 2 + c / 2]);
            if c % 2 == 0 {
                _mm512_shuffle_ps::<0x44>(lo, hi)
            } else {
                _mm512_shuffle_ps::<0xEE>(lo, hi)
            }
        });
        // v[a] (a < 4) and v[a + 4]: rows 0..8 of columns a, a + 8 and
        // a + 4, a + 12; v[a + 8], v[a + 12]: the same for rows 8..16.
        let v: [__m512; 16] = std::array::from_fn(|i| {
            let (half, rest) = (i / 8, i % 8);
            let (a, b) = (u[8 * half + rest % 4], u[8 * half + rest % 4 + 4]);
            if rest < 4 {
                _mm512_shuffle_f32x4::<0x88>(a, b)
            } else {
                _mm512_shuffle_f32x4::<0xDD>(a, b)
            }
        });
        std::array::from_fn(|j| {
            let column = j % 8;
            let (a, b) = (v[column], v[column + 8]);
            if j < 8 {
                _mm512_shuffle_f32x4::<0x88>(a, b)
            } else {
                _mm512_shuffle_f32x4::<0xDD>(a, b)
            }
        })
    }

    /// Taps per step of the weight gradient.
    const TAPS: usize = 10;

    /// The weight gradient's loops ([`super::weight_grad_generic`]'s
    /// operations in the same order), ten taps at a time.
    ///
    /// # Safety
    /// The CPU has AVX-512F; every position's base plus every tap's offset
    /// indexes `padded`; `transposed` holds `[⌈O/16⌉][positions][16]`
    /// gradients and `acc` `[⌈O/16⌉][taps][16]` sums.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn weight_grad_f32(
        offsets: &[usize],
        bases: &[usize],
        padded: &[f32],
        transposed: &[f32],
        acc: &mut [f32],
    ) {
        let (taps, plane) = (offsets.len(), bases.len());
        let image = padded.as_ptr();
        let blocks = acc.len() / (taps * BLOCK).max(1);
        for block in 0..blocks {
            let grads = transposed[block * plane * BLOCK..(block + 1) * plane * BLOCK].as_ptr();
            let sums = &mut acc[block * taps * BLOCK..(block + 1) * taps * BLOCK];
            for first in (0..taps).step_by(TAPS) {
                let n = TAPS.min(taps - first);
                // Past the last tap, repeat it (computed, not stored).
                let tap: [*const f32; TAPS] = std::array::from_fn(|i| {
                    // SAFETY: a tap's offset is inside the padded image.
                    unsafe { image.add(offsets[first + i.min(n - 1)]) }
                });
                let mut total = [_mm512_setzero_ps(); TAPS];
                for (p, &base) in bases.iter().enumerate() {
                    // SAFETY: position `p`'s 16 gradients, and each tap at
                    // this position inside the padded image.
                    unsafe {
                        let g = _mm512_loadu_ps(grads.add(p * BLOCK));
                        for i in 0..TAPS {
                            let v = _mm512_set1_ps(*tap[i].add(base));
                            total[i] = _mm512_fmadd_ps(v, g, total[i]);
                        }
                    }
                }
                for (i, total) in total.iter().enumerate().take(n) {
                    let sum = sums[(first + i) * BLOCK..(first + i + 1) * BLOCK].as_mut_ptr();
                    // SAFETY: `sum` points to 16 floats.
                    unsafe { _mm512_storeu_ps(sum, _mm512_add_ps(_mm512_loadu_ps(sum), *total)) };
                }
            }
        }
    }
}

/// Adds the weight gradient of one image group (`grad` `[O, oh, ow]` the
/// output gradient) to `acc` (laid out as the packed weights,
/// `[⌈O/16⌉][taps][16]`): for every tap and block of output channels, the
/// sum over positions of the tap's input times the output gradient there.
/// The gradient is transposed first (`[positions][16]` per block) so that a
/// position's 16 channels are one vector. `scratch` and `transposed` are
/// scratch.
pub(crate) fn weight_grad<T: Float>(
    shape: &Shape,
    taps: &Taps,
    image: &[T],
    grad: &[T],
    acc: &mut [T],
    scratch: &mut Vec<T>,
    transposed: &mut Vec<T>,
) {
    let padded = padded_image(shape, image, scratch);
    let plane = taps.bases.len();
    let blocks = shape.outputs.div_ceil(BLOCK);
    transposed.clear();
    transposed.resize(blocks * plane * BLOCK, T::zero());
    for (o, row) in grad.chunks_exact(plane).enumerate() {
        let (block, lane) = (o / BLOCK, o % BLOCK);
        for (p, &g) in row.iter().enumerate() {
            transposed[(block * plane + p) * BLOCK + lane] = g;
        }
    }
    #[cfg(target_arch = "x86_64")]
    if T::DTYPE == crate::dtype::DType::Float32 && std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: `T` is `f32` (its dtype is float32).
        let (padded, grads, acc) = unsafe {
            (
                std::slice::from_raw_parts(padded.as_ptr().cast::<f32>(), padded.len()),
                std::slice::from_raw_parts(transposed.as_ptr().cast::<f32>(), transposed.len()),
                std::slice::from_raw_parts_mut(acc.as_mut_ptr().cast::<f32>(), acc.len()),
            )
        };
        // SAFETY: the CPU has AVX-512F, and `Shape::taps` bounds every tap.
        return unsafe { avx512::weight_grad_f32(&taps.offsets, &taps.bases, padded, grads, acc) };
    }
    weight_grad_blocks(&taps.offsets, &taps.bases, padded, transposed, acc);
}

simd_versions! {
    /// The weight gradient's loops over blocks of output channels and taps.
    fn weight_grad_blocks<T>(
        offsets: &[usize],
        bases: &[usize],
        padded: &[T],
        transposed: &[T],
        acc: &mut [T]
    ) => weight_grad_generic
}

/// The weight gradient's loops, as the compiler vectorises them: taps go
/// four at a time, sharing each gradient load.
#[inline(always)]
fn weight_grad_generic<T: Float, const FMA: bool>(
    offsets: &[usize],
    bases: &[usize],
    padded: &[T],
    transposed: &[T],
    acc: &mut [T],
) {
    let (taps, plane) = (offsets.len(), bases.len());
    let blocks = acc.len() / (taps * BLOCK).max(1);
    const TAPS: usize = 4;
    for block in 0..blocks {
        let grads = &transposed[block * plane * BLOCK..(block + 1) * plane * BLOCK];
        let sums = &mut acc[block * taps * BLOCK..(block + 1) * taps * BLOCK];
        for first in (0..taps).step_by(TAPS) {
            let n = TAPS.min(taps - first);
            let tap: [usize; TAPS] = std::array::from_fn(|i| offsets[first + i.min(n - 1)]);
            let mut total = [[T::zero(); BLOCK]; TAPS];
            for (p, &base) in bases.iter().enumerate() {
                let g: &[T; BLOCK] = grads[p * BLOCK..(p + 1) * BLOCK]
                    .try_into()
                    .expect("a block");
                for i in 0..TAPS {
                    // SAFETY: within the padded image (checked by `Shape::taps`).
                    let v = unsafe { *padded.get_unchecked(base + tap[i]) };
                    for j in 0..BLOCK {
                        total[i][j] = multiply_add::<T, FMA>(v, g[j], total[i][j]);
                    }
                }
            }
            for (i, total) in total.iter().enumerate().take(n) {
                for (s, &t) in sums[(first + i) * BLOCK..(first + i + 1) * BLOCK]
                    .iter_mut()
                    .zip(total)
                {
                    *s = s.add(t);
                }
            }
        }
    }
}

/// The sums `acc` (`[⌈O/16⌉][taps][16]`) back as `[O, taps]` weights.
pub(crate) fn unpack_weights<T: Float>(acc: &[T], outputs: usize, taps: usize, out: &mut [T]) {
    for o in 0..outputs {
        for t in 0..taps {
            out[o * taps + t] = acc[((o / BLOCK) * taps + t) * BLOCK + o % BLOCK];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic values in [-1, 1).
    fn values(n: usize, seed: u64) -> Vec<f32> {
        let mut state = seed;
        (0..n)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((state >> 40) as f32 / (1u64 << 23) as f32) - 1.0
            })
            .collect()
    }

    fn shape(
        channels: usize,
        outputs: usize,
        input: [usize; 2],
        kernel: [usize; 2],
        stride: [usize; 2],
        dilation: [usize; 2],
        padding: [usize; 2],
    ) -> Shape {
        let output = [0, 1].map(|i| {
            (input[i] + 2 * padding[i] - dilation[i] * (kernel[i] - 1) - 1) / stride[i] + 1
        });
        Shape {
            channels,
            outputs,
            input,
            kernel,
            output,
            stride,
            dilation,
            padding,
        }
    }

    /// Whatever kernels `convolve` and `weight_grad` pick on this CPU
    /// (AVX-512 for float32 where the CPU has it) give the portable loops'
    /// results bit for bit: both add the same products in the same order.
    #[test]
    fn every_kernel_matches_the_portable_loops() {
        let shapes = [
            shape(1, 6, [28, 28], [5, 5], [1, 1], [1, 1], [2, 2]),
            shape(6, 16, [14, 14], [5, 5], [1, 1], [1, 1], [0, 0]),
            shape(3, 20, [9, 7], [3, 3], [2, 1], [1, 2], [1, 2]),
            shape(2, 40, [5, 6], [2, 3], [1, 1], [2, 1], [3, 0]),
        ];
        for (i, shape) in shapes.iter().enumerate() {
            let taps = shape.taps();
            let image = values(shape.channels * shape.input[0] * shape.input[1], i as u64);
            let count = shape.channels * shape.kernel[0] * shape.kernel[1];
            let weight = values(shape.outputs * count, 100 + i as u64);
            let bias = values(shape.outputs, 200 + i as u64);
            let packed = pack_weights(&weight, shape.outputs, count);
            let plane = shape.output[0] * shape.output[1];
            // Both kernels write every output: NaN left anywhere fails below.
            let mut picked = vec![MaybeUninit::new(f32::NAN); shape.outputs * plane];
            let mut scratch = Vec::new();
            convolve(
                shape,
                &taps,
                &image,
                &packed,
                Some(&bias),
                &mut picked,
                &mut scratch,
            );
            let padded = padded_image(shape, &image, &mut scratch).to_vec();
            let mut portable = vec![MaybeUninit::new(f32::NAN); shape.outputs * plane];
            convolve_generic::<f32, true>(
                &taps.offsets,
                &taps.bases,
                &padded,
                &packed,
                shape.outputs,
                Some(&bias),
                &mut portable,
            );
            // SAFETY: every element was initialised (to NaN, then by the kernels).
            let [picked, portable] = [picked, portable].map(|v| {
                v.into_iter()
                    .map(|x| unsafe { x.assume_init() })
                    .collect::<Vec<f32>>()
            });
            let differ = picked
                .iter()
                .zip(&portable)
                .position(|(a, b)| a.to_bits() != b.to_bits());
            assert_eq!(differ, None, "{shape:?}: first differing output");
            assert!(
                portable.iter().all(|v| !v.is_nan()),
                "{shape:?}: an output unwritten"
            );
            assert!(portable.iter().any(|&v| v != 0.0));

            let grad = values(shape.outputs * plane, 300 + i as u64);
            let mut picked = values(packed.len(), 400 + i as u64);
            let mut portable = picked.clone();
            let mut transposed = Vec::new();
            weight_grad(
                shape,
                &taps,
                &image,
                &grad,
                &mut picked,
                &mut scratch,
                &mut transposed,
            );
            weight_grad_generic::<f32, true>(
                &taps.offsets,
                &taps.bases,
                &padded,
                &transposed,
                &mut portable,
            );
            let differ = picked
                .iter()
                .zip(&portable)
                .position(|(a, b)| a.to_bits() != b.to_bits());
            assert_eq!(differ, None, "{shape:?}: first differing weight gradient");
        }
    }
}
