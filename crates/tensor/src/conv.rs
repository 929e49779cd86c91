//! 2-D convolution and its two adjoints, the kernels behind `conv1d`,
//! `conv2d` and `conv_transpose2d`.
//!
//! A convolution is a product per image and group: the weight `[O/g, C/g·kh·kw]`
//! times the image's patches laid out as columns (`im2col`, `[C/g·kh·kw, oh·ow]`),
//! computed by the matrix kernel. A 1×1 convolution with stride 1 and no
//! padding multiplies the image itself. Its adjoints reuse the same pieces:
//!
//! - the input gradient (and `conv_transpose2d`) is `Wᵀ · grad` folded back
//!   onto the image (`col2im`, which adds overlapping patches);
//! - the weight gradient is `grad · colsᵀ`, summed over the batch.
//!
//! Batches large enough to pay for it are split across the kernels' pool, one
//! column buffer per worker; a single image leaves the parallelism to the
//! matrix kernel. Pools never nest.

use rayon::prelude::*;

use std::mem::MaybeUninit;

use crate::alloc::checked_numel;
use crate::arith::Float;
use crate::dtype::float_kernel;
use crate::dtype::DType;
use crate::error::{Result, TensorError};
use crate::matmul::{gemm, GemmElement, MatRef};
use crate::tensor::{or_panic, Tensor};
use crate::{direct_conv, winograd};

/// The direct kernel serves convolutions whose patch (`C/g · kh · kw`) has
/// at most this many elements.
const DIRECT_PATCH: usize = 512;

/// The direct kernel computes blocks of 16 output channels: below this
/// many, most of each block would be wasted.
const DIRECT_OUTPUTS: usize = 8;

/// Columns (tiles) per set of Winograd products: the transformed tiles of
/// a block (`16 · (C + O)` values per tile) then stay near the cache.
const WINOGRAD_COLUMNS: usize = 128;

/// Winograd's transforms pay from this many input and output channels on.
const WINOGRAD_CHANNELS: usize = 16;

/// Below this many multiply-adds a convolution stays on the calling thread.
const PARALLEL_FLOPS: usize = 1 << 20;

/// The geometry of a 2-D convolution, as `torch.nn.functional.conv2d` takes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvParams {
    /// Step between patches, per spatial dim (height, width).
    pub stride: [usize; 2],
    /// Zeros added before each spatial dim (top, left).
    pub padding: [usize; 2],
    /// Zeros added after each spatial dim (bottom, right): the same as
    /// `padding` except for `padding="same"` with an even kernel extent,
    /// where PyTorch pads one more element at the end.
    pub padding_end: [usize; 2],
    /// Spacing between kernel taps.
    pub dilation: [usize; 2],
    /// Channel groups: input and output channels split into `groups` independent convolutions.
    pub groups: usize,
}

impl Default for ConvParams {
    /// Stride 1, no padding, dilation 1, one group (PyTorch's defaults).
    fn default() -> ConvParams {
        ConvParams::new([1, 1], [0, 0], [1, 1], 1)
    }
}

impl ConvParams {
    /// Symmetric padding, as `F.conv2d(x, w, stride=, padding=, dilation=, groups=)`.
    pub fn new(
        stride: [usize; 2],
        padding: [usize; 2],
        dilation: [usize; 2],
        groups: usize,
    ) -> ConvParams {
        ConvParams {
            stride,
            padding,
            padding_end: padding,
            dilation,
            groups,
        }
    }

    /// The parameters of a 1-D convolution, run as a 2-D one over images of
    /// height 1: `padding` zeros before and after the sequence.
    /// PyTorch equivalent: `F.conv1d(x, w, stride=, padding=, dilation=, groups=)`.
    pub fn conv1d(
        stride: usize,
        padding: [usize; 2],
        dilation: usize,
        groups: usize,
    ) -> ConvParams {
        ConvParams {
            stride: [1, stride],
            padding: [0, padding[0]],
            padding_end: [0, padding[1]],
            dilation: [1, dilation],
            groups,
        }
    }

    /// The output's spatial size for an input of `input` and a kernel of
    /// `kernel` elements (PyTorch's formula), `None` if the dilated kernel is
    /// larger than the padded input.
    pub fn output_size(&self, input: [usize; 2], kernel: [usize; 2]) -> Option<[usize; 2]> {
        let axis = |i: usize| -> Option<usize> {
            let padded = input[i] + self.padding[i] + self.padding_end[i];
            let span = self.dilation[i] * (kernel[i].max(1) - 1) + 1;
            (padded >= span).then(|| (padded - span) / self.stride[i] + 1)
        };
        Some([axis(0)?, axis(1)?])
    }

    /// PyTorch's errors for a non-positive stride or dilation and zero groups.
    fn check(&self, op: &'static str) -> Result<()> {
        if self.stride.contains(&0) {
            return Err(TensorError::invalid(
                op,
                "non-positive stride is not supported",
            ));
        }
        if self.dilation.contains(&0) {
            return Err(TensorError::invalid(
                op,
                "dilation should be greater than zero",
            ));
        }
        if self.groups == 0 {
            return Err(TensorError::invalid(
                op,
                "non-positive groups is not supported",
            ));
        }
        Ok(())
    }
}

/// Sizes of one convolution: batch, channels, spatial extents.
#[derive(Clone, Copy, Debug)]
struct Geometry {
    batch: usize,
    in_channels: usize,
    out_channels: usize,
    input: [usize; 2],
    kernel: [usize; 2],
    output: [usize; 2],
    params: ConvParams,
}

impl Geometry {
    fn groups(&self) -> usize {
        self.params.groups
    }
    /// Input channels per group.
    fn in_group(&self) -> usize {
        self.in_channels / self.groups()
    }
    /// Output channels per group.
    fn out_group(&self) -> usize {
        self.out_channels / self.groups()
    }
    /// Rows of the column matrix: `C/g · kh · kw`.
    fn patch(&self) -> usize {
        self.in_group() * self.kernel[0] * self.kernel[1]
    }
    fn input_plane(&self) -> usize {
        self.input[0] * self.input[1]
    }
    fn output_plane(&self) -> usize {
        self.output[0] * self.output[1]
    }
    /// Whether the columns are the image itself (1×1, stride 1, no padding).
    fn is_pointwise(&self) -> bool {
        let p = &self.params;
        self.kernel == [1, 1]
            && p.stride == [1, 1]
            && p.padding == [0, 0]
            && p.padding_end == [0, 0]
    }
    fn flops(&self) -> usize {
        self.batch
            .saturating_mul(self.out_channels)
            .saturating_mul(self.patch())
            .saturating_mul(self.output_plane())
    }
    /// The output's shape `[N, O, oH, oW]`.
    fn output_shape(&self) -> [usize; 4] {
        [
            self.batch,
            self.out_channels,
            self.output[0],
            self.output[1],
        ]
    }

    /// An error unless `grad` has the output's shape (the gradients' check).
    fn expect_output(&self, op: &'static str, grad: &[usize]) -> Result<()> {
        let (input, weight) = (
            [self.batch, self.in_channels, self.input[0], self.input[1]],
            [
                self.out_channels,
                self.in_group(),
                self.kernel[0],
                self.kernel[1],
            ],
        );
        match grad == self.output_shape() {
            true => Ok(()),
            false => Err(TensorError::invalid(
                op,
                format!(
                    "a convolution of an input of size {input:?} by a weight of size {weight:?} gives an output of size {:?}, not {grad:?}",
                    self.output_shape()
                ),
            )),
        }
    }

    /// Whether the direct kernel computes this convolution: small patches
    /// over few channels, at least half a block of output channels.
    fn direct_applies(&self) -> bool {
        self.patch() <= DIRECT_PATCH
            && self.out_group() >= DIRECT_OUTPUTS
            && !self.is_pointwise()
            && self.output_plane() > 0
    }

    /// The forward convolution for the direct kernel, if it applies.
    fn direct(&self) -> Option<direct_conv::Shape> {
        let p = &self.params;
        (self.direct_applies() && p.padding == p.padding_end).then(|| direct_conv::Shape {
            channels: self.in_group(),
            outputs: self.out_group(),
            input: self.input,
            kernel: self.kernel,
            output: self.output,
            stride: p.stride,
            dilation: p.dilation,
            padding: p.padding,
        })
    }

    /// The input gradient of a stride-1 convolution as a direct convolution
    /// of the output gradient by the turned kernels, with `(k - 1)·d - padding`
    /// zeros before, if it applies.
    fn direct_adjoint(&self) -> Option<direct_conv::Shape> {
        let p = &self.params;
        let reach = [0, 1].map(|i| (self.kernel[i] - 1) * p.dilation[i]);
        let fits = (0..2).all(|i| {
            p.padding[i] <= reach[i]
                && p.padding_end[i] <= reach[i]
                && p.padding[i] == p.padding_end[i]
        });
        let adjoint_patch = self.out_group() * self.kernel[0] * self.kernel[1];
        let applies = p.stride == [1, 1]
            && fits
            && adjoint_patch <= DIRECT_PATCH
            && self.in_group() >= DIRECT_OUTPUTS
            && !self.is_pointwise();
        (applies && self.input_plane() > 0).then(|| direct_conv::Shape {
            channels: self.out_group(),
            outputs: self.in_group(),
            input: self.output,
            kernel: self.kernel,
            output: self.input,
            stride: [1, 1],
            dilation: p.dilation,
            padding: [reach[0] - p.padding[0], reach[1] - p.padding[1]],
        })
    }

    /// Whether Winograd's F(2×2, 3×3) computes this convolution: 3×3
    /// kernels, stride and dilation 1, one group, and enough channels for
    /// the transforms to pay.
    fn winograd_applies(&self) -> bool {
        let p = &self.params;
        self.kernel == [3, 3]
            && p.stride == [1, 1]
            && p.dilation == [1, 1]
            && p.groups == 1
            && self.in_channels >= WINOGRAD_CHANNELS
            && self.out_channels >= WINOGRAD_CHANNELS
            && self.output_plane() > 0
    }

    /// The forward convolution as a Winograd plan, if it applies.
    fn winograd(&self) -> Option<winograd::Plan> {
        self.winograd_applies().then_some(winograd::Plan {
            batch: self.batch,
            channels: self.in_channels,
            outputs: self.out_channels,
            input: self.input,
            output: self.output,
            pad: self.params.padding,
        })
    }

    /// The input gradient as a Winograd plan (a convolution of the output
    /// gradient with `2 - padding` zeros before), if it applies.
    fn winograd_adjoint(&self) -> Option<winograd::Plan> {
        let p = &self.params;
        let fits = p.padding.iter().chain(&p.padding_end).all(|&pad| pad <= 2);
        (self.winograd_applies() && fits).then(|| winograd::Plan {
            batch: self.batch,
            channels: self.out_channels,
            outputs: self.in_channels,
            input: self.output,
            output: self.input,
            pad: [2 - p.padding[0], 2 - p.padding[1]],
        })
    }

    /// How many images one product covers: enough for about
    /// [`PRODUCT_COLUMNS`] columns, at most the batch.
    fn images_per_product(&self) -> usize {
        (PRODUCT_COLUMNS / self.output_plane().max(1)).clamp(1, self.batch.max(1))
    }

    /// Whether to split the batch across the kernels' pool.
    fn parallel(&self) -> bool {
        self.batch > 1
            && self.flops() >= PARALLEL_FLOPS
            && rayon::current_thread_index().is_none()
            && crate::pool::threads() > 1
    }
    /// For each kernel tap along `axis`, the output positions whose input
    /// position is inside the image: `lo..hi`.
    fn valid(&self, axis: usize, tap: usize) -> (usize, usize) {
        let p = &self.params;
        let (s, offset) = (
            p.stride[axis],
            (tap * p.dilation[axis]) as isize - p.padding[axis] as isize,
        );
        // input = out·s + offset must lie in 0..input.
        let lo = if offset >= 0 { 0 } else { (-offset) as usize }.div_ceil(s);
        let end = self.input[axis] as isize - offset; // out·s < end
        let hi = if end <= 0 {
            0
        } else {
            (end as usize).div_ceil(s)
        };
        (
            lo.min(self.output[axis]),
            hi.min(self.output[axis]).max(lo.min(self.output[axis])),
        )
    }
}

/// Copies one image group's patches (`[C/g, h, w]` at `image`) into the
/// columns `cols` (`[C/g·kh·kw, oh·ow]`, rows `ld` elements apart, so that
/// several images' columns sit side by side), zeros where a patch reaches
/// into the padding.
fn im2col<T: Float>(geo: &Geometry, image: &[T], cols: &mut [T], ld: usize) {
    let [kh, kw] = geo.kernel;
    let [ow, out_plane] = [geo.output[1], geo.output_plane()];
    let [sh, sw] = geo.params.stride;
    let [dh, dw] = geo.params.dilation;
    let [ph, pw] = geo.params.padding;
    let w = geo.input[1];
    for (c, plane) in image.chunks_exact(geo.input_plane()).enumerate() {
        for ki in 0..kh {
            let (y_lo, y_hi) = geo.valid(0, ki);
            for kj in 0..kw {
                let (x_lo, x_hi) = geo.valid(1, kj);
                let row = ((c * kh + ki) * kw + kj) * ld;
                let row = &mut cols[row..row + out_plane];
                if x_lo == x_hi {
                    row.fill(T::zero());
                    continue;
                }
                // Rows of the output that read the padding are zeros.
                row[..y_lo * ow].fill(T::zero());
                row[y_hi * ow..].fill(T::zero());
                for oy in y_lo..y_hi {
                    let iy = oy * sh + ki * dh - ph;
                    let src = &plane[iy * w..(iy + 1) * w];
                    let dst = &mut row[oy * ow..(oy + 1) * ow];
                    dst[..x_lo].fill(T::zero());
                    dst[x_hi..].fill(T::zero());
                    let x0 = x_lo * sw + kj * dw - pw;
                    if sw == 1 {
                        copy_short(&mut dst[x_lo..x_hi], &src[x0..x0 + (x_hi - x_lo)]);
                    } else {
                        for (d, s) in dst[x_lo..x_hi].iter_mut().zip(src[x0..].iter().step_by(sw)) {
                            *d = *s;
                        }
                    }
                }
            }
        }
    }
}

/// `dst.copy_from_slice(src)` for the short rows of small images without a
/// `memcpy` call per row: whole blocks of 8, 4, 2 and 1 elements are
/// copied inline, which costs less than the call for rows of tens of elements.
#[inline(always)]
fn copy_short<T: Copy>(dst: &mut [T], src: &[T]) {
    if dst.len() >= 64 {
        return dst.copy_from_slice(src);
    }
    let mut i = 0;
    macro_rules! blocks {
        ($($n:literal),*) => {$(
            while dst.len() - i >= $n {
                let d: &mut [T; $n] = (&mut dst[i..i + $n]).try_into().expect("a block");
                *d = src[i..i + $n].try_into().expect("a block");
                i += $n;
            }
        )*};
    }
    blocks!(8, 4, 2, 1);
}

/// Adds the columns `cols` (rows `ld` apart) back onto their image
/// positions in `image`, the adjoint of [`im2col`]: overlapping patches add up.
fn col2im<T: Float>(geo: &Geometry, cols: &[T], image: &mut [T], ld: usize) {
    let [kh, kw] = geo.kernel;
    let [ow, out_plane] = [geo.output[1], geo.output_plane()];
    let [sh, sw] = geo.params.stride;
    let [dh, dw] = geo.params.dilation;
    let [ph, pw] = geo.params.padding;
    let w = geo.input[1];
    let plane_size = geo.input_plane();
    for (c, plane) in image.chunks_exact_mut(plane_size).enumerate() {
        for ki in 0..kh {
            let (y_lo, y_hi) = geo.valid(0, ki);
            for kj in 0..kw {
                let (x_lo, x_hi) = geo.valid(1, kj);
                let row = ((c * kh + ki) * kw + kj) * ld;
                let row = &cols[row..row + out_plane];
                if x_lo == x_hi {
                    continue;
                }
                for oy in y_lo..y_hi {
                    let iy = oy * sh + ki * dh - ph;
                    let dst = &mut plane[iy * w..(iy + 1) * w];
                    let src = &row[oy * ow + x_lo..oy * ow + x_hi];
                    let x0 = x_lo * sw + kj * dw - pw;
                    if sw == 1 {
                        for (d, s) in dst[x0..x0 + src.len()].iter_mut().zip(src) {
                            *d = d.add(*s);
                        }
                    } else {
                        for (d, s) in dst[x0..].iter_mut().step_by(sw).zip(src) {
                            *d = d.add(*s);
                        }
                    }
                }
            }
        }
    }
}

/// Runs `work(first_image, images)` over the batch: split into one
/// contiguous chunk per worker of the kernels' pool when the convolution is
/// large, else in one piece on this thread. `per_image` is the length of the
/// output each image owns in `out`. `out` starts uninitialised: each chunk
/// is zeroed by its own worker just before `work` fills it (a zeroed
/// allocation would be one serial pass over the whole output before the
/// work is split).
fn over_batch<T: Float>(
    geo: &Geometry,
    out: &mut [MaybeUninit<T>],
    per_image: usize,
    work: impl Fn(usize, &mut [T]) + Sync,
) {
    over_batch_uninit(geo, out, per_image, |first, chunk| {
        chunk.fill(MaybeUninit::new(T::zero()));
        // SAFETY: every element was just initialised.
        let chunk = unsafe { &mut *(chunk as *mut [MaybeUninit<T>] as *mut [T]) };
        work(first, chunk)
    })
}

/// [`over_batch`] for kernels that write every element of their chunk
/// (the direct convolution): no zeroing pass.
fn over_batch_uninit<T: Float>(
    geo: &Geometry,
    out: &mut [MaybeUninit<T>],
    per_image: usize,
    work: impl Fn(usize, &mut [MaybeUninit<T>]) + Sync,
) {
    if !geo.parallel() || per_image == 0 {
        return work(0, out);
    }
    let images = geo.batch.div_ceil(crate::pool::threads());
    crate::pool::install(|| {
        out.par_chunks_mut(images * per_image)
            .enumerate()
            .for_each(|(i, chunk)| work(i * images, chunk));
    });
}

/// A convolution by Winograd's F(2×2, 3×3) (see [`winograd`]): `u` the
/// transformed kernels, `x` the batch, `out` the output batch of `plan`'s
/// sizes. Images whose tiles are few are grouped into one set of products.
fn winograd_convolution<T: Float + GemmElement>(
    geo: &Geometry,
    plan: &winograd::Plan,
    x: &[T],
    u: &[T],
    bias: Option<&[T]>,
    out: &mut [MaybeUninit<T>],
) {
    let tw = plan.tiles()[1];
    let image_in = plan.channels * plan.input[0] * plan.input[1];
    let image_out = plan.outputs * plan.output[0] * plan.output[1];
    let columns = plan.block_columns(WINOGRAD_COLUMNS);
    let (v_len, m_len) = (16 * plan.channels * columns, 16 * plan.outputs * columns);
    over_batch(geo, out, image_out, |first, chunk| {
        with_scratch::<T, _>(v_len + m_len, |buffer| {
            let (v, m) = buffer.split_at_mut(v_len);
            let mut padded = Vec::new();
            let images = chunk.len() / image_out.max(1);
            for (start, count, rows) in plan.blocks(0..images, WINOGRAD_COLUMNS) {
                let block = rows.len() * tw;
                let ld = count * block;
                for b in 0..count {
                    let image = &x[(first + start + b) * image_in..][..image_in];
                    winograd::transform_input(
                        plan,
                        image,
                        v,
                        ld,
                        b * block,
                        rows.clone(),
                        &mut padded,
                    );
                }
                winograd::products(plan, u, v, m, ld);
                for b in 0..count {
                    let y = &mut chunk[(start + b) * image_out..][..image_out];
                    winograd::transform_output(plan, m, ld, b * block, rows.clone(), bias, y);
                }
            }
        })
    });
}

/// The weight gradient by Winograd's F(2×2, 3×3): the adjoint of
/// [`winograd_convolution`] with respect to the transformed kernels,
/// `dU[ξ] = Σ Ŷ[ξ] · V[ξ]ᵀ` over the batch's tiles, then `dg = Gᵀ dU G`.
/// Each worker sums its images into its own `dU`.
fn winograd_weight_grad<T: Float + GemmElement>(
    geo: &Geometry,
    plan: &winograd::Plan,
    x: &[T],
    dy: &[T],
    dw: &mut [T],
) {
    let tw = plan.tiles()[1];
    let image_in = plan.channels * plan.input[0] * plan.input[1];
    let image_out = plan.outputs * plan.output[0] * plan.output[1];
    let columns = plan.block_columns(WINOGRAD_COLUMNS);
    let (v_len, m_len) = (16 * plan.channels * columns, 16 * plan.outputs * columns);
    let du_len = 16 * plan.outputs * plan.channels;
    let sum_images = |images: std::ops::Range<usize>| -> Vec<T> {
        let mut du = vec![T::zero(); du_len];
        with_scratch::<T, _>(v_len + m_len, |buffer| {
            let (v, m) = buffer.split_at_mut(v_len);
            let mut padded = Vec::new();
            for (i, (start, count, rows)) in plan
                .blocks(images, WINOGRAD_COLUMNS)
                .into_iter()
                .enumerate()
            {
                let block = rows.len() * tw;
                let ld = count * block;
                for b in 0..count {
                    let n = start + b;
                    let (image, grad) = (
                        &x[n * image_in..][..image_in],
                        &dy[n * image_out..][..image_out],
                    );
                    winograd::transform_input(
                        plan,
                        image,
                        v,
                        ld,
                        b * block,
                        rows.clone(),
                        &mut padded,
                    );
                    winograd::transform_output_grad(plan, grad, m, ld, b * block, rows.clone());
                }
                winograd::weight_products(plan, m, v, &mut du, ld, i > 0);
            }
        });
        du
    };
    let du = sum_over_batch(geo, sum_images);
    winograd::transform_weight_grad(&du, plan.outputs, plan.channels, dw);
}

/// Runs `f` with a buffer of `len` elements of `T` (float32 or float64) that
/// this thread keeps between calls: the transforms' matrices are megabytes,
/// and a fresh allocation of that size costs its page faults every call.
/// The buffer's contents are whatever the last user left.
fn with_scratch<T: Float, R>(len: usize, f: impl FnOnce(&mut [T]) -> R) -> R {
    use std::cell::RefCell;
    thread_local! {
        static BUFFER: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
    }
    BUFFER.with(|buffer| match buffer.try_borrow_mut() {
        Ok(mut buffer) => {
            let words = (len * std::mem::size_of::<T>()).div_ceil(8);
            if buffer.len() < words {
                buffer.resize(words, 0);
            }
            // SAFETY: the words are initialised, 8-byte aligned (enough for
            // f32 and f64), hold at least `len` elements of `T`, and every
            // bit pattern is a valid float; the borrow ends with `f`.
            let elements =
                unsafe { std::slice::from_raw_parts_mut(buffer.as_mut_ptr().cast::<T>(), len) };
            f(elements)
        }
        // A nested use (none today) gets a buffer of its own.
        Err(_) => f(&mut vec![T::zero(); len]),
    })
}

/// A convolution by the direct kernel (see [`direct_conv`]), group by
/// group: `x` the batch, `w` the `[O, C/g, kh, kw]` kernels, `out` the
/// output batch of `shape`'s sizes.
fn direct_convolution<T: Float>(
    geo: &Geometry,
    shape: &direct_conv::Shape,
    x: &[T],
    w: &[T],
    bias: Option<&[T]>,
    out: &mut [MaybeUninit<T>],
) {
    let groups = geo.groups();
    let taps = shape.channels * shape.kernel[0] * shape.kernel[1];
    let packed: Vec<Vec<T>> = w
        .chunks_exact(shape.outputs * taps)
        .map(|group| direct_conv::pack_weights(group, shape.outputs, taps))
        .collect();
    let group_in = shape.channels * shape.input[0] * shape.input[1];
    let group_out = shape.outputs * shape.output[0] * shape.output[1];
    let reads = shape.taps();
    over_batch_uninit(geo, out, groups * group_out, |first, chunk| {
        let mut padded = Vec::new();
        for (i, y) in chunk.chunks_exact_mut(groups * group_out).enumerate() {
            let image = &x[(first + i) * groups * group_in..][..groups * group_in];
            for g in 0..groups {
                let bias = bias.map(|b| &b[g * shape.outputs..]);
                let (input, output) = (
                    &image[g * group_in..][..group_in],
                    &mut y[g * group_out..][..group_out],
                );
                direct_conv::convolve(shape, &reads, input, &packed[g], bias, output, &mut padded);
            }
        }
    });
}

/// `sum_images` over the whole batch: one contiguous range of images per
/// worker of the kernels' pool when the convolution is large (each returns
/// its partial sums), the partials added at the end.
fn sum_over_batch<T: Float>(
    geo: &Geometry,
    sum_images: impl Fn(std::ops::Range<usize>) -> Vec<T> + Sync,
) -> Vec<T> {
    if !geo.parallel() {
        return sum_images(0..geo.batch);
    }
    let images = geo.batch.div_ceil(crate::pool::threads());
    let partials: Vec<Vec<T>> = crate::pool::install(|| {
        (0..geo.batch.div_ceil(images))
            .into_par_iter()
            .map(|i| sum_images(i * images..((i + 1) * images).min(geo.batch)))
            .collect()
    });
    partials
        .into_iter()
        .reduce(|mut a, b| {
            a.iter_mut().zip(&b).for_each(|(a, b)| *a = a.add(*b));
            a
        })
        .expect("a batch of at least one image")
}

/// The weight gradient by the direct kernel, group by group: each worker
/// sums its images into its own packed sums, which are added and unpacked.
fn direct_weight_grad<T: Float>(
    geo: &Geometry,
    shape: &direct_conv::Shape,
    x: &[T],
    dy: &[T],
    dw: &mut [T],
) {
    let groups = geo.groups();
    let taps = shape.channels * shape.kernel[0] * shape.kernel[1];
    let packed_len = shape.outputs.div_ceil(16) * taps * 16;
    let group_in = shape.channels * shape.input[0] * shape.input[1];
    let group_out = shape.outputs * shape.output[0] * shape.output[1];
    let reads = shape.taps();
    let sum_images = |images: std::ops::Range<usize>| -> Vec<T> {
        let mut sums = vec![T::zero(); groups * packed_len];
        let (mut padded, mut transposed) = (Vec::new(), Vec::new());
        for n in images {
            for g in 0..groups {
                let image = &x[(n * groups + g) * group_in..][..group_in];
                let grad = &dy[(n * groups + g) * group_out..][..group_out];
                let acc = &mut sums[g * packed_len..(g + 1) * packed_len];
                direct_conv::weight_grad(
                    shape,
                    &reads,
                    image,
                    grad,
                    acc,
                    &mut padded,
                    &mut transposed,
                );
            }
        }
        sums
    };
    let sums = sum_over_batch(geo, sum_images);
    for (g, weights) in dw.chunks_exact_mut(shape.outputs * taps).enumerate() {
        direct_conv::unpack_weights(
            &sums[g * packed_len..(g + 1) * packed_len],
            shape.outputs,
            taps,
            weights,
        );
    }
}

/// The kernels turned 180° with their channels swapped, group by group:
/// `[O, C/g, kh, kw]` to `[C, O/g, kh, kw]`, the kernels of the input
/// gradient of a stride-1 convolution.
fn turned_kernels<T: Float>(geo: &Geometry, w: &[T]) -> Vec<T> {
    let (og, cg, taps) = (
        geo.out_group(),
        geo.in_group(),
        geo.kernel[0] * geo.kernel[1],
    );
    let mut turned = vec![T::zero(); w.len()];
    for g in 0..geo.groups() {
        for o in 0..og {
            for c in 0..cg {
                for t in 0..taps {
                    turned[((g * cg + c) * og + o) * taps + taps - 1 - t] =
                        w[((g * og + o) * cg + c) * taps + t];
                }
            }
        }
    }
    turned
}

/// A product wants at least this many columns: images with small outputs
/// are grouped so that one product covers several of them.
const PRODUCT_COLUMNS: usize = 1024;

/// A worker's buffers: the columns of a group of images side by side
/// (`[C/g·kh·kw, images·oh·ow]`) and one product's worth of output rows.
struct Scratch<'a, T> {
    cols: &'a mut [T],
    rows: &'a mut [T],
}

impl<T: Float> Scratch<'_, T> {
    /// Runs `f` with this thread's buffers sized for `geo`.
    fn with<R>(geo: &Geometry, f: impl FnOnce(&mut Scratch<'_, T>) -> R) -> R {
        let columns = geo.images_per_product() * geo.output_plane();
        let cols_len = geo.patch() * columns;
        with_scratch(cols_len + geo.out_group() * columns, |buffer| {
            let (cols, rows) = buffer.split_at_mut(cols_len);
            f(&mut Scratch { cols, rows })
        })
    }

    /// The columns of images `first..first + count`, group `g`, of the
    /// batch `x`: `[C/g·kh·kw, count·oh·ow]`.
    fn columns(&mut self, geo: &Geometry, x: &[T], first: usize, count: usize, g: usize) -> &[T] {
        let (l, ld) = (geo.output_plane(), count * geo.output_plane());
        let (image_in, group_in) = (
            geo.in_channels * geo.input_plane(),
            geo.in_group() * geo.input_plane(),
        );
        for b in 0..count {
            let group = &x[(first + b) * image_in + g * group_in..][..group_in];
            im2col(geo, group, &mut self.cols[b * l..], ld);
        }
        &self.cols[..geo.patch() * ld]
    }
}

/// Group `g`'s rows of the output gradient `dy` for images `first..first +
/// count` side by side, `[O/g, count·oh·ow]`: for one image a view of `dy`,
/// for several a copy into `rows`.
fn gradient_rows<'a, T: Float>(
    geo: &Geometry,
    dy: &'a [T],
    rows: &'a mut [T],
    first: usize,
    count: usize,
    g: usize,
) -> &'a [T] {
    let (l, og) = (geo.output_plane(), geo.out_group());
    let image = |n: usize| &dy[n * geo.out_channels * l + g * og * l..][..og * l];
    if count == 1 {
        return image(first);
    }
    let ld = count * l;
    for b in 0..count {
        for (o, src) in image(first + b).chunks_exact(l).enumerate() {
            rows[o * ld + b * l..][..l].copy_from_slice(src);
        }
    }
    &rows[..og * ld]
}

/// The matrix `[rows, cols]` stored row-major at `data`.
fn matrix<T>(data: &[T], rows: usize, cols: usize) -> MatRef<T> {
    MatRef::new(data.as_ptr(), rows, cols, cols as isize, 1)
}

/// `out (+)= a · b` where `out` is the row-major `[rows, cols]` product.
fn product<T: GemmElement>(
    a: MatRef<T>,
    b: MatRef<T>,
    out: &mut [T],
    cols: usize,
    accumulate: bool,
) {
    // SAFETY: `a` and `b` borrow live slices; every caller passes an `out`
    // of at least the product's `a.rows · cols` elements, `cols == b.cols`.
    unsafe { gemm(a, b, out.as_mut_ptr(), cols, accumulate) }
}

/// `y[n, g] = W_g · im2col(x[n, g]) (+ bias)`, several images per product
/// when their outputs are small.
fn forward<T: Float + GemmElement>(
    geo: &Geometry,
    x: &[T],
    w: &[T],
    bias: Option<&[T]>,
    out: &mut [MaybeUninit<T>],
) {
    let (k, l, og) = (geo.patch(), geo.output_plane(), geo.out_group());
    let image_out = geo.out_channels * l;
    if let Some(plan) = geo.winograd() {
        let u = winograd::transform_weights(w, geo.out_channels, geo.in_channels);
        return winograd_convolution(geo, &plan, x, &u, bias, out);
    }
    if let Some(shape) = geo.direct() {
        return direct_convolution(geo, &shape, x, w, bias, out);
    }
    over_batch(geo, out, image_out, |first, chunk| {
        Scratch::with(geo, |scratch| {
            let images = chunk.len() / image_out.max(1);
            for start in (0..images).step_by(geo.images_per_product()) {
                let count = geo.images_per_product().min(images - start);
                for g in 0..geo.groups() {
                    let weight = matrix(&w[g * og * k..], og, k);
                    if count == 1 {
                        let y = &mut chunk[start * image_out + g * og * l..][..og * l];
                        if let Some(bias) = bias {
                            for (row, &b) in y.chunks_exact_mut(l).zip(&bias[g * og..]) {
                                row.fill(b);
                            }
                        }
                        let patches = if geo.is_pointwise() {
                            let image_in = geo.in_channels * geo.input_plane();
                            let group_in = geo.in_group() * geo.input_plane();
                            &x[(first + start) * image_in + g * group_in..][..group_in]
                        } else {
                            scratch.columns(geo, x, first + start, 1, g)
                        };
                        product(weight, matrix(patches, k, l), y, l, bias.is_some());
                        continue;
                    }
                    let ld = count * l;
                    let patches = matrix(scratch.columns(geo, x, first + start, count, g), k, ld);
                    product(weight, patches, scratch.rows, ld, false);
                    // Each image's rows of the product, plus the bias, into place.
                    for b in 0..count {
                        let y = &mut chunk[(start + b) * image_out + g * og * l..][..og * l];
                        for (o, row) in y.chunks_exact_mut(l).enumerate() {
                            let shift = bias.map_or(T::zero(), |bias| bias[g * og + o]);
                            for (d, &s) in row.iter_mut().zip(&scratch.rows[o * ld + b * l..][..l])
                            {
                                *d = s.add(shift);
                            }
                        }
                    }
                }
            }
        })
    });
}

/// `dx[n, g] = col2im(W_gᵀ · dy[n, g])`, several images per product when
/// their outputs are small.
fn input_grad<T: Float + GemmElement>(
    geo: &Geometry,
    dy: &[T],
    w: &[T],
    dx: &mut [MaybeUninit<T>],
) {
    let (k, l, og) = (geo.patch(), geo.output_plane(), geo.out_group());
    let image_in = geo.in_channels * geo.input_plane();
    let group_in = geo.in_group() * geo.input_plane();
    if let Some(shape) = geo.direct_adjoint() {
        return direct_convolution(geo, &shape, dy, &turned_kernels(geo, w), None, dx);
    }
    if let Some(plan) = geo.winograd_adjoint() {
        // A stride-1 3×3 convolution's input gradient is the convolution of
        // the output gradient by the kernels turned 180° with their
        // channels swapped, `2 - padding` zeros before.
        let mut turned = vec![T::zero(); w.len()];
        let (o_count, c_count) = (geo.out_channels, geo.in_channels);
        for o in 0..o_count {
            for c in 0..c_count {
                for t in 0..9 {
                    turned[(c * o_count + o) * 9 + 8 - t] = w[(o * c_count + c) * 9 + t];
                }
            }
        }
        let u = winograd::transform_weights(&turned, c_count, o_count);
        return winograd_convolution(geo, &plan, dy, &u, None, dx);
    }
    over_batch(geo, dx, image_in, |first, chunk| {
        Scratch::with(geo, |scratch| {
            let images = chunk.len() / image_in.max(1);
            for start in (0..images).step_by(geo.images_per_product()) {
                let count = geo.images_per_product().min(images - start);
                let ld = count * l;
                for g in 0..geo.groups() {
                    let weight = matrix(&w[g * og * k..], og, k).t();
                    let grad = matrix(
                        gradient_rows(geo, dy, scratch.rows, first + start, count, g),
                        og,
                        ld,
                    );
                    if geo.is_pointwise() && count == 1 {
                        let group = &mut chunk[start * image_in + g * group_in..][..group_in];
                        product(weight, grad, group, l, false);
                        continue;
                    }
                    product(weight, grad, scratch.cols, ld, false);
                    for b in 0..count {
                        let group = &mut chunk[(start + b) * image_in + g * group_in..][..group_in];
                        col2im(geo, &scratch.cols[b * l..], group, ld);
                    }
                }
            }
        })
    });
}

/// `dW_g = Σₙ dy[n, g] · im2col(x[n, g])ᵀ`: each worker sums its images into
/// its own buffer, and the buffers are added at the end.
fn weight_grad<T: Float + GemmElement>(geo: &Geometry, x: &[T], dy: &[T], dw: &mut [T]) {
    if let Some(plan) = geo.winograd() {
        return winograd_weight_grad(geo, &plan, x, dy, dw);
    }
    if let Some(shape) = geo.direct() {
        return direct_weight_grad(geo, &shape, x, dy, dw);
    }
    let (k, l, og) = (geo.patch(), geo.output_plane(), geo.out_group());
    let sum_images = |images: std::ops::Range<usize>, acc: &mut [T]| {
        Scratch::with(geo, |scratch| {
            for (i, start) in images.clone().step_by(geo.images_per_product()).enumerate() {
                let count = geo.images_per_product().min(images.end - start);
                let ld = count * l;
                for g in 0..geo.groups() {
                    let patches = matrix(scratch.columns(geo, x, start, count, g), k, ld).t();
                    let rows = matrix(
                        gradient_rows(geo, dy, scratch.rows, start, count, g),
                        og,
                        ld,
                    );
                    product(
                        rows,
                        patches,
                        &mut acc[g * og * k..(g + 1) * og * k],
                        k,
                        i > 0,
                    );
                }
            }
        })
    };
    if !geo.parallel() {
        return sum_images(0..geo.batch, dw);
    }
    let images = geo.batch.div_ceil(crate::pool::threads());
    let partials: Vec<Vec<T>> = crate::pool::install(|| {
        (0..geo.batch.div_ceil(images))
            .into_par_iter()
            .map(|i| {
                let mut acc = vec![T::zero(); dw.len()];
                sum_images(i * images..((i + 1) * images).min(geo.batch), &mut acc);
                acc
            })
            .collect()
    });
    dw.copy_from_slice(&partials[0]);
    for partial in &partials[1..] {
        dw.iter_mut().zip(partial).for_each(|(d, p)| *d = d.add(*p));
    }
}

/// Shape checks shared by the three kernels, with PyTorch's messages.
/// `input` is `[N, C, H, W]`, `weight` `[O, C/g, kh, kw]`.
fn geometry(
    op: &'static str,
    input: &[usize],
    weight: &[usize],
    params: ConvParams,
) -> Result<Geometry> {
    params.check(op)?;
    if weight.len() != 4 {
        return Err(TensorError::invalid(
            op,
            format!("expected a 4-D weight [out_channels, in_channels/groups, kH, kW], but got weight of size {weight:?}"),
        ));
    }
    if input.len() != 4 {
        return Err(TensorError::invalid(
            op,
            format!("Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: {input:?}"),
        ));
    }
    let g = params.groups;
    if !weight[0].is_multiple_of(g) {
        return Err(TensorError::invalid(
            op,
            // PyTorch's message prints the size in double brackets.
            format!("Given groups={g}, expected weight to be divisible by {g} at dimension 0, but got weight of size [{weight:?}] instead"),
        ));
    }
    if input[1] != weight[1] * g {
        return Err(TensorError::invalid(
            op,
            format!(
                "Given groups={g}, weight of size {weight:?}, expected input{input:?} to have {} channels, but got {} channels instead",
                weight[1] * g,
                input[1]
            ),
        ));
    }
    let (spatial, kernel) = ([input[2], input[3]], [weight[2], weight[3]]);
    let output = params.output_size(spatial, kernel).ok_or_else(|| {
        let padded = |i: usize| spatial[i] + params.padding[i] + params.padding_end[i];
        let span = |i: usize| params.dilation[i] * (kernel[i].max(1) - 1) + 1;
        TensorError::invalid(
            op,
            format!(
                "Calculated padded input size per channel: ({} x {}). Kernel size: ({} x {}). Kernel size can't be greater than actual input size",
                padded(0), padded(1), span(0), span(1)
            ),
        )
    })?;
    Ok(Geometry {
        batch: input[0],
        in_channels: input[1],
        out_channels: weight[0],
        input: spatial,
        kernel,
        output,
        params,
    })
}

/// The float dtype both operands share, or PyTorch's error.
fn float_dtype(op: &'static str, a: &Tensor, b: &Tensor) -> Result<DType> {
    match a.dtype() {
        DType::Float32 | DType::Float64 => {
            b.expect_dtype(op, a.dtype())?;
            Ok(a.dtype())
        }
        _ => a.expect_dtype(op, DType::Float32).map(|_| unreachable!()),
    }
}

impl Tensor {
    /// 2-D convolution (cross-correlation, as in PyTorch) of a batch
    /// `[N, C, H, W]` with `weight` `[O, C/groups, kH, kW]` and an optional
    /// `bias` `[O]`: `[N, O, oH, oW]`. PyTorch equivalent:
    /// `F.conv2d(input, weight, bias, stride, padding, dilation, groups)`.
    ///
    /// # Errors
    /// PyTorch's errors for shapes that do not fit (channels, groups, a
    /// kernel larger than the padded input), a zero stride or dilation, and
    /// dtypes other than float32 and float64 (all operands alike).
    pub fn try_conv2d(
        &self,
        weight: &Tensor,
        bias: Option<&Tensor>,
        params: ConvParams,
    ) -> Result<Tensor> {
        const OP: &str = "conv2d";
        let dtype = float_dtype(OP, self, weight)?;
        let geo = geometry(OP, self.shape(), weight.shape(), params)?;
        if let Some(bias) = bias {
            bias.expect_dtype(OP, dtype)?;
            if bias.shape() != [geo.out_channels] {
                return Err(TensorError::invalid(
                    OP,
                    format!(
                        "expected bias of size [{}], but got bias of size {:?}",
                        geo.out_channels,
                        bias.shape()
                    ),
                ));
            }
        }
        let shape = [geo.batch, geo.out_channels, geo.output[0], geo.output[1]];
        checked_numel(OP, &shape)?;
        let (x, w) = (self.contiguous(), weight.contiguous());
        let b = bias.map(Tensor::contiguous);
        float_kernel!(dtype, T => {
            let (xr, wr) = (x.read::<T>(), w.read::<T>());
            let br = b.as_ref().map(|b| b.read::<T>());
            let bias = br.as_ref().map(|b| b.slice().expect("contiguous"));
            let (xs, ws) = (xr.slice().expect("contiguous"), wr.slice().expect("contiguous"));
            // SAFETY: `forward` writes every output element (`over_batch`
            // zeroes each chunk before its kernel runs).
            unsafe {
                Tensor::try_build_uninit::<T>(OP, &shape, |out| forward(&geo, xs, ws, bias, out))
            }
        })
    }

    /// Panicking form of [`try_conv2d`](Tensor::try_conv2d).
    ///
    /// # Panics
    /// Where [`try_conv2d`](Tensor::try_conv2d) returns an error, with its message.
    #[track_caller]
    pub fn conv2d(&self, weight: &Tensor, bias: Option<&Tensor>, params: ConvParams) -> Tensor {
        or_panic(self.try_conv2d(weight, bias, params))
    }

    /// The gradient of [`conv2d`](Tensor::conv2d) with respect to its input,
    /// given the output gradient `self` `[N, O, oH, oW]`, the weight and the
    /// input's spatial size: `[N, C, H, W]`. It is also the transposed
    /// convolution (`F.conv_transpose2d` with weight `[C, O/groups, kH, kW]`
    /// read as this weight). PyTorch equivalent:
    /// `torch.nn.grad.conv2d_input(input_size, weight, grad_output, ...)`.
    ///
    /// # Errors
    /// If the shapes are inconsistent with a convolution of an input of
    /// that size, or the dtypes differ or are not floating point.
    pub fn try_conv2d_input_grad(
        &self,
        weight: &Tensor,
        params: ConvParams,
        input_size: [usize; 2],
    ) -> Result<Tensor> {
        const OP: &str = "conv2d_input_grad";
        let dtype = float_dtype(OP, self, weight)?;
        let (gs, ws) = (self.shape(), weight.shape());
        if gs.len() != 4 || ws.len() != 4 {
            return Err(TensorError::invalid(
                OP,
                format!("expected 4-D grad and weight, but got {gs:?} and {ws:?}"),
            ));
        }
        let input = [
            gs[0],
            ws[1] * params.groups.max(1),
            input_size[0],
            input_size[1],
        ];
        let geo = geometry(OP, &input, ws, params)?;
        geo.expect_output(OP, gs)?;
        checked_numel(OP, &input)?;
        let (g, w) = (self.contiguous(), weight.contiguous());
        float_kernel!(dtype, T => {
            let (gr, wr) = (g.read::<T>(), w.read::<T>());
            let (gs, ws) = (gr.slice().expect("contiguous"), wr.slice().expect("contiguous"));
            // SAFETY: as in the forward, through `over_batch`.
            unsafe {
                Tensor::try_build_uninit::<T>(OP, &input, |out| input_grad(&geo, gs, ws, out))
            }
        })
    }

    /// The gradient of [`conv2d`](Tensor::conv2d) with respect to its
    /// weight, given the input `self` `[N, C, H, W]`, the output gradient
    /// `[N, O, oH, oW]` and the kernel's size: `[O, C/groups, kH, kW]`.
    /// PyTorch equivalent: `torch.nn.grad.conv2d_weight(input, weight_size, grad_output, ...)`.
    ///
    /// # Errors
    /// If the shapes are inconsistent with that convolution, or the dtypes
    /// differ or are not floating point.
    pub fn try_conv2d_weight_grad(
        &self,
        grad: &Tensor,
        params: ConvParams,
        kernel_size: [usize; 2],
    ) -> Result<Tensor> {
        const OP: &str = "conv2d_weight_grad";
        let dtype = float_dtype(OP, self, grad)?;
        let (xs, gs) = (self.shape(), grad.shape());
        if xs.len() != 4 || gs.len() != 4 || params.groups == 0 || xs[1] % params.groups != 0 {
            return Err(TensorError::invalid(
                OP,
                format!("expected a 4-D input and grad whose channels divide into {} groups, but got {xs:?} and {gs:?}", params.groups),
            ));
        }
        let weight = [gs[1], xs[1] / params.groups, kernel_size[0], kernel_size[1]];
        let geo = geometry(OP, xs, &weight, params)?;
        geo.expect_output(OP, gs)?;
        checked_numel(OP, &weight)?;
        let (x, g) = (self.contiguous(), grad.contiguous());
        float_kernel!(dtype, T => {
            let (xr, gr) = (x.read::<T>(), g.read::<T>());
            let (xs, gs) = (xr.slice().expect("contiguous"), gr.slice().expect("contiguous"));
            Tensor::try_build::<T>(OP, &weight, |out| {
                if geo.batch > 0 && geo.output_plane() > 0 {
                    weight_grad(&geo, xs, gs, out)
                }
            })
        })
    }
}
