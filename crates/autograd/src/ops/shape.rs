//! Shape operations and their derivatives (each backward undoes the reshaping).

use super::{linear_map, one, panicking};
use crate::error::Result;
use crate::graph::Save;
use crate::tensor::{RawTensor, Tensor};

fn as_isize(shape: &[usize]) -> Vec<isize> {
    shape.iter().map(|&d| d as isize).collect()
}

impl Tensor {
    /// A view with a new shape (one `-1` inferred), sharing storage; fails
    /// where the strides cannot express it, as PyTorch's does.
    /// PyTorch equivalent: `x.view(shape)`.
    ///
    /// # Errors
    /// If the shape does not hold the tensor's element count, or the
    /// tensor's strides do not allow the view (use `reshape`).
    pub fn try_view(&self, shape: &[isize]) -> Result<Tensor> {
        Ok(self.reshaping_view("ViewBackward0", self.raw().try_view(shape)?))
    }

    /// Elements `start, start + step, ...` before `end` along `dim`, a view
    /// (Python's slice rules for the bounds). PyTorch equivalent: `x[start:end:step]` on `dim`.
    ///
    /// # Errors
    /// If `dim` is out of range or `step` is 0.
    pub fn try_slice(
        &self,
        dim: isize,
        start: Option<isize>,
        end: Option<isize>,
        step: usize,
    ) -> Result<Tensor> {
        let value = self.raw().try_slice(dim, start, end, step)?;
        let (shape, dtype) = (self.shape(), self.dtype());
        Ok(Tensor::from_differentiable(
            "SliceBackward0",
            value,
            &[self],
            Save::NOTHING,
            move |g, _, _| {
                let embed = |g: &RawTensor| {
                    let grad = RawTensor::try_zeros_dtype(&shape, dtype)?;
                    grad.try_slice(dim, start, end, step)?.try_add_(g)?;
                    Ok(grad)
                };
                let slice = move |gg: &Tensor| gg.try_slice(dim, start, end, step);
                one(linear_map("SliceBackwardBackward0", g, embed, slice)?)
            },
        )
        .viewing(self))
    }

    /// Windows of `size` elements `step` apart along `dim`, as a new last
    /// dim (a view; windows may overlap, and their gradients add up).
    /// PyTorch equivalent: `x.unfold(dim, size, step)`.
    ///
    /// # Errors
    /// If `dim` is out of range, `size` exceeds it or `step` is 0.
    pub fn try_unfold(&self, dim: isize, size: usize, step: usize) -> Result<Tensor> {
        let value = self.raw().try_unfold(dim, size, step)?;
        let (shape, dtype) = (self.shape(), self.dtype());
        let d = if dim < 0 {
            dim + shape.len().max(1) as isize
        } else {
            dim
        };
        Ok(Tensor::from_differentiable(
            "UnfoldBackward0",
            value,
            &[self],
            Save::NOTHING,
            move |g, _, _| {
                let fold = |g: &RawTensor| {
                    let grad = RawTensor::try_zeros_dtype(&shape, dtype)?;
                    if shape.is_empty() {
                        grad.try_add_(&g.try_reshape(&[])?)?;
                        return Ok(grad);
                    }
                    // Window w covers [w * step, w * step + size) of dim d; its
                    // gradient (the trailing dim of g's slice) moves back to d.
                    let last = g.dim() as isize - 2;
                    for w in 0..g.shape()[d as usize] {
                        let window = g
                            .try_select(d, w)?
                            .try_unsqueeze(d)?
                            .try_transpose(d, last + 1)?;
                        let window = window.try_squeeze_dim(last + 1)?;
                        grad.try_narrow(d, w * step, size)?.try_add_(&window)?;
                    }
                    Ok(grad)
                };
                let unfold = move |gg: &Tensor| gg.try_unfold(dim, size, step);
                one(linear_map("UnfoldBackwardBackward0", g, fold, unfold)?)
            },
        )
        .viewing(self))
    }

    /// Consecutive pieces of `split_size` along `dim` (the last may be
    /// smaller), each differentiable. PyTorch equivalent: `x.split(split_size, dim)`.
    ///
    /// # Errors
    /// If `dim` is out of range, or `split_size` is 0 on a non-empty dim.
    pub fn try_split(&self, split_size: usize, dim: isize) -> Result<Vec<Tensor>> {
        let pieces = self.raw().try_split(split_size, dim)?;
        self.pieces_like(&pieces, dim)
    }

    /// At most `chunks` pieces of (nearly) equal size along `dim`.
    /// PyTorch equivalent: `x.chunk(chunks, dim)`.
    ///
    /// # Errors
    /// If `dim` is out of range or `chunks` is 0.
    pub fn try_chunk(&self, chunks: usize, dim: isize) -> Result<Vec<Tensor>> {
        let pieces = self.raw().try_chunk(chunks, dim)?;
        self.pieces_like(&pieces, dim)
    }

    /// Differentiable consecutive pieces along `dim` with the sizes of `pieces`.
    fn pieces_like(&self, pieces: &[RawTensor], dim: isize) -> Result<Vec<Tensor>> {
        let d = if dim < 0 {
            dim + self.dim() as isize
        } else {
            dim
        } as usize;
        let mut start = 0;
        pieces
            .iter()
            .map(|piece| {
                let length = piece.shape()[d];
                let out = self.try_narrow(d as isize, start, length);
                start += length;
                out
            })
            .collect()
    }

    /// The same elements in a new shape (one `-1` inferred), in logical
    /// row-major order. PyTorch equivalent: `x.reshape(shape)`.
    ///
    /// # Errors
    /// If the shape does not hold the tensor's element count.
    pub fn try_reshape(&self, shape: &[isize]) -> Result<Tensor> {
        let raw = self.raw();
        let name = if raw.is_contiguous() {
            "ViewBackward0"
        } else {
            "UnsafeViewBackward0"
        };
        Ok(self.reshaping_view(name, raw.try_reshape(shape)?))
    }

    /// All elements as a 1-D tensor. PyTorch equivalent: `x.flatten()`.
    pub fn flatten(&self) -> Tensor {
        self.reshape(&[-1])
    }

    /// Swaps two dims. PyTorch equivalent: `x.transpose(dim0, dim1)`.
    ///
    /// # Errors
    /// If a dim is out of range.
    pub fn try_transpose(&self, dim0: isize, dim1: isize) -> Result<Tensor> {
        let value = self.raw().try_transpose(dim0, dim1)?;
        Ok(Tensor::from_differentiable(
            "TransposeBackward0",
            value,
            &[self],
            Save::NOTHING,
            move |g, _, _| Ok([Some(g.try_transpose(dim0, dim1)?)].into()),
        )
        .viewing(self))
    }

    /// Transpose of a tensor of at most 2 dims. PyTorch equivalent: `x.t()`.
    ///
    /// # Errors
    /// If the tensor has more than 2 dims.
    pub fn try_t(&self) -> Result<Tensor> {
        let value = self.raw().try_t()?;
        Ok(
            Tensor::from_differentiable("TBackward0", value, &[self], Save::NOTHING, |g, _, _| {
                Ok([Some(g.try_t()?)].into())
            })
            .viewing(self),
        )
    }

    /// Reorders the dims. PyTorch equivalent: `x.permute(dims)`.
    ///
    /// # Errors
    /// Unless `dims` is a permutation of the tensor's dims.
    pub fn try_permute(&self, dims: &[isize]) -> Result<Tensor> {
        let value = self.raw().try_permute(dims)?;
        let ndim = dims.len() as isize;
        let mut inverse = vec![0isize; dims.len()];
        for (i, &d) in dims.iter().enumerate() {
            inverse[(if d < 0 { d + ndim } else { d }) as usize] = i as isize;
        }
        Ok(Tensor::from_differentiable(
            "PermuteBackward0",
            value,
            &[self],
            Save::NOTHING,
            move |g, _, _| Ok([Some(g.try_permute(&inverse)?)].into()),
        )
        .viewing(self))
    }

    /// Removes every dim of size 1. PyTorch equivalent: `x.squeeze()`.
    pub fn squeeze(&self) -> Tensor {
        self.reshaping_view("SqueezeBackward0", self.raw().squeeze())
    }

    /// Removes `dim` if its size is 1. PyTorch equivalent: `x.squeeze(dim)`.
    ///
    /// # Errors
    /// If `dim` is out of range.
    pub fn try_squeeze_dim(&self, dim: isize) -> Result<Tensor> {
        Ok(self.reshaping_view("SqueezeBackward1", self.raw().try_squeeze_dim(dim)?))
    }

    /// Inserts a dim of size 1. PyTorch equivalent: `x.unsqueeze(dim)`.
    ///
    /// # Errors
    /// If `dim` is out of range.
    pub fn try_unsqueeze(&self, dim: isize) -> Result<Tensor> {
        Ok(self.reshaping_view("UnsqueezeBackward0", self.raw().try_unsqueeze(dim)?))
    }

    /// Records `value`, which holds this tensor's elements in the same order
    /// under another shape; its gradient is reshaped back.
    fn reshaping_view(&self, name: &'static str, value: tensor::Tensor) -> Tensor {
        // Kept inline (no allocation): most views record nothing.
        let input_shape = tensor::Dims::from_slice(self.raw().shape());
        Tensor::from_differentiable(name, value, &[self], Save::NOTHING, move |g, _, _| {
            Ok([Some(g.try_reshape(&as_isize(&input_shape))?)].into())
        })
        .viewing(self)
    }

    /// Broadcasts to `shape` (`-1` keeps a size). PyTorch equivalent: `x.expand(shape)`.
    ///
    /// # Errors
    /// If the tensor cannot be broadcast to `shape`.
    pub fn try_expand(&self, shape: &[isize]) -> Result<Tensor> {
        Ok(self.broadcasting(self.raw().try_expand(shape)?))
    }

    /// Broadcasts to `shape`. PyTorch equivalent: `torch.broadcast_to(x, shape)`.
    ///
    /// # Errors
    /// If the shapes are incompatible.
    pub fn try_broadcast_to(&self, shape: &[usize]) -> Result<Tensor> {
        Ok(self.broadcasting(self.raw().try_broadcast_to(shape)?))
    }

    fn broadcasting(&self, value: tensor::Tensor) -> Tensor {
        // The engine sums the broadcast gradient back to the input's shape.
        Tensor::from_differentiable(
            "ExpandBackward0",
            value,
            &[self],
            Save::NOTHING,
            |g, _, _| Ok([Some(g.clone())].into()),
        )
        .viewing(self)
    }

    /// A contiguous tensor with the same values (itself if already contiguous).
    /// PyTorch equivalent: `x.contiguous()`.
    pub fn contiguous(&self) -> Tensor {
        let raw = self.raw();
        if raw.is_contiguous() {
            return self.clone();
        }
        Tensor::from_differentiable(
            "CloneBackward0",
            raw.contiguous(),
            &[self],
            Save::NOTHING,
            |g, _, _| Ok([Some(g.clone())].into()),
        )
    }
}

panicking! {
    t => try_t() -> Tensor;
    reshape => try_reshape(shape: &[isize]) -> Tensor;
    transpose => try_transpose(dim0: isize, dim1: isize) -> Tensor;
    permute => try_permute(dims: &[isize]) -> Tensor;
    squeeze_dim => try_squeeze_dim(dim: isize) -> Tensor;
    unsqueeze => try_unsqueeze(dim: isize) -> Tensor;
    expand => try_expand(shape: &[isize]) -> Tensor;
    broadcast_to => try_broadcast_to(shape: &[usize]) -> Tensor;
    view => try_view(shape: &[isize]) -> Tensor;
    slice => try_slice(dim: isize, start: Option<isize>, end: Option<isize>, step: usize) -> Tensor;
    unfold => try_unfold(dim: isize, size: usize, step: usize) -> Tensor;
    split => try_split(split_size: usize, dim: isize) -> Vec<Tensor>;
    chunk => try_chunk(chunks: usize, dim: isize) -> Vec<Tensor>;
}
