//! The fully connected layer.

use autograd::{Result, Tensor};

use crate::functional;
use crate::hooks::ModuleHooks;
use crate::module::Module;
use crate::or_panic;

/// Cloning shares the weight and bias (see [`Module`]); use
/// [`deep_copy`](Module::deep_copy) for an independent layer.
///
/// `y = x · Wᵀ + b` with `W` of shape `[out_features, in_features]` and `b`
/// of shape `[out_features]`, initialised as PyTorch does (Kaiming-uniform
/// with `a = √5`, i.e. both uniform in `±1/√in_features`).
/// PyTorch equivalent: `nn.Linear(in_features, out_features, bias=True)`.
#[derive(Clone, Debug)]
pub struct Linear {
    weight: Tensor,
    bias: Option<Tensor>,
    training: bool,
    hooks: ModuleHooks,
}

impl Linear {
    /// A layer with a bias. PyTorch equivalent: `nn.Linear(in_features, out_features)`.
    ///
    /// # Errors
    /// If the weight `[out_features, in_features]` is too large to hold.
    pub fn try_new(in_features: usize, out_features: usize) -> Result<Linear> {
        Linear::try_with_bias(in_features, out_features, true)
    }

    /// Panicking form of [`try_new`](Linear::try_new).
    ///
    /// # Panics
    /// If the weight is too large to hold.
    #[track_caller]
    pub fn new(in_features: usize, out_features: usize) -> Linear {
        or_panic(Linear::try_new(in_features, out_features))
    }

    /// A layer with or without a bias. PyTorch equivalent: `nn.Linear(in, out, bias=bias)`.
    ///
    /// # Errors
    /// If the weight `[out_features, in_features]` is too large to hold.
    pub fn try_with_bias(in_features: usize, out_features: usize, bias: bool) -> Result<Linear> {
        let (weight, bias) = crate::init::default_parameters(
            "Linear",
            &[out_features, in_features],
            in_features,
            bias.then_some(out_features),
        )?;
        Ok(Linear {
            weight,
            bias,
            training: true,
            hooks: ModuleHooks::new(),
        })
    }

    /// Panicking form of [`try_with_bias`](Linear::try_with_bias).
    ///
    /// # Panics
    /// If the weight is too large to hold.
    #[track_caller]
    pub fn with_bias(in_features: usize, out_features: usize, bias: bool) -> Linear {
        or_panic(Linear::try_with_bias(in_features, out_features, bias))
    }

    /// The weight, `[out_features, in_features]`. PyTorch: `linear.weight`.
    pub fn weight(&self) -> &Tensor {
        &self.weight
    }

    /// The bias, `[out_features]`, if any. PyTorch: `linear.bias`.
    pub fn bias(&self) -> Option<&Tensor> {
        self.bias.as_ref()
    }

    /// `in_features`.
    pub fn in_features(&self) -> usize {
        self.weight.shape()[1]
    }

    /// `out_features`.
    pub fn out_features(&self) -> usize {
        self.weight.shape()[0]
    }
}

impl Module for Linear {
    fn try_forward(&self, input: &Tensor) -> Result<Tensor> {
        functional::linear(input, &self.weight, self.bias.as_ref())
    }

    fn hooks(&self) -> Option<&ModuleHooks> {
        Some(&self.hooks)
    }

    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        let mut params = vec![("weight".to_string(), self.weight.clone())];
        if let Some(b) = &self.bias {
            params.push(("bias".to_string(), b.clone()));
        }
        params
    }

    fn parameters_mut(&mut self) -> Vec<&mut Tensor> {
        let mut params = vec![&mut self.weight];
        params.extend(self.bias.as_mut());
        params
    }

    fn is_training(&self) -> bool {
        self.training
    }

    fn set_training(&mut self, training: bool) {
        self.training = training;
    }
}
