//! Views: shape operations that share the storage and only compute a new
//! layout (transpose, permute, expand, narrow, slice, select, unsqueeze,
//! squeeze, view, unfold, chunk, split), and `reshape`, which copies only
//! when no view can express the new shape.

use crate::alloc::checked_numel;
use crate::error::{Result, TensorError};
use crate::layout::{contiguous_strides, Dims, Layout};
use crate::shape::{infer_shape, normalize_dim, normalize_insert_dim};
use crate::tensor::{or_panic, Tensor};

/// The strides that let a tensor of `old_shape`/`old_strides` be viewed with
/// `new_shape` (same element count), or `None` when a dimension of the new
/// shape would span two non-contiguous chunks. PyTorch's `computeStride`
/// (aten/src/ATen/TensorUtils.cpp).
fn view_strides(old_shape: &[usize], old_strides: &[usize], new_shape: &[usize]) -> Option<Dims> {
    let numel: usize = old_shape.iter().product();
    if numel == 0 || old_shape.is_empty() {
        return Some(contiguous_strides(new_shape));
    }
    let mut new_strides = Dims::from_slice(new_shape);
    let mut view_d = new_shape.len() as isize - 1;
    let mut chunk_base_stride = *old_strides.last().expect("not 0-d");
    let (mut tensor_numel, mut view_numel) = (1usize, 1usize);
    for tensor_d in (0..old_shape.len()).rev() {
        tensor_numel *= old_shape[tensor_d];
        let chunk_ends = tensor_d == 0
            || (old_shape[tensor_d - 1] != 1
                && old_strides[tensor_d - 1] != tensor_numel * chunk_base_stride);
        if chunk_ends {
            while view_d >= 0 && (view_numel < tensor_numel || new_shape[view_d as usize] == 1) {
                new_strides[view_d as usize] = view_numel * chunk_base_stride;
                view_numel *= new_shape[view_d as usize];
                view_d -= 1;
            }
            if view_numel != tensor_numel {
                return None;
            }
            if tensor_d > 0 {
                chunk_base_stride = old_strides[tensor_d - 1];
                tensor_numel = 1;
                view_numel = 1;
            }
        }
    }
    (view_d == -1).then_some(new_strides)
}

impl Tensor {
    pub(crate) fn dim_of_nonscalar(&self, op: &'static str, dim: isize) -> Result<usize> {
        if self.dim() == 0 {
            return Err(TensorError::invalid(op, "cannot index a 0-d tensor"));
        }
        normalize_dim(op, dim, self.shape())
    }

    /// The same elements with a new shape, sharing storage; one dimension
    /// may be `-1` (inferred). PyTorch equivalent: `x.view(shape)`.
    ///
    /// # Errors
    /// [`TensorError::ShapeSize`] if the element counts differ;
    /// [`TensorError::InvalidArgument`] if the strides cannot express the
    /// new shape without a copy (use [`reshape`](Tensor::reshape)).
    pub fn try_view(&self, shape: &[isize]) -> Result<Tensor> {
        let shape = infer_shape("view", shape, self.shape())?;
        let strides = view_strides(self.shape(), self.stride(), &shape).ok_or_else(|| {
            TensorError::invalid(
                "view",
                format!(
                    "view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead. (shape {:?}, strides {:?}, requested {shape:?})",
                    self.shape(),
                    self.stride()
                ),
            )
        })?;
        Ok(self.with_layout(Layout::new(&shape, &strides, self.layout.offset)))
    }

    /// Panicking form of [`try_view`](Tensor::try_view).
    ///
    /// # Panics
    /// As `try_view` errs.
    #[track_caller]
    pub fn view(&self, shape: &[isize]) -> Tensor {
        or_panic(self.try_view(shape))
    }

    /// The same elements in a new shape; one dimension may be `-1`
    /// (inferred). A view when the strides allow it, else a copy.
    /// PyTorch equivalent: `x.reshape(shape)`.
    ///
    /// # Errors
    /// [`TensorError::ShapeSize`] if the element counts differ;
    /// [`TensorError::InvalidArgument`] for two `-1`s or a negative size.
    pub fn try_reshape(&self, shape: &[isize]) -> Result<Tensor> {
        if shape.len() == self.dim()
            && shape
                .iter()
                .zip(self.shape())
                .all(|(&r, &d)| r == d as isize)
        {
            // Its own shape (the tutorial's `y.reshape(y_hat.shape)`): a view.
            return Ok(self.with_layout(self.layout.clone()));
        }
        let shape = infer_shape("reshape", shape, self.shape())?;
        let layout = match view_strides(self.shape(), self.stride(), &shape) {
            Some(strides) => Layout::new(&shape, &strides, self.layout.offset),
            None => {
                let copy = self.try_clone()?;
                return Ok(copy.with_layout(Layout::contiguous(&shape)));
            }
        };
        Ok(self.with_layout(layout))
    }

    /// Panicking form of [`try_reshape`](Tensor::try_reshape).
    ///
    /// # Panics
    /// If the shape is invalid for this tensor's element count.
    #[track_caller]
    pub fn reshape(&self, shape: &[isize]) -> Tensor {
        or_panic(self.try_reshape(shape))
    }

    /// All elements as a 1-D tensor (a view when possible).
    /// PyTorch equivalent: `x.flatten()`.
    pub fn flatten(&self) -> Tensor {
        self.reshape(&[-1])
    }

    /// Swaps two dimensions (a view). PyTorch equivalent: `x.transpose(d0, d1)`.
    ///
    /// # Errors
    /// [`TensorError::DimOutOfRange`] if either dim is out of range.
    pub fn try_transpose(&self, dim0: isize, dim1: isize) -> Result<Tensor> {
        let d0 = normalize_dim("transpose", dim0, self.shape())?;
        let d1 = normalize_dim("transpose", dim1, self.shape())?;
        let mut layout = self.layout.clone();
        if self.dim() > 0 {
            layout.swap(d0, d1);
        }
        Ok(self.with_layout(layout))
    }

    /// Panicking form of [`try_transpose`](Tensor::try_transpose).
    ///
    /// # Panics
    /// If either dim is out of range.
    #[track_caller]
    pub fn transpose(&self, dim0: isize, dim1: isize) -> Tensor {
        or_panic(self.try_transpose(dim0, dim1))
    }

    /// The transpose of a tensor of at most 2 dimensions (0-d and 1-D are
    /// returned as they are), a view. PyTorch equivalent: `x.t()`.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] if the tensor has more than 2 dimensions.
    pub fn try_t(&self) -> Result<Tensor> {
        match self.dim() {
            0 | 1 => Ok(self.alias()),
            2 => self.try_transpose(0, 1),
            _ => Err(TensorError::invalid(
                "t",
                format!(
                    "expects a tensor with <= 2 dimensions, but got shape {:?}",
                    self.shape()
                ),
            )),
        }
    }

    /// Panicking form of [`try_t`](Tensor::try_t).
    ///
    /// # Panics
    /// If the tensor has more than 2 dimensions.
    #[track_caller]
    pub fn t(&self) -> Tensor {
        or_panic(self.try_t())
    }

    /// Reorders the dimensions (a view). PyTorch equivalent: `x.permute(dims)`.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] unless `dims` is a permutation of the dims.
    pub fn try_permute(&self, dims: &[isize]) -> Result<Tensor> {
        let ndim = self.dim();
        let mut axes = Vec::with_capacity(ndim);
        for &d in dims {
            axes.push(normalize_dim("permute", d, self.shape())?);
        }
        let mut seen = vec![false; ndim];
        let is_permutation = axes.len() == ndim
            && axes
                .iter()
                .all(|&a| a < ndim && !std::mem::replace(&mut seen[a], true));
        if !is_permutation {
            return Err(TensorError::invalid(
                "permute",
                format!(
                    "dims {dims:?} are not a permutation of the {ndim} dims of shape {:?}",
                    self.shape()
                ),
            ));
        }
        let shape: Dims = axes.iter().map(|&a| self.shape()[a]).collect();
        let strides: Dims = axes.iter().map(|&a| self.stride()[a]).collect();
        Ok(self.with_layout(Layout::new(&shape, &strides, self.layout.offset)))
    }

    /// Panicking form of [`try_permute`](Tensor::try_permute).
    ///
    /// # Panics
    /// Unless `dims` is a permutation of the tensor's dims.
    #[track_caller]
    pub fn permute(&self, dims: &[isize]) -> Tensor {
        or_panic(self.try_permute(dims))
    }

    /// Removes every dimension of size 1 (a view). PyTorch equivalent: `x.squeeze()`.
    pub fn squeeze(&self) -> Tensor {
        let keep = |&(&size, _): &(&usize, &usize)| size != 1;
        let dims = || self.shape().iter().zip(self.stride()).filter(keep);
        let shape: Dims = dims().map(|(&size, _)| size).collect();
        let strides: Dims = dims().map(|(_, &stride)| stride).collect();
        self.with_layout(Layout::new(&shape, &strides, self.layout.offset))
    }

    /// Removes dimension `dim` if its size is 1 (otherwise returns the tensor
    /// as it is, as PyTorch does); a view. PyTorch equivalent: `x.squeeze(dim)`.
    ///
    /// # Errors
    /// [`TensorError::DimOutOfRange`] if `dim` is out of range.
    pub fn try_squeeze_dim(&self, dim: isize) -> Result<Tensor> {
        let d = normalize_dim("squeeze", dim, self.shape())?;
        let mut layout = self.layout.clone();
        if self.dim() > 0 && self.shape()[d] == 1 {
            layout.remove(d);
        }
        Ok(self.with_layout(layout))
    }

    /// Panicking form of [`try_squeeze_dim`](Tensor::try_squeeze_dim).
    ///
    /// # Panics
    /// If `dim` is out of range.
    #[track_caller]
    pub fn squeeze_dim(&self, dim: isize) -> Tensor {
        or_panic(self.try_squeeze_dim(dim))
    }

    /// Inserts a dimension of size 1 at `dim` (which may be `-1` for the
    /// end); a view. PyTorch equivalent: `x.unsqueeze(dim)`.
    ///
    /// # Errors
    /// [`TensorError::DimOutOfRange`] if `dim` is outside `[-ndim-1, ndim]`.
    pub fn try_unsqueeze(&self, dim: isize) -> Result<Tensor> {
        let d = normalize_insert_dim("unsqueeze", dim, self.shape())?;
        let stride = match self.shape().get(d) {
            Some(&size) => size * self.stride()[d],
            None => 1,
        };
        let mut layout = self.layout.clone();
        layout.insert(d, 1, stride);
        Ok(self.with_layout(layout))
    }

    /// Panicking form of [`try_unsqueeze`](Tensor::try_unsqueeze).
    ///
    /// # Panics
    /// If `dim` is out of range.
    #[track_caller]
    pub fn unsqueeze(&self, dim: isize) -> Tensor {
        or_panic(self.try_unsqueeze(dim))
    }

    /// A view repeating size-1 dims to `shape` (stride 0, no copy); `-1`
    /// keeps a size, and new leading dims may be added. Writing in place to
    /// the result is an error, as in PyTorch.
    /// PyTorch equivalent: `x.expand(shape)`.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] if the tensor cannot be expanded to `shape`.
    pub fn try_expand(&self, shape: &[isize]) -> Result<Tensor> {
        let own = self.shape();
        let err = || {
            TensorError::invalid(
                "expand",
                format!("the shape {own:?} cannot be expanded to {shape:?}"),
            )
        };
        if shape.len() < own.len() {
            return Err(err());
        }
        let lead = shape.len() - own.len();
        let mut target = Dims::new();
        let mut strides = Dims::new();
        for (i, &s) in shape.iter().enumerate() {
            let (own_size, own_stride) = match i.checked_sub(lead) {
                Some(j) => (Some(own[j]), self.stride()[j]),
                None => (None, 0),
            };
            let size = match (s, own_size) {
                (-1, Some(size)) => size,
                (s, _) if s >= 0 => s as usize,
                _ => return Err(err()),
            };
            let stride = match own_size {
                Some(o) if o == size => own_stride,
                Some(1) | None => 0,
                Some(_) => return Err(err()),
            };
            target.push(size);
            strides.push(stride);
        }
        checked_numel("expand", &target)?;
        Ok(self.with_layout(Layout::new(&target, &strides, self.layout.offset)))
    }

    /// Panicking form of [`try_expand`](Tensor::try_expand).
    ///
    /// # Panics
    /// If the tensor cannot be broadcast to `shape`.
    #[track_caller]
    pub fn expand(&self, shape: &[isize]) -> Tensor {
        or_panic(self.try_expand(shape))
    }

    /// A view broadcast to `shape` (stride 0 along repeated dims).
    /// PyTorch equivalent: `torch.broadcast_to(x, shape)`.
    ///
    /// # Errors
    /// [`TensorError::Broadcast`] if the shapes are incompatible.
    pub fn try_broadcast_to(&self, shape: &[usize]) -> Result<Tensor> {
        if self.shape() == shape {
            return Ok(self.alias());
        }
        let err = || TensorError::Broadcast {
            op: "broadcast_to",
            lhs: self.shape().to_vec(),
            rhs: shape.to_vec(),
        };
        // One pass: each target dim either matches this tensor's (its
        // stride) or repeats a size-1 or missing dim (stride 0).
        let lead = shape.len().checked_sub(self.dim()).ok_or_else(err)?;
        let mut layout = Layout::new(shape, shape, self.layout.offset);
        let (own_shape, own_strides) = (self.shape(), self.stride());
        for (i, (stride, &size)) in layout.dims_mut().1.iter_mut().zip(shape).enumerate() {
            *stride = match i.checked_sub(lead) {
                Some(j) if own_shape[j] == size => own_strides[j],
                Some(j) if own_shape[j] != 1 => return Err(err()),
                _ => 0,
            };
        }
        checked_numel("broadcast_to", shape)?;
        Ok(self.with_layout(layout))
    }

    /// Panicking form of [`try_broadcast_to`](Tensor::try_broadcast_to).
    ///
    /// # Panics
    /// If the shapes are incompatible.
    #[track_caller]
    pub fn broadcast_to(&self, shape: &[usize]) -> Tensor {
        or_panic(self.try_broadcast_to(shape))
    }

    /// The `length` slices starting at `start` along `dim` (a view).
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
        let mut layout = self.layout.clone();
        if length > 0 {
            layout.offset = layout
                .offset
                .wrapping_add(start.wrapping_mul(self.stride()[d]));
        }
        layout.dims_mut().0[d] = length;
        Ok(self.with_layout(layout))
    }

    /// Panicking form of [`try_narrow`](Tensor::try_narrow).
    ///
    /// # Panics
    /// If `dim` is out of range or the range does not fit.
    #[track_caller]
    pub fn narrow(&self, dim: isize, start: usize, length: usize) -> Tensor {
        or_panic(self.try_narrow(dim, start, length))
    }

    /// Elements `start, start + step, ...` before `end` along `dim` (a view),
    /// with Python's slice rules: negative bounds count from the end, bounds
    /// past either end are clamped, `None` means the whole side.
    /// PyTorch equivalent: `x[start:end:step]` on dim `dim`.
    ///
    /// # Errors
    /// [`TensorError::DimOutOfRange`], or [`TensorError::InvalidArgument`]
    /// for a step of 0.
    pub fn try_slice(
        &self,
        dim: isize,
        start: Option<isize>,
        end: Option<isize>,
        step: usize,
    ) -> Result<Tensor> {
        let d = self.dim_of_nonscalar("slice", dim)?;
        if step == 0 {
            return Err(TensorError::invalid("slice", "slice step must be positive"));
        }
        let size = self.shape()[d] as isize;
        let clamp = |bound: Option<isize>, default: isize| -> usize {
            let b = bound.unwrap_or(default);
            let b = if b < 0 { b + size } else { b };
            b.clamp(0, size) as usize
        };
        let (start, end) = (clamp(start, 0), clamp(end, size));
        let length = if end > start {
            (end - start).div_ceil(step)
        } else {
            0
        };
        let mut layout = self.layout.clone();
        if length > 0 {
            layout.offset = layout
                .offset
                .wrapping_add(start.wrapping_mul(self.stride()[d]));
        }
        // Two or more elements lie inside the tensor, so their stride fits;
        // a single one keeps the dim's stride (any step would do).
        let stride = match length {
            0 | 1 => self.stride()[d],
            _ => self.stride()[d].checked_mul(step).ok_or_else(|| {
                TensorError::invalid("slice", format!("step {step} overflows the stride"))
            })?,
        };
        let (sizes, strides) = layout.dims_mut();
        sizes[d] = length;
        strides[d] = stride;
        Ok(self.with_layout(layout))
    }

    /// Panicking form of [`try_slice`](Tensor::try_slice).
    ///
    /// # Panics
    /// As `try_slice` errs.
    #[track_caller]
    pub fn slice(
        &self,
        dim: isize,
        start: Option<isize>,
        end: Option<isize>,
        step: usize,
    ) -> Tensor {
        or_panic(self.try_slice(dim, start, end, step))
    }

    /// The slice at `index` along `dim`, with that dim removed (a view).
    /// PyTorch equivalent: `x.select(dim, index)`; `x[i]` is `select(0, i)`.
    ///
    /// # Errors
    /// [`TensorError::DimOutOfRange`] or [`TensorError::IndexOutOfRange`].
    pub fn try_select(&self, dim: isize, index: usize) -> Result<Tensor> {
        let d = self.dim_of_nonscalar("select", dim)?;
        self.check_index("select", d, index)?;
        let mut layout = self.layout.clone();
        layout.offset = layout
            .offset
            .wrapping_add(index.wrapping_mul(self.stride()[d]));
        layout.remove(d);
        Ok(self.with_layout(layout))
    }

    /// Panicking form of [`try_select`](Tensor::try_select).
    ///
    /// # Panics
    /// If `dim` or `index` is out of range.
    #[track_caller]
    pub fn select(&self, dim: isize, index: usize) -> Tensor {
        or_panic(self.try_select(dim, index))
    }

    /// Row `index` of dimension 0 (a view). PyTorch equivalent: `x[index]`.
    ///
    /// # Panics
    /// If the tensor is 0-d or `index` is out of range.
    #[track_caller]
    pub fn get(&self, index: usize) -> Tensor {
        self.select(0, index)
    }

    pub(crate) fn check_index(&self, op: &'static str, dim: usize, index: usize) -> Result<()> {
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

    /// All windows of `size` elements along `dim`, `step` apart, as a new
    /// last dimension (a view; windows may overlap).
    /// PyTorch equivalent: `x.unfold(dim, size, step)`.
    ///
    /// # Errors
    /// [`TensorError::DimOutOfRange`], or [`TensorError::InvalidArgument`]
    /// if `size` exceeds the dim or `step` is 0.
    pub fn try_unfold(&self, dim: isize, size: usize, step: usize) -> Result<Tensor> {
        let d = normalize_dim("unfold", dim, self.shape())?;
        let (dim_size, dim_stride) = match self.dim() {
            0 => (1, 1),
            _ => (self.shape()[d], self.stride()[d]),
        };
        if size > dim_size {
            return Err(TensorError::invalid(
                "unfold",
                format!("maximum size for tensor at dimension {d} is {dim_size} but size is {size} (shape {:?})", self.shape()),
            ));
        }
        if step == 0 {
            return Err(TensorError::invalid("unfold", "step is 0 but must be > 0"));
        }
        let mut layout = self.layout.clone();
        if self.dim() > 0 {
            let windows = (dim_size - size) / step + 1;
            // As in slice: with one window the step never applies.
            let stride = match windows {
                0 | 1 => dim_stride,
                _ => dim_stride.checked_mul(step).ok_or_else(|| {
                    TensorError::invalid("unfold", format!("step {step} overflows the stride"))
                })?,
            };
            let (sizes, strides) = layout.dims_mut();
            sizes[d] = windows;
            strides[d] = stride;
        }
        layout.push(size, dim_stride);
        // Overlapping windows can hold far more elements than the input.
        checked_numel("unfold", layout.shape())?;
        Ok(self.with_layout(layout))
    }

    /// A view of this tensor's storage with the given sizes, strides and
    /// storage offset (in elements), which must stay inside the storage.
    /// PyTorch equivalent: `torch.as_strided(x, size, stride, storage_offset)`.
    ///
    /// # Errors
    /// If `size` and `stride` differ in length, or the view would reach past
    /// the end of the storage.
    pub fn try_as_strided(
        &self,
        size: &[usize],
        stride: &[usize],
        storage_offset: usize,
    ) -> Result<Tensor> {
        if size.len() != stride.len() {
            return Err(TensorError::invalid(
                "as_strided",
                format!("mismatch in length of strides and shape: {size:?} and {stride:?}"),
            ));
        }
        checked_numel("as_strided", size)?;
        let capacity = self.storage.bytes() / self.dtype.size();
        // The furthest element the view reaches, when it has any.
        let last = size
            .iter()
            .zip(stride)
            .try_fold(storage_offset, |end, (&n, &s)| match n {
                0 => Some(end),
                n => end.checked_add((n - 1).checked_mul(s)?),
            });
        let fits = size.contains(&0) || last.is_some_and(|last| last < capacity);
        if !fits {
            return Err(TensorError::invalid(
                "as_strided",
                format!(
                    "setStorage: sizes {size:?}, strides {stride:?} and storage offset {storage_offset} reach past the storage's {capacity} elements"
                ),
            ));
        }
        Ok(self.with_layout(Layout::new(size, stride, storage_offset)))
    }

    /// Panicking form of [`try_unfold`](Tensor::try_unfold).
    ///
    /// # Panics
    /// As `try_unfold` errs.
    #[track_caller]
    pub fn unfold(&self, dim: isize, size: usize, step: usize) -> Tensor {
        or_panic(self.try_unfold(dim, size, step))
    }

    /// Views of consecutive pieces of `split_size` along `dim` (the last may
    /// be smaller). PyTorch equivalent: `x.split(split_size, dim)`.
    ///
    /// # Errors
    /// [`TensorError::DimOutOfRange`], or [`TensorError::InvalidArgument`]
    /// for a `split_size` of 0 on a non-empty dim.
    pub fn try_split(&self, split_size: usize, dim: isize) -> Result<Vec<Tensor>> {
        let d = self.dim_of_nonscalar("split", dim)?;
        let size = self.shape()[d];
        if split_size == 0 && size > 0 {
            return Err(TensorError::invalid(
                "split",
                format!("split_size can only be 0 if dimension size is 0, but got dimension size of {size}"),
            ));
        }
        if size == 0 {
            return Ok(vec![self.alias()]);
        }
        (0..size)
            .step_by(split_size)
            .map(|start| self.try_narrow(d as isize, start, split_size.min(size - start)))
            .collect()
    }

    /// Panicking form of [`try_split`](Tensor::try_split).
    ///
    /// # Panics
    /// As `try_split` errs.
    #[track_caller]
    pub fn split(&self, split_size: usize, dim: isize) -> Vec<Tensor> {
        or_panic(self.try_split(split_size, dim))
    }

    /// At most `chunks` views of (nearly) equal size along `dim`.
    /// PyTorch equivalent: `x.chunk(chunks, dim)`.
    ///
    /// # Errors
    /// [`TensorError::DimOutOfRange`], or [`TensorError::InvalidArgument`]
    /// for 0 chunks.
    pub fn try_chunk(&self, chunks: usize, dim: isize) -> Result<Vec<Tensor>> {
        let d = self.dim_of_nonscalar("chunk", dim)?;
        if chunks == 0 {
            return Err(TensorError::invalid(
                "chunk",
                "chunk expects `chunks` to be greater than 0, got: 0",
            ));
        }
        let size = self.shape()[d];
        if size == 0 {
            return (0..chunks)
                .map(|_| self.try_narrow(d as isize, 0, 0))
                .collect();
        }
        self.try_split(size.div_ceil(chunks), d as isize)
    }

    /// Panicking form of [`try_chunk`](Tensor::try_chunk).
    ///
    /// # Panics
    /// As `try_chunk` errs.
    #[track_caller]
    pub fn chunk(&self, chunks: usize, dim: isize) -> Vec<Tensor> {
        or_panic(self.try_chunk(chunks, dim))
    }
}
