//! Indexing and its derivatives: the gradient of a gather is a scatter-add.

use super::{linear_map, one, panicking};
use crate::error::Result;
use crate::graph::Save;
use crate::tensor::{RawTensor, Tensor};
use tensor::Indices;

/// Gradient of selecting `indices` along `dim` from a tensor of `shape`:
/// `g` added into zeros at `indices`; under `create_graph` its own
/// gradient selects the same slices again.
fn index_add_into_zeros(
    shape: &[usize],
    dim: isize,
    indices: Vec<usize>,
    g: &Tensor,
) -> Result<Tensor> {
    let scatter = |g: &RawTensor| -> Result<RawTensor> {
        let grad = RawTensor::try_zeros_dtype(shape, g.dtype())?;
        grad.try_index_add_(dim, indices.as_slice(), g)?;
        Ok(grad)
    };
    let scattered = scatter(g.raw())?;
    let select = move |gg: &Tensor| gg.try_index_select(dim, indices.as_slice());
    linear_map(
        "IndexSelectBackwardBackward0",
        g,
        move |_| Ok(scattered),
        select,
    )
}

impl Tensor {
    /// Panicking form of [`try_index_select`](Tensor::try_index_select).
    ///
    /// # Panics
    /// If `dim` or an index is out of range.
    #[track_caller]
    pub fn index_select(&self, dim: isize, indices: &(impl Indices + ?Sized)) -> Tensor {
        crate::error::or_panic(self.try_index_select(dim, indices))
    }

    /// The slices at `indices` along `dim` (repeats allowed); the gradient
    /// accumulates over repeats. PyTorch equivalent: `x.index_select(dim, indices)`,
    /// and `x[indices]` for `dim = 0`.
    ///
    /// # Errors
    /// If `dim` or an index is out of range.
    pub fn try_index_select(
        &self,
        dim: isize,
        indices: &(impl Indices + ?Sized),
    ) -> Result<Tensor> {
        let value = self.raw().try_index_select(dim, indices)?;
        if !Tensor::records(&[self]) {
            return Ok(Tensor::new(value));
        }
        let d = if dim < 0 {
            dim + self.dim() as isize
        } else {
            dim
        } as usize;
        let (shape, indices) = (
            self.shape(),
            indices
                .to_indices("index_select", self.raw(), d)?
                .into_owned(),
        );
        Ok(Tensor::from_differentiable(
            "IndexSelectBackward0",
            value,
            &[self],
            Save::NOTHING,
            move |g, _, _| one(index_add_into_zeros(&shape, dim, indices.clone(), g)?),
        ))
    }

    /// `length` slices from `start` along `dim`. PyTorch equivalent: `x.narrow(dim, start, length)`.
    ///
    /// # Errors
    /// If `dim` is out of range or the range does not fit.
    pub fn try_narrow(&self, dim: isize, start: usize, length: usize) -> Result<Tensor> {
        // The range check (and its error) is narrow's; the view and its
        // backward are the slice's.
        self.raw().try_narrow(dim, start, length)?;
        self.try_slice(
            dim,
            Some(start as isize),
            Some((start + length) as isize),
            1,
        )
    }

    /// The slice at `index` along `dim`, with that dim removed.
    /// PyTorch equivalent: `x.select(dim, index)`; `x[i]` is `select(0, i)`.
    ///
    /// # Errors
    /// If `dim` or `index` is out of range.
    pub fn try_select(&self, dim: isize, index: usize) -> Result<Tensor> {
        let value = self.raw().try_select(dim, index)?;
        let shape = self.shape();
        Ok(Tensor::from_differentiable(
            "SelectBackward0",
            value,
            &[self],
            Save::NOTHING,
            move |g, _, _| {
                let embed = |g: &RawTensor| {
                    let grad = RawTensor::try_zeros_dtype(&shape, g.dtype())?;
                    grad.try_index_add_(dim, &[index], &g.try_unsqueeze(dim)?)?;
                    Ok(grad)
                };
                let select = move |gg: &Tensor| gg.try_select(dim, index);
                one(linear_map("SelectBackwardBackward0", g, embed, select)?)
            },
        )
        .viewing(self))
    }

    /// Row `index` of dim 0. PyTorch equivalent: `x[index]`.
    ///
    /// # Panics
    /// If the tensor is 0-d or `index` is out of range.
    #[track_caller]
    pub fn get(&self, index: usize) -> Tensor {
        self.select(0, index)
    }
}

panicking! {

    narrow => try_narrow(dim: isize, start: usize, length: usize) -> Tensor;
    select => try_select(dim: isize, index: usize) -> Tensor;
}
