//! Constructors, mirroring the `tensor` crate's. Each returns a leaf that
//! does not require grad; chain `.requires_grad_(true)` for one that does.

use crate::error::{or_panic, Result};
use crate::tensor::{RawTensor, Tensor};

/// Constructors that mirror a `tensor` crate pair: `try_*` returns the raw
/// constructor's error, the other form panics with it.
macro_rules! mirrored_constructors {
    ($($name:ident, $try_name:ident ($($arg:ident: $ty:ty),*), $torch:literal, $errors:literal;)*) => {
        impl Tensor {
            $(
                #[doc = concat!("PyTorch equivalent: `", $torch, "`.")]
                ///
                /// # Errors
                #[doc = $errors]
                pub fn $try_name($($arg: $ty),*) -> Result<Tensor> {
                    Ok(Tensor::new(RawTensor::$try_name($($arg),*)?))
                }

                #[doc = concat!("Panicking form of [`", stringify!($try_name), "`](Tensor::", stringify!($try_name), ").")]
                ///
                /// # Panics
                #[doc = concat!("Where [`", stringify!($try_name), "`](Tensor::", stringify!($try_name), ") returns an error, with its message.")]
                #[track_caller]
                pub fn $name($($arg: $ty),*) -> Tensor {
                    or_panic(Tensor::$try_name($($arg),*))
                }
            )*
        }
    };
}

mirrored_constructors! {
    zeros, try_zeros(shape: &[usize]), "torch.zeros(shape)", "If the shape is too large to hold.";
    ones, try_ones(shape: &[usize]), "torch.ones(shape)", "If the shape is too large to hold.";
    full, try_full(shape: &[usize], value: f32), "torch.full(shape, value)", "If the shape is too large to hold.";
    arange, try_arange(start: f32, end: f32, step: f32), "torch.arange(start, end, step)",
        "On a zero step, a non-finite bound, a step pointing away from `end`, or a range too long to hold.";
    linspace, try_linspace(start: f32, end: f32, steps: usize), "torch.linspace(start, end, steps)",
        "If `steps` values do not fit in memory.";
    normal, try_normal(mean: f64, std: f64, shape: &[usize]), "torch.normal(mean, std, shape)",
        "If `std` is negative, or the shape is too large to hold.";
    uniform, try_uniform(low: f64, high: f64, shape: &[usize]), "torch.empty(shape).uniform_(low, high)",
        "If `low > high` or a bound is out of float32's range, or the shape is too large to hold.";
    randn, try_randn(shape: &[usize]), "torch.randn(shape)", "If the shape is too large to hold.";
    rand, try_rand(shape: &[usize]), "torch.rand(shape)", "If the shape is too large to hold.";
    randn_dtype, try_randn_dtype(shape: &[usize], dtype: tensor::DType), "torch.randn(shape, dtype=dtype)",
        "For an integer or bool `dtype`, or a shape too large to hold.";
    rand_dtype, try_rand_dtype(shape: &[usize], dtype: tensor::DType), "torch.rand(shape, dtype=dtype)",
        "For an integer or bool `dtype`, or a shape too large to hold.";
    randint, try_randint(low: i64, high: i64, shape: &[usize]), "torch.randint(low, high, shape)",
        "If `low >= high`, or the shape is too large to hold.";
    randperm, try_randperm(n: usize), "torch.randperm(n)", "If `n` indices do not fit in memory.";
}

impl Tensor {
    /// A 0-d tensor. PyTorch equivalent: `torch.tensor(value)`.
    pub fn scalar(value: f32) -> Tensor {
        Tensor::new(RawTensor::scalar(value))
    }

    /// A 1-D tensor. PyTorch equivalent: `torch.tensor([2, -3.4])`.
    pub fn from_slice(values: &[f32]) -> Tensor {
        Tensor::new(RawTensor::from_slice(values))
    }

    /// `values` in row-major order with `shape`.
    ///
    /// # Errors
    /// If `values.len()` is not the product of `shape`.
    pub fn from_vec(values: Vec<f32>, shape: &[usize]) -> Result<Tensor> {
        Ok(Tensor::new(RawTensor::from_vec(values, shape)?))
    }

    /// A leaf holding `values` of any dtype (`&[i64]` gives int64 class
    /// labels, `&[bool]` a mask) with `shape`.
    /// PyTorch equivalent: `torch.tensor(values, dtype=...).reshape(shape)`.
    ///
    /// # Errors
    /// If `values.len()` is not the product of `shape`.
    pub fn from_data<T: tensor::Element>(values: &[T], shape: &[usize]) -> Result<Tensor> {
        Ok(Tensor::new(RawTensor::from_data(values, shape)?))
    }

    /// A 1-D leaf of any dtype: `Tensor::from_elems(&[2i64, 0, 1])`.
    /// PyTorch equivalent: `torch.tensor([2, 0, 1])`.
    pub fn from_elems<T: tensor::Element>(values: &[T]) -> Tensor {
        Tensor::new(RawTensor::from_elems(values))
    }

    /// Zeros of `dtype`. PyTorch equivalent: `torch.zeros(shape, dtype=dtype)`.
    #[track_caller]
    pub fn zeros_dtype(shape: &[usize], dtype: tensor::DType) -> Tensor {
        Tensor::new(RawTensor::zeros_dtype(shape, dtype))
    }

    /// PyTorch equivalent: `torch.zeros_like(x)` (same shape and dtype).
    pub fn zeros_like(&self) -> Tensor {
        Tensor::new(self.raw().zeros_like())
    }

    /// PyTorch equivalent: `torch.ones_like(x)` (same shape and dtype).
    pub fn ones_like(&self) -> Tensor {
        Tensor::new(self.raw().ones_like())
    }

    /// PyTorch equivalent: `torch.randn_like(x)` (same shape and dtype).
    ///
    /// # Panics
    /// For an integer or bool tensor.
    #[track_caller]
    pub fn randn_like(&self) -> Tensor {
        Tensor::new(self.raw().randn_like())
    }

    /// PyTorch equivalent: `torch.full_like(x, value)`.
    pub fn full_like(&self, value: impl tensor::IntoScalar) -> Tensor {
        Tensor::new(self.raw().full_like(value))
    }

    /// PyTorch equivalent: `torch.rand_like(x)` (same shape and dtype).
    ///
    /// # Panics
    /// For an integer or bool tensor.
    #[track_caller]
    pub fn rand_like(&self) -> Tensor {
        Tensor::new(self.raw().rand_like())
    }
}
