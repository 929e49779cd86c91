//! Conversions between dtypes. PyTorch equivalents: `x.to(dtype)`,
//! `x.float()`, `x.double()`, `x.long()`, `x.bool()`.

use crate::dtype::{cast, dispatch, DType, Element};
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

/// An element's little-endian encoding: the byte layout of safetensors
/// files and of PyTorch's storages (a bool is one byte, 0 or 1).
trait LittleEndian: Element {
    fn write_le(self, out: &mut [u8]);
    fn read_le(bytes: &[u8]) -> Self;
}

macro_rules! little_endian_numbers {
    ($($T:ty),*) => {$(
        impl LittleEndian for $T {
            fn write_le(self, out: &mut [u8]) {
                out.copy_from_slice(&self.to_le_bytes());
            }
            fn read_le(bytes: &[u8]) -> Self {
                <$T>::from_le_bytes(bytes.try_into().expect("one element's bytes"))
            }
        }
    )*};
}
little_endian_numbers!(f32, f64, i64);

impl LittleEndian for bool {
    fn write_le(self, out: &mut [u8]) {
        out[0] = u8::from(self);
    }
    /// Any nonzero byte is `true`, as a C++ `bool` read from memory would be.
    fn read_le(bytes: &[u8]) -> Self {
        bytes[0] != 0
    }
}

impl Tensor {
    /// The elements in row-major order as little-endian bytes, `dtype.size()`
    /// bytes each. PyTorch equivalent: the bytes `safetensors` writes for
    /// `x.contiguous()`.
    pub fn to_le_bytes(&self) -> Vec<u8> {
        dispatch!(self.dtype, T => {
            let mut out = vec![0u8; self.numel() * std::mem::size_of::<T>()];
            let mut chunks = out.chunks_exact_mut(std::mem::size_of::<T>());
            self.read::<T>().for_each(|v| v.write_le(chunks.next().expect("one chunk per element")));
            out
        })
    }

    /// A contiguous tensor of `shape` and `dtype` decoded from little-endian
    /// `bytes` (any alignment). PyTorch equivalent:
    /// `torch.frombuffer(bytes, dtype=dtype).reshape(shape)` on a little-endian host.
    ///
    /// # Errors
    /// [`TensorError::ByteLength`](crate::TensorError::ByteLength) unless
    /// `bytes` holds exactly one element per position of `shape`.
    pub fn try_from_le_bytes(bytes: &[u8], dtype: DType, shape: &[usize]) -> Result<Tensor> {
        let op = "from_le_bytes";
        let numel = crate::alloc::checked_numel(op, shape)?;
        if numel.checked_mul(dtype.size()) != Some(bytes.len()) {
            return Err(crate::TensorError::ByteLength {
                op,
                len: bytes.len(),
                shape: shape.to_vec(),
                dtype,
                numel,
                itemsize: dtype.size(),
            });
        }
        dispatch!(dtype, T => Tensor::try_build::<T>(op, shape, |out| {
            for (value, chunk) in out.iter_mut().zip(bytes.chunks_exact(dtype.size())) {
                *value = T::read_le(chunk);
            }
        }))
    }
}
