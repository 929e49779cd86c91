//! Forward hooks: code that runs around a module's forward when the module
//! is called ([`Module::forward`] / [`Module::try_call`]), and may replace
//! its input or its output. PyTorch equivalents:
//! `module.register_forward_pre_hook`, `module.register_forward_hook`.
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use autograd::Tensor;
//! use nn::{Linear, Module, RegisterHooks, ReLU, Sequential};
//!
//! let net = Sequential::new().append(Linear::new(3, 4)).append(ReLU);
//! // Record the first layer's activations, as PyTorch's feature extraction does.
//! let seen = Arc::new(Mutex::new(Vec::new()));
//! let log = seen.clone();
//! let handle = net[0].register_forward_hook(move |_module, _input, output| {
//!     log.lock().unwrap().push(output.shape());
//!     None // keep the output
//! });
//! net.forward(&Tensor::ones(&[2, 3]));
//! assert_eq!(*seen.lock().unwrap(), vec![vec![2, 4]]);
//! handle.remove();
//! net.forward(&Tensor::ones(&[2, 3]));
//! assert_eq!(seen.lock().unwrap().len(), 1);
//! ```

use std::sync::{Arc, Mutex, OnceLock, Weak};

use autograd::{Result, Tensor};

use crate::module::Module;

/// A hook run before a module's forward: `(module, input) -> replacement
/// input`, `None` to keep it. PyTorch: `hook(module, args) -> None or args`.
pub type ForwardPreHook = dyn Fn(&dyn Module, &Tensor) -> Option<Tensor> + Send + Sync;

/// A hook run after a module's forward: `(module, input, output) ->
/// replacement output`, `None` to keep it. PyTorch: `hook(module, args, output)`.
pub type ForwardHook = dyn Fn(&dyn Module, &Tensor, &Tensor) -> Option<Tensor> + Send + Sync;

#[derive(Default)]
struct HookLists {
    next_id: u64,
    pre: Vec<(u64, Arc<ForwardPreHook>)>,
    post: Vec<(u64, Arc<ForwardHook>)>,
}

/// A module's forward hooks. A module that holds one (every module of this
/// crate does; a user-defined module adds a field and returns it from
/// [`Module::hooks`]) accepts hooks. Empty, it costs one pointer and
/// allocates nothing; clones of a module share its hooks, as they share
/// its parameters.
#[derive(Clone, Default, Debug)]
pub struct ModuleHooks(OnceLock<Arc<Mutex<HookLists>>>);

impl std::fmt::Debug for HookLists {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} pre-hooks, {} hooks", self.pre.len(), self.post.len())
    }
}

impl ModuleHooks {
    /// No hooks (usable in a `const`).
    pub const fn new() -> ModuleHooks {
        ModuleHooks(OnceLock::new())
    }

    fn lists(&self) -> &Arc<Mutex<HookLists>> {
        self.0.get_or_init(Arc::default)
    }

    fn lock(lists: &Mutex<HookLists>) -> std::sync::MutexGuard<'_, HookLists> {
        lists.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn add_pre(&self, hook: Arc<ForwardPreHook>) -> RemovableHandle {
        self.add(|lists, id| lists.pre.push((id, hook)))
    }

    pub(crate) fn add_post(&self, hook: Arc<ForwardHook>) -> RemovableHandle {
        self.add(|lists, id| lists.post.push((id, hook)))
    }

    /// Adds a hook under a new id with `push`.
    fn add(&self, push: impl FnOnce(&mut HookLists, u64)) -> RemovableHandle {
        let lists = self.lists();
        let mut guard = Self::lock(lists);
        let id = guard.next_id;
        guard.next_id += 1;
        push(&mut guard, id);
        RemovableHandle {
            lists: Arc::downgrade(lists),
            id,
        }
    }

    /// Runs `forward` between the hooks, in registration order. The hooks
    /// are copied out first: no lock is held while they (or the forward) run,
    /// so a hook may register or remove hooks, or call the module again.
    pub(crate) fn run(
        &self,
        module: &dyn Module,
        input: &Tensor,
        forward: impl FnOnce(&Tensor) -> Result<Tensor>,
    ) -> Result<Tensor> {
        let Some(lists) = self.0.get() else {
            return forward(input);
        };
        let pre: Vec<Arc<ForwardPreHook>> = Self::lock(lists)
            .pre
            .iter()
            .map(|(_, h)| h.clone())
            .collect();
        let mut input = input.clone();
        for hook in pre {
            if let Some(replacement) = hook(module, &input) {
                input = replacement;
            }
        }
        let mut output = forward(&input)?;
        let post: Vec<Arc<ForwardHook>> = Self::lock(lists)
            .post
            .iter()
            .map(|(_, h)| h.clone())
            .collect();
        for hook in post {
            if let Some(replacement) = hook(module, &input, &output) {
                output = replacement;
            }
        }
        Ok(output)
    }
}

/// Removes the hook it was returned for. Dropping it keeps the hook, as in
/// PyTorch. PyTorch equivalent: `torch.utils.hooks.RemovableHandle`.
#[derive(Debug)]
pub struct RemovableHandle {
    lists: Weak<Mutex<HookLists>>,
    id: u64,
}

impl RemovableHandle {
    /// Removes the hook (nothing if it is already gone). PyTorch equivalent: `handle.remove()`.
    pub fn remove(self) {
        if let Some(lists) = self.lists.upgrade() {
            let mut guard = ModuleHooks::lock(&lists);
            guard.pre.retain(|(id, _)| *id != self.id);
            guard.post.retain(|(id, _)| *id != self.id);
        }
    }
}
