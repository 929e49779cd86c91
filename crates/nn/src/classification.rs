//! Classification: softmax and log-softmax, the negative log-likelihood and
//! cross-entropy losses (functional forms and modules), with PyTorch's
//! options, reductions and messages.

use autograd::{Result, Save, Tensor};
use tensor::{DType, Tensor as RawTensor, TensorError};

use crate::loss::Reduction;

/// PyTorch's default `ignore_index`.
pub const DEFAULT_IGNORE_INDEX: i64 = -100;

fn invalid(op: &'static str, msg: String) -> autograd::AutogradError {
    TensorError::InvalidArgument { op, msg }.into()
}

/// `exp(x) / sum(exp(x))` along `dim`. PyTorch equivalent: `F.softmax(x, dim)`.
///
/// # Errors
/// If `dim` is out of range or `x` is not floating point.
pub fn softmax(x: &Tensor, dim: isize) -> Result<Tensor> {
    x.try_softmax(dim)
}

/// `log(softmax(x))` along `dim`, computed stably. PyTorch equivalent:
/// `F.log_softmax(x, dim)`.
///
/// # Errors
/// If `dim` is out of range or `x` is not floating point.
pub fn log_softmax(x: &Tensor, dim: isize) -> Result<Tensor> {
    x.try_log_softmax(dim)
}

/// PyTorch's name of a dtype's scalar type, as its messages print it.
fn scalar_type(dtype: DType) -> &'static str {
    match dtype {
        DType::Bool => "Bool",
        DType::Int64 => "Long",
        DType::Float32 => "Float",
        DType::Float64 => "Double",
    }
}

/// The class dim of a classification input: 0 for `[C]`, else 1 (`[N, C, ...]`).
fn class_dim(input: &Tensor) -> usize {
    usize::from(input.dim() != 1)
}

/// Checks an optional class-weight vector against `classes`.
fn check_weight(op: &'static str, weight: Option<&Tensor>, classes: usize) -> Result<()> {
    match weight {
        Some(w) if w.shape() != [classes] => Err(invalid(
            op,
            format!(
                "weight tensor should be defined either for all {classes} classes or no classes but got weight tensor of shape: {:?}",
                w.shape()
            ),
        )),
        _ => Ok(()),
    }
}

/// The weight `[C]` viewed to broadcast along the class dim of `input`.
fn weight_along_classes(weight: &Tensor, input: &Tensor) -> Result<Tensor> {
    let mut shape = vec![1isize; input.dim()];
    shape[class_dim(input)] = -1;
    weight.try_reshape(&shape)
}

/// The negative log-likelihood of `target` classes under the log-probabilities
/// `input` (`[C]` with a 0-d target, `[N, C]` with `[N]`, or `[N, C, d1, ...]`
/// with `[N, d1, ...]`): `-weight[t] * input[t]` per element, 0 where the
/// target is `ignore_index`; the mean divides by the total weight of the
/// targets not ignored (NaN when all are). PyTorch equivalent:
/// `F.nll_loss(input, target, weight, ignore_index=..., reduction=...)`.
///
/// # Errors
/// For a target that is not int64 or has the wrong shape, a target out of
/// `[0, C)` that is not `ignore_index`, or a weight that is not `[C]`.
pub fn nll_loss(
    input: &Tensor,
    target: &Tensor,
    weight: Option<&Tensor>,
    ignore_index: i64,
    reduction: Reduction,
) -> Result<Tensor> {
    const OP: &str = "nll_loss";
    let shape = input.shape();
    let (batched_shape, target_shape) = match shape.len() {
        0 => {
            return Err(invalid(
                OP,
                "input tensor should be 1D or more, got 0D".into(),
            ))
        }
        1 => (vec![1, shape[0]], vec![]),
        _ => {
            let mut expected = vec![shape[0]];
            expected.extend_from_slice(&shape[2..]);
            (shape.clone(), expected)
        }
    };
    // PyTorch's checks, in its order.
    let target_dims = target.shape();
    if shape.len() <= 2 && target_dims.len() > 1 {
        return Err(invalid(
            OP,
            "0D or 1D target tensor expected, multi-target not supported".into(),
        ));
    }
    if shape.len() >= 2 && target_dims.first() != Some(&shape[0]) {
        return Err(invalid(
            OP,
            format!(
                "Expected input batch_size ({}) to match target batch_size ({}).",
                shape[0],
                target_dims.first().copied().unwrap_or(0)
            ),
        ));
    }
    // A 1-D input takes a 0-d target, or (as PyTorch) a 1-D one of size 1.
    if shape.len() == 1 && target_dims.len() == 1 && target_dims[0] != 1 {
        return Err(invalid(
            OP,
            format!(
                "For 1D input, 1D target must have size 1, but got target size: {}",
                target_dims[0]
            ),
        ));
    }
    if target_dims != target_shape && !(shape.len() == 1 && target_dims == [1]) {
        return Err(invalid(
            OP,
            format!("Expected target size {target_shape:?}, got {target_dims:?}"),
        ));
    }
    check_weight(OP, weight, batched_shape[1])?;
    if target.dtype() != DType::Int64 {
        return Err(invalid(
            OP,
            format!(
                "expected scalar type Long but found {}",
                scalar_type(target.dtype())
            ),
        ));
    }
    let classes = batched_shape[1];
    let weights: Option<Vec<f64>> = weight.map(|w| w.to_vec_as::<f64>());
    let targets = target.to_vec_as::<i64>();
    // Per target: the class to pick (0 where ignored) and its weight (0 where ignored).
    let mut picked_class = Vec::with_capacity(targets.len());
    let mut target_weight = Vec::with_capacity(targets.len());
    for &t in &targets {
        if t == ignore_index {
            picked_class.push(0i64);
            target_weight.push(0.0);
        } else if t < 0 || t as usize >= classes {
            return Err(invalid(OP, format!("Target {t} is out of bounds.")));
        } else {
            picked_class.push(t);
            target_weight.push(weights.as_ref().map_or(1.0, |w| w[t as usize]));
        }
    }
    // The picked log-probabilities, gathered along the class dim.
    let mut index_shape = batched_shape.clone();
    index_shape[1] = 1;
    let index = Tensor::from_data(&picked_class, &index_shape)?;
    let batched = input.try_reshape(
        &batched_shape
            .iter()
            .map(|&d| d as isize)
            .collect::<Vec<_>>(),
    )?;
    let picked = batched
        .value()
        .try_gather(1, &index.value())?
        .to_vec_as::<f64>();
    let losses: Vec<f64> = picked
        .iter()
        .zip(&target_weight)
        .map(|(&x, &w)| if w == 0.0 { 0.0 } else { -w * x })
        .collect();
    // Sums from +0.0, as PyTorch's (Rust's `Sum` of floats starts at -0.0,
    // which an empty batch would show).
    let total = |v: &[f64]| v.iter().fold(0.0, |a, b| a + b);
    let total_weight = total(&target_weight);
    let (values, value_shape, scale): (Vec<f64>, Vec<usize>, f64) = match reduction {
        Reduction::None => (losses, target_shape.clone(), 1.0),
        Reduction::Sum => (vec![total(&losses)], vec![], 1.0),
        Reduction::Mean => (
            vec![total(&losses) / total_weight],
            vec![],
            1.0 / total_weight,
        ),
    };
    let value = RawTensor::from_data(&values, &value_shape)?.try_to_dtype(input.dtype())?;
    // d loss / d input[t] = -weight[t] (/ total weight for the mean), scattered
    // at the targets; written with differentiable ops (a second derivative
    // of the loss itself is zero, but the graph stays connected).
    let coefficients: Vec<f64> = target_weight
        .iter()
        .map(|&w| if w == 0.0 { 0.0 } else { -w * scale })
        .collect();
    let coefficients = Tensor::new(
        RawTensor::from_data(&coefficients, &target_shape)?.try_to_dtype(input.dtype())?,
    );
    let name = match shape.len() {
        1 | 2 => "NllLossBackward0",
        _ => "NllLoss2DBackward0",
    };
    let (input_shape, target_dims) = (shape, target_shape);
    Tensor::try_from_differentiable_op(name, value, &[input], Save::NOTHING, move |g, _, _| {
        let per_target = &g.try_broadcast_to(&target_dims)? * &coefficients;
        let per_target =
            per_target.try_reshape(&index_shape.iter().map(|&d| d as isize).collect::<Vec<_>>())?;
        let zeros = Tensor::zeros_dtype(&batched_shape, per_target.dtype());
        let grad = zeros.try_scatter_add(1, &index, &per_target)?;
        let dims: Vec<isize> = input_shape.iter().map(|&d| d as isize).collect();
        Ok(vec![Some(grad.try_reshape(&dims)?)])
    })
}

/// Cross-entropy between the logits `input` and `target`, which holds either
/// class indices (int64, shaped as for [`nll_loss`]) or, when shaped as
/// `input`, class probabilities (float). Class indices give
/// `nll_loss(log_softmax(input), target)`; `label_smoothing` mixes in the
/// uniform distribution over classes with that weight; `weight` rescales
/// each class. PyTorch equivalent: `F.cross_entropy(input, target, weight,
/// ignore_index=..., reduction=..., label_smoothing=...)`.
///
/// # Errors
/// As [`nll_loss`]; a `label_smoothing` outside `[0, 1]`; a target shaped
/// as `input` (probabilities) that is not floating point, or with an
/// `ignore_index`.
pub fn cross_entropy(
    input: &Tensor,
    target: &Tensor,
    weight: Option<&Tensor>,
    ignore_index: i64,
    reduction: Reduction,
    label_smoothing: f64,
) -> Result<Tensor> {
    const OP: &str = "cross_entropy";
    if !(0.0..=1.0).contains(&label_smoothing) {
        return Err(invalid(
            OP,
            format!("label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}"),
        ));
    }
    if input.dim() == 0 {
        return Err(invalid(
            OP,
            "input tensor should be 1D or more, got 0D".into(),
        ));
    }
    let dim = class_dim(input);
    let classes = input.shape()[dim];
    check_weight(OP, weight, classes)?;
    let log_probabilities = input.try_log_softmax(dim as isize)?;
    // As PyTorch: a target shaped as the input holds probabilities.
    if target.shape() == input.shape() {
        return cross_entropy_with_probabilities(
            input,
            &log_probabilities,
            target,
            weight,
            ignore_index,
            reduction,
            label_smoothing,
        );
    }
    let nll = nll_loss(&log_probabilities, target, weight, ignore_index, reduction)?;
    if label_smoothing == 0.0 {
        return Ok(nll);
    }
    // PyTorch's cross_entropy_loss_label_smoothing.
    let ignored = target.try_eq_scalar(ignore_index)?;
    let weighted = match weight {
        Some(w) => log_probabilities.try_mul(&weight_along_classes(w, input)?)?,
        None => log_probabilities.clone(),
    };
    let smooth = weighted
        .try_sum_dim(dim as isize, false)?
        .neg()
        .try_masked_fill(&ignored, 0.0)?;
    let smooth = match reduction {
        Reduction::None => smooth,
        Reduction::Sum => smooth.sum(),
        Reduction::Mean => {
            let kept = target.try_ne_scalar(ignore_index)?;
            let denominator = match weight {
                Some(w) => {
                    let classes = target.value().try_masked_select(&kept.value())?;
                    w.try_gather(0, &Tensor::new(classes))?.sum()
                }
                None => kept.sum(),
            };
            smooth.sum().try_div(&denominator)?
        }
    };
    Ok(&(&nll * (1.0 - label_smoothing)) + &(&smooth * (label_smoothing / classes as f64)))
}

/// Cross-entropy against class probabilities (PyTorch's
/// `cross_entropy_loss_prob_target`).
fn cross_entropy_with_probabilities(
    input: &Tensor,
    log_probabilities: &Tensor,
    target: &Tensor,
    weight: Option<&Tensor>,
    ignore_index: i64,
    reduction: Reduction,
    label_smoothing: f64,
) -> Result<Tensor> {
    const OP: &str = "cross_entropy";
    if !target.is_floating_point() {
        return Err(invalid(
            OP,
            format!(
                "Expected floating point type for target with class probabilities, got {}",
                scalar_type(target.dtype())
            ),
        ));
    }
    if ignore_index != DEFAULT_IGNORE_INDEX {
        return Err(invalid(
            OP,
            "ignore_index is not supported for floating point target".into(),
        ));
    }
    let dim = class_dim(input);
    let classes = input.shape()[dim];
    let target = match label_smoothing > 0.0 {
        true => &(target * (1.0 - label_smoothing)) + (label_smoothing / classes as f64),
        false => target.clone(),
    };
    let mut product = log_probabilities.try_mul(&target)?;
    if let Some(w) = weight {
        product = product.try_mul(&weight_along_classes(w, input)?)?;
    }
    Ok(match reduction {
        Reduction::None => product.try_sum_dim(dim as isize, false)?.neg(),
        Reduction::Sum => product.sum().neg(),
        Reduction::Mean => {
            let samples = input.numel() / classes.max(1);
            match samples {
                0 => product.sum().neg().fill_(f64::NAN),
                n => divide_by_count(&product.sum().neg(), n as f64)?,
            }
        }
    })
}

/// `x / n` recorded as PyTorch's division by a C++ scalar (`DivBackward1`).
fn divide_by_count(x: &Tensor, n: f64) -> Result<Tensor> {
    Tensor::try_from_differentiable_op(
        "DivBackward1",
        &x.value() / n,
        &[x],
        Save::NOTHING,
        move |g, _, _| Ok(vec![Some(g / n)]),
    )
}

/// The negative log-likelihood loss as a module. PyTorch equivalent:
/// `nn.NLLLoss(weight=None, ignore_index=-100, reduction='mean')`.
#[derive(Clone, Debug)]
pub struct NLLLoss {
    /// A weight per class (`[C]`).
    pub weight: Option<Tensor>,
    /// Targets equal to it contribute nothing.
    pub ignore_index: i64,
    pub reduction: Reduction,
}

impl Default for NLLLoss {
    fn default() -> NLLLoss {
        NLLLoss {
            weight: None,
            ignore_index: DEFAULT_IGNORE_INDEX,
            reduction: Reduction::Mean,
        }
    }
}

impl NLLLoss {
    /// PyTorch's defaults: no weight, `ignore_index = -100`, mean.
    pub fn new() -> NLLLoss {
        NLLLoss::default()
    }

    /// The loss of log-probabilities `input` against class indices `target`.
    ///
    /// # Errors
    /// See [`nll_loss`].
    pub fn try_forward(&self, input: &Tensor, target: &Tensor) -> Result<Tensor> {
        nll_loss(
            input,
            target,
            self.weight.as_ref(),
            self.ignore_index,
            self.reduction,
        )
    }

    /// Panicking form of [`try_forward`](NLLLoss::try_forward).
    ///
    /// # Panics
    /// Where `try_forward` errs (reported at the caller's line).
    #[track_caller]
    pub fn forward(&self, input: &Tensor, target: &Tensor) -> Tensor {
        crate::or_panic(self.try_forward(input, target))
    }
}

/// The cross-entropy loss as a module. PyTorch equivalent:
/// `nn.CrossEntropyLoss(weight=None, ignore_index=-100, reduction='mean',
/// label_smoothing=0.0)`.
///
/// ```
/// use autograd::Tensor;
/// use nn::CrossEntropyLoss;
///
/// let logits = Tensor::from_data(&[2.0f32, 0.5, -1.0, 0.1, 1.5, 0.3], &[2, 3])?.requires_grad_(true);
/// let labels = Tensor::from_data(&[0i64, 1], &[2])?;
/// let loss = CrossEntropyLoss::new().forward(&logits, &labels);
/// assert_eq!(loss.grad_fn(), Some("NllLossBackward0"));
/// loss.backward();
/// // Accuracy in one line, as in PyTorch.
/// let accuracy = logits.argmax_dim(1, false).eq(&labels).float().mean().item();
/// assert_eq!(accuracy, 1.0);
/// # Ok::<(), autograd::AutogradError>(())
/// ```
#[derive(Clone, Debug)]
pub struct CrossEntropyLoss {
    /// A weight per class (`[C]`).
    pub weight: Option<Tensor>,
    /// Targets equal to it contribute nothing (class-index targets only).
    pub ignore_index: i64,
    pub reduction: Reduction,
    /// The weight of the uniform distribution mixed into the targets, in `[0, 1]`.
    pub label_smoothing: f64,
}

impl Default for CrossEntropyLoss {
    fn default() -> CrossEntropyLoss {
        CrossEntropyLoss {
            weight: None,
            ignore_index: DEFAULT_IGNORE_INDEX,
            reduction: Reduction::Mean,
            label_smoothing: 0.0,
        }
    }
}

impl CrossEntropyLoss {
    /// PyTorch's defaults: no weight, `ignore_index = -100`, mean, no smoothing.
    pub fn new() -> CrossEntropyLoss {
        CrossEntropyLoss::default()
    }

    /// The loss of logits `input` against `target` (class indices or probabilities).
    ///
    /// # Errors
    /// See [`cross_entropy`].
    pub fn try_forward(&self, input: &Tensor, target: &Tensor) -> Result<Tensor> {
        cross_entropy(
            input,
            target,
            self.weight.as_ref(),
            self.ignore_index,
            self.reduction,
            self.label_smoothing,
        )
    }

    /// Panicking form of [`try_forward`](CrossEntropyLoss::try_forward).
    ///
    /// # Panics
    /// Where `try_forward` errs (reported at the caller's line).
    #[track_caller]
    pub fn forward(&self, input: &Tensor, target: &Tensor) -> Tensor {
        crate::or_panic(self.try_forward(input, target))
    }
}
