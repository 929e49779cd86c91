//! Gradient hooks: code that sees, and may replace, the gradient with
//! respect to a tensor during a backward pass; and `retain_grad`, a hook that
//! keeps a non-leaf's gradient in its `.grad`.
//!
//! PyTorch equivalents: `Tensor.register_hook`, `Tensor.retain_grad`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use crate::error::{or_panic, AutogradError, Result};
use crate::graph::Node;
use crate::tensor::{Inner, RawTensor, Tensor};

/// A gradient hook: given the gradient, `Some(replacement)` or `None` to keep it.
pub type HookFn = dyn Fn(&Tensor) -> Option<Tensor> + Send + Sync;

/// The hooks registered on one tensor, in registration order.
#[derive(Default)]
pub(crate) struct Hooks {
    /// Whether any hook is registered: a backward pass reads only this flag
    /// for tensors without hooks.
    any: AtomicBool,
    list: Mutex<Vec<(u64, Arc<HookFn>)>>,
}

impl Hooks {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(u64, Arc<HookFn>)>> {
        self.list.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn add(&self, hook: Arc<HookFn>) -> u64 {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        self.lock().push((id, hook));
        self.any.store(true, Ordering::Release);
        id
    }

    fn remove(&self, id: u64) {
        let mut list = self.lock();
        list.retain(|(h, _)| *h != id);
        self.any.store(!list.is_empty(), Ordering::Release);
    }

    /// Passes `grad` through every hook in order, each seeing the previous
    /// one's result. No lock is held while a hook runs (it may register or
    /// remove hooks, or run a backward of its own).
    ///
    /// # Errors
    /// [`AutogradError::HookShape`] if a hook returns a gradient of another shape.
    pub(crate) fn apply(&self, grad: RawTensor) -> Result<RawTensor> {
        if !self.any.load(Ordering::Acquire) {
            return Ok(grad);
        }
        let hooks: Vec<Arc<HookFn>> = self.lock().iter().map(|(_, h)| h.clone()).collect();
        let mut grad = grad;
        for hook in hooks {
            if let Some(replacement) = hook(&Tensor::new(grad.clone())) {
                let replacement = replacement.value();
                if replacement.shape() != grad.shape() {
                    return Err(AutogradError::HookShape {
                        expected: grad.shape().to_vec(),
                        got: replacement.shape().to_vec(),
                    });
                }
                grad = replacement;
            }
        }
        Ok(grad)
    }
}

/// Where a hook is registered: a computed tensor's node, or a leaf.
enum HookTarget {
    Node(Weak<Node>),
    Leaf(Weak<Inner>),
}

/// Removes the hook it was returned for. Dropping the handle keeps the hook.
/// PyTorch equivalent: the `RemovableHandle` of `register_hook`.
pub struct HookHandle {
    target: HookTarget,
    id: u64,
}

impl HookHandle {
    /// Removes the hook (nothing happens if its tensor is gone).
    /// PyTorch equivalent: `handle.remove()`.
    pub fn remove(self) {
        match &self.target {
            HookTarget::Node(node) => {
                if let Some(node) = node.upgrade() {
                    node.hooks.remove(self.id);
                }
            }
            HookTarget::Leaf(leaf) => {
                if let Some(leaf) = leaf.upgrade() {
                    leaf.hooks.remove(self.id);
                }
            }
        }
    }
}

impl Tensor {
    /// Registers `hook` to run on the gradient with respect to this tensor,
    /// each time a backward pass computes it (for a leaf, before it is added
    /// to `.grad`). The hook may return a replacement of the same shape.
    /// PyTorch equivalent: `x.register_hook(hook)`.
    ///
    /// # Errors
    /// [`AutogradError::HookOnNoGrad`] if the tensor does not require grad.
    pub fn try_register_hook(
        &self,
        hook: impl Fn(&Tensor) -> Option<Tensor> + Send + Sync + 'static,
    ) -> Result<HookHandle> {
        if !self.requires_grad() {
            return Err(AutogradError::HookOnNoGrad);
        }
        let hook: Arc<HookFn> = Arc::new(hook);
        Ok(match self.grad_fn_node() {
            Some(node) => HookHandle {
                id: node.hooks.add(hook),
                target: HookTarget::Node(Arc::downgrade(node)),
            },
            None => HookHandle {
                id: self.0.hooks.add(hook),
                target: HookTarget::Leaf(Arc::downgrade(&self.0)),
            },
        })
    }

    /// Panicking form of [`try_register_hook`](Tensor::try_register_hook).
    ///
    /// # Panics
    /// If the tensor does not require grad.
    #[track_caller]
    pub fn register_hook(
        &self,
        hook: impl Fn(&Tensor) -> Option<Tensor> + Send + Sync + 'static,
    ) -> HookHandle {
        or_panic(self.try_register_hook(hook))
    }

    /// Makes backward passes keep this non-leaf's gradient in its `.grad`
    /// (accumulating, as a leaf's); a no-op on leaves, which always do.
    /// PyTorch equivalent: `y.retain_grad()`.
    ///
    /// # Errors
    /// [`AutogradError::RetainGradOnNoGrad`] if the tensor does not require grad.
    pub fn try_retain_grad(&self) -> Result<()> {
        if !self.requires_grad() {
            return Err(AutogradError::RetainGradOnNoGrad);
        }
        if self.is_leaf() || self.0.retains_grad.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        // A weak reference: the node must not keep its own output alive.
        let tensor = Arc::downgrade(&self.0);
        self.try_register_hook(move |grad| {
            if let Some(inner) = tensor.upgrade() {
                Tensor(inner).accumulate_grad(grad.value());
            }
            None
        })?;
        Ok(())
    }

    /// Panicking form of [`try_retain_grad`](Tensor::try_retain_grad).
    ///
    /// # Panics
    /// If the tensor does not require grad.
    #[track_caller]
    pub fn retain_grad(&self) {
        or_panic(self.try_retain_grad())
    }

    /// Whether [`retain_grad`](Tensor::retain_grad) was called on this
    /// non-leaf (false for leaves, as in PyTorch). PyTorch equivalent: `y.retains_grad`.
    pub fn retains_grad(&self) -> bool {
        !self.is_leaf() && self.0.retains_grad.load(Ordering::Acquire)
    }
}
