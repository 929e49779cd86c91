//! Parameter initialisation with PyTorch's fan and gain rules. Every
//! function fills its tensor in place without recording (as `torch.nn.init`
//! does under `torch.no_grad()`), drawing from the default generator, and
//! returns the tensor. PyTorch equivalent: `torch.nn.init`.
//!
//! ```
//! use nn::{init, Linear, Module};
//!
//! let layer = Linear::new(784, 256);
//! init::xavier_uniform_(&layer.weight(), 1.0)?;
//! init::zeros_(&layer.bias().unwrap())?;
//! let bound = (6.0f32 / (784.0 + 256.0)).sqrt();
//! assert!(layer.weight().to_vec().iter().all(|w| w.abs() <= bound));
//! # Ok::<(), autograd::AutogradError>(())
//! ```

use autograd::{no_grad, Result, Tensor};
use tensor::TensorError;

/// The nonlinearity a layer feeds, for [`calculate_gain`]. PyTorch: the
/// `nonlinearity` strings of `torch.nn.init`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Nonlinearity {
    /// `'linear'` (and the convolutions, `'conv1d'`… `'conv_transpose3d'`).
    Linear,
    /// `'sigmoid'`.
    Sigmoid,
    /// `'tanh'`.
    Tanh,
    /// `'relu'`.
    Relu,
    /// `'leaky_relu'` with its negative slope (PyTorch's default: 0.01).
    LeakyRelu(f64),
    /// `'selu'`.
    Selu,
}

/// Which fan scales the variance. PyTorch: `mode='fan_in' | 'fan_out'`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FanMode {
    /// Preserves the variance of activations in the forward pass (default).
    #[default]
    FanIn,
    /// Preserves the variance of gradients in the backward pass.
    FanOut,
}

/// The recommended gain for `nonlinearity`: 1 for linear and sigmoid, 5/3
/// for tanh, √2 for ReLU, √(2 / (1 + slope²)) for leaky ReLU, 3/4 for SELU.
/// PyTorch equivalent: `nn.init.calculate_gain(nonlinearity, param)`.
pub fn calculate_gain(nonlinearity: Nonlinearity) -> f64 {
    match nonlinearity {
        Nonlinearity::Linear | Nonlinearity::Sigmoid => 1.0,
        Nonlinearity::Tanh => 5.0 / 3.0,
        Nonlinearity::Relu => 2f64.sqrt(),
        Nonlinearity::LeakyRelu(slope) => (2.0 / (1.0 + slope * slope)).sqrt(),
        Nonlinearity::Selu => 0.75,
    }
}

/// `(fan_in, fan_out)`: for a weight `[out, in, k...]`, `in · Πk` and
/// `out · Πk`. PyTorch equivalent: `nn.init._calculate_fan_in_and_fan_out`.
///
/// # Errors
/// For a tensor of fewer than 2 dims.
pub fn calculate_fan_in_and_fan_out(tensor: &Tensor) -> Result<(usize, usize)> {
    let shape = tensor.shape();
    if shape.len() < 2 {
        return Err(TensorError::InvalidArgument {
            op: "init",
            msg: "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"
                .into(),
        }
        .into());
    }
    let receptive: usize = shape[2..].iter().product();
    Ok((shape[1] * receptive, shape[0] * receptive))
}

/// Runs `fill` without recording and returns a handle to `tensor`.
fn filled(tensor: &Tensor, fill: impl FnOnce(&Tensor) -> Result<Tensor>) -> Result<Tensor> {
    let _guard = no_grad();
    fill(tensor)?;
    Ok(tensor.clone())
}

/// Fills with `U(low, high)`. PyTorch equivalent: `nn.init.uniform_(t, a, b)`.
///
/// # Errors
/// If `low > high`.
pub fn uniform_(tensor: &Tensor, low: f64, high: f64) -> Result<Tensor> {
    filled(tensor, |t| t.try_uniform_(low, high))
}

/// Fills with `N(mean, std²)`. PyTorch equivalent: `nn.init.normal_(t, mean, std)`.
///
/// # Errors
/// If `std` is negative.
pub fn normal_(tensor: &Tensor, mean: f64, std: f64) -> Result<Tensor> {
    filled(tensor, |t| t.try_normal_(mean, std))
}

/// Fills with `value`. PyTorch equivalent: `nn.init.constant_(t, val)`.
///
/// # Errors
/// Never for a float tensor (the `Result` keeps the module's shape).
pub fn constant_(tensor: &Tensor, value: f64) -> Result<Tensor> {
    filled(tensor, |t| t.try_fill_(value))
}

/// Fills with zeros. PyTorch equivalent: `nn.init.zeros_(t)`.
///
/// # Errors
/// As [`constant_`].
pub fn zeros_(tensor: &Tensor) -> Result<Tensor> {
    constant_(tensor, 0.0)
}

/// Fills with ones. PyTorch equivalent: `nn.init.ones_(t)`.
///
/// # Errors
/// As [`constant_`].
pub fn ones_(tensor: &Tensor) -> Result<Tensor> {
    constant_(tensor, 1.0)
}

/// Glorot uniform: `U(-a, a)` with `a = gain · √(6 / (fan_in + fan_out))`.
/// PyTorch equivalent: `nn.init.xavier_uniform_(t, gain)`.
///
/// # Errors
/// For a tensor of fewer than 2 dims.
pub fn xavier_uniform_(tensor: &Tensor, gain: f64) -> Result<Tensor> {
    let (fan_in, fan_out) = calculate_fan_in_and_fan_out(tensor)?;
    let std = gain * (2.0 / (fan_in + fan_out) as f64).sqrt();
    let bound = 3f64.sqrt() * std;
    uniform_(tensor, -bound, bound)
}

/// Glorot normal: `N(0, std²)` with `std = gain · √(2 / (fan_in + fan_out))`.
/// PyTorch equivalent: `nn.init.xavier_normal_(t, gain)`.
///
/// # Errors
/// For a tensor of fewer than 2 dims.
pub fn xavier_normal_(tensor: &Tensor, gain: f64) -> Result<Tensor> {
    let (fan_in, fan_out) = calculate_fan_in_and_fan_out(tensor)?;
    normal_(tensor, 0.0, gain * (2.0 / (fan_in + fan_out) as f64).sqrt())
}

/// The standard deviation He initialisation targets.
fn kaiming_std(tensor: &Tensor, mode: FanMode, nonlinearity: Nonlinearity) -> Result<f64> {
    let (fan_in, fan_out) = calculate_fan_in_and_fan_out(tensor)?;
    let fan = match mode {
        FanMode::FanIn => fan_in,
        FanMode::FanOut => fan_out,
    };
    Ok(calculate_gain(nonlinearity) / (fan as f64).sqrt())
}

/// He uniform: `U(-b, b)` with `b = gain · √(3 / fan)`. PyTorch equivalent:
/// `nn.init.kaiming_uniform_(t, a, mode, nonlinearity)`, where `a` is the
/// slope carried by [`Nonlinearity::LeakyRelu`]. A tensor with no elements
/// is left as is (PyTorch warns).
///
/// # Errors
/// For a tensor of fewer than 2 dims.
pub fn kaiming_uniform_(
    tensor: &Tensor,
    mode: FanMode,
    nonlinearity: Nonlinearity,
) -> Result<Tensor> {
    if tensor.numel() == 0 {
        return Ok(tensor.clone());
    }
    let bound = 3f64.sqrt() * kaiming_std(tensor, mode, nonlinearity)?;
    uniform_(tensor, -bound, bound)
}

/// He normal: `N(0, (gain / √fan)²)`. PyTorch equivalent:
/// `nn.init.kaiming_normal_(t, a, mode, nonlinearity)`.
///
/// # Errors
/// For a tensor of fewer than 2 dims.
pub fn kaiming_normal_(
    tensor: &Tensor,
    mode: FanMode,
    nonlinearity: Nonlinearity,
) -> Result<Tensor> {
    if tensor.numel() == 0 {
        return Ok(tensor.clone());
    }
    let std = kaiming_std(tensor, mode, nonlinearity)?;
    normal_(tensor, 0.0, std)
}

/// A new weight of shape `weight` and an optional bias of `bias` elements,
/// initialised as PyTorch's `Linear` and convolutions do in
/// `reset_parameters`: the weight Kaiming-uniform with `a = √5`, then the
/// bias uniform in `±1/√fan_in`, with the bounds computed in float64 as
/// PyTorch's Python computes them (so the same seed gives PyTorch's values).
///
/// # Errors
/// If a parameter is too large to hold; the message names `op`.
pub(crate) fn default_parameters(
    op: &'static str,
    weight: &[usize],
    fan_in: usize,
    bias: Option<usize>,
) -> Result<(Tensor, Option<Tensor>)> {
    let (weight_bound, bias_bound) = match fan_in {
        0 => (0.0, 0.0),
        fan => {
            let a = 5f64.sqrt();
            let gain = (2.0 / (1.0 + a * a)).sqrt();
            let std = gain / (fan as f64).sqrt();
            (3f64.sqrt() * std, 1.0 / (fan as f64).sqrt())
        }
    };
    let make = |shape: &[usize], bound: f64| -> Result<Tensor> {
        // `0.0 - bound`: PyTorch's bound for no inputs is the integer 0, so
        // the range is [+0, +0].
        let value = Tensor::try_uniform(0.0 - bound, bound, shape).map_err(|e| {
            tensor::TensorError::InvalidArgument {
                op,
                msg: format!("cannot create a parameter of shape {shape:?} ({e})"),
            }
        })?;
        Ok(value.requires_grad_(true))
    };
    let weight = make(weight, weight_bound)?;
    let bias = bias.map(|n| make(&[n], bias_bound)).transpose()?;
    Ok((weight, bias))
}
