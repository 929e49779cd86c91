//! 2-D pooling and its derivatives, over the last two dims of any tensor
//! of 2 or more dims (the `tensor` crate's [`PoolWindows`] say which
//! elements each output reads). Both gradients are linear maps recorded
//! with their adjoints, so higher derivatives exist:
//!
//! - max pooling sends each output's gradient to its window's argmax
//!   (a scatter); the adjoint gathers at the same indices;
//! - average pooling spreads each output's gradient over its window; the
//!   adjoint is the average pooling itself.

use std::sync::Arc;

use tensor::PoolWindows;

use super::one;
use crate::error::Result;
use crate::graph::Save;
use crate::tensor::{RawTensor, Tensor};

/// A shape with its last two dims merged (`[.., H, W]` → `[.., H·W]`).
fn flat_planes(shape: &[usize]) -> Vec<isize> {
    let n = shape.len();
    let mut flat: Vec<isize> = shape[..n - 2].iter().map(|&d| d as isize).collect();
    flat.push((shape[n - 2] * shape[n - 1]) as isize);
    flat
}

/// `shape` as view arguments.
fn signed(shape: &[usize]) -> Vec<isize> {
    shape.iter().map(|&d| d as isize).collect()
}

/// Adds `grad` (`[.., oH, oW]`) into zeros of the input's size at the
/// argmax `indices` (flat per plane); recorded with the gather that is its adjoint.
fn scatter_to_argmax(
    name: &'static str,
    grad: &Tensor,
    windows: Arc<PoolWindows>,
    indices: RawTensor,
) -> Result<Tensor> {
    let value = grad.raw().try_max_pool2d_backward(&windows, &indices)?;
    Ok(Tensor::from_differentiable(
        name,
        value,
        &[grad],
        Save::NOTHING,
        move |gg, _, _| {
            let flat_index = Tensor::new(indices.try_reshape(&flat_planes(indices.shape()))?);
            let gathered = gg
                .try_reshape(&flat_planes(&gg.shape()))?
                .try_gather(-1, &flat_index)?;
            one(gathered.try_reshape(&signed(indices.shape()))?)
        },
    ))
}

/// The gradient of an average pooling (`self` is the output gradient),
/// recorded with the pooling itself as its adjoint.
fn avg_pool_backward(
    name: &'static str,
    grad: &Tensor,
    windows: Arc<PoolWindows>,
    divisor: Option<usize>,
) -> Result<Tensor> {
    let value = grad.raw().try_avg_pool2d_backward(&windows, divisor)?;
    Ok(Tensor::from_differentiable(
        name,
        value,
        &[grad],
        Save::NOTHING,
        move |gg, _, _| one(gg.avg_pool2d_node(name, windows.clone(), divisor)?),
    ))
}

impl Tensor {
    /// The maximum of each window over the last two dims and its flat
    /// index per plane (int64). `adaptive` only names the node as PyTorch
    /// does. PyTorch equivalent: `F.max_pool2d(x, ..., return_indices=True)`.
    ///
    /// # Errors
    /// If the last two dims are not `windows`' input size, or the dtype is not floating point.
    pub fn try_max_pool2d_with_windows(
        &self,
        windows: &PoolWindows,
        adaptive: bool,
    ) -> Result<(Tensor, Tensor)> {
        let (value, indices) = self.raw().try_max_pool2d(windows)?;
        let name = match adaptive {
            true => "AdaptiveMaxPool2DBackward0",
            false => "MaxPool2DWithIndicesBackward0",
        };
        let (saved, windows) = (indices.alias(), Arc::new(windows.clone()));
        let out =
            Tensor::from_differentiable(name, value, &[self], Save::NOTHING, move |g, _, _| {
                one(scatter_to_argmax(name, g, windows.clone(), saved.alias())?)
            });
        Ok((out, Tensor::new(indices)))
    }

    /// The mean of each window over the last two dims (divided by
    /// `divisor_override` if given). `adaptive` only names the node as
    /// PyTorch does. PyTorch equivalent: `F.avg_pool2d(x, ...)`.
    ///
    /// # Errors
    /// As [`try_max_pool2d_with_windows`](Tensor::try_max_pool2d_with_windows); a zero divisor.
    pub fn try_avg_pool2d_with_windows(
        &self,
        windows: &PoolWindows,
        divisor_override: Option<usize>,
        adaptive: bool,
    ) -> Result<Tensor> {
        let name = match adaptive {
            true => "AdaptiveAvgPool2DBackward0",
            false => "AvgPool2DBackward0",
        };
        self.avg_pool2d_node(name, Arc::new(windows.clone()), divisor_override)
    }

    fn avg_pool2d_node(
        &self,
        name: &'static str,
        windows: Arc<PoolWindows>,
        divisor: Option<usize>,
    ) -> Result<Tensor> {
        let value = self.raw().try_avg_pool2d(&windows, divisor)?;
        Ok(Tensor::from_differentiable(
            name,
            value,
            &[self],
            Save::NOTHING,
            move |g, _, _| one(avg_pool_backward(name, g, windows.clone(), divisor)?),
        ))
    }
}
