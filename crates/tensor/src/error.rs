//! The error type of every fallible tensor operation.
//!
//! Each variant names the operation and carries the shapes or values involved,
//! so that a message reads like `matmul: cannot multiply [3, 4] by [5, 2] (4 != 5)`.

/// Result alias used throughout the crate.
pub type Result<T, E = TensorError> = std::result::Result<T, E>;

/// What went wrong, with the operation's name and the shapes involved.
///
/// `Debug` prints the same message as `Display`, so an error returned from
/// `main` through `?` reads as the message.
#[derive(Clone, PartialEq, thiserror::Error)]
pub enum TensorError {
    /// Two shapes that cannot be broadcast together (NumPy/PyTorch rules).
    #[error("{op}: shapes {lhs:?} and {rhs:?} cannot be broadcast together")]
    Broadcast {
        op: &'static str,
        lhs: Vec<usize>,
        rhs: Vec<usize>,
    },
    /// Inner dimensions of a matrix product disagree.
    #[error("{op}: cannot multiply {lhs:?} by {rhs:?} ({lhs_k} != {rhs_k})")]
    MatmulShape {
        op: &'static str,
        lhs: Vec<usize>,
        rhs: Vec<usize>,
        lhs_k: usize,
        rhs_k: usize,
    },
    /// A requested shape does not hold the tensor's number of elements.
    #[error("{op}: shape {shape:?} is invalid for input of shape {input:?} ({numel} elements)")]
    ShapeSize {
        op: &'static str,
        shape: Vec<isize>,
        input: Vec<usize>,
        numel: usize,
    },
    /// A dimension index outside `[-ndim, ndim)`.
    #[error("{op}: dimension {dim} out of range for a tensor of shape {shape:?} (expected in [{}, {}])", -(*ndim.max(&1) as isize), *ndim.max(&1) as isize - 1)]
    DimOutOfRange {
        op: &'static str,
        dim: isize,
        ndim: usize,
        shape: Vec<usize>,
    },
    /// An element index outside a dimension.
    #[error("{op}: index {index} is out of bounds for dimension {dim} with size {size} (shape {shape:?})")]
    IndexOutOfRange {
        op: &'static str,
        index: usize,
        dim: usize,
        size: usize,
        shape: Vec<usize>,
    },
    /// The data given does not fill the shape given.
    #[error("{op}: {len} values cannot fill shape {shape:?} ({numel} elements)")]
    DataLength {
        op: &'static str,
        len: usize,
        shape: Vec<usize>,
        numel: usize,
    },
    /// Raw bytes that are not a whole number of elements filling the shape.
    #[error("{op}: {len} bytes cannot fill shape {shape:?} of {dtype} ({numel} elements of {itemsize} bytes)")]
    ByteLength {
        op: &'static str,
        len: usize,
        shape: Vec<usize>,
        dtype: crate::DType,
        numel: usize,
        itemsize: usize,
    },
    /// `item()` on a tensor that is not a single element.
    #[error(
        "item: a tensor of shape {shape:?} with {numel} elements cannot be converted to a scalar"
    )]
    NotAScalar { shape: Vec<usize>, numel: usize },
    /// A shape whose number of elements overflows the address space.
    #[error("{op}: shape {shape:?} is too large: its number of elements overflows")]
    ShapeOverflow { op: &'static str, shape: Vec<usize> },
    /// The allocator could not provide the memory for a result.
    #[error("{op}: cannot allocate {numel} elements of {} ({})", dtype.name(), crate::alloc::human_bytes(*numel as u128 * dtype.size() as u128))]
    Allocation {
        op: &'static str,
        numel: usize,
        dtype: crate::DType,
    },
    /// An operation given a tensor whose dtype it does not support.
    #[error("{op}: expected {expected}, but got a tensor of dtype {dtype}")]
    UnsupportedDType {
        op: &'static str,
        dtype: crate::DType,
        expected: &'static str,
    },
    /// Any other invalid argument, described in words.
    #[error("{op}: {msg}")]
    InvalidArgument { op: &'static str, msg: String },
}

/// Implements `Debug` as the type's `Display` message, so an error returned
/// from `main` through `?` prints its message. Used by every error type of
/// the workspace.
#[macro_export]
macro_rules! debug_as_display {
    ($T:ty) => {
        impl ::std::fmt::Debug for $T {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(self, f)
            }
        }
    };
}

debug_as_display!(TensorError);

impl TensorError {
    pub(crate) fn invalid(op: &'static str, msg: impl Into<String>) -> Self {
        TensorError::InvalidArgument {
            op,
            msg: msg.into(),
        }
    }
}
