//! User-defined differentiable operations.

use crate::error::Result;
use crate::graph::{once_differentiable, Grads, Save};
use crate::tensor::{RawTensor, Tensor};

/// What a [`Function`]'s forward leaves for its backward.
/// PyTorch equivalent: the `ctx` argument of `torch.autograd.Function`.
#[derive(Default)]
pub struct Context {
    saved: Vec<RawTensor>,
    needs_input_grad: Vec<bool>,
}

impl Context {
    /// Keeps values for backward. An input or the output saved as given
    /// (the same values, not a computed copy) is version-checked as a
    /// built-in op's saved values are: modifying it in place before backward
    /// makes the backward fail. PyTorch equivalent: `ctx.save_for_backward(*tensors)`.
    pub fn save_for_backward(&mut self, tensors: &[&RawTensor]) {
        self.saved.extend(tensors.iter().map(|t| t.alias()));
    }

    /// The values saved by forward, in order. PyTorch equivalent: `ctx.saved_tensors`.
    pub fn saved_tensors(&self) -> &[RawTensor] {
        &self.saved
    }

    /// Whether input `index` needs a gradient. PyTorch equivalent: `ctx.needs_input_grad[index]`.
    pub fn needs_input_grad(&self, index: usize) -> bool {
        self.needs_input_grad.get(index).copied().unwrap_or(false)
    }
}

/// A differentiable operation defined by its forward and backward, which
/// joins the graph like a built-in one. Inputs and the output saved with
/// [`Context::save_for_backward`] are checked against later in-place
/// changes, as a built-in op's saved values are.
/// PyTorch equivalent: subclassing `torch.autograd.Function`.
///
/// ```
/// use autograd::{Context, Function, Result, Tensor};
/// use tensor::Tensor as RawTensor;
///
/// /// `exp(x)`, saving its output for the backward.
/// struct MyExp;
///
/// impl Function for MyExp {
///     fn name(&self) -> &'static str {
///         "MyExpBackward"
///     }
///     fn forward(&self, ctx: &mut Context, inputs: &[RawTensor]) -> Result<RawTensor> {
///         let out = inputs[0].exp();
///         ctx.save_for_backward(&[&out]);
///         Ok(out)
///     }
///     fn backward(&self, ctx: &Context, grad: &RawTensor) -> Result<Vec<Option<RawTensor>>> {
///         Ok(vec![Some(grad * &ctx.saved_tensors()[0])])
///     }
/// }
///
/// let x = Tensor::from_slice(&[0.0, 1.0]).requires_grad_(true);
/// let y = MyExp.apply(&[&x])?;
/// assert_eq!(y.grad_fn(), Some("MyExpBackward"));
/// y.sum().backward();
/// assert_eq!(x.grad().unwrap().to_vec(), vec![1.0, 1.0f32.exp()]);
/// # Ok::<(), autograd::AutogradError>(())
/// ```
pub trait Function: Send + Sync + 'static {
    /// The name shown as `grad_fn=<...>`.
    fn name(&self) -> &'static str;

    /// Computes the output from the inputs' values.
    ///
    /// # Errors
    /// Whatever the operation considers invalid input.
    fn forward(&self, ctx: &mut Context, inputs: &[RawTensor]) -> Result<RawTensor>;

    /// Given the gradient of the output, returns one gradient per input
    /// (`None` for inputs that need none). A gradient may have a shape that
    /// broadcasts to its input's; it is summed back to that shape.
    ///
    /// # Errors
    /// Whatever the operation's backward considers invalid.
    fn backward(&self, ctx: &Context, grad_output: &RawTensor) -> Result<Grads>;

    /// Runs forward on `inputs` and, when some input requires grad under grad
    /// mode, records a node whose backward calls [`backward`](Function::backward).
    /// PyTorch equivalent: `MyFunction.apply(*inputs)`.
    ///
    /// # Errors
    /// The errors of [`forward`](Function::forward).
    fn apply(self, inputs: &[&Tensor]) -> Result<Tensor>
    where
        Self: Sized,
    {
        let mut ctx = Context {
            saved: Vec::new(),
            needs_input_grad: inputs.iter().map(|t| t.requires_grad()).collect(),
        };
        let values: Vec<RawTensor> = inputs.iter().map(|t| t.value()).collect();
        let out = self.forward(&mut ctx, &values)?;
        let name = self.name();
        // The saved values join the node's, so the first backward frees them
        // (a second one then fails, as in PyTorch, unless nothing was saved).
        // Saved inputs and the saved output are saved by reference, so their
        // versions are checked; anything else is kept as given. The node's
        // saved list is [inputs, output, others]: `positions` maps the
        // context's order onto it.
        let Context {
            saved,
            needs_input_grad,
        } = ctx;
        let mut saved_inputs = Vec::new();
        let mut saves_output = false;
        let mut others = Vec::new();
        enum Slot {
            Input(usize),
            Output,
            Other(usize),
        }
        let slots: Vec<Slot> = saved
            .into_iter()
            .map(|value| {
                if let Some(i) = values.iter().position(|v| v.is_set_to(&value)) {
                    saved_inputs.push(i);
                    Slot::Input(saved_inputs.len() - 1)
                } else if value.is_set_to(&out) {
                    saves_output = true;
                    Slot::Output
                } else {
                    others.push(value);
                    Slot::Other(others.len() - 1)
                }
            })
            .collect();
        let after_inputs = saved_inputs.len();
        let after_output = after_inputs + usize::from(saves_output);
        let positions: Vec<usize> = slots
            .iter()
            .map(|slot| match slot {
                Slot::Input(k) => *k,
                Slot::Output => after_inputs,
                Slot::Other(j) => after_output + j,
            })
            .collect();
        let save = Save {
            inputs: &saved_inputs,
            output: saves_output,
        };
        Ok(Tensor::record(
            name,
            out,
            inputs,
            save,
            others,
            once_differentiable(name, move |g, saved, _| {
                let ctx = Context {
                    saved: positions.iter().map(|&p| saved[p].alias()).collect(),
                    needs_input_grad: needs_input_grad.clone(),
                };
                self.backward(&ctx, g)
            }),
        ))
    }
}
