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

use crate::alloc::checked_numel;
use crate::arith::Float;
use crate::dtype::DType;
use crate::error::{Result, TensorError};
use crate::matmul::{gemm, GemmElement, MatRef};
use crate::tensor::{or_panic, Tensor};

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

/// Copies one image group's patches (`[C/g, h, w]` at `image`) into `cols`
/// (`[C/g·kh·kw, oh·ow]`), zeros where a patch reaches into the padding.
fn im2col<T: Float>(geo: &Geometry, image: &[T], cols: &mut [T]) {
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
                let row = ((c * kh + ki) * kw + kj) * out_plane;
                let row = &mut cols[row..row + out_plane];
                row.fill(T::zero());
                if x_lo == x_hi {
                    continue;
                }
                for oy in y_lo..y_hi {
                    let iy = oy * sh + ki * dh - ph;
                    let src = &plane[iy * w..(iy + 1) * w];
                    let dst = &mut row[oy * ow..(oy + 1) * ow];
                    let x0 = x_lo * sw + kj * dw - pw;
                    if sw == 1 {
                        dst[x_lo..x_hi].copy_from_slice(&src[x0..x0 + (x_hi - x_lo)]);
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

/// Adds the columns `cols` back onto their image positions in `image`, the
/// adjoint of [`im2col`]: overlapping patches add up.
fn col2im<T: Float>(geo: &Geometry, cols: &[T], image: &mut [T]) {
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
                let row = ((c * kh + ki) * kw + kj) * out_plane;
                let row = &cols[row..row + out_plane];
                if x_lo == x_hi {
                    continue;
                }
                for oy in y_lo..y_hi {
                    let iy = oy * sh + ki * dh - ph;
                    let dst = &mut plane[iy * w..(iy + 1) * w];
                    let src = &row[oy * ow + x_lo..oy * ow + x_hi];
                    let x0 = x_lo * sw + kj * dw - pw;
                    for (d, s) in dst[x0..].iter_mut().step_by(sw).zip(src) {
                        *d = d.add(*s);
                    }
                }
            }
        }
    }
}

/// Runs `work(first_image, images, scratch)` over the batch: split into one
/// contiguous chunk per worker of the kernels' pool when the convolution is
/// large, else in one piece on this thread. `per_image` is the length of the
/// output each image owns in `out`; each chunk gets a zeroed scratch buffer of
/// `scratch` elements.
fn over_batch<T: Float>(
    geo: &Geometry,
    out: &mut [T],
    per_image: usize,
    scratch: usize,
    work: impl Fn(usize, &mut [T], &mut Vec<T>) + Sync,
) {
    let run = |first: usize, chunk: &mut [T]| {
        let mut buffer = vec![T::zero(); scratch];
        work(first, chunk, &mut buffer);
    };
    if !geo.parallel() || per_image == 0 {
        return run(0, out);
    }
    let threads = crate::pool::threads();
    let images = geo.batch.div_ceil(threads);
    crate::pool::install(|| {
        out.par_chunks_mut(images * per_image)
            .enumerate()
            .for_each(|(i, chunk)| run(i * images, chunk));
    });
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
    // of exactly the product's `a.rows · cols` elements, `cols == b.cols`.
    unsafe { gemm(a, b, out.as_mut_ptr(), cols, accumulate) }
}

/// `y[n, g] = W_g · im2col(x[n, g]) (+ bias)`.
fn forward<T: Float + GemmElement>(
    geo: &Geometry,
    x: &[T],
    w: &[T],
    bias: Option<&[T]>,
    out: &mut [T],
) {
    let (k, l, og) = (geo.patch(), geo.output_plane(), geo.out_group());
    let image_in = geo.in_channels * geo.input_plane();
    let image_out = geo.out_channels * l;
    let group_in = geo.in_group() * geo.input_plane();
    let scratch = if geo.is_pointwise() { 0 } else { k * l };
    over_batch(geo, out, image_out, scratch, |first, chunk, cols| {
        for (i, y) in chunk.chunks_exact_mut(image_out).enumerate() {
            let image = &x[(first + i) * image_in..(first + i + 1) * image_in];
            if let Some(bias) = bias {
                for (row, &b) in y.chunks_exact_mut(l).zip(bias) {
                    row.fill(b);
                }
            }
            for g in 0..geo.groups() {
                let group = &image[g * group_in..(g + 1) * group_in];
                let patches = if geo.is_pointwise() {
                    group
                } else {
                    im2col(geo, group, cols);
                    &cols[..]
                };
                product(
                    matrix(&w[g * og * k..], og, k),
                    matrix(patches, k, l),
                    &mut y[g * og * l..(g + 1) * og * l],
                    l,
                    bias.is_some(),
                );
            }
        }
    });
}

/// `dx[n, g] = col2im(W_gᵀ · dy[n, g])`.
fn input_grad<T: Float + GemmElement>(geo: &Geometry, dy: &[T], w: &[T], dx: &mut [T]) {
    let (k, l, og) = (geo.patch(), geo.output_plane(), geo.out_group());
    let image_in = geo.in_channels * geo.input_plane();
    let image_out = geo.out_channels * l;
    let group_in = geo.in_group() * geo.input_plane();
    let scratch = if geo.is_pointwise() { 0 } else { k * l };
    over_batch(geo, dx, image_in, scratch, |first, chunk, cols| {
        for (i, image) in chunk.chunks_exact_mut(image_in).enumerate() {
            let grad = &dy[(first + i) * image_out..(first + i + 1) * image_out];
            for g in 0..geo.groups() {
                let weight = matrix(&w[g * og * k..], og, k).t();
                let grad = matrix(&grad[g * og * l..], og, l);
                let group = &mut image[g * group_in..(g + 1) * group_in];
                if geo.is_pointwise() {
                    product(weight, grad, group, l, false);
                } else {
                    product(weight, grad, cols, l, false);
                    col2im(geo, cols, group);
                }
            }
        }
    });
}

/// `dW_g = Σₙ dy[n, g] · im2col(x[n, g])ᵀ`: each worker sums its images into
/// its own buffer, and the buffers are added at the end.
fn weight_grad<T: Float + GemmElement>(geo: &Geometry, x: &[T], dy: &[T], dw: &mut [T]) {
    let (k, l, og) = (geo.patch(), geo.output_plane(), geo.out_group());
    let image_in = geo.in_channels * geo.input_plane();
    let image_out = geo.out_channels * l;
    let group_in = geo.in_group() * geo.input_plane();
    let cols_len = if geo.is_pointwise() { 0 } else { k * l };
    let weight_len = dw.len();
    let sum_images = |images: std::ops::Range<usize>, acc: &mut [T], cols: &mut [T]| {
        for (i, n) in images.enumerate() {
            let image = &x[n * image_in..(n + 1) * image_in];
            let grad = &dy[n * image_out..(n + 1) * image_out];
            for g in 0..geo.groups() {
                let group = &image[g * group_in..(g + 1) * group_in];
                let patches = if geo.is_pointwise() {
                    group
                } else {
                    im2col(geo, group, cols);
                    &cols[..]
                };
                product(
                    matrix(&grad[g * og * l..], og, l),
                    matrix(patches, k, l).t(),
                    &mut acc[g * og * k..(g + 1) * og * k],
                    k,
                    i > 0,
                );
            }
        }
    };
    if !geo.parallel() {
        let mut cols = vec![T::zero(); cols_len];
        return sum_images(0..geo.batch, dw, &mut cols);
    }
    let threads = crate::pool::threads();
    let images = geo.batch.div_ceil(threads);
    let partials: Vec<Vec<T>> = crate::pool::install(|| {
        (0..geo.batch.div_ceil(images))
            .into_par_iter()
            .map(|i| {
                let mut acc = vec![T::zero(); weight_len];
                let mut cols = vec![T::zero(); cols_len];
                sum_images(
                    i * images..((i + 1) * images).min(geo.batch),
                    &mut acc,
                    &mut cols,
                );
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
    if weight[0] % g != 0 {
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

/// Runs `f::<f32>` or `f::<f64>` for `dtype`.
macro_rules! float_kernel {
    ($dtype:expr, $T:ident => $body:expr) => {
        match $dtype {
            DType::Float64 => {
                type $T = f64;
                $body
            }
            _ => {
                type $T = f32;
                $body
            }
        }
    };
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
            Tensor::try_build::<T>(OP, &shape, |out| forward(&geo, xs, ws, bias, out))
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
        if gs != [geo.batch, geo.out_channels, geo.output[0], geo.output[1]] {
            return Err(TensorError::invalid(
                OP,
                format!(
                    "a convolution of an input of size {input:?} by a weight of size {ws:?} gives an output of size {:?}, not {gs:?}",
                    [geo.batch, geo.out_channels, geo.output[0], geo.output[1]]
                ),
            ));
        }
        checked_numel(OP, &input)?;
        let (g, w) = (self.contiguous(), weight.contiguous());
        float_kernel!(dtype, T => {
            let (gr, wr) = (g.read::<T>(), w.read::<T>());
            let (gs, ws) = (gr.slice().expect("contiguous"), wr.slice().expect("contiguous"));
            Tensor::try_build::<T>(OP, &input, |out| input_grad(&geo, gs, ws, out))
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
        if gs != [geo.batch, geo.out_channels, geo.output[0], geo.output[1]] {
            return Err(TensorError::invalid(
                OP,
                format!(
                    "a convolution of an input of size {xs:?} by a weight of size {weight:?} gives an output of size {:?}, not {gs:?}",
                    [geo.batch, geo.out_channels, geo.output[0], geo.output[1]]
                ),
            ));
        }
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
