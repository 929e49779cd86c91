//! The [`Module`] trait, [`Sequential`], and the activation modules.

use std::any::Any;
use std::ops::Index;
use std::sync::Arc;

use crate::hooks::{ModuleHooks, RemovableHandle};

use autograd::{Result, Tensor};
use serialization::StateDict;

/// A layer or a network of layers. PyTorch equivalent: `nn.Module`.
///
/// **Cloning a module shares its parameters**: `let b = a.clone()` gives a
/// second module whose parameters are the same tensors as `a`'s (as two
/// Python references to one module would), so training either trains both.
/// For an independent copy use [`deep_copy`](Module::deep_copy), PyTorch's
/// `copy.deepcopy(module)`.
///
/// Every module is `Clone` (so that containers can clone their layers); a
/// module with parameters lists them in
/// [`named_parameters`](Module::named_parameters) and
/// [`parameters_mut`](Module::parameters_mut).
pub trait Module: Any + Send + Sync + CloneModule {
    /// Computes the output: the module's own computation, which a module
    /// implements. Calling a module, with its hooks, is
    /// [`forward`](Module::forward) / [`try_call`](Module::try_call).
    /// PyTorch equivalent: `module.forward(input)`.
    ///
    /// # Errors
    /// If `input` has a shape the module cannot take.
    fn try_forward(&self, input: &Tensor) -> Result<Tensor>;

    /// Calls the module: its forward pre-hooks, [`try_forward`](Module::try_forward),
    /// then its forward hooks. PyTorch equivalent: `module(input)`.
    ///
    /// # Errors
    /// If `input` has a shape the module cannot take.
    fn try_call(&self, input: &Tensor) -> Result<Tensor> {
        match self.hooks() {
            Some(hooks) => hooks.run(self.as_dyn(), input, |x| self.try_forward(x)),
            None => self.try_forward(input),
        }
    }

    /// Panicking form of [`try_call`](Module::try_call): calls the module,
    /// hooks included. PyTorch equivalent: `module(input)`.
    ///
    /// # Panics
    /// If `input` has a shape the module cannot take (reported at the caller's line).
    #[track_caller]
    fn forward(&self, input: &Tensor) -> Tensor {
        crate::or_panic(self.try_call(input))
    }

    /// The module's forward hooks, which [`RegisterHooks`] adds to: every
    /// module of this crate keeps them; a user-defined module that should
    /// accept hooks holds a [`ModuleHooks`] field and returns it here.
    fn hooks(&self) -> Option<&ModuleHooks> {
        None
    }

    /// Parameters with PyTorch's dotted names (`"0.weight"` inside a
    /// `Sequential`), each tensor once: a parameter registered twice keeps
    /// its first name. PyTorch equivalent: `module.named_parameters()`.
    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        Vec::new()
    }

    /// Mutable access to every parameter handle the module holds (a tensor
    /// held twice appears twice); [`deep_copy`](Module::deep_copy) replaces
    /// them through it. A module with parameters must implement it as well as
    /// [`named_parameters`](Module::named_parameters).
    fn parameters_mut(&mut self) -> Vec<&mut Tensor> {
        Vec::new()
    }

    /// Buffers: state that is not trained but is part of the module (and of
    /// its `state_dict`), such as BatchNorm's running statistics, with
    /// dotted names. PyTorch equivalent: `module.named_buffers()`.
    fn named_buffers(&self) -> Vec<(String, Tensor)> {
        Vec::new()
    }

    /// Mutable access to every buffer handle (what
    /// [`deep_copy`](Module::deep_copy) replaces); a module with buffers
    /// implements it as well as [`named_buffers`](Module::named_buffers).
    fn buffers_mut(&mut self) -> Vec<&mut Tensor> {
        Vec::new()
    }

    /// Every parameter and buffer under its dotted name (`"0.weight"`,
    /// `"1.running_mean"`), as detached tensors that share the module's
    /// storage; each module lists its parameters, then its buffers, then its
    /// children's. Save it with `serialization::save_file`.
    /// PyTorch equivalent: `module.state_dict()`.
    fn state_dict(&self) -> StateDict {
        crate::state_dict::state_dict(self.as_dyn())
    }

    /// Copies `state_dict`'s tensors into the module's parameters and
    /// buffers in place (so an optimizer holding them keeps working),
    /// converting float32 and float64 into each other as `copy_` does.
    /// With `strict`, the keys must match exactly; without, missing and
    /// unexpected keys are skipped and returned. A shape or dtype mismatch
    /// is an error either way. Loading is all or nothing: on an error the
    /// module is unchanged. PyTorch equivalent: `module.load_state_dict(state_dict, strict)`.
    ///
    /// # Errors
    /// [`LoadStateDictError`](crate::LoadStateDictError), with PyTorch's
    /// message listing every missing and unexpected key and every mismatch.
    fn load_state_dict(
        &mut self,
        state_dict: &StateDict,
        strict: bool,
    ) -> std::result::Result<crate::IncompatibleKeys, crate::LoadStateDictError> {
        crate::state_dict::load(self.as_dyn(), state_dict, strict)
    }

    /// The parameters, each tensor once, as handles sharing the module's tensors.
    /// PyTorch equivalent: `module.parameters()`.
    fn parameters(&self) -> Vec<Tensor> {
        unique_by_identity(self.named_parameters())
            .into_iter()
            .map(|(_, p)| p)
            .collect()
    }

    /// An independent copy: the same structure with parameters of the same
    /// values that are new tensors, so training the copy leaves `self` alone.
    /// A parameter shared within the module stays shared within the copy.
    /// PyTorch equivalent: `copy.deepcopy(module)`.
    ///
    /// # Panics
    /// If the module lists a parameter in `named_parameters` that it does
    /// not hand out through `parameters_mut` (the copy would share it).
    #[track_caller]
    fn deep_copy(&self) -> Self
    where
        Self: Sized + Clone,
    {
        let mut copy = self.clone();
        for buffer in copy.buffers_mut() {
            *buffer = Tensor::new(buffer.value().clone());
        }
        let mut copies: Vec<(u64, Tensor)> = Vec::new();
        for param in copy.parameters_mut() {
            let fresh = match copies.iter().find(|(id, _)| *id == param.id()) {
                Some((_, fresh)) => fresh.clone(),
                None => {
                    // A copy of the values: writes to either side stay there.
                    let fresh =
                        Tensor::new(param.value().clone()).requires_grad_(param.requires_grad());
                    copies.push((param.id(), fresh.clone()));
                    fresh
                }
            };
            *param = fresh;
        }
        // Every parameter the copy lists must be a new tensor.
        let originals: Vec<u64> = self
            .named_parameters()
            .iter()
            .map(|(_, p)| p.id())
            .collect();
        let shared = copy
            .named_parameters()
            .into_iter()
            .find(|(_, p)| originals.contains(&p.id()));
        if let Some((name, _)) = shared {
            panic!(
                "deep_copy: {} lists parameter {name:?} in named_parameters but not in \
                 parameters_mut, so the copy would share it; implement parameters_mut",
                std::any::type_name::<Self>()
            );
        }
        copy
    }

    /// The parameter called `name`, e.g. `"weight"` or `"0.bias"`.
    /// PyTorch equivalent: attribute access, `module.weight`.
    fn parameter(&self, name: &str) -> Option<Tensor> {
        self.named_parameters()
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, p)| p)
    }

    /// Clears every parameter's gradient. PyTorch equivalent: `module.zero_grad()`.
    fn zero_grad(&self) {
        self.named_parameters()
            .iter()
            .for_each(|(_, p)| p.clear_grad());
    }

    /// Whether the module is in training mode. PyTorch equivalent: `module.training`.
    fn is_training(&self) -> bool {
        true
    }

    /// Sets training mode. PyTorch equivalent: `module.train(mode)`.
    fn set_training(&mut self, _training: bool) {}

    /// The direct submodules with their names (`"0"`, `"1"` in a
    /// `Sequential`). PyTorch equivalent: `module.named_children()`.
    fn named_children(&self) -> Vec<(String, &dyn Module)> {
        Vec::new()
    }

    /// The direct submodules, mutably (what [`apply`](Module::apply) walks).
    fn children_mut(&mut self) -> Vec<&mut dyn Module> {
        Vec::new()
    }

    /// The direct submodules. PyTorch equivalent: `module.children()`.
    fn children(&self) -> Vec<&dyn Module> {
        self.named_children().into_iter().map(|(_, m)| m).collect()
    }

    /// This module (named `""`) and every module below it, depth first,
    /// with dotted names (`"0"`, `"features.1"`). PyTorch equivalent:
    /// `module.named_modules()`.
    fn named_modules(&self) -> Vec<(String, &dyn Module)> {
        let mut all = vec![(String::new(), self.as_dyn())];
        for (name, child) in self.named_children() {
            for (below, module) in child.named_modules() {
                let full = match below.is_empty() {
                    true => name.clone(),
                    false => format!("{name}.{below}"),
                };
                all.push((full, module));
            }
        }
        all
    }

    /// Calls `f` on every submodule, then on this module (PyTorch's order),
    /// for example to initialise weights. PyTorch equivalent: `module.apply(fn)`.
    fn apply(&mut self, f: &mut dyn FnMut(&mut dyn Module)) {
        for child in self.children_mut() {
            child.apply(f);
        }
        f(self.as_dyn_mut());
    }

    /// Training mode on. PyTorch equivalent: `module.train()`.
    fn train(&mut self) {
        self.set_training(true);
    }

    /// Training mode off. PyTorch equivalent: `module.eval()`.
    fn eval(&mut self) {
        self.set_training(false);
    }
}

/// Clones a module behind a `Box<dyn Module>` (parameters shared, as
/// [`Clone`] does), and views it as a `&dyn Module`; implemented for every
/// `Module + Clone`.
pub trait CloneModule {
    /// A boxed clone of the module.
    fn clone_box(&self) -> Box<dyn Module>;

    /// The module as a trait object (what hooks receive).
    fn as_dyn(&self) -> &dyn Module;

    /// The module as a mutable trait object (what `apply` passes).
    fn as_dyn_mut(&mut self) -> &mut dyn Module;

    /// The module's type name, for messages.
    fn type_name(&self) -> &'static str;
}

impl<M: Module + Clone> CloneModule for M {
    fn clone_box(&self) -> Box<dyn Module> {
        Box::new(self.clone())
    }

    fn as_dyn(&self) -> &dyn Module {
        self
    }

    fn as_dyn_mut(&mut self) -> &mut dyn Module {
        self
    }

    fn type_name(&self) -> &'static str {
        std::any::type_name::<M>()
    }
}

/// The hooks of `module`, or the error saying how to give it some.
fn hooks_of<M: Module + ?Sized>(module: &M) -> Result<&ModuleHooks> {
    module.hooks().ok_or_else(|| {
        tensor::TensorError::InvalidArgument {
            op: "register_forward_hook",
            msg: format!(
                "{} keeps no hooks: give it an nn::ModuleHooks field and return it from Module::hooks",
                module.type_name()
            ),
        }
        .into()
    })
}

/// Registering forward hooks, on any module, concrete or behind
/// `dyn Module` (`net[0]`): `use nn::RegisterHooks;`.
pub trait RegisterHooks {
    /// Registers a hook run after each call with `(module, input, output)`;
    /// returning `Some(t)` replaces the output. PyTorch equivalent:
    /// `module.register_forward_hook(hook)`.
    ///
    /// # Errors
    /// If the module keeps no hooks ([`Module::hooks`] is `None`).
    fn try_register_forward_hook(
        &self,
        hook: impl Fn(&dyn Module, &Tensor, &Tensor) -> Option<Tensor> + Send + Sync + 'static,
    ) -> Result<RemovableHandle>;

    /// Panicking form of [`try_register_forward_hook`](RegisterHooks::try_register_forward_hook).
    ///
    /// # Panics
    /// If the module keeps no hooks.
    #[track_caller]
    fn register_forward_hook(
        &self,
        hook: impl Fn(&dyn Module, &Tensor, &Tensor) -> Option<Tensor> + Send + Sync + 'static,
    ) -> RemovableHandle {
        crate::or_panic(self.try_register_forward_hook(hook))
    }

    /// Registers a hook run before each call with `(module, input)`;
    /// returning `Some(t)` replaces the input. PyTorch equivalent:
    /// `module.register_forward_pre_hook(hook)`.
    ///
    /// # Errors
    /// If the module keeps no hooks ([`Module::hooks`] is `None`).
    fn try_register_forward_pre_hook(
        &self,
        hook: impl Fn(&dyn Module, &Tensor) -> Option<Tensor> + Send + Sync + 'static,
    ) -> Result<RemovableHandle>;

    /// Panicking form of [`try_register_forward_pre_hook`](RegisterHooks::try_register_forward_pre_hook).
    ///
    /// # Panics
    /// If the module keeps no hooks.
    #[track_caller]
    fn register_forward_pre_hook(
        &self,
        hook: impl Fn(&dyn Module, &Tensor) -> Option<Tensor> + Send + Sync + 'static,
    ) -> RemovableHandle {
        crate::or_panic(self.try_register_forward_pre_hook(hook))
    }
}

impl<M: Module + ?Sized> RegisterHooks for M {
    fn try_register_forward_hook(
        &self,
        hook: impl Fn(&dyn Module, &Tensor, &Tensor) -> Option<Tensor> + Send + Sync + 'static,
    ) -> Result<RemovableHandle> {
        Ok(hooks_of(self)?.add_post(Arc::new(hook)))
    }

    fn try_register_forward_pre_hook(
        &self,
        hook: impl Fn(&dyn Module, &Tensor) -> Option<Tensor> + Send + Sync + 'static,
    ) -> Result<RemovableHandle> {
        Ok(hooks_of(self)?.add_pre(Arc::new(hook)))
    }
}

/// Keeps the first of every group of entries holding the same tensor.
fn unique_by_identity(params: Vec<(String, Tensor)>) -> Vec<(String, Tensor)> {
    let mut seen = std::collections::HashSet::with_capacity(params.len());
    params
        .into_iter()
        .filter(|(_, p)| seen.insert(p.id()))
        .collect()
}

/// Layers applied in order. PyTorch equivalent: `nn.Sequential(...)`.
///
/// Cloning shares the layers' parameters; see [`Module`].
pub struct Sequential {
    layers: Vec<Box<dyn Module>>,
    training: bool,
    hooks: ModuleHooks,
}

impl Sequential {
    /// An empty network; add layers with [`append`](Sequential::append).
    pub fn new() -> Sequential {
        Sequential {
            layers: Vec::new(),
            training: true,
            hooks: ModuleHooks::new(),
        }
    }

    /// Appends a layer. PyTorch equivalent: `nn.Sequential(a, b)` / `seq.append(m)`.
    pub fn append(mut self, layer: impl Module) -> Sequential {
        self.layers.push(Box::new(layer));
        self
    }

    /// The number of layers. PyTorch equivalent: `len(seq)`.
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// Whether there are no layers.
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }

    /// Layer `index` as its concrete type, `None` if out of range or of another type.
    pub fn get<T: Module>(&self, index: usize) -> Option<&T> {
        let layer: &dyn Any = self.layers.get(index)?.as_ref();
        layer.downcast_ref::<T>()
    }

    /// Layer `index` as its concrete type: `net.layer::<Linear>(0).weight()`
    /// reads like PyTorch's `net[0].weight`.
    ///
    /// # Panics
    /// If `index` is out of range or the layer is not a `T`.
    #[track_caller]
    pub fn layer<T: Module>(&self, index: usize) -> &T {
        match self.get(index) {
            Some(layer) => layer,
            None => panic!(
                "Sequential::layer: no layer of type {} at index {index} (the network has {} layers)",
                std::any::type_name::<T>(),
                self.layers.len()
            ),
        }
    }
}

impl Clone for Sequential {
    fn clone(&self) -> Sequential {
        Sequential {
            layers: self.layers.iter().map(|l| l.clone_box()).collect(),
            training: self.training,
            hooks: self.hooks.clone(),
        }
    }
}

impl Default for Sequential {
    fn default() -> Sequential {
        Sequential::new()
    }
}

impl Index<usize> for Sequential {
    type Output = dyn Module;
    /// PyTorch equivalent: `seq[index]`.
    ///
    /// # Panics
    /// If `index` is out of range, naming the index and the number of layers.
    #[track_caller]
    fn index(&self, index: usize) -> &dyn Module {
        match self.layers.get(index) {
            Some(layer) => layer.as_ref(),
            None => panic!(
                "Sequential: index {index} is out of range for a network of {} layers",
                self.layers.len()
            ),
        }
    }
}

impl Module for Sequential {
    fn try_forward(&self, input: &Tensor) -> Result<Tensor> {
        let mut x = input.clone();
        for layer in &self.layers {
            x = layer.try_call(&x)?;
        }
        Ok(x)
    }

    fn hooks(&self) -> Option<&ModuleHooks> {
        Some(&self.hooks)
    }

    fn named_children(&self) -> Vec<(String, &dyn Module)> {
        self.layers
            .iter()
            .enumerate()
            .map(|(i, layer)| (i.to_string(), layer.as_ref()))
            .collect()
    }

    fn children_mut(&mut self) -> Vec<&mut dyn Module> {
        self.layers.iter_mut().map(|layer| layer.as_mut()).collect()
    }

    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        unique_by_identity(
            self.layers
                .iter()
                .enumerate()
                .flat_map(|(i, layer)| {
                    layer
                        .named_parameters()
                        .into_iter()
                        .map(move |(name, p)| (format!("{i}.{name}"), p))
                })
                .collect(),
        )
    }

    fn parameters_mut(&mut self) -> Vec<&mut Tensor> {
        self.layers
            .iter_mut()
            .flat_map(|layer| layer.parameters_mut())
            .collect()
    }

    fn named_buffers(&self) -> Vec<(String, Tensor)> {
        self.layers
            .iter()
            .enumerate()
            .flat_map(|(i, layer)| {
                layer
                    .named_buffers()
                    .into_iter()
                    .map(move |(name, b)| (format!("{i}.{name}"), b))
            })
            .collect()
    }

    fn buffers_mut(&mut self) -> Vec<&mut Tensor> {
        self.layers
            .iter_mut()
            .flat_map(|layer| layer.buffers_mut())
            .collect()
    }

    fn is_training(&self) -> bool {
        self.training
    }

    fn set_training(&mut self, training: bool) {
        self.training = training;
        self.layers
            .iter_mut()
            .for_each(|l| l.set_training(training));
    }
}

/// Activation modules: wrappers of elementwise functions, holding only
/// their hooks. Each name is also a constant, so `ReLU` alone makes one, as
/// `nn.ReLU()` does.
macro_rules! activation {
    ($($name:ident, $method:ident, $torch:literal;)*) => {
        $(
            #[doc = concat!("PyTorch equivalent: `", $torch, "`.")]
            #[derive(Clone, Debug, Default)]
            pub struct $name {
                hooks: ModuleHooks,
            }

            #[doc = concat!("A new `", stringify!($name), "` (`", $torch, "`).")]
            // A constant, not a static: each use is a new module with hooks
            // of its own, as each `nn.ReLU()` is.
            #[allow(non_upper_case_globals, clippy::declare_interior_mutable_const)]
            pub const $name: $name = $name { hooks: ModuleHooks::new() };

            impl Module for $name {
                fn try_forward(&self, input: &Tensor) -> Result<Tensor> {
                    Ok(input.$method())
                }

                fn hooks(&self) -> Option<&ModuleHooks> {
                    Some(&self.hooks)
                }
            }
        )*
    };
}

activation! {
    ReLU, relu, "nn.ReLU()";
    Sigmoid, sigmoid, "nn.Sigmoid()";
    Tanh, tanh, "nn.Tanh()";
}
