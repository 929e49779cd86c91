//! Element types: the [`DType`] enum that tags every tensor, and the
//! [`Element`] trait that maps a Rust type to its dtype.

use std::fmt;

/// The type of a tensor's elements, with PyTorch's names.
///
/// The variants are ordered by PyTorch's type promotion for tensors of the
/// same category (`bool < int64 < float32 < float64`), so the promoted dtype
/// of two tensors is the larger one.
///
/// PyTorch equivalent: `torch.dtype` (`torch.bool`, `torch.int64`,
/// `torch.float32`, `torch.float64`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub enum DType {
    /// `torch.bool`: one byte per element, 0 or 1.
    Bool,
    /// `torch.int64` (`torch.long`): the dtype of indices and class labels.
    Int64,
    /// `torch.float32`, the default dtype.
    #[default]
    Float32,
    /// `torch.float64` (`torch.double`).
    Float64,
}

impl DType {
    /// Every dtype, in promotion order.
    pub const ALL: [DType; 4] = [DType::Bool, DType::Int64, DType::Float32, DType::Float64];

    /// Bytes per element. PyTorch equivalent: `dtype.itemsize`.
    pub const fn size(self) -> usize {
        match self {
            DType::Bool => 1,
            DType::Int64 | DType::Float64 => 8,
            DType::Float32 => 4,
        }
    }

    /// Whether the dtype is a floating-point type (the ones that can require
    /// gradients). PyTorch equivalent: `dtype.is_floating_point`.
    pub const fn is_floating_point(self) -> bool {
        matches!(self, DType::Float32 | DType::Float64)
    }

    /// The name without the `torch.` prefix: `"float32"`, `"int64"`, ...
    pub const fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::Int64 => "int64",
            DType::Float32 => "float32",
            DType::Float64 => "float64",
        }
    }

    /// The dtype of an operation between tensors of dtypes `self` and
    /// `other`. PyTorch equivalent: `torch.promote_types(a, b)`.
    pub fn promote(self, other: DType) -> DType {
        self.max(other)
    }
}

/// Prints PyTorch's name: `torch.float32`.
impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "torch.{}", self.name())
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
    impl Sealed for i64 {}
    impl Sealed for bool {}
}

/// A Rust type that can be a tensor element: `f32`, `f64`, `i64` or `bool`.
///
/// Every bit pattern of zeros is a valid value (`0.0`, `0`, `false`), which
/// lets buffers be allocated zeroed.
pub trait Element:
    sealed::Sealed + Copy + PartialEq + PartialOrd + Default + Send + Sync + fmt::Debug + 'static
{
    /// The dtype of tensors holding this type.
    const DTYPE: DType;
    /// Converts to `f64` (`true` is 1); used by printing and comparisons.
    fn to_f64(self) -> f64;
    /// Converts from `f64` as PyTorch's casts do: floats round to nearest,
    /// integers truncate toward zero (saturating), bools test `!= 0`.
    fn from_f64(value: f64) -> Self;
    /// Converts to `i64` (floats truncate toward zero, saturating).
    fn to_i64(self) -> i64;
    /// Converts from `i64` with a single rounding (`i64 as f32`).
    fn from_i64(value: i64) -> Self;
}

impl Element for f32 {
    const DTYPE: DType = DType::Float32;
    fn to_f64(self) -> f64 {
        self as f64
    }
    fn from_f64(value: f64) -> Self {
        value as f32
    }
    fn to_i64(self) -> i64 {
        self as i64
    }
    fn from_i64(value: i64) -> Self {
        value as f32
    }
}

impl Element for f64 {
    const DTYPE: DType = DType::Float64;
    fn to_f64(self) -> f64 {
        self
    }
    fn from_f64(value: f64) -> Self {
        value
    }
    fn to_i64(self) -> i64 {
        self as i64
    }
    fn from_i64(value: i64) -> Self {
        value as f64
    }
}

impl Element for i64 {
    const DTYPE: DType = DType::Int64;
    fn to_f64(self) -> f64 {
        self as f64
    }
    fn from_f64(value: f64) -> Self {
        value as i64
    }
    fn to_i64(self) -> i64 {
        self
    }
    fn from_i64(value: i64) -> Self {
        value
    }
}

impl Element for bool {
    const DTYPE: DType = DType::Bool;
    fn to_f64(self) -> f64 {
        if self {
            1.0
        } else {
            0.0
        }
    }
    fn from_f64(value: f64) -> Self {
        value != 0.0
    }
    fn to_i64(self) -> i64 {
        self as i64
    }
    fn from_i64(value: i64) -> Self {
        value != 0
    }
}

/// Converts one element between dtypes as PyTorch's casts do: a single
/// rounding to the target (`i64 as f32`), truncation toward zero from float
/// to integer, `!= 0` to bool (NaN is true), 0/1 from bool.
#[inline(always)]
pub(crate) fn cast<S: Element, T: Element>(value: S) -> T {
    if S::DTYPE == DType::Int64 {
        T::from_i64(value.to_i64())
    } else {
        T::from_f64(value.to_f64())
    }
}

/// Runs `$body` with the type alias `$T` bound to the element type of
/// `$dtype`: one generic body serves every dtype.
macro_rules! dispatch {
    ($dtype:expr, $T:ident => $body:expr) => {
        match $dtype {
            $crate::DType::Bool => {
                type $T = bool;
                $body
            }
            $crate::DType::Int64 => {
                type $T = i64;
                $body
            }
            $crate::DType::Float32 => {
                type $T = f32;
                $body
            }
            $crate::DType::Float64 => {
                type $T = f64;
                $body
            }
        }
    };
}
pub(crate) use dispatch;

/// Runs `$body` with `$T` the float type of `$dtype`: `f64` for float64,
/// `f32` otherwise (callers have checked that the dtype is a float).
macro_rules! float_kernel {
    ($dtype:expr, $T:ident => $body:expr) => {
        match $dtype {
            $crate::DType::Float64 => {
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
pub(crate) use float_kernel;
