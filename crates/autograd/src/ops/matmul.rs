//! Matrix products and their derivatives: `dA = dC · Bᵀ`, `dB = Aᵀ · dC`,
//! computed on operands promoted to (batched) matrices so every `torch.matmul`
//! form shares one rule.

use super::panicking;
use crate::error::Result;
use crate::grad_mode::is_grad_enabled;
use crate::graph::Save;
use crate::tensor::Tensor;

/// The name PyTorch's graph shows for each `matmul` form.
fn node_name(lhs_dim: usize, rhs_dim: usize) -> &'static str {
    match (lhs_dim, rhs_dim) {
        (1, 1) => "DotBackward0",
        (2, 1) => "MvBackward0",
        (1, 2) => "SqueezeBackward4",
        (2, 2) => "MmBackward0",
        // PyTorch multiplies a matrix by a batch through transposes and a
        // final contiguous copy.
        (2, _) => "CloneBackward0",
        _ => "UnsafeViewBackward0",
    }
}

impl Tensor {
    /// Matrix product with `torch.matmul`'s semantics (dot, matrix-vector,
    /// matrix-matrix, batched with broadcast batch dims).
    /// PyTorch equivalent: `torch.matmul(a, b)` / `a @ b`.
    ///
    /// # Errors
    /// If the inner dims differ, the batch dims do not broadcast, or an operand is 0-d.
    pub fn try_matmul(&self, other: &Tensor) -> Result<Tensor> {
        let (a, b) = (self.raw(), other.raw());
        let value = a.try_matmul(b)?;
        let name = node_name(a.dim(), b.dim());
        let save = Save {
            inputs: &[0, 1],
            output: false,
        };
        Ok(Tensor::from_differentiable(
            name,
            value,
            &[self, other],
            save,
            |g, s, needs| {
                let (a, b) = (&s[0], &s[1]);
                if !is_grad_enabled() && a.dim() == 2 && b.dim() == 2 {
                    // Matrices with nothing to record: the two products on
                    // the values, without differentiable views around them.
                    let (a, b, g) = (a.raw(), b.raw(), g.raw());
                    let gb = match needs[1] {
                        true => Some(Tensor::new(a.t().try_matmul(g)?)),
                        false => None,
                    };
                    let ga = match needs[0] {
                        true => Some(Tensor::new(g.try_matmul(&b.t())?)),
                        false => None,
                    };
                    return Ok([ga, gb].into());
                }
                // Promote 1-D operands (and the gradient) to matrices.
                let a2 = if a.dim() == 1 {
                    a.unsqueeze(0)
                } else {
                    a.clone()
                };
                let b2 = if b.dim() == 1 {
                    b.unsqueeze(1)
                } else {
                    b.clone()
                };
                // Restore the dims the 1-D operands removed from the output: the
                // column dim first, so a 0-d gradient of a dot product becomes [1, 1].
                let mut g2 = g.clone();
                if b.dim() == 1 {
                    g2 = g2.unsqueeze(-1);
                }
                if a.dim() == 1 {
                    g2 = g2.unsqueeze(-2);
                }
                let back = |grad: Tensor, promoted: &Tensor, original: &Tensor| -> Result<Tensor> {
                    let grad = grad.try_sum_to_size(promoted.raw().shape())?;
                    if grad.raw().shape() == original.raw().shape() {
                        return Ok(grad);
                    }
                    let shape: Vec<isize> = original.shape().iter().map(|&d| d as isize).collect();
                    grad.try_reshape(&shape)
                };
                // The right operand's gradient first: in a linear layer it
                // is the weight's, whose product needs the matrix kernel's
                // packing buffer; made before the input's gradient exists,
                // the two transients never overlap (a lower peak in backward).
                let gb = match needs[1] {
                    true => Some(back(a2.transpose(-1, -2).try_matmul(&g2)?, &b2, b)?),
                    false => None,
                };
                let ga = match needs[0] {
                    true => Some(back(g2.try_matmul(&b2.transpose(-1, -2))?, &a2, a)?),
                    false => None,
                };
                Ok([ga, gb].into())
            },
        ))
    }
}

panicking! {
    matmul => try_matmul(other: &Tensor) -> Tensor;
}
