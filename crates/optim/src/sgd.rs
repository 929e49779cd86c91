//! Stochastic gradient descent with PyTorch's momentum, dampening, weight
//! decay and Nesterov options and update formulas.

use autograd::{no_grad, RawTensor, Tensor};

use crate::{OptimError, Optimizer};

/// SGD's hyper-parameters, with PyTorch's defaults.
#[derive(Clone, Copy, Debug, PartialEq)]
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
    params: Vec<Tensor>,
    options: SgdOptions,
    momentum_buffers: Vec<Option<RawTensor>>,
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

    /// SGD with every option. PyTorch equivalent: `SGD(params, lr=..., momentum=..., ...)`.
    ///
    /// # Errors
    /// [`OptimError::EmptyParameterList`], [`OptimError::NonLeafParameter`]
    /// or [`OptimError::DuplicateParameter`] for a bad parameter list;
    /// [`OptimError::InvalidHyperParameter`] for a negative (or NaN) learning
    /// rate, momentum or weight decay; [`OptimError::Nesterov`] for Nesterov
    /// without momentum or with dampening.
    pub fn with_options(params: Vec<Tensor>, options: SgdOptions) -> Result<SGD, OptimError> {
        crate::check_parameters("SGD", &params)?;
        for (name, value) in [
            ("learning rate", options.lr),
            ("momentum value", options.momentum),
            ("weight_decay value", options.weight_decay),
        ] {
            if value < 0.0 || value.is_nan() {
                return Err(OptimError::InvalidHyperParameter {
                    optimizer: "SGD",
                    name,
                    value,
                });
            }
        }
        if options.nesterov && (options.momentum <= 0.0 || options.dampening != 0.0) {
            return Err(OptimError::Nesterov {
                momentum: options.momentum,
                dampening: options.dampening,
            });
        }
        let momentum_buffers = vec![None; params.len()];
        Ok(SGD {
            params,
            options,
            momentum_buffers,
        })
    }

    /// The hyper-parameters.
    pub fn options(&self) -> &SgdOptions {
        &self.options
    }

    /// Changes the learning rate (e.g. from a schedule).
    pub fn set_lr(&mut self, lr: f32) {
        self.options.lr = lr;
    }
}

impl Optimizer for SGD {
    fn step(&mut self) {
        let _guard = no_grad();
        let SgdOptions {
            lr,
            momentum,
            dampening,
            weight_decay,
            nesterov,
        } = self.options;
        for (p, buffer) in self.params.iter().zip(&mut self.momentum_buffers) {
            let Some(grad) = p.grad() else { continue };
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
        }
    }

    fn zero_grad(&mut self) {
        self.params.iter().for_each(Tensor::clear_grad);
    }

    fn parameters(&self) -> &[Tensor] {
        &self.params
    }
}
