//! Differentiable operations. Each op computes its value with the `tensor`
//! crate and, in the same place, states its backward rule through
//! [`Tensor::from_op`](crate::Tensor::from_op).

mod dtype;
mod elementwise;
mod index;
mod inplace;
mod matmul;
mod reduce;
mod shape;

/// Generates the panicking form of `try_` methods.
macro_rules! panicking {
    ($( $name:ident => $try_name:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty; )*) => {
        impl crate::Tensor {
            $(
                #[doc = concat!("Panicking form of [`", stringify!($try_name), "`](crate::Tensor::", stringify!($try_name), ").")]
                ///
                /// # Panics
                #[doc = concat!("Where [`", stringify!($try_name), "`](crate::Tensor::", stringify!($try_name), ") returns an error, with its message.")]
                #[track_caller]
                pub fn $name(&self, $($arg: $ty),*) -> $ret {
                    crate::error::or_panic(self.$try_name($($arg),*))
                }
            )*
        }
    };
}
pub(crate) use panicking;

use crate::tensor::RawTensor;

/// `grad` where `keep` (an expression in the element `x`) holds and exactly
/// `0` elsewhere, as PyTorch's `where(mask, grad, 0)`: a masked-out position
/// stays `0` even when the incoming gradient is NaN or infinite (multiplying
/// by a 0/1 mask would make it NaN). `grad` and `x` broadcast together; the
/// expression is compiled for float32 and float64.
macro_rules! grad_where {
    ($grad:expr, $x:expr, |$v:ident| $keep:expr) => {
        tensor::float_zip!($grad, $x, "backward", |g, $v| if $keep { g } else { 0.0 })
    };
}
pub(crate) use grad_where;

/// `grad * share` where `share` is non-zero and exactly `0` where it is zero
/// (see [`grad_where`]); `share` holds the fraction of the gradient each
/// position receives (1, or ½ on ties).
pub(crate) fn grad_shared(grad: &RawTensor, share: &RawTensor) -> tensor::Result<RawTensor> {
    tensor::float_zip!(grad, share, "backward", |g, s| if s == 0.0 {
        0.0
    } else {
        g * s
    })
}
