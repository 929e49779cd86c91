//! Numerical verification of gradients by central differences.

use crate::error::{AutogradError, Result};
use crate::grad_mode::no_grad;
use crate::tensor::{RawTensor, Tensor};

/// Tolerances of [`gradcheck`]. The defaults suit `f32` arithmetic: with a
/// step of `1e-3` the central difference has a truncation error of about
/// `1e-6·f'''` and a rounding error of about `1e-7·|L| / 1e-3`, so values of
/// order 1 agree to within about `1e-3`; `atol = rtol = 1e-2` leaves margin.
#[derive(Clone, Copy, Debug)]
pub struct GradcheckOptions {
    pub eps: f32,
    pub atol: f32,
    pub rtol: f32,
}

impl Default for GradcheckOptions {
    fn default() -> Self {
        GradcheckOptions {
            eps: 1e-3,
            atol: 1e-2,
            rtol: 1e-2,
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
        value: f32,
    },
    /// One element's gradient is out of tolerance.
    #[error("gradcheck: gradient of input {input} at flat index {index}: analytical {analytical} vs numerical {numerical}")]
    Mismatch {
        input: usize,
        index: usize,
        analytical: f32,
        numerical: f32,
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

/// Checks the gradients `f` computes against central differences, for
/// `L = sum(f(inputs) * w)` with fixed non-uniform weights `w` (so every
/// output element's gradient path is exercised, not only their sum).
/// PyTorch equivalent: `torch.autograd.gradcheck(f, inputs)` (which uses f64).
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
    let leaves: Vec<Tensor> = inputs
        .iter()
        .map(|x| Tensor::new(x.clone()).requires_grad_(true))
        .collect();
    let out = f(&leaves)?;
    let weights = RawTensor::try_linspace(0.5, 1.5, out.numel())
        .map_err(AutogradError::from)?
        .try_reshape(&shape_of(&out.shape()))
        .map_err(AutogradError::from)?;
    let weights = Tensor::new(weights);
    if out.requires_grad() {
        out.try_mul(&weights)?.sum().try_backward()?;
    }

    let loss = |values: &[RawTensor]| -> Result<f64> {
        let _guard = no_grad();
        let leaves: Vec<Tensor> = values.iter().cloned().map(Tensor::new).collect();
        let out = f(&leaves)?.value();
        Ok(out
            .to_vec()
            .iter()
            .zip(weights.to_vec())
            .map(|(&o, w)| o as f64 * w as f64)
            .sum())
    };
    for (i, leaf) in leaves.iter().enumerate() {
        let analytical = leaf
            .grad()
            .map_or_else(|| vec![0.0; leaf.numel()], |g| g.to_vec());
        let base = inputs[i].contiguous();
        for (j, &a) in analytical.iter().enumerate() {
            let mut values: Vec<RawTensor> = inputs.to_vec();
            let mut probe = |delta: f32| -> Result<f64> {
                let mut flat = base.to_vec();
                flat[j] += delta;
                values[i] = RawTensor::from_vec(flat, base.shape())?;
                loss(&values)
            };
            let numerical =
                ((probe(options.eps)? - probe(-options.eps)?) / (2.0 * options.eps as f64)) as f32;
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
