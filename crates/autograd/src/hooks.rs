//! Gradient hooks: code that sees, and may replace, the gradient with
//! respect to a tensor during a backward pass; and `retain_grad`, a hook that
//! keeps a non-leaf's gradient in its `.grad`.
//!
//! PyTorch equivalents: `Tensor.register_hook`, `Tensor.retain_grad`.
//!
//! ```
//! use autograd::Tensor;
//!
//! let x = Tensor::from_slice(&[1.0, 2.0]).requires_grad_(true);
//! let y = &x * 3.0;
//! y.retain_grad();
//! let clip = y.register_hook(|g| Some(g.clamp(None, Some(0.5)))); // clip dL/dy
//! (&y * &y).sum().backward();
//! assert_eq!(y.grad().unwrap().to_vec(), vec![0.5, 0.5]); // after the hook
//! assert_eq!(x.grad().unwrap().to_vec(), vec![1.5, 1.5]);
//! clip.remove();
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use crate::error::{or_panic, AutogradError, Result};
use crate::tensor::{Inner, Tensor};

/// A gradient hook: given the gradient, `Some(replacement)` or `None` to keep it.
pub type HookFn = dyn Fn(&Tensor) -> Option<Tensor> + Send + Sync;

/// The hooks of one tensor (a leaf's, or a computed tensor's on its node),
/// created on the first registration: tensors without hooks pay one
/// pointer and a null check per backward.
#[derive(Default)]
pub(crate) struct HookSlot(OnceLock<Arc<Hooks>>);

impl HookSlot {
    /// Whether hooks were ever registered (or `retain_grad` called) here.
    #[inline]
    pub(crate) fn is_set(&self) -> bool {
        self.0.get().is_some()
    }

    fn hooks(&self) -> &Arc<Hooks> {
        self.0.get_or_init(Arc::default)
    }

    /// Passes `grad` through the hooks, if any (see [`Hooks::apply`]).
    #[inline(always)]
    pub(crate) fn apply(&self, grad: Tensor) -> Result<Tensor> {
        match self.0.get() {
            None => Ok(grad),
            Some(hooks) => hooks.apply(grad),
        }
    }
}

/// The hooks registered on one tensor, in registration order, and the
/// tensor whose `.grad` keeps the result when `retain_grad` was called.
#[derive(Default)]
pub(crate) struct Hooks {
    list: Mutex<Vec<(u64, Arc<HookFn>)>>,
    /// Set by `retain_grad` on a non-leaf: a weak reference, so the node
    /// does not keep its own output alive.
    retained: Mutex<Option<Weak<Inner>>>,
}

impl Hooks {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(u64, Arc<HookFn>)>> {
        self.list.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn add(&self, hook: Arc<HookFn>) -> u64 {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        self.lock().push((id, hook));
        id
    }

    fn remove(&self, id: u64) {
        self.lock().retain(|(h, _)| *h != id);
    }

    /// Passes `grad` through every hook in order, each seeing the previous
    /// one's result, then (after all of them, as PyTorch orders it) keeps it
    /// in a retaining tensor's `.grad`. No lock is held while a hook runs (it
    /// may register or remove hooks, or run a backward of its own).
    ///
    /// # Errors
    /// [`AutogradError::HookShape`] if a hook returns a gradient of another shape.
    fn apply(&self, grad: Tensor) -> Result<Tensor> {
        let hooks: Vec<Arc<HookFn>> = self.lock().iter().map(|(_, h)| h.clone()).collect();
        let mut grad = grad;
        for hook in hooks {
            if let Some(replacement) = hook(&grad) {
                if replacement.raw().shape() != grad.raw().shape() {
                    return Err(AutogradError::HookShape {
                        expected: grad.shape(),
                        got: replacement.shape(),
                    });
                }
                grad = replacement;
            }
        }
        let retained = self
            .retained
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .and_then(Weak::upgrade);
        if let Some(inner) = retained {
            Tensor(std::mem::ManuallyDrop::new(inner)).accumulate_grad(grad.clone())?;
        }
        Ok(grad)
    }
}

/// Removes the hook it was returned for. Dropping the handle keeps the hook.
/// PyTorch equivalent: the `RemovableHandle` of `register_hook`.
pub struct HookHandle {
    hooks: Weak<Hooks>,
    id: u64,
}

impl HookHandle {
    /// Removes the hook (nothing happens if its tensor is gone).
    /// PyTorch equivalent: `handle.remove()`.
    pub fn remove(self) {
        if let Some(hooks) = self.hooks.upgrade() {
            hooks.remove(self.id);
        }
    }
}

impl Tensor {
    /// The hooks of this tensor: its node's for a computed tensor, its own for a leaf.
    fn hook_slot(&self) -> &HookSlot {
        match self.grad_fn_node() {
            Some(node) => &node.hooks,
            None => &self.0.hooks,
        }
    }

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
        let hooks = self.hook_slot().hooks();
        Ok(HookHandle {
            id: hooks.add(Arc::new(hook)),
            hooks: Arc::downgrade(hooks),
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
    /// (accumulating, as a leaf's, and after its hooks have run); a no-op on
    /// leaves, which always do. PyTorch equivalent: `y.retain_grad()`.
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
        *self
            .hook_slot()
            .hooks()
            .retained
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(Arc::downgrade(&self.0));
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
