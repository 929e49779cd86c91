//! The [`Tensor`] type: construction from data, accessors, and shape operations
//! (reshape, transpose, permute, squeeze, expand, ...).

use ndarray::{ArcArray, ArrayD, ArrayViewD, Axis, IxDyn};

use crate::alloc::{checked_numel, try_with_capacity, try_zeroed};
use crate::error::{Result, TensorError};
use crate::shape::{broadcast_shapes, infer_shape, normalize_dim, normalize_insert_dim};

/// A dense n-dimensional `f32` tensor in logical row-major order.
///
/// Cloning is cheap: clones share storage until one of them is written to
/// (copy-on-write), so an in-place operation never changes another handle's
/// values. Shape operations such as [`transpose`](Tensor::transpose) and
/// [`select`](Tensor::select) share storage too; [`reshape`](Tensor::reshape)
/// copies only when the input is not contiguous.
///
/// PyTorch equivalent: `torch.Tensor` with `dtype=torch.float32` on the CPU.
#[derive(Clone)]
pub struct Tensor {
    pub(crate) data: ArcArray<f32, IxDyn>,
}

/// Unwraps a result, panicking with the error's message at the caller's location.
#[track_caller]
pub(crate) fn or_panic<T>(result: Result<T>) -> T {
    match result {
        Ok(value) => value,
        Err(err) => panic!("{err}"),
    }
}

impl Tensor {
    /// Wraps an ndarray array without copying.
    pub fn from_array(array: ArrayD<f32>) -> Tensor {
        Tensor {
            data: array.into_shared(),
        }
    }

    pub(crate) fn from_shared(data: ArcArray<f32, IxDyn>) -> Tensor {
        Tensor { data }
    }

    /// A tensor of `shape` holding `values` in row-major order.
    ///
    /// PyTorch equivalent: `torch.tensor(values).reshape(shape)`.
    ///
    /// # Errors
    /// [`TensorError::DataLength`] if `values.len()` is not the product of `shape`.
    pub fn from_vec(values: Vec<f32>, shape: &[usize]) -> Result<Tensor> {
        let numel = checked_numel("from_vec", shape)?;
        if numel != values.len() {
            return Err(TensorError::DataLength {
                op: "from_vec",
                len: values.len(),
                shape: shape.to_vec(),
                numel,
            });
        }
        let array = ArrayD::from_shape_vec(IxDyn(shape), values).expect("length checked above");
        Ok(Tensor::from_array(array))
    }

    /// A 1-D tensor copied from `values`.
    ///
    /// PyTorch equivalent: `torch.tensor([2, -3.4])`.
    pub fn from_slice(values: &[f32]) -> Tensor {
        or_panic(Tensor::from_vec(values.to_vec(), &[values.len()]))
    }

    /// A 0-d tensor holding `value`. PyTorch equivalent: `torch.tensor(value)`.
    pub fn scalar(value: f32) -> Tensor {
        Tensor::from_array(ArrayD::from_elem(IxDyn(&[]), value))
    }

    /// The sizes of the dimensions. PyTorch equivalent: `x.shape`.
    pub fn shape(&self) -> &[usize] {
        self.data.shape()
    }

    /// The number of dimensions. PyTorch equivalent: `x.dim()`.
    pub fn dim(&self) -> usize {
        self.data.ndim()
    }

    /// The number of elements. PyTorch equivalent: `x.numel()`.
    pub fn numel(&self) -> usize {
        self.data.len()
    }

    /// The size of dimension 0, like Python's `len(x)`.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] on a 0-d tensor, as Python's `len()` raises on one.
    pub fn try_len(&self) -> Result<usize> {
        self.shape()
            .first()
            .copied()
            .ok_or_else(|| TensorError::invalid("len", "a 0-d tensor has no length"))
    }

    /// Panicking form of [`try_len`](Tensor::try_len).
    ///
    /// # Panics
    /// On a 0-d tensor.
    #[track_caller]
    pub fn len(&self) -> usize {
        or_panic(self.try_len())
    }

    /// Whether the tensor holds no elements.
    pub fn is_empty(&self) -> bool {
        self.numel() == 0
    }

    /// The value of a one-element tensor. PyTorch equivalent: `x.item()`.
    ///
    /// # Errors
    /// [`TensorError::NotAScalar`] if the tensor has more or fewer than one element.
    pub fn try_item(&self) -> Result<f32> {
        if self.numel() != 1 {
            return Err(TensorError::NotAScalar {
                shape: self.shape().to_vec(),
                numel: self.numel(),
            });
        }
        Ok(*self.data.iter().next().expect("one element"))
    }

    /// Panicking form of [`try_item`](Tensor::try_item).
    ///
    /// # Panics
    /// If the tensor does not hold exactly one element.
    #[track_caller]
    pub fn item(&self) -> f32 {
        or_panic(self.try_item())
    }

    /// The elements in logical row-major order. PyTorch equivalent: `x.flatten().tolist()`.
    pub fn to_vec(&self) -> Vec<f32> {
        match self.data.as_slice() {
            Some(slice) => slice.to_vec(),
            None => self.data.iter().copied().collect(),
        }
    }

    /// A read-only ndarray view of the elements.
    pub fn view(&self) -> ArrayViewD<'_, f32> {
        self.data.view()
    }

    /// A copy of the elements as an owned ndarray array.
    pub fn to_array(&self) -> ArrayD<f32> {
        self.data.to_owned()
    }

    /// The elements as a row-major slice, if the tensor is contiguous.
    pub fn as_slice(&self) -> Option<&[f32]> {
        self.data.as_slice()
    }

    /// The elements of a tensor this crate just created (so contiguous and
    /// unshared), as a mutable row-major slice.
    pub(crate) fn as_slice_mut(&mut self) -> &mut [f32] {
        self.data
            .as_slice_mut()
            .expect("freshly created tensors are contiguous")
    }

    /// Whether both tensors view the same memory with the same shape and
    /// strides. PyTorch equivalent: `x.is_set_to(y)`.
    pub fn is_set_to(&self, other: &Tensor) -> bool {
        self.data.as_ptr() == other.data.as_ptr()
            && self.shape() == other.shape()
            && self.data.strides() == other.data.strides()
    }

    /// Whether the elements are laid out contiguously in row-major order.
    /// PyTorch equivalent: `x.is_contiguous()`.
    pub fn is_contiguous(&self) -> bool {
        self.data.is_standard_layout()
    }

    /// A row-major contiguous tensor with the same values; shares storage if
    /// `self` already is one. PyTorch equivalent: `x.contiguous()`.
    ///
    /// # Errors
    /// [`TensorError::Allocation`] if the copy does not fit in memory.
    pub fn try_contiguous(&self) -> Result<Tensor> {
        if self.is_contiguous() {
            return Ok(self.clone());
        }
        if self.dim() < 2 || self.data.strides().iter().any(|&s| s < 0) {
            let mut out = try_with_capacity("contiguous", self.numel())?;
            out.extend(self.data.iter().copied());
            return Tensor::from_vec(out, self.shape());
        }
        // Copy matrix by matrix (the last two dims) in square tiles, so both
        // the strided reads and the sequential writes stay in cache: a
        // transposed 256x784 copies ~10x faster than element-by-element.
        const TILE: usize = 32;
        let shape = self.shape();
        let strides: Vec<usize> = self.data.strides().iter().map(|&s| s as usize).collect();
        let nd = shape.len();
        let (rows, cols) = (shape[nd - 2], shape[nd - 1]);
        let (rs, cs) = (strides[nd - 2], strides[nd - 1]);
        let outer_shape = &shape[..nd - 2];
        let outer: usize = outer_shape.iter().product();
        let mut out = try_zeroed("contiguous", self.numel())?;
        let base = self.data.as_ptr();
        let mut index = vec![0usize; outer_shape.len()];
        for o in 0..outer {
            let offset: usize = index.iter().zip(&strides).map(|(i, s)| i * s).sum();
            let dst = &mut out[o * rows * cols..(o + 1) * rows * cols];
            for i0 in (0..rows).step_by(TILE) {
                for j0 in (0..cols).step_by(TILE) {
                    for i in i0..(i0 + TILE).min(rows) {
                        for j in j0..(j0 + TILE).min(cols) {
                            // SAFETY: (index, i, j) is inside the tensor's
                            // shape, so the offset addresses one of its elements.
                            dst[i * cols + j] = unsafe { *base.add(offset + i * rs + j * cs) };
                        }
                    }
                }
            }
            for d in (0..index.len()).rev() {
                index[d] += 1;
                if index[d] < outer_shape[d] {
                    break;
                }
                index[d] = 0;
            }
        }
        Tensor::from_vec(out, shape)
    }

    /// Panicking form of [`try_contiguous`](Tensor::try_contiguous).
    ///
    /// # Panics
    /// If the copy does not fit in memory.
    #[track_caller]
    pub fn contiguous(&self) -> Tensor {
        or_panic(self.try_contiguous())
    }

    /// Whether every pair of elements, after broadcasting the two tensors
    /// together, satisfies `|a - b| <= atol + rtol * |b|` (equal infinities
    /// match; NaNs never do). PyTorch equivalent: `torch.allclose(a, b, rtol, atol)`.
    ///
    /// # Errors
    /// [`TensorError::Broadcast`] if the shapes cannot be broadcast together.
    pub fn try_allclose(&self, other: &Tensor, rtol: f32, atol: f32) -> Result<bool> {
        let shape = broadcast_shapes("allclose", self.shape(), other.shape())?;
        let a = self.data.broadcast(IxDyn(&shape));
        let b = other.data.broadcast(IxDyn(&shape));
        let (a, b) = a.zip(b).expect("broadcast shape checked");
        Ok(a.iter().zip(b.iter()).all(|(&a, &b)| {
            let error = (a - b).abs();
            a == b || (error.is_finite() && error <= atol + rtol * b.abs())
        }))
    }

    /// Panicking form of [`try_allclose`](Tensor::try_allclose).
    ///
    /// # Panics
    /// If the shapes cannot be broadcast together.
    #[track_caller]
    pub fn allclose(&self, other: &Tensor, rtol: f32, atol: f32) -> bool {
        or_panic(self.try_allclose(other, rtol, atol))
    }

    // ----- shape operations -------------------------------------------------

    /// The same elements in a new shape; one dimension may be `-1` (inferred).
    /// Follows logical row-major order whatever the memory layout.
    /// PyTorch equivalent: `x.reshape(shape)`.
    ///
    /// # Errors
    /// [`TensorError::ShapeSize`] if the element counts differ;
    /// [`TensorError::InvalidArgument`] for two `-1`s or a negative size.
    pub fn try_reshape(&self, shape: &[isize]) -> Result<Tensor> {
        let shape = infer_shape("reshape", shape, self.shape())?;
        let data = self.try_contiguous()?.data;
        let data = data
            .into_shape_with_order(IxDyn(&shape))
            .expect("contiguous data of the same size can always be reshaped");
        Ok(Tensor::from_shared(data))
    }

    /// Panicking form of [`try_reshape`](Tensor::try_reshape).
    ///
    /// # Panics
    /// If the shape is invalid for this tensor's element count.
    #[track_caller]
    pub fn reshape(&self, shape: &[isize]) -> Tensor {
        or_panic(self.try_reshape(shape))
    }

    /// All elements as a 1-D tensor. PyTorch equivalent: `x.flatten()`.
    pub fn flatten(&self) -> Tensor {
        self.reshape(&[-1])
    }

    /// Swaps two dimensions (shares storage until written: copy-on-write).
    /// PyTorch equivalent: `x.transpose(d0, d1)`.
    ///
    /// # Errors
    /// [`TensorError::DimOutOfRange`] if either dim is out of range.
    pub fn try_transpose(&self, dim0: isize, dim1: isize) -> Result<Tensor> {
        if self.dim() == 0 {
            normalize_dim("transpose", dim0, self.shape())?;
            normalize_dim("transpose", dim1, self.shape())?;
            return Ok(self.clone());
        }
        let d0 = normalize_dim("transpose", dim0, self.shape())?;
        let d1 = normalize_dim("transpose", dim1, self.shape())?;
        let mut data = self.data.clone();
        data.swap_axes(d0, d1);
        Ok(Tensor::from_shared(data))
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
    /// returned unchanged). PyTorch equivalent: `x.t()`.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] if the tensor has more than 2 dimensions.
    pub fn try_t(&self) -> Result<Tensor> {
        match self.dim() {
            0 | 1 => Ok(self.clone()),
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

    /// Reorders the dimensions (shares storage until written: copy-on-write).
    /// PyTorch equivalent: `x.permute(dims)`.
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
        let is_permutation =
            axes.len() == ndim && axes.iter().all(|&a| !std::mem::replace(&mut seen[a], true));
        if !is_permutation {
            return Err(TensorError::invalid(
                "permute",
                format!(
                    "dims {dims:?} are not a permutation of the {ndim} dims of shape {:?}",
                    self.shape()
                ),
            ));
        }
        Ok(Tensor::from_shared(
            self.data.clone().permuted_axes(IxDyn(&axes)),
        ))
    }

    /// Panicking form of [`try_permute`](Tensor::try_permute).
    ///
    /// # Panics
    /// Unless `dims` is a permutation of the tensor's dims.
    #[track_caller]
    pub fn permute(&self, dims: &[isize]) -> Tensor {
        or_panic(self.try_permute(dims))
    }

    /// Removes every dimension of size 1. PyTorch equivalent: `x.squeeze()`.
    pub fn squeeze(&self) -> Tensor {
        let mut data = self.data.clone();
        for axis in (0..self.dim()).rev() {
            if data.shape()[axis] == 1 {
                data = data.index_axis_move(Axis(axis), 0);
            }
        }
        Tensor::from_shared(data)
    }

    /// Removes dimension `dim` if its size is 1 (otherwise returns the tensor
    /// unchanged, as PyTorch does). PyTorch equivalent: `x.squeeze(dim)`.
    ///
    /// # Errors
    /// [`TensorError::DimOutOfRange`] if `dim` is out of range.
    pub fn try_squeeze_dim(&self, dim: isize) -> Result<Tensor> {
        let d = normalize_dim("squeeze", dim, self.shape())?;
        if self.dim() == 0 || self.shape()[d] != 1 {
            return Ok(self.clone());
        }
        Ok(Tensor::from_shared(
            self.data.clone().index_axis_move(Axis(d), 0),
        ))
    }

    /// Panicking form of [`try_squeeze_dim`](Tensor::try_squeeze_dim).
    ///
    /// # Panics
    /// If `dim` is out of range.
    #[track_caller]
    pub fn squeeze_dim(&self, dim: isize) -> Tensor {
        or_panic(self.try_squeeze_dim(dim))
    }

    /// Inserts a dimension of size 1 at `dim` (which may be `-1` for the end).
    /// PyTorch equivalent: `x.unsqueeze(dim)`.
    ///
    /// # Errors
    /// [`TensorError::DimOutOfRange`] if `dim` is outside `[-ndim-1, ndim]`.
    pub fn try_unsqueeze(&self, dim: isize) -> Result<Tensor> {
        let d = normalize_insert_dim("unsqueeze", dim, self.shape())?;
        Ok(Tensor::from_shared(self.data.clone().insert_axis(Axis(d))))
    }

    /// Panicking form of [`try_unsqueeze`](Tensor::try_unsqueeze).
    ///
    /// # Panics
    /// If `dim` is out of range.
    #[track_caller]
    pub fn unsqueeze(&self, dim: isize) -> Tensor {
        or_panic(self.try_unsqueeze(dim))
    }

    /// Broadcasts to `shape` (size-1 dims repeat; `-1` keeps a size; new
    /// leading dims may be added). The result is materialised.
    /// PyTorch equivalent: `x.expand(shape)` / `torch.broadcast_to(x, shape)`.
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
        let mut target = Vec::with_capacity(shape.len());
        for (i, &s) in shape.iter().enumerate() {
            let size = match s {
                -1 if i >= lead => own[i - lead],
                s if s >= 0 => s as usize,
                _ => return Err(err()),
            };
            if i >= lead && own[i - lead] != size && own[i - lead] != 1 {
                return Err(err());
            }
            target.push(size);
        }
        self.materialize_broadcast("expand", &target)
    }

    /// Panicking form of [`try_expand`](Tensor::try_expand).
    ///
    /// # Panics
    /// If the tensor cannot be broadcast to `shape`.
    #[track_caller]
    pub fn expand(&self, shape: &[isize]) -> Tensor {
        or_panic(self.try_expand(shape))
    }

    /// Broadcasts to `shape`. PyTorch equivalent: `torch.broadcast_to(x, shape)`.
    ///
    /// # Errors
    /// [`TensorError::Broadcast`] if the shapes are incompatible.
    pub fn try_broadcast_to(&self, shape: &[usize]) -> Result<Tensor> {
        let out = broadcast_shapes("broadcast_to", self.shape(), shape)?;
        if out != shape {
            return Err(TensorError::Broadcast {
                op: "broadcast_to",
                lhs: self.shape().to_vec(),
                rhs: shape.to_vec(),
            });
        }
        self.materialize_broadcast("broadcast_to", shape)
    }

    /// Materialises `self` broadcast to `shape`, known to be compatible;
    /// errors (naming `op`) only for a result too large to hold.
    fn materialize_broadcast(&self, op: &'static str, shape: &[usize]) -> Result<Tensor> {
        if self.shape() == shape {
            return Ok(self.clone());
        }
        let numel = checked_numel(op, shape)?;
        // One value, or whole copies of a contiguous tensor repeated along new
        // leading dims: fill directly.
        if self.numel() == 1 {
            return Tensor::filled(op, shape, self.to_vec()[0]);
        }
        let mut out = try_with_capacity(op, numel)?;
        match self.as_slice() {
            Some(values) if shape.ends_with(self.shape()) => {
                while out.len() < numel {
                    out.extend_from_slice(values);
                }
            }
            _ => {
                let view = self
                    .data
                    .broadcast(IxDyn(shape))
                    .expect("shapes checked by the caller");
                out.extend(view.iter().copied());
            }
        }
        Tensor::from_vec(out, shape)
    }

    /// Panicking form of [`try_broadcast_to`](Tensor::try_broadcast_to).
    ///
    /// # Panics
    /// If the shapes are incompatible.
    #[track_caller]
    pub fn broadcast_to(&self, shape: &[usize]) -> Tensor {
        or_panic(self.try_broadcast_to(shape))
    }
}

impl From<f32> for Tensor {
    fn from(value: f32) -> Tensor {
        Tensor::scalar(value)
    }
}

impl From<Vec<f32>> for Tensor {
    fn from(values: Vec<f32>) -> Tensor {
        let n = values.len();
        or_panic(Tensor::from_vec(values, &[n]))
    }
}

impl From<ArrayD<f32>> for Tensor {
    fn from(array: ArrayD<f32>) -> Tensor {
        Tensor::from_array(array)
    }
}
