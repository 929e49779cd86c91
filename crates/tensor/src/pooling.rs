//! 2-D pooling over the last two dims: max (with the argmax of each window)
//! and average, with sliding windows (`max_pool2d`, `avg_pool2d`) or
//! adaptive ones (`adaptive_*_pool2d`). A [`PoolWindows`] lists, per axis,
//! which input positions each output reads, so one kernel serves every form.

use rayon::prelude::*;

use crate::arith::Float;
use crate::dtype::{float_kernel, DType};
use crate::error::{Result, TensorError};
use crate::tensor::Tensor;

/// Pooling over more elements than this splits the planes across the kernels' pool.
const PARALLEL_ELEMENTS: usize = 1 << 16;

/// The input positions `first, first + step, … < end` along one axis, and
/// the divisor they contribute to an average.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    first: usize,
    end: usize,
    divisor: usize,
}

/// One axis of a pooling: a span per output position.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Axis {
    spans: Vec<Span>,
    step: usize,
}

/// Which input elements each output of a 2-D pooling reads (per axis: the
/// height's and the width's windows), for an input of a given spatial size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolWindows {
    axes: [Axis; 2],
    input: [usize; 2],
}

/// PyTorch's `pooling_output_shape`: the number of windows along an axis.
fn sliding_outputs(
    input: usize,
    kernel: usize,
    stride: usize,
    pad: usize,
    dilation: usize,
    ceil_mode: bool,
) -> isize {
    let (input, kernel, stride, pad, dilation) = (
        input as isize,
        kernel as isize,
        stride as isize,
        pad as isize,
        dilation as isize,
    );
    let numerator =
        input + 2 * pad - dilation * (kernel - 1) - 1 + if ceil_mode { stride - 1 } else { 0 };
    let mut out = numerator.div_euclid(stride) + 1;
    // The last window must start inside the input or its left padding.
    if ceil_mode && (out - 1) * stride >= input + pad {
        out -= 1;
    }
    out
}

/// Sliding-window options, validated as PyTorch's `pool2d_shape_check` does.
struct Sliding {
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: [usize; 2],
    dilation: [usize; 2],
    ceil_mode: bool,
}

impl Sliding {
    /// The output's spatial size for an input of `shape` (spatial dims last).
    fn output(&self, op: &'static str, shape: &[usize]) -> Result<[usize; 2]> {
        let input = spatial_of(op, shape)?;
        let planes = if shape.len() >= 3 {
            shape[shape.len() - 3]
        } else {
            1
        };
        let [kh, kw] = self.kernel;
        let [sh, sw] = self.stride;
        if kh == 0 || kw == 0 {
            return Err(TensorError::invalid(
                op,
                format!("kernel size should be greater than zero, but got kH: {kh} kW: {kw}"),
            ));
        }
        if sh == 0 || sw == 0 {
            return Err(TensorError::invalid(
                op,
                format!("stride should be greater than zero, but got dH: {sh} dW: {sw}"),
            ));
        }
        if self.dilation.contains(&0) {
            return Err(TensorError::invalid(
                op,
                format!(
                    "dilation should be greater than zero, but got dilationH: {} dilationW: {}",
                    self.dilation[0], self.dilation[1]
                ),
            ));
        }
        for i in 0..2 {
            if self.padding[i] > self.kernel[i] / 2 {
                return Err(TensorError::invalid(
                    op,
                    format!(
                        "pad should be at most half of effective kernel size, but got pad={}, kernel_size={} and dilation={}",
                        self.padding[i], self.kernel[i], self.dilation[i]
                    ),
                ));
            }
        }
        let out = [0, 1].map(|i| {
            sliding_outputs(
                input[i],
                self.kernel[i],
                self.stride[i],
                self.padding[i],
                self.dilation[i],
                self.ceil_mode,
            )
        });
        if out[0] < 1 || out[1] < 1 {
            return Err(TensorError::invalid(
                op,
                format!(
                    "Given input size: ({planes}x{}x{}). Calculated output size: ({planes}x{}x{}). Output size is too small",
                    input[0], input[1], out[0], out[1]
                ),
            ));
        }
        Ok([out[0] as usize, out[1] as usize])
    }
}

/// The last two dims of `shape`.
fn spatial_of(op: &'static str, shape: &[usize]) -> Result<[usize; 2]> {
    match shape {
        [.., h, w] => Ok([*h, *w]),
        _ => Err(TensorError::invalid(
            op,
            format!("expected an input of at least 2 dims, but got size {shape:?}"),
        )),
    }
}

impl PoolWindows {
    /// The windows of `max_pool2d` over an input of `shape` (its last two
    /// dims pooled): PyTorch's output size (with `ceil_mode`) and checks.
    ///
    /// # Errors
    /// A zero kernel, stride or dilation, padding over half the kernel, or
    /// an output smaller than 1, with PyTorch's messages.
    pub fn try_max(
        shape: &[usize],
        kernel: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
        dilation: [usize; 2],
        ceil_mode: bool,
    ) -> Result<PoolWindows> {
        let sliding = Sliding {
            kernel,
            stride,
            padding,
            dilation,
            ceil_mode,
        };
        let output = sliding.output("max_pool2d", shape)?;
        let input = spatial_of("max_pool2d", shape)?;
        let axes = [0, 1].map(|i| {
            let (s, p, d, k, n) = (
                stride[i] as isize,
                padding[i] as isize,
                dilation[i] as isize,
                kernel[i] as isize,
                input[i] as isize,
            );
            let spans = (0..output[i] as isize)
                .map(|o| {
                    let mut start = o * s - p;
                    let end = (start + (k - 1) * d + 1).min(n);
                    while start < 0 {
                        start += d;
                    }
                    Span {
                        first: start as usize,
                        end: end.max(start) as usize,
                        divisor: 1,
                    }
                })
                .collect();
            Axis {
                spans,
                step: dilation[i],
            }
        });
        Ok(PoolWindows { axes, input })
    }

    /// The windows of `avg_pool2d`: PyTorch's output size and checks, and
    /// each window's divisor (its size within the padded input if
    /// `count_include_pad`, else within the input).
    ///
    /// # Errors
    /// As [`try_max`](PoolWindows::try_max).
    pub fn try_avg(
        shape: &[usize],
        kernel: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
        ceil_mode: bool,
        count_include_pad: bool,
    ) -> Result<PoolWindows> {
        let sliding = Sliding {
            kernel,
            stride,
            padding,
            dilation: [1, 1],
            ceil_mode,
        };
        let output = sliding.output("avg_pool2d", shape)?;
        let input = spatial_of("avg_pool2d", shape)?;
        let axes = [0, 1].map(|i| {
            let (s, p, k, n) = (
                stride[i] as isize,
                padding[i] as isize,
                kernel[i] as isize,
                input[i] as isize,
            );
            let spans = (0..output[i] as isize)
                .map(|o| {
                    let start = o * s - p;
                    let end = (start + k).min(n + p);
                    let padded = (end - start) as usize;
                    let (first, end) = (start.max(0), end.min(n));
                    let inside = (end - first).max(0) as usize;
                    Span {
                        first: first as usize,
                        end: end.max(first) as usize,
                        divisor: if count_include_pad { padded } else { inside },
                    }
                })
                .collect();
            Axis { spans, step: 1 }
        });
        Ok(PoolWindows { axes, input })
    }

    /// The windows of `adaptive_{avg,max}_pool2d` of an input of `shape`
    /// to `output` (height, width): output `o` of `n` reads
    /// `floor(o·in/n) .. ceil((o+1)·in/n)`.
    ///
    /// # Errors
    /// An output size of 0 for a non-empty input.
    pub fn try_adaptive(shape: &[usize], output: [usize; 2]) -> Result<PoolWindows> {
        let input = spatial_of("adaptive_pool2d", shape)?;
        if (output[0] == 0 || output[1] == 0) && input[0] * input[1] > 0 {
            return Err(TensorError::invalid(
                "adaptive_pool2d",
                format!("output size must be positive, but got {output:?}"),
            ));
        }
        let axes = [0, 1].map(|i| {
            let (n, out) = (input[i], output[i]);
            let spans = (0..out)
                .map(|o| {
                    let first = o * n / out;
                    let end = ((o + 1) * n).div_ceil(out);
                    Span {
                        first,
                        end,
                        divisor: end - first,
                    }
                })
                .collect();
            Axis { spans, step: 1 }
        });
        Ok(PoolWindows { axes, input })
    }

    /// The output's spatial size (height, width).
    pub fn output_size(&self) -> [usize; 2] {
        [self.axes[0].spans.len(), self.axes[1].spans.len()]
    }

    /// The input's spatial size these windows were made for.
    pub fn input_size(&self) -> [usize; 2] {
        self.input
    }

    fn output_plane(&self) -> usize {
        self.axes[0].spans.len() * self.axes[1].spans.len()
    }

    fn input_plane(&self) -> usize {
        self.input[0] * self.input[1]
    }

    /// Calls `f(output_index, row_span, col_span)` for every output of a plane.
    #[inline(always)]
    fn each(&self, mut f: impl FnMut(usize, Span, Span)) {
        let cols = self.axes[1].spans.len();
        for (i, &r) in self.axes[0].spans.iter().enumerate() {
            for (j, &c) in self.axes[1].spans.iter().enumerate() {
                f(i * cols + j, r, c);
            }
        }
    }

    /// The maximum of each window of `plane` into `out`, its flat index
    /// (`h · W + w`) into `indices`; a NaN wins, as in PyTorch.
    fn max_plane<T: Float + OrderedKey>(&self, plane: &[T], out: &mut [T], indices: &mut [i64]) {
        let (w, rs, cs) = (self.input[1], self.axes[0].step, self.axes[1].step);
        self.each(|o, r, c| {
            // Compared as ordered integers (PyTorch's `v > best` for every
            // non-NaN value), which compile to conditional moves: on real
            // data no branch predictor guesses these comparisons. NaNs are
            // tracked apart: the last one wins, as in PyTorch.
            let mut best = T::from_f64(f64::NEG_INFINITY).key();
            let mut at = r.first * w + c.first;
            let mut nan_at = usize::MAX;
            let mut y = r.first;
            while y < r.end {
                let row = &plane[y * w..(y + 1) * w];
                let mut x = c.first;
                while x < c.end {
                    let v = row[x];
                    // `+ 0`: -0 and +0 are equal, as `>` sees them.
                    let key = v.add(T::zero()).key();
                    let pos = y * w + x;
                    at = if key > best { pos } else { at };
                    best = best.max(key);
                    nan_at = if v.is_nan() { pos } else { nan_at };
                    x += cs;
                }
                y += rs;
            }
            let at = if nan_at == usize::MAX { at } else { nan_at };
            // A window always holds an element (padding is at most half the kernel).
            (out[o], indices[o]) = (plane[at], at as i64);
        });
    }

    /// The divisor of an average over the window `(r, c)`.
    fn divisor(r: Span, c: Span, divisor_override: Option<usize>) -> usize {
        divisor_override.unwrap_or(r.divisor * c.divisor)
    }

    fn avg_plane<T: Float>(&self, plane: &[T], out: &mut [T], divisor_override: Option<usize>) {
        let w = self.input[1];
        self.each(|o, r, c| {
            let mut sum = T::zero();
            for y in r.first..r.end {
                for &v in &plane[y * w + c.first..y * w + c.end.max(c.first)] {
                    sum = sum.add(v);
                }
            }
            let divisor = Self::divisor(r, c, divisor_override);
            out[o] = if r.first >= r.end || c.first >= c.end {
                T::zero()
            } else {
                sum.div(T::from_f64(divisor as f64))
            };
        });
    }

    fn avg_backward_plane<T: Float>(
        &self,
        grad: &[T],
        plane: &mut [T],
        divisor_override: Option<usize>,
    ) {
        let w = self.input[1];
        self.each(|o, r, c| {
            let share = grad[o].div(T::from_f64(Self::divisor(r, c, divisor_override) as f64));
            for y in r.first..r.end {
                for v in &mut plane[y * w + c.first..y * w + c.end.max(c.first)] {
                    *v = v.add(share);
                }
            }
        });
    }

    /// The leading dims of `x` (its planes) and a check that its last two dims are this input's.
    fn planes(&self, op: &'static str, x: &Tensor, spatial: [usize; 2]) -> Result<Vec<usize>> {
        let shape = x.shape();
        if shape.len() < 2 || shape[shape.len() - 2..] != spatial {
            return Err(TensorError::invalid(
                op,
                format!(
                    "expected a tensor whose last two dims are {spatial:?}, but got size {shape:?}"
                ),
            ));
        }
        match x.dtype() {
            DType::Float32 | DType::Float64 => Ok(shape[..shape.len() - 2].to_vec()),
            _ => x.expect_dtype(op, DType::Float32).map(|_| unreachable!()),
        }
    }
}

/// Whether work over `elements` stays on the calling thread.
fn is_serial(elements: usize) -> bool {
    elements < PARALLEL_ELEMENTS
        || rayon::current_thread_index().is_some()
        || crate::pool::threads() == 1
}

/// Floats mapped to integers in the same order (for every non-NaN value),
/// so that max pooling compares integers.
trait OrderedKey: Sized {
    fn key(self) -> i64;
}

macro_rules! ordered_key {
    ($($t:ty => $signed:ty, $unsigned:ty);*) => {$(
        impl OrderedKey for $t {
            #[inline(always)]
            fn key(self) -> i64 {
                // Negative floats order backwards as integers: flip their magnitude bits.
                let bits = self.to_bits() as $signed;
                (bits ^ (((bits >> (<$signed>::BITS - 1)) as $unsigned) >> 1) as $signed) as i64
            }
        }
    )*};
}
ordered_key!(f32 => i32, u32; f64 => i64, u64);

/// Runs `f(input_plane, output_plane)` for every plane, across
/// the kernels' pool when there is enough work.
fn per_plane<T: Float, U: Send>(
    input: &[T],
    in_plane: usize,
    out: &mut [U],
    out_plane: usize,
    work: impl Fn(&[T], &mut [U]) + Sync,
) {
    if in_plane == 0 || out_plane == 0 {
        return;
    }
    if is_serial(input.len() + out.len()) {
        input
            .chunks_exact(in_plane)
            .zip(out.chunks_exact_mut(out_plane))
            .for_each(|(i, o)| work(i, o));
    } else {
        crate::pool::install(|| {
            input
                .par_chunks_exact(in_plane)
                .zip(out.par_chunks_exact_mut(out_plane))
                .for_each(|(i, o)| work(i, o));
        });
    }
}

impl Tensor {
    /// The maximum of each window over the last two dims, and where it is
    /// (int64 flat indices `h · W + w` into each plane, as PyTorch's
    /// `return_indices=True` gives). PyTorch equivalent:
    /// `F.max_pool2d(x, ..., return_indices=True)` /
    /// `F.adaptive_max_pool2d(x, size, return_indices=True)`.
    ///
    /// # Errors
    /// If the last two dims are not the windows' input size, or the dtype
    /// is not floating point.
    pub fn try_max_pool2d(&self, windows: &PoolWindows) -> Result<(Tensor, Tensor)> {
        const OP: &str = "max_pool2d";
        let mut shape = windows.planes(OP, self, windows.input)?;
        shape.extend(windows.output_size());
        let (in_plane, out_plane) = (windows.input_plane(), windows.output_plane());
        let x = self.contiguous();
        let indices = Tensor::try_zeros_of(OP, DType::Int64, &shape)?;
        let values = float_kernel!(self.dtype(), T => {
            let reader = x.read::<T>();
            let input = reader.slice().expect("contiguous");
            let mut at = indices.write::<i64>(OP)?;
            let at = at.slice_mut().expect("new tensors are contiguous");
            Tensor::try_build::<T>(OP, &shape, |out| {
                if in_plane == 0 || out_plane == 0 {
                    return;
                }
                let planes = input.len() / in_plane;
                if is_serial(input.len() + out.len()) {
                    for (p, (o, i)) in out.chunks_exact_mut(out_plane).zip(at.chunks_exact_mut(out_plane)).enumerate() {
                        windows.max_plane(&input[p * in_plane..(p + 1) * in_plane], o, i);
                    }
                } else {
                    crate::pool::install(|| {
                        (0..planes)
                            .into_par_iter()
                            .zip(out.par_chunks_exact_mut(out_plane))
                            .zip(at.par_chunks_exact_mut(out_plane))
                            .for_each(|((p, o), i)| windows.max_plane(&input[p * in_plane..(p + 1) * in_plane], o, i));
                    });
                }
            })?
        });
        Ok((values, indices))
    }

    /// The mean of each window over the last two dims, divided by
    /// `divisor_override` if given. PyTorch equivalent:
    /// `F.avg_pool2d(x, ...)` / `F.adaptive_avg_pool2d(x, size)`.
    ///
    /// # Errors
    /// As [`try_max_pool2d`](Tensor::try_max_pool2d); a zero `divisor_override`.
    pub fn try_avg_pool2d(
        &self,
        windows: &PoolWindows,
        divisor_override: Option<usize>,
    ) -> Result<Tensor> {
        const OP: &str = "avg_pool2d";
        if divisor_override == Some(0) {
            return Err(TensorError::invalid(OP, "divisor must be not zero"));
        }
        let mut shape = windows.planes(OP, self, windows.input)?;
        shape.extend(windows.output_size());
        let (in_plane, out_plane) = (windows.input_plane(), windows.output_plane());
        let x = self.contiguous();
        float_kernel!(self.dtype(), T => {
            let reader = x.read::<T>();
            let input = reader.slice().expect("contiguous");
            Tensor::try_build::<T>(OP, &shape, |out| {
                per_plane(input, in_plane, out, out_plane, |plane, out| {
                    windows.avg_plane(plane, out, divisor_override)
                })
            })
        })
    }

    /// The gradient of [`max_pool2d`](Tensor::try_max_pool2d) with respect
    /// to its input: each output's gradient `self` added at its window's
    /// argmax (`indices`, flat per plane), into zeros of the input's size.
    /// PyTorch equivalent: `torch.ops.aten.max_pool2d_with_indices_backward`.
    ///
    /// # Errors
    /// If `self` and `indices` differ in shape, the last two dims of `self`
    /// are not the windows' output size, or an index is outside its plane.
    pub fn try_max_pool2d_backward(
        &self,
        windows: &PoolWindows,
        indices: &Tensor,
    ) -> Result<Tensor> {
        const OP: &str = "max_pool2d_backward";
        let mut shape = windows.planes(OP, self, windows.output_size())?;
        indices.expect_dtype(OP, DType::Int64)?;
        if indices.shape() != self.shape() {
            return Err(TensorError::invalid(
                OP,
                format!(
                    "indices of size {:?} for a gradient of size {:?}",
                    indices.shape(),
                    self.shape()
                ),
            ));
        }
        shape.extend(windows.input);
        let (in_plane, out_plane) = (windows.input_plane(), windows.output_plane());
        let (g, idx) = (self.contiguous(), indices.contiguous());
        let reader = idx.read::<i64>();
        let at = reader.slice().expect("contiguous");
        if at.iter().any(|&i| i < 0 || i as usize >= in_plane) {
            return Err(TensorError::invalid(
                OP,
                format!("an index is outside its plane of {in_plane} elements"),
            ));
        }
        float_kernel!(self.dtype(), T => {
            let grads = g.read::<T>();
            let grad = grads.slice().expect("contiguous");
            Tensor::try_build::<T>(OP, &shape, |out| {
                if in_plane == 0 || out_plane == 0 {
                    return;
                }
                for ((plane, grad), at) in out.chunks_exact_mut(in_plane).zip(grad.chunks_exact(out_plane)).zip(at.chunks_exact(out_plane)) {
                    for (&g, &i) in grad.iter().zip(at) {
                        plane[i as usize] += g;
                    }
                }
            })
        })
    }

    /// The gradient of [`avg_pool2d`](Tensor::try_avg_pool2d) with respect
    /// to its input, given the output gradient `self`: each window's share
    /// added back onto the elements it averaged. PyTorch equivalent:
    /// `torch.ops.aten.avg_pool2d_backward`.
    ///
    /// # Errors
    /// If the last two dims of `self` are not the windows' output size.
    pub fn try_avg_pool2d_backward(
        &self,
        windows: &PoolWindows,
        divisor_override: Option<usize>,
    ) -> Result<Tensor> {
        const OP: &str = "avg_pool2d_backward";
        let mut shape = windows.planes(OP, self, windows.output_size())?;
        shape.extend(windows.input);
        let (in_plane, out_plane) = (windows.input_plane(), windows.output_plane());
        let g = self.contiguous();
        float_kernel!(self.dtype(), T => {
            let reader = g.read::<T>();
            let grad = reader.slice().expect("contiguous");
            Tensor::try_build::<T>(OP, &shape, |out| {
                per_plane(grad, out_plane, out, in_plane, |grad, plane| {
                    windows.avg_backward_plane(grad, plane, divisor_override)
                })
            })
        })
    }
}
