//! Elementwise losses beyond MSE: L1, smooth L1, Huber, and binary
//! cross-entropy on probabilities and on logits, in functional and module
//! forms, with PyTorch's formulas, options, reductions and `grad_fn` names.

use autograd::{Result, Save, Tensor};
use tensor::TensorError;

use crate::loss::Reduction;

fn invalid(op: &'static str, msg: String) -> autograd::AutogradError {
    TensorError::InvalidArgument { op, msg }.into()
}

/// Fails unless `input` and `target` have the same shape (PyTorch warns and
/// broadcasts, which silently compares every pair; see `MSELoss`).
fn same_shapes(op: &'static str, input: &Tensor, target: &Tensor) -> Result<()> {
    let (a, b) = (input.shape(), target.shape());
    match a == b {
        true => Ok(()),
        false => Err(invalid(
            op,
            format!(
                "input shape {a:?} and target shape {b:?} differ; reshape one to the other's shape"
            ),
        )),
    }
}

/// `elementwise` reduced as asked.
fn reduce(elementwise: Tensor, reduction: Reduction) -> Tensor {
    match reduction {
        Reduction::Mean => elementwise.mean(),
        Reduction::Sum => elementwise.sum(),
        Reduction::None => elementwise,
    }
}

/// A loss recorded as one node named `name` (as PyTorch's fused loss
/// kernels are): its value is `elementwise` reduced, and its backward
/// multiplies the output gradient (spread back over the elements) by
/// `d_input(x, t)` and `d_target(x, t)`, written with differentiable ops.
fn fused_loss(
    name: &'static str,
    input: &Tensor,
    target: &Tensor,
    reduction: Reduction,
    elementwise: tensor::Tensor,
    d_input: impl Fn(&Tensor, &Tensor) -> Result<Tensor> + Send + Sync + 'static,
    d_target: impl Fn(&Tensor, &Tensor) -> Result<Tensor> + Send + Sync + 'static,
) -> Result<Tensor> {
    let shape = input.shape();
    let n = elementwise.numel() as f64;
    let value = match reduction {
        Reduction::Mean => elementwise.mean(),
        Reduction::Sum => elementwise.sum(),
        Reduction::None => elementwise,
    };
    let save = Save {
        inputs: &[0, 1],
        output: false,
    };
    Tensor::try_from_differentiable_op(name, value, &[input, target], save, move |g, s, needs| {
        let spread = match reduction {
            Reduction::None => g.clone(),
            Reduction::Sum => g.try_broadcast_to(&shape)?,
            Reduction::Mean => (g / n).try_broadcast_to(&shape)?,
        };
        let (x, t) = (&s[0], &s[1]);
        let gx = match needs[0] {
            true => Some(&spread * &d_input(x, t)?),
            false => None,
        };
        let gt = match needs[1] {
            true => Some(&spread * &d_target(x, t)?),
            false => None,
        };
        Ok(vec![gx, gt])
    })
}

/// Mean (or sum) absolute error. PyTorch equivalent:
/// `F.l1_loss(input, target, reduction=...)`.
///
/// # Errors
/// If the shapes differ.
pub fn l1_loss(input: &Tensor, target: &Tensor, reduction: Reduction) -> Result<Tensor> {
    same_shapes("l1_loss", input, target)?;
    Ok(reduce(input.try_sub(target)?.abs(), reduction))
}

/// `0.5 d² / beta` where `|d| < beta`, else `|d| - 0.5 beta`, with
/// `d = input - target`; the L1 loss for `beta = 0`. PyTorch equivalent:
/// `F.smooth_l1_loss(input, target, reduction=..., beta=...)`.
///
/// # Errors
/// If the shapes differ or `beta` is negative.
pub fn smooth_l1_loss(
    input: &Tensor,
    target: &Tensor,
    reduction: Reduction,
    beta: f64,
) -> Result<Tensor> {
    same_shapes("smooth_l1_loss", input, target)?;
    if beta < 0.0 {
        return Err(invalid(
            "smooth_l1_loss",
            "smooth_l1_loss does not support negative values for beta.".into(),
        ));
    }
    if beta == 0.0 {
        return l1_loss(input, target, reduction);
    }
    let d = input.value().try_sub(&target.value())?;
    let elementwise = tensor::float_map!(d, "smooth_l1_loss", |d| {
        let b = beta as _;
        if d.abs() < b {
            0.5 * d * d / b
        } else {
            d.abs() - 0.5 * b
        }
    })?;
    // d/dinput: d / beta inside, sign(d) outside; d/dtarget its negative.
    let slope = move |x: &Tensor, t: &Tensor| -> Result<Tensor> {
        let d = x.try_sub(t)?;
        let inside = d.abs().try_lt_scalar(beta)?;
        Tensor::try_where_cond(&inside, &(&d / beta), &Tensor::new(d.value().sign()))
    };
    fused_loss(
        "SmoothL1LossBackward0",
        input,
        target,
        reduction,
        elementwise,
        slope,
        move |x, t| Ok(slope(x, t)?.neg()),
    )
}

/// `0.5 d²` where `|d| < delta`, else `delta (|d| - 0.5 delta)`, with
/// `d = input - target`. PyTorch equivalent:
/// `F.huber_loss(input, target, reduction=..., delta=...)`.
///
/// # Errors
/// If the shapes differ or `delta` is not positive.
pub fn huber_loss(
    input: &Tensor,
    target: &Tensor,
    reduction: Reduction,
    delta: f64,
) -> Result<Tensor> {
    same_shapes("huber_loss", input, target)?;
    if delta <= 0.0 {
        return Err(invalid(
            "huber_loss",
            "huber_loss does not support non-positive values for delta.".into(),
        ));
    }
    let d = input.value().try_sub(&target.value())?;
    let elementwise = tensor::float_map!(d, "huber_loss", |d| {
        let k = delta as _;
        if d.abs() < k {
            0.5 * d * d
        } else {
            k * (d.abs() - 0.5 * k)
        }
    })?;
    // d/dinput: d inside, delta · sign(d) outside.
    let slope = move |x: &Tensor, t: &Tensor| -> Result<Tensor> {
        let d = x.try_sub(t)?;
        let inside = d.abs().try_lt_scalar(delta)?;
        Tensor::try_where_cond(&inside, &d, &Tensor::new(&d.value().sign() * delta))
    };
    fused_loss(
        "HuberLossBackward0",
        input,
        target,
        reduction,
        elementwise,
        slope,
        move |x, t| Ok(slope(x, t)?.neg()),
    )
}

/// `-w (t log(x) + (1 - t) log(1 - x))` for probabilities `x` in `[0, 1]`,
/// each log clamped at -100 as PyTorch does. PyTorch equivalent:
/// `F.binary_cross_entropy(input, target, weight, reduction=...)`.
///
/// # Errors
/// If the shapes differ, `weight` does not broadcast to them, or an input
/// lies outside `[0, 1]`.
pub fn binary_cross_entropy(
    input: &Tensor,
    target: &Tensor,
    weight: Option<&Tensor>,
    reduction: Reduction,
) -> Result<Tensor> {
    const OP: &str = "binary_cross_entropy";
    same_shapes(OP, input, target)?;
    let x = input.value();
    if x.to_vec_as::<f64>()
        .iter()
        .any(|v| !(0.0..=1.0).contains(v))
    {
        return Err(invalid(
            OP,
            "all elements of input should be between 0 and 1".into(),
        ));
    }
    let (log_x, log_1mx) = (
        tensor::float_map!(x, OP, |v| v.ln().max(-100.0))?,
        tensor::float_map!(x, OP, |v| (1.0 - v).ln().max(-100.0))?,
    );
    let t = target.value();
    let mut elementwise = (&(&t * &log_x) + &(&t.rsub_scalar(1.0) * &log_1mx)).neg();
    if let Some(w) = weight {
        elementwise = elementwise.try_mul(&w.value())?;
    }
    let (w_in, w_t) = (weight.cloned(), weight.cloned());
    fused_loss(
        "BinaryCrossEntropyBackward0",
        input,
        target,
        reduction,
        elementwise,
        // d/dx = w (x - t) / max(x (1 - x), 1e-12) (PyTorch's EPSILON).
        move |x, t| {
            let denominator = (x * &x.rsub_scalar(1.0)).clamp(Some(1e-12), None);
            let d = &(x - t) / &denominator;
            Ok(match &w_in {
                Some(w) => &d * w,
                None => d,
            })
        },
        // d/dt = w (log(1 - x) - log(x)), PyTorch's -logit(x).
        move |x, _| {
            let d = &x.rsub_scalar(1.0).log() - &x.log();
            Ok(match &w_t {
                Some(w) => &d * w,
                None => d,
            })
        },
    )
}

/// Binary cross-entropy on logits, stably:
/// `(1 - t) x + l (log(1 + e^-|x|) + max(-x, 0))` with `l = 1 + (p - 1) t`
/// for `pos_weight` `p` (1 without), times `weight`. PyTorch equivalent:
/// `F.binary_cross_entropy_with_logits(input, target, weight,
/// reduction=..., pos_weight=...)`.
///
/// # Errors
/// If the shapes differ, or `weight` / `pos_weight` do not broadcast.
pub fn binary_cross_entropy_with_logits(
    input: &Tensor,
    target: &Tensor,
    weight: Option<&Tensor>,
    pos_weight: Option<&Tensor>,
    reduction: Reduction,
) -> Result<Tensor> {
    const OP: &str = "binary_cross_entropy_with_logits";
    same_shapes(OP, input, target)?;
    let (x, t) = (input.value(), target.value());
    let softplus_neg_abs = tensor::float_map!(x, OP, |v| (-v.abs()).exp().ln_1p() + (-v).max(0.0))?;
    let log_weight = match pos_weight {
        Some(p) => (&p.value().sub_scalar(1.0) * &t).add_scalar(1.0),
        None => t.ones_like(),
    };
    let mut elementwise = &(&t.rsub_scalar(1.0) * &x) + &(&log_weight * &softplus_neg_abs);
    if let Some(w) = weight {
        elementwise = elementwise.try_mul(&w.value())?;
    }
    let (w_in, w_t) = (weight.cloned(), weight.cloned());
    let (p_in, p_t) = (pos_weight.cloned(), pos_weight.cloned());
    fused_loss(
        "BinaryCrossEntropyWithLogitsBackward0",
        input,
        target,
        reduction,
        elementwise,
        // d/dx = (p t + 1 - t) sigmoid(x) - p t (p = 1 without pos_weight).
        move |x, t| {
            let d = match &p_in {
                Some(p) => {
                    let pt = p * t;
                    &(&(&pt + &t.rsub_scalar(1.0)) * &x.sigmoid()) - &pt
                }
                None => &x.sigmoid() - t,
            };
            Ok(match &w_in {
                Some(w) => &d * w,
                None => d,
            })
        },
        // d/dt = log_sigmoid(-x) - p log_sigmoid(x) = -x + (p - 1) softplus(-x).
        move |x, _| {
            let d = match &p_t {
                Some(p) => &x.neg() + &(&p.sub_scalar(1.0) * &x.neg().softplus(1.0, 20.0)),
                None => x.neg(),
            };
            Ok(match &w_t {
                Some(w) => &d * w,
                None => d,
            })
        },
    )
}

/// Declares a loss module with public option fields, PyTorch's defaults, and
/// `forward` / `try_forward` calling `$function`.
macro_rules! loss_module {
    (
        $(#[$doc:meta])*
        $name:ident { $($field:ident: $ty:ty = $default:expr),* } => |$self_:ident, $input:ident, $target:ident| $call:expr
    ) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $name {
            pub reduction: Reduction,
            $(pub $field: $ty,)*
        }

        impl Default for $name {
            fn default() -> $name {
                $name { reduction: Reduction::Mean, $($field: $default,)* }
            }
        }

        impl $name {
            /// PyTorch's defaults.
            pub fn new() -> $name {
                $name::default()
            }

            /// The loss of `input` against `target`. PyTorch equivalent: `loss(input, target)`.
            ///
            /// # Errors
            /// As the functional form.
            pub fn try_forward(&$self_, $input: &Tensor, $target: &Tensor) -> Result<Tensor> {
                $call
            }

            /// Panicking form of `try_forward`.
            ///
            /// # Panics
            /// Where `try_forward` errs (reported at the caller's line).
            #[track_caller]
            pub fn forward(&self, input: &Tensor, target: &Tensor) -> Tensor {
                crate::or_panic(self.try_forward(input, target))
            }
        }
    };
}

loss_module! {
    /// PyTorch equivalent: `nn.L1Loss(reduction='mean')`.
    L1Loss {} => |self, input, target| l1_loss(input, target, self.reduction)
}

loss_module! {
    /// PyTorch equivalent: `nn.SmoothL1Loss(reduction='mean', beta=1.0)`.
    SmoothL1Loss { beta: f64 = 1.0 } => |self, input, target| smooth_l1_loss(input, target, self.reduction, self.beta)
}

loss_module! {
    /// PyTorch equivalent: `nn.HuberLoss(reduction='mean', delta=1.0)`.
    HuberLoss { delta: f64 = 1.0 } => |self, input, target| huber_loss(input, target, self.reduction, self.delta)
}

loss_module! {
    /// PyTorch equivalent: `nn.BCELoss(weight=None, reduction='mean')`.
    BCELoss { weight: Option<Tensor> = None } => |self, input, target| {
        binary_cross_entropy(input, target, self.weight.as_ref(), self.reduction)
    }
}

loss_module! {
    /// PyTorch equivalent: `nn.BCEWithLogitsLoss(weight=None, reduction='mean', pos_weight=None)`.
    BCEWithLogitsLoss { weight: Option<Tensor> = None, pos_weight: Option<Tensor> = None } => |self, input, target| {
        binary_cross_entropy_with_logits(input, target, self.weight.as_ref(), self.pos_weight.as_ref(), self.reduction)
    }
}
