//! Differentiable operations. Each op computes its value with the `tensor`
//! crate and, in the same place, states its backward rule through
//! [`Tensor::from_op`](crate::Tensor::from_op).

mod activation;
mod conv;
mod dtype;
mod elementwise;
mod index;
mod inplace;
pub use activation::GeluApproximate;
pub(crate) use inplace::as_out_of_place;
mod matmul;
mod pooling;
mod reduce;
mod shape;
mod softmax;

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

use crate::error::Result;
use crate::graph::{GradList, Save};
use crate::tensor::{RawTensor, Tensor};

/// One gradient, as a backward closure returns it.
pub(crate) fn one(grad: Tensor) -> Result<GradList> {
    Ok([Some(grad)].into())
}

/// `grad` where `keep` (an expression in the element `x`) holds and exactly
/// `0` elsewhere, as PyTorch's `where(mask, grad, 0)`: a masked-out position
/// stays `0` even when the incoming gradient is NaN or infinite (multiplying
/// by a 0/1 mask would make it NaN). `grad` and `x` broadcast together; the
/// expression is compiled for float32 and float64. Gives the 0/1 mask as a
/// gradient-free tensor for [`masked`].
macro_rules! keep_mask {
    ($x:expr, |$v:ident| $keep:expr) => {
        tensor::float_map!($x, "backward", |$v| if $keep { 1.0 } else { 0.0 })
    };
}
pub(crate) use keep_mask;

/// `grad * share` where `share` (a gradient-free tensor, broadcasting with
/// `grad`) is non-zero, and exactly `0` where it is zero, even for a NaN or
/// infinite gradient (PyTorch's `where(mask, grad, 0)`). `share` holds the
/// fraction of the gradient each position receives: 1, or ½ on ties.
///
/// Recorded under `create_graph` as the linear map it is: its own gradient
/// is the same masking of the incoming one.
pub(crate) fn masked(name: &'static str, grad: &Tensor, share: RawTensor) -> Result<Tensor> {
    let value = tensor::float_zip!(grad.raw(), &share, "backward", |g, s| if s == 0.0 {
        0.0
    } else {
        g * s
    })?;
    Ok(Tensor::from_differentiable(
        name,
        value,
        &[grad],
        Save::NOTHING,
        move |gg, _, _| one(masked(name, gg, share.alias())?),
    ))
}

/// `grad` where `keep(x)` holds and exactly `0` elsewhere (PyTorch's
/// `where(keep(x), grad, 0)`, NaN and infinite gradients included), in one
/// pass with no mask tensor; `grad` and `x` broadcast together, and `x` is
/// read as float64 (exact for both float dtypes).
///
/// Recorded under `create_graph` as the linear map it is: its gradient is
/// the same selection of the incoming one.
// `f64::from(v)` converts the float32 expansion of the closure and is the
// identity in the float64 one.
#[allow(clippy::useless_conversion)]
pub(crate) fn kept_where<K>(
    name: &'static str,
    grad: &Tensor,
    x: RawTensor,
    keep: K,
) -> Result<Tensor>
where
    K: Fn(f64) -> bool + Clone + Send + Sync + 'static,
{
    let value = {
        let keep = keep.clone();
        tensor::float_zip!(grad.raw(), &x, "backward", |g, v| if keep(f64::from(v)) {
            g
        } else {
            0.0
        })?
    };
    Ok(Tensor::from_differentiable(
        name,
        value,
        &[grad],
        Save::NOTHING,
        move |gg, _, _| one(kept_where(name, gg, x.alias(), keep.clone())?),
    ))
}

/// A backward that is a linear map of the gradient computed by the
/// gradient-free `forward` (an embedding into zeros, a scatter), recorded
/// under `create_graph` with `adjoint`, the transposed map written with
/// differentiable ops (a slice, a gather), as its own backward.
pub(crate) fn linear_map(
    name: &'static str,
    grad: &Tensor,
    forward: impl FnOnce(&RawTensor) -> Result<RawTensor>,
    adjoint: impl Fn(&Tensor) -> Result<Tensor> + Send + Sync + 'static,
) -> Result<Tensor> {
    let value = forward(grad.raw())?;
    Ok(Tensor::from_differentiable(
        name,
        value,
        &[grad],
        Save::NOTHING,
        move |gg, _, _| one(adjoint(gg)?),
    ))
}
