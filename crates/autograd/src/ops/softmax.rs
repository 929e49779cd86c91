//! The softmax family and their derivatives, numerically stable for large
//! inputs (the lane's maximum is subtracted before `exp`). Each backward is
//! written with differentiable ops, in PyTorch's formulas.

use super::{one, panicking};
use crate::error::Result;
use crate::graph::Save;
use crate::tensor::{RawTensor, Tensor};

/// `x - max` along `dim` (kept) and the max, the shift that keeps `exp`
/// finite, as PyTorch's kernels compute it. With `finite_only` (PyTorch's
/// `logsumexp`) an infinite maximum is not subtracted, so that a lane of
/// `-inf` gives `-inf` and one holding `+inf` gives `+inf`.
fn shifted(x: &RawTensor, dim: isize, finite_only: bool) -> Result<(RawTensor, RawTensor)> {
    let d = if dim < 0 { dim + x.dim() as isize } else { dim };
    if x.shape().get(d as usize) == Some(&0) {
        // Nothing to shift: an empty lane sums to 0 (and logsumexp to -inf).
        let zeros = x.try_sum_dim(dim, true)?;
        return Ok((x.alias(), zeros));
    }
    let (mut max, _) = x.try_max_dim(dim, true)?;
    if finite_only {
        max = tensor::float_map!(max, "logsumexp", |m| if m.is_finite() { m } else { 0.0 })?;
    }
    Ok((x.try_sub(&max)?, max))
}

/// `log(sum(exp(shifted)))` along `dim`, kept.
fn log_sum_exp(shifted: &RawTensor, dim: isize) -> Result<RawTensor> {
    Ok(shifted.exp().try_sum_dim(dim, true)?.log())
}

impl Tensor {
    /// `exp(x) / sum(exp(x))` along `dim`. PyTorch equivalent: `x.softmax(dim)`.
    ///
    /// # Errors
    /// If `dim` is out of range or the tensor is not floating point.
    pub fn try_softmax(&self, dim: isize) -> Result<Tensor> {
        self.check_float("softmax")?;
        let (shifted, _) = shifted(self.raw(), dim, false)?;
        let e = shifted.exp();
        let value = e.try_div(&e.try_sum_dim(dim, true)?)?;
        Ok(Tensor::from_differentiable(
            "SoftmaxBackward0",
            value,
            &[self],
            Save::OUTPUT,
            move |g, s, _| {
                // PyTorch's _softmax_backward_data: y * (g - sum(g * y)).
                let y = &s[0];
                let dot = (g * y).try_sum_dim(dim, true)?;
                one(y * &(g - &dot))
            },
        ))
    }

    /// `x - log(sum(exp(x)))` along `dim`, computed without forming `exp(x)`
    /// of large inputs. PyTorch equivalent: `x.log_softmax(dim)`.
    ///
    /// # Errors
    /// If `dim` is out of range or the tensor is not floating point.
    pub fn try_log_softmax(&self, dim: isize) -> Result<Tensor> {
        self.check_float("log_softmax")?;
        let (shifted, _) = shifted(self.raw(), dim, false)?;
        let value = shifted.try_sub(&log_sum_exp(&shifted, dim)?)?;
        Ok(Tensor::from_differentiable(
            "LogSoftmaxBackward0",
            value,
            &[self],
            Save::OUTPUT,
            move |g, s, _| {
                // PyTorch's _log_softmax_backward_data: g - exp(y) * sum(g).
                let total = g.try_sum_dim(dim, true)?;
                one(g - &(&s[0].exp() * &total))
            },
        ))
    }

    /// `log(sum(exp(x), dim))`, stably (integer and bool inputs as
    /// float32). PyTorch equivalent: `x.logsumexp(dim, keepdim)`.
    ///
    /// # Errors
    /// If `dim` is out of range.
    pub fn try_logsumexp(&self, dim: isize, keepdim: bool) -> Result<Tensor> {
        if !self.is_floating_point() {
            // As PyTorch: integers and bools are summed as float32.
            return self
                .try_to_dtype(tensor::DType::Float32)?
                .try_logsumexp(dim, keepdim);
        }
        let (shifted, max) = shifted(self.raw(), dim, true)?;
        let kept = &log_sum_exp(&shifted, dim)? + &max;
        let value = match keepdim || self.dim() == 0 {
            true => kept,
            false => kept.try_squeeze_dim(dim)?,
        };
        Ok(Tensor::from_differentiable(
            "LogsumexpBackward0",
            value,
            &[self],
            Save {
                inputs: &[0],
                output: true,
            },
            move |g, s, _| {
                // PyTorch's logsumexp_backward: g * exp(x - result).
                let (x, result) = (&s[0], &s[1]);
                let (g, result) = match keepdim || x.dim() == 0 {
                    true => (g.clone(), result.clone()),
                    false => (g.try_unsqueeze(dim)?, result.try_unsqueeze(dim)?),
                };
                one(&g * &(x - &result).exp())
            },
        ))
    }

    /// Adds `src` into a copy of this tensor at `index` along `dim`
    /// (`out[index[i][j]][j] += src[i][j]` for `dim = 0`); differentiable in
    /// both: this tensor's gradient passes through, `src`'s is gathered back.
    /// PyTorch equivalent: `x.scatter_add(dim, index, src)`.
    ///
    /// # Errors
    /// For a non-int64 index, mismatched sizes or an index out of range.
    pub fn try_scatter_add(&self, dim: isize, index: &Tensor, src: &Tensor) -> Result<Tensor> {
        let value = self.raw().try_scatter_add(dim, index.raw(), src.raw())?;
        let index = index.detach();
        Ok(Tensor::from_differentiable(
            "ScatterAddBackward0",
            value,
            &[self, src],
            Save::NOTHING,
            move |g, _, needs| {
                let to_src = match needs[1] {
                    true => Some(g.try_gather(dim, &index)?),
                    false => None,
                };
                Ok([needs[0].then(|| g.clone()), to_src].into())
            },
        ))
    }

    /// Fails unless the tensor is floating point (PyTorch's message).
    fn check_float(&self, op: &'static str) -> Result<()> {
        match self.is_floating_point() {
            true => Ok(()),
            false => Err(tensor::TensorError::InvalidArgument {
                op,
                msg: format!(
                    "\"{op}_lastdim_kernel_impl\" not implemented for '{}'",
                    self.dtype()
                ),
            }
            .into()),
        }
    }
}

panicking! {
    softmax => try_softmax(dim: isize) -> Tensor;
    log_softmax => try_log_softmax(dim: isize) -> Tensor;
    logsumexp => try_logsumexp(dim: isize, keepdim: bool) -> Tensor;
    scatter_add => try_scatter_add(dim: isize, index: &Tensor, src: &Tensor) -> Tensor;
}
