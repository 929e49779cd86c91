//! Gradient clipping. PyTorch equivalent: `torch.nn.utils`.

use autograd::{no_grad, Result, Tensor};
use tensor::TensorError;

/// Scales the gradients of `parameters` together so that their joint
/// `norm_type`-norm is at most `max_norm` (by `max_norm / (norm + 1e-6)`,
/// when that is below 1), and returns the norm before clipping. Parameters
/// without a gradient are skipped. `norm_type` may be `f64::INFINITY` (the
/// largest absolute value). PyTorch equivalent:
/// `nn.utils.clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite)`.
///
/// # Errors
/// With `error_if_nonfinite`, when the norm is NaN or infinite (PyTorch's message).
pub fn clip_grad_norm_(
    parameters: &[Tensor],
    max_norm: f64,
    norm_type: f64,
    error_if_nonfinite: bool,
) -> Result<f64> {
    let _guard = no_grad();
    let grads: Vec<Tensor> = parameters.iter().filter_map(Tensor::grad).collect();
    if grads.is_empty() {
        return Ok(0.0);
    }
    // The norm of the per-tensor norms, as PyTorch computes it.
    let norm_of = |values: &mut dyn Iterator<Item = f64>| -> f64 {
        match norm_type {
            f64::INFINITY => values.map(f64::abs).fold(0.0, f64::max),
            p => values
                .map(|v| v.abs().powf(p))
                .fold(0.0, |a, b| a + b)
                .powf(1.0 / p),
        }
    };
    let per_tensor: Vec<f64> = grads
        .iter()
        .map(|g| norm_of(&mut g.to_vec_as::<f64>().into_iter()))
        .collect();
    let total = norm_of(&mut per_tensor.iter().copied());
    if error_if_nonfinite && !total.is_finite() {
        return Err(TensorError::InvalidArgument {
            op: "clip_grad_norm_",
            msg: format!(
                "The total norm of order {norm_type} for gradients from `parameters` is non-finite, \
                 so it cannot be clipped. To disable this error and scale the gradients by the \
                 non-finite norm anyway, set `error_if_nonfinite=False`"
            ),
        }
        .into());
    }
    let coefficient = (max_norm / (total + 1e-6)).min(1.0);
    for g in &grads {
        g.mul_scalar_(coefficient);
    }
    Ok(total)
}

/// Clamps every gradient of `parameters` into `[-clip_value, clip_value]`.
/// PyTorch equivalent: `nn.utils.clip_grad_value_(parameters, clip_value)`.
pub fn clip_grad_value_(parameters: &[Tensor], clip_value: f64) {
    let _guard = no_grad();
    for g in parameters.iter().filter_map(Tensor::grad) {
        let clamped = g.clamp(Some(-clip_value), Some(clip_value));
        g.copy_(&clamped);
    }
}
