//! Elementwise operations: broadcasting binary ops, scalar ops, unary math,
//! and their in-place forms.
//!
//! Contiguous inputs of equal shape take a flat-slice path the compiler
//! vectorises; large ones are split across rayon's pool. Everything else goes
//! through ndarray's broadcasting `Zip`.

use ndarray::{ArrayD, ArrayViewMut, IxDyn, Zip};

use crate::alloc::{checked_numel, try_with_capacity};
use rayon::prelude::*;

use crate::error::{Result, TensorError};
use crate::shape::broadcast_shapes;
use crate::tensor::{or_panic, Tensor};

/// Below this many elements an elementwise op stays on the calling thread.
pub const PARALLEL_ELEMENTWISE_THRESHOLD: usize = 1 << 16;
const CHUNK: usize = 1 << 14;

fn use_parallel(n: usize) -> bool {
    n >= PARALLEL_ELEMENTWISE_THRESHOLD && rayon::current_thread_index().is_none()
}

impl Tensor {
    /// Applies `f` to every element. PyTorch has no single equivalent; it is
    /// the building block of the unary ops.
    ///
    /// # Errors
    /// [`TensorError::Allocation`] (naming `op`) if the result does not fit in memory.
    pub fn try_map(
        &self,
        op: &'static str,
        f: impl Fn(f32) -> f32 + Sync + Send,
    ) -> Result<Tensor> {
        let mut out = try_with_capacity(op, self.numel())?;
        match self.data.as_slice() {
            Some(src) if use_parallel(src.len()) => {
                out.resize(src.len(), 0.0);
                out.par_chunks_mut(CHUNK)
                    .zip(src.par_chunks(CHUNK))
                    .for_each(|(o, s)| o.iter_mut().zip(s).for_each(|(o, &x)| *o = f(x)));
            }
            Some(src) => out.extend(src.iter().map(|&x| f(x))),
            None => out.extend(self.data.iter().map(|&x| f(x))),
        }
        Ok(self.with_values(out))
    }

    /// Panicking form of [`try_map`](Tensor::try_map).
    ///
    /// # Panics
    /// If the result does not fit in memory.
    #[track_caller]
    pub fn map(&self, f: impl Fn(f32) -> f32 + Sync + Send) -> Tensor {
        or_panic(self.try_map("map", f))
    }

    /// A tensor of `self`'s shape holding `values` (in logical row-major order).
    fn with_values(&self, values: Vec<f32>) -> Tensor {
        let array =
            ArrayD::from_shape_vec(IxDyn(self.shape()), values).expect("same number of elements");
        Tensor::from_array(array)
    }

    /// Combines `self` and `other` elementwise after broadcasting them together.
    ///
    /// # Errors
    /// [`TensorError::Broadcast`] (naming `op`) if the shapes are incompatible.
    pub fn zip_with(
        &self,
        op: &'static str,
        other: &Tensor,
        f: impl Fn(f32, f32) -> f32 + Sync + Send,
    ) -> Result<Tensor> {
        if self.shape() == other.shape() {
            if let (Some(a), Some(b)) = (self.data.as_slice(), other.data.as_slice()) {
                let mut out = try_with_capacity(op, a.len())?;
                if use_parallel(a.len()) {
                    out.resize(a.len(), 0.0);
                    out.par_chunks_mut(CHUNK)
                        .zip(a.par_chunks(CHUNK).zip(b.par_chunks(CHUNK)))
                        .for_each(|(o, (a, b))| {
                            o.iter_mut()
                                .zip(a.iter().zip(b))
                                .for_each(|(o, (&x, &y))| *o = f(x, y))
                        });
                } else {
                    out.extend(a.iter().zip(b).map(|(&x, &y)| f(x, y)));
                }
                return Ok(self.with_values(out));
            }
        }
        let shape = broadcast_shapes(op, self.shape(), other.shape())?;
        if let Some(out) = self.zip_broadcast_fast(other, &shape, &f) {
            return Ok(out);
        }
        // The result may be far larger than either input: allocate fallibly,
        // and write each element once.
        let numel = checked_numel(op, &shape)?;
        let mut values = try_with_capacity(op, numel)?;
        let a = self
            .data
            .broadcast(IxDyn(&shape))
            .expect("broadcast shape checked");
        let b = other
            .data
            .broadcast(IxDyn(&shape))
            .expect("broadcast shape checked");
        let slots = &mut values.spare_capacity_mut()[..numel];
        let mut out = ArrayViewMut::from_shape(IxDyn(&shape), slots).expect("sized above");
        Zip::from(&mut out).and(&a).and(&b).for_each(|o, &x, &y| {
            o.write(f(x, y));
        });
        // SAFETY: `out` is a view of exactly the first `numel` slots, and the
        // zip over it wrote every one of them.
        unsafe { values.set_len(numel) };
        Tensor::from_vec(values, &shape)
    }

    /// The common broadcasts on contiguous data without ndarray's general
    /// machinery: one operand a single value, or one operand repeated along
    /// leading dims of the other (`[n, k] + [k]`). `None` for anything else.
    fn zip_broadcast_fast(
        &self,
        other: &Tensor,
        shape: &[usize],
        f: &(impl Fn(f32, f32) -> f32 + Sync + Send),
    ) -> Option<Tensor> {
        let (a, b) = (self.as_slice()?, other.as_slice()?);
        let numel = checked_numel("broadcast", shape).ok()?;
        if numel >= PARALLEL_ELEMENTWISE_THRESHOLD {
            return None;
        }
        let values: Vec<f32> = if self.shape() == shape && b.len() == 1 {
            a.iter().map(|&x| f(x, b[0])).collect()
        } else if other.shape() == shape && a.len() == 1 {
            b.iter().map(|&y| f(a[0], y)).collect()
        } else if self.shape() == shape && shape.ends_with(other.shape()) && !b.is_empty() {
            a.chunks_exact(b.len())
                .flat_map(|row| row.iter().zip(b).map(|(&x, &y)| f(x, y)))
                .collect()
        } else if other.shape() == shape && shape.ends_with(self.shape()) && !a.is_empty() {
            b.chunks_exact(a.len())
                .flat_map(|row| a.iter().zip(row).map(|(&x, &y)| f(x, y)))
                .collect()
        } else {
            return None;
        };
        Some(or_panic(Tensor::from_vec(values, shape)))
    }

    /// Applies `f(self_elem, other_elem)` in place, broadcasting `other` to
    /// `self`'s shape (which must not change).
    ///
    /// # Errors
    /// [`TensorError::Broadcast`] (naming `op`) if `other` does not broadcast to `self`'s shape.
    pub fn zip_with_(
        &mut self,
        op: &'static str,
        other: &Tensor,
        f: impl Fn(f32, f32) -> f32,
    ) -> Result<&mut Tensor> {
        if self.shape() != other.shape() {
            let shape = broadcast_shapes(op, self.shape(), other.shape())?;
            if shape != self.shape() {
                return Err(TensorError::Broadcast {
                    op,
                    lhs: self.shape().to_vec(),
                    rhs: other.shape().to_vec(),
                });
            }
        }
        // Same shape, both contiguous: a flat loop (copy-on-write first).
        if self.shape() == other.shape() && self.is_contiguous() {
            if let Some(src) = other.as_slice() {
                if let Some(dst) = self.data.as_slice_mut() {
                    dst.iter_mut().zip(src).for_each(|(x, &y)| *x = f(*x, y));
                    return Ok(self);
                }
            }
        }
        self.data.zip_mut_with(&other.data, |x, &y| *x = f(*x, y));
        Ok(self)
    }

    /// Applies `f` to every element in place.
    pub fn map_(&mut self, f: impl Fn(f32) -> f32) -> &mut Tensor {
        self.data.mapv_inplace(f);
        self
    }

    /// Sets every element to `value`. PyTorch equivalent: `x.fill_(value)`.
    pub fn fill_(&mut self, value: f32) -> &mut Tensor {
        self.data.fill(value);
        self
    }

    /// Sets every element to zero. PyTorch equivalent: `x.zero_()`.
    pub fn zero_(&mut self) -> &mut Tensor {
        self.fill_(0.0)
    }

    /// Copies `src` (broadcast to `self`'s shape) into `self`. PyTorch equivalent: `x.copy_(src)`.
    ///
    /// # Errors
    /// [`TensorError::Broadcast`] if `src` does not broadcast to `self`'s shape.
    pub fn try_copy_(&mut self, src: &Tensor) -> Result<&mut Tensor> {
        self.zip_with_("copy_", src, |_, y| y)
    }

    /// Panicking form of [`try_copy_`](Tensor::try_copy_).
    ///
    /// # Panics
    /// If `src` does not broadcast to `self`'s shape.
    #[track_caller]
    pub fn copy_(&mut self, src: &Tensor) -> &mut Tensor {
        or_panic(self.try_copy_(src))
    }

    /// `self + alpha * other` with broadcasting, in one pass.
    /// PyTorch equivalent: `torch.add(x, other, alpha=alpha)`.
    ///
    /// # Errors
    /// [`TensorError::Broadcast`] if the shapes cannot be broadcast together.
    pub fn try_add_scaled(&self, other: &Tensor, alpha: f32) -> Result<Tensor> {
        self.zip_with("add", other, move |x, y| x + alpha * y)
    }

    /// In place `self += alpha * other`, `other` broadcast to `self`'s shape.
    /// PyTorch equivalent: `x.add_(other, alpha=alpha)`.
    ///
    /// # Errors
    /// [`TensorError::Broadcast`] if `other` does not broadcast to `self`'s shape.
    pub fn try_add_scaled_(&mut self, other: &Tensor, alpha: f32) -> Result<&mut Tensor> {
        self.zip_with_("add_", other, move |x, y| x + alpha * y)
    }

    /// Panicking form of [`try_add_scaled`](Tensor::try_add_scaled).
    ///
    /// # Panics
    /// If the shapes cannot be broadcast together.
    #[track_caller]
    pub fn add_scaled(&self, other: &Tensor, alpha: f32) -> Tensor {
        or_panic(self.try_add_scaled(other, alpha))
    }

    /// Panicking form of [`try_add_scaled_`](Tensor::try_add_scaled_).
    ///
    /// # Panics
    /// If `other` does not broadcast to `self`'s shape.
    #[track_caller]
    pub fn add_scaled_(&mut self, other: &Tensor, alpha: f32) -> &mut Tensor {
        or_panic(self.try_add_scaled_(other, alpha))
    }

    /// Elementwise `self ^ exponent` for a scalar exponent. PyTorch equivalent: `x ** e`.
    ///
    /// Computed as PyTorch's kernel does, which special-cases some exponents
    /// (`0.5` is `sqrt`, `-0.5` is `1 / sqrt`, `-1` is `1 / x`, `2`, `3` and
    /// `-2` are products), so results agree at `-0.0` and `-inf` too
    /// (`(-inf) ** 0.5` is NaN, `(-0.0) ** -0.5` is `-inf`).
    pub fn pow_scalar(&self, exponent: f32) -> Tensor {
        match exponent {
            1.0 => self.clone(),
            0.5 => self.map(f32::sqrt),
            -0.5 => self.map(|x| 1.0 / x.sqrt()),
            -1.0 => self.map(|x| 1.0 / x),
            2.0 => self.map(|x| x * x),
            3.0 => self.map(|x| x * x * x),
            -2.0 => self.map(|x| 1.0 / (x * x)),
            e => self.map(move |x| x.powf(e)),
        }
    }

    /// Elementwise clamp into `[min, max]`; either bound may be absent. NaN
    /// stays NaN, a NaN bound makes every element NaN, and if `min > max`
    /// every element becomes `max`, as in PyTorch.
    /// PyTorch equivalent: `x.clamp(min, max)`.
    pub fn clamp(&self, min: Option<f32>, max: Option<f32>) -> Tensor {
        let lo = min.unwrap_or(f32::NEG_INFINITY);
        let hi = max.unwrap_or(f32::INFINITY);
        if lo.is_nan() || hi.is_nan() {
            return self.map(|_| f32::NAN);
        }
        self.map(|x| if x.is_nan() { x } else { x.max(lo).min(hi) })
    }
}

impl Tensor {
    /// The gradient of `tanh` from its output `y`: `self * (1 - y²)`, with
    /// `1 - y²` a fused multiply-add as PyTorch's CPU kernel computes it
    /// (unfused, results near saturation differ by hundreds of ulp).
    /// PyTorch equivalent: `torch.ops.aten.tanh_backward(grad, y)`.
    ///
    /// # Errors
    /// [`TensorError::Broadcast`] if the shapes cannot be broadcast together.
    pub fn try_tanh_backward(&self, output: &Tensor) -> Result<Tensor> {
        if self.shape() == output.shape() {
            if let (Some(g), Some(y)) = (self.as_slice(), output.as_slice()) {
                return Ok(self.with_values(fused::tanh_backward(g, y)));
            }
        }
        self.zip_with("tanh_backward", output, |g, y| g * (-y).mul_add(y, 1.0))
    }
}

/// Loops whose rounding must match a fused multiply-add, vectorised with the
/// FMA instructions when the CPU has them (checked at run time: the crate is
/// never built for a particular CPU) and computed by `f32::mul_add` otherwise.
mod fused {
    use rayon::prelude::*;

    use super::{use_parallel, CHUNK};

    /// `g * (1 - y²)` with a fused `1 - y²`, across rayon's pool when large.
    pub(super) fn tanh_backward(g: &[f32], y: &[f32]) -> Vec<f32> {
        let mut out = vec![0.0f32; g.len()];
        if use_parallel(g.len()) {
            out.par_chunks_mut(CHUNK)
                .zip(g.par_chunks(CHUNK).zip(y.par_chunks(CHUNK)))
                .for_each(|(o, (g, y))| tanh_backward_into(o, g, y));
        } else {
            tanh_backward_into(&mut out, g, y);
        }
        out
    }

    fn tanh_backward_into(out: &mut [f32], g: &[f32], y: &[f32]) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU supports the features the function is compiled for.
            return unsafe { tanh_backward_fma(out, g, y) };
        }
        tanh_backward_portable(out, g, y)
    }

    #[inline(always)]
    fn tanh_backward_portable(out: &mut [f32], g: &[f32], y: &[f32]) {
        out.iter_mut()
            .zip(g.iter().zip(y))
            .for_each(|(o, (&g, &y))| *o = g * (-y).mul_add(y, 1.0));
    }

    /// # Safety
    /// The CPU must support AVX2 and FMA.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn tanh_backward_fma(out: &mut [f32], g: &[f32], y: &[f32]) {
        tanh_backward_portable(out, g, y)
    }
}

/// Binary broadcasting ops: a `try_` form returning `Result` and a panicking form.
macro_rules! binary_ops {
    ($($name:ident, $try_name:ident, $inplace:ident, $try_inplace:ident, $f:expr, $torch:literal;)*) => {
        impl Tensor {
            $(
                #[doc = concat!("Elementwise `", stringify!($name), "` with broadcasting. PyTorch equivalent: `", $torch, "`.")]
                ///
                /// # Errors
                /// [`TensorError::Broadcast`] if the shapes cannot be broadcast together.
                pub fn $try_name(&self, other: &Tensor) -> Result<Tensor> {
                    self.zip_with(stringify!($name), other, $f)
                }

                #[doc = concat!("Panicking form of [`", stringify!($try_name), "`](Tensor::", stringify!($try_name), ").")]
                ///
                /// # Panics
                /// If the shapes cannot be broadcast together.
                #[track_caller]
                pub fn $name(&self, other: &Tensor) -> Tensor {
                    or_panic(self.$try_name(other))
                }

                #[doc = concat!("In-place `", stringify!($name), "`; `other` must broadcast to `self`'s shape.")]
                ///
                /// # Errors
                /// [`TensorError::Broadcast`] if `other` does not broadcast to `self`'s shape.
                pub fn $try_inplace(&mut self, other: &Tensor) -> Result<&mut Tensor> {
                    self.zip_with_(concat!(stringify!($name), "_"), other, $f)
                }

                #[doc = concat!("Panicking form of [`", stringify!($try_inplace), "`](Tensor::", stringify!($try_inplace), ").")]
                ///
                /// # Panics
                /// If `other` does not broadcast to `self`'s shape.
                #[track_caller]
                pub fn $inplace(&mut self, other: &Tensor) -> &mut Tensor {
                    or_panic(self.$try_inplace(other))
                }
            )*
        }
    };
}

binary_ops! {
    add, try_add, add_, try_add_, |x, y| x + y, "torch.add(a, b)";
    sub, try_sub, sub_, try_sub_, |x, y| x - y, "torch.sub(a, b)";
    mul, try_mul, mul_, try_mul_, |x, y| x * y, "torch.mul(a, b)";
    div, try_div, div_, try_div_, |x, y| x / y, "torch.div(a, b)";
    pow, try_pow, pow_, try_pow_, f32::powf, "torch.pow(a, b)";
    maximum, try_maximum, maximum_, try_maximum_, |x: f32, y: f32| if x.is_nan() || y.is_nan() { f32::NAN } else { x.max(y) }, "torch.maximum(a, b)";
    minimum, try_minimum, minimum_, try_minimum_, |x: f32, y: f32| if x.is_nan() || y.is_nan() { f32::NAN } else { x.min(y) }, "torch.minimum(a, b)";
}

/// Unary elementwise math.
macro_rules! unary_ops {
    ($($name:ident, $f:expr, $torch:literal;)*) => {
        impl Tensor {
            $(
                #[doc = concat!("Elementwise `", stringify!($name), "`. PyTorch equivalent: `", $torch, "`.")]
                ///
                /// # Panics
                /// If the result does not fit in memory.
                #[track_caller]
                pub fn $name(&self) -> Tensor {
                    or_panic(self.try_map(stringify!($name), $f))
                }
            )*
        }
    };
}

unary_ops! {
    neg, |x: f32| -x, "-x";
    exp, f32::exp, "torch.exp(x)";
    log, f32::ln, "torch.log(x)";
    sqrt, f32::sqrt, "torch.sqrt(x)";
    abs, f32::abs, "torch.abs(x)";
    relu, |x: f32| if x < 0.0 { 0.0 } else { x }, "torch.relu(x)";
    sigmoid, |x: f32| 1.0 / (1.0 + (-x).exp()), "torch.sigmoid(x)";
    tanh, f32::tanh, "torch.tanh(x)";
    square, |x: f32| x * x, "torch.square(x)";
}
