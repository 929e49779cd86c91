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

    /// Converted to float32. PyTorch equivalent: `x.float()`.
    #[track_caller]
    pub fn float(&self) -> Tensor {
        self.to_dtype(DType::Float32)
    }

    /// Converted to float64. PyTorch equivalent: `x.double()`.
    #[track_caller]
    pub fn double(&self) -> Tensor {
        self.to_dtype(DType::Float64)
    }

    /// Converted to int64. PyTorch equivalent: `x.long()`.
    #[track_caller]
    pub fn long(&self) -> Tensor {
        self.to_dtype(DType::Int64)
    }

    /// Converted to bool. PyTorch equivalent: `x.bool()`.
    #[track_caller]
    pub fn bool(&self) -> Tensor {
        self.to_dtype(DType::Bool)
    }
}
