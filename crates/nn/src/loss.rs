//! Loss modules.

use autograd::{Result, Tensor};

use crate::functional;

/// How a loss combines its per-element values. PyTorch: `reduction=`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Reduction {
    /// The mean over all elements (PyTorch's default).
    #[default]
    Mean,
    /// The sum over all elements.
    Sum,
    /// No reduction: one loss per element.
    None,
}

/// Mean squared error. PyTorch equivalent: `nn.MSELoss(reduction=...)`.
#[derive(Clone, Copy, Debug, Default)]
pub struct MSELoss {
    pub reduction: Reduction,
}

impl MSELoss {
    /// With the mean reduction, as `nn.MSELoss()`.
    pub fn new() -> MSELoss {
        MSELoss::default()
    }

    /// With the given reduction, as `nn.MSELoss(reduction=...)`.
    pub fn with_reduction(reduction: Reduction) -> MSELoss {
        MSELoss { reduction }
    }

    /// The loss of `input` against `target`. PyTorch equivalent: `loss(input, target)`.
    ///
    /// # Errors
    /// If the shapes differ; see [`functional::mse_loss`].
    pub fn try_forward(&self, input: &Tensor, target: &Tensor) -> Result<Tensor> {
        functional::mse_loss(input, target, self.reduction)
    }

    /// Panicking form of [`try_forward`](MSELoss::try_forward).
    ///
    /// # Panics
    /// If the shapes differ (reported at the caller's line).
    #[track_caller]
    pub fn forward(&self, input: &Tensor, target: &Tensor) -> Tensor {
        crate::or_panic(self.try_forward(input, target))
    }
}
