//! User-defined differentiable operations.

use crate::error::Result;
use crate::grad_mode::is_grad_enabled;
use crate::graph::{once_differentiable, Grads, Save};
use crate::tensor::{RawTensor, Tensor};

/// What a [`Function`]'s forward leaves for its backward.
/// PyTorch equivalent: the `ctx` argument of `torch.autograd.Function`.
#[derive(Default)]
pub struct Context {
    saved: Vec<RawTensor>,
    needs_input_grad: Vec<bool>,
    non_differentiable: Vec<RawTensor>,
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

    /// Declares outputs (as forward returns them) that carry no gradient,
    /// such as indices: they come out not requiring grad, and backward
    /// receives zeros for them. PyTorch equivalent: `ctx.mark_non_differentiable(*outputs)`.
    pub fn mark_non_differentiable(&mut self, outputs: &[&RawTensor]) {
        self.non_differentiable
            .extend(outputs.iter().map(|t| t.alias()));
    }

    /// Whether `output` was marked non-differentiable.
    fn is_non_differentiable(&self, output: &RawTensor) -> bool {
        self.non_differentiable.iter().any(|t| t.is_set_to(output))
    }

    /// A context for `inputs`, before forward.
    fn for_inputs(inputs: &[&Tensor]) -> Context {
        Context {
            needs_input_grad: inputs.iter().map(|t| t.requires_grad()).collect(),
            ..Context::default()
        }
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
        let mut ctx = Context::for_inputs(inputs);
        let values: Vec<RawTensor> = inputs.iter().map(|t| t.value()).collect();
        let out = self.forward(&mut ctx, &values)?;
        if ctx.is_non_differentiable(&out) {
            return Ok(Tensor::new(out));
        }
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
            ..
        } = ctx;
        let SavedPlan {
            inputs: saved_inputs,
            output: saves_output,
            others,
            positions,
        } = SavedPlan::new(saved, &values, Some(&out));
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
                    non_differentiable: Vec::new(),
                };
                self.backward(&ctx, g)
            }),
        ))
    }
}

/// Where each value a [`Context`] saved goes in its node's saved list
/// (`[inputs, output, others]`): inputs and the output are saved by
/// reference, so they are version-checked as a built-in op's saved values
/// are, and a saved input keeps its history for `create_graph`.
struct SavedPlan {
    /// The inputs saved, by index.
    inputs: Vec<usize>,
    /// Whether the output is saved.
    output: bool,
    /// Everything else, kept as given.
    others: Vec<RawTensor>,
    /// For each saved value in the context's order, its place in the node's list.
    positions: Vec<usize>,
}

impl SavedPlan {
    fn new(saved: Vec<RawTensor>, inputs: &[RawTensor], output: Option<&RawTensor>) -> SavedPlan {
        enum Slot {
            Input(usize),
            Output,
            Other(usize),
        }
        let (mut saved_inputs, mut saves_output, mut others) = (Vec::new(), false, Vec::new());
        let slots: Vec<Slot> = saved
            .into_iter()
            .map(|value| {
                if let Some(i) = inputs.iter().position(|v| v.is_set_to(&value)) {
                    saved_inputs.push(i);
                    Slot::Input(saved_inputs.len() - 1)
                } else if output.is_some_and(|out| value.is_set_to(out)) {
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
        let positions = slots
            .iter()
            .map(|slot| match slot {
                Slot::Input(k) => *k,
                Slot::Output => after_inputs,
                Slot::Other(j) => after_output + j,
            })
            .collect();
        SavedPlan {
            inputs: saved_inputs,
            output: saves_output,
            others,
            positions,
        }
    }
}

/// A [`Function`] with several outputs: forward returns them all, and
/// backward receives one gradient per output (zeros for an output that got
/// none, or that [`Context::mark_non_differentiable`] marked), as PyTorch
/// calls a `torch.autograd.Function` whose forward returns a tuple.
///
/// ```
/// use autograd::{Context, MultiOutputFunction, Result, Tensor};
/// use tensor::Tensor as RawTensor;
///
/// /// `(sin x, cos x)` with their derivatives `(cos x, -sin x)`.
/// struct SinCos;
///
/// impl MultiOutputFunction for SinCos {
///     fn name(&self) -> &'static str {
///         "SinCosBackward"
///     }
///     fn forward(&self, ctx: &mut Context, x: &[RawTensor]) -> Result<Vec<RawTensor>> {
///         ctx.save_for_backward(&[&x[0]]);
///         let (sin, cos) = (x[0].map(f32::sin), x[0].map(f32::cos));
///         Ok(vec![sin, cos])
///     }
///     fn backward(&self, ctx: &Context, g: &[RawTensor]) -> Result<Vec<Option<RawTensor>>> {
///         let x = &ctx.saved_tensors()[0];
///         let (cos, sin) = (x.map(f32::cos), x.map(f32::sin));
///         Ok(vec![Some(&(&g[0] * &cos) - &(&g[1] * &sin))])
///     }
/// }
///
/// let x = Tensor::from_slice(&[0.5]).requires_grad_(true);
/// let out = SinCos.apply(&[&x])?;
/// assert_eq!(out[0].grad_fn(), Some("SinCosBackward"));
/// (&out[0] + &out[1]).sum().backward();
/// let want = 0.5f32.cos() - 0.5f32.sin();
/// assert!((x.grad().unwrap().item() - want).abs() < 1e-6);
/// # Ok::<(), autograd::AutogradError>(())
/// ```
pub trait MultiOutputFunction: Send + Sync + 'static {
    /// The name shown as `grad_fn=<...>` on every output.
    fn name(&self) -> &'static str;

    /// Computes the outputs from the inputs' values.
    ///
    /// # Errors
    /// Whatever the operation considers invalid input.
    fn forward(&self, ctx: &mut Context, inputs: &[RawTensor]) -> Result<Vec<RawTensor>>;

    /// Given one gradient per output, returns one gradient per input
    /// (`None` for inputs that need none).
    ///
    /// # Errors
    /// Whatever the operation's backward considers invalid.
    fn backward(&self, ctx: &Context, grad_outputs: &[RawTensor]) -> Result<Grads>;

    /// Runs forward and, when some input requires grad under grad mode,
    /// records the operation: each differentiable output gets a node named
    /// [`name`](MultiOutputFunction::name) that passes its gradient to one
    /// node calling [`backward`](MultiOutputFunction::backward) once, with
    /// every output's gradient. PyTorch equivalent: `MyFunction.apply(*inputs)`.
    ///
    /// # Errors
    /// The errors of [`forward`](MultiOutputFunction::forward); differentiable
    /// outputs of different dtypes.
    fn apply(self, inputs: &[&Tensor]) -> Result<Vec<Tensor>>
    where
        Self: Sized,
    {
        let mut ctx = Context::for_inputs(inputs);
        let values: Vec<RawTensor> = inputs.iter().map(|t| t.value()).collect();
        let outs = self.forward(&mut ctx, &values)?;
        let differentiable: Vec<bool> = outs
            .iter()
            .map(|o| o.is_floating_point() && !ctx.is_non_differentiable(o))
            .collect();
        let recording = is_grad_enabled() && inputs.iter().any(|t| t.requires_grad());
        let Some(first) = outs.iter().zip(&differentiable).find(|(_, &d)| d) else {
            return Ok(outs.into_iter().map(Tensor::new).collect());
        };
        if !recording {
            return Ok(outs.into_iter().map(Tensor::new).collect());
        }
        let dtype = first.0.dtype();
        if let Some(other) = outs
            .iter()
            .zip(&differentiable)
            .find(|(o, &d)| d && o.dtype() != dtype)
        {
            return Err(tensor::TensorError::InvalidArgument {
                op: "MultiOutputFunction::apply",
                msg: format!(
                    "{}: differentiable outputs must share a dtype, got {dtype} and {}",
                    self.name(),
                    other.0.dtype()
                ),
            }
            .into());
        }
        // The gradients of the differentiable outputs meet in one node, as
        // consecutive pieces of a flat "packed" output that holds no memory
        // (a stride-0 view of one zero): each output's node places its
        // gradient at its offset, the engine adds the pieces up, and the
        // packed node unpacks them for `backward`.
        let layout: Vec<Option<(usize, Vec<usize>)>> = {
            let mut offset = 0;
            outs.iter()
                .zip(&differentiable)
                .map(|(o, &d)| {
                    d.then(|| {
                        let at = offset;
                        offset += o.numel();
                        (at, o.shape().to_vec())
                    })
                })
                .collect()
        };
        let total: usize = outs
            .iter()
            .zip(&differentiable)
            .filter(|(_, &d)| d)
            .map(|(o, _)| o.numel())
            .sum();
        let packed_value =
            RawTensor::try_zeros_dtype(&[1], dtype)?.try_expand(&[total as isize])?;
        let name = self.name();
        let Context {
            saved,
            needs_input_grad,
            ..
        } = ctx;
        let shapes: Vec<(Vec<usize>, tensor::DType)> = outs
            .iter()
            .map(|o| (o.shape().to_vec(), o.dtype()))
            .collect();
        let unpack_layout = layout.clone();
        let SavedPlan {
            inputs: saved_inputs,
            others,
            positions,
            ..
        } = SavedPlan::new(saved, &values, None);
        let save = Save {
            inputs: &saved_inputs,
            output: false,
        };
        let packed = Tensor::record(
            name,
            packed_value,
            inputs,
            save,
            others,
            once_differentiable(name, move |g, saved, _| {
                let grads = unpack_layout
                    .iter()
                    .zip(&shapes)
                    .map(|(piece, (shape, dtype))| match piece {
                        Some((offset, shape)) => {
                            let dims: Vec<isize> = shape.iter().map(|&d| d as isize).collect();
                            Ok(g.try_narrow(0, *offset, shape.iter().product())?
                                .try_reshape(&dims)?)
                        }
                        None => Ok(RawTensor::try_zeros_dtype(shape, *dtype)?),
                    })
                    .collect::<Result<Vec<RawTensor>>>()?;
                let ctx = Context {
                    saved: positions.iter().map(|&p| saved[p].alias()).collect(),
                    needs_input_grad: needs_input_grad.clone(),
                    non_differentiable: Vec::new(),
                };
                self.backward(&ctx, &grads)
            }),
        );
        Ok(outs
            .into_iter()
            .zip(layout)
            .map(|(out, piece)| match piece {
                Some((offset, shape)) => {
                    let n = out.numel();
                    Tensor::from_differentiable(
                        name,
                        out,
                        &[&packed],
                        Save::NOTHING,
                        move |g, _, _| {
                            let place = |g: &RawTensor| -> Result<RawTensor> {
                                let grad = RawTensor::try_zeros_dtype(&[total], g.dtype())?;
                                grad.try_narrow(0, offset, n)?
                                    .try_add_(&g.try_reshape(&[-1])?)?;
                                Ok(grad)
                            };
                            let dims: Vec<isize> = shape.iter().map(|&d| d as isize).collect();
                            let take =
                                move |gg: &Tensor| gg.try_narrow(0, offset, n)?.try_reshape(&dims);
                            Ok([Some(crate::ops::linear_map(name, g, place, take)?)].into())
                        },
                    )
                }
                None => Tensor::new(out),
            })
            .collect())
    }
}
