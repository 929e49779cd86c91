//! Direct convolution for small kernels over few channels (LeNet's
//! layers): no column matrix is built. Each output position's patch is read
//! in place from a zero-padded copy of the image, and a block of output
//! channels (one SIMD register's worth) accumulates over the patch, four
//! positions at a time. The loops are compiled for AVX-512 and AVX2+FMA as
//! well as the baseline, and the best the CPU supports runs.

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

simd_versions! {
    /// `out` `[O, oh, ow]` = the convolution of `image` `[C, h, w]` by the
    /// packed weights, plus `bias`; `padded` is scratch.
    pub(crate) fn convolve<T>(
        shape: &Shape,
        image: &[T],
        packed: &[T],
        bias: Option<&[T]>,
        out: &mut [T],
        padded: &mut Vec<T>
    ) => convolve_generic
}

/// Copies `image` into `padded` inside its zero border (so taps never test
/// bounds) and returns each tap's offset there, in `[C, kh, kw]` order.
fn pad_image<T: Float>(shape: &Shape, image: &[T], padded: &mut Vec<T>) -> Vec<usize> {
    let [h, w] = shape.input;
    let [ph, pw] = shape.padded();
    let [kh, kw] = shape.kernel;
    let [dh, dw] = shape.dilation;
    padded.clear();
    padded.resize(shape.channels * ph * pw, T::zero());
    for (c, plane) in image.chunks_exact(h * w).enumerate() {
        for y in 0..h {
            let at = (c * ph + y + shape.padding[0]) * pw + shape.padding[1];
            padded[at..at + w].copy_from_slice(&plane[y * w..(y + 1) * w]);
        }
    }
    let mut offsets = Vec::with_capacity(shape.channels * kh * kw);
    for c in 0..shape.channels {
        for ki in 0..kh {
            for kj in 0..kw {
                offsets.push((c * ph + ki * dh) * pw + kj * dw);
            }
        }
    }
    offsets
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

/// Asserts that the last position plus the last tap (both lists increase)
/// stays inside the padded image, which makes every unchecked read in the
/// kernels in bounds.
fn check_reach(offsets: &[usize], bases: &[usize], padded: usize) {
    let largest = offsets.last().copied().unwrap_or(0) + bases.last().copied().unwrap_or(0);
    assert!(
        largest < padded,
        "direct convolution: a tap reads past the padded image"
    );
}

/// Each output position's offset in the padded image, row after row.
fn position_bases(shape: &Shape) -> Vec<usize> {
    let [_, pw] = shape.padded();
    let [oh, ow] = shape.output;
    (0..oh * ow)
        .map(|p| (p / ow) * shape.stride[0] * pw + (p % ow) * shape.stride[1])
        .collect()
}

/// The loops; with `FMA` each multiply-add is one fused instruction (only
/// where the CPU has one: elsewhere `mul_add` is a slow library call).
#[inline(always)]
fn convolve_generic<T: Float, const FMA: bool>(
    shape: &Shape,
    image: &[T],
    packed: &[T],
    bias: Option<&[T]>,
    out: &mut [T],
    padded: &mut Vec<T>,
) {
    let offsets = pad_image(shape, image, padded);
    let bases = position_bases(shape);
    let (taps, plane) = (offsets.len(), bases.len());
    check_reach(&offsets, &bases, padded.len());
    for block in 0..shape.outputs.div_ceil(BLOCK) {
        let weights = &packed[block * taps * BLOCK..(block + 1) * taps * BLOCK];
        let first = block * BLOCK;
        let count = BLOCK.min(shape.outputs - first);
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
                    // SAFETY: within the padded image (`check_reach` above).
                    let v = unsafe { *padded.get_unchecked(at[q] + offset) };
                    for j in 0..BLOCK {
                        acc[q][j] = multiply_add::<T, FMA>(v, wt[j], acc[q][j]);
                    }
                }
            }
            for (q, acc) in acc.iter().enumerate().take(n) {
                for (j, &value) in acc.iter().enumerate().take(count) {
                    out[(first + j) * plane + chunk + q] = value;
                }
            }
        }
    }
}

simd_versions! {
    /// Adds the weight gradient of one image group (`grad` `[O, oh, ow]`
    /// the output gradient) to `acc`; `padded` and `transposed` are scratch.
    pub(crate) fn weight_grad<T>(
        shape: &Shape,
        image: &[T],
        grad: &[T],
        acc: &mut [T],
        padded: &mut Vec<T>,
        transposed: &mut Vec<T>
    ) => weight_grad_generic
}

/// Adds one image group's weight gradient to `acc` (laid out as the packed
/// weights, `[⌈O/16⌉][taps][16]`): for every tap and block of output
/// channels, the sum over positions of the tap's input times the output
/// gradient there. The gradient is transposed first (`[positions][16]` per
/// block) so that a position's 16 channels are one vector; taps go four at
/// a time, sharing each gradient load.
#[inline(always)]
fn weight_grad_generic<T: Float, const FMA: bool>(
    shape: &Shape,
    image: &[T],
    grad: &[T],
    acc: &mut [T],
    padded: &mut Vec<T>,
    transposed: &mut Vec<T>,
) {
    let offsets = pad_image(shape, image, padded);
    let bases = position_bases(shape);
    let (taps, plane) = (offsets.len(), bases.len());
    check_reach(&offsets, &bases, padded.len());
    let blocks = shape.outputs.div_ceil(BLOCK);
    transposed.clear();
    transposed.resize(blocks * plane * BLOCK, T::zero());
    for (o, row) in grad.chunks_exact(plane).enumerate() {
        let (block, lane) = (o / BLOCK, o % BLOCK);
        for (p, &g) in row.iter().enumerate() {
            transposed[(block * plane + p) * BLOCK + lane] = g;
        }
    }
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
                    // SAFETY: within the padded image (`check_reach` above).
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
