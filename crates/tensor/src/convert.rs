//! Conversions between dtypes. PyTorch equivalents: `x.to(dtype)`,
//! `x.float()`, `x.double()`, `x.long()`, `x.bool()`.

use crate::dtype::{cast, dispatch, DType};
use crate::error::Result;
use crate::tensor::{or_panic, Tensor};

impl Tensor {
    /// The elements converted to `dtype` (floats round to nearest, floats to
    /// int64 truncate toward zero, anything to bool tests `!= 0`); `self`
    /// shared, not copied, if it already has that dtype.
    /// PyTorch equivalent: `x.to(dtype)`.
    ///
    /// # Errors
    /// [`TensorError::Allocation`](crate::TensorError::Allocation) if the
    /// result does not fit in memory.
    pub fn try_to_dtype(&self, dtype: DType) -> Result<Tensor> {
        if dtype == self.dtype {
            return Ok(self.alias());
        }
        dispatch!(self.dtype, S => dispatch!(dtype, T => {
            self.map_to::<S, T>("to", cast::<S, T>)
        }))
    }

    /// Panicking form of [`try_to_dtype`](Tensor::try_to_dtype).
    ///
    /// # Panics
    /// If the result does not fit in memory.
    #[track_caller]
    pub fn to_dtype(&self, dtype: DType) -> Tensor {
        or_panic(self.try_to_dtype(dtype))
    }
}

/// The shorthand conversions `float()`, `double()`, `long()` and `bool()`
/// on a tensor type with a panicking `to_dtype(DType) -> Self` (this
/// crate's, and the `autograd` crate's, where float to float is
/// differentiable).
#[macro_export]
macro_rules! impl_dtype_conversions {
    ($T:ty) => {
        $crate::impl_dtype_conversions!(@methods $T,
            float => Float32, "x.float()";
            double => Float64, "x.double()";
            long => Int64, "x.long()";
            bool => Bool, "x.bool()";
        );
    };
    (@methods $T:ty, $($name:ident => $dtype:ident, $torch:literal;)*) => {
        impl $T {
            $(
                #[doc = concat!("Converted to ", stringify!($dtype), ". PyTorch equivalent: `", $torch, "`.")]
                ///
                /// # Panics
                /// If the result does not fit in memory.
                #[track_caller]
                pub fn $name(&self) -> $T {
                    self.to_dtype($crate::DType::$dtype)
                }
            )*
        }
    };
}

crate::impl_dtype_conversions!(Tensor);
