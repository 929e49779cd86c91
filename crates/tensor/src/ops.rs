//! Operator sugar: `+ - * /` between tensors (owned or borrowed, in every
//! combination) and with `f32` scalars on either side, unary `-`, and the
//! compound assignments `+= -= *= /=`.
//!
//! Tensor-tensor operators broadcast and panic (at the caller's location) with
//! the error of the matching `try_*` method when shapes are incompatible.

use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use crate::tensor::Tensor;

macro_rules! binary_operator {
    ($Trait:ident, $method:ident, $Assign:ident, $assign:ident, $tensor_op:ident, $tensor_op_:ident, $f:expr) => {
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
                let f = $f;
                self.map(move |x| f(x, rhs))
            }
        }
        impl $Trait<f32> for Tensor {
            type Output = Tensor;
            fn $method(self, rhs: f32) -> Tensor {
                $Trait::$method(&self, rhs)
            }
        }
        impl $Trait<&Tensor> for f32 {
            type Output = Tensor;
            fn $method(self, rhs: &Tensor) -> Tensor {
                let f = $f;
                rhs.map(move |x| f(self, x))
            }
        }
        impl $Trait<Tensor> for f32 {
            type Output = Tensor;
            fn $method(self, rhs: Tensor) -> Tensor {
                $Trait::$method(self, &rhs)
            }
        }
        impl $Assign<&Tensor> for Tensor {
            #[track_caller]
            fn $assign(&mut self, rhs: &Tensor) {
                Tensor::$tensor_op_(self, rhs);
            }
        }
        impl $Assign<Tensor> for Tensor {
            #[track_caller]
            fn $assign(&mut self, rhs: Tensor) {
                Tensor::$tensor_op_(self, &rhs);
            }
        }
        impl $Assign<f32> for Tensor {
            fn $assign(&mut self, rhs: f32) {
                let f = $f;
                self.map_(move |x| f(x, rhs));
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
    |x: f32, y: f32| x + y
);
binary_operator!(
    Sub,
    sub,
    SubAssign,
    sub_assign,
    sub,
    sub_,
    |x: f32, y: f32| x - y
);
binary_operator!(
    Mul,
    mul,
    MulAssign,
    mul_assign,
    mul,
    mul_,
    |x: f32, y: f32| x * y
);
binary_operator!(
    Div,
    div,
    DivAssign,
    div_assign,
    div,
    div_,
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
