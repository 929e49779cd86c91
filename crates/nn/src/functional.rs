//! Stateless forms of the layers and losses. PyTorch equivalent: `torch.nn.functional`.

pub use crate::classification::{cross_entropy, log_softmax, nll_loss, softmax};
pub use crate::conv::{conv1d, conv2d, conv_transpose2d};
pub use crate::layers::{dropout, elu, flatten, gelu, leaky_relu, silu, softplus};
pub use crate::normalization::{batch_norm, group_norm, layer_norm};
pub use crate::pointwise_losses::{
    binary_cross_entropy, binary_cross_entropy_with_logits, huber_loss, l1_loss, smooth_l1_loss,
};
pub use crate::pooling::{
    adaptive_avg_pool2d, adaptive_max_pool2d, adaptive_max_pool2d_with_indices, avg_pool2d,
    max_pool2d, max_pool2d_with_indices,
};
use autograd::{Result, Save, Tensor};
use tensor::{broadcast_shapes, TensorError};

use crate::loss::Reduction;

/// `input · weightᵀ + bias` with `weight` of shape `[out, in]`. A 2-D input
/// with a `[out]` bias (or none) is one fused node (`AddmmBackward0`, as in
/// PyTorch); other ranks and broadcast biases compose `matmul` and `add`. PyTorch equivalent: `F.linear(input, weight, bias)`.
///
/// # Errors
/// If `input`'s last dim is not `weight`'s second (`in_features`), or a
/// bias does not broadcast to the output.
pub fn linear(input: &Tensor, weight: &Tensor, bias: Option<&Tensor>) -> Result<Tensor> {
    let (x, w) = (input.value(), weight.value());
    if w.dim() != 2 || x.dim() == 0 || x.shape()[x.dim() - 1] != w.shape()[1] {
        return Err(TensorError::InvalidArgument {
            op: "linear",
            msg: format!(
                "input of shape {:?} does not match weight of shape {:?} (expected the input's last dim to be in_features)",
                x.shape(),
                w.shape()
            ),
        }
        .into());
    }
    let fused_bias = bias.is_none_or(|b| b.shape() == [w.shape()[0]]);
    if x.dim() != 2 && fused_bias && bias.is_some() {
        // As PyTorch: the input flattened to a matrix, the fused product,
        // then the result viewed back (`UnsafeViewBackward0`).
        let in_features = w.shape()[1] as isize;
        let product = linear(&input.try_reshape(&[-1, in_features])?, weight, bias)?;
        let mut shape: Vec<isize> = x.shape()[..x.dim() - 1]
            .iter()
            .map(|&d| d as isize)
            .collect();
        shape.push(w.shape()[0] as isize);
        let flat: Vec<isize> = product.shape().iter().map(|&d| d as isize).collect();
        let value = product.value().try_reshape(&shape)?;
        return Tensor::try_from_differentiable_op(
            "UnsafeViewBackward0",
            value,
            &[&product],
            Save::NOTHING,
            move |g, _, _| Ok(vec![Some(g.try_reshape(&flat)?)]),
        );
    }
    if x.dim() != 2 || !fused_bias {
        let out = input.try_matmul(&weight.t())?;
        return match bias {
            Some(b) => out.try_add(b),
            None => Ok(out),
        };
    }
    let out = x.try_matmul(&w.t())?;
    let inputs: Vec<&Tensor> = match bias {
        Some(b) => {
            // In place on the fresh product, as addmm adds into its output:
            // no second [batch, out] buffer.
            out.try_add_(&b.value())?;
            vec![input, weight, b]
        }
        None => vec![input, weight],
    };
    let name = if bias.is_some() {
        "AddmmBackward0"
    } else {
        "MmBackward0"
    };
    let save = Save {
        inputs: &[0, 1],
        output: false,
    };
    Tensor::try_from_differentiable_op(name, out, &inputs, save, |g, s, needs| {
        let (x, w) = (&s[0], &s[1]);
        // The parameters' gradients first, the input's last: the
        // transients of the first two (the matrix kernel's packing, the
        // reduction's scratch) then never coexist with the input's gradient,
        // which lowers the backward's peak memory.
        let weight = needs[1].then(|| g.t().matmul(x));
        let bias = (needs.len() == 3 && needs[2]).then(|| g.sum_dim(0, false));
        let mut grads = vec![needs[0].then(|| g.matmul(w)), weight];
        if needs.len() == 3 {
            grads.push(bias);
        }
        Ok(grads)
    })
}

/// Mean squared error between `input` and `target`, which must have the
/// same shape. PyTorch equivalent: `F.mse_loss(input, target, reduction=...)`.
///
/// PyTorch broadcasts differing shapes with a warning, which turns an
/// `[N, 1]` prediction against an `[N]` target into an `[N, N]` loss: almost
/// always a bug, so here it is an error.
///
/// # Errors
/// If the shapes differ, naming both and the fix.
pub fn mse_loss(input: &Tensor, target: &Tensor, reduction: Reduction) -> Result<Tensor> {
    let (input_shape, target_shape) = (input.shape(), target.shape());
    if input_shape != target_shape {
        let hint = match broadcast_shapes("mse_loss", &input_shape, &target_shape) {
            Ok(shape) => {
                format!(" (broadcasting them would compare every pair, giving shape {shape:?})")
            }
            Err(_) => String::new(),
        };
        return Err(TensorError::InvalidArgument {
            op: "mse_loss",
            msg: format!(
                "input shape {input_shape:?} and target shape {target_shape:?} differ{hint}; \
                 reshape one to the other's shape, e.g. target.reshape(&{:?})",
                input_shape.iter().map(|&d| d as isize).collect::<Vec<_>>()
            ),
        }
        .into());
    }
    let diff = input.value().try_sub(&target.value())?;
    let n = diff.numel() as f32;
    let squared = diff.square();
    let value = match reduction {
        Reduction::Mean => squared.mean(),
        Reduction::Sum => squared.sum(),
        Reduction::None => squared,
    };
    let save = Save {
        inputs: &[0, 1],
        output: false,
    };
    Tensor::try_from_differentiable_op(
        "MseLossBackward0",
        value,
        &[input, target],
        save,
        move |g, s, needs| {
            let scale = match reduction {
                Reduction::Mean => 2.0 / n,
                Reduction::Sum | Reduction::None => 2.0,
            };
            let grad = &(&s[0].try_sub(&s[1])? * scale) * g;
            Ok(vec![
                needs[0].then(|| grad.clone()),
                needs[1].then(|| grad.neg()),
            ])
        },
    )
}

/// PyTorch equivalent: `F.relu(x)`.
pub fn relu(x: &Tensor) -> Tensor {
    x.relu()
}

/// PyTorch equivalent: `torch.sigmoid(x)`.
pub fn sigmoid(x: &Tensor) -> Tensor {
    x.sigmoid()
}

/// PyTorch equivalent: `torch.tanh(x)`.
pub fn tanh(x: &Tensor) -> Tensor {
    x.tanh()
}
