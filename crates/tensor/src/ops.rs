//! Operator sugar: `+ - * /` between tensors (owned or borrowed, in every
//! combination) and with `f32` scalars on either side, unary `-`, and the
//! compound assignments `+= -= *= /=`.
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
        impl ::std::ops::$Trait<f32> for &$T {
            type Output = $T;
            fn $method(self, rhs: f32) -> $T {
                <$T>::$scalar(self, rhs)
            }
        }
        impl ::std::ops::$Trait<f32> for $T {
            type Output = $T;
            fn $method(self, rhs: f32) -> $T {
                <$T>::$scalar(&self, rhs)
            }
        }
        impl ::std::ops::$Trait<&$T> for f32 {
            type Output = $T;
            fn $method(self, rhs: &$T) -> $T {
                <$T>::$rscalar(rhs, self)
            }
        }
        impl ::std::ops::$Trait<$T> for f32 {
            type Output = $T;
            fn $method(self, rhs: $T) -> $T {
                <$T>::$rscalar(&rhs, self)
            }
        }
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
        impl ::std::ops::$Assign<f32> for $T {
            #[track_caller]
            fn $assign(&mut self, rhs: f32) {
                <$T>::$scalar_(self, rhs);
            }
        }
    };
}

crate::impl_tensor_operators!(Tensor);

/// Scalar forms behind the operators (`x + 2.0`, `x *= 3.0`, ...).
macro_rules! scalar_ops {
    ($($name:ident, $name_:ident, $f:expr, $torch:literal;)*) => {
        impl Tensor {
            $(
                #[doc = concat!("Elementwise `x ", $torch, " s`. PyTorch equivalent: `x ", $torch, " s`.")]
                #[inline]
                pub fn $name(&self, s: f32) -> Tensor {
                    let f = $f;
                    self.map(move |x| f(x, s))
                }

                #[doc = concat!("In place `x ", $torch, "= s`. PyTorch equivalent: `x ", $torch, "= s`.")]
                #[track_caller]
                pub fn $name_(&self, s: f32) -> &Tensor {
                    let f = $f;
                    self.map_(move |x| f(x, s))
                }
            )*
        }
    };
}

scalar_ops! {
    add_scalar, add_scalar_, |x: f32, y: f32| x + y, "+";
    sub_scalar, sub_scalar_, |x: f32, y: f32| x - y, "-";
    mul_scalar, mul_scalar_, |x: f32, y: f32| x * y, "*";
    div_scalar, div_scalar_, |x: f32, y: f32| x / y, "/";
}

impl Tensor {
    /// Elementwise `s - x`. PyTorch equivalent: `s - x`.
    pub fn rsub_scalar(&self, s: f32) -> Tensor {
        self.map(move |x| s - x)
    }

    /// Elementwise `s / x`, computed as PyTorch computes it
    /// (`x.reciprocal() * s`), so results agree to the last bit.
    /// PyTorch equivalent: `s / x`.
    pub fn rdiv_scalar(&self, s: f32) -> Tensor {
        self.map(move |x| (1.0 / x) * s)
    }
}
