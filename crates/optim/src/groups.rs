//! Parameter groups: lists of parameters sharing hyper-parameters, and the
//! per-parameter state every optimizer keeps. PyTorch equivalent: the
//! dicts of `optimizer.param_groups` and `optimizer.state`.

use autograd::Tensor;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::state_dict::{options_from_json, options_to_json, OptimizerStateDict, ParamState};
use crate::OptimError;

/// Parameters that share hyper-parameters `O` (e.g. weight decay on the
/// weights only, as the book's section does). PyTorch equivalent: one
/// entry of `param_groups`, `{"params": [...], "weight_decay": ...}`.
#[derive(Clone, Debug)]
pub struct ParamGroup<O> {
    pub params: Vec<Tensor>,
    pub options: O,
}

impl<O> ParamGroup<O> {
    /// A group of `params` with `options`.
    pub fn new(params: Vec<Tensor>, options: O) -> ParamGroup<O> {
        ParamGroup { params, options }
    }
}

/// Hyper-parameters that include a learning rate (what schedulers change).
pub trait LearningRate {
    /// The learning rate.
    fn lr(&self) -> f64;
    /// Sets the learning rate.
    fn set_lr(&mut self, lr: f64);
}

/// The groups of one optimizer and each parameter's state `S`, created at
/// its first update (PyTorch's lazy state initialisation).
pub(crate) struct Groups<O, S> {
    optimizer: &'static str,
    pub(crate) groups: Vec<ParamGroup<O>>,
    pub(crate) state: Vec<Vec<Option<S>>>,
    /// Every parameter, in group order.
    flat: Vec<Tensor>,
    /// Checks a group's options (at construction, `add`, and loading).
    validate: fn(&O) -> Result<(), OptimError>,
}

impl<O, S> Groups<O, S> {
    /// Checks the parameters (at least one, leaves, none twice across all
    /// groups) and each group's options with `validate`.
    pub(crate) fn new(
        optimizer: &'static str,
        groups: Vec<ParamGroup<O>>,
        validate: fn(&O) -> Result<(), OptimError>,
    ) -> Result<Self, OptimError> {
        let flat: Vec<Tensor> = groups
            .iter()
            .flat_map(|g| g.params.iter().cloned())
            .collect();
        crate::check_parameters(optimizer, &flat)?;
        for group in &groups {
            validate(&group.options)?;
        }
        let state = groups
            .iter()
            .map(|g| g.params.iter().map(|_| None).collect())
            .collect();
        Ok(Groups {
            optimizer,
            groups,
            state,
            flat,
            validate,
        })
    }

    /// Adds a group after the same checks, against the parameters already held.
    pub(crate) fn add(&mut self, group: ParamGroup<O>) -> Result<(), OptimError> {
        let mut all = self.flat.clone();
        all.extend(group.params.iter().cloned());
        crate::check_parameters(self.optimizer, &all)?;
        (self.validate)(&group.options)?;
        self.state.push(group.params.iter().map(|_| None).collect());
        self.flat = all;
        self.groups.push(group);
        Ok(())
    }

    pub(crate) fn parameters(&self) -> &[Tensor] {
        &self.flat
    }

    /// Calls `update` for every parameter that has a gradient, with its
    /// group's options, the parameter, its gradient and its state.
    pub(crate) fn for_each_with_grad(
        &mut self,
        mut update: impl FnMut(&O, &Tensor, Tensor, &mut Option<S>),
    ) {
        let _guard = autograd::no_grad();
        for (group, states) in self.groups.iter().zip(&mut self.state) {
            for (p, state) in group.params.iter().zip(states) {
                if let Some(grad) = p.grad() {
                    update(&group.options, p, grad, state);
                }
            }
        }
    }
}

impl<O: Serialize + DeserializeOwned, S: ParamState> Groups<O, S> {
    /// The groups' options and the parameters' state, parameters numbered
    /// over all groups in order (PyTorch's numbering).
    pub(crate) fn state_dict(&self) -> OptimizerStateDict {
        let mut out = OptimizerStateDict::default();
        let mut index = 0;
        for (group, states) in self.groups.iter().zip(&self.state) {
            let mut json = options_to_json(&group.options);
            let ids: Vec<usize> = (index..index + group.params.len()).collect();
            json.insert("params".into(), ids.into());
            out.param_groups.push(json);
            for (i, state) in states.iter().enumerate() {
                if let Some(state) = state {
                    out.state.insert(index + i, state.to_tensors());
                }
            }
            index += group.params.len();
        }
        out
    }

    /// Replaces every group's options and every parameter's state with the
    /// saved ones, after checking all of them (on an error nothing changes).
    pub(crate) fn load_state_dict(&mut self, saved: &OptimizerStateDict) -> Result<(), OptimError> {
        let optimizer = self.optimizer;
        let fail = |message: String| OptimError::StateDict { optimizer, message };
        if saved.param_groups.len() != self.groups.len() {
            return Err(fail(format!(
                "loaded state dict has a different number of parameter groups ({}, the optimizer has {})",
                saved.param_groups.len(),
                self.groups.len()
            )));
        }
        let mut options = Vec::with_capacity(self.groups.len());
        let mut states = Vec::with_capacity(self.groups.len());
        for (group, json) in self.groups.iter().zip(&saved.param_groups) {
            let ids: Vec<usize> = json
                .get("params")
                .and_then(|p| p.as_array())
                .and_then(|ids| {
                    ids.iter()
                        .map(|id| id.as_u64().map(|id| id as usize))
                        .collect()
                })
                .ok_or_else(|| fail("a parameter group has no list of parameter indices".into()))?;
            if ids.len() != group.params.len() {
                return Err(fail(format!(
                    "loaded state dict contains a parameter group that doesn't match the size of optimizer's group ({} parameters, the optimizer's group has {})",
                    ids.len(),
                    group.params.len()
                )));
            }
            let group_options: O = options_from_json(optimizer, json)?;
            (self.validate)(&group_options)?;
            options.push(group_options);
            let group_states = group
                .params
                .iter()
                .zip(&ids)
                .map(|(param, id)| match saved.state.get(id) {
                    Some(tensors) => S::from_tensors(tensors, param)
                        .map(Some)
                        .map_err(|m| fail(format!("parameter {id}: {m}"))),
                    None => Ok(None),
                })
                .collect::<Result<Vec<_>, _>>()?;
            states.push(group_states);
        }
        for (group, group_options) in self.groups.iter_mut().zip(options) {
            group.options = group_options;
        }
        self.state = states;
        Ok(())
    }
}

impl<O: LearningRate, S> Groups<O, S> {
    pub(crate) fn lrs(&self) -> Vec<f64> {
        self.groups.iter().map(|g| g.options.lr()).collect()
    }

    pub(crate) fn set_lr(&mut self, group: usize, lr: f64) {
        if let Some(g) = self.groups.get_mut(group) {
            g.options.set_lr(lr);
        }
    }

    /// Changes group `group`'s options with `f` (nothing for a missing group).
    pub(crate) fn update_options(&mut self, group: usize, f: impl FnOnce(&mut O)) {
        if let Some(g) = self.groups.get_mut(group) {
            f(&mut g.options);
        }
    }
}

/// Fails with PyTorch's message unless `value` is non-negative (NaN fails).
pub(crate) fn non_negative(
    optimizer: &'static str,
    name: &'static str,
    value: f64,
) -> Result<(), OptimError> {
    match value >= 0.0 {
        true => Ok(()),
        false => Err(OptimError::InvalidHyperParameter {
            optimizer,
            name,
            value: value as f32,
        }),
    }
}

/// The parameter-group constructors and accessors every optimizer shares,
/// expanded inside its `impl` block: `with_options`, `with_groups`,
/// `add_param_group`, `param_groups`. The optimizer holds its groups in a
/// field named `groups`.
macro_rules! group_constructors {
    ($options:ty, $label:literal, $validate:expr) => {
        /// The optimizer over one group of `params` with `options`.
        ///
        /// # Errors
        /// A bad parameter list (empty, a non-leaf, a parameter twice) or an
        /// invalid option, with PyTorch's message.
        pub fn with_options(params: Vec<Tensor>, options: $options) -> Result<Self, OptimError> {
            Self::with_groups(vec![ParamGroup::new(params, options)])
        }

        /// The optimizer over parameter groups with options of their own.
        /// PyTorch equivalent: passing `[{"params": ..., "lr": ...}, ...]`.
        ///
        /// # Errors
        /// As `with_options`, for any group; a parameter in two groups is a duplicate.
        pub fn with_groups(groups: Vec<ParamGroup<$options>>) -> Result<Self, OptimError> {
            Ok(Self {
                groups: $crate::groups::Groups::new($label, groups, $validate)?,
            })
        }

        /// Adds a group. PyTorch equivalent: `optimizer.add_param_group(group)`.
        ///
        /// # Errors
        /// As `with_groups`, including a parameter already held.
        pub fn add_param_group(&mut self, group: ParamGroup<$options>) -> Result<(), OptimError> {
            self.groups.add(group)
        }

        /// The groups. PyTorch equivalent: `optimizer.param_groups`.
        pub fn param_groups(&self) -> &[ParamGroup<$options>] {
            &self.groups.groups
        }
    };
}
pub(crate) use group_constructors;

/// The `Optimizer` methods every grouped optimizer shares, expanded inside
/// its `impl Optimizer` block: `zero_grad`, `parameters`, `group_lrs`,
/// `set_group_lr`, `state_dict`, `load_state_dict`.
macro_rules! group_methods {
    () => {
        fn state_dict(&self) -> $crate::OptimizerStateDict {
            self.groups.state_dict()
        }

        fn load_state_dict(
            &mut self,
            state_dict: &$crate::OptimizerStateDict,
        ) -> Result<(), OptimError> {
            self.groups.load_state_dict(state_dict)
        }

        fn zero_grad(&mut self) {
            self.groups.parameters().iter().for_each(Tensor::clear_grad);
        }

        fn parameters(&self) -> &[Tensor] {
            self.groups.parameters()
        }

        fn group_lrs(&self) -> Vec<f64> {
            self.groups.lrs()
        }

        fn set_group_lr(&mut self, group: usize, lr: f64) {
            self.groups.set_lr(group, lr)
        }
    };
}
pub(crate) use group_methods;
