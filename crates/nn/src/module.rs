//! The [`Module`] trait, [`Sequential`], and the activation modules.

use std::any::Any;
use std::ops::Index;

use autograd::{Result, Tensor};

/// A layer or a network of layers. PyTorch equivalent: `nn.Module`.
pub trait Module: Any + Send + Sync {
    /// Computes the output. PyTorch equivalent: `module(input)`.
    ///
    /// # Errors
    /// If `input` has a shape the module cannot take.
    fn try_forward(&self, input: &Tensor) -> Result<Tensor>;

    /// Panicking form of [`try_forward`](Module::try_forward).
    ///
    /// # Panics
    /// If `input` has a shape the module cannot take.
    #[track_caller]
    fn forward(&self, input: &Tensor) -> Tensor {
        self.try_forward(input).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Parameters with PyTorch's dotted names (`"0.weight"` inside a
    /// `Sequential`). PyTorch equivalent: `module.named_parameters()`.
    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        Vec::new()
    }

    /// The parameters, as handles sharing the module's tensors.
    /// PyTorch equivalent: `module.parameters()`.
    fn parameters(&self) -> Vec<Tensor> {
        self.named_parameters()
            .into_iter()
            .map(|(_, p)| p)
            .collect()
    }

    /// The parameter called `name`, e.g. `"weight"` or `"0.bias"`.
    /// PyTorch equivalent: attribute access, `module.weight`.
    fn parameter(&self, name: &str) -> Option<Tensor> {
        self.named_parameters()
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, p)| p)
    }

    /// Clears every parameter's gradient. PyTorch equivalent: `module.zero_grad()`.
    fn zero_grad(&self) {
        self.parameters().iter().for_each(Tensor::clear_grad);
    }

    /// Whether the module is in training mode. PyTorch equivalent: `module.training`.
    fn is_training(&self) -> bool {
        true
    }

    /// Sets training mode. PyTorch equivalent: `module.train(mode)`.
    fn set_training(&mut self, _training: bool) {}

    /// Training mode on. PyTorch equivalent: `module.train()`.
    fn train(&mut self) {
        self.set_training(true);
    }

    /// Training mode off. PyTorch equivalent: `module.eval()`.
    fn eval(&mut self) {
        self.set_training(false);
    }
}

/// Layers applied in order. PyTorch equivalent: `nn.Sequential(...)`.
pub struct Sequential {
    layers: Vec<Box<dyn Module>>,
    training: bool,
}

impl Sequential {
    /// An empty network; add layers with [`append`](Sequential::append).
    pub fn new() -> Sequential {
        Sequential {
            layers: Vec::new(),
            training: true,
        }
    }

    /// Appends a layer. PyTorch equivalent: `nn.Sequential(a, b)` / `seq.append(m)`.
    pub fn append(mut self, layer: impl Module) -> Sequential {
        self.layers.push(Box::new(layer));
        self
    }

    /// The number of layers. PyTorch equivalent: `len(seq)`.
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// Whether there are no layers.
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }

    /// Layer `index` as its concrete type, `None` if out of range or of another type.
    pub fn get<T: Module>(&self, index: usize) -> Option<&T> {
        let layer: &dyn Any = self.layers.get(index)?.as_ref();
        layer.downcast_ref::<T>()
    }

    /// Layer `index` as its concrete type: `net.layer::<Linear>(0).weight()`
    /// reads like PyTorch's `net[0].weight`.
    ///
    /// # Panics
    /// If `index` is out of range or the layer is not a `T`.
    #[track_caller]
    pub fn layer<T: Module>(&self, index: usize) -> &T {
        match self.get(index) {
            Some(layer) => layer,
            None => panic!(
                "Sequential::layer: no layer of type {} at index {index} (the network has {} layers)",
                std::any::type_name::<T>(),
                self.layers.len()
            ),
        }
    }
}

impl Default for Sequential {
    fn default() -> Sequential {
        Sequential::new()
    }
}

impl Index<usize> for Sequential {
    type Output = dyn Module;
    /// PyTorch equivalent: `seq[index]`.
    #[track_caller]
    fn index(&self, index: usize) -> &dyn Module {
        self.layers[index].as_ref()
    }
}

impl Module for Sequential {
    fn try_forward(&self, input: &Tensor) -> Result<Tensor> {
        let mut x = input.clone();
        for layer in &self.layers {
            x = layer.try_forward(&x)?;
        }
        Ok(x)
    }

    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        self.layers
            .iter()
            .enumerate()
            .flat_map(|(i, layer)| {
                layer
                    .named_parameters()
                    .into_iter()
                    .map(move |(name, p)| (format!("{i}.{name}"), p))
            })
            .collect()
    }

    fn is_training(&self) -> bool {
        self.training
    }

    fn set_training(&mut self, training: bool) {
        self.training = training;
        self.layers
            .iter_mut()
            .for_each(|l| l.set_training(training));
    }
}

/// Activation modules: stateless wrappers of elementwise functions.
macro_rules! activation {
    ($($name:ident, $method:ident, $torch:literal;)*) => {
        $(
            #[doc = concat!("PyTorch equivalent: `", $torch, "`.")]
            #[derive(Clone, Copy, Debug, Default)]
            pub struct $name;

            impl Module for $name {
                fn try_forward(&self, input: &Tensor) -> Result<Tensor> {
                    Ok(input.$method())
                }
            }
        )*
    };
}

activation! {
    ReLU, relu, "nn.ReLU()";
    Sigmoid, sigmoid, "nn.Sigmoid()";
    Tanh, tanh, "nn.Tanh()";
}
