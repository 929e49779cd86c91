//! Operator sugar on differentiable tensors: `+ - * /` between tensors (owned
//! or borrowed) and with `f32` on either side, unary `-`, and in-place
//! compound assignment. Tensor-tensor operators panic with the `try_*`
//! method's message on incompatible shapes.

use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use crate::tensor::Tensor;

macro_rules! binary_operator {
    ($Trait:ident, $method:ident, $Assign:ident, $assign:ident, $tensor_op:ident, $in_place:ident,
     $scalar_rhs:ident, $scalar_lhs:expr, $f:expr) => {
        impl $Trait<&Tensor> for &Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: &Tensor) -> Tensor {
                Tensor::$tensor_op(self, rhs)
            }
        }
        impl $Trait<Tensor> for &Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: Tensor) -> Tensor {
                Tensor::$tensor_op(self, &rhs)
            }
        }
        impl $Trait<&Tensor> for Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: &Tensor) -> Tensor {
                Tensor::$tensor_op(&self, rhs)
            }
        }
        impl $Trait<Tensor> for Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: Tensor) -> Tensor {
                Tensor::$tensor_op(&self, &rhs)
            }
        }
        impl $Trait<f32> for &Tensor {
            type Output = Tensor;
            fn $method(self, rhs: f32) -> Tensor {
                self.$scalar_rhs(rhs)
            }
        }
        impl $Trait<f32> for Tensor {
            type Output = Tensor;
            fn $method(self, rhs: f32) -> Tensor {
                self.$scalar_rhs(rhs)
            }
        }
        impl $Trait<&Tensor> for f32 {
            type Output = Tensor;
            fn $method(self, rhs: &Tensor) -> Tensor {
                let f: fn(&Tensor, f32) -> Tensor = $scalar_lhs;
                f(rhs, self)
            }
        }
        impl $Trait<Tensor> for f32 {
            type Output = Tensor;
            fn $method(self, rhs: Tensor) -> Tensor {
                let f: fn(&Tensor, f32) -> Tensor = $scalar_lhs;
                f(&rhs, self)
            }
        }
        /// In place; panics where the `try_*_` method errs (e.g. on a tensor
        /// that requires grad outside `no_grad`).
        impl $Assign<&Tensor> for Tensor {
            #[track_caller]
            fn $assign(&mut self, rhs: &Tensor) {
                self.$in_place(rhs);
            }
        }
        impl $Assign<Tensor> for Tensor {
            #[track_caller]
            fn $assign(&mut self, rhs: Tensor) {
                self.$in_place(&rhs);
            }
        }
        impl $Assign<f32> for Tensor {
            #[track_caller]
            fn $assign(&mut self, rhs: f32) {
                let f = $f;
                crate::error::or_panic(
                    self.try_map_(concat!(stringify!($method), "_"), move |x| f(x, rhs)),
                );
            }
        }
    };
}

binary_operator!(
    Add,
    add,
    AddAssign,
    add_assign,
    add,
    add_,
    add_scalar,
    Tensor::add_scalar,
    |x: f32, y: f32| x + y
);
binary_operator!(
    Sub,
    sub,
    SubAssign,
    sub_assign,
    sub,
    sub_,
    sub_scalar,
    Tensor::rsub_scalar,
    |x: f32, y: f32| x - y
);
binary_operator!(
    Mul,
    mul,
    MulAssign,
    mul_assign,
    mul,
    mul_,
    mul_scalar,
    Tensor::mul_scalar,
    |x: f32, y: f32| x * y
);
binary_operator!(
    Div,
    div,
    DivAssign,
    div_assign,
    div,
    div_,
    div_scalar,
    Tensor::rdiv_scalar,
    |x: f32, y: f32| x / y
);

impl Neg for &Tensor {
    type Output = Tensor;
    fn neg(self) -> Tensor {
        Tensor::neg(self)
    }
}

impl Neg for Tensor {
    type Output = Tensor;
    fn neg(self) -> Tensor {
        Tensor::neg(&self)
    }
}
