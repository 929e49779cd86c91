//! The adaptive optimizers: Adam, AdamW, RMSprop and Adagrad, with
//! PyTorch's defaults, validation and update order (its single-tensor
//! implementations), so trajectories match to float32 rounding.
//! Hyper-parameters are `f64`, as PyTorch's Python floats are; each enters
//! the arithmetic in the parameter's dtype, as PyTorch's scalars do.

use autograd::{RawTensor, Tensor};

use crate::groups::{
    group_constructors, group_methods, non_negative, Groups, LearningRate, ParamGroup,
};
use crate::state_dict::{optional_state_tensor, read_step, state_tensor, step_tensor, ParamState};
use crate::{OptimError, Optimizer};
use serialization::StateDict;

/// `value` in the precision of `like` (PyTorch converts a Python float
/// argument to the tensor's dtype).
fn like<T: tensor::Element>(_like: T, value: f64) -> T {
    T::from_f64(value)
}

/// `a + w (b - a)`, PyTorch's `lerp` for a weight below ½.
fn lerp(a: &RawTensor, b: &RawTensor, w: f64) -> RawTensor {
    tensor::float_zip!(a, b, "lerp", |a, b| a + like(a, w) * (b - a)).expect("same shapes")
}

/// `a + value · b · c`, PyTorch's `addcmul` (with `c = b`: a square).
fn add_square(a: &RawTensor, b: &RawTensor, value: f64) -> RawTensor {
    tensor::float_zip!(a, b, "addcmul", |a, b| a + like(a, value) * b * b).expect("same shapes")
}

/// `sqrt(v) / divisor + eps`, the Adam-family denominator, in three roundings.
fn denominator(v: &RawTensor, divisor: f64, eps: f64) -> RawTensor {
    tensor::float_map!(v, "adam", |v| v.sqrt() / like(v, divisor) + like(v, eps))
        .expect("float state")
}

/// `p += value · (a / b)`, PyTorch's `addcdiv_`, through the autograd handle
/// (so the parameter's version counter moves).
fn add_quotient(p: &Tensor, a: &RawTensor, b: &RawTensor, value: f64) {
    let quotient = tensor::float_zip!(a, b, "addcdiv", |a, b| a / b).expect("same shapes");
    let update = tensor::float_zip!(p.value(), &quotient, "addcdiv", |p, q| p + like(p, value)
        * q)
    .expect("same shapes");
    p.copy_(&Tensor::new(update));
}

/// `g + weight_decay · p` (coupled weight decay).
fn decayed(g: RawTensor, p: &Tensor, weight_decay: f64) -> RawTensor {
    match weight_decay {
        0.0 => g,
        wd => tensor::float_zip!(g, &p.value(), "weight_decay", |g, p| g + like(g, wd) * p)
            .expect("same shapes"),
    }
}

macro_rules! learning_rate {
    ($($options:ty),*) => {$(
        impl LearningRate for $options {
            fn lr(&self) -> f64 {
                self.lr
            }
            fn set_lr(&mut self, lr: f64) {
                self.lr = lr;
            }
        }
    )*};
}

learning_rate!(AdamOptions, RmspropOptions, AdagradOptions);

/// Adam's (and AdamW's) hyper-parameters.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AdamOptions {
    pub lr: f64,
    pub betas: (f64, f64),
    pub eps: f64,
    pub weight_decay: f64,
    pub amsgrad: bool,
}

impl Default for AdamOptions {
    /// `lr = 1e-3, betas = (0.9, 0.999), eps = 1e-8`, no weight decay, as `torch.optim.Adam`.
    fn default() -> Self {
        AdamOptions {
            lr: 1e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            amsgrad: false,
        }
    }
}

impl AdamOptions {
    fn validate(&self, optimizer: &'static str) -> Result<(), OptimError> {
        non_negative(optimizer, "learning rate", self.lr)?;
        non_negative(optimizer, "epsilon value", self.eps)?;
        for (index, beta) in [self.betas.0, self.betas.1].into_iter().enumerate() {
            if !(0.0..1.0).contains(&beta) {
                return Err(OptimError::InvalidHyperParameter {
                    optimizer,
                    name: ["beta parameter at index 0", "beta parameter at index 1"][index],
                    value: beta as f32,
                });
            }
        }
        non_negative(optimizer, "weight_decay value", self.weight_decay)
    }
}

/// Adam's per-parameter state.
struct AdamState {
    step: u64,
    exp_avg: RawTensor,
    exp_avg_sq: RawTensor,
    max_exp_avg_sq: Option<RawTensor>,
}

/// `(name, copy of t)` for a state dict.
fn entry(name: &str, t: &RawTensor) -> (String, Tensor) {
    (name.to_string(), Tensor::new(t.clone()))
}

impl ParamState for AdamState {
    fn to_tensors(&self) -> StateDict {
        let mut out: StateDict = [
            ("step".to_string(), step_tensor(self.step)),
            entry("exp_avg", &self.exp_avg),
            entry("exp_avg_sq", &self.exp_avg_sq),
        ]
        .into_iter()
        .collect();
        out.extend(
            self.max_exp_avg_sq
                .iter()
                .map(|m| entry("max_exp_avg_sq", m)),
        );
        out
    }

    fn from_tensors(tensors: &StateDict, param: &Tensor) -> Result<Self, String> {
        Ok(AdamState {
            step: read_step(tensors)?,
            exp_avg: state_tensor(tensors, "exp_avg", param)?,
            exp_avg_sq: state_tensor(tensors, "exp_avg_sq", param)?,
            max_exp_avg_sq: optional_state_tensor(tensors, "max_exp_avg_sq", param)?,
        })
    }
}

/// Declares Adam or AdamW: the two differ only in how weight decay applies.
macro_rules! adam {
    ($name:ident, $label:literal, $decoupled:literal, $default_decay:expr, $doc:literal) => {
        #[doc = $doc]
        pub struct $name {
            groups: Groups<AdamOptions, AdamState>,
        }

        impl $name {
            #[doc = concat!("With learning rate `lr` and the other defaults. PyTorch equivalent: `", $label, "(params, lr=lr)`.")]
            ///
            /// # Errors
            /// As [`with_options`](Self::with_options).
            pub fn new(params: Vec<Tensor>, lr: f64) -> Result<Self, OptimError> {
                Self::with_options(params, AdamOptions { lr, ..Self::defaults() })
            }

            group_constructors!(AdamOptions, $label, |o: &AdamOptions| o.validate($label));

            /// PyTorch's defaults for this optimizer.
            pub fn defaults() -> AdamOptions {
                AdamOptions { weight_decay: $default_decay, ..AdamOptions::default() }
            }

        }

        impl Optimizer for $name {
            fn step(&mut self) {
                self.groups.for_each_with_grad(|o, p, grad, state| {
                    let (beta1, beta2) = o.betas;
                    let mut g = grad.value();
                    if $decoupled {
                        if o.weight_decay != 0.0 {
                            // param.mul_(1 - lr * weight_decay)
                            p.mul_scalar_(1.0 - o.lr * o.weight_decay);
                        }
                    } else {
                        g = decayed(g, p, o.weight_decay);
                    }
                    let s = state.get_or_insert_with(|| AdamState {
                        step: 0,
                        exp_avg: g.zeros_like(),
                        exp_avg_sq: g.zeros_like(),
                        max_exp_avg_sq: o.amsgrad.then(|| g.zeros_like()),
                    });
                    s.step += 1;
                    s.exp_avg = lerp(&s.exp_avg, &g, 1.0 - beta1);
                    s.exp_avg_sq = add_square(&(&s.exp_avg_sq * beta2), &g, 1.0 - beta2);
                    let step = s.step as i32;
                    let bias_correction1 = 1.0 - beta1.powi(step);
                    let bias_correction2_sqrt = (1.0 - beta2.powi(step)).sqrt();
                    let second = match (&mut s.max_exp_avg_sq, o.amsgrad) {
                        (Some(max), true) => {
                            *max = max.maximum(&s.exp_avg_sq);
                            max.alias()
                        }
                        _ => s.exp_avg_sq.alias(),
                    };
                    let denom = denominator(&second, bias_correction2_sqrt, o.eps);
                    add_quotient(p, &s.exp_avg, &denom, -(o.lr / bias_correction1));
                });
            }

            group_methods!();

            fn set_group_momentum(&mut self, group: usize, momentum: f64) -> bool {
                self.groups.update_options(group, |o| o.betas.0 = momentum);
                true
            }
        }
    };
}

adam!(
    Adam,
    "Adam",
    false,
    0.0,
    "Adam, with optional AMSGrad and (coupled, L2) weight decay. For each parameter:\n\n```text\ng = g + weight_decay · p\nm = lerp(m, g, 1 − β₁);  v = β₂ v + (1 − β₂) g²\nv̂ = max(v̂, v) if amsgrad\np = p − lr / (1 − β₁ᵗ) · m / (sqrt(v or v̂) / sqrt(1 − β₂ᵗ) + eps)\n```\n\nPyTorch equivalent: `torch.optim.Adam(params, lr, betas, eps, weight_decay, amsgrad)`."
);

adam!(
    AdamW,
    "AdamW",
    true,
    1e-2,
    "Adam with decoupled weight decay: `p = p · (1 − lr · weight_decay)` before Adam's update, and no decay in the gradient. PyTorch's default weight decay here is 0.01. PyTorch equivalent: `torch.optim.AdamW(params, lr, betas, eps, weight_decay, amsgrad)`."
);

/// RMSprop's hyper-parameters.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RmspropOptions {
    pub lr: f64,
    pub alpha: f64,
    pub eps: f64,
    pub weight_decay: f64,
    pub momentum: f64,
    pub centered: bool,
}

impl Default for RmspropOptions {
    /// `lr = 1e-2, alpha = 0.99, eps = 1e-8`, the rest off, as `torch.optim.RMSprop`.
    fn default() -> Self {
        RmspropOptions {
            lr: 1e-2,
            alpha: 0.99,
            eps: 1e-8,
            weight_decay: 0.0,
            momentum: 0.0,
            centered: false,
        }
    }
}

struct RmspropState {
    step: u64,
    square_avg: RawTensor,
    grad_avg: Option<RawTensor>,
    momentum_buffer: Option<RawTensor>,
}

impl ParamState for RmspropState {
    fn to_tensors(&self) -> StateDict {
        let mut out: StateDict = [
            ("step".to_string(), step_tensor(self.step)),
            entry("square_avg", &self.square_avg),
        ]
        .into_iter()
        .collect();
        out.extend(
            self.momentum_buffer
                .iter()
                .map(|b| entry("momentum_buffer", b)),
        );
        out.extend(self.grad_avg.iter().map(|g| entry("grad_avg", g)));
        out
    }

    fn from_tensors(tensors: &StateDict, param: &Tensor) -> Result<Self, String> {
        Ok(RmspropState {
            step: read_step(tensors)?,
            square_avg: state_tensor(tensors, "square_avg", param)?,
            grad_avg: optional_state_tensor(tensors, "grad_avg", param)?,
            momentum_buffer: optional_state_tensor(tensors, "momentum_buffer", param)?,
        })
    }
}

/// RMSprop. For each parameter:
///
/// ```text
/// g = g + weight_decay · p
/// v = α v + (1 − α) g²
/// avg = sqrt(v − ḡ²) with ḡ = lerp(ḡ, g, 1 − α) if centered, else sqrt(v);  avg += eps
/// b = momentum · b + g / avg;  p = p − lr · b     (momentum > 0)
/// p = p − lr · g / avg                             (otherwise)
/// ```
///
/// PyTorch equivalent: `torch.optim.RMSprop(params, lr, alpha, eps, weight_decay, momentum, centered)`.
pub struct RMSprop {
    groups: Groups<RmspropOptions, RmspropState>,
}

impl RMSprop {
    /// With learning rate `lr` and the other defaults. PyTorch equivalent: `RMSprop(params, lr=lr)`.
    ///
    /// # Errors
    /// As [`with_options`](RMSprop::with_options).
    pub fn new(params: Vec<Tensor>, lr: f64) -> Result<RMSprop, OptimError> {
        RMSprop::with_options(
            params,
            RmspropOptions {
                lr,
                ..RmspropOptions::default()
            },
        )
    }

    group_constructors!(RmspropOptions, "RMSprop", Self::validate);

    fn validate(o: &RmspropOptions) -> Result<(), OptimError> {
        non_negative("RMSprop", "learning rate", o.lr)?;
        non_negative("RMSprop", "epsilon value", o.eps)?;
        non_negative("RMSprop", "momentum value", o.momentum)?;
        non_negative("RMSprop", "weight_decay value", o.weight_decay)?;
        non_negative("RMSprop", "alpha value", o.alpha)
    }
}

impl Optimizer for RMSprop {
    fn step(&mut self) {
        self.groups.for_each_with_grad(|o, p, grad, state| {
            let g = decayed(grad.value(), p, o.weight_decay);
            let s = state.get_or_insert_with(|| RmspropState {
                step: 0,
                square_avg: g.zeros_like(),
                grad_avg: o.centered.then(|| g.zeros_like()),
                momentum_buffer: (o.momentum > 0.0).then(|| g.zeros_like()),
            });
            s.step += 1;
            s.square_avg = add_square(&(&s.square_avg * o.alpha), &g, 1.0 - o.alpha);
            let avg = match &mut s.grad_avg {
                Some(grad_avg) => {
                    *grad_avg = lerp(grad_avg, &g, 1.0 - o.alpha);
                    // square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
                    add_square(&s.square_avg, grad_avg, -1.0).sqrt()
                }
                None => s.square_avg.sqrt(),
            };
            let avg = &avg + o.eps;
            match &mut s.momentum_buffer {
                Some(buffer) => {
                    // buf.mul_(momentum).addcdiv_(grad, avg); param.add_(buf, alpha=-lr)
                    let scaled = &*buffer * o.momentum;
                    let quotient =
                        tensor::float_zip!(g, &avg, "addcdiv", |g, a| g / a).expect("same shapes");
                    *buffer = &scaled + &quotient;
                    p.add_scaled_(&Tensor::new(buffer.alias()), -o.lr as f32);
                }
                None => add_quotient(p, &g, &avg, -o.lr),
            }
        });
    }

    group_methods!();

    fn set_group_momentum(&mut self, group: usize, momentum: f64) -> bool {
        self.groups.update_options(group, |o| o.momentum = momentum);
        true
    }
}

/// Adagrad's hyper-parameters.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AdagradOptions {
    pub lr: f64,
    pub lr_decay: f64,
    pub weight_decay: f64,
    pub initial_accumulator_value: f64,
    pub eps: f64,
}

impl Default for AdagradOptions {
    /// `lr = 1e-2, eps = 1e-10`, the rest 0, as `torch.optim.Adagrad`.
    fn default() -> Self {
        AdagradOptions {
            lr: 1e-2,
            lr_decay: 0.0,
            weight_decay: 0.0,
            initial_accumulator_value: 0.0,
            eps: 1e-10,
        }
    }
}

struct AdagradState {
    step: u64,
    sum: RawTensor,
}

impl ParamState for AdagradState {
    fn to_tensors(&self) -> StateDict {
        [
            ("step".to_string(), step_tensor(self.step)),
            entry("sum", &self.sum),
        ]
        .into_iter()
        .collect()
    }

    fn from_tensors(tensors: &StateDict, param: &Tensor) -> Result<Self, String> {
        Ok(AdagradState {
            step: read_step(tensors)?,
            sum: state_tensor(tensors, "sum", param)?,
        })
    }
}

/// Adagrad. For each parameter, at step `t`:
///
/// ```text
/// g = g + weight_decay · p
/// clr = lr / (1 + (t − 1) · lr_decay)
/// s = s + g²;  p = p − clr · g / (sqrt(s) + eps)
/// ```
///
/// PyTorch equivalent: `torch.optim.Adagrad(params, lr, lr_decay, weight_decay, initial_accumulator_value, eps)`.
pub struct Adagrad {
    groups: Groups<AdagradOptions, AdagradState>,
}

impl Adagrad {
    /// With learning rate `lr` and the other defaults. PyTorch equivalent: `Adagrad(params, lr=lr)`.
    ///
    /// # Errors
    /// As [`with_options`](Adagrad::with_options).
    pub fn new(params: Vec<Tensor>, lr: f64) -> Result<Adagrad, OptimError> {
        Adagrad::with_options(
            params,
            AdagradOptions {
                lr,
                ..AdagradOptions::default()
            },
        )
    }

    group_constructors!(AdagradOptions, "Adagrad", Self::validate);

    fn validate(o: &AdagradOptions) -> Result<(), OptimError> {
        non_negative("Adagrad", "learning rate", o.lr)?;
        non_negative("Adagrad", "lr_decay value", o.lr_decay)?;
        non_negative("Adagrad", "weight_decay value", o.weight_decay)?;
        non_negative(
            "Adagrad",
            "initial_accumulator_value value",
            o.initial_accumulator_value,
        )?;
        non_negative("Adagrad", "epsilon value", o.eps)
    }
}

impl Optimizer for Adagrad {
    fn step(&mut self) {
        self.groups.for_each_with_grad(|o, p, grad, state| {
            let g = decayed(grad.value(), p, o.weight_decay);
            let s = state.get_or_insert_with(|| AdagradState {
                step: 0,
                sum: &g.zeros_like() + o.initial_accumulator_value,
            });
            s.step += 1;
            let clr = o.lr / (1.0 + (s.step - 1) as f64 * o.lr_decay);
            s.sum = add_square(&s.sum, &g, 1.0);
            let std = &s.sum.sqrt() + o.eps;
            add_quotient(p, &g, &std, -clr);
        });
    }

    group_methods!();
}
