//! Elementwise operations: broadcasting binary ops, scalar ops, unary math,
//! and their in-place forms.
//!
//! Contiguous inputs of equal shape take a flat-slice path the compiler
//! vectorises; large ones are split across the kernels' rayon pool (`pool.rs`). Everything else goes
//! through ndarray's broadcasting `Zip`.

use ndarray::{ArrayViewMut, IxDyn, Zip};
use rayon::prelude::*;

use crate::arith::{Float, IntoScalar, Scalar};
use crate::dtype::{cast, dispatch, DType, Element};
use crate::error::{Result, TensorError};
use crate::layout::Dims;
use crate::shape::{broadcast_shapes, same_dims};
use crate::tensor::{or_panic, Tensor};

/// Below this many elements an elementwise op stays on the calling thread.
pub const PARALLEL_ELEMENTWISE_THRESHOLD: usize = 1 << 16;
const CHUNK: usize = 1 << 14;

#[inline]
fn use_parallel(n: usize) -> bool {
    n >= PARALLEL_ELEMENTWISE_THRESHOLD && rayon::current_thread_index().is_none()
}

impl Tensor {
    /// A new tensor of `self`'s shape with `f` applied to every element (any
    /// element types in and out): the unary kernel behind the math ops,
    /// comparisons with a scalar and dtype conversions.
    #[inline]
    pub(crate) fn map_to<S: Element, T: Element>(
        &self,
        op: &'static str,
        f: impl Fn(S) -> T + Sync + Send,
    ) -> Result<Tensor> {
        let src = self.read::<S>();
        Tensor::try_build_like::<T>(op, self.shape(), Some(self), |out| match src.slice() {
            Some(src) if use_parallel(src.len()) => crate::pool::install(|| {
                out.par_chunks_mut(CHUNK)
                    .zip(src.par_chunks(CHUNK))
                    .for_each(|(o, s)| o.iter_mut().zip(s).for_each(|(o, &x)| *o = f(x)))
            }),
            Some(src) => out.iter_mut().zip(src).for_each(|(o, &x)| *o = f(x)),
            None => match src.repeated_value() {
                // An expanded scalar (the gradient of a sum): one call of `f`.
                Some(x) => out.fill(f(x)),
                None => {
                    let mut slots = out.iter_mut();
                    src.for_each(|x| *slots.next().expect("numel slots") = f(x));
                }
            },
        })
    }

    /// Applies `f` to every element of a float32 tensor. PyTorch has no
    /// single equivalent; it is the building block of the unary ops. `f`
    /// runs while the storage is locked for reading: it must not write in
    /// place to this tensor or a view of it (that write would never start).
    /// `f` should be a pure function: on an expanded view of one element it
    /// is called once, and large tensors are split across threads.
    ///
    /// # Errors
    /// [`TensorError::Allocation`] (naming `op`) if the result does not fit
    /// in memory; [`TensorError::UnsupportedDType`] if the tensor is not float32.
    #[inline]
    pub fn try_map(
        &self,
        op: &'static str,
        f: impl Fn(f32) -> f32 + Sync + Send,
    ) -> Result<Tensor> {
        self.expect_dtype(op, DType::Float32)?;
        self.map_to::<f32, f32>(op, f)
    }

    /// Panicking form of [`try_map`](Tensor::try_map).
    ///
    /// # Panics
    /// If the result does not fit in memory or the tensor is not float32.
    #[track_caller]
    #[inline]
    pub fn map(&self, f: impl Fn(f32) -> f32 + Sync + Send) -> Tensor {
        or_panic(self.try_map("map", f))
    }

    /// A new tensor combining `self` and `other` elementwise after
    /// broadcasting them together (any element types in and out): the binary
    /// kernel behind arithmetic and comparisons.
    pub(crate) fn zip_to<A: Element, B: Element, T: Element>(
        &self,
        op: &'static str,
        other: &Tensor,
        f: impl Fn(A, B) -> T + Sync + Send,
    ) -> Result<Tensor> {
        let shape = if same_dims(self.shape(), other.shape()) {
            Dims::from_slice(self.shape())
        } else {
            broadcast_shapes(op, self.shape(), other.shape())?
        };
        let (ra, rb) = (self.read::<A>(), other.read::<B>());
        if let (Some(a), Some(b)) = (ra.slice(), rb.slice()) {
            if let Some(out) = zip_contiguous(op, &shape, (self.shape(), a), (other.shape(), b), &f)
            {
                return out;
            }
        }
        // General case: stride-0 views broadcast both operands to the
        // result's shape, and ndarray's Zip walks them.
        drop((ra, rb));
        let a = self.try_broadcast_to(&shape)?;
        let b = other.try_broadcast_to(&shape)?;
        let (ra, rb) = (a.read::<A>(), b.read::<B>());
        Tensor::try_build::<T>(op, &shape, |out| {
            let mut out =
                ArrayViewMut::from_shape(IxDyn(&shape), out).expect("sized for the shape");
            Zip::from(&mut out)
                .and(&ra.array())
                .and(&rb.array())
                .for_each(|o, &x, &y| *o = f(x, y));
        })
    }

    /// Combines two float32 tensors elementwise after broadcasting them together.
    ///
    /// # Errors
    /// [`TensorError::Broadcast`] (naming `op`) if the shapes are
    /// incompatible; [`TensorError::UnsupportedDType`] if either is not float32.
    #[inline]
    pub fn zip_with(
        &self,
        op: &'static str,
        other: &Tensor,
        f: impl Fn(f32, f32) -> f32 + Sync + Send,
    ) -> Result<Tensor> {
        self.expect_dtype(op, DType::Float32)?;
        other.expect_dtype(op, DType::Float32)?;
        self.zip_to::<f32, f32, f32>(op, other, f)
    }

    /// Applies `f(self_elem, other_elem)` in place, `other` broadcast to
    /// `self`'s shape (which must not change). The write shows through every
    /// view of `self`'s storage; if `other` shares that storage, it is read
    /// as it was before the write.
    pub(crate) fn zip_in_place<T: Element, S: Element>(
        &self,
        op: &'static str,
        other: &Tensor,
        f: impl Fn(T, S) -> T,
    ) -> Result<&Tensor> {
        if self.shape() != other.shape() {
            let shape = broadcast_shapes(op, self.shape(), other.shape())?;
            if *shape != *self.shape() {
                return Err(TensorError::Broadcast {
                    op,
                    lhs: self.shape().to_vec(),
                    rhs: other.shape().to_vec(),
                });
            }
        }
        let src = self
            .detached_source(other)?
            .try_broadcast_to(self.shape())?;
        self.write_reading::<T, S, ()>(op, &src, |dst, src| {
            if let Some(values) = src.slice() {
                if let Some(dst) = dst.slice_mut() {
                    dst.iter_mut().zip(values).for_each(|(x, &y)| *x = f(*x, y));
                    return;
                }
            }
            Zip::from(&mut dst.array_mut())
                .and(&src.array())
                .for_each(|x, &y| *x = f(*x, y));
        })?;
        Ok(self)
    }

    /// Applies `f(self_elem, other_elem)` in place on float32 tensors,
    /// broadcasting `other` to `self`'s shape (which must not change). `f`
    /// runs under the storage's write lock: it must not read this tensor.
    ///
    /// # Errors
    /// [`TensorError::Broadcast`] (naming `op`) if `other` does not broadcast
    /// to `self`'s shape; [`TensorError::UnsupportedDType`] for non-float32 tensors;
    /// [`TensorError::InvalidArgument`] if `self` is an expanded view.
    pub fn zip_with_(
        &self,
        op: &'static str,
        other: &Tensor,
        f: impl Fn(f32, f32) -> f32,
    ) -> Result<&Tensor> {
        self.expect_dtype(op, DType::Float32)?;
        other.expect_dtype(op, DType::Float32)?;
        self.zip_in_place::<f32, f32>(op, other, f)
    }

    /// Applies `f` to every element of a float32 tensor in place. `f` runs
    /// while the storage is locked for writing: it must not read this
    /// tensor or a view of it (that read would never start).
    ///
    /// # Panics
    /// If the tensor is not float32 or is an expanded view.
    #[track_caller]
    pub fn map_(&self, f: impl Fn(f32) -> f32) -> &Tensor {
        or_panic(self.try_map_in_place::<f32>("map_", f));
        self
    }

    /// Applies `f` to every element in place.
    pub(crate) fn try_map_in_place<T: Element>(
        &self,
        op: &'static str,
        f: impl Fn(T) -> T,
    ) -> Result<()> {
        let mut dst = self.write::<T>(op)?;
        dst.for_each_mut(|x| *x = f(*x));
        Ok(())
    }

    /// Sets every element to `value` (converted to the tensor's dtype, so
    /// an int64 tensor takes any `i64` exactly). PyTorch equivalent: `x.fill_(value)`.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] if the tensor is an expanded view.
    pub fn try_fill_(&self, value: impl IntoScalar) -> Result<&Tensor> {
        let value = value.into_scalar();
        dispatch!(self.dtype, T => {
            let v: T = value.to::<T>();
            self.try_map_in_place::<T>("fill_", move |_| v)?;
        });
        Ok(self)
    }

    /// Panicking form of [`try_fill_`](Tensor::try_fill_).
    ///
    /// # Panics
    /// If the tensor is an expanded view.
    #[track_caller]
    pub fn fill_(&self, value: impl IntoScalar) -> &Tensor {
        or_panic(self.try_fill_(value))
    }

    /// Sets every element to zero. PyTorch equivalent: `x.zero_()`.
    ///
    /// # Panics
    /// If the tensor is an expanded view.
    #[track_caller]
    pub fn zero_(&self) -> &Tensor {
        self.fill_(0.0)
    }

    /// Copies `src` (broadcast to `self`'s shape, converted to `self`'s
    /// dtype) into `self`. PyTorch equivalent: `x.copy_(src)`.
    ///
    /// # Errors
    /// [`TensorError::Broadcast`] if `src` does not broadcast to `self`'s shape.
    pub fn try_copy_(&self, src: &Tensor) -> Result<&Tensor> {
        dispatch!(self.dtype, T => dispatch!(src.dtype, S => {
            self.zip_in_place::<T, S>("copy_", src, |_, y| cast::<S, T>(y))
        }))
    }

    /// Panicking form of [`try_copy_`](Tensor::try_copy_).
    ///
    /// # Panics
    /// If `src` does not broadcast to `self`'s shape.
    #[track_caller]
    pub fn copy_(&self, src: &Tensor) -> &Tensor {
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
    pub fn try_add_scaled_(&self, other: &Tensor, alpha: f32) -> Result<&Tensor> {
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
    pub fn add_scaled_(&self, other: &Tensor, alpha: f32) -> &Tensor {
        or_panic(self.try_add_scaled_(other, alpha))
    }

    /// Elementwise `self ^ exponent` for a scalar exponent. PyTorch equivalent: `x ** e`.
    ///
    /// Computed as PyTorch's kernel does, which special-cases some exponents
    /// (`0.5` is `sqrt`, `-0.5` is `1 / sqrt`, `-1` is `1 / x`, `2`, `3` and
    /// `-2` are products), so results agree at `-0.0` and `-inf` too
    /// (`(-inf) ** 0.5` is NaN, `(-0.0) ** -0.5` is `-inf`). Integer tensors
    /// with an integer exponent stay integers; with a float one they compute
    /// in float32.
    #[track_caller]
    pub fn pow_scalar(&self, exponent: impl IntoScalar) -> Tensor {
        let exponent = exponent.into_scalar();
        if !self.dtype.is_floating_point() && !matches!(exponent, Scalar::Float(_)) {
            return or_panic(self.binary_scalar::<crate::arith::PowK>(exponent, false));
        }
        fn pow<T: Float>(x: &Tensor, e: f64) -> Result<Tensor> {
            let one = T::from_f64(1.0);
            match e {
                1.0 => x.map_to::<T, T>("pow", |x| x),
                0.5 => x.map_to::<T, T>("pow", |x| x.sqrt()),
                -0.5 => x.map_to::<T, T>("pow", move |x| one.div(x.sqrt())),
                -1.0 => x.map_to::<T, T>("pow", move |x| one.div(x)),
                2.0 => x.map_to::<T, T>("pow", |x| x.mul(x)),
                3.0 => x.map_to::<T, T>("pow", |x| x.mul(x).mul(x)),
                -2.0 => x.map_to::<T, T>("pow", move |x| one.div(x.mul(x))),
                // Other exponents in double precision, as PyTorch's kernel
                // computes a float32 power with a double exponent.
                _ => x.map_to::<T, T>("pow", move |x| T::from_f64(x.to_f64().powf(e))),
            }
        }
        let e = match exponent {
            Scalar::Float(e) => e,
            Scalar::Int(i) => i as f64,
            Scalar::Bool(b) => b as u8 as f64,
        };
        or_panic(match self.dtype {
            DType::Float64 => pow::<f64>(self, e),
            DType::Float32 => pow::<f32>(self, e),
            _ => self
                .try_to_dtype(DType::Float32)
                .and_then(|x| pow::<f32>(&x, e)),
        })
    }

    /// Elementwise clamp into `[min, max]`; either bound may be absent. NaN
    /// stays NaN, a NaN bound makes every element NaN, and if `min > max`
    /// every element becomes `max`, as in PyTorch.
    /// PyTorch equivalent: `x.clamp(min, max)`.
    #[track_caller]
    pub fn clamp(&self, min: Option<f64>, max: Option<f64>) -> Tensor {
        fn clamp<T: Float>(x: &Tensor, lo: f64, hi: f64) -> Result<Tensor> {
            if lo.is_nan() || hi.is_nan() {
                return x.map_to::<T, T>("clamp", |_| T::from_f64(f64::NAN));
            }
            let (lo, hi) = (T::from_f64(lo), T::from_f64(hi));
            x.map_to::<T, T>("clamp", move |x| {
                if x.is_nan() {
                    x
                } else {
                    x.maximum(lo).minimum(hi)
                }
            })
        }
        let lo = min.unwrap_or(f64::NEG_INFINITY);
        let hi = max.unwrap_or(f64::INFINITY);
        or_panic(match self.dtype {
            DType::Float64 => clamp::<f64>(self, lo, hi),
            DType::Float32 => clamp::<f32>(self, lo, hi),
            _ => self
                .try_to_dtype(DType::Float32)
                .and_then(|x| clamp::<f32>(&x, lo, hi)),
        })
    }
}

/// The common cases on contiguous operands without ndarray's general
/// machinery: equal shapes (split across the kernels' pool when large), one
/// operand a single value, or one operand repeated along the leading dims of
/// the other (`[n, k] + [k]`). `None` for anything else.
fn zip_contiguous<A: Element, B: Element, T: Element>(
    op: &'static str,
    shape: &[usize],
    (a_shape, a): (&[usize], &[A]),
    (b_shape, b): (&[usize], &[B]),
    f: &(impl Fn(A, B) -> T + Sync + Send),
) -> Option<Result<Tensor>> {
    let full_a = same_dims(a_shape, shape);
    let full_b = same_dims(b_shape, shape);
    if full_a && full_b {
        return Some(Tensor::try_build::<T>(op, shape, |out| {
            if use_parallel(out.len()) {
                crate::pool::install(|| {
                    out.par_chunks_mut(CHUNK)
                        .zip(a.par_chunks(CHUNK).zip(b.par_chunks(CHUNK)))
                        .for_each(|(o, (a, b))| {
                            o.iter_mut()
                                .zip(a.iter().zip(b))
                                .for_each(|(o, (&x, &y))| *o = f(x, y))
                        })
                });
            } else {
                out.iter_mut()
                    .zip(a.iter().zip(b))
                    .for_each(|(o, (&x, &y))| *o = f(x, y));
            }
        }));
    }
    if a.len().max(b.len()) >= PARALLEL_ELEMENTWISE_THRESHOLD {
        return None;
    }
    if full_a && b.len() == 1 {
        let y = b[0];
        return Some(Tensor::try_build::<T>(op, shape, |out| {
            out.iter_mut().zip(a).for_each(|(o, &x)| *o = f(x, y))
        }));
    }
    if full_b && a.len() == 1 {
        let x = a[0];
        return Some(Tensor::try_build::<T>(op, shape, |out| {
            out.iter_mut().zip(b).for_each(|(o, &y)| *o = f(x, y))
        }));
    }
    if full_a && shape.ends_with(b_shape) && !b.is_empty() {
        return Some(Tensor::try_build::<T>(op, shape, |out| {
            for (o, row) in out.chunks_exact_mut(b.len()).zip(a.chunks_exact(b.len())) {
                o.iter_mut()
                    .zip(row.iter().zip(b))
                    .for_each(|(o, (&x, &y))| *o = f(x, y));
            }
        }));
    }
    if full_b && shape.ends_with(a_shape) && !a.is_empty() {
        return Some(Tensor::try_build::<T>(op, shape, |out| {
            for (o, row) in out.chunks_exact_mut(a.len()).zip(b.chunks_exact(a.len())) {
                o.iter_mut()
                    .zip(a.iter().zip(row))
                    .for_each(|(o, (&x, &y))| *o = f(x, y));
            }
        }));
    }
    None
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
        if self.shape() == output.shape()
            && self.dtype == DType::Float32
            && output.dtype == DType::Float32
        {
            let (rg, ry) = (self.read::<f32>(), output.read::<f32>());
            if let (Some(g), Some(y)) = (rg.slice(), ry.slice()) {
                return Tensor::try_build::<f32>("tanh_backward", self.shape(), |out| {
                    fused::tanh_backward(out, g, y)
                });
            }
        }
        crate::float_zip!(self, output, "tanh_backward", |g, y| g
            * (-y).mul_add(y, 1.0))
    }
}

/// Loops whose rounding must match a fused multiply-add, vectorised with the
/// FMA instructions when the CPU has them (checked at run time: the crate is
/// never built for a particular CPU) and computed by `f32::mul_add` otherwise.
mod fused {
    use rayon::prelude::*;

    use super::{use_parallel, CHUNK};

    /// `g * (1 - y²)` with a fused `1 - y²`, across the kernels' pool when large.
    pub(super) fn tanh_backward(out: &mut [f32], g: &[f32], y: &[f32]) {
        if use_parallel(g.len()) {
            crate::pool::install(|| {
                out.par_chunks_mut(CHUNK)
                    .zip(g.par_chunks(CHUNK).zip(y.par_chunks(CHUNK)))
                    .for_each(|(o, (g, y))| tanh_backward_into(o, g, y))
            });
        } else {
            tanh_backward_into(out, g, y);
        }
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
