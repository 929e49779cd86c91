//! The recorded graph and the backward pass.
//!
//! Each differentiable operation computes its value and, only when grad mode
//! is on and some input requires a gradient, records a [`Node`]: its name, an
//! [`Edge`] per input, the values it saved, and a backward closure. As in
//! PyTorch, an edge points to the node that computed the input (or to the leaf
//! whose `.grad` it feeds), never to the input's values: an intermediate
//! result nobody holds and no node saved is freed at once. `backward` walks
//! the nodes in decreasing creation order (an op's inputs are always older
//! than its output), which is a topological order found without recursion.

use std::cell::{Cell, RefCell};
use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Mutex, PoisonError};

use smallbox::{smallbox, space::S16, SmallBox};

use crate::anomaly::{bad_value, is_anomaly_enabled, Creation};
use crate::error::{AutogradError, Result};
use crate::grad_mode::{is_grad_enabled, set_grad_enabled};
use crate::hooks::HookSlot;
use crate::reuse::{self, Pool};
use crate::tensor::{RawTensor, Tensor};
use tensor::Dims;

/// The gradients a backward closure returns, one per input (`None` where an
/// input needs none). A gradient may have a broadcast shape: the engine sums it
/// back to the input's shape.
pub type Grads = Vec<Option<RawTensor>>;

/// A gradient-free backward closure, as [`Tensor::from_op`] takes:
/// `(grad_output, saved_values, needs_input_grad) -> grads`.
pub type BackwardFn = dyn Fn(&RawTensor, &[RawTensor], &[bool]) -> Result<Grads> + Send + Sync;

/// The gradients a differentiable backward returns, one per input: inline
/// up to three, so a backward step allocates nothing for the list.
pub(crate) type GradList = InlineList<Option<Tensor>>;

/// What a node runs: a backward written with differentiable operations on
/// [`Tensor`]s (`grad_output, saved_values, needs_input_grad`), so that with
/// `create_graph` the backward pass is itself recorded.
pub(crate) type DifferentiableBackwardFn =
    dyn Fn(&Tensor, &[Tensor], &[bool]) -> Result<GradList> + Send + Sync;

/// Items an [`InlineList`] holds without allocating.
const INLINE_ITEMS: usize = 3;

/// Up to three items stored inline (every built-in op has at most three
/// inputs), more in a spill vector: recording a node then allocates nothing
/// for its input list or its saved values.
pub(crate) struct InlineList<T> {
    inline: [Option<T>; INLINE_ITEMS],
    spill: Vec<T>,
}

impl<T> InlineList<T> {
    fn new() -> Self {
        InlineList {
            inline: [None, None, None],
            spill: Vec::new(),
        }
    }

    fn push(&mut self, item: T) {
        match self.inline.iter_mut().find(|slot| slot.is_none()) {
            Some(slot) if self.spill.is_empty() => *slot = Some(item),
            _ => self.spill.push(item),
        }
    }

    fn iter(&self) -> impl Iterator<Item = &T> {
        self.inline.iter().flatten().chain(&self.spill)
    }

    fn len(&self) -> usize {
        self.inline.iter().flatten().count() + self.spill.len()
    }

    /// The item at `index` (in push order).
    #[inline]
    fn get(&self, index: usize) -> Option<&T> {
        match self.inline.get(index) {
            Some(slot) => slot.as_ref(),
            None => self.spill.get(index - INLINE_ITEMS),
        }
    }

    /// The item at `index` (in push order), mutably.
    #[inline]
    fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        match self.inline.get_mut(index) {
            Some(slot) => slot.as_mut(),
            None => self.spill.get_mut(index - INLINE_ITEMS),
        }
    }

    /// Removes the last item pushed (a stack's pop).
    fn pop(&mut self) -> Option<T> {
        self.spill
            .pop()
            .or_else(|| self.inline.iter_mut().rev().find_map(Option::take))
    }

    /// Drops every item, keeping the list's memory.
    fn clear(&mut self) {
        self.inline.iter_mut().for_each(|slot| *slot = None);
        self.spill.clear();
    }
}

impl<T> IntoIterator for InlineList<T> {
    type Item = T;
    type IntoIter = std::iter::Chain<
        std::iter::Flatten<std::array::IntoIter<Option<T>, INLINE_ITEMS>>,
        std::vec::IntoIter<T>,
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.inline.into_iter().flatten().chain(self.spill)
    }
}

impl<T, const N: usize> From<[T; N]> for InlineList<T> {
    fn from(items: [T; N]) -> Self {
        items.into_iter().collect()
    }
}

impl<T> FromIterator<T> for InlineList<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut list = InlineList::new();
        iter.into_iter().for_each(|item| list.push(item));
        list
    }
}

/// A value saved for backward and its storage's version when it was saved:
/// a later in-place write, such as an optimizer step, shows as a version
/// mismatch at backward time.
struct Saved {
    value: SavedValue,
    version: u64,
}

/// What a node keeps of a saved value (PyTorch's `SavedVariable`).
enum SavedValue {
    /// An input: its handle, so that a backward recorded with `create_graph`
    /// connects to the input's own history.
    Input(Tensor),
    /// The node's own output: its values only (a handle would hold the node
    /// that holds it); unpacked as a tensor whose `grad_fn` is the node.
    Output(RawTensor),
    /// Anything else a node keeps (indices, a `Function`'s extra values).
    Other(RawTensor),
}

impl SavedValue {
    fn raw(&self) -> &RawTensor {
        match self {
            SavedValue::Input(t) => t.raw(),
            SavedValue::Output(v) | SavedValue::Other(v) => v,
        }
    }
}

/// The values a node saved for its backward: kept until the first backward
/// without `retain_graph` has used them, then freed.
struct SavedValues {
    values: InlineList<Saved>,
    /// Whether a backward freed `values` (another one then fails).
    freed: bool,
}

/// Where the gradient of one input goes.
pub(crate) enum Edge {
    /// The node that computed the input.
    Node(NodeRef),
    /// A leaf that requires grad: its `.grad` accumulates the gradient.
    Leaf(Tensor),
}

impl Edge {
    /// The creation id of the input: edges are processed newest first.
    fn id(&self) -> u64 {
        match self {
            Edge::Node(node) => node.id,
            Edge::Leaf(leaf) => leaf.id(),
        }
    }

    /// Sums a broadcast gradient back to the input's shape; rejects anything else.
    #[inline(always)]
    fn fit(&self, node: &'static str, index: usize, grad: Tensor) -> Result<Tensor> {
        let shape = match self {
            Edge::Node(input) => &input.shape[..],
            Edge::Leaf(leaf) => leaf.raw().shape(),
        };
        // Compared element by element: short shapes cost less than a
        // `memcmp` call.
        let found = grad.raw().shape();
        if found.len() == shape.len() && found.iter().zip(shape).all(|(a, b)| a == b) {
            return Ok(grad);
        }
        sum_to_input(node, index, grad, shape)
    }
}

/// The broadcast gradient `grad` of input `index` of `node` summed to the
/// input's `shape` (the rare path of [`Edge::fit`]).
fn sum_to_input(node: &'static str, index: usize, grad: Tensor, shape: &[usize]) -> Result<Tensor> {
    grad.try_sum_to_size(shape)
        .map_err(|_| AutogradError::InvalidGradient {
            node,
            index,
            detail: format!(
                "got shape {:?} but expected shape compatible with {shape:?}",
                grad.shape()
            ),
        })
}

/// A node's backward closure: inline in the node when it fits in sixteen
/// words (most ops' do; larger ones, such as a normalization's or a
/// gather's, are boxed), so that nodes are all of one size, which the
/// per-thread pool of [`NodeRef`] can reuse.
type BackwardBox = SmallBox<DifferentiableBackwardFn, S16>;

/// One recorded operation. The tensor it produced holds it, and so do the
/// nodes of the operations that used that tensor; it holds its inputs'
/// edges and the values it saved (its own output only if it saved it).
pub(crate) struct Node {
    pub(crate) name: &'static str,
    /// The output's creation id.
    id: u64,
    /// The output's shape, which incoming gradients are summed to.
    shape: Dims,
    /// One edge per input, `None` for inputs that do not require grad.
    inputs: InlineList<Option<Edge>>,
    saved: Mutex<SavedValues>,
    /// Whether `saved` holds anything (read without its lock).
    saves_values: bool,
    /// Where the node was created (recorded in anomaly mode only).
    created: Option<Box<Creation>>,
    /// Hooks on the gradient of the node's output (`register_hook`).
    pub(crate) hooks: HookSlot,
    /// Called without any lock held, so it may itself run a backward.
    backward: BackwardBox,
}

/// The backward of a node in the pool (never called: a pooled node is
/// unreachable until it is recorded again with its op's backward).
fn released(_: &Tensor, _: &[Tensor], _: &[bool]) -> Result<GradList> {
    unreachable!("a released node is never run")
}

impl Node {
    /// A node with nothing recorded in it, as the pool keeps them.
    fn empty() -> Node {
        Node {
            name: "",
            id: 0,
            shape: Dims::new(),
            inputs: InlineList::new(),
            saved: Mutex::new(SavedValues {
                values: InlineList::new(),
                freed: false,
            }),
            saves_values: false,
            created: None,
            hooks: HookSlot::default(),
            backward: smallbox!(released),
        }
    }

    /// Moves the nodes among its inputs to `next` (the first) and `work`
    /// (the others), then drops everything else it holds: its leaf edges,
    /// saved values, hooks and closure. Fields that are already empty are
    /// left alone: most nodes save nothing and have no hooks.
    fn release_into(&mut self, next: &mut Option<Arc<Node>>, work: &mut InlineList<Arc<Node>>) {
        let mut follow = |node: NodeRef| match next {
            None => *next = Some(node.into_arc()),
            Some(_) => work.push(node.into_arc()),
        };
        for slot in &mut self.inputs.inline {
            // Leaf edges drop here.
            if let Some(Some(Edge::Node(node))) = slot.take() {
                follow(node);
            }
        }
        if !self.inputs.spill.is_empty() {
            for edge in self.inputs.spill.drain(..) {
                if let Some(Edge::Node(node)) = edge {
                    follow(node);
                }
            }
        }
        // Only a node that saves values ever locks `saved`.
        if self.saves_values {
            let saved = self.saved.get_mut().unwrap_or_else(PoisonError::into_inner);
            saved.values.clear();
            saved.freed = false;
            self.saved.clear_poison();
        }
        if self.created.is_some() {
            self.created = None;
        }
        if self.hooks.is_set() {
            self.hooks = HookSlot::default();
        }
        self.backward = smallbox!(released);
    }
}

/// A shared handle to a [`Node`] (an `Arc`). The last handle to a node
/// empties it and keeps it in a per-thread pool (see `reuse.rs`), from
/// which the next recorded op takes its node. It releases a chain of nodes
/// iteratively: a recursive drop would overflow the stack on a graph
/// 100,000 ops deep.
pub(crate) struct NodeRef(ManuallyDrop<Arc<Node>>);

/// Nodes a thread keeps for reuse (a pooled node holds nothing but itself).
const POOLED_NODES: usize = 256;

thread_local! {
    static NODES: Pool<Node> = const { RefCell::new(Vec::new()) };
}

impl NodeRef {
    /// The `Arc`, which then no longer releases the node when dropped.
    fn into_arc(self) -> Arc<Node> {
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `this` is never dropped, so its `Arc` is taken only here.
        unsafe { ManuallyDrop::take(&mut this.0) }
    }

    /// A node from this thread's pool, or a new one; empty either way.
    #[inline(always)]
    fn fresh() -> Arc<Node> {
        reuse::take(&NODES).unwrap_or_else(|| Arc::new(Node::empty()))
    }
}

impl Clone for NodeRef {
    fn clone(&self) -> Self {
        NodeRef(ManuallyDrop::new(Arc::clone(&self.0)))
    }
}

impl Deref for NodeRef {
    type Target = Node;

    fn deref(&self) -> &Node {
        &self.0
    }
}

impl Drop for NodeRef {
    fn drop(&mut self) {
        // The node to release next (a chain's only input follows without a
        // trip through the work list), and the others waiting.
        // SAFETY: `self.0` is taken exactly once, here, and not used after.
        let mut next = Some(unsafe { ManuallyDrop::take(&mut self.0) });
        let mut work = InlineList::new();
        while let Some(mut node) = next.take().or_else(|| work.pop()) {
            // Not the last handle: dropping it only counts it down.
            let Some(last) = reuse::unique_mut(&mut node) else {
                continue;
            };
            // Dropping what it holds may drop other handles (tensors a
            // closure captured), which come back here: no pool borrow is
            // held yet.
            last.release_into(&mut next, &mut work);
            reuse::give(&NODES, node, POOLED_NODES);
        }
    }
}

/// Which values an operation saves for its backward closure, in order:
/// the listed inputs, then (if `output`) its own result.
#[derive(Clone, Copy, Default)]
pub struct Save<'a> {
    pub inputs: &'a [usize],
    pub output: bool,
}

impl Save<'static> {
    /// Saves nothing.
    pub const NOTHING: Save<'static> = Save {
        inputs: &[],
        output: false,
    };
    /// Saves the op's own output.
    pub const OUTPUT: Save<'static> = Save {
        inputs: &[],
        output: true,
    };
}

impl Tensor {
    /// Wraps `value`, the result of the operation `name` on `inputs`, and
    /// records a graph node if grad mode is on and any input requires grad.
    /// `backward` is called during the backward pass with the output's
    /// gradient, the values named by `save`, and which inputs need a gradient.
    ///
    /// `backward` works on gradient-free values, so it is differentiated only
    /// once: a backward with `create_graph` through this node records that
    /// its result cannot be differentiated again, and differentiating it
    /// fails with [`AutogradError::OnceDifferentiable`] (PyTorch's
    /// `@once_differentiable`). [`from_differentiable_op`](Tensor::from_differentiable_op)
    /// takes a backward written with differentiable operations instead.
    ///
    /// # Errors
    /// [`AutogradError::InvalidSave`] if `save` names an input that does not exist.
    pub fn try_from_op(
        name: &'static str,
        value: RawTensor,
        inputs: &[&Tensor],
        save: Save<'_>,
        backward: impl Fn(&RawTensor, &[RawTensor], &[bool]) -> Result<Grads> + Send + Sync + 'static,
    ) -> Result<Tensor> {
        check_save(name, inputs, save)?;
        Ok(Tensor::record(
            name,
            value,
            inputs,
            save,
            Vec::new(),
            once_differentiable(name, backward),
        ))
    }

    /// Panicking form of [`try_from_op`](Tensor::try_from_op).
    ///
    /// # Panics
    /// If `save` names an input that does not exist.
    #[track_caller]
    pub fn from_op(
        name: &'static str,
        value: RawTensor,
        inputs: &[&Tensor],
        save: Save<'_>,
        backward: impl Fn(&RawTensor, &[RawTensor], &[bool]) -> Result<Grads> + Send + Sync + 'static,
    ) -> Tensor {
        crate::error::or_panic(Tensor::try_from_op(name, value, inputs, save, backward))
    }

    /// As [`try_from_op`](Tensor::try_from_op), with a backward written with
    /// differentiable operations on [`Tensor`]s: the gradient, the saved
    /// values (inputs as the caller's handles, the output as a tensor whose
    /// `grad_fn` is this node) and which inputs need a gradient. A backward
    /// with `create_graph` records what it does, so gradients of gradients
    /// follow. PyTorch equivalent: a `torch.autograd.Function` whose
    /// `backward` uses differentiable operations.
    ///
    /// ```
    /// use autograd::{grad, GradOptions, Save, Tensor};
    ///
    /// // cube(x) = x³, with backward 3x²·g in differentiable operations.
    /// let x = Tensor::from_slice(&[2.0]).requires_grad_(true);
    /// let y = Tensor::try_from_differentiable_op(
    ///     "CubeBackward",
    ///     x.value().pow_scalar(3.0),
    ///     &[&x],
    ///     Save { inputs: &[0], output: false },
    ///     |g, s, _| Ok(vec![Some(g * &(&s[0].square() * 3.0))]),
    /// )?;
    /// let options = GradOptions { create_graph: true, ..GradOptions::default() };
    /// let dy = grad(&[&y], &[&x], None, options)?.remove(0).unwrap();
    /// assert_eq!(dy.to_vec(), vec![12.0]); // 3x²
    /// dy.backward();
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![12.0]); // 6x
    /// # Ok::<(), autograd::AutogradError>(())
    /// ```
    ///
    /// # Errors
    /// [`AutogradError::InvalidSave`] if `save` names an input that does not exist.
    pub fn try_from_differentiable_op(
        name: &'static str,
        value: RawTensor,
        inputs: &[&Tensor],
        save: Save<'_>,
        backward: impl Fn(&Tensor, &[Tensor], &[bool]) -> Result<Vec<Option<Tensor>>>
            + Send
            + Sync
            + 'static,
    ) -> Result<Tensor> {
        check_save(name, inputs, save)?;
        Ok(Tensor::record(
            name,
            value,
            inputs,
            save,
            Vec::new(),
            move |g: &Tensor, s: &[Tensor], needs: &[bool]| {
                Ok(backward(g, s, needs)?.into_iter().collect())
            },
        ))
    }

    /// Panicking form of [`try_from_differentiable_op`](Tensor::try_from_differentiable_op).
    ///
    /// # Panics
    /// If `save` names an input that does not exist.
    #[track_caller]
    pub fn from_differentiable_op(
        name: &'static str,
        value: RawTensor,
        inputs: &[&Tensor],
        save: Save<'_>,
        backward: impl Fn(&Tensor, &[Tensor], &[bool]) -> Result<Vec<Option<Tensor>>>
            + Send
            + Sync
            + 'static,
    ) -> Tensor {
        crate::error::or_panic(Tensor::try_from_differentiable_op(
            name, value, inputs, save, backward,
        ))
    }

    /// The built-in ops' entry point: [`try_from_differentiable_op`](Tensor::try_from_differentiable_op)
    /// with `save` known to be valid and the gradients returned inline.
    pub(crate) fn from_differentiable(
        name: &'static str,
        value: RawTensor,
        inputs: &[&Tensor],
        save: Save<'_>,
        backward: impl Fn(&Tensor, &[Tensor], &[bool]) -> Result<GradList> + Send + Sync + 'static,
    ) -> Tensor {
        debug_assert!(check_save(name, inputs, save).is_ok());
        Tensor::record(name, value, inputs, save, Vec::new(), backward)
    }

    /// Whether an operation on `inputs` records a node now: grad mode is on
    /// and some input requires grad. Ops whose backward needs costly
    /// preparation skip it when this is false.
    #[inline]
    pub(crate) fn records(inputs: &[&Tensor]) -> bool {
        is_grad_enabled() && inputs.iter().any(|t| t.requires_grad())
    }

    /// Records a node (when grad mode is on and an input requires grad),
    /// with `save` already checked, plus `extra` values saved after those
    /// `save` names (indices, or a [`Function`](crate::Function)'s
    /// `ctx.save_for_backward`).
    pub(crate) fn record<F>(
        name: &'static str,
        value: RawTensor,
        inputs: &[&Tensor],
        save: Save<'_>,
        extra: Vec<RawTensor>,
        backward: F,
    ) -> Tensor
    where
        F: Fn(&Tensor, &[Tensor], &[bool]) -> Result<GradList> + Send + Sync + 'static,
    {
        if !Tensor::records(inputs) {
            return Tensor::new(value);
        }
        let mut node = NodeRef::fresh();
        let fields = reuse::unique_mut(&mut node).expect("fresh nodes are unique");
        let mut newest_input = 0;
        for input in inputs {
            let edge = input.requires_grad().then(|| input.edge());
            if let Some(edge) = &edge {
                newest_input = newest_input.max(edge.id());
            }
            fields.inputs.push(edge);
        }
        let id = crate::tensor::next_id_after(newest_input);
        fields.name = name;
        fields.id = id;
        fields.shape = Dims::from_slice(value.shape());
        let saved = &mut fields.saved.get_mut().expect("fresh lock").values;
        for &i in save.inputs {
            saved.push(Saved {
                value: SavedValue::Input(inputs[i].clone()),
                version: inputs[i].version(),
            });
        }
        if save.output {
            saved.push(Saved {
                value: SavedValue::Output(value.alias()),
                version: value.version(),
            });
        }
        for extra in extra {
            saved.push(Saved {
                version: extra.version(),
                value: SavedValue::Other(extra),
            });
        }
        fields.saves_values = saved.len() > 0;
        fields.created = Creation::capture();
        fields.backward = smallbox!(backward);
        let node = NodeRef(ManuallyDrop::new(node));
        Tensor::with_id(id, value, Some(node), true)
    }

    /// Runs backward from this tensor with the given output gradient (ones
    /// for a one-element output when `None`), accumulating into the `.grad` of
    /// every leaf that requires grad. With `retain_graph` the graph can be
    /// traversed again; otherwise its saved values are freed.
    /// PyTorch equivalent: `y.backward(gradient, retain_graph=...)`.
    ///
    /// # Errors
    /// [`AutogradError::NoGraph`], [`AutogradError::NonScalarOutput`],
    /// [`AutogradError::GradientShape`], [`AutogradError::GraphFreed`],
    /// [`AutogradError::SavedTensorModified`], [`AutogradError::InvalidGradient`].
    pub fn try_backward_with_options(
        &self,
        gradient: Option<&Tensor>,
        retain_graph: bool,
    ) -> Result<()> {
        let seed = self.seed(gradient)?;
        run_backward([(self.edge(), seed)], retain_graph, false, None)?;
        Ok(())
    }

    /// Backward that records itself: the gradients accumulated into `.grad`
    /// carry their own graph, so they can be differentiated again (the graph
    /// is retained). PyTorch equivalent: `y.backward(gradient, create_graph=True)`.
    ///
    /// As in PyTorch, a leaf's `.grad` then holds a graph that holds the
    /// leaf: set it to `None` ([`clear_grad`](Tensor::clear_grad)) when done,
    /// or prefer [`grad`] with `create_graph`, which accumulates nothing.
    ///
    /// # Errors
    /// As [`try_backward_with_options`](Tensor::try_backward_with_options).
    pub fn try_backward_create_graph(&self, gradient: Option<&Tensor>) -> Result<()> {
        let seed = self.seed(gradient)?;
        run_backward([(self.edge(), seed)], true, true, None)?;
        Ok(())
    }
}

/// Checks that `save` names only existing inputs.
fn check_save(name: &'static str, inputs: &[&Tensor], save: Save<'_>) -> Result<()> {
    match save.inputs.iter().find(|&&i| i >= inputs.len()) {
        Some(&index) => Err(AutogradError::InvalidSave {
            node: name,
            index,
            inputs: inputs.len(),
        }),
        None => Ok(()),
    }
}

/// Runs a gradient-free backward on a node's differentiable arguments, with
/// grad mode on (it may build and differentiate a graph of its own). Under
/// `create_graph`, each gradient it returns gets a node that refuses to be
/// differentiated (PyTorch's `DelayedError`), so a second derivative through
/// it fails loudly instead of silently missing terms.
pub(crate) fn once_differentiable(
    name: &'static str,
    backward: impl Fn(&RawTensor, &[RawTensor], &[bool]) -> Result<Grads> + Send + Sync + 'static,
) -> impl Fn(&Tensor, &[Tensor], &[bool]) -> Result<GradList> + Send + Sync + 'static {
    move |g: &Tensor, saved: &[Tensor], needs: &[bool]| {
        let values: Vec<RawTensor> = saved.iter().map(Tensor::value).collect();
        let differentiable =
            is_grad_enabled() && (g.requires_grad() || saved.iter().any(Tensor::requires_grad));
        // Its values carry no graph, so grad mode is on while it runs: a
        // graph it builds and differentiates (a re-entrant backward) records.
        let grads = {
            let _mode = crate::grad_mode::enable_grad();
            backward(g.raw(), &values, needs)?
        };
        Ok(grads
            .into_iter()
            .map(|grad| {
                grad.map(|grad| match differentiable {
                    true => Tensor::record(
                        "DelayedError",
                        grad,
                        &std::iter::once(g).chain(saved).collect::<Vec<_>>(),
                        Save::NOTHING,
                        Vec::new(),
                        move |_, _, _| Err(AutogradError::OnceDifferentiable { node: name }),
                    ),
                    false => Tensor::new(grad),
                })
            })
            .collect())
    }
}

impl Tensor {
    /// The gradient a backward from this output starts with: `gradient`
    /// (checked against the output's shape), or ones for a one-element output.
    fn seed(&self, gradient: Option<&Tensor>) -> Result<Tensor> {
        if !self.requires_grad() {
            return Err(AutogradError::NoGraph);
        }
        let shape = self.raw().shape();
        match gradient {
            Some(g) => {
                if g.raw().shape() != shape {
                    return Err(AutogradError::GradientShape {
                        gradient: g.shape(),
                        output: shape.to_vec(),
                    });
                }
                Ok(g.clone())
            }
            None if self.numel() == 1 => Ok(Tensor::new(RawTensor::try_full_dtype(
                shape,
                1.0,
                self.dtype(),
            )?)),
            None => Err(AutogradError::NonScalarOutput {
                shape: shape.to_vec(),
            }),
        }
    }
}

/// Options of [`grad`]. PyTorch: the keyword arguments of `torch.autograd.grad`.
#[derive(Clone, Copy, Debug, Default)]
pub struct GradOptions {
    /// Keep the graph's saved values for another backward (`retain_graph=True`).
    /// Implied by `create_graph`, as in PyTorch.
    pub retain_graph: bool,
    /// Record the backward pass, so the returned gradients can be
    /// differentiated again (`create_graph=True`).
    pub create_graph: bool,
    /// Return `None` for an input the outputs do not depend on, instead of
    /// an error (`allow_unused=True`).
    pub allow_unused: bool,
}

/// The gradients of `outputs` with respect to `inputs`, returned instead of
/// accumulated into any `.grad`: `grad_outputs` are the gradients of the
/// outputs (`None`: ones, for one-element outputs). Inputs may be leaves or
/// computed tensors. With `create_graph`, the gradients carry the graph of
/// their computation, for Hessian-vector products or gradient penalties.
/// PyTorch equivalent: `torch.autograd.grad(outputs, inputs, grad_outputs,
/// retain_graph, create_graph, allow_unused=...)`.
///
/// ```
/// use autograd::{grad, GradOptions, Tensor};
///
/// let x = Tensor::from_slice(&[1.0, 2.0]).requires_grad_(true);
/// let y = &x * &x;
/// let z = y.sum();
/// let g = grad(&[&z], &[&x, &y], None, GradOptions::default())?;
/// assert_eq!(g[0].as_ref().unwrap().to_vec(), vec![2.0, 4.0]);
/// assert_eq!(g[1].as_ref().unwrap().to_vec(), vec![1.0, 1.0]);
/// assert!(x.grad().is_none()); // nothing accumulated
///
/// // Second derivative: d²/dx² of x³ is 6x.
/// let options = GradOptions { create_graph: true, ..GradOptions::default() };
/// let dx = grad(&[&x.pow_scalar(3.0).sum()], &[&x], None, options)?.remove(0).unwrap();
/// let ddx = grad(&[&dx.sum()], &[&x], None, GradOptions::default())?;
/// assert_eq!(ddx[0].as_ref().unwrap().to_vec(), vec![6.0, 12.0]);
/// # Ok::<(), autograd::AutogradError>(())
/// ```
///
/// # Errors
/// As [`Tensor::try_backward_with_options`] for each output and its
/// gradient; [`AutogradError::InputNotRequiringGrad`] for an input that
/// does not require grad; [`AutogradError::UnusedInput`] for an input the
/// outputs do not depend on, unless `allow_unused`.
pub fn grad(
    outputs: &[&Tensor],
    inputs: &[&Tensor],
    grad_outputs: Option<&[&Tensor]>,
    options: GradOptions,
) -> Result<Vec<Option<Tensor>>> {
    if inputs.is_empty() {
        return Err(AutogradError::NoGradInputs);
    }
    if let Some(index) = inputs.iter().position(|t| !t.requires_grad()) {
        return Err(AutogradError::InputNotRequiringGrad { index });
    }
    if let Some(given) = grad_outputs {
        if given.len() != outputs.len() {
            return Err(AutogradError::GradOutputsLength {
                outputs: outputs.len(),
                grad_outputs: given.len(),
            });
        }
    }
    let mut roots = Vec::with_capacity(outputs.len());
    for (i, output) in outputs.iter().enumerate() {
        let seed = output.seed(grad_outputs.map(|g| g[i]))?;
        roots.push((output.edge(), seed));
    }
    let wanted: Vec<u64> = inputs.iter().map(|t| t.id()).collect();
    let retain_graph = options.retain_graph || options.create_graph;
    let captured = run_backward(roots, retain_graph, options.create_graph, Some(&wanted))?;
    captured
        .into_iter()
        .enumerate()
        .map(|(index, g)| match g {
            Some(g) => Ok(Some(g)),
            None if options.allow_unused => Ok(None),
            None => Err(AutogradError::UnusedInput { index }),
        })
        .collect()
}

/// Adds a gradient contribution into a node's pending gradient: in place
/// when nothing else can see the buffer (PyTorch's InputBuffer rule), else
/// into a new tensor, so that a gradient handed to a hook, to a retained
/// `.grad` or to another edge is never changed behind its back. Recorded
/// (out of place) under `create_graph`.
fn accumulate(buffer: &mut Tensor, g: &Tensor) -> Result<()> {
    if !is_grad_enabled() && buffer.is_unique_buffer() {
        buffer.raw().try_add_(g.raw())?;
    } else {
        *buffer = buffer.try_add(g)?;
    }
    Ok(())
}

/// The gradients waiting for their node or leaf, newest creation id first.
/// The ordered index holds only `(id, slot)` pairs; the gradients stay put
/// in a slab, so reordering moves nothing.
#[derive(Default)]
struct Pending {
    order: BTreeMap<u64, usize>,
    slots: Vec<Option<(Edge, Tensor)>>,
    free: Vec<usize>,
}

impl Pending {
    /// Adds a gradient for `id` (summed into one already waiting); returns
    /// whether it is the first for `id`.
    fn add(&mut self, id: u64, edge: impl FnOnce() -> Edge, grad: Tensor) -> Result<bool> {
        match self.order.entry(id) {
            Entry::Occupied(entry) => {
                let (_, buffer) = self.slots[*entry.get()].as_mut().expect("occupied slot");
                accumulate(buffer, &grad)?;
                Ok(false)
            }
            Entry::Vacant(entry) => {
                let item = Some((edge(), grad));
                let slot = match self.free.pop() {
                    Some(slot) => {
                        self.slots[slot] = item;
                        slot
                    }
                    None => {
                        self.slots.push(item);
                        self.slots.len() - 1
                    }
                };
                entry.insert(slot);
                Ok(true)
            }
        }
    }

    /// The newest waiting gradient, removed.
    fn pop_newest(&mut self) -> Option<(u64, Edge, Tensor)> {
        let (id, slot) = self.order.pop_last()?;
        self.free.push(slot);
        let (edge, grad) = self.slots[slot].take().expect("occupied slot");
        Some((id, edge, grad))
    }

    fn edges(&self) -> impl Iterator<Item = &Edge> {
        self.slots.iter().flatten().map(|(edge, _)| edge)
    }
}

thread_local! {
    /// The last backward pass's emptied [`Pending`], whose memory the next
    /// one on this thread reuses (a re-entrant backward makes its own).
    static SPARE_PENDING: RefCell<Option<Pending>> = const { RefCell::new(None) };
}

thread_local! {
    /// The buffer the last node's saved values were unpacked into, emptied,
    /// for the next node on this thread (a node run from within a backward
    /// closure makes its own).
    static SPARE_SAVED: Cell<Vec<Tensor>> = const { Cell::new(Vec::new()) };
}

/// The buffer a node's saved values are unpacked into for its backward,
/// taken from this thread's spare and given back, emptied, afterwards.
struct SavedLease(Vec<Tensor>);

impl SavedLease {
    #[inline]
    fn take() -> SavedLease {
        SavedLease(SPARE_SAVED.try_with(Cell::take).unwrap_or_default())
    }
}

impl Drop for SavedLease {
    #[inline]
    fn drop(&mut self) {
        if self.0.capacity() == 0 {
            return;
        }
        self.0.clear();
        let values = std::mem::take(&mut self.0);
        let _ = SPARE_SAVED.try_with(|spare| spare.set(values));
    }
}

/// A backward pass's [`Pending`], taken from this thread's spare and given
/// back, emptied, when the pass ends.
struct PendingLease(Pending);

impl PendingLease {
    fn take() -> PendingLease {
        let spare = SPARE_PENDING.try_with(|spare| spare.borrow_mut().take());
        PendingLease(spare.ok().flatten().unwrap_or_default())
    }
}

impl Drop for PendingLease {
    fn drop(&mut self) {
        // A pass that ended early (an error, or `grad` past its oldest
        // input) leaves gradients waiting: drop those first.
        if !self.0.order.is_empty() {
            self.0 = Pending::default();
        }
        self.0.slots.clear();
        self.0.free.clear();
        let pending = std::mem::take(&mut self.0);
        let _ = SPARE_PENDING.try_with(|spare| *spare.borrow_mut() = Some(pending));
    }
}

/// The backward pass proper: process edges newest first, so every gradient
/// contribution to a node has arrived before it runs. Grad mode is
/// `create_graph` throughout: with it, every backward closure's operations
/// are recorded, and the gradients carry their own graph.
///
/// Without `wanted`, leaves that require grad accumulate their gradients.
/// With `wanted` (creation ids), nothing accumulates: the gradients reaching
/// those tensors are returned, one per id (`None` where none arrived), and
/// the pass stops once it is past the oldest of them.
fn run_backward(
    roots: impl IntoIterator<Item = (Edge, Tensor)>,
    retain_graph: bool,
    create_graph: bool,
    wanted: Option<&[u64]>,
) -> Result<Vec<Option<Tensor>>> {
    let _mode = set_grad_enabled(create_graph);
    let mut lease = PendingLease::take();
    let pending = &mut lease.0;
    // A gradient that can run at once, bypassing `pending` (see below): a
    // single root does.
    let mut roots = roots.into_iter();
    let mut next: Option<(u64, Edge, Tensor)> = None;
    if let Some((edge, seed)) = roots.next() {
        match roots.next() {
            None => next = Some((edge.id(), edge, seed)),
            Some((second, second_seed)) => {
                pending.add(edge.id(), || edge, seed)?;
                pending.add(second.id(), || second, second_seed)?;
            }
        }
    }
    for (edge, seed) in roots {
        pending.add(edge.id(), || edge, seed)?;
    }
    let mut captured: Vec<Option<Tensor>> = vec![None; wanted.map_or(0, <[u64]>::len)];
    let oldest_wanted = wanted.and_then(|ids| ids.iter().min().copied());
    // With `wanted`, only edges on a path to a wanted tensor are followed.
    let useful = wanted.map(|ids| {
        let roots = pending
            .edges()
            .chain(next.as_ref().map(|(_, edge, _)| edge));
        useful_edges(roots, ids)
    });
    let follows = |edge: &Edge| useful.as_ref().is_none_or(|u| u.contains(&edge.id()));
    // In anomaly mode: the node that first passed a gradient to each node.
    let mut anomaly = is_anomaly_enabled().then(HashMap::<u64, (&'static str, u64)>::new);

    while let Some((id, edge, grad)) = next.take().or_else(|| pending.pop_newest()) {
        if oldest_wanted.is_some_and(|oldest| id < oldest) {
            break;
        }
        let grad = match &edge {
            Edge::Leaf(leaf) => leaf.0.hooks.apply(grad)?,
            Edge::Node(node) => node.hooks.apply(grad)?,
        };
        if let Some(ids) = wanted {
            for (slot, _) in captured.iter_mut().zip(ids).filter(|(_, &w)| w == id) {
                *slot = Some(grad.clone());
            }
        }
        let node = match edge {
            Edge::Leaf(leaf) => {
                if wanted.is_none() && leaf.requires_grad() {
                    leaf.accumulate_grad(grad)?;
                }
                continue;
            }
            Edge::Node(node) => node,
        };
        // A wanted tensor's node runs only if more wanted tensors lie below it.
        if useful.is_some() && !node.inputs.iter().flatten().any(follows) {
            continue;
        }
        let mut grads = node.run(&grad, retain_graph, create_graph)?;
        if let Some(parents) = &anomaly {
            node.check_finite(&grads, parents)?;
        }
        // The inputs that receive a gradient: an edge, a gradient, and on
        // a path `grad` follows. (Index loops: iterator adapters over the
        // inline lists cost more than the rest of this step.)
        let count = node.inputs.len();
        let useful = useful.as_ref();
        let last = (0..count)
            .rev()
            .find(|&index| receives(&node, &grads, index, useful));
        for index in 0..count {
            if !receives(&node, &grads, index, useful) {
                continue;
            }
            let (Some(Some(input)), Some(g)) = (
                node.inputs.get(index),
                grads.get_mut(index).and_then(Option::take),
            ) else {
                unreachable!("checked by `receives`")
            };
            let g = input.fit(node.name, index, g)?;
            if let Some(parents) = &mut anomaly {
                parents.entry(input.id()).or_insert((node.name, node.id));
            }
            // The only gradient of a node, with nothing else waiting: every
            // newer node has run, so no other contribution to this input
            // can come, and it runs next without a trip through `pending`
            // (a chain of ops never touches it).
            if Some(index) == last && pending.order.is_empty() {
                next = Some((input.id(), input.clone_edge(), g));
            } else {
                pending.add(input.id(), || input.clone_edge(), g)?;
            }
        }
    }
    Ok(captured)
}

/// Whether input `index` of `node` receives a gradient from `grads`: it
/// has an edge, a gradient, and (with `useful`) lies on a path `grad` follows.
#[inline(always)]
fn receives(node: &Node, grads: &GradList, index: usize, useful: Option<&HashSet<u64>>) -> bool {
    matches!(
        (node.inputs.get(index), grads.get(index)),
        (Some(Some(input)), Some(Some(_))) if useful.is_none_or(|u| u.contains(&input.id()))
    )
}

/// The ids of the edges reachable from `roots` that lead to one of the
/// `wanted` ids (or are one): the part of the graph `grad` must run.
fn useful_edges<'a>(roots: impl Iterator<Item = &'a Edge>, wanted: &[u64]) -> HashSet<u64> {
    // Every reachable edge, found without recursion.
    let mut reachable: BTreeMap<u64, Edge> = BTreeMap::new();
    let mut stack: Vec<Edge> = roots.map(Edge::clone_edge).collect();
    while let Some(edge) = stack.pop() {
        if reachable.contains_key(&edge.id()) {
            continue;
        }
        if let Edge::Node(node) = &edge {
            stack.extend(node.inputs.iter().flatten().map(Edge::clone_edge));
        }
        reachable.insert(edge.id(), edge);
    }
    // Inputs are older than the nodes using them: in increasing id order,
    // every input is decided before its users.
    let mut useful = HashSet::new();
    for (id, edge) in &reachable {
        let leads = wanted.contains(id)
            || matches!(edge, Edge::Node(node)
                if node.inputs.iter().flatten().any(|input| useful.contains(&input.id())));
        if leads {
            useful.insert(*id);
        }
    }
    useful
}

impl Edge {
    fn clone_edge(&self) -> Edge {
        match self {
            Edge::Node(node) => Edge::Node(node.clone()),
            Edge::Leaf(leaf) => Edge::Leaf(leaf.clone()),
        }
    }
}

impl Tensor {
    /// The edge a node records for this tensor as an input.
    #[inline]
    fn edge(&self) -> Edge {
        match self.grad_fn_node() {
            Some(node) => Edge::Node(node.clone()),
            None => Edge::Leaf(self.clone()),
        }
    }
}

impl Node {
    /// In anomaly mode: fails on the first NaN or infinite gradient this node
    /// produced, naming it, its creation site, and the backward path to it.
    fn check_finite(
        &self,
        grads: &GradList,
        parents: &HashMap<u64, (&'static str, u64)>,
    ) -> Result<()> {
        let Some((input, value)) = grads
            .iter()
            .enumerate()
            .find_map(|(i, g)| Some((i, bad_value(g.as_ref()?.raw())?)))
        else {
            return Ok(());
        };
        let mut path = vec![self.name];
        let mut at = self.id;
        while let Some(&(name, parent)) = parents.get(&at) {
            path.push(name);
            at = parent;
        }
        path.reverse();
        let created_at = match &self.created {
            Some(creation) => creation.site(),
            None => "an unknown location (the operation was recorded before anomaly mode was on)"
                .to_string(),
        };
        Err(AutogradError::Anomaly {
            node: self.name,
            input,
            value,
            created_at,
            path: path.join(" -> "),
        })
    }
}

impl NodeRef {
    /// Calls the backward closure after checking that nothing it saved has
    /// changed; frees the saved values afterwards unless `retain_graph`.
    /// No lock is held while the closure runs, and a panic inside it becomes
    /// [`AutogradError::BackwardPanicked`] with the saved values left in place.
    fn run(&self, grad: &Tensor, retain_graph: bool, create_graph: bool) -> Result<GradList> {
        // Most nodes save nothing: they skip the lock.
        let mut values = SavedLease::take();
        if self.saves_values {
            self.saved_values(create_graph, &mut values.0)?;
        }
        let values = &values.0;
        let mut needs = [false; 3];
        let needs_spill: Vec<bool>;
        let count = self.inputs.len();
        let needs: &[bool] = if count <= needs.len() {
            for (index, need) in needs[..count].iter_mut().enumerate() {
                *need = matches!(self.inputs.get(index), Some(Some(_)));
            }
            &needs[..count]
        } else {
            needs_spill = self.inputs.iter().map(Option::is_some).collect();
            &needs_spill
        };
        let grads = panic::catch_unwind(AssertUnwindSafe(|| (self.backward)(grad, values, needs)))
            .map_err(|payload| AutogradError::BackwardPanicked {
                node: self.name,
                message: panic_message(payload.as_ref()),
            })??;
        if grads.len() != self.inputs.len() {
            return Err(AutogradError::InvalidGradient {
                node: self.name,
                index: grads.len(),
                detail: format!(
                    "returned {} gradients but expected {}",
                    grads.len(),
                    self.inputs.len()
                ),
            });
        }
        if !retain_graph && !values.is_empty() {
            let mut saved = self.lock_saved();
            saved.values.clear();
            saved.freed = true;
        }
        Ok(grads)
    }

    fn lock_saved(&self) -> std::sync::MutexGuard<'_, SavedValues> {
        self.saved.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The saved values as tensors, checked against in-place changes
    /// (PyTorch's `SavedVariable::unpack`): an input is its own handle; the
    /// output is a new handle on its values whose `grad_fn`, under
    /// `create_graph`, is this node, so a recorded backward that uses it
    /// reaches the node's inputs through it.
    fn saved_values(&self, create_graph: bool, values: &mut Vec<Tensor>) -> Result<()> {
        let saved = self.lock_saved();
        if saved.freed {
            return Err(AutogradError::GraphFreed { node: self.name });
        }
        for saved in saved.values.iter() {
            let found = saved.value.raw().version();
            if found != saved.version {
                return Err(AutogradError::SavedTensorModified {
                    node: self.name,
                    found,
                    expected: saved.version,
                });
            }
            values.push(match &saved.value {
                SavedValue::Input(input) => input.clone(),
                SavedValue::Output(value) if create_graph => {
                    Tensor::with_id(self.id, value.alias(), Some(self.clone()), true)
                }
                SavedValue::Output(value) | SavedValue::Other(value) => Tensor::new(value.alias()),
            });
        }
        Ok(())
    }
}

/// The message of a caught panic, when it carries one.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_string()
    }
}
