//! Indexing that copies: select, gather and scatter by int64 index tensors,
//! masks and `where`, add into indexed slices, and stack tensors.

use ndarray::Axis;

use std::borrow::Cow;

use crate::alloc::checked_numel;
use crate::arith::{IntoScalar, Num};
use crate::dtype::{dispatch, DType};
use crate::error::{Result, TensorError};
use crate::layout::Dims;
use crate::shape::{broadcast_shapes, normalize_dim};
use crate::tensor::{or_panic, Tensor};

impl Tensor {
    /// The slices at `indices` along `dim`, in that order (repeats allowed).
    /// PyTorch equivalent: `x.index_select(dim, indices)`; with `dim = 0` it
    /// is the tutorial's `features[batch_indices]`.
    ///
    /// # Errors
    /// [`TensorError::DimOutOfRange`] or [`TensorError::IndexOutOfRange`].
    pub fn try_index_select(
        &self,
        dim: isize,
        indices: &(impl Indices + ?Sized),
    ) -> Result<Tensor> {
        let d = self.dim_of_nonscalar("index_select", dim)?;
        let indices = &*indices.to_indices("index_select", self, d)?;
        let mut out_shape = Dims::from_slice(self.shape());
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
                let blocks = values.chunks_exact(stride.max(1));
                for (block, out) in blocks.zip(out.chunks_exact_mut(indices.len() * inner)) {
                    match inner {
                        // Single values (a batch of labels) and short rows (a
                        // batch of a few features): whole rows as arrays.
                        1 => gather_rows::<T, 1>(block, indices, out),
                        2 => gather_rows::<T, 2>(block, indices, out),
                        3 => gather_rows::<T, 3>(block, indices, out),
                        4 => gather_rows::<T, 4>(block, indices, out),
                        _ => {
                            for (to, &i) in out.chunks_exact_mut(inner.max(1)).zip(indices) {
                                let from = &block[i * inner..(i + 1) * inner];
                                // A `memcpy` call costs more than a short copy.
                                if inner < 8 {
                                    to.iter_mut().zip(from).for_each(|(t, &f)| *t = f);
                                } else {
                                    to.copy_from_slice(from);
                                }
                            }
                        }
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
    pub fn index_select(&self, dim: isize, indices: &(impl Indices + ?Sized)) -> Tensor {
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
        indices: &(impl Indices + ?Sized),
        source: &Tensor,
    ) -> Result<&Tensor> {
        let d = self.dim_of_nonscalar("index_add_", dim)?;
        let indices = &*indices.to_indices("index_add_", self, d)?;
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
        let source = self.detached_source(&source.try_to_dtype(self.dtype)?)?;
        dispatch!(self.dtype, T => {
            self.write_reading::<T, T, ()>("index_add_", &source, |dst, src| {
                let mut dst = dst.array_mut();
                let src = src.array();
                for (j, &i) in indices.iter().enumerate() {
                    let target = dst.index_axis_mut(Axis(d), i);
                    ndarray::Zip::from(target)
                        .and(src.index_axis(Axis(d), j))
                        .for_each(|t, &s| *t = t.add(s));
                }
            })
        })?;
        Ok(self)
    }

    /// Panicking form of [`try_index_add_`](Tensor::try_index_add_).
    ///
    /// # Panics
    /// If `dim` or an index is out of range or `source` has the wrong shape.
    #[track_caller]
    pub fn index_add_(
        &self,
        dim: isize,
        indices: &(impl Indices + ?Sized),
        source: &Tensor,
    ) -> &Tensor {
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

/// Indices along one dim: an int64 tensor (0-d or 1-D) or a Rust list of
/// `usize`. As in PyTorch's `index_select`, `gather` and `scatter`, a
/// negative index is out of range (only Python's `x[i]` wraps them).
pub trait Indices {
    /// The indices, checked against dim `dim` of `of` (errors name `op`).
    fn to_indices(&self, op: &'static str, of: &Tensor, dim: usize) -> Result<Cow<'_, [usize]>>;
}

impl Indices for [usize] {
    fn to_indices(&self, op: &'static str, of: &Tensor, dim: usize) -> Result<Cow<'_, [usize]>> {
        let size = of.shape()[dim];
        if let Some(&i) = self.iter().find(|&&i| i >= size) {
            of.check_index(op, dim, i)?; // the out-of-range error
        }
        Ok(Cow::Borrowed(self))
    }
}

impl<const N: usize> Indices for [usize; N] {
    fn to_indices(&self, op: &'static str, of: &Tensor, dim: usize) -> Result<Cow<'_, [usize]>> {
        self[..].to_indices(op, of, dim)
    }
}

impl Indices for Vec<usize> {
    fn to_indices(&self, op: &'static str, of: &Tensor, dim: usize) -> Result<Cow<'_, [usize]>> {
        self[..].to_indices(op, of, dim)
    }
}

impl Indices for Tensor {
    fn to_indices(&self, op: &'static str, of: &Tensor, dim: usize) -> Result<Cow<'_, [usize]>> {
        if self.dtype != DType::Int64 {
            return Err(TensorError::invalid(
                op,
                format!("index tensors must be int64, but got {}", self.dtype),
            ));
        }
        if self.dim() > 1 {
            return Err(TensorError::invalid(
                op,
                format!(
                    "Index is supposed to be a vector, but got shape {:?}",
                    self.shape()
                ),
            ));
        }
        let size = of.shape()[dim];
        self.to_vec_as::<i64>()
            .into_iter()
            .map(|i| wrap_index(op, of, dim, size, i))
            .collect::<Result<Vec<_>>>()
            .map(Cow::Owned)
    }
}

/// An int64 index into a dim of `size`.
fn wrap_index(op: &'static str, of: &Tensor, dim: usize, size: usize, i: i64) -> Result<usize> {
    let wrapped = i;
    if wrapped < 0 || wrapped as usize >= size {
        return Err(TensorError::invalid(
            op,
            format!(
                "index {i} is out of bounds for dimension {dim} with size {size} (shape {:?})",
                of.shape()
            ),
        ));
    }
    Ok(wrapped as usize)
}

impl Tensor {
    /// Checks `index` for gather/scatter along `d` of `self`: int64, the
    /// same number of dims, and no larger than `self` (nor `src`) in any
    /// other dim.
    fn check_gather_index(
        &self,
        op: &'static str,
        d: usize,
        index: &Tensor,
        src: Option<&Tensor>,
    ) -> Result<()> {
        if index.dtype != DType::Int64 {
            return Err(TensorError::invalid(
                op,
                format!("Expected dtype int64 for index, but got {}", index.dtype),
            ));
        }
        let dims_differ =
            |t: &Tensor| t.dim() != index.dim() && !(index.dim() <= 1 && t.dim() <= 1);
        if dims_differ(self) || src.is_some_and(dims_differ) {
            return Err(TensorError::invalid(
                op,
                format!(
                    "Index tensor must have the same number of dimensions as input tensor (index {:?}, input {:?}{})",
                    index.shape(),
                    self.shape(),
                    src.map(|s| format!(", src {:?}", s.shape())).unwrap_or_default()
                ),
            ));
        }
        for (k, &n) in index.shape().iter().enumerate() {
            let too_big = (k != d && n > self.shape().get(k).copied().unwrap_or(1))
                || src.is_some_and(|s| n > s.shape().get(k).copied().unwrap_or(1));
            if too_big {
                return Err(TensorError::invalid(
                    op,
                    format!(
                        "Size does not match at dimension {k}: index {:?}, input {:?}{}",
                        index.shape(),
                        self.shape(),
                        src.map(|s| format!(", src {:?}", s.shape()))
                            .unwrap_or_default()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// For every position `p` of `index` (row-major), the storage-order
    /// position in `self` it addresses along `d`, and `p`'s own coordinates
    /// flattened into `shape_of` (for reading `src` of another shape).
    fn gather_positions(&self, op: &'static str, d: usize, index: &Tensor) -> Result<Vec<usize>> {
        let size = self.shape().get(d).copied().unwrap_or(1);
        let self_strides = crate::layout::contiguous_strides(self.shape());
        let idx = index.to_vec_as::<i64>();
        let ishape = index.shape();
        let mut coords = vec![0usize; ishape.len()];
        let mut out = Vec::with_capacity(idx.len());
        for &i in &idx {
            let target = wrap_index(op, self, d.min(self.dim().saturating_sub(1)), size, i)?;
            let mut flat = 0;
            for (k, &c) in coords.iter().enumerate() {
                let c = if k == d { target } else { c };
                flat += c * self_strides.get(k).copied().unwrap_or(0);
            }
            if ishape.is_empty() {
                flat = target;
            }
            out.push(flat);
            for k in (0..coords.len()).rev() {
                coords[k] += 1;
                if coords[k] < ishape[k] {
                    break;
                }
                coords[k] = 0;
            }
        }
        Ok(out)
    }

    /// Gathers values along `dim` at `index`: for a 2-D input and `dim = 1`,
    /// `out[i][j] = self[i][index[i][j]]`. The result has `index`'s shape.
    /// PyTorch equivalent: `torch.gather(x, dim, index)`.
    ///
    /// # Errors
    /// [`TensorError::DimOutOfRange`]; [`TensorError::InvalidArgument`] for
    /// a non-int64 index, mismatched sizes or an index out of range.
    pub fn try_gather(&self, dim: isize, index: &Tensor) -> Result<Tensor> {
        let d = normalize_dim("gather", dim, self.shape())?;
        self.check_gather_index("gather", d, index, None)?;
        let positions = self.gather_positions("gather", d, index)?;
        dispatch!(self.dtype, T => {
            let src = self.read::<T>();
            let mut scratch = Vec::new();
            let values = src.contiguous(&mut scratch);
            Tensor::try_build::<T>("gather", index.shape(), |out| {
                for (o, &p) in out.iter_mut().zip(&positions) {
                    *o = values[p];
                }
            })
        })
    }

    /// Panicking form of [`try_gather`](Tensor::try_gather).
    ///
    /// # Panics
    /// As `try_gather` errs.
    #[track_caller]
    pub fn gather(&self, dim: isize, index: &Tensor) -> Tensor {
        or_panic(self.try_gather(dim, index))
    }

    /// Writes (or with `add`, adds) `src` into a copy of `self` at `index`
    /// along `dim`: for 2-D and `dim = 1`, `out[i][index[i][j]] = src[i][j]`.
    fn scatter_impl(
        &self,
        op: &'static str,
        dim: isize,
        index: &Tensor,
        src: &Tensor,
        add: bool,
    ) -> Result<Tensor> {
        let d = normalize_dim(op, dim, self.shape())?;
        self.check_gather_index(op, d, index, Some(src))?;
        let positions = self.gather_positions(op, d, index)?;
        let src = src.try_to_dtype(self.dtype)?;
        // `src` is read at index's coordinates (it may be larger).
        let src_rows = src.try_narrow_to(index.shape())?;
        dispatch!(self.dtype, T => {
            let values = src_rows.to_vec_as::<T>();
            let out = self.try_clone()?;
            {
                let mut w = out.write::<T>(op)?;
                let dst = w.slice_mut().expect("a fresh copy is contiguous");
                for (&p, &v) in positions.iter().zip(&values) {
                    dst[p] = if add { dst[p].add(v) } else { v };
                }
            }
            Ok(out)
        })
    }

    /// The leading `shape` block of `self` (a view; `shape` no larger in any dim).
    fn try_narrow_to(&self, shape: &[usize]) -> Result<Tensor> {
        let mut view = self.alias();
        for (k, &n) in shape.iter().enumerate() {
            if self.dim() > 0 && view.shape()[k] != n {
                view = view.try_narrow(k as isize, 0, n)?;
            }
        }
        Ok(view)
    }

    /// A copy of `self` with `src` written at `index` along `dim` (later
    /// writes to one position win). PyTorch equivalent: `x.scatter(dim, index, src)`.
    ///
    /// # Errors
    /// As [`try_gather`](Tensor::try_gather).
    pub fn try_scatter(&self, dim: isize, index: &Tensor, src: &Tensor) -> Result<Tensor> {
        self.scatter_impl("scatter", dim, index, src, false)
    }

    /// Panicking form of [`try_scatter`](Tensor::try_scatter).
    ///
    /// # Panics
    /// As `try_scatter` errs.
    #[track_caller]
    pub fn scatter(&self, dim: isize, index: &Tensor, src: &Tensor) -> Tensor {
        or_panic(self.try_scatter(dim, index, src))
    }

    /// A copy of `self` with `src` added at `index` along `dim` (repeated
    /// positions accumulate). PyTorch equivalent: `x.scatter_add(dim, index, src)`.
    ///
    /// # Errors
    /// As [`try_gather`](Tensor::try_gather).
    pub fn try_scatter_add(&self, dim: isize, index: &Tensor, src: &Tensor) -> Result<Tensor> {
        self.scatter_impl("scatter_add", dim, index, src, true)
    }

    /// Panicking form of [`try_scatter_add`](Tensor::try_scatter_add).
    ///
    /// # Panics
    /// As `try_scatter_add` errs.
    #[track_caller]
    pub fn scatter_add(&self, dim: isize, index: &Tensor, src: &Tensor) -> Tensor {
        or_panic(self.try_scatter_add(dim, index, src))
    }

    /// In-place [`scatter`](Tensor::scatter). PyTorch equivalent: `x.scatter_(dim, index, src)`.
    ///
    /// # Errors
    /// As [`try_gather`](Tensor::try_gather).
    pub fn try_scatter_(&self, dim: isize, index: &Tensor, src: &Tensor) -> Result<&Tensor> {
        let out = self.try_scatter(dim, index, src)?;
        self.try_copy_(&out)
    }

    /// In-place [`scatter_add`](Tensor::scatter_add). PyTorch equivalent: `x.scatter_add_(dim, index, src)`.
    ///
    /// # Errors
    /// As [`try_gather`](Tensor::try_gather).
    pub fn try_scatter_add_(&self, dim: isize, index: &Tensor, src: &Tensor) -> Result<&Tensor> {
        let out = self.try_scatter_add(dim, index, src)?;
        self.try_copy_(&out)
    }

    fn check_mask(&self, op: &'static str, mask: &Tensor) -> Result<()> {
        if mask.dtype != DType::Bool {
            return Err(TensorError::invalid(
                op,
                format!(
                    "expected a bool mask, but got a mask of dtype {}",
                    mask.dtype
                ),
            ));
        }
        Ok(())
    }

    /// `self` with `value` wherever `mask` (a bool tensor broadcast to
    /// `self`'s shape) is true. PyTorch equivalent: `x.masked_fill(mask, value)`.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] for a non-bool mask;
    /// [`TensorError::Broadcast`] if the mask does not broadcast to `self`.
    pub fn try_masked_fill(&self, mask: &Tensor, value: impl IntoScalar) -> Result<Tensor> {
        self.check_mask("masked_fill", mask)?;
        let mask = mask
            .try_broadcast_to(self.shape())
            .map_err(|_| TensorError::Broadcast {
                op: "masked_fill",
                lhs: self.shape().to_vec(),
                rhs: mask.shape().to_vec(),
            })?;
        let value = value.into_scalar();
        dispatch!(self.dtype, T => {
            let v: T = value.to::<T>();
            self.zip_to::<T, bool, T>("masked_fill", &mask, move |x, m| if m { v } else { x })
        })
    }

    /// Panicking form of [`try_masked_fill`](Tensor::try_masked_fill).
    ///
    /// # Panics
    /// As `try_masked_fill` errs.
    #[track_caller]
    pub fn masked_fill(&self, mask: &Tensor, value: impl IntoScalar) -> Tensor {
        or_panic(self.try_masked_fill(mask, value))
    }

    /// In-place [`masked_fill`](Tensor::masked_fill). PyTorch equivalent: `x.masked_fill_(mask, value)`.
    ///
    /// # Errors
    /// As [`try_masked_fill`](Tensor::try_masked_fill).
    pub fn try_masked_fill_(&self, mask: &Tensor, value: impl IntoScalar) -> Result<&Tensor> {
        let out = self.try_masked_fill(mask, value)?;
        self.try_copy_(&out)
    }

    /// The elements where `mask` (broadcast together with `self`) is true,
    /// as a 1-D tensor. PyTorch equivalent: `x[mask]` / `torch.masked_select(x, mask)`.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] for a non-bool mask;
    /// [`TensorError::Broadcast`] for incompatible shapes.
    pub fn try_masked_select(&self, mask: &Tensor) -> Result<Tensor> {
        self.check_mask("masked_select", mask)?;
        let shape = broadcast_shapes("masked_select", self.shape(), mask.shape())?;
        let keep = mask.try_broadcast_to(&shape)?.to_vec_as::<bool>();
        dispatch!(self.dtype, T => {
            let values = self.try_broadcast_to(&shape)?.to_vec_as::<T>();
            let kept: Vec<T> = values.into_iter().zip(&keep).filter(|(_, &k)| k).map(|(v, _)| v).collect();
            Tensor::from_data(&kept, &[kept.len()])
        })
    }

    /// Panicking form of [`try_masked_select`](Tensor::try_masked_select).
    ///
    /// # Panics
    /// As `try_masked_select` errs.
    #[track_caller]
    pub fn masked_select(&self, mask: &Tensor) -> Tensor {
        or_panic(self.try_masked_select(mask))
    }

    /// `x` where `condition` is true, else `y`, all three broadcast together,
    /// in the promoted dtype of `x` and `y`. PyTorch equivalent: `torch.where(condition, x, y)`.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] for a non-bool condition;
    /// [`TensorError::Broadcast`] for incompatible shapes.
    pub fn try_where_cond(condition: &Tensor, x: &Tensor, y: &Tensor) -> Result<Tensor> {
        condition.check_mask("where", condition)?;
        let shape = broadcast_shapes("where", condition.shape(), x.shape())?;
        let shape = broadcast_shapes("where", &shape, y.shape())?;
        let dtype = x.result_type(y);
        let (x, y) = (x.try_to_dtype(dtype)?, y.try_to_dtype(dtype)?);
        let c = condition.try_broadcast_to(&shape)?;
        let (x, y) = (x.try_broadcast_to(&shape)?, y.try_broadcast_to(&shape)?);
        dispatch!(dtype, T => {
            let (rc, rx, ry) = (c.read::<bool>(), x.read::<T>(), y.read::<T>());
            Tensor::try_build::<T>("where", &shape, |out| {
                let out = ndarray::ArrayViewMutD::from_shape(ndarray::IxDyn(&shape), out)
                    .expect("sized for the shape");
                ndarray::Zip::from(out)
                    .and(&rc.array())
                    .and(&rx.array())
                    .and(&ry.array())
                    .for_each(|o, &k, &a, &b| *o = if k { a } else { b });
            })
        })
    }

    /// Panicking form of [`try_where_cond`](Tensor::try_where_cond).
    ///
    /// # Panics
    /// As `try_where_cond` errs.
    #[track_caller]
    pub fn where_cond(condition: &Tensor, x: &Tensor, y: &Tensor) -> Tensor {
        or_panic(Tensor::try_where_cond(condition, x, y))
    }
}

/// Copies row `indices[j]` of `block` (rows of `K` values) to row `j` of `out`.
#[inline]
fn gather_rows<T: Copy, const K: usize>(block: &[T], indices: &[usize], out: &mut [T]) {
    let (rows, _) = block.as_chunks::<K>();
    let (out, _) = out.as_chunks_mut::<K>();
    for (to, &i) in out.iter_mut().zip(indices) {
        *to = rows[i];
    }
}
