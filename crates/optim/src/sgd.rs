//! Stochastic gradient descent with PyTorch's momentum, dampening, weight
//! decay and Nesterov options and update formulas.

use autograd::{RawTensor, Tensor};

use crate::groups::{group_constructors, group_methods, Groups, LearningRate, ParamGroup};
use crate::state_dict::{state_tensor, ParamState};
use crate::{OptimError, Optimizer};

/// SGD's hyper-parameters, with PyTorch's defaults (and names, in a state_dict).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SgdOptions {
    pub lr: f32,
    pub momentum: f32,
    pub dampening: f32,
    pub weight_decay: f32,
    pub nesterov: bool,
}

impl Default for SgdOptions {
    /// `lr = 1e-3`, everything else off, as `torch.optim.SGD`.
    fn default() -> Self {
        SgdOptions {
            lr: 1e-3,
            momentum: 0.0,
            dampening: 0.0,
            weight_decay: 0.0,
            nesterov: false,
        }
    }
}

/// Stochastic gradient descent. For each parameter `p` with gradient `g`:
///
/// ```text
/// g = g + weight_decay · p
/// b = g                                   (first step)
/// b = momentum · b + (1 − dampening) · g  (later steps)
/// g = g + momentum · b  if nesterov, else  g = b      (when momentum ≠ 0)
/// p = p − lr · g
/// ```
///
/// PyTorch equivalent: `torch.optim.SGD(params, lr, momentum, dampening, weight_decay, nesterov)`.
pub struct SGD {
    groups: Groups<SgdOptions, RawTensor>,
}

/// SGD's state of a parameter: its momentum buffer.
impl ParamState for RawTensor {
    fn to_tensors(&self) -> serialization::StateDict {
        [("momentum_buffer".to_string(), Tensor::new(self.clone()))]
            .into_iter()
            .collect()
    }

    fn from_tensors(tensors: &serialization::StateDict, param: &Tensor) -> Result<Self, String> {
        state_tensor(tensors, "momentum_buffer", param)
    }
}

impl LearningRate for SgdOptions {
    fn lr(&self) -> f64 {
        f64::from(self.lr)
    }
    fn set_lr(&mut self, lr: f64) {
        self.lr = lr as f32;
    }
}

impl SgdOptions {
    fn validate(&self) -> Result<(), OptimError> {
        for (name, value) in [
            ("learning rate", self.lr),
            ("momentum value", self.momentum),
            ("weight_decay value", self.weight_decay),
        ] {
            if value < 0.0 || value.is_nan() {
                return Err(OptimError::InvalidHyperParameter {
                    optimizer: "SGD",
                    name,
                    value,
                });
            }
        }
        if self.nesterov && (self.momentum <= 0.0 || self.dampening != 0.0) {
            return Err(OptimError::Nesterov {
                momentum: self.momentum,
                dampening: self.dampening,
            });
        }
        Ok(())
    }
}

impl SGD {
    /// Plain SGD with learning rate `lr`. PyTorch equivalent: `SGD(params, lr=lr)`.
    ///
    /// # Errors
    /// As [`with_options`](SGD::with_options).
    pub fn new(params: Vec<Tensor>, lr: f32) -> Result<SGD, OptimError> {
        SGD::with_options(
            params,
            SgdOptions {
                lr,
                ..SgdOptions::default()
            },
        )
    }

    group_constructors!(SgdOptions, "SGD", SgdOptions::validate);

    /// The hyper-parameters of the first group.
    pub fn options(&self) -> &SgdOptions {
        &self.groups.groups[0].options
    }

    /// Changes the learning rate of every group.
    pub fn set_lr(&mut self, lr: f32) {
        for group in 0..self.groups.groups.len() {
            self.groups.set_lr(group, f64::from(lr));
        }
    }
}

impl Optimizer for SGD {
    fn step(&mut self) {
        self.groups.for_each_with_grad(|options, p, grad, buffer| {
            let SgdOptions {
                lr,
                momentum,
                dampening,
                weight_decay,
                nesterov,
            } = *options;
            // The same operations, in the same order, as torch.optim.SGD.
            let mut g = grad.value();
            if weight_decay != 0.0 {
                g = g.add_scaled(&p.value(), weight_decay); // grad.add(param, alpha=weight_decay)
            }
            if momentum != 0.0 {
                let b = match buffer.take() {
                    None => g.clone(), // torch.clone(grad).detach()
                    Some(b) => {
                        b.mul_scalar_(momentum).add_scaled_(&g, 1.0 - dampening); // buf.mul_(momentum).add_(grad, alpha=1 - dampening)
                        b
                    }
                };
                g = if nesterov {
                    g.add_scaled(&b, momentum)
                } else {
                    b.alias()
                };
                *buffer = Some(b);
            }
            p.add_scaled_(&Tensor::new(g), -lr); // param.add_(grad, alpha=-lr)
        });
    }

    group_methods!();

    fn set_group_momentum(&mut self, group: usize, momentum: f64) -> bool {
        self.groups
            .update_options(group, |o| o.momentum = momentum as f32);
        true
    }
}
