//! Dense n-dimensional tensors (float32, float64, int64, bool) with PyTorch's
//! semantics and names.
//!
//! ```
//! use tensor::Tensor;
//!
//! let x = Tensor::ones(&[3, 2]);
//! let y = &x + 2.0;
//! assert_eq!(y.to_string(), "tensor([[3., 3.],\n        [3., 3.],\n        [3., 3.]])");
//! let w = Tensor::from_slice(&[2.0, -3.4]);
//! assert_eq!(x.matmul(&w).shape(), &[3]);
//! ```
//!
//! * A tensor is a view (shape, strides, offset) of a shared storage: views
//!   such as `t()`, `narrow` and `expand` copy nothing, and an in-place write
//!   through any view shows through all of them, as in PyTorch ([`Tensor`]).
//! * dtypes promote as in PyTorch ([`Tensor::result_type`]); comparisons give
//!   bool tensors, `argmax` and indices int64 ones.
//! * Binary operations broadcast like NumPy/PyTorch; operators (`&a + &b`,
//!   `2.0 * &x`) panic on incompatible shapes, and every fallible method has a
//!   `try_*` form returning [`Result`] with a [`TensorError`] that names the
//!   operation and the shapes.
//! * Random constructors draw from a seedable [`Generator`]; see [`random`].
//! * `Display` prints exactly what PyTorch's `repr` prints.
//! * Large elementwise ops and matrix products split their work on a rayon
//!   pool of their own, sized like the global one (`RAYON_NUM_THREADS`);
//!   work is never split when already running inside a rayon worker, so
//!   parallel sections never nest.
//!
//! This crate knows nothing of gradients; the `autograd` crate builds on it.

mod alloc;
mod arith;
mod block_cache;
mod conv;
mod convert;
mod creation;
mod direct_conv;
mod display;
mod dtype;
mod elementwise;
mod error;
mod index;
mod layout;
mod matmul;
mod ops;
mod pool;
mod pooling;
pub mod random;
mod reduce;
mod shape;
mod sort;
mod storage;
mod tensor;
mod transpose;
mod view;
mod winograd;

pub use arith::{Float, IntoScalar, Num, Scalar};
pub use conv::ConvParams;
pub use dtype::{DType, Element};
pub use elementwise::PARALLEL_ELEMENTWISE_THRESHOLD;
pub use error::{Result, TensorError};
pub use index::Indices;
pub use layout::Dims;
pub use pooling::PoolWindows;
pub use random::{manual_seed, Generator};
pub use shape::broadcast_shapes;
pub use tensor::Tensor;
