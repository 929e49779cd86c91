//! Errors of differentiable operations and of backward passes.

use tensor::TensorError;

/// Result alias used throughout the crate.
pub type Result<T, E = AutogradError> = std::result::Result<T, E>;

/// What went wrong in a differentiable operation or a backward pass.
///
/// `Debug` prints the same message as `Display`, so an error returned from
/// `main` through `?` reads as the message.
#[derive(Clone, PartialEq, thiserror::Error)]
pub enum AutogradError {
    /// The underlying tensor operation failed (shapes, dims, indices, ...).
    #[error(transparent)]
    Tensor(#[from] TensorError),
    /// `backward()` without a gradient on an output of more than one element.
    #[error("backward: grad can be implicitly created only for scalar outputs (output has shape {shape:?}); pass a gradient with backward_with")]
    NonScalarOutput { shape: Vec<usize> },
    /// The gradient passed to `backward_with` has the wrong shape.
    #[error("backward: mismatch in shape: gradient has shape {gradient:?} and output has shape {output:?}")]
    GradientShape {
        gradient: Vec<usize>,
        output: Vec<usize>,
    },
    /// `backward()` on a tensor that is not part of any graph.
    #[error("backward: the tensor does not require grad and does not have a grad_fn")]
    NoGraph,
    /// A second backward through a graph whose saved values were freed.
    #[error("backward: {node}: Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True (try_backward_with_options(.., true)) if you need to backward through the graph a second time or if you need to access saved tensors after calling backward.")]
    GraphFreed { node: &'static str },
    /// A tensor saved for backward was modified in place after it was saved.
    #[error("backward: one of the variables needed for gradient computation has been modified by an inplace operation: an input saved by {node} is at version {found}; expected version {expected} instead")]
    SavedTensorModified {
        node: &'static str,
        found: u64,
        expected: u64,
    },
    /// An in-place operation on a leaf that requires grad, outside `no_grad`.
    #[error("{op}: a leaf Variable that requires grad is being used in an in-place operation (wrap it in no_grad, or use .detach() / .data())")]
    InPlaceOnLeaf { op: &'static str },
    /// An in-place operation on a view of a leaf that requires grad, outside `no_grad`.
    #[error("{op}: a view of a leaf Variable that requires grad is being used in an in-place operation (wrap it in no_grad, or use .detach() / .data())")]
    InPlaceOnViewOfLeaf { op: &'static str },
    /// An in-place operation autograd would have to record but cannot.
    #[error("{op}: recording this in-place operation is not supported ({detail}); use the out-of-place form")]
    InPlaceInGraph { op: &'static str, detail: String },
    /// `requires_grad_` on a tensor computed by an operation.
    #[error("requires_grad_: you can only change requires_grad flags of leaf variables (this tensor has grad_fn={node}); use .detach() to get a leaf")]
    NonLeafRequiresGrad { node: &'static str },
    /// `requires_grad_` on an integer or bool tensor.
    #[error(
        "requires_grad_: only Tensors of floating point dtype can require gradients (got {dtype})"
    )]
    NonFloatRequiresGrad { dtype: tensor::DType },
    /// [`Tensor::from_op`](crate::Tensor::from_op) asked to save an input that does not exist.
    #[error("from_op: {node} saves input {index}, but the operation has {inputs} inputs")]
    InvalidSave {
        node: &'static str,
        index: usize,
        inputs: usize,
    },
    /// A second derivative through an operation whose backward is not
    /// differentiable (one made with [`Tensor::from_op`](crate::Tensor::from_op)
    /// or a [`Function`](crate::Function)).
    #[error("backward: trying to differentiate twice {node}, whose backward is not differentiable (PyTorch: a function marked with @once_differentiable); write it with Tensor::from_differentiable_op to allow gradients of gradients")]
    OnceDifferentiable { node: &'static str },
    /// A backward function panicked; the graph's saved values are kept.
    #[error("backward: the backward function of {node} panicked: {message}")]
    BackwardPanicked { node: &'static str, message: String },
    /// Anomaly mode found a NaN or infinite value in a gradient a node produced.
    #[error("backward: {node} returned {value} values in the gradient of its input {input} (anomaly mode); the operation was created at {created_at}; backward path: {path}")]
    Anomaly {
        node: &'static str,
        input: usize,
        value: &'static str,
        created_at: String,
        path: String,
    },
    /// `grad` with no inputs.
    #[error("grad: `inputs` argument to `grad()` cannot be empty")]
    NoGradInputs,
    /// `grad` asked for the gradient of a tensor that does not require grad.
    #[error("grad: one of the differentiated Tensors (input {index}) does not require grad")]
    InputNotRequiringGrad { index: usize },
    /// `grad` found no path from the outputs to an input.
    #[error("grad: one of the differentiated Tensors (input {index}) appears to not have been used in the graph. Set allow_unused=True if this is the desired behavior")]
    UnusedInput { index: usize },
    /// `grad` was given a different number of output gradients than outputs.
    #[error("grad: grad_outputs should be a sequence of length {outputs}, got {grad_outputs}")]
    GradOutputsLength { outputs: usize, grad_outputs: usize },
    /// `register_hook` on a tensor that does not require grad.
    #[error("register_hook: cannot register a hook on a tensor that doesn't require gradient")]
    HookOnNoGrad,
    /// `retain_grad` on a tensor that does not require grad.
    #[error("retain_grad: can't retain_grad on Tensor that has requires_grad=False")]
    RetainGradOnNoGrad,
    /// A gradient hook returned a gradient of another shape.
    #[error("backward: a hook changed the shape of the gradient from {expected:?} to {got:?}")]
    HookShape {
        expected: Vec<usize>,
        got: Vec<usize>,
    },
    /// A backward function returned the wrong number or shape of gradients.
    #[error("backward: function {node} returned an invalid gradient at index {index}: {detail}")]
    InvalidGradient {
        node: &'static str,
        index: usize,
        detail: String,
    },
}

tensor::debug_as_display!(AutogradError);

impl AutogradError {
    /// The panic message of the panicking forms.
    #[track_caller]
    pub(crate) fn raise(self) -> ! {
        panic!("{self}")
    }
}

/// Unwraps a result, panicking with the error's message at the caller's location.
#[track_caller]
pub(crate) fn or_panic<T>(result: Result<T>) -> T {
    match result {
        Ok(value) => value,
        Err(err) => err.raise(),
    }
}
