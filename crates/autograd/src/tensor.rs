//! The differentiable [`Tensor`]: a shared handle to a value, its gradient,
//! and the graph node that produced it.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::mem::ManuallyDrop;
use std::ptr::addr_of_mut;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use crate::error::{or_panic, AutogradError, Result};
use crate::grad_mode::is_grad_enabled;
use crate::graph::NodeRef;
use crate::hooks::HookSlot;
use crate::reuse::{self, Pool};
use crate::view_tracking::ViewOf;

/// The gradient-free tensor of the `tensor` crate, which holds the values.
pub type RawTensor = tensor::Tensor;

pub(crate) struct Inner {
    /// Creation order; a tensor's inputs always have smaller ids.
    pub(crate) id: u64,
    /// The values: a view of a storage that `detach()`, `data()` and views
    /// share, whose version counter in-place writes bump. Dropped (and
    /// `pooled` set) when the handle goes to its thread's pool.
    pub(crate) value: ManuallyDrop<RawTensor>,
    /// Whether the handle is in a pool, its value dropped.
    pooled: bool,
    /// Whether in-place writes through this handle bump the version counter
    /// (false only for `data()` handles, whose writes autograd does not see).
    tracks_version: bool,
    pub(crate) requires_grad: AtomicBool,
    /// The node that computed this tensor; `None` for leaves. An in-place
    /// operation recorded on the tensor later replaces it: see `rebased`.
    grad_fn: Option<NodeRef>,
    /// The nodes of in-place operations recorded on this tensor, oldest
    /// first; the last is its `grad_fn` (PyTorch's history rebase).
    rebased: OnceLock<Box<Rebase>>,
    /// The tensor this one is a view of, when a view operation made it
    /// under grad mode (PyTorch's view tracking, `view_tracking.rs`).
    pub(crate) view_of: OnceLock<ViewOf>,
    pub(crate) grad: Mutex<Option<Tensor>>,
    /// A leaf's gradient hooks (a computed tensor's live on its node).
    pub(crate) hooks: HookSlot,
    /// Whether `retain_grad` was called (non-leaves).
    pub(crate) retains_grad: AtomicBool,
}

/// One link of a tensor's chain of recorded in-place operations.
struct Rebase {
    node: NodeRef,
    next: OnceLock<Box<Rebase>>,
}

/// A tensor that can take part in automatic differentiation.
///
/// Cloning is cheap and makes another handle to the **same** tensor, like a
/// second Python reference: both see in-place changes and the same `.grad`.
/// Operations record a graph when grad mode is on and some input requires a
/// gradient; [`backward`](Tensor::backward) then accumulates gradients into
/// every leaf that requires one.
///
/// PyTorch equivalent: `torch.Tensor` (float32, CPU).
#[derive(Clone)]
pub struct Tensor(pub(crate) ManuallyDrop<Arc<Inner>>);

/// Handles freed on this thread, kept for reuse (see `reuse.rs`). A pooled
/// handle holds nothing (its value dropped, its other fields empty), so
/// keeping it keeps no memory alive but its own.
const POOLED_HANDLES: usize = 256;

thread_local! {
    static HANDLES: Pool<Inner> = const { RefCell::new(Vec::new()) };
}

impl Drop for Inner {
    fn drop(&mut self) {
        if !self.pooled {
            // SAFETY: the value is dropped only here or on pooling, which
            // sets `pooled`.
            unsafe { ManuallyDrop::drop(&mut self.value) };
        }
    }
}

impl Drop for Tensor {
    /// The last handle to a tensor releases what it holds and goes to this
    /// thread's pool instead of back to the allocator.
    fn drop(&mut self) {
        // SAFETY: `self.0` is taken exactly once, here, and not used after.
        let mut arc = unsafe { ManuallyDrop::take(&mut self.0) };
        // A handle that lent a `Weak` (`retain_grad`) is freed, not reused.
        let never_lent = |inner: &Inner| !inner.retains_grad.load(Ordering::Relaxed);
        let Some(inner) = reuse::unique_mut_if(&mut arc, never_lent) else {
            return;
        };
        // Dropping these may drop other handles (a gradient, a node's
        // saved inputs), which come back here: no pool borrow is held yet.
        // Fields that are already empty (most) are left alone.
        inner.pooled = true;
        // SAFETY: the value is live (`pooled` was false: a handle in use)
        // and is not used again until `with_id` writes a new one.
        unsafe { ManuallyDrop::drop(&mut inner.value) };
        inner.grad_fn = None;
        if inner.rebased.get().is_some() {
            inner.rebased.take();
        }
        if inner.view_of.get().is_some() {
            inner.view_of.take();
        }
        let grad = inner.grad.get_mut().unwrap_or_else(|e| e.into_inner());
        if grad.is_some() {
            *grad = None;
        }
        inner.grad.clear_poison();
        if inner.hooks.is_set() {
            inner.hooks = HookSlot::default();
        }
        reuse::give(&HANDLES, arc, POOLED_HANDLES);
    }
}

/// Ids a thread takes at once from the process-wide counter.
const ID_BLOCK: u64 = 4096;

/// The start of the next unclaimed block of ids.
static NEXT_ID_BLOCK: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// This thread's claimed ids: the next one and the end of its block.
    static THREAD_IDS: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
}

/// A new creation id.
#[inline]
pub(crate) fn next_id() -> u64 {
    next_id_after(0)
}

/// A new creation id greater than `floor` (a recorded operation's inputs'
/// ids: the backward engine runs nodes from the highest id down). Ids are
/// unique in the process and grow in creation order on each thread; each
/// thread draws them from its own block, so making a tensor costs no
/// atomic operation, and a block newer than any id handed out serves when
/// the thread's next id would not exceed `floor`.
#[inline]
pub(crate) fn next_id_after(floor: u64) -> u64 {
    let fresh_block = || NEXT_ID_BLOCK.fetch_add(ID_BLOCK, Ordering::Relaxed);
    THREAD_IDS
        .try_with(|ids| {
            let (next, end) = ids.get();
            if next < end && next > floor {
                ids.set((next + 1, end));
                return next;
            }
            let start = fresh_block();
            ids.set((start + 1, start + ID_BLOCK));
            start
        })
        // (While the thread's locals are being destroyed: a block of its own.)
        .unwrap_or_else(|_| fresh_block())
}

impl Tensor {
    pub(crate) fn with_value_handle(
        value: RawTensor,
        grad_fn: Option<NodeRef>,
        requires_grad: bool,
    ) -> Tensor {
        Tensor::with_id(next_id(), value, grad_fn, requires_grad)
    }

    /// A tensor with a creation id taken beforehand (its node records it).
    ///
    /// The fields are written one by one into the fresh allocation: moved
    /// as one `Inner`, the value went through a `memcpy` call every op.
    #[inline]
    pub(crate) fn with_id(
        id: u64,
        value: RawTensor,
        grad_fn: Option<NodeRef>,
        requires_grad: bool,
    ) -> Tensor {
        if let Some(mut arc) = reuse::take(&HANDLES) {
            let inner = reuse::unique_mut(&mut arc).expect("pooled handles are unique");
            inner.id = id;
            // The pooled handle's value was dropped: write without dropping.
            inner.value = ManuallyDrop::new(value);
            inner.pooled = false;
            inner.tracks_version = true;
            *inner.requires_grad.get_mut() = requires_grad;
            inner.grad_fn = grad_fn;
            *inner.retains_grad.get_mut() = false;
            return Tensor(ManuallyDrop::new(arc));
        }
        let mut arc = Arc::<Inner>::new_uninit();
        let slot = Arc::get_mut(&mut arc).expect("new").as_mut_ptr();
        // SAFETY: `slot` points to the uninitialised `Inner` that only this
        // function can reach; every field is written exactly once before
        // `assume_init`.
        unsafe {
            addr_of_mut!((*slot).id).write(id);
            addr_of_mut!((*slot).value).write(ManuallyDrop::new(value));
            addr_of_mut!((*slot).pooled).write(false);
            addr_of_mut!((*slot).tracks_version).write(true);
            addr_of_mut!((*slot).requires_grad).write(AtomicBool::new(requires_grad));
            addr_of_mut!((*slot).grad_fn).write(grad_fn);
            addr_of_mut!((*slot).rebased).write(OnceLock::new());
            addr_of_mut!((*slot).view_of).write(OnceLock::new());
            addr_of_mut!((*slot).grad).write(Mutex::new(None));
            addr_of_mut!((*slot).hooks).write(HookSlot::default());
            addr_of_mut!((*slot).retains_grad).write(AtomicBool::new(false));
            Tensor(ManuallyDrop::new(arc.assume_init()))
        }
    }

    /// Moves `inner` into its allocation. Written as a single move into
    /// `Arc::new_uninit`'s block, which the optimiser turns into stores
    /// straight into the heap (`Arc::new` builds the ~200-byte value on the
    /// stack first and copies it, stalling on the fresh stores every op).
    #[inline(always)]
    fn from_inner(inner: Inner) -> Tensor {
        let mut arc = Arc::<Inner>::new_uninit();
        Arc::get_mut(&mut arc).expect("new").write(inner);
        // SAFETY: initialised on the line above.
        Tensor(ManuallyDrop::new(unsafe { arc.assume_init() }))
    }

    /// A leaf tensor holding `value` (sharing its storage), not requiring grad.
    pub fn new(value: RawTensor) -> Tensor {
        Tensor::with_value_handle(value, None, false)
    }

    /// The values, as a gradient-free tensor sharing this one's storage:
    /// in-place writes through either are seen by both.
    pub fn value(&self) -> RawTensor {
        self.0.value.alias()
    }

    /// The values, borrowed.
    #[inline]
    pub(crate) fn raw(&self) -> &RawTensor {
        &self.0.value
    }

    /// Runs `f` on the values without taking a new handle to them.
    pub(crate) fn with_value<R>(&self, f: impl FnOnce(&RawTensor) -> R) -> R {
        f(&self.0.value)
    }

    /// An identifier unique to this tensor among all tensors of the process
    /// (clones of the handle share it; `detach()` and `data()` handles get
    /// their own). Ids grow in creation order on each thread, and a
    /// recorded operation's result has a greater id than its inputs.
    /// PyTorch equivalent: `id(x)`.
    pub fn id(&self) -> u64 {
        self.0.id
    }

    pub(crate) fn version(&self) -> u64 {
        self.0.value.version()
    }

    /// The node that computed this tensor: the one that created it, or the
    /// newest in-place operation recorded on it. A view whose base was
    /// modified in place since first gets its history regenerated.
    #[inline]
    pub(crate) fn grad_fn_node(&self) -> Option<&NodeRef> {
        if let Some(view) = self.0.view_of.get() {
            self.refresh_view_history(view);
        }
        let mut node = self.0.grad_fn.as_ref();
        let mut link = &self.0.rebased;
        while let Some(rebase) = link.get() {
            node = Some(&rebase.node);
            link = &rebase.next;
        }
        node
    }

    /// How many in-place operations were recorded on this tensor.
    pub(crate) fn rebase_count(&self) -> usize {
        let (mut count, mut link) = (0, &self.0.rebased);
        while let Some(rebase) = link.get() {
            count += 1;
            link = &rebase.next;
        }
        count
    }

    /// Makes `node` (an in-place operation's) this tensor's `grad_fn`.
    pub(crate) fn rebase_history(&self, node: NodeRef) {
        let mut link = &self.0.rebased;
        let mut rebase = Box::new(Rebase {
            node,
            next: OnceLock::new(),
        });
        loop {
            match link.get() {
                Some(existing) => link = &existing.next,
                None => match link.set(rebase) {
                    Ok(()) => break,
                    Err(back) => rebase = back,
                },
            }
        }
        self.0.requires_grad.store(true, Ordering::Relaxed);
    }

    /// Whether operations on this tensor are recorded for differentiation.
    /// PyTorch equivalent: `x.requires_grad`.
    #[inline]
    pub fn requires_grad(&self) -> bool {
        self.0.requires_grad.load(Ordering::Relaxed) || self.view_base_requires_grad()
    }

    /// Whether this is a view (made under grad mode) of a tensor that
    /// requires grad.
    fn view_base_requires_grad(&self) -> bool {
        self.0
            .view_of
            .get()
            .is_some_and(|view| view.base.requires_grad())
    }

    /// Sets whether this leaf requires grad and returns a handle to it, so it
    /// chains after a constructor: `Tensor::ones(&[3, 2]).requires_grad_(true)`.
    /// PyTorch equivalent: `x.requires_grad_(flag)` / `torch.ones(3, 2, requires_grad=True)`.
    ///
    /// # Errors
    /// [`AutogradError::NonLeafRequiresGrad`] on a tensor computed by an operation;
    /// [`AutogradError::NonFloatRequiresGrad`] on an integer or bool tensor.
    pub fn try_requires_grad_(&self, requires_grad: bool) -> Result<Tensor> {
        if requires_grad && !self.0.value.is_floating_point() {
            return Err(AutogradError::NonFloatRequiresGrad {
                dtype: self.0.value.dtype(),
            });
        }
        if let Some(node) = self.grad_fn_node() {
            if !requires_grad {
                return Err(AutogradError::NonLeafRequiresGrad { node: node.name });
            }
            return Ok(self.clone());
        }
        self.0.requires_grad.store(requires_grad, Ordering::Relaxed);
        Ok(self.clone())
    }

    /// Panicking form of [`try_requires_grad_`](Tensor::try_requires_grad_).
    ///
    /// # Panics
    /// When clearing the flag of a tensor computed by an operation.
    #[track_caller]
    pub fn requires_grad_(&self, requires_grad: bool) -> Tensor {
        or_panic(self.try_requires_grad_(requires_grad))
    }

    /// Whether the tensor was created by the user rather than computed by a
    /// recorded operation. PyTorch equivalent: `x.is_leaf`.
    pub fn is_leaf(&self) -> bool {
        self.grad_fn_node().is_none()
    }

    /// The name of the node that computed this tensor, e.g. `"AddBackward0"`.
    /// PyTorch equivalent: `type(x.grad_fn).__name__`.
    pub fn grad_fn(&self) -> Option<&'static str> {
        self.grad_fn_node().map(|node| node.name)
    }

    /// The gradient accumulated by backward passes, `None` until one reaches
    /// this tensor. The handle shares storage with the stored gradient, so
    /// `x.grad().unwrap().zero_()` zeroes it in place. PyTorch equivalent: `x.grad`.
    pub fn grad(&self) -> Option<Tensor> {
        self.0
            .grad
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Drops the accumulated gradient. PyTorch equivalent: `x.grad = None`.
    pub fn clear_grad(&self) {
        *self.0.grad.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Adds `gradient` to `.grad` (the leaf side of backward), as PyTorch's
    /// `AccumulateGrad`: in place when nothing is recorded; under
    /// `create_graph`, out of place, so `.grad` carries the graph of its
    /// computation (a first gradient is copied, shown as `CopyBackwards`).
    pub(crate) fn accumulate_grad(&self, gradient: Tensor) -> Result<()> {
        let mut slot = self.0.grad.lock().unwrap_or_else(|e| e.into_inner());
        let recording = is_grad_enabled();
        match slot.as_ref() {
            Some(existing) if recording => *slot = Some(existing.try_add(&gradient)?),
            Some(existing) => existing.write_value(|v| v.try_add_(gradient.raw()).map(drop))?,
            None if recording => *slot = Some(gradient.copy_recorded()),
            // Keep the gradient itself if nothing else can see it, else a
            // copy, so later accumulation in place never writes into
            // another tensor.
            None if gradient.is_unique_buffer() => *slot = Some(gradient),
            None => *slot = Some(Tensor::new(gradient.raw().clone())),
        }
        Ok(())
    }

    /// Whether this handle is the only way to reach its values: no other
    /// handle, no other view of the storage, contiguous, and no history. A
    /// backward may then add into it in place.
    pub(crate) fn is_unique_buffer(&self) -> bool {
        Arc::strong_count(&self.0) == 1
            && self.grad_fn_node().is_none()
            && self.0.value.is_unique()
            && self.0.value.is_contiguous()
    }

    /// A recorded copy (PyTorch's `CopyBackwards`, which a first gradient
    /// accumulated under `create_graph` shows).
    fn copy_recorded(&self) -> Tensor {
        Tensor::from_differentiable(
            "CopyBackwards",
            self.raw().clone(),
            &[self],
            crate::graph::Save::NOTHING,
            |g, _, _| Ok([Some(g.clone())].into()),
        )
    }

    /// A new leaf sharing this tensor's storage, with no history and no
    /// gradient. In-place changes to either are seen by both.
    /// PyTorch equivalent: `x.detach()`.
    pub fn detach(&self) -> Tensor {
        Tensor::with_value_handle(self.value(), None, false)
    }

    /// The values as a tensor that shares storage but is invisible to
    /// autograd: unlike [`detach`](Tensor::detach), writes through it do not
    /// bump the version counter, so they never make a pending backward fail
    /// (it then silently uses the new values, as in PyTorch). Meant for
    /// initialisation in place: `linear.weight().data().normal_(0.0, 0.01)`.
    /// PyTorch equivalent: `x.data`.
    pub fn data(&self) -> Tensor {
        Tensor::from_inner(Inner {
            id: next_id(),
            value: ManuallyDrop::new(self.value()),
            pooled: false,
            tracks_version: false,
            requires_grad: AtomicBool::new(false),
            grad_fn: None,
            rebased: OnceLock::new(),
            view_of: OnceLock::new(),
            grad: Mutex::new(None),
            hooks: HookSlot::default(),
            retains_grad: AtomicBool::new(false),
        })
    }

    /// Runs `f`, which writes the values in place, and bumps the version
    /// counter unless `f` returns an error (which it does before writing
    /// anything). A panic inside `f` bumps it too: the values may be half
    /// written, and a backward that saved them must not use them silently.
    pub(crate) fn write_value<E>(
        &self,
        f: impl FnOnce(&RawTensor) -> Result<(), E>,
    ) -> Result<(), E> {
        /// Bumps the version when dropped, on success and on unwinding alike.
        struct Bump<'a>(Option<&'a RawTensor>);
        impl Drop for Bump<'_> {
            fn drop(&mut self) {
                if let Some(value) = self.0 {
                    value.bump_version();
                }
            }
        }
        let value = &self.0.value;
        let mut bump = Bump(self.0.tracks_version.then_some(value));
        let result = f(value);
        if result.is_err() {
            bump.0 = None;
        }
        result
    }

    // ----- plain accessors ---------------------------------------------------

    /// The sizes of the dimensions. PyTorch equivalent: `x.shape`.
    pub fn shape(&self) -> Vec<usize> {
        self.with_value(|v| v.shape().to_vec())
    }

    /// The number of dimensions. PyTorch equivalent: `x.dim()`.
    pub fn dim(&self) -> usize {
        self.with_value(RawTensor::dim)
    }

    /// The number of elements. PyTorch equivalent: `x.numel()`.
    pub fn numel(&self) -> usize {
        self.with_value(RawTensor::numel)
    }

    /// The size of dimension 0, like Python's `len(x)`.
    ///
    /// # Errors
    /// On a 0-d tensor, as Python's `len()` raises on one.
    pub fn try_len(&self) -> Result<usize> {
        Ok(self.with_value(RawTensor::try_len)?)
    }

    /// Panicking form of [`try_len`](Tensor::try_len).
    ///
    /// # Panics
    /// On a 0-d tensor.
    #[track_caller]
    pub fn len(&self) -> usize {
        or_panic(self.try_len())
    }

    /// Whether the tensor holds no elements.
    pub fn is_empty(&self) -> bool {
        self.with_value(RawTensor::is_empty)
    }

    /// The value of a one-element tensor. PyTorch equivalent: `x.item()`.
    ///
    /// # Errors
    /// If the tensor does not hold exactly one element.
    pub fn try_item(&self) -> Result<f32> {
        Ok(self.with_value(RawTensor::try_item)?)
    }

    /// Panicking form of [`try_item`](Tensor::try_item).
    ///
    /// # Panics
    /// If the tensor does not hold exactly one element.
    #[track_caller]
    pub fn item(&self) -> f32 {
        or_panic(self.try_item())
    }

    /// Whether all values, after broadcasting, agree within
    /// `atol + rtol * |other|`. PyTorch equivalent: `torch.allclose(a, b, rtol, atol)`.
    ///
    /// # Errors
    /// If the shapes cannot be broadcast together.
    pub fn try_allclose(&self, other: &Tensor, rtol: f32, atol: f32) -> Result<bool> {
        Ok(self.value().try_allclose(&other.value(), rtol, atol)?)
    }

    /// Panicking form of [`try_allclose`](Tensor::try_allclose).
    ///
    /// # Panics
    /// If the shapes cannot be broadcast together.
    #[track_caller]
    pub fn allclose(&self, other: &Tensor, rtol: f32, atol: f32) -> bool {
        or_panic(self.try_allclose(other, rtol, atol))
    }

    /// The elements in row-major order.
    pub fn to_vec(&self) -> Vec<f32> {
        self.with_value(RawTensor::to_vec)
    }
}

impl From<RawTensor> for Tensor {
    fn from(value: RawTensor) -> Tensor {
        Tensor::new(value)
    }
}

impl fmt::Display for Tensor {
    /// PyTorch's `repr`, with `requires_grad=True` on leaves that require
    /// grad and `grad_fn=<Name>` on computed tensors.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let suffix = match (self.grad_fn(), self.requires_grad()) {
            (Some(name), _) => vec![format!("grad_fn=<{name}>")],
            (None, true) => vec!["requires_grad=True".to_string()],
            (None, false) => vec![],
        };
        f.write_str(&self.value().format_with_suffixes(&suffix))
    }
}

impl fmt::Debug for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
