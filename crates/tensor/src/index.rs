//! Indexing that copies: gather along a dim by a list of indices, add into
//! indexed slices, and stack tensors along a new dim.

use ndarray::Axis;

use crate::alloc::checked_numel;
use crate::dtype::{dispatch, DType};
use crate::error::{Result, TensorError};
use crate::tensor::{or_panic, Tensor};

impl Tensor {
    /// The slices at `indices` along `dim`, in that order (repeats allowed).
    /// PyTorch equivalent: `x.index_select(dim, indices)`; with `dim = 0` it
    /// is the tutorial's `features[batch_indices]`.
    ///
    /// # Errors
    /// [`TensorError::DimOutOfRange`] or [`TensorError::IndexOutOfRange`].
    pub fn try_index_select(&self, dim: isize, indices: &[usize]) -> Result<Tensor> {
        let d = self.dim_of_nonscalar("index_select", dim)?;
        for &i in indices {
            self.check_index("index_select", d, i)?;
        }
        let mut out_shape = self.shape().to_vec();
        out_shape[d] = indices.len();
        dispatch!(self.dtype, T => {
            let src = self.read::<T>();
            let mut scratch = Vec::new();
            // Gather whole blocks: for each outer position, the `inner`
            // values of every selected index along `d` are contiguous.
            let values = if self.numel() == 0 { &[][..] } else { src.contiguous(&mut scratch) };
            let shape = self.shape();
            let inner: usize = shape[d + 1..].iter().product();
            let stride = shape[d] * inner;
            Tensor::try_build::<T>("index_select", &out_shape, |out| {
                if out.is_empty() {
                    // Possibly many empty blocks: nothing to gather.
                    return;
                }
                let mut out = out.chunks_exact_mut(inner.max(1));
                for block in values.chunks_exact(stride.max(1)) {
                    for &i in indices {
                        out.next()
                            .expect("one block per index")
                            .copy_from_slice(&block[i * inner..(i + 1) * inner]);
                    }
                }
            })
        })
    }

    /// Panicking form of [`try_index_select`](Tensor::try_index_select).
    ///
    /// # Panics
    /// If `dim` or an index is out of range.
    #[track_caller]
    pub fn index_select(&self, dim: isize, indices: &[usize]) -> Tensor {
        or_panic(self.try_index_select(dim, indices))
    }

    /// Adds slice `j` of `source` along `dim` into slice `indices[j]` of
    /// `self` (repeated indices accumulate). PyTorch equivalent: `x.index_add_(dim, indices, source)`.
    ///
    /// # Errors
    /// [`TensorError::DimOutOfRange`], [`TensorError::IndexOutOfRange`], or
    /// [`TensorError::InvalidArgument`] if `source`'s shape is not `self`'s
    /// with `dim` resized to `indices.len()`.
    pub fn try_index_add_(
        &self,
        dim: isize,
        indices: &[usize],
        source: &Tensor,
    ) -> Result<&Tensor> {
        let d = self.dim_of_nonscalar("index_add_", dim)?;
        let mut expected = self.shape().to_vec();
        expected[d] = indices.len();
        if source.shape() != expected {
            return Err(TensorError::invalid(
                "index_add_",
                format!(
                    "source of shape {:?} does not match {expected:?} (self {:?} with dim {d} of size {})",
                    source.shape(),
                    self.shape(),
                    indices.len()
                ),
            ));
        }
        for &i in indices {
            self.check_index("index_add_", d, i)?;
        }
        self.expect_dtype("index_add_", DType::Float32)?;
        source.expect_dtype("index_add_", DType::Float32)?;
        let source = self.detached_source(source)?;
        self.write_reading::<f32, f32, ()>("index_add_", &source, |dst, src| {
            let mut dst = dst.array_mut();
            let src = src.array();
            for (j, &i) in indices.iter().enumerate() {
                let mut target = dst.index_axis_mut(Axis(d), i);
                target += &src.index_axis(Axis(d), j);
            }
        })?;
        Ok(self)
    }

    /// Panicking form of [`try_index_add_`](Tensor::try_index_add_).
    ///
    /// # Panics
    /// If `dim` or an index is out of range or `source` has the wrong shape.
    #[track_caller]
    pub fn index_add_(&self, dim: isize, indices: &[usize], source: &Tensor) -> &Tensor {
        or_panic(self.try_index_add_(dim, indices, source))
    }

    /// Joins tensors of equal shape along a new dim `dim`.
    /// PyTorch equivalent: `torch.stack(tensors, dim)`.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] for no tensors or differing shapes;
    /// [`TensorError::DimOutOfRange`] for a bad `dim`.
    pub fn try_stack(tensors: &[Tensor], dim: isize) -> Result<Tensor> {
        let first = tensors
            .first()
            .ok_or_else(|| TensorError::invalid("stack", "expects a non-empty list of tensors"))?;
        let d = crate::shape::normalize_insert_dim("stack", dim, first.shape())?;
        if let Some(other) = tensors.iter().find(|t| t.shape() != first.shape()) {
            return Err(TensorError::invalid(
                "stack",
                format!(
                    "expects each tensor to be equal size, but got {:?} and {:?}",
                    first.shape(),
                    other.shape()
                ),
            ));
        }
        // The result can be far larger than any input (the same tensor many
        // times): check its size and allocate it fallibly. Each input is a
        // block of `inner` values per position of the dims before `d`.
        if let Some(other) = tensors.iter().find(|t| t.dtype != first.dtype) {
            return Err(TensorError::invalid(
                "stack",
                format!(
                    "expects each tensor to have the same dtype, but got {} and {}",
                    first.dtype, other.dtype
                ),
            ));
        }
        let mut shape = first.shape().to_vec();
        shape.insert(d, tensors.len());
        checked_numel("stack", &shape)?;
        dispatch!(first.dtype, T => {
            let readers: Vec<_> = tensors.iter().map(|t| t.read::<T>()).collect();
            let mut scratch: Vec<Vec<T>> = readers.iter().map(|_| Vec::new()).collect();
            let sources: Vec<&[T]> = readers
                .iter()
                .zip(scratch.iter_mut())
                .map(|(r, s)| r.contiguous(s))
                .collect();
            Tensor::try_build::<T>("stack", &shape, |out| {
                if out.is_empty() {
                    return;
                }
                let inner: usize = first.shape()[d..].iter().product();
                let mut out = out.chunks_exact_mut(inner.max(1));
                for o in 0..first.numel() / inner.max(1) {
                    for values in &sources {
                        out.next()
                            .expect("one block per source")
                            .copy_from_slice(&values[o * inner..(o + 1) * inner]);
                    }
                }
            })
        })
    }

    /// Panicking form of [`try_stack`](Tensor::try_stack).
    ///
    /// # Panics
    /// For no tensors, differing shapes, or a bad `dim`.
    #[track_caller]
    pub fn stack(tensors: &[Tensor], dim: isize) -> Tensor {
        or_panic(Tensor::try_stack(tensors, dim))
    }
}
