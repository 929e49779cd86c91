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

mod adaptive;
mod groups;
pub mod lr_scheduler;
mod sgd;
mod state_dict;

pub use adaptive::{Adagrad, AdagradOptions, Adam, AdamOptions, AdamW, RMSprop, RmspropOptions};
pub use groups::{LearningRate, ParamGroup};
pub use sgd::{SgdOptions, SGD};
pub use state_dict::OptimizerStateDict;

/// An invalid parameter list or hyper-parameter, named as PyTorch reports it.
///
/// `Debug` prints the same message as `Display`.
#[derive(Clone, PartialEq, thiserror::Error)]
pub enum OptimError {
    #[error("{optimizer}: optimizer got an empty parameter list")]
    EmptyParameterList { optimizer: &'static str },
    #[error("{optimizer}: can't optimize a non-leaf Tensor (parameter {index} has grad_fn={grad_fn}); pass the leaf, or .detach().requires_grad_(true) it")]
    NonLeafParameter {
        optimizer: &'static str,
        index: usize,
        grad_fn: &'static str,
    },
    #[error("{optimizer}: some parameters appear more than once (parameter {index} is parameter {first}); each would be updated once per appearance")]
    DuplicateParameter {
        optimizer: &'static str,
        index: usize,
        first: usize,
    },
    #[error("{optimizer}: invalid {name}: {value}")]
    InvalidHyperParameter {
        optimizer: &'static str,
        name: &'static str,
        value: f32,
    },
    /// A saved state that does not fit the optimizer.
    #[error("{optimizer}: {message}")]
    StateDict {
        optimizer: &'static str,
        message: String,
    },
    #[error("SGD: nesterov momentum requires a momentum and zero dampening (momentum={momentum}, dampening={dampening})")]
    Nesterov { momentum: f32, dampening: f32 },
}

tensor::debug_as_display!(OptimError);

/// The checks `torch.optim.Optimizer.__init__` makes on its parameters: at
/// least one, each a leaf, none twice (PyTorch warns on duplicates and plans
/// to refuse them; a duplicate would be updated twice per step).
pub(crate) fn check_parameters(
    optimizer: &'static str,
    params: &[autograd::Tensor],
) -> Result<(), OptimError> {
    if params.is_empty() {
        return Err(OptimError::EmptyParameterList { optimizer });
    }
    let mut first_seen = std::collections::HashMap::with_capacity(params.len());
    for (index, p) in params.iter().enumerate() {
        if let Some(grad_fn) = p.grad_fn() {
            return Err(OptimError::NonLeafParameter {
                optimizer,
                index,
                grad_fn,
            });
        }
        if let Some(&first) = first_seen.get(&p.id()) {
            return Err(OptimError::DuplicateParameter {
                optimizer,
                index,
                first,
            });
        }
        first_seen.insert(p.id(), index);
    }
    Ok(())
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

    /// The parameters being optimized, every group's in order.
    fn parameters(&self) -> &[autograd::Tensor];

    /// The learning rate of each parameter group. PyTorch equivalent:
    /// `[g["lr"] for g in optimizer.param_groups]`.
    fn group_lrs(&self) -> Vec<f64>;

    /// Sets the learning rate of group `group` (what schedulers do).
    /// PyTorch equivalent: `optimizer.param_groups[group]["lr"] = lr`.
    fn set_group_lr(&mut self, group: usize, lr: f64);

    /// Sets the momentum of group `group` (SGD's and RMSprop's `momentum`,
    /// Adam's β₁), returning whether the optimizer has one (what
    /// `OneCycleLR` cycles).
    fn set_group_momentum(&mut self, _group: usize, _momentum: f64) -> bool {
        false
    }

    /// The groups' hyper-parameters and each parameter's state (a copy:
    /// later steps do not change it). PyTorch equivalent: `optimizer.state_dict()`
    /// (deep-copied).
    fn state_dict(&self) -> OptimizerStateDict;

    /// Restores what [`state_dict`](Optimizer::state_dict) returned, so
    /// training continues exactly where it stopped: the groups' options and
    /// each parameter's state (converted to the parameter's dtype). The
    /// optimizer must have the same groups with the same numbers of
    /// parameters. PyTorch equivalent: `optimizer.load_state_dict(state_dict)`.
    ///
    /// # Errors
    /// [`OptimError::StateDict`] with PyTorch's message for a different
    /// number of groups or parameters, or naming the parameter whose state
    /// is missing a tensor or has another shape; nothing is changed.
    fn load_state_dict(&mut self, state_dict: &OptimizerStateDict) -> Result<(), OptimError>;
}
