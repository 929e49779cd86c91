//! Shape operations and their derivatives (each backward undoes the reshaping).

use super::panicking;
use crate::error::Result;
use crate::graph::Save;
use crate::tensor::Tensor;

fn as_isize(shape: &[usize]) -> Vec<isize> {
    shape.iter().map(|&d| d as isize).collect()
}

impl Tensor {
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
        let input_shape = as_isize(raw.shape());
        let value = raw.try_reshape(shape)?;
        Ok(Tensor::from_op(
            name,
            value,
            &[self],
            Save::NOTHING,
            move |g, _, _| Ok(vec![Some(g.try_reshape(&input_shape)?)]),
        ))
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
        Ok(Tensor::from_op(
            "TransposeBackward0",
            value,
            &[self],
            Save::NOTHING,
            move |g, _, _| Ok(vec![Some(g.try_transpose(dim0, dim1)?)]),
        ))
    }

    /// Transpose of a tensor of at most 2 dims. PyTorch equivalent: `x.t()`.
    ///
    /// # Errors
    /// If the tensor has more than 2 dims.
    pub fn try_t(&self) -> Result<Tensor> {
        let value = self.raw().try_t()?;
        Ok(Tensor::from_op(
            "TBackward0",
            value,
            &[self],
            Save::NOTHING,
            |g, _, _| Ok(vec![Some(g.try_t()?)]),
        ))
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
        Ok(Tensor::from_op(
            "PermuteBackward0",
            value,
            &[self],
            Save::NOTHING,
            move |g, _, _| Ok(vec![Some(g.try_permute(&inverse)?)]),
        ))
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
        let input_shape = as_isize(&self.shape());
        Tensor::from_op(name, value, &[self], Save::NOTHING, move |g, _, _| {
            Ok(vec![Some(g.try_reshape(&input_shape)?)])
        })
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
        Tensor::from_op(
            "ExpandBackward0",
            value,
            &[self],
            Save::NOTHING,
            |g, _, _| Ok(vec![Some(g.alias())]),
        )
    }

    /// A contiguous tensor with the same values (itself if already contiguous).
    /// PyTorch equivalent: `x.contiguous()`.
    pub fn contiguous(&self) -> Tensor {
        let raw = self.raw();
        if raw.is_contiguous() {
            return self.clone();
        }
        Tensor::from_op(
            "CloneBackward0",
            raw.contiguous(),
            &[self],
            Save::NOTHING,
            |g, _, _| Ok(vec![Some(g.alias())]),
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
}
