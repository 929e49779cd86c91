//! Neural-network building blocks in the shape of `torch.nn`.
//!
//! ```
//! use autograd::Tensor;
//! use nn::{Linear, Module, MSELoss, Sequential};
//!
//! let net = Sequential::new().append(Linear::new(2, 1));
//! net.layer::<Linear>(0).weight().data().normal_(0.0, 0.01); // net[0].weight.data.normal_(0, 0.01)
//! net.layer::<Linear>(0).bias().unwrap().data().fill_(0.0);   // net[0].bias.data.fill_(0)
//! let names: Vec<String> = net.named_parameters().into_iter().map(|(n, _)| n).collect();
//! assert_eq!(names, ["0.weight", "0.bias"]);
//! let loss = MSELoss::new().forward(&net.forward(&Tensor::ones(&[4, 2])), &Tensor::zeros(&[4, 1]));
//! assert_eq!(loss.grad_fn(), Some("MseLossBackward0"));
//! ```

mod classification;
mod conv;
pub mod functional;
mod hooks;
pub mod init;
mod layers;
mod linear;
mod loss;
mod module;
mod normalization;
mod pointwise_losses;
mod pooling;
mod state_dict;
pub mod utils;

pub use autograd::GeluApproximate;
pub use classification::{CrossEntropyLoss, NLLLoss, DEFAULT_IGNORE_INDEX};
pub use conv::{Conv1d, Conv2d, ConvOptions, ConvTranspose2d, Padding, Pair};
pub use hooks::{ForwardHook, ForwardPreHook, ModuleHooks, RemovableHandle};
pub use layers::{
    Dropout, Flatten, Identity, LeakyReLU, LogSoftmax, SiLU, Softmax, Softplus, ELU, GELU,
};
pub use linear::Linear;
pub use loss::{MSELoss, Reduction};
pub use module::{CloneModule, Module, ReLU, RegisterHooks, Sequential, Sigmoid, Tanh};
pub use normalization::{BatchNorm, BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm};
pub use pointwise_losses::{BCELoss, BCEWithLogitsLoss, HuberLoss, L1Loss, SmoothL1Loss};
pub use pooling::{AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool2d, MaxPool2d};
pub use serialization::StateDict;
pub use state_dict::{IncompatibleKeys, LoadStateDictError};

/// Unwraps a result, panicking with the error's message at the caller's location.
#[track_caller]
pub(crate) fn or_panic<T>(result: autograd::Result<T>) -> T {
    match result {
        Ok(value) => value,
        Err(e) => panic!("{e}"),
    }
}
