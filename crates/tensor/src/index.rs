//! Indexing: gather along a dim by a list of indices, narrow a dim to a range,
//! and select one index of a dim.

use ndarray::{Axis, Slice};

use crate::alloc::{checked_numel, try_with_capacity};
use crate::error::{Result, TensorError};
use crate::shape::normalize_dim;
use crate::tensor::{or_panic, Tensor};

impl Tensor {
    fn check_index(&self, op: &'static str, dim: usize, index: usize) -> Result<()> {
        let size = self.shape()[dim];
        if index >= size {
            return Err(TensorError::IndexOutOfRange {
                op,
                index,
                dim,
                size,
                shape: self.shape().to_vec(),
            });
        }
        Ok(())
    }

    fn dim_of_nonscalar(&self, op: &'static str, dim: isize) -> Result<usize> {
        if self.dim() == 0 {
            return Err(TensorError::invalid(op, "cannot index a 0-d tensor"));
        }
        normalize_dim(op, dim, self.shape())
    }

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
        // Gather whole blocks: for each outer position, the `inner` values
        // of every selected index along `d` are contiguous in the input.
        let src = self.contiguous();
        let values = src.as_slice().expect("contiguous");
        let shape = self.shape();
        let inner: usize = shape[d + 1..].iter().product();
        let outer: usize = shape[..d].iter().product();
        let stride = shape[d] * inner;
        let mut out_shape = shape.to_vec();
        out_shape[d] = indices.len();
        let out_numel = checked_numel("index_select", &out_shape)?;
        let mut out = try_with_capacity("index_select", out_numel)?;
        if out_numel == 0 {
            // Possibly many empty blocks: nothing to gather.
            return Tensor::from_vec(out, &out_shape);
        }
        for o in 0..outer {
            let block = &values[o * stride..(o + 1) * stride];
            for &i in indices {
                out.extend_from_slice(&block[i * inner..(i + 1) * inner]);
            }
        }
        Tensor::from_vec(out, &out_shape)
    }

    /// Panicking form of [`try_index_select`](Tensor::try_index_select).
    ///
    /// # Panics
    /// If `dim` or an index is out of range.
    #[track_caller]
    pub fn index_select(&self, dim: isize, indices: &[usize]) -> Tensor {
        or_panic(self.try_index_select(dim, indices))
    }

    /// The `length` slices starting at `start` along `dim` (shares storage
    /// until either side is written: copy-on-write, so writes never alias).
    /// PyTorch equivalent: `x.narrow(dim, start, length)`, i.e. `x[start:start+length]` on dim 0.
    ///
    /// # Errors
    /// [`TensorError::DimOutOfRange`], or [`TensorError::InvalidArgument`] if
    /// the range does not fit in the dim.
    pub fn try_narrow(&self, dim: isize, start: usize, length: usize) -> Result<Tensor> {
        let d = self.dim_of_nonscalar("narrow", dim)?;
        let size = self.shape()[d];
        if start.checked_add(length).is_none_or(|end| end > size) {
            return Err(TensorError::invalid(
                "narrow",
                format!("start ({start}) + length ({length}) exceeds dimension {d} of size {size} (shape {:?})", self.shape()),
            ));
        }
        let mut data = self.data.clone();
        data.slice_axis_inplace(Axis(d), Slice::from(start..start + length));
        Ok(Tensor::from_shared(data))
    }

    /// Panicking form of [`try_narrow`](Tensor::try_narrow).
    ///
    /// # Panics
    /// If `dim` is out of range or the range does not fit.
    #[track_caller]
    pub fn narrow(&self, dim: isize, start: usize, length: usize) -> Tensor {
        or_panic(self.try_narrow(dim, start, length))
    }

    /// The slice at `index` along `dim`, with that dim removed (shares
    /// storage until either side is written: copy-on-write).
    /// PyTorch equivalent: `x.select(dim, index)`; `x[i]` is `select(0, i)`.
    ///
    /// # Errors
    /// [`TensorError::DimOutOfRange`] or [`TensorError::IndexOutOfRange`].
    pub fn try_select(&self, dim: isize, index: usize) -> Result<Tensor> {
        let d = self.dim_of_nonscalar("select", dim)?;
        self.check_index("select", d, index)?;
        Ok(Tensor::from_shared(
            self.data.clone().index_axis_move(Axis(d), index),
        ))
    }

    /// Panicking form of [`try_select`](Tensor::try_select).
    ///
    /// # Panics
    /// If `dim` or `index` is out of range.
    #[track_caller]
    pub fn select(&self, dim: isize, index: usize) -> Tensor {
        or_panic(self.try_select(dim, index))
    }

    /// Row `index` of dimension 0. PyTorch equivalent: `x[index]`.
    ///
    /// # Panics
    /// If the tensor is 0-d or `index` is out of range.
    #[track_caller]
    pub fn get(&self, index: usize) -> Tensor {
        self.select(0, index)
    }

    /// Adds slice `j` of `source` along `dim` into slice `indices[j]` of
    /// `self` (repeated indices accumulate). PyTorch equivalent: `x.index_add_(dim, indices, source)`.
    ///
    /// # Errors
    /// [`TensorError::DimOutOfRange`], [`TensorError::IndexOutOfRange`], or
    /// [`TensorError::InvalidArgument`] if `source`'s shape is not `self`'s
    /// with `dim` resized to `indices.len()`.
    pub fn try_index_add_(
        &mut self,
        dim: isize,
        indices: &[usize],
        source: &Tensor,
    ) -> Result<&mut Tensor> {
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
        for (j, &i) in indices.iter().enumerate() {
            let mut target = self.data.index_axis_mut(Axis(d), i);
            target += &source.data.index_axis(Axis(d), j);
        }
        Ok(self)
    }

    /// Panicking form of [`try_index_add_`](Tensor::try_index_add_).
    ///
    /// # Panics
    /// If `dim` or an index is out of range or `source` has the wrong shape.
    #[track_caller]
    pub fn index_add_(&mut self, dim: isize, indices: &[usize], source: &Tensor) -> &mut Tensor {
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
        let mut shape = first.shape().to_vec();
        shape.insert(d, tensors.len());
        let numel = checked_numel("stack", &shape)?;
        let mut out = try_with_capacity("stack", numel)?;
        if numel > 0 {
            let sources = tensors
                .iter()
                .map(Tensor::try_contiguous)
                .collect::<Result<Vec<_>>>()?;
            let inner: usize = first.shape()[d..].iter().product();
            let outer = first.numel() / inner;
            for o in 0..outer {
                for source in &sources {
                    let values = source.as_slice().expect("contiguous");
                    out.extend_from_slice(&values[o * inner..(o + 1) * inner]);
                }
            }
        }
        Tensor::from_vec(out, &shape)
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
