//! Numerical verification of gradients by central differences.

use crate::error::{AutogradError, Result};
use crate::grad_mode::{enable_grad, no_grad};
use crate::graph::{grad, GradOptions};
use crate::tensor::{RawTensor, Tensor};
use tensor::DType;

/// Step and tolerances of [`gradcheck`], which runs in float64. The
/// defaults are `torch.autograd.gradcheck`'s: `eps = 1e-6`, `atol = 1e-5`,
/// `rtol = 1e-3`.
#[derive(Clone, Copy, Debug)]
pub struct GradcheckOptions {
    pub eps: f64,
    pub atol: f64,
    pub rtol: f64,
}

impl Default for GradcheckOptions {
    fn default() -> Self {
        GradcheckOptions {
            eps: 1e-6,
            atol: 1e-5,
            rtol: 1e-3,
        }
    }
}

/// Where analytical and numerical gradients disagree.
///
/// `Debug` prints the same message as `Display`.
#[derive(Clone, PartialEq, thiserror::Error)]
pub enum GradcheckError {
    /// The function itself failed.
    #[error(transparent)]
    Op(#[from] AutogradError),
    /// A step or tolerance that cannot make a meaningful check.
    #[error("gradcheck: {name} must be {requirement}, got {value}")]
    InvalidOption {
        name: &'static str,
        requirement: &'static str,
        value: f64,
    },
    /// One element's gradient is out of tolerance.
    #[error("gradcheck: gradient of input {input} at flat index {index}: analytical {analytical} vs numerical {numerical}")]
    Mismatch {
        input: usize,
        index: usize,
        analytical: f64,
        numerical: f64,
    },
}

tensor::debug_as_display!(GradcheckError);

impl GradcheckOptions {
    /// Rejects a step that is not positive and finite, and tolerances that
    /// are negative or not finite (a NaN tolerance would accept anything).
    fn validate(&self) -> std::result::Result<(), GradcheckError> {
        let checks = [
            ("eps", "positive and finite", self.eps, self.eps > 0.0),
            (
                "atol",
                "non-negative and finite",
                self.atol,
                self.atol >= 0.0,
            ),
            (
                "rtol",
                "non-negative and finite",
                self.rtol,
                self.rtol >= 0.0,
            ),
        ];
        for (name, requirement, value, ok) in checks {
            if !ok || !value.is_finite() {
                return Err(GradcheckError::InvalidOption {
                    name,
                    requirement,
                    value,
                });
            }
        }
        Ok(())
    }
}

/// Checks the gradients `f` computes against central differences, in
/// float64: the inputs are converted to float64 (so `f` runs in double
/// precision), and `L = sum(f(inputs) * w)` with fixed non-uniform weights
/// `w` exercises every output element's gradient path, not only their sum.
/// PyTorch equivalent: `torch.autograd.gradcheck(f, inputs)` with float64
/// inputs and its default tolerances.
///
/// A NaN on either side is a mismatch, as in PyTorch.
///
/// # Errors
/// [`GradcheckError::Mismatch`] for the first element out of tolerance (or
/// NaN), [`GradcheckError::Op`] if `f` fails, [`GradcheckError::InvalidOption`]
/// for a step that is not positive or a tolerance that is negative or not finite.
pub fn gradcheck(
    f: impl Fn(&[Tensor]) -> Result<Tensor>,
    inputs: &[RawTensor],
    options: GradcheckOptions,
) -> std::result::Result<(), GradcheckError> {
    options.validate()?;
    let inputs: Vec<RawTensor> = inputs
        .iter()
        .map(|x| {
            x.try_to_dtype(DType::Float64)
                .and_then(|x| x.try_contiguous())
        })
        .collect::<tensor::Result<_>>()
        .map_err(AutogradError::from)?;
    let leaves: Vec<Tensor> = inputs
        .iter()
        .map(|x| Tensor::new(x.clone()).requires_grad_(true))
        .collect();
    let out = f(&leaves)?;
    let weights = RawTensor::try_linspace(0.5, 1.5, out.numel())
        .map_err(AutogradError::from)?
        .double()
        .try_reshape(&shape_of(&out.shape()))
        .map_err(AutogradError::from)?;
    let weights = Tensor::new(weights);
    if out.requires_grad() {
        out.try_mul(&weights)?.sum().try_backward()?;
    }

    let loss = |values: &[RawTensor]| -> Result<f64> {
        let _guard = no_grad();
        let leaves: Vec<Tensor> = values.iter().map(|v| Tensor::new(v.alias())).collect();
        let out = f(&leaves)?.value();
        Ok(out
            .to_vec_as::<f64>()
            .iter()
            .zip(weights.value().to_vec_as::<f64>())
            .map(|(&o, w)| o * w)
            .sum())
    };
    for (i, leaf) in leaves.iter().enumerate() {
        let analytical = leaf
            .grad()
            .map_or_else(|| vec![0.0; leaf.numel()], |g| g.value().to_vec_as::<f64>());
        let base = inputs[i].to_vec_as::<f64>();
        for (j, &a) in analytical.iter().enumerate() {
            let mut values: Vec<RawTensor> = inputs.iter().map(RawTensor::alias).collect();
            let mut probe = |delta: f64| -> Result<f64> {
                let mut flat = base.clone();
                flat[j] += delta;
                values[i] = RawTensor::from_data(&flat, inputs[i].shape())?;
                loss(&values)
            };
            let numerical = (probe(options.eps)? - probe(-options.eps)?) / (2.0 * options.eps);
            // Written so that a NaN on either side fails the comparison.
            let close = a == numerical
                || (a - numerical).abs() <= options.atol + options.rtol * numerical.abs();
            if !close {
                return Err(GradcheckError::Mismatch {
                    input: i,
                    index: j,
                    analytical: a,
                    numerical,
                });
            }
        }
    }
    Ok(())
}

fn shape_of(shape: &[usize]) -> Vec<isize> {
    shape.iter().map(|&d| d as isize).collect()
}

/// Checks second derivatives: [`gradcheck`] of the first-order gradients
/// of `f`, computed by [`grad`] with `create_graph`, with respect to the
/// inputs and to the output gradient (an extra input, as PyTorch treats
/// `grad_outputs`). The first-order gradients are projected on fixed
/// non-uniform directions, so every second derivative takes part: the
/// check compares a Hessian-vector product (and the backward's own
/// Jacobian-vector product in the output gradient) with central
/// differences, in float64. PyTorch equivalent:
/// `torch.autograd.gradgradcheck(f, inputs)` with float64 inputs.
///
/// # Errors
/// As [`gradcheck`]; also the errors of `grad`, such as
/// [`AutogradError::OnceDifferentiable`] for an operation whose backward is
/// not differentiable.
pub fn gradgradcheck(
    f: impl Fn(&[Tensor]) -> Result<Tensor>,
    inputs: &[RawTensor],
    options: GradcheckOptions,
) -> std::result::Result<(), GradcheckError> {
    let as_f64 = |x: &RawTensor| -> Result<RawTensor> {
        Ok(x.try_to_dtype(DType::Float64)?.try_contiguous()?)
    };
    let mut all: Vec<RawTensor> = inputs.iter().map(as_f64).collect::<Result<_>>()?;
    let out_shape = {
        let _guard = no_grad();
        let leaves: Vec<Tensor> = all.iter().map(|x| Tensor::new(x.alias())).collect();
        f(&leaves)?.shape()
    };
    let grad_output = spread(-1.0, 1.5, &out_shape)?;
    let directions: Vec<Tensor> = all
        .iter()
        .map(|x| Ok(Tensor::new(spread(0.75, 1.25, x.shape())?)))
        .collect::<Result<_>>()?;
    all.push(grad_output);
    let k = inputs.len();
    let first_order = |xs: &[Tensor]| -> Result<Tensor> {
        // The numerical pass runs under `no_grad` on plain tensors: the
        // first-order gradients still need a graph.
        let _mode = enable_grad();
        let xs: Vec<Tensor> = xs
            .iter()
            .map(|x| match x.requires_grad() {
                true => x.clone(),
                false => x.detach().requires_grad_(true),
            })
            .collect();
        let (x, grad_output) = xs.split_at(k);
        let zero = || Tensor::new(RawTensor::scalar(0.0).double());
        let out = f(x)?;
        if !out.requires_grad() {
            return Ok(zero());
        }
        let refs: Vec<&Tensor> = x.iter().collect();
        let options = GradOptions {
            create_graph: true,
            allow_unused: true,
            ..GradOptions::default()
        };
        let grads = grad(&[&out], &refs, Some(&[&grad_output[0]]), options)?;
        let mut total = zero();
        for (g, direction) in grads.iter().zip(&directions) {
            if let Some(g) = g {
                total = total.try_add(&g.try_mul(direction)?.sum())?;
            }
        }
        Ok(total)
    };
    gradcheck(first_order, &all, options)
}

/// Evenly spaced values from `low` to `high`, in float64, shaped as `shape`.
fn spread(low: f64, high: f64, shape: &[usize]) -> Result<RawTensor> {
    let n = shape.iter().product::<usize>();
    Ok(RawTensor::try_linspace(low as f32, high as f32, n)?
        .double()
        .try_reshape(&shape_of(shape))?)
}
