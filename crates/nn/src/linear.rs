//! The fully connected layer.

use autograd::{Result, Tensor};

use crate::functional;
use crate::module::Module;

/// `y = x · Wᵀ + b` with `W` of shape `[out_features, in_features]` and `b`
/// of shape `[out_features]`, initialised as PyTorch does (Kaiming-uniform
/// with `a = √5`, i.e. both uniform in `±1/√in_features`).
/// PyTorch equivalent: `nn.Linear(in_features, out_features, bias=True)`.
#[derive(Clone, Debug)]
pub struct Linear {
    weight: Tensor,
    bias: Option<Tensor>,
    training: bool,
}

impl Linear {
    /// A layer with a bias. PyTorch equivalent: `nn.Linear(in_features, out_features)`.
    pub fn new(in_features: usize, out_features: usize) -> Linear {
        Linear::with_bias(in_features, out_features, true)
    }

    /// A layer with or without a bias. PyTorch equivalent: `nn.Linear(in, out, bias=bias)`.
    pub fn with_bias(in_features: usize, out_features: usize, bias: bool) -> Linear {
        let bound = if in_features > 0 {
            1.0 / (in_features as f32).sqrt()
        } else {
            0.0
        };
        let weight =
            Tensor::uniform(-bound, bound, &[out_features, in_features]).requires_grad_(true);
        let bias =
            bias.then(|| Tensor::uniform(-bound, bound, &[out_features]).requires_grad_(true));
        Linear {
            weight,
            bias,
            training: true,
        }
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

    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        let mut params = vec![("weight".to_string(), self.weight.clone())];
        if let Some(b) = &self.bias {
            params.push(("bias".to_string(), b.clone()));
        }
        params
    }

    fn is_training(&self) -> bool {
        self.training
    }

    fn set_training(&mut self, training: bool) {
        self.training = training;
    }
}
