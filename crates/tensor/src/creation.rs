//! Deterministic constructors: zeros, ones, full, arange, linspace and their `*_like` forms.

use crate::arith::IntoScalar;
use crate::dtype::{dispatch, DType};
use crate::error::{Result, TensorError};
use crate::tensor::{or_panic, write_all, Tensor};

impl Tensor {
    /// A tensor of `shape` filled with `value`. PyTorch equivalent: `torch.full(shape, value)`.
    ///
    /// # Errors
    /// [`TensorError::ShapeOverflow`] or [`TensorError::Allocation`] for a
    /// shape too large to hold.
    pub fn try_full(shape: &[usize], value: f32) -> Result<Tensor> {
        Tensor::filled("full", shape, value)
    }

    /// Panicking form of [`try_full`](Tensor::try_full).
    ///
    /// # Panics
    /// If the shape is too large to hold.
    #[track_caller]
    pub fn full(shape: &[usize], value: f32) -> Tensor {
        or_panic(Tensor::try_full(shape, value))
    }

    /// A tensor of zeros. PyTorch equivalent: `torch.zeros(shape)`.
    ///
    /// # Errors
    /// As [`try_full`](Tensor::try_full).
    pub fn try_zeros(shape: &[usize]) -> Result<Tensor> {
        Tensor::filled("zeros", shape, 0.0)
    }

    /// Panicking form of [`try_zeros`](Tensor::try_zeros).
    ///
    /// # Panics
    /// If the shape is too large to hold.
    #[track_caller]
    pub fn zeros(shape: &[usize]) -> Tensor {
        or_panic(Tensor::try_zeros(shape))
    }

    /// A tensor of ones. PyTorch equivalent: `torch.ones(shape)`.
    ///
    /// # Errors
    /// As [`try_full`](Tensor::try_full).
    pub fn try_ones(shape: &[usize]) -> Result<Tensor> {
        Tensor::filled("ones", shape, 1.0)
    }

    /// Panicking form of [`try_ones`](Tensor::try_ones).
    ///
    /// # Panics
    /// If the shape is too large to hold.
    #[track_caller]
    pub fn ones(shape: &[usize]) -> Tensor {
        or_panic(Tensor::try_ones(shape))
    }

    /// Zeros of `dtype`. PyTorch equivalent: `torch.zeros(shape, dtype=dtype)`.
    ///
    /// # Errors
    /// [`TensorError::ShapeOverflow`] or [`TensorError::Allocation`] for a
    /// shape too large to hold.
    pub fn try_zeros_dtype(shape: &[usize], dtype: DType) -> Result<Tensor> {
        Tensor::try_zeros_of("zeros", dtype, shape)
    }

    /// Panicking form of [`try_zeros_dtype`](Tensor::try_zeros_dtype).
    ///
    /// # Panics
    /// If the shape is too large to hold.
    #[track_caller]
    pub fn zeros_dtype(shape: &[usize], dtype: DType) -> Tensor {
        or_panic(Tensor::try_zeros_dtype(shape, dtype))
    }

    /// `value` (converted to `dtype`) everywhere. PyTorch equivalent:
    /// `torch.full(shape, value, dtype=dtype)`.
    ///
    /// # Errors
    /// [`TensorError::ShapeOverflow`] or [`TensorError::Allocation`] for a
    /// shape too large to hold.
    pub fn try_full_dtype(shape: &[usize], value: impl IntoScalar, dtype: DType) -> Result<Tensor> {
        let value = value.into_scalar();
        dispatch!(dtype, T => Tensor::try_filled::<T>("full", shape, value.to::<T>()))
    }

    /// Zeros with `self`'s shape and dtype. PyTorch equivalent: `torch.zeros_like(x)`.
    #[track_caller]
    pub fn zeros_like(&self) -> Tensor {
        Tensor::zeros_dtype(self.shape(), self.dtype)
    }

    /// Ones with `self`'s shape and dtype. PyTorch equivalent: `torch.ones_like(x)`.
    #[track_caller]
    pub fn ones_like(&self) -> Tensor {
        or_panic(Tensor::try_full_dtype(self.shape(), 1i64, self.dtype))
    }

    /// `value` with `self`'s shape and dtype. PyTorch equivalent: `torch.full_like(x, value)`.
    #[track_caller]
    pub fn full_like(&self, value: impl IntoScalar) -> Tensor {
        or_panic(Tensor::try_full_dtype(self.shape(), value, self.dtype))
    }

    /// The values `start, start + step, ...` below `end` (above it for a
    /// negative step), as a 1-D tensor. PyTorch equivalent: `torch.arange(start, end, step)`.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] if `step` is zero, a bound is not
    /// finite, or `step` points away from `end`; [`TensorError::Allocation`]
    /// if the range has more elements than memory holds.
    pub fn try_arange(start: f32, end: f32, step: f32) -> Result<Tensor> {
        let (s, e, st) = (start as f64, end as f64, step as f64);
        if st == 0.0 || !s.is_finite() || !e.is_finite() || !st.is_finite() {
            return Err(TensorError::invalid(
                "arange",
                format!("invalid range start={start}, end={end}, step={step}"),
            ));
        }
        if (e - s) * st.signum() < 0.0 {
            return Err(TensorError::invalid(
                "arange",
                format!("upper bound and larger bound inconsistent with step sign (start={start}, end={end}, step={step})"),
            ));
        }
        let len = ((e - s) / st).ceil();
        if len >= isize::MAX as f64 {
            return Err(TensorError::invalid(
                "arange",
                format!(
                    "the range start={start}, end={end}, step={step} has too many elements ({len})"
                ),
            ));
        }
        let len = len as usize;
        Tensor::try_build::<f32>("arange", &[len], |out| {
            write_all(out, (0..len).map(|i| (s + i as f64 * st) as f32))
        })
    }

    /// Panicking form of [`try_arange`](Tensor::try_arange).
    ///
    /// # Panics
    /// On a zero step, a non-finite bound, or a step pointing away from `end`.
    #[track_caller]
    pub fn arange(start: f32, end: f32, step: f32) -> Tensor {
        or_panic(Tensor::try_arange(start, end, step))
    }

    /// `steps` evenly spaced values from `start` to `end` inclusive.
    /// PyTorch equivalent: `torch.linspace(start, end, steps)`.
    ///
    /// # Errors
    /// [`TensorError::Allocation`] if `steps` values do not fit in memory.
    pub fn try_linspace(start: f32, end: f32, steps: usize) -> Result<Tensor> {
        if steps == 1 {
            return Ok(Tensor::from_slice(&[start]));
        }
        // PyTorch fills the first half forward from `start` and the second
        // half backward from `end`, so both end points are exact.
        let step = (end - start) / steps.saturating_sub(1).max(1) as f32;
        let half = steps / 2;
        Tensor::try_build::<f32>("linspace", &[steps], |out| {
            write_all(
                out,
                (0..steps).map(|i| {
                    if i < half {
                        start + step * i as f32
                    } else {
                        end - step * (steps - 1 - i) as f32
                    }
                }),
            )
        })
    }

    /// Panicking form of [`try_linspace`](Tensor::try_linspace).
    ///
    /// # Panics
    /// If `steps` values do not fit in memory.
    #[track_caller]
    pub fn linspace(start: f32, end: f32, steps: usize) -> Tensor {
        or_panic(Tensor::try_linspace(start, end, steps))
    }
}
