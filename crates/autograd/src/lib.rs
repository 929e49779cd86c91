//! Differentiable tensors with PyTorch's autograd semantics.
//!
//! ```
//! use autograd::Tensor;
//!
//! let x = Tensor::ones(&[3, 2]).requires_grad_(true);
//! let y = &x + 2.0;
//! assert_eq!(y.to_string(), "tensor([[3., 3.],\n        [3., 3.],\n        [3., 3.]], grad_fn=<AddBackward0>)");
//! y.sum().backward();
//! assert_eq!(x.grad().unwrap().to_vec(), vec![1.0; 6]);
//! ```
//!
//! * A [`Tensor`] is a shared handle (cloning it is like a second Python
//!   reference). Its values live in the gradient-free `tensor` crate ([`RawTensor`]).
//! * Operations record a graph only when grad mode is on ([`no_grad`]) and some
//!   input [`requires_grad`](Tensor::requires_grad); otherwise they record
//!   nothing, and cost the arithmetic plus wrapping the result in a new handle
//!   (two small allocations: the handle and its storage).
//! * [`backward`](Tensor::backward) **accumulates** into `.grad` of every leaf
//!   that requires grad, until [`zero_`](Tensor::zero_) or
//!   [`clear_grad`](Tensor::clear_grad); the graph's saved values are freed.
//! * [`detach`](Tensor::detach) (and [`data`](Tensor::data)) share storage but
//!   carry no history: use them to read or initialise values without tracking.
//!   [`no_grad`] instead switches recording off for a whole region of code on
//!   the current thread, for example an optimizer step or an evaluation.
//! * In-place operations on computed tensors are recorded, the tensor's
//!   history rebased onto them as in PyTorch (a leaf that requires grad, or
//!   a view of one, is refused); a version counter makes a backward fail if a
//!   value an operation saved was modified (through any handle but
//!   [`data`](Tensor::data)).
//! * Each operation's forward and backward rule sit together in `ops/`; user
//!   code adds operations through the [`Function`] trait.

mod anomaly;
mod creation;
mod error;
mod function;
mod grad_mode;
mod gradcheck;
mod graph;
mod hooks;
mod operators;
mod ops;
mod reuse;
mod tensor;
mod view_tracking;

pub use crate::anomaly::{
    detect_anomaly, is_anomaly_enabled, set_detect_anomaly, AnomalyModeGuard,
};
pub use crate::error::{AutogradError, Result};
pub use crate::function::{Context, Function, MultiOutputFunction};
pub use crate::grad_mode::{
    enable_grad, is_grad_enabled, no_grad, set_grad_enabled, GradModeGuard,
};
pub use crate::gradcheck::{gradcheck, gradgradcheck, GradcheckError, GradcheckOptions};
pub use crate::graph::{grad, BackwardFn, GradOptions, Grads, Save};
pub use crate::hooks::{HookFn, HookHandle};
pub use crate::ops::GeluApproximate;
pub use crate::tensor::{RawTensor, Tensor};
pub use ::tensor::{ConvParams, PoolWindows};

use crate::error::or_panic;

impl Tensor {
    /// Backward from a one-element output. PyTorch equivalent: `y.backward()`.
    ///
    /// # Errors
    /// See [`try_backward_with_options`](Tensor::try_backward_with_options).
    pub fn try_backward(&self) -> Result<()> {
        self.try_backward_with_options(None, false)
    }

    /// Panicking form of [`try_backward`](Tensor::try_backward).
    ///
    /// # Panics
    /// Where `try_backward` returns an error, with its message.
    #[track_caller]
    pub fn backward(&self) {
        or_panic(self.try_backward())
    }

    /// Backward with an explicit output gradient of the output's shape.
    /// PyTorch equivalent: `y.backward(gradient)`.
    ///
    /// # Errors
    /// See [`try_backward_with_options`](Tensor::try_backward_with_options).
    pub fn try_backward_with(&self, gradient: &Tensor) -> Result<()> {
        self.try_backward_with_options(Some(gradient), false)
    }

    /// Panicking form of [`try_backward_with`](Tensor::try_backward_with).
    ///
    /// # Panics
    /// Where `try_backward_with` returns an error, with its message.
    #[track_caller]
    pub fn backward_with(&self, gradient: &Tensor) {
        or_panic(self.try_backward_with(gradient))
    }
}
