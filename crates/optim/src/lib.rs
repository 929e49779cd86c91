//! Optimizers in the shape of `torch.optim`.
//!
//! ```
//! use autograd::Tensor;
//! use optim::{Optimizer, SGD};
//!
//! let w = Tensor::from_slice(&[1.0, -1.0]).requires_grad_(true);
//! let mut opt = SGD::new(vec![w.clone()], 0.1)?;
//! (&w * &w).sum().backward();
//! opt.step();
//! assert_eq!(w.to_vec(), vec![0.8, -0.8]);
//! opt.zero_grad();
//! assert!(w.grad().is_none());
//! # Ok::<(), optim::OptimError>(())
//! ```

mod sgd;

pub use sgd::{SgdOptions, SGD};

/// An invalid hyper-parameter, named with its value as PyTorch reports it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OptimError {
    #[error("{optimizer}: invalid {name}: {value}")]
    InvalidHyperParameter {
        optimizer: &'static str,
        name: &'static str,
        value: f32,
    },
    #[error("SGD: nesterov momentum requires a momentum and zero dampening (momentum={momentum}, dampening={dampening})")]
    Nesterov { momentum: f32, dampening: f32 },
}

/// Updates parameters from their gradients. PyTorch equivalent: `torch.optim.Optimizer`.
pub trait Optimizer {
    /// One update of every parameter that has a gradient (parameters without
    /// one are skipped). Runs without recording a graph.
    /// PyTorch equivalent: `optimizer.step()`.
    fn step(&mut self);

    /// Clears the gradients of every parameter (PyTorch's default
    /// `set_to_none=True`). PyTorch equivalent: `optimizer.zero_grad()`.
    fn zero_grad(&mut self);

    /// The parameters being optimized.
    fn parameters(&self) -> &[autograd::Tensor];
}
