//! Layers without parameters beyond their options: the activations that
//! take arguments, `Flatten`, `Identity` and `Dropout`; and their
//! functional forms.

use autograd::{GeluApproximate, Result, Tensor};
use tensor::{Tensor as RawTensor, TensorError};

use crate::hooks::ModuleHooks;
use crate::module::Module;

/// PyTorch equivalent: `F.gelu(x, approximate=...)`.
pub fn gelu(x: &Tensor, approximate: GeluApproximate) -> Tensor {
    x.gelu(approximate)
}

/// PyTorch equivalent: `F.leaky_relu(x, negative_slope)`.
pub fn leaky_relu(x: &Tensor, negative_slope: f64) -> Tensor {
    x.leaky_relu(negative_slope)
}

/// PyTorch equivalent: `F.elu(x, alpha)`.
pub fn elu(x: &Tensor, alpha: f64) -> Tensor {
    x.elu(alpha)
}

/// PyTorch equivalent: `F.silu(x)`.
pub fn silu(x: &Tensor) -> Tensor {
    x.silu()
}

/// PyTorch equivalent: `F.softplus(x, beta, threshold)`.
pub fn softplus(x: &Tensor, beta: f64, threshold: f64) -> Tensor {
    x.softplus(beta, threshold)
}

/// In training, zeroes each element with probability `p` (drawn from the
/// default generator) and scales the others by `1 / (1 - p)`, so the
/// expected value is unchanged; otherwise returns `x`. PyTorch equivalent:
/// `F.dropout(x, p, training)`.
///
/// # Errors
/// If `p` is not in `[0, 1]`.
pub fn dropout(x: &Tensor, p: f64, training: bool) -> Result<Tensor> {
    if !(0.0..=1.0).contains(&p) {
        return Err(TensorError::InvalidArgument {
            op: "dropout",
            msg: format!("dropout probability has to be between 0 and 1, but got {p}"),
        }
        .into());
    }
    if !training || p == 0.0 || x.numel() == 0 {
        return Ok(x.clone());
    }
    // PyTorch's CPU dropout: a Bernoulli(1 - p) mask scaled by 1 / (1 - p),
    // drawn from the default generator as PyTorch draws it, times x
    // (recorded as MulBackward0, as PyTorch records it on the CPU).
    if p == 1.0 {
        return x.try_mul(&Tensor::zeros_dtype(&[], x.dtype()));
    }
    let noise = RawTensor::try_zeros_dtype(&x.shape(), x.dtype())?;
    noise.try_bernoulli_(1.0 - p)?;
    let noise = noise.try_div(&RawTensor::scalar_of(1.0 - p).try_to_dtype(x.dtype())?)?;
    x.try_mul(&Tensor::new(noise))
}

/// Declares a module with option fields (all public, like PyTorch's
/// attributes), hooks, a constructor taking the options, and a forward
/// through `$forward`.
macro_rules! layer {
    (
        $(#[$doc:meta])*
        $name:ident { $($field:ident: $ty:ty),* } new($($arg:ident),*) => |$self_:ident, $x:ident| $forward:expr
    ) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $name {
            $(pub $field: $ty,)*
            hooks: ModuleHooks,
        }

        impl $name {
            #[doc = concat!("A `", stringify!($name), "` with the given options.")]
            pub fn new($($arg: $ty),*) -> $name {
                $name { $($field: $arg,)* hooks: ModuleHooks::new() }
            }
        }

        impl Module for $name {
            fn try_forward(&$self_, $x: &Tensor) -> Result<Tensor> {
                $forward
            }

            fn hooks(&self) -> Option<&ModuleHooks> {
                Some(&self.hooks)
            }
        }
    };
}

layer! {
    /// PyTorch equivalent: `nn.GELU(approximate=...)`.
    GELU { approximate: GeluApproximate } new(approximate) => |self, x| Ok(x.gelu(self.approximate))
}

layer! {
    /// PyTorch equivalent: `nn.LeakyReLU(negative_slope)` (PyTorch's default slope is 0.01).
    LeakyReLU { negative_slope: f64 } new(negative_slope) => |self, x| Ok(x.leaky_relu(self.negative_slope))
}

layer! {
    /// PyTorch equivalent: `nn.ELU(alpha)` (PyTorch's default alpha is 1).
    ELU { alpha: f64 } new(alpha) => |self, x| Ok(x.elu(self.alpha))
}

layer! {
    /// PyTorch equivalent: `nn.SiLU()`.
    SiLU {} new() => |self, x| Ok(x.silu())
}

layer! {
    /// PyTorch equivalent: `nn.Softplus(beta, threshold)` (PyTorch's defaults: 1 and 20).
    Softplus { beta: f64, threshold: f64 } new(beta, threshold) => |self, x| Ok(x.softplus(self.beta, self.threshold))
}

layer! {
    /// Softmax along `dim`. PyTorch equivalent: `nn.Softmax(dim)`.
    Softmax { dim: isize } new(dim) => |self, x| x.try_softmax(self.dim)
}

layer! {
    /// Log-softmax along `dim`. PyTorch equivalent: `nn.LogSoftmax(dim)`.
    LogSoftmax { dim: isize } new(dim) => |self, x| x.try_log_softmax(self.dim)
}

layer! {
    /// Returns its input. PyTorch equivalent: `nn.Identity()`.
    Identity {} new() => |self, x| Ok(x.clone())
}

layer! {
    /// Flattens dims `start_dim..=end_dim` into one. PyTorch equivalent:
    /// `nn.Flatten(start_dim, end_dim)` (PyTorch's defaults: 1 and -1, keeping the batch dim).
    Flatten { start_dim: isize, end_dim: isize } new(start_dim, end_dim) => |self, x| flatten(x, self.start_dim, self.end_dim)
}

impl Default for Flatten {
    /// PyTorch's defaults: `start_dim = 1`, `end_dim = -1`.
    fn default() -> Flatten {
        Flatten::new(1, -1)
    }
}

impl Default for SiLU {
    fn default() -> SiLU {
        SiLU::new()
    }
}

impl Default for Identity {
    fn default() -> Identity {
        Identity::new()
    }
}

impl Default for GELU {
    fn default() -> GELU {
        GELU::new(GeluApproximate::None)
    }
}

impl Default for LeakyReLU {
    fn default() -> LeakyReLU {
        LeakyReLU::new(0.01)
    }
}

impl Default for ELU {
    fn default() -> ELU {
        ELU::new(1.0)
    }
}

impl Default for Softplus {
    fn default() -> Softplus {
        Softplus::new(1.0, 20.0)
    }
}

/// Flattens dims `start_dim..=end_dim` of `x` into one (a view when the
/// strides allow). PyTorch equivalent: `torch.flatten(x, start_dim, end_dim)`.
///
/// # Errors
/// If a dim is out of range or `start_dim` comes after `end_dim`.
pub fn flatten(x: &Tensor, start_dim: isize, end_dim: isize) -> Result<Tensor> {
    let shape = x.shape();
    let rank = shape.len().max(1) as isize;
    let normalize = |d: isize| {
        let n = if d < 0 { d + rank } else { d };
        match (0..rank).contains(&n) {
            true => Ok(n as usize),
            false => Err(TensorError::InvalidArgument {
                op: "flatten",
                msg: format!(
                    "Dimension out of range (expected to be in range of [{}, {}], but got {d})",
                    -rank,
                    rank - 1
                ),
            }),
        }
    };
    let (start, end) = (normalize(start_dim)?, normalize(end_dim)?);
    if start > end {
        return Err(TensorError::InvalidArgument {
            op: "flatten",
            msg: "flatten() has invalid args: start_dim cannot come after end_dim".into(),
        }
        .into());
    }
    if shape.is_empty() {
        return x.try_reshape(&[1]);
    }
    let mut new_shape: Vec<isize> = shape[..start].iter().map(|&d| d as isize).collect();
    new_shape.push(shape[start..=end].iter().product::<usize>() as isize);
    new_shape.extend(shape[end + 1..].iter().map(|&d| d as isize));
    x.try_reshape(&new_shape)
}

/// Zeroes elements with probability `p` in training mode and scales the
/// rest by `1 / (1 - p)`; the identity in evaluation mode.
/// PyTorch equivalent: `nn.Dropout(p)`.
#[derive(Clone, Debug)]
pub struct Dropout {
    pub p: f64,
    training: bool,
    hooks: ModuleHooks,
}

impl Dropout {
    /// Dropout with probability `p`, in training mode.
    ///
    /// # Errors
    /// If `p` is not in `[0, 1]`.
    pub fn try_new(p: f64) -> Result<Dropout> {
        dropout(&Tensor::zeros(&[0]), p, false)?;
        Ok(Dropout {
            p,
            training: true,
            hooks: ModuleHooks::new(),
        })
    }

    /// Panicking form of [`try_new`](Dropout::try_new).
    ///
    /// # Panics
    /// If `p` is not in `[0, 1]`.
    #[track_caller]
    pub fn new(p: f64) -> Dropout {
        crate::or_panic(Dropout::try_new(p))
    }
}

impl Module for Dropout {
    fn try_forward(&self, input: &Tensor) -> Result<Tensor> {
        dropout(input, self.p, self.training)
    }

    fn hooks(&self) -> Option<&ModuleHooks> {
        Some(&self.hooks)
    }

    fn is_training(&self) -> bool {
        self.training
    }

    fn set_training(&mut self, training: bool) {
        self.training = training;
    }
}
