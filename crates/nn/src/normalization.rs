//! Normalization layers (`BatchNorm1d`, `BatchNorm2d`, `LayerNorm`,
//! `GroupNorm`) and their functional forms. Each normalizes groups of
//! elements to zero mean and unit (biased) variance, then applies a
//! per-channel (or per-element) affine map; only which elements form a
//! group differs. The statistics are differentiable ops, so gradients of
//! any order flow through them.

use autograd::{no_grad, Result, Tensor};
use tensor::{DType, TensorError};

use crate::hooks::ModuleHooks;
use crate::module::Module;

fn invalid(op: &'static str, msg: String) -> autograd::AutogradError {
    TensorError::InvalidArgument { op, msg }.into()
}

/// How a normalization groups and scales its input: the statistics are
/// taken over `stat_dims` of the input viewed as `stat_shape`; the affine
/// map applies `weight` and `bias` viewed as `param_shape` to the input
/// viewed as `affine_shape`.
#[derive(Clone, Debug)]
struct Plan {
    name: &'static str,
    stat_shape: Vec<isize>,
    stat_dims: Vec<isize>,
    affine_shape: Vec<isize>,
    param_shape: Vec<isize>,
    /// The weight's and bias's own shape.
    param_dims: Vec<usize>,
    eps: f64,
    /// Fixed statistics (mean, variance), already shaped to broadcast over
    /// the statistics view: evaluation-mode batch norm.
    fixed: Option<(Tensor, Tensor)>,
}

impl Plan {
    /// The mean of `t` over the statistics dims, kept.
    fn mean(&self, t: &Tensor) -> Result<Tensor> {
        self.stat_dims
            .iter()
            .try_fold(t.clone(), |acc, &d| acc.try_mean_dim(d, true))
    }

    /// `x̂ = (x - mean)·r` with `r = 1/√(var + eps)`, for `x` in the
    /// statistics view; also the batch mean and (biased) variance.
    fn standardize(&self, x: &Tensor) -> Result<(Tensor, Tensor, Tensor, Tensor)> {
        let (mean, var) = match &self.fixed {
            Some((mean, var)) => (mean.clone(), var.clone()),
            None => {
                let mean = self.mean(x)?;
                let centered = x - &mean;
                let var = self.mean(&(&centered * &centered))?;
                (mean, var)
            }
        };
        let r = (&var + self.eps).pow_scalar(-0.5);
        let normalized = &(x - &mean) * &r;
        Ok((normalized, r, mean, var))
    }

    /// The normalized input with the affine map applied, as one node named
    /// as PyTorch's (`NativeBatchNormBackward0`, ...). Its backward is
    /// written in differentiable ops on the saved input and weight, so
    /// higher derivatives follow; the batch statistics are recomputed there
    /// rather than kept. Returns the batch mean and variance too.
    fn apply(
        self,
        x: &Tensor,
        weight: Option<&Tensor>,
        bias: Option<&Tensor>,
    ) -> Result<(Tensor, Tensor, Tensor)> {
        let shape: Vec<isize> = x.shape().iter().map(|&d| d as isize).collect();
        let (value, mean, var) = {
            let _guard = no_grad();
            let (normalized, _, mean, var) = self.standardize(&x.try_reshape(&self.stat_shape)?)?;
            let out = affine(
                normalized.try_reshape(&self.affine_shape)?,
                weight,
                bias,
                &self.param_shape,
            )?;
            (out.try_reshape(&shape)?.value(), mean, var)
        };
        let mut inputs = vec![x];
        inputs.extend(weight);
        let bias_at = inputs.len();
        inputs.extend(bias);
        let has_weight = weight.is_some();
        let save: &[usize] = if has_weight { &[0, 1] } else { &[0] };
        let name = self.name;
        let out = Tensor::try_from_differentiable_op(
            name,
            value,
            &inputs,
            autograd::Save {
                inputs: save,
                output: false,
            },
            move |g, s, needs| {
                self.backward(g, &s[0], has_weight.then(|| &s[1]), needs, bias_at, &shape)
            },
        )?;
        Ok((out, mean, var))
    }

    /// The gradients of [`apply`](Plan::apply)'s inputs `[x, weight?, bias?]`.
    fn backward(
        &self,
        g: &Tensor,
        x: &Tensor,
        weight: Option<&Tensor>,
        needs: &[bool],
        bias_at: usize,
        shape: &[isize],
    ) -> Result<Vec<Option<Tensor>>> {
        let (normalized, r, _, _) = self.standardize(&x.try_reshape(&self.stat_shape)?)?;
        let g_affine = g.try_reshape(&self.affine_shape)?;
        // A parameter's gradient: `t` summed to the parameters' broadcast
        // shape, then viewed as the parameter (`like`).
        let param_shape: Vec<usize> = self.param_shape.iter().map(|&d| d as usize).collect();
        let to_param = |t: &Tensor| -> Result<Tensor> {
            t.try_sum_to_size(&param_shape)?
                .try_reshape(&signed(&self.param_dims))
        };
        let mut grads = vec![None; needs.len()];
        if weight.is_some() && needs[1] {
            grads[1] = Some(to_param(
                &(&g_affine * &normalized.try_reshape(&self.affine_shape)?),
            )?);
        }
        if bias_at < needs.len() && needs[bias_at] {
            grads[bias_at] = Some(to_param(&g_affine)?);
        }
        if needs[0] {
            let g_normalized = match weight {
                Some(w) => &g_affine * &w.try_reshape(&self.param_shape)?,
                None => g_affine.clone(),
            }
            .try_reshape(&self.stat_shape)?;
            let gx = match self.fixed {
                Some(_) => &g_normalized * &r,
                None => {
                    let spread = &(&g_normalized - &self.mean(&g_normalized)?)
                        - &(&normalized * &self.mean(&(&g_normalized * &normalized))?);
                    &spread * &r
                }
            };
            grads[0] = Some(gx.try_reshape(shape)?);
        }
        Ok(grads)
    }
}

/// `x · weight + bias` with optional per-channel tensors viewed as `shape`.
fn affine(
    x: Tensor,
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
    shape: &[isize],
) -> Result<Tensor> {
    let x = match weight {
        Some(w) => x * w.try_reshape(shape)?,
        None => x,
    };
    Ok(match bias {
        Some(b) => x + b.try_reshape(shape)?,
        None => x,
    })
}

/// The named tensors that are present, as `named_parameters` lists them.
fn present<const N: usize>(tensors: [(&str, &Option<Tensor>); N]) -> Vec<(String, Tensor)> {
    tensors
        .into_iter()
        .filter_map(|(name, t)| t.as_ref().map(|t| (name.to_string(), t.clone())))
        .collect()
}

/// `shape` as view arguments.
fn signed(shape: &[usize]) -> Vec<isize> {
    shape.iter().map(|&d| d as isize).collect()
}

/// Checks that a per-channel tensor has `channels` elements.
fn check_per_channel(
    op: &'static str,
    name: &str,
    t: Option<&Tensor>,
    channels: usize,
) -> Result<()> {
    match t {
        Some(t) if t.shape() != [channels] => Err(invalid(
            op,
            format!(
                "expected {name} of size [{channels}], but got {:?}",
                t.shape()
            ),
        )),
        _ => Ok(()),
    }
}

/// Batch normalization of `x` `[N, C, *]` over every dim but the channels.
/// In training (or without running statistics) it uses the batch's
/// statistics and, given running ones, updates them in place:
/// `running = (1 - momentum) · running + momentum · batch` with the
/// unbiased batch variance. Otherwise it uses the running statistics.
/// PyTorch equivalent: `F.batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps)`.
///
/// # Errors
/// A per-channel tensor of the wrong size, an input of fewer than 2 dims,
/// or a single value per channel in training (PyTorch's messages).
#[allow(clippy::too_many_arguments)]
pub fn batch_norm(
    x: &Tensor,
    running_mean: Option<&Tensor>,
    running_var: Option<&Tensor>,
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
    training: bool,
    momentum: f64,
    eps: f64,
) -> Result<Tensor> {
    const OP: &str = "batch_norm";
    let shape = x.shape();
    if shape.len() < 2 {
        return Err(invalid(
            OP,
            format!("expected an input of at least 2 dims [N, C, *], but got {shape:?}"),
        ));
    }
    let channels = shape[1];
    for (name, t) in [
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ] {
        check_per_channel(OP, name, t, channels)?;
    }
    let per_channel = vec![1, channels as isize, 1];
    let count = shape[0] * shape[2..].iter().product::<usize>();
    let running = running_mean.zip(running_var);
    if training && count == 1 {
        return Err(invalid(OP, format!("Expected more than 1 value per channel when training, got input size torch.Size({shape:?})")));
    }
    let fixed = match (training, running) {
        (false, Some((rm, rv))) => Some((
            rm.detach().try_reshape(&per_channel)?,
            rv.detach().try_reshape(&per_channel)?,
        )),
        _ => None,
    };
    let per_batch = [shape[0] as isize, channels as isize, -1];
    let plan = Plan {
        name: "NativeBatchNormBackward0",
        stat_shape: per_batch.to_vec(),
        stat_dims: vec![0, 2],
        affine_shape: per_batch.to_vec(),
        param_shape: per_channel,
        param_dims: vec![channels],
        eps,
        fixed,
    };
    let (out, mean, var) = plan.apply(x, weight, bias)?;
    if let (true, Some((rm, rv))) = (training, running) {
        let _guard = no_grad();
        let unbiased = count as f64 / (count.max(2) - 1) as f64;
        let (mean, var) = (
            mean.value().try_reshape(&[-1])?,
            var.value().try_reshape(&[-1])?,
        );
        let keep = 1.0 - momentum;
        rm.value()
            .try_copy_(&(&(&rm.value() * keep) + &(&mean * momentum)))?;
        rv.value()
            .try_copy_(&(&(&rv.value() * keep) + &(&var * (momentum * unbiased))))?;
    }
    Ok(out)
}

/// Layer normalization over the last `normalized_shape.len()` dims, which
/// must be `normalized_shape`; `weight` and `bias` have that shape.
/// PyTorch equivalent: `F.layer_norm(x, normalized_shape, weight, bias, eps)`.
///
/// # Errors
/// If the input's trailing dims are not `normalized_shape`, or a weight or
/// bias has another shape.
pub fn layer_norm(
    x: &Tensor,
    normalized_shape: &[usize],
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
    eps: f64,
) -> Result<Tensor> {
    const OP: &str = "layer_norm";
    let shape = x.shape();
    let k = normalized_shape.len();
    if k == 0 || shape.len() < k || shape[shape.len() - k..] != *normalized_shape {
        let trailing: Vec<String> = normalized_shape.iter().map(usize::to_string).collect();
        return Err(invalid(
            OP,
            format!(
                "Given normalized_shape={normalized_shape:?}, expected input with shape [*, {}], but got input of size{shape:?}",
                trailing.join(", ")
            ),
        ));
    }
    for (name, t) in [("weight", weight), ("bias", bias)] {
        if let Some(t) = t.filter(|t| t.shape() != normalized_shape) {
            return Err(invalid(
                OP,
                format!(
                    "expected {name} of shape {normalized_shape:?}, but got {:?}",
                    t.shape()
                ),
            ));
        }
    }
    let rows = shape[..shape.len() - k].iter().product::<usize>();
    let plan = Plan {
        name: "NativeLayerNormBackward0",
        stat_shape: vec![rows as isize, -1],
        stat_dims: vec![1],
        affine_shape: signed(&shape),
        param_shape: signed(normalized_shape),
        param_dims: normalized_shape.to_vec(),
        eps,
        fixed: None,
    };
    Ok(plan.apply(x, weight, bias)?.0)
}

/// Group normalization of `x` `[N, C, *]`: the channels split into
/// `num_groups` groups, each normalized over its channels and positions;
/// then a per-channel affine map. PyTorch equivalent:
/// `F.group_norm(x, num_groups, weight, bias, eps)`.
///
/// # Errors
/// If the channels do not divide into the groups, or a weight or bias is
/// not `[C]`.
pub fn group_norm(
    x: &Tensor,
    num_groups: usize,
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
    eps: f64,
) -> Result<Tensor> {
    const OP: &str = "group_norm";
    let shape = x.shape();
    if shape.len() < 2 || num_groups == 0 || !shape[1].is_multiple_of(num_groups) {
        return Err(invalid(
            OP,
            format!("Expected number of channels in input to be divisible by num_groups, but got input of shape {shape:?} and num_groups={num_groups}"),
        ));
    }
    let channels = shape[1];
    for (name, t) in [("weight", weight), ("bias", bias)] {
        check_per_channel(OP, name, t, channels)?;
    }
    let plan = Plan {
        name: "NativeGroupNormBackward0",
        stat_shape: vec![shape[0] as isize, num_groups as isize, -1],
        stat_dims: vec![2],
        affine_shape: vec![shape[0] as isize, channels as isize, -1],
        param_shape: vec![1, channels as isize, 1],
        param_dims: vec![channels],
        eps,
        fixed: None,
    };
    Ok(plan.apply(x, weight, bias)?.0)
}

/// Batch normalization over inputs of `D` spatial dims (`BatchNorm1d`:
/// `[N, C]` or `[N, C, L]`; `BatchNorm2d`: `[N, C, H, W]`), with learnable
/// `weight` (ones) and `bias` (zeros) and running statistics
/// (`running_mean` zeros, `running_var` ones, `num_batches_tracked` an int64
/// count), which are the module's buffers. `momentum` of `None` is a
/// cumulative average. Cloning shares the parameters and buffers.
#[derive(Clone, Debug)]
pub struct BatchNorm<const D: usize> {
    weight: Option<Tensor>,
    bias: Option<Tensor>,
    running_mean: Option<Tensor>,
    running_var: Option<Tensor>,
    num_batches_tracked: Option<Tensor>,
    /// `num_features` (channels).
    pub num_features: usize,
    /// `eps`, added to the variance.
    pub eps: f64,
    /// `momentum` of the running statistics (`None`: cumulative average).
    pub momentum: Option<f64>,
    training: bool,
    hooks: ModuleHooks,
}

/// PyTorch equivalent: `nn.BatchNorm1d`, over `[N, C]` or `[N, C, L]`.
pub type BatchNorm1d = BatchNorm<1>;
/// PyTorch equivalent: `nn.BatchNorm2d`, over `[N, C, H, W]`.
pub type BatchNorm2d = BatchNorm<2>;

impl<const D: usize> BatchNorm<D> {
    /// A layer with PyTorch's defaults: eps 1e-5, momentum 0.1, affine,
    /// tracking running statistics. PyTorch equivalent:
    /// `nn.BatchNorm1d(num_features)` / `nn.BatchNorm2d(num_features)`.
    pub fn new(num_features: usize) -> BatchNorm<D> {
        BatchNorm::with_options(num_features, 1e-5, Some(0.1), true, true)
    }

    /// A layer with PyTorch's options. PyTorch equivalent:
    /// `nn.BatchNorm2d(num_features, eps, momentum, affine, track_running_stats)`.
    pub fn with_options(
        num_features: usize,
        eps: f64,
        momentum: Option<f64>,
        affine: bool,
        track_running_stats: bool,
    ) -> BatchNorm<D> {
        let param =
            |value: f32| affine.then(|| Tensor::full(&[num_features], value).requires_grad_(true));
        let buffer = |value: f32| track_running_stats.then(|| Tensor::full(&[num_features], value));
        BatchNorm {
            weight: param(1.0),
            bias: param(0.0),
            running_mean: buffer(0.0),
            running_var: buffer(1.0),
            num_batches_tracked: track_running_stats
                .then(|| Tensor::new(tensor::Tensor::zeros_dtype(&[], DType::Int64))),
            num_features,
            eps,
            momentum,
            training: true,
            hooks: ModuleHooks::new(),
        }
    }

    /// `weight` (`γ`), if affine.
    pub fn weight(&self) -> Option<&Tensor> {
        self.weight.as_ref()
    }
    /// `bias` (`β`), if affine.
    pub fn bias(&self) -> Option<&Tensor> {
        self.bias.as_ref()
    }
    /// `running_mean`, if tracked.
    pub fn running_mean(&self) -> Option<&Tensor> {
        self.running_mean.as_ref()
    }
    /// `running_var`, if tracked.
    pub fn running_var(&self) -> Option<&Tensor> {
        self.running_var.as_ref()
    }
    /// `num_batches_tracked` (int64), if tracked.
    pub fn num_batches_tracked(&self) -> Option<&Tensor> {
        self.num_batches_tracked.as_ref()
    }
}

impl<const D: usize> Module for BatchNorm<D> {
    fn try_forward(&self, input: &Tensor) -> Result<Tensor> {
        let dim = input.dim();
        // BatchNorm1d takes [N, C] or [N, C, L]; BatchNorm2d [N, C, H, W].
        let lowest = if D == 1 { 2 } else { D + 2 };
        if dim < lowest || dim > D + 2 {
            let expected = match D {
                1 => "2D or 3D".to_string(),
                _ => format!("{}D", D + 2),
            };
            return Err(invalid(
                "BatchNorm",
                format!("expected {expected} input (got {dim}D input)"),
            ));
        }
        let mut factor = self.momentum.unwrap_or(0.0);
        if self.training {
            if let Some(count) = &self.num_batches_tracked {
                count.value().try_copy_(&(&count.value() + 1i64))?;
                if self.momentum.is_none() {
                    factor = 1.0 / count.item_as::<i64>() as f64;
                }
            }
        }
        batch_norm(
            input,
            self.running_mean.as_ref(),
            self.running_var.as_ref(),
            self.weight.as_ref(),
            self.bias.as_ref(),
            self.training || self.running_mean.is_none(),
            factor,
            self.eps,
        )
    }

    fn hooks(&self) -> Option<&ModuleHooks> {
        Some(&self.hooks)
    }

    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        present([("weight", &self.weight), ("bias", &self.bias)])
    }

    fn parameters_mut(&mut self) -> Vec<&mut Tensor> {
        self.weight.iter_mut().chain(self.bias.iter_mut()).collect()
    }

    fn named_buffers(&self) -> Vec<(String, Tensor)> {
        present([
            ("running_mean", &self.running_mean),
            ("running_var", &self.running_var),
            ("num_batches_tracked", &self.num_batches_tracked),
        ])
    }

    fn buffers_mut(&mut self) -> Vec<&mut Tensor> {
        self.running_mean
            .iter_mut()
            .chain(self.running_var.iter_mut())
            .chain(self.num_batches_tracked.iter_mut())
            .collect()
    }

    fn is_training(&self) -> bool {
        self.training
    }

    fn set_training(&mut self, training: bool) {
        self.training = training;
    }
}

/// Layer normalization over the trailing `normalized_shape` dims, with
/// element-wise `weight` (ones) and `bias` (zeros). PyTorch equivalent:
/// `nn.LayerNorm(normalized_shape, eps=1e-5, elementwise_affine=True)`.
#[derive(Clone, Debug)]
pub struct LayerNorm {
    weight: Option<Tensor>,
    bias: Option<Tensor>,
    /// `normalized_shape`.
    pub normalized_shape: Vec<usize>,
    /// `eps`.
    pub eps: f64,
    hooks: ModuleHooks,
}

impl LayerNorm {
    /// `nn.LayerNorm(normalized_shape)` (eps 1e-5, affine).
    pub fn new(normalized_shape: &[usize]) -> LayerNorm {
        LayerNorm::with_options(normalized_shape, 1e-5, true)
    }

    /// `nn.LayerNorm(normalized_shape, eps, elementwise_affine)`.
    pub fn with_options(
        normalized_shape: &[usize],
        eps: f64,
        elementwise_affine: bool,
    ) -> LayerNorm {
        let param = |value: f32| {
            elementwise_affine.then(|| Tensor::full(normalized_shape, value).requires_grad_(true))
        };
        LayerNorm {
            weight: param(1.0),
            bias: param(0.0),
            normalized_shape: normalized_shape.to_vec(),
            eps,
            hooks: ModuleHooks::new(),
        }
    }
}

/// Group normalization with per-channel `weight` (ones) and `bias` (zeros).
/// PyTorch equivalent: `nn.GroupNorm(num_groups, num_channels, eps=1e-5, affine=True)`.
#[derive(Clone, Debug)]
pub struct GroupNorm {
    weight: Option<Tensor>,
    bias: Option<Tensor>,
    /// `num_groups`.
    pub num_groups: usize,
    /// `eps`.
    pub eps: f64,
    hooks: ModuleHooks,
}

impl GroupNorm {
    /// `nn.GroupNorm(num_groups, num_channels)` (eps 1e-5, affine).
    pub fn new(num_groups: usize, num_channels: usize) -> GroupNorm {
        GroupNorm::with_options(num_groups, num_channels, 1e-5, true)
    }

    /// `nn.GroupNorm(num_groups, num_channels, eps, affine)`.
    pub fn with_options(
        num_groups: usize,
        num_channels: usize,
        eps: f64,
        affine: bool,
    ) -> GroupNorm {
        let param =
            |value: f32| affine.then(|| Tensor::full(&[num_channels], value).requires_grad_(true));
        GroupNorm {
            weight: param(1.0),
            bias: param(0.0),
            num_groups,
            eps,
            hooks: ModuleHooks::new(),
        }
    }
}

/// `Module` for layers whose parameters are an optional `weight` and `bias`.
macro_rules! affine_module {
    ($($name:ident => |$layer:ident, $x:ident| $forward:expr;)*) => {$(
        impl $name {
            /// `weight`, if affine.
            pub fn weight(&self) -> Option<&Tensor> {
                self.weight.as_ref()
            }
            /// `bias`, if affine.
            pub fn bias(&self) -> Option<&Tensor> {
                self.bias.as_ref()
            }
        }

        impl Module for $name {
            fn try_forward(&self, $x: &Tensor) -> Result<Tensor> {
                let $layer = self;
                $forward
            }

            fn hooks(&self) -> Option<&ModuleHooks> {
                Some(&self.hooks)
            }

            fn named_parameters(&self) -> Vec<(String, Tensor)> {
                present([("weight", &self.weight), ("bias", &self.bias)])
            }

            fn parameters_mut(&mut self) -> Vec<&mut Tensor> {
                self.weight.iter_mut().chain(self.bias.iter_mut()).collect()
            }
        }
    )*};
}

affine_module! {
    LayerNorm => |layer, x| layer_norm(x, &layer.normalized_shape, layer.weight.as_ref(), layer.bias.as_ref(), layer.eps);
    GroupNorm => |layer, x| group_norm(x, layer.num_groups, layer.weight.as_ref(), layer.bias.as_ref(), layer.eps);
}
