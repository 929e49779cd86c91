//! Elementwise arithmetic, math and comparisons for every dtype, with
//! PyTorch's type promotion.
//!
//! * Tensor–tensor ops compute in [`Tensor::result_type`] of their operands
//!   (`bool < int64 < float32 < float64`, where a 0-d tensor only promotes
//!   across categories); tensor–scalar ops in [`Tensor::result_type_scalar`]
//!   (a float scalar makes an integer tensor float32, an integer scalar
//!   never promotes a float tensor).
//! * True division of integers and the transcendental functions of integers
//!   compute in float32, PyTorch's default dtype.
//! * Comparisons return bool tensors.
//!
//! Each op is a kernel type implementing [`Binary`] or a float function
//! applied through [`Float`]: one generic body, monomorphised per dtype.

use std::borrow::Cow;

use crate::dtype::{cast, dispatch, DType, Element};
use crate::error::{Result, TensorError};
use crate::shape::same_dims;
use crate::tensor::{or_panic, Tensor};

/// A Rust number used as an operand: PyTorch's Python scalars.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scalar {
    Bool(bool),
    Int(i64),
    Float(f64),
}

impl Scalar {
    /// The dtype category of the scalar: bool, int64 or float64.
    pub fn dtype(self) -> DType {
        match self {
            Scalar::Bool(_) => DType::Bool,
            Scalar::Int(_) => DType::Int64,
            Scalar::Float(_) => DType::Float64,
        }
    }

    /// The scalar as an element of `T`, converted as a cast would.
    pub fn to<T: Element>(self) -> T {
        match self {
            Scalar::Bool(b) => cast::<bool, T>(b),
            Scalar::Int(i) => cast::<i64, T>(i),
            Scalar::Float(f) => cast::<f64, T>(f),
        }
    }
}

/// Types usable as scalar operands: `f32`, `f64`, `i32`, `i64`, `bool`.
/// A float literal (`x * 2.5`) is an `f64`, like a Python float.
pub trait IntoScalar: Copy {
    fn into_scalar(self) -> Scalar;
}

macro_rules! into_scalar {
    ($($t:ty => $variant:ident as $as:ty),*) => {
        $(impl IntoScalar for $t {
            #[inline]
            fn into_scalar(self) -> Scalar {
                Scalar::$variant(self as $as)
            }
        })*
    };
}
into_scalar!(f32 => Float as f64, f64 => Float as f64, i32 => Int as i64, i64 => Int as i64);

impl IntoScalar for bool {
    fn into_scalar(self) -> Scalar {
        Scalar::Bool(self)
    }
}

impl IntoScalar for Scalar {
    fn into_scalar(self) -> Scalar {
        self
    }
}

/// The dtype category: 0 bool, 1 integer, 2 floating point.
fn category(dtype: DType) -> u8 {
    match dtype {
        DType::Bool => 0,
        DType::Int64 => 1,
        DType::Float32 | DType::Float64 => 2,
    }
}

/// Arithmetic on elements as PyTorch's CPU kernels do it: integers wrap on
/// overflow, floats follow IEEE 754, bools act as logical values.
pub trait Num: Element {
    fn add(self, other: Self) -> Self;
    fn sub(self, other: Self) -> Self;
    fn mul(self, other: Self) -> Self;
    /// Division in the element type (callers divide integers in float32).
    fn div(self, other: Self) -> Self;
    fn pow(self, other: Self) -> Self;
    /// The larger value, NaN if either is NaN.
    fn maximum(self, other: Self) -> Self;
    /// The smaller value, NaN if either is NaN.
    fn minimum(self, other: Self) -> Self;
    fn neg(self) -> Self;
    fn abs(self) -> Self;
    /// Whether the value is NaN (never, for integers and bools).
    fn is_nan(self) -> bool;
    /// `0` for NaN-free comparisons and sums.
    fn zero() -> Self;
}

macro_rules! float_num {
    ($($t:ty),*) => {$(
        impl Num for $t {
            #[inline(always)] fn add(self, o: Self) -> Self { self + o }
            #[inline(always)] fn sub(self, o: Self) -> Self { self - o }
            #[inline(always)] fn mul(self, o: Self) -> Self { self * o }
            #[inline(always)] fn div(self, o: Self) -> Self { self / o }
            #[inline(always)] fn pow(self, o: Self) -> Self { self.powf(o) }
            #[inline(always)] fn maximum(self, o: Self) -> Self {
                if self.is_nan() || o.is_nan() { <$t>::NAN } else { self.max(o) }
            }
            #[inline(always)] fn minimum(self, o: Self) -> Self {
                if self.is_nan() || o.is_nan() { <$t>::NAN } else { self.min(o) }
            }
            #[inline(always)] fn neg(self) -> Self { -self }
            #[inline(always)] fn abs(self) -> Self { <$t>::abs(self) }
            #[inline(always)] fn is_nan(self) -> bool { <$t>::is_nan(self) }
            #[inline(always)] fn zero() -> Self { 0.0 }
        }
    )*};
}
float_num!(f32, f64);

impl Num for i64 {
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        self.wrapping_add(o)
    }
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        self.wrapping_sub(o)
    }
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        self.wrapping_mul(o)
    }
    fn div(self, o: Self) -> Self {
        // Only reached through floor-free integer paths; PyTorch's true
        // division of integers computes in float32 instead.
        if o == 0 {
            0
        } else {
            self.wrapping_div(o)
        }
    }
    fn pow(self, o: Self) -> Self {
        // C integer power, as PyTorch's kernel: negative exponents give 0
        // except for bases 1 and -1.
        match (self, o) {
            (_, e) if e >= 0 => self.wrapping_pow(e.min(u32::MAX as i64) as u32),
            (1, _) => 1,
            (-1, e) => {
                if e % 2 == 0 {
                    1
                } else {
                    -1
                }
            }
            _ => 0,
        }
    }
    #[inline(always)]
    fn maximum(self, o: Self) -> Self {
        self.max(o)
    }
    #[inline(always)]
    fn minimum(self, o: Self) -> Self {
        self.min(o)
    }
    #[inline(always)]
    fn neg(self) -> Self {
        self.wrapping_neg()
    }
    #[inline(always)]
    fn abs(self) -> Self {
        self.wrapping_abs()
    }
    fn is_nan(self) -> bool {
        false
    }
    fn zero() -> Self {
        0
    }
}

impl Num for bool {
    fn add(self, o: Self) -> Self {
        self | o
    }
    fn sub(self, o: Self) -> Self {
        self ^ o
    }
    fn mul(self, o: Self) -> Self {
        self & o
    }
    fn div(self, o: Self) -> Self {
        self & o
    }
    fn pow(self, o: Self) -> Self {
        self | !o
    }
    fn maximum(self, o: Self) -> Self {
        self | o
    }
    fn minimum(self, o: Self) -> Self {
        self & o
    }
    fn neg(self) -> Self {
        self
    }
    fn abs(self) -> Self {
        self
    }
    fn is_nan(self) -> bool {
        false
    }
    fn zero() -> Self {
        false
    }
}

/// Floating-point elements: `f32` and `f64`.
pub trait Float: Num {
    fn exp(self) -> Self;
    fn ln(self) -> Self;
    fn sqrt(self) -> Self;
    fn tanh(self) -> Self;
    fn powf(self, e: Self) -> Self;
    fn mul_add(self, a: Self, b: Self) -> Self;
    fn is_finite(self) -> bool;
}

macro_rules! float_impl {
    ($($t:ty),*) => {$(
        impl Float for $t {
            #[inline(always)] fn exp(self) -> Self { <$t>::exp(self) }
            #[inline(always)] fn ln(self) -> Self { <$t>::ln(self) }
            #[inline(always)] fn sqrt(self) -> Self { <$t>::sqrt(self) }
            #[inline(always)] fn tanh(self) -> Self { <$t>::tanh(self) }
            #[inline(always)] fn powf(self, e: Self) -> Self { <$t>::powf(self, e) }
            #[inline(always)] fn mul_add(self, a: Self, b: Self) -> Self { <$t>::mul_add(self, a, b) }
            #[inline(always)] fn is_finite(self) -> bool { <$t>::is_finite(self) }
        }
    )*};
}
float_impl!(f32, f64);

/// A binary elementwise kernel, generic over the element type.
pub(crate) trait Binary: Copy + Send + Sync + 'static {
    /// PyTorch's name of the operation (for errors).
    const NAME: &'static str;
    /// Whether integer and bool inputs compute in float32 (true division).
    const FLOAT_ONLY: bool = false;
    /// Whether two bool operands are refused (PyTorch refuses `-` on bools).
    const NO_BOOL: bool = false;
    fn apply<T: Num>(a: T, b: T) -> T;
}

macro_rules! binary_kernels {
    ($($kernel:ident $name:literal $(float_only=$fo:literal)? $(no_bool=$nb:literal)? => $method:ident;)*) => {$(
        #[derive(Clone, Copy)]
        pub(crate) struct $kernel;
        impl Binary for $kernel {
            const NAME: &'static str = $name;
            $(const FLOAT_ONLY: bool = $fo;)?
            $(const NO_BOOL: bool = $nb;)?
            #[inline(always)]
            fn apply<T: Num>(a: T, b: T) -> T {
                a.$method(b)
            }
        }
    )*};
}

binary_kernels! {
    AddK "add" => add;
    SubK "sub" no_bool=true => sub;
    MulK "mul" => mul;
    DivK "div" float_only=true => div;
    PowK "pow" => pow;
    MaximumK "maximum" => maximum;
    MinimumK "minimum" => minimum;
}

/// A borrowed tensor, or a converted copy of it.
fn as_dtype(t: &Tensor, dtype: DType) -> Result<Cow<'_, Tensor>> {
    Ok(if t.dtype == dtype {
        Cow::Borrowed(t)
    } else {
        Cow::Owned(t.try_to_dtype(dtype)?)
    })
}

impl Tensor {
    /// The dtype an operation between `self` and `other` computes in.
    /// PyTorch equivalent: `torch.result_type(a, b)`.
    pub fn result_type(&self, other: &Tensor) -> DType {
        let (a, b) = (self.dtype, other.dtype);
        match (self.dim() == 0, other.dim() == 0) {
            (false, true) if category(b) <= category(a) => a,
            (true, false) if category(a) <= category(b) => b,
            _ => a.promote(b),
        }
    }

    /// The dtype an operation between `self` and a scalar computes in.
    /// PyTorch equivalent: `torch.result_type(x, s)`.
    pub fn result_type_scalar(&self, scalar: impl IntoScalar) -> DType {
        let s = scalar.into_scalar().dtype();
        if category(s) > category(self.dtype) {
            match s {
                DType::Float64 => DType::Float32,
                other => other,
            }
        } else {
            self.dtype
        }
    }

    /// `K` between two tensors, broadcast, in their promoted dtype.
    #[inline]
    pub(crate) fn binary<K: Binary>(&self, other: &Tensor) -> Result<Tensor> {
        // The common case inline: every call of the general path moves the
        // result once more.
        if self.dtype == DType::Float32 && other.dtype == DType::Float32 {
            return self.zip_to::<f32, f32, f32>(K::NAME, other, K::apply::<f32>);
        }
        self.binary_promoted::<K>(other)
    }

    #[inline(never)]
    fn binary_promoted<K: Binary>(&self, other: &Tensor) -> Result<Tensor> {
        let mut dtype = self.result_type(other);
        if K::NO_BOOL && (self.dtype == DType::Bool || other.dtype == DType::Bool) {
            return Err(bool_error(K::NAME));
        }
        if K::FLOAT_ONLY && !dtype.is_floating_point() {
            dtype = DType::Float32;
        }
        let (a, b) = (as_dtype(self, dtype)?, as_dtype(other, dtype)?);
        dispatch!(dtype, T => a.zip_to::<T, T, T>(K::NAME, &b, K::apply::<T>))
    }

    /// `K` between a tensor and a scalar (`reversed`: the scalar on the left).
    #[inline]
    pub(crate) fn binary_scalar<K: Binary>(
        &self,
        scalar: Scalar,
        reversed: bool,
    ) -> Result<Tensor> {
        if self.dtype == DType::Float32 && !reversed {
            let s = scalar.to::<f32>();
            return self.map_to::<f32, f32>(K::NAME, move |x| K::apply(x, s));
        }
        self.binary_scalar_promoted::<K>(scalar, reversed)
    }

    #[inline(never)]
    fn binary_scalar_promoted<K: Binary>(&self, scalar: Scalar, reversed: bool) -> Result<Tensor> {
        let mut dtype = self.result_type_scalar(scalar);
        if K::NO_BOOL && (self.dtype == DType::Bool || matches!(scalar, Scalar::Bool(_))) {
            return Err(bool_error(K::NAME));
        }
        if K::FLOAT_ONLY && !dtype.is_floating_point() {
            dtype = DType::Float32;
        }
        let a = as_dtype(self, dtype)?;
        dispatch!(dtype, T => {
            let s: T = scalar.to::<T>();
            if reversed {
                a.map_to::<T, T>(K::NAME, move |x| K::apply(s, x))
            } else {
                a.map_to::<T, T>(K::NAME, move |x| K::apply(x, s))
            }
        })
    }

    /// `K` in place: `self = K(self, other)`, `other` broadcast to `self`'s
    /// shape; the result must fit `self`'s dtype (PyTorch's in-place rule).
    pub(crate) fn binary_<K: Binary>(&self, other: &Tensor) -> Result<&Tensor> {
        let name = in_place_name(K::NAME);
        // Two contiguous float32 tensors of one shape in distinct storages
        // (a gradient accumulated, an optimizer's update): no promotion,
        // broadcasting or aliasing to resolve.
        if self.dtype == DType::Float32
            && other.dtype == DType::Float32
            && same_dims(self.shape(), other.shape())
            && self.is_contiguous()
            && other.is_contiguous()
            && !self.storage.ptr_eq(&other.storage)
        {
            self.write_reading::<f32, f32, ()>(name, other, |dst, src| {
                let (Some(dst), Some(src)) = (dst.slice_mut(), src.slice()) else {
                    unreachable!("both layouts are contiguous")
                };
                dst.iter_mut()
                    .zip(src)
                    .for_each(|(x, &y)| *x = K::apply(*x, y));
            })?;
            return Ok(self);
        }
        let mut dtype = self.result_type(other);
        if K::FLOAT_ONLY && !dtype.is_floating_point() {
            dtype = DType::Float32;
        }
        if dtype != self.dtype && !can_cast(dtype, self.dtype) {
            return Err(TensorError::invalid(
                name,
                format!(
                    "result type {} can't be cast to the desired output type {}",
                    dtype_name(dtype),
                    dtype_name(self.dtype)
                ),
            ));
        }
        if K::NO_BOOL && (self.dtype == DType::Bool || other.dtype == DType::Bool) {
            return Err(bool_error(K::NAME));
        }
        let b = as_dtype(other, self.dtype)?;
        dispatch!(self.dtype, T => self.zip_in_place::<T, T>(name, &b, K::apply::<T>))
    }

    /// `K` with a scalar, in place.
    pub(crate) fn binary_scalar_<K: Binary>(&self, scalar: Scalar) -> Result<&Tensor> {
        let name = in_place_name(K::NAME);
        let dtype = self.result_type_scalar(scalar);
        let float_needed = K::FLOAT_ONLY && !self.dtype.is_floating_point();
        if (dtype != self.dtype && !can_cast(dtype, self.dtype)) || float_needed {
            return Err(TensorError::invalid(
                name,
                format!(
                    "result type {} can't be cast to the desired output type {}",
                    dtype_name(if float_needed { DType::Float32 } else { dtype }),
                    dtype_name(self.dtype)
                ),
            ));
        }
        if K::NO_BOOL && self.dtype == DType::Bool {
            return Err(bool_error(K::NAME));
        }
        dispatch!(self.dtype, T => {
            let s: T = scalar.to::<T>();
            self.try_map_in_place::<T>(name, move |x| K::apply(x, s))?;
        });
        Ok(self)
    }

    /// A float function applied elementwise: float tensors keep their
    /// dtype, integer and bool tensors compute in float32.
    pub(crate) fn float_unary(
        &self,
        op: &'static str,
        f32_fn: impl Fn(f32) -> f32 + Send + Sync,
        f64_fn: impl Fn(f64) -> f64 + Send + Sync,
    ) -> Result<Tensor> {
        match self.dtype {
            DType::Float64 => self.map_to::<f64, f64>(op, f64_fn),
            DType::Float32 => self.map_to::<f32, f32>(op, f32_fn),
            _ => self
                .try_to_dtype(DType::Float32)?
                .map_to::<f32, f32>(op, f32_fn),
        }
    }

    /// A comparison of two tensors, broadcast, in their promoted dtype.
    pub(crate) fn compare(
        &self,
        op: &'static str,
        other: &Tensor,
        f: impl CompareFn,
    ) -> Result<Tensor> {
        let dtype = self.result_type(other);
        let (a, b) = (as_dtype(self, dtype)?, as_dtype(other, dtype)?);
        dispatch!(dtype, T => a.zip_to::<T, T, bool>(op, &b, move |x, y| f.call(x, y)))
    }

    /// A comparison with a scalar.
    pub(crate) fn compare_scalar(
        &self,
        op: &'static str,
        scalar: Scalar,
        f: impl CompareFn,
    ) -> Result<Tensor> {
        let dtype = self.result_type_scalar(scalar);
        let a = as_dtype(self, dtype)?;
        dispatch!(dtype, T => {
            let s: T = scalar.to::<T>();
            a.map_to::<T, bool>(op, move |x| f.call(x, s))
        })
    }
}

/// A comparison, generic over the element type.
pub(crate) trait CompareFn: Copy + Send + Sync + 'static {
    fn call<T: Element>(self, a: T, b: T) -> bool;
}

macro_rules! comparisons {
    ($($kernel:ident, $name:ident, $try_name:ident, $scalar:ident, $try_scalar:ident, $op:tt, $torch:literal;)*) => {
        $(
            #[derive(Clone, Copy)]
            struct $kernel;
            impl CompareFn for $kernel {
                #[inline(always)]
                fn call<T: Element>(self, a: T, b: T) -> bool {
                    a $op b
                }
            }
        )*
        impl Tensor {
            $(
                #[doc = concat!("Elementwise `a ", stringify!($op), " b` with broadcasting, as a bool tensor. PyTorch equivalent: `", $torch, "`.")]
                ///
                /// # Errors
                /// [`TensorError::Broadcast`] if the shapes cannot be broadcast together.
                pub fn $try_name(&self, other: &Tensor) -> Result<Tensor> {
                    self.compare(stringify!($name), other, $kernel)
                }

                #[doc = concat!("Panicking form of [`", stringify!($try_name), "`](Tensor::", stringify!($try_name), ").")]
                ///
                /// # Panics
                /// If the shapes cannot be broadcast together.
                #[track_caller]
                pub fn $name(&self, other: &Tensor) -> Tensor {
                    or_panic(self.$try_name(other))
                }

                #[doc = concat!("Elementwise `x ", stringify!($op), " s` with a scalar, as a bool tensor. PyTorch equivalent: `", $torch, "` with a number.")]
                ///
                /// # Errors
                /// [`TensorError::Allocation`] if the result does not fit in memory.
                pub fn $try_scalar(&self, s: impl IntoScalar) -> Result<Tensor> {
                    self.compare_scalar(stringify!($name), s.into_scalar(), $kernel)
                }

                #[doc = concat!("Panicking form of [`", stringify!($try_scalar), "`](Tensor::", stringify!($try_scalar), ").")]
                ///
                /// # Panics
                /// If the result does not fit in memory.
                #[track_caller]
                pub fn $scalar(&self, s: impl IntoScalar) -> Tensor {
                    or_panic(self.$try_scalar(s))
                }
            )*
        }
    };
}

comparisons! {
    EqK, eq, try_eq, eq_scalar, try_eq_scalar, ==, "torch.eq(a, b)";
    NeK, ne, try_ne, ne_scalar, try_ne_scalar, !=, "torch.ne(a, b)";
    LtK, lt, try_lt, lt_scalar, try_lt_scalar, <, "torch.lt(a, b)";
    LeK, le, try_le, le_scalar, try_le_scalar, <=, "torch.le(a, b)";
    GtK, gt, try_gt, gt_scalar, try_gt_scalar, >, "torch.gt(a, b)";
    GeK, ge, try_ge, ge_scalar, try_ge_scalar, >=, "torch.ge(a, b)";
}

/// Whether a value of `from` may be written into a tensor of `to` in place
/// (PyTorch's `canCast`: never to a lower category).
fn can_cast(from: DType, to: DType) -> bool {
    category(from) <= category(to)
}

/// PyTorch's capitalised type names, as its in-place errors print them.
fn dtype_name(dtype: DType) -> &'static str {
    match dtype {
        DType::Bool => "Bool",
        DType::Int64 => "Long",
        DType::Float32 => "Float",
        DType::Float64 => "Double",
    }
}

fn in_place_name(name: &'static str) -> &'static str {
    match name {
        "add" => "add_",
        "sub" => "sub_",
        "mul" => "mul_",
        "div" => "div_",
        "pow" => "pow_",
        "maximum" => "maximum_",
        "minimum" => "minimum_",
        other => other,
    }
}

fn bool_error(name: &'static str) -> TensorError {
    TensorError::invalid(
        name,
        "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.",
    )
}

/// Binary broadcasting ops: a `try_` form returning `Result`, a panicking
/// form, and the in-place pair.
macro_rules! binary_ops {
    ($($kernel:ident, $name:ident, $try_name:ident, $inplace:ident, $try_inplace:ident, $torch:literal;)*) => {
        impl Tensor {
            $(
                #[doc = concat!("Elementwise `", stringify!($name), "` with broadcasting and type promotion. PyTorch equivalent: `", $torch, "`.")]
                ///
                /// # Errors
                /// [`TensorError::Broadcast`] if the shapes cannot be broadcast together.
                #[inline]
                pub fn $try_name(&self, other: &Tensor) -> Result<Tensor> {
                    self.binary::<$kernel>(other)
                }

                #[doc = concat!("Panicking form of [`", stringify!($try_name), "`](Tensor::", stringify!($try_name), ").")]
                ///
                /// # Panics
                /// If the shapes cannot be broadcast together.
                #[track_caller]
                #[inline]
                pub fn $name(&self, other: &Tensor) -> Tensor {
                    or_panic(self.$try_name(other))
                }

                #[doc = concat!("In-place `", stringify!($name), "`; `other` must broadcast to `self`'s shape and the result fit `self`'s dtype.")]
                ///
                /// # Errors
                /// [`TensorError::Broadcast`] if `other` does not broadcast to
                /// `self`'s shape; [`TensorError::InvalidArgument`] if the
                /// result's dtype cannot be stored in `self`.
                pub fn $try_inplace(&self, other: &Tensor) -> Result<&Tensor> {
                    self.binary_::<$kernel>(other)
                }

                #[doc = concat!("Panicking form of [`", stringify!($try_inplace), "`](Tensor::", stringify!($try_inplace), ").")]
                ///
                /// # Panics
                /// As the `try_` form errs.
                #[track_caller]
                pub fn $inplace(&self, other: &Tensor) -> &Tensor {
                    or_panic(self.$try_inplace(other))
                }
            )*
        }
    };
}

binary_ops! {
    AddK, add, try_add, add_, try_add_, "torch.add(a, b)";
    SubK, sub, try_sub, sub_, try_sub_, "torch.sub(a, b)";
    MulK, mul, try_mul, mul_, try_mul_, "torch.mul(a, b)";
    DivK, div, try_div, div_, try_div_, "torch.div(a, b)";
    PowK, pow, try_pow, pow_, try_pow_, "torch.pow(a, b)";
    MaximumK, maximum, try_maximum, maximum_, try_maximum_, "torch.maximum(a, b)";
    MinimumK, minimum, try_minimum, minimum_, try_minimum_, "torch.minimum(a, b)";
}

/// Scalar ops: `x op s` (and `s op x` for the non-commutative ones) and the
/// in-place `x op= s`.
macro_rules! scalar_ops {
    ($($kernel:ident, $name:ident, $name_:ident, $try_name_:ident, $sym:literal;)*) => {
        impl Tensor {
            $(
                #[doc = concat!("Elementwise `x ", $sym, " s`. PyTorch equivalent: `x ", $sym, " s`.")]
                ///
                /// # Panics
                /// If the result does not fit in memory (or for `-` on a bool tensor).
                #[track_caller]
                #[inline]
                pub fn $name(&self, s: impl IntoScalar) -> Tensor {
                    or_panic(self.binary_scalar::<$kernel>(s.into_scalar(), false))
                }

                #[doc = concat!("In place `x ", $sym, "= s`. PyTorch equivalent: `x ", $sym, "= s`.")]
                ///
                /// # Panics
                /// If the result's dtype cannot be stored in `self` (a float
                /// scalar into an integer tensor) or `self` is an expanded view.
                #[track_caller]
                pub fn $name_(&self, s: impl IntoScalar) -> &Tensor {
                    or_panic(self.$try_name_(s))
                }

                #[doc = concat!("Fallible form of [`", stringify!($name_), "`](Tensor::", stringify!($name_), ").")]
                ///
                /// # Errors
                /// [`TensorError::InvalidArgument`] if the result's dtype
                /// cannot be stored in `self` or `self` is an expanded view.
                pub fn $try_name_(&self, s: impl IntoScalar) -> Result<&Tensor> {
                    self.binary_scalar_::<$kernel>(s.into_scalar())
                }
            )*
        }
    };
}

scalar_ops! {
    AddK, add_scalar, add_scalar_, try_add_scalar_, "+";
    SubK, sub_scalar, sub_scalar_, try_sub_scalar_, "-";
    MulK, mul_scalar, mul_scalar_, try_mul_scalar_, "*";
    DivK, div_scalar, div_scalar_, try_div_scalar_, "/";
}

impl Tensor {
    /// Elementwise `s - x`. PyTorch equivalent: `s - x`.
    #[track_caller]
    pub fn rsub_scalar(&self, s: impl IntoScalar) -> Tensor {
        or_panic(self.binary_scalar::<SubK>(s.into_scalar(), true))
    }

    /// Elementwise `s / x`, computed as PyTorch does: `x.reciprocal() * s`.
    #[track_caller]
    pub fn rdiv_scalar(&self, s: impl IntoScalar) -> Tensor {
        self.reciprocal().mul_scalar(s)
    }

    /// Elementwise `1 / x` (integers compute in float32).
    /// PyTorch equivalent: `torch.reciprocal(x)`.
    #[track_caller]
    pub fn reciprocal(&self) -> Tensor {
        or_panic(self.float_unary("reciprocal", |x| 1.0 / x, |x| 1.0 / x))
    }

    /// Elementwise `-x`. PyTorch equivalent: `-x`.
    ///
    /// # Panics
    /// On a bool tensor, as PyTorch refuses it.
    #[track_caller]
    pub fn neg(&self) -> Tensor {
        if self.dtype == DType::Bool {
            panic!("neg: Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.");
        }
        dispatch!(self.dtype, T => or_panic(self.map_to::<T, T>("neg", T::neg)))
    }

    /// Elementwise `|x|`. PyTorch equivalent: `torch.abs(x)`.
    #[track_caller]
    pub fn abs(&self) -> Tensor {
        dispatch!(self.dtype, T => or_panic(self.map_to::<T, T>("abs", T::abs)))
    }

    /// Elementwise `max(x, 0)`. PyTorch equivalent: `torch.relu(x)`.
    #[track_caller]
    #[allow(clippy::bool_comparison)] // one generic body; `T` is bool in one arm
    pub fn relu(&self) -> Tensor {
        dispatch!(self.dtype, T => {
            let zero = T::zero();
            or_panic(self.map_to::<T, T>("relu", move |x| if x < zero { zero } else { x }))
        })
    }

    /// Elementwise `x * x`. PyTorch equivalent: `torch.square(x)`.
    #[track_caller]
    pub fn square(&self) -> Tensor {
        let t = if self.dtype == DType::Bool {
            self.long()
        } else {
            self.alias()
        };
        dispatch!(t.dtype, T => or_panic(t.map_to::<T, T>("square", |x| x.mul(x))))
    }
}

/// Float math (integer and bool inputs compute in float32).
macro_rules! float_ops {
    ($($name:ident, $f:expr, $torch:literal;)*) => {
        impl Tensor {
            $(
                #[doc = concat!("Elementwise `", stringify!($name), "`. PyTorch equivalent: `", $torch, "`.")]
                ///
                /// # Panics
                /// If the result does not fit in memory.
                #[track_caller]
                pub fn $name(&self) -> Tensor {
                    fn f<T: Float>(x: T) -> T {
                        let f: fn(T) -> T = $f;
                        f(x)
                    }
                    or_panic(self.float_unary(stringify!($name), f::<f32>, f::<f64>))
                }
            )*
        }
    };
}

float_ops! {
    exp, |x| x.exp(), "torch.exp(x)";
    log, |x| x.ln(), "torch.log(x)";
    sqrt, |x| x.sqrt(), "torch.sqrt(x)";
    sigmoid, |x| T::from_f64(1.0).div(T::from_f64(1.0).add(x.neg().exp())), "torch.sigmoid(x)";
    tanh, |x| x.tanh(), "torch.tanh(x)";
}

impl Tensor {
    /// Applies a float function elementwise: `f32_fn` on float32 tensors
    /// (and integers and bools, converted to float32 first), `f64_fn` on
    /// float64 ones. [`float_map!`](crate::float_map) writes both from one
    /// closure body.
    ///
    /// # Errors
    /// [`TensorError::Allocation`] if the result does not fit in memory.
    pub fn try_map_float(
        &self,
        op: &'static str,
        f32_fn: impl Fn(f32) -> f32 + Send + Sync,
        f64_fn: impl Fn(f64) -> f64 + Send + Sync,
    ) -> Result<Tensor> {
        self.float_unary(op, f32_fn, f64_fn)
    }

    /// Combines two tensors elementwise with a float function, broadcast, in
    /// their promoted float dtype (float32 for integers and bools).
    /// [`float_zip!`](crate::float_zip) writes both from one closure body.
    ///
    /// # Errors
    /// [`TensorError::Broadcast`] if the shapes cannot be broadcast together.
    pub fn try_zip_float(
        &self,
        op: &'static str,
        other: &Tensor,
        f32_fn: impl Fn(f32, f32) -> f32 + Send + Sync,
        f64_fn: impl Fn(f64, f64) -> f64 + Send + Sync,
    ) -> Result<Tensor> {
        let dtype = match self.result_type(other) {
            DType::Float64 => DType::Float64,
            _ => DType::Float32,
        };
        let (a, b) = (as_dtype(self, dtype)?, as_dtype(other, dtype)?);
        match dtype {
            DType::Float64 => a.zip_to::<f64, f64, f64>(op, &b, f64_fn),
            _ => a.zip_to::<f32, f32, f32>(op, &b, f32_fn),
        }
    }

    /// Elementwise logical not of a bool tensor (any other dtype tests
    /// `== 0`). PyTorch equivalent: `torch.logical_not(x)` / `~mask`.
    #[track_caller]
    pub fn logical_not(&self) -> Tensor {
        dispatch!(self.dtype, T => {
            let zero = T::default();
            or_panic(self.map_to::<T, bool>("logical_not", move |x| x == zero))
        })
    }

    /// Elementwise sign: -1, 0 or 1 (0 for NaN and both zeros, as PyTorch's
    /// `(0 < x) - (x < 0)`), in the tensor's dtype. PyTorch equivalent: `torch.sign(x)`.
    #[track_caller]
    #[allow(clippy::bool_comparison)] // one generic body; `T` is bool in one arm
    pub fn sign(&self) -> Tensor {
        dispatch!(self.dtype, T => {
            let zero = T::zero();
            let (one, minus_one) = (cast::<i64, T>(1), cast::<i64, T>(-1));
            or_panic(self.map_to::<T, T>("sign", move |x| {
                if x > zero {
                    one
                } else if x < zero {
                    minus_one
                } else {
                    zero
                }
            }))
        })
    }
}

/// Applies a float closure elementwise, written once for both float dtypes:
/// `float_map!(x, "op", |v| v.exp() * 2.0)` is
/// [`x.try_map_float("op", |v: f32| ..., |v: f64| ...)`](Tensor::try_map_float).
#[macro_export]
macro_rules! float_map {
    ($t:expr, $op:expr, |$x:ident| $body:expr) => {
        $t.try_map_float($op, |$x: f32| $body, |$x: f64| $body)
    };
}

/// Combines two tensors with a float closure written once for both float
/// dtypes: `float_zip!(a, b, "op", |x, y| x * y)` is
/// [`a.try_zip_float("op", b, ...)`](Tensor::try_zip_float).
#[macro_export]
macro_rules! float_zip {
    ($a:expr, $b:expr, $op:expr, |$x:ident, $y:ident| $body:expr) => {
        $a.try_zip_float($op, $b, |$x: f32, $y: f32| $body, |$x: f64, $y: f64| $body)
    };
}
