//! Reductions and their derivatives.

use super::{kept_where, masked, one, panicking};
use crate::error::Result;
use crate::graph::Save;
use crate::tensor::{RawTensor, Tensor};
use tensor::Dims;

const SAVE_INPUT_AND_OUTPUT: Save<'static> = Save {
    inputs: &[0],
    output: true,
};

/// Brings a gradient of a reduction over `dim` back to `shape`: re-inserts the
/// reduced dim (unless it was kept) and broadcasts.
fn unreduce(g: &Tensor, dim: isize, keepdim: bool, shape: &[usize]) -> Result<Tensor> {
    let g = if keepdim || shape.is_empty() {
        g.clone()
    } else {
        g.try_unsqueeze(dim)?
    };
    g.try_broadcast_to(shape)
}

/// 1 at the position along `dim` that `indices` (a keepdim index tensor)
/// names in each lane, 0 elsewhere, as a tensor of `shape`.
fn one_hot_along(dim: usize, indices: &RawTensor, shape: &[usize]) -> Result<RawTensor> {
    let (len, inner) = (shape[dim], shape[dim + 1..].iter().product::<usize>());
    let mut hits = vec![0.0f32; shape.iter().product()];
    // Row-major, the index of lane (o, i) is element o * inner + i.
    for (lane, &index) in indices.to_vec_as::<i64>().iter().enumerate() {
        let (o, i) = (lane / inner, lane % inner);
        hits[(o * len + index as usize) * inner + i] = 1.0;
    }
    Ok(RawTensor::from_vec(hits, shape)?)
}

impl Tensor {
    /// Sum of all elements. PyTorch equivalent: `x.sum()`.
    pub fn sum(&self) -> Tensor {
        let shape = Dims::from_slice(self.raw().shape());
        Tensor::from_differentiable(
            "SumBackward0",
            self.raw().sum(),
            &[self],
            Save::NOTHING,
            move |g, _, _| one(g.try_broadcast_to(&shape)?),
        )
    }

    /// Sum along `dim`. PyTorch equivalent: `x.sum(dim, keepdim)`.
    ///
    /// # Errors
    /// If `dim` is out of range.
    pub fn try_sum_dim(&self, dim: isize, keepdim: bool) -> Result<Tensor> {
        let shape = Dims::from_slice(self.raw().shape());
        let value = self.raw().try_sum_dim(dim, keepdim)?;
        Ok(Tensor::from_differentiable(
            "SumBackward1",
            value,
            &[self],
            Save::NOTHING,
            move |g, _, _| one(unreduce(g, dim, keepdim, &shape)?),
        ))
    }

    /// Mean of all elements. PyTorch equivalent: `x.mean()`.
    pub fn mean(&self) -> Tensor {
        let shape = Dims::from_slice(self.raw().shape());
        let n = self.numel() as f32;
        Tensor::from_differentiable(
            "MeanBackward0",
            self.raw().mean(),
            &[self],
            Save::NOTHING,
            move |g, _, _| one((g / n).try_broadcast_to(&shape)?),
        )
    }

    /// Mean along `dim`. PyTorch equivalent: `x.mean(dim, keepdim)`.
    ///
    /// # Errors
    /// If `dim` is out of range.
    pub fn try_mean_dim(&self, dim: isize, keepdim: bool) -> Result<Tensor> {
        let shape = Dims::from_slice(self.raw().shape());
        let value = self.raw().try_mean_dim(dim, keepdim)?;
        let n = (self.numel() / value.numel().max(1)).max(1) as f32;
        Ok(Tensor::from_differentiable(
            "MeanBackward1",
            value,
            &[self],
            Save::NOTHING,
            move |g, _, _| one(unreduce(&(g / n), dim, keepdim, &shape)?),
        ))
    }

    /// Largest element; the gradient is shared evenly among ties.
    /// PyTorch equivalent: `x.max()`.
    ///
    /// # Errors
    /// On an empty tensor.
    pub fn try_max(&self) -> Result<Tensor> {
        self.extreme_all("MaxBackward1", self.raw().try_max()?)
    }

    /// Smallest element; the gradient is shared evenly among ties.
    /// PyTorch equivalent: `x.min()`.
    ///
    /// # Errors
    /// On an empty tensor.
    pub fn try_min(&self) -> Result<Tensor> {
        self.extreme_all("MinBackward1", self.raw().try_min()?)
    }

    fn extreme_all(&self, name: &'static str, value: RawTensor) -> Result<Tensor> {
        Ok(Tensor::from_differentiable(
            name,
            value,
            &[self],
            SAVE_INPUT_AND_OUTPUT,
            |g, s, _| {
                // Every element equal to the result shares the gradient (every
                // NaN when the result is NaN), as PyTorch's evenly_distribute_backward.
                let hits = tensor::float_zip!(s[0].raw(), s[1].raw(), "backward", |x, e| {
                    if x == e || (x.is_nan() && e.is_nan()) {
                        1.0
                    } else {
                        0.0
                    }
                })?;
                let count = hits.sum().item().max(1.0);
                one(masked("WhereBackward0", &g.div_scalar(count), hits)?)
            },
        ))
    }

    /// Largest values along `dim` and their indices (indices carry no gradient).
    /// PyTorch equivalent: `values, indices = x.max(dim, keepdim)`.
    ///
    /// # Errors
    /// If `dim` is out of range or has size 0.
    pub fn try_max_dim(&self, dim: isize, keepdim: bool) -> Result<(Tensor, Tensor)> {
        let (values, indices) = self.raw().try_max_dim(dim, keepdim)?;
        Ok(self.extreme_dim("MaxBackward0", dim, keepdim, values, indices))
    }

    /// Smallest values along `dim` and their indices (indices carry no gradient).
    /// PyTorch equivalent: `values, indices = x.min(dim, keepdim)`.
    ///
    /// # Errors
    /// If `dim` is out of range or has size 0.
    pub fn try_min_dim(&self, dim: isize, keepdim: bool) -> Result<(Tensor, Tensor)> {
        let (values, indices) = self.raw().try_min_dim(dim, keepdim)?;
        Ok(self.extreme_dim("MinBackward0", dim, keepdim, values, indices))
    }

    fn extreme_dim(
        &self,
        name: &'static str,
        dim: isize,
        keepdim: bool,
        values: RawTensor,
        indices: RawTensor,
    ) -> (Tensor, Tensor) {
        let shape = Dims::from_slice(self.raw().shape());
        let d = if dim < 0 {
            dim + shape.len().max(1) as isize
        } else {
            dim
        } as usize;
        let kept_indices = if keepdim || shape.is_empty() {
            indices.alias()
        } else {
            indices.unsqueeze(dim)
        };
        // The indices are saved with the node (as PyTorch's MaxBackward0
        // saves them): freed by the first backward like any saved value.
        let values = Tensor::record(
            name,
            values,
            &[self],
            Save::NOTHING,
            vec![kept_indices],
            move |g, s, _| {
                if shape.is_empty() {
                    return one(g.clone());
                }
                let g = if keepdim {
                    g.clone()
                } else {
                    g.try_unsqueeze(dim)?
                };
                let hits = one_hot_along(d, s[0].raw(), &shape)?.try_to_dtype(g.dtype())?;
                one(masked("WhereBackward0", &g, hits)?)
            },
        );
        (values, Tensor::new(indices))
    }

    /// Index of the largest element (flat), no gradient. PyTorch equivalent: `x.argmax()`.
    ///
    /// # Errors
    /// On an empty tensor.
    pub fn try_argmax(&self) -> Result<Tensor> {
        Ok(Tensor::new(self.raw().try_argmax()?))
    }

    /// Index of the smallest element (flat), no gradient. PyTorch equivalent: `x.argmin()`.
    ///
    /// # Errors
    /// On an empty tensor.
    pub fn try_argmin(&self) -> Result<Tensor> {
        Ok(Tensor::new(self.raw().try_argmin()?))
    }

    /// Indices of the largest values along `dim`. PyTorch equivalent: `x.argmax(dim, keepdim)`.
    ///
    /// # Errors
    /// If `dim` is out of range or has size 0.
    pub fn try_argmax_dim(&self, dim: isize, keepdim: bool) -> Result<Tensor> {
        Ok(Tensor::new(self.raw().try_argmax_dim(dim, keepdim)?))
    }

    /// Indices of the smallest values along `dim`. PyTorch equivalent: `x.argmin(dim, keepdim)`.
    ///
    /// # Errors
    /// If `dim` is out of range or has size 0.
    pub fn try_argmin_dim(&self, dim: isize, keepdim: bool) -> Result<Tensor> {
        Ok(Tensor::new(self.raw().try_argmin_dim(dim, keepdim)?))
    }

    /// Sums broadcast dims away so the result has `shape` (the inverse of
    /// broadcasting). PyTorch equivalent: `x.sum_to_size(shape)`.
    ///
    /// # Errors
    /// Unless `shape` broadcasts to this tensor's shape.
    pub fn try_sum_to_size(&self, shape: &[usize]) -> Result<Tensor> {
        // PyTorch's `at::sum_to` returns the tensor itself for its own
        // shape: the same handle, no node.
        if self.raw().shape() == shape {
            return Ok(self.clone());
        }
        let input_shape = Dims::from_slice(self.raw().shape());
        let value = self.raw().try_sum_to_size(shape)?;
        Ok(Tensor::from_differentiable(
            "SumBackward1",
            value,
            &[self],
            Save::NOTHING,
            move |g, _, _| one(g.try_broadcast_to(&input_shape)?),
        ))
    }

    /// L2 norm of all elements (gradient 0 where the norm is 0).
    /// PyTorch equivalent: `x.norm()`.
    pub fn norm(&self) -> Tensor {
        Tensor::from_differentiable(
            "LinalgVectorNormBackward0",
            self.raw().norm(),
            &[self],
            SAVE_INPUT_AND_OUTPUT,
            // PyTorch's norm_backward: grad * (x / norm), with x / norm
            // taken as 0 where the norm is 0 (a NaN gradient stays NaN).
            |g, s, _| {
                let (x, norm) = (&s[0], &s[1]);
                let direction = match norm.item() == 0.0 {
                    true => Tensor::new(x.raw().zeros_like()),
                    false => x / norm,
                };
                one(&direction * g)
            },
        )
    }

    /// L2 norm along `dim`. PyTorch equivalent: `x.norm(dim=dim, keepdim=keepdim)`.
    ///
    /// # Errors
    /// If `dim` is out of range.
    pub fn try_norm_dim(&self, dim: isize, keepdim: bool) -> Result<Tensor> {
        let shape = Dims::from_slice(self.raw().shape());
        let value = self.raw().try_norm_dim(dim, keepdim)?;
        Ok(Tensor::from_differentiable(
            "LinalgVectorNormBackward0",
            value,
            &[self],
            SAVE_INPUT_AND_OUTPUT,
            move |g, s, _| {
                let norm = unreduce(&s[1], dim, keepdim, &shape)?;
                let direction =
                    kept_where("WhereBackward0", &(&s[0] / &norm), norm.value(), |n| {
                        n != 0.0
                    })?;
                one(&direction * &unreduce(g, dim, keepdim, &shape)?)
            },
        ))
    }
}

panicking! {
    sum_dim => try_sum_dim(dim: isize, keepdim: bool) -> Tensor;
    sum_to_size => try_sum_to_size(shape: &[usize]) -> Tensor;
    mean_dim => try_mean_dim(dim: isize, keepdim: bool) -> Tensor;
    max => try_max() -> Tensor;
    min => try_min() -> Tensor;
    max_dim => try_max_dim(dim: isize, keepdim: bool) -> (Tensor, Tensor);
    min_dim => try_min_dim(dim: isize, keepdim: bool) -> (Tensor, Tensor);
    argmax => try_argmax() -> Tensor;
    argmin => try_argmin() -> Tensor;
    argmax_dim => try_argmax_dim(dim: isize, keepdim: bool) -> Tensor;
    argmin_dim => try_argmin_dim(dim: isize, keepdim: bool) -> Tensor;
    norm_dim => try_norm_dim(dim: isize, keepdim: bool) -> Tensor;
}
