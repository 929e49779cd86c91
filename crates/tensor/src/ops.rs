//! Operator sugar: `+ - * /` between tensors (owned or borrowed, in every
//! combination) and with `f32` scalars on either side, unary `-`, and the
//! compound assignments `+= -= *= /=`. On the right, scalars are any
//! [`IntoScalar`](crate::IntoScalar) (`f32`, `f64`, `i32`, `i64`, `bool`): a
//! float literal (`x * 0.1`) is an `f64`, as a Python float is a double, and
//! is rounded to a float32 tensor's dtype. On the left (`2.0 * x`) they are
//! `f32` or `i64`: one impl per literal kind keeps `2.0 * x` inferable.
//!
//! Tensor-tensor operators broadcast and panic (at the caller's location) with
//! the error of the matching `try_*` method when shapes are incompatible.
//!
//! The impls come from [`impl_tensor_operators!`](crate::impl_tensor_operators),
//! which the `autograd` crate uses for its own tensor type too.

use crate::tensor::Tensor;

/// Implements the arithmetic operators for a tensor type in terms of its
/// methods: `add`/`sub`/`mul`/`div` (tensor operand, by reference),
/// `add_scalar`/`sub_scalar`/`mul_scalar`/`div_scalar` (tensor op scalar),
/// `rsub_scalar`/`rdiv_scalar` (scalar op tensor), the in-place
/// `add_`/`sub_`/`mul_`/`div_` (tensor operand) and
/// `add_scalar_`/`sub_scalar_`/`mul_scalar_`/`div_scalar_`, and `neg`.
#[macro_export]
macro_rules! impl_tensor_operators {
    ($T:ty) => {
        $crate::impl_tensor_operators!(@binary $T, Add, add, AddAssign, add_assign, add, add_, add_scalar, add_scalar, add_scalar_);
        $crate::impl_tensor_operators!(@binary $T, Sub, sub, SubAssign, sub_assign, sub, sub_, sub_scalar, rsub_scalar, sub_scalar_);
        $crate::impl_tensor_operators!(@binary $T, Mul, mul, MulAssign, mul_assign, mul, mul_, mul_scalar, mul_scalar, mul_scalar_);
        $crate::impl_tensor_operators!(@binary $T, Div, div, DivAssign, div_assign, div, div_, div_scalar, rdiv_scalar, div_scalar_);
        impl ::std::ops::Neg for &$T {
            type Output = $T;
            fn neg(self) -> $T {
                <$T>::neg(self)
            }
        }
        impl ::std::ops::Neg for $T {
            type Output = $T;
            fn neg(self) -> $T {
                <$T>::neg(&self)
            }
        }
    };
    (@binary $T:ty, $Trait:ident, $method:ident, $Assign:ident, $assign:ident,
     $op:ident, $op_:ident, $scalar:ident, $rscalar:ident, $scalar_:ident) => {
        impl ::std::ops::$Trait<&$T> for &$T {
            type Output = $T;
            #[track_caller]
            fn $method(self, rhs: &$T) -> $T {
                <$T>::$op(self, rhs)
            }
        }
        impl ::std::ops::$Trait<$T> for &$T {
            type Output = $T;
            #[track_caller]
            fn $method(self, rhs: $T) -> $T {
                <$T>::$op(self, &rhs)
            }
        }
        impl ::std::ops::$Trait<&$T> for $T {
            type Output = $T;
            #[track_caller]
            fn $method(self, rhs: &$T) -> $T {
                <$T>::$op(&self, rhs)
            }
        }
        impl ::std::ops::$Trait<$T> for $T {
            type Output = $T;
            #[track_caller]
            fn $method(self, rhs: $T) -> $T {
                <$T>::$op(&self, &rhs)
            }
        }
        impl<S: $crate::IntoScalar> ::std::ops::$Trait<S> for &$T {
            type Output = $T;
            #[track_caller]
            fn $method(self, rhs: S) -> $T {
                <$T>::$scalar(self, rhs)
            }
        }
        impl<S: $crate::IntoScalar> ::std::ops::$Trait<S> for $T {
            type Output = $T;
            #[track_caller]
            fn $method(self, rhs: S) -> $T {
                <$T>::$scalar(&self, rhs)
            }
        }
        $crate::impl_tensor_operators!(@left $T, $Trait, $method, $rscalar, f32, i64);
        impl ::std::ops::$Assign<&$T> for $T {
            #[track_caller]
            fn $assign(&mut self, rhs: &$T) {
                <$T>::$op_(self, rhs);
            }
        }
        impl ::std::ops::$Assign<$T> for $T {
            #[track_caller]
            fn $assign(&mut self, rhs: $T) {
                <$T>::$op_(self, &rhs);
            }
        }
        impl<S: $crate::IntoScalar> ::std::ops::$Assign<S> for $T {
            #[track_caller]
            fn $assign(&mut self, rhs: S) {
                <$T>::$scalar_(self, rhs);
            }
        }
    };
    (@left $T:ty, $Trait:ident, $method:ident, $rscalar:ident, $($S:ty),*) => {$(
        impl ::std::ops::$Trait<&$T> for $S {
            type Output = $T;
            #[track_caller]
            fn $method(self, rhs: &$T) -> $T {
                <$T>::$rscalar(rhs, self)
            }
        }
        impl ::std::ops::$Trait<$T> for $S {
            type Output = $T;
            #[track_caller]
            fn $method(self, rhs: $T) -> $T {
                <$T>::$rscalar(&rhs, self)
            }
        }
    )*};
}

crate::impl_tensor_operators!(Tensor);
