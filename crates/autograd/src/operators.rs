//! Operator sugar on differentiable tensors: `+ - * /` between tensors (owned
//! or borrowed) and with `f32` on either side, unary `-`, and in-place
//! compound assignment (which panics where the `try_*_` method errs, e.g. on
//! a tensor that requires grad outside `no_grad`). Tensor-tensor operators
//! panic with the `try_*` method's message on incompatible shapes.
//!
//! The impls are the `tensor` crate's, expressed through this type's methods.

use crate::error::or_panic;
use crate::tensor::Tensor;

tensor::impl_tensor_operators!(Tensor);

/// In-place scalar forms behind `x += 1.0` and friends.
macro_rules! scalar_in_place {
    ($($name:ident, $try_name:ident, $out_of_place:ident, $torch:literal;)*) => {
        impl Tensor {
            $(
                #[doc = concat!("In place `x ", $torch, "= s`. PyTorch equivalent: `x ", $torch, "= s`.")]
                ///
                /// # Panics
                /// Outside `no_grad`, on a leaf that requires grad or a view of one.
                #[track_caller]
                pub fn $name(&self, s: impl tensor::IntoScalar) -> Tensor {
                    let s = s.into_scalar();
                    let record = crate::ops::as_out_of_place(false, move |x: &Tensor| Ok(x.$out_of_place(s)));
                    or_panic(self.in_place(stringify!($name), &[], |v| v.$try_name(s).map(drop), Some(record)))
                }
            )*
        }
    };
}

scalar_in_place! {
    add_scalar_, try_add_scalar_, add_scalar, "+";
    sub_scalar_, try_sub_scalar_, sub_scalar, "-";
    mul_scalar_, try_mul_scalar_, mul_scalar, "*";
    div_scalar_, try_div_scalar_, div_scalar, "/";
}
