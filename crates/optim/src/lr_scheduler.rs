//! Learning-rate schedulers, computing each step's rates exactly as
//! PyTorch's (`torch.optim.lr_scheduler`, its recursive `get_lr` forms, so
//! the floating-point results agree). A scheduler is built on an optimizer
//! (which, as in PyTorch, takes the schedule's first rates at once) and
//! advanced with `step(&mut optimizer)`, once per epoch or batch.
//!
//! ```
//! use autograd::Tensor;
//! use optim::lr_scheduler::{LrScheduler, StepLR};
//! use optim::{Adam, Optimizer};
//!
//! let w = Tensor::zeros(&[1]).requires_grad_(true);
//! let mut opt = Adam::new(vec![w], 0.1)?;
//! let mut schedule = StepLR::new(&mut opt, 2, 0.5);
//! for _ in 0..4 {
//!     opt.step();
//!     schedule.step(&mut opt);
//! }
//! assert_eq!(schedule.get_last_lr(), vec![0.025]);
//! # Ok::<(), optim::OptimError>(())
//! ```

use std::f64::consts::PI;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{OptimError, Optimizer};

/// A schedule of learning rates, one value per parameter group.
/// PyTorch equivalent: `torch.optim.lr_scheduler.LRScheduler`.
pub trait LrScheduler {
    /// Advances the schedule one step and sets the optimizer's rates.
    /// PyTorch equivalent: `scheduler.step()`.
    fn step(&mut self, optimizer: &mut dyn Optimizer);

    /// The rates the last step set. PyTorch equivalent: `scheduler.get_last_lr()`.
    fn get_last_lr(&self) -> Vec<f64>;

    /// Everything the scheduler holds (its settings, step count, base and
    /// last rates), as a JSON object. PyTorch equivalent: `scheduler.state_dict()`.
    fn state_dict(&self) -> Value;

    /// Restores what [`state_dict`](LrScheduler::state_dict) returned.
    /// PyTorch equivalent: `scheduler.load_state_dict(state_dict)`.
    ///
    /// # Errors
    /// [`OptimError::StateDict`] if `state` is not this scheduler's state.
    fn load_state_dict(&mut self, state: &Value) -> Result<(), OptimError>;
}

/// A scheduler's state as JSON.
fn to_state<T: Serialize>(scheduler: &T) -> Value {
    serde_json::to_value(scheduler).expect("a scheduler is plain data")
}

/// A scheduler read back from its JSON state.
fn from_state<T: DeserializeOwned>(name: &'static str, state: &Value) -> Result<T, OptimError> {
    serde_json::from_value(state.clone()).map_err(|e| OptimError::StateDict {
        optimizer: name,
        message: format!("not a {name} state: {e}"),
    })
}

/// `state_dict` and `load_state_dict` for a scheduler type (inside its
/// `impl LrScheduler`, or as inherent methods).
macro_rules! scheduler_state {
    ($name:ident) => {
        fn state_dict(&self) -> Value {
            to_state(self)
        }

        fn load_state_dict(&mut self, state: &Value) -> Result<(), OptimError> {
            let loaded: $name = from_state(stringify!($name), state)?;
            check_loaded(stringify!($name), &loaded.counts())?;
            *self = loaded;
            Ok(())
        }
    };
}

/// Refuses a loaded state whose step counts (`step_size`, `t_max`,
/// `total_steps`) are 0: the constructors never make one, and the schedule
/// divides by them.
fn check_loaded(name: &'static str, counts: &[(&'static str, usize)]) -> Result<(), OptimError> {
    match counts.iter().find(|(_, count)| *count == 0) {
        Some((field, _)) => Err(OptimError::StateDict {
            optimizer: name,
            message: format!("not a {name} state: {field} is 0"),
        }),
        None => Ok(()),
    }
}

/// What every scheduler tracks: the groups' initial rates, the step count
/// and the last rates.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Schedule {
    base_lrs: Vec<f64>,
    last_epoch: i64,
    #[serde(rename = "_last_lr")]
    last_lr: Vec<f64>,
}

impl Schedule {
    fn new(optimizer: &dyn Optimizer) -> Schedule {
        let base_lrs = optimizer.group_lrs();
        Schedule {
            last_lr: base_lrs.clone(),
            base_lrs,
            last_epoch: -1,
        }
    }

    /// The new rates of one step, `rate(group's current rate, its base
    /// rate, the new epoch)` for each group.
    fn next_rates(
        &self,
        optimizer: &dyn Optimizer,
        rate: impl Fn(f64, f64, i64) -> f64,
    ) -> Vec<f64> {
        let epoch = self.last_epoch + 1;
        let current = optimizer.group_lrs();
        current
            .iter()
            .zip(&self.base_lrs)
            .map(|(&lr, &base)| rate(lr, base, epoch))
            .collect()
    }

    /// Sets `rates` on the optimizer and records the step.
    fn apply(&mut self, optimizer: &mut dyn Optimizer, rates: Vec<f64>) {
        self.last_epoch += 1;
        for (group, lr) in rates.into_iter().enumerate() {
            optimizer.set_group_lr(group, lr);
        }
        self.last_lr = optimizer.group_lrs();
    }
}

/// Declares a scheduler's `LrScheduler` impl over its `schedule` field and
/// its `rate(&self, lr, base, epoch)` method.
macro_rules! scheduler {
    ($($name:ident),*) => {$(
        impl LrScheduler for $name {
            fn step(&mut self, optimizer: &mut dyn Optimizer) {
                let rates = self.schedule.next_rates(optimizer, |lr, base, epoch| self.rate(lr, base, epoch));
                self.schedule.apply(optimizer, rates);
            }

            fn get_last_lr(&self) -> Vec<f64> {
                self.schedule.last_lr.clone()
            }

            scheduler_state!($name);
        }
    )*};
}

scheduler!(
    StepLR,
    MultiStepLR,
    ExponentialLR,
    CosineAnnealingLR,
    LinearLR
);

/// Multiplies the rates by `gamma` every `step_size` steps.
/// PyTorch equivalent: `StepLR(optimizer, step_size, gamma)`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StepLR {
    #[serde(flatten)]
    schedule: Schedule,
    pub step_size: usize,
    pub gamma: f64,
}

impl StepLR {
    /// The step counts a loaded state must not have at 0.
    fn counts(&self) -> Vec<(&'static str, usize)> {
        vec![("step_size", self.step_size)]
    }

    /// The schedule, with the optimizer at its first step.
    pub fn new(optimizer: &mut dyn Optimizer, step_size: usize, gamma: f64) -> StepLR {
        let mut s = StepLR {
            schedule: Schedule::new(optimizer),
            step_size: step_size.max(1),
            gamma,
        };
        s.step(optimizer);
        s
    }

    fn rate(&self, lr: f64, _base: f64, epoch: i64) -> f64 {
        match epoch == 0 || epoch % self.step_size as i64 != 0 {
            true => lr,
            false => lr * self.gamma,
        }
    }
}

/// Multiplies the rates by `gamma` at each milestone step.
/// PyTorch equivalent: `MultiStepLR(optimizer, milestones, gamma)`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MultiStepLR {
    #[serde(flatten)]
    schedule: Schedule,
    pub milestones: Vec<usize>,
    pub gamma: f64,
}

impl MultiStepLR {
    /// The step counts a loaded state must not have at 0.
    fn counts(&self) -> Vec<(&'static str, usize)> {
        Vec::new()
    }

    /// The schedule, with the optimizer at its first step.
    pub fn new(optimizer: &mut dyn Optimizer, milestones: &[usize], gamma: f64) -> MultiStepLR {
        let mut s = MultiStepLR {
            schedule: Schedule::new(optimizer),
            milestones: milestones.to_vec(),
            gamma,
        };
        s.step(optimizer);
        s
    }

    fn rate(&self, lr: f64, _base: f64, epoch: i64) -> f64 {
        let hits = self
            .milestones
            .iter()
            .filter(|&&m| m as i64 == epoch)
            .count();
        lr * self.gamma.powi(hits as i32)
    }
}

/// Multiplies the rates by `gamma` every step.
/// PyTorch equivalent: `ExponentialLR(optimizer, gamma)`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ExponentialLR {
    #[serde(flatten)]
    schedule: Schedule,
    pub gamma: f64,
}

impl ExponentialLR {
    /// The step counts a loaded state must not have at 0.
    fn counts(&self) -> Vec<(&'static str, usize)> {
        Vec::new()
    }

    /// The schedule, with the optimizer at its first step.
    pub fn new(optimizer: &mut dyn Optimizer, gamma: f64) -> ExponentialLR {
        let mut s = ExponentialLR {
            schedule: Schedule::new(optimizer),
            gamma,
        };
        s.step(optimizer);
        s
    }

    fn rate(&self, lr: f64, _base: f64, epoch: i64) -> f64 {
        match epoch {
            0 => lr,
            _ => lr * self.gamma,
        }
    }
}

/// Anneals the rates from their initial values to `eta_min` along a
/// cosine over `t_max` steps (and back up, periodically, past it).
/// PyTorch equivalent: `CosineAnnealingLR(optimizer, T_max, eta_min)`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CosineAnnealingLR {
    #[serde(flatten)]
    schedule: Schedule,
    pub t_max: usize,
    pub eta_min: f64,
}

impl CosineAnnealingLR {
    /// The step counts a loaded state must not have at 0.
    fn counts(&self) -> Vec<(&'static str, usize)> {
        vec![("t_max", self.t_max)]
    }

    /// The schedule, with the optimizer at its first step.
    pub fn new(optimizer: &mut dyn Optimizer, t_max: usize, eta_min: f64) -> CosineAnnealingLR {
        let mut s = CosineAnnealingLR {
            schedule: Schedule::new(optimizer),
            t_max: t_max.max(1),
            eta_min,
        };
        s.step(optimizer);
        s
    }

    fn rate(&self, lr: f64, base: f64, epoch: i64) -> f64 {
        let (t, eta) = (self.t_max as f64, self.eta_min);
        if epoch == 0 {
            lr
        } else if (epoch - 1 - self.t_max as i64).rem_euclid(2 * self.t_max as i64) == 0 {
            lr + (base - eta) * (1.0 - (PI / t).cos()) / 2.0
        } else {
            (1.0 + (PI * epoch as f64 / t).cos()) / (1.0 + (PI * (epoch - 1) as f64 / t).cos())
                * (lr - eta)
                + eta
        }
    }
}

/// Scales the rates by a factor going linearly from `start_factor` to
/// `end_factor` over `total_iters` steps. PyTorch equivalent:
/// `LinearLR(optimizer, start_factor, end_factor, total_iters)` (defaults 1/3, 1, 5).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LinearLR {
    #[serde(flatten)]
    schedule: Schedule,
    pub start_factor: f64,
    pub end_factor: f64,
    pub total_iters: usize,
}

impl LinearLR {
    /// The step counts a loaded state must not have at 0.
    fn counts(&self) -> Vec<(&'static str, usize)> {
        Vec::new()
    }

    /// The schedule, with the optimizer at its first step.
    ///
    /// # Errors
    /// If `start_factor` is not in `(0, 1]` or `end_factor` not in `[0, 1]`.
    pub fn new(
        optimizer: &mut dyn Optimizer,
        start_factor: f64,
        end_factor: f64,
        total_iters: usize,
    ) -> Result<LinearLR, OptimError> {
        let invalid = |name, value: f64| OptimError::InvalidHyperParameter {
            optimizer: "LinearLR",
            name,
            value: value as f32,
        };
        if !(start_factor > 0.0 && start_factor <= 1.0) {
            return Err(invalid(
                "start_factor (expected greater than 0 and less or equal to 1)",
                start_factor,
            ));
        }
        if !(0.0..=1.0).contains(&end_factor) {
            return Err(invalid("end_factor (expected between 0 and 1)", end_factor));
        }
        let mut s = LinearLR {
            schedule: Schedule::new(optimizer),
            start_factor,
            end_factor,
            total_iters,
        };
        s.step(optimizer);
        Ok(s)
    }

    fn rate(&self, lr: f64, _base: f64, epoch: i64) -> f64 {
        let (start, end, total) = (self.start_factor, self.end_factor, self.total_iters as f64);
        if epoch == 0 {
            lr * start
        } else if epoch > self.total_iters as i64 {
            lr
        } else {
            lr * (1.0 + (end - start) / (total * start + (epoch - 1) as f64 * (end - start)))
        }
    }
}

/// How `OneCycleLR` moves between two values. PyTorch: `anneal_strategy`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Anneal {
    #[default]
    Cos,
    Linear,
}

impl Anneal {
    fn at(self, start: f64, end: f64, pct: f64) -> f64 {
        match self {
            Anneal::Cos => end + (start - end) / 2.0 * ((PI * pct).cos() + 1.0),
            Anneal::Linear => (end - start) * pct + start,
        }
    }
}

/// `OneCycleLR`'s options, with PyTorch's defaults except the required ones.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct OneCycleOptions {
    pub pct_start: f64,
    pub anneal_strategy: Anneal,
    pub cycle_momentum: bool,
    pub base_momentum: f64,
    pub max_momentum: f64,
    pub div_factor: f64,
    pub final_div_factor: f64,
    pub three_phase: bool,
}

impl Default for OneCycleOptions {
    fn default() -> Self {
        OneCycleOptions {
            pct_start: 0.3,
            anneal_strategy: Anneal::Cos,
            cycle_momentum: true,
            base_momentum: 0.85,
            max_momentum: 0.95,
            div_factor: 25.0,
            final_div_factor: 1e4,
            three_phase: false,
        }
    }
}

/// The one-cycle policy: the rate warms up from `max_lr / div_factor` to
/// `max_lr`, then anneals to `initial / final_div_factor`, over
/// `total_steps` steps; the momentum (SGD's, RMSprop's, Adam's β₁) moves
/// the opposite way. PyTorch equivalent: `OneCycleLR(optimizer, max_lr,
/// total_steps, pct_start, anneal_strategy, cycle_momentum, base_momentum,
/// max_momentum, div_factor, final_div_factor, three_phase)`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OneCycleLR {
    last_step: i64,
    total_steps: usize,
    options: OneCycleOptions,
    /// Per group: initial, max and min rates.
    rates: Vec<(f64, f64, f64)>,
    #[serde(rename = "_last_lr")]
    last_lr: Vec<f64>,
}

impl OneCycleLR {
    /// The step counts a loaded state must not have at 0.
    fn counts(&self) -> Vec<(&'static str, usize)> {
        vec![("total_steps", self.total_steps)]
    }

    /// The schedule for `max_lr` (one per group, or one for all), with the
    /// optimizer at its first step.
    ///
    /// # Errors
    /// For `total_steps` of 0, `pct_start` outside `[0, 1]`, or
    /// `cycle_momentum` on an optimizer without momentum (Adagrad).
    pub fn new(
        optimizer: &mut dyn Optimizer,
        max_lr: &[f64],
        total_steps: usize,
        options: OneCycleOptions,
    ) -> Result<OneCycleLR, OptimError> {
        let invalid = |name, value: f64| OptimError::InvalidHyperParameter {
            optimizer: "OneCycleLR",
            name,
            value: value as f32,
        };
        if total_steps == 0 {
            return Err(invalid("total_steps (expected a positive integer)", 0.0));
        }
        if !(0.0..=1.0).contains(&options.pct_start) {
            return Err(invalid(
                "pct_start (expected between 0 and 1)",
                options.pct_start,
            ));
        }
        let groups = optimizer.group_lrs().len();
        let rates = (0..groups)
            .map(|g| {
                let max = *max_lr.get(g).or(max_lr.last()).unwrap_or(&0.0);
                let initial = max / options.div_factor;
                (initial, max, initial / options.final_div_factor)
            })
            .collect();
        let mut s = OneCycleLR {
            last_step: -1,
            total_steps,
            options,
            rates,
            last_lr: Vec::new(),
        };
        if options.cycle_momentum {
            for g in 0..groups {
                if !optimizer.set_group_momentum(g, options.max_momentum) {
                    return Err(invalid(
                        "optimizer (it must support momentum or beta1 with `cycle_momentum` enabled)",
                        0.0,
                    ));
                }
            }
        }
        s.step(optimizer);
        Ok(s)
    }

    /// The phases: (end step, which rate to start from, to end at, momentum from, to).
    fn phases(&self) -> Vec<(f64, usize, usize, f64, f64)> {
        let (o, total) = (&self.options, self.total_steps as f64);
        let (base_m, max_m) = (o.base_momentum, o.max_momentum);
        match o.three_phase {
            true => vec![
                (o.pct_start * total - 1.0, 0, 1, max_m, base_m),
                (2.0 * o.pct_start * total - 2.0, 1, 0, base_m, max_m),
                (total - 1.0, 0, 2, max_m, max_m),
            ],
            false => vec![
                (o.pct_start * total - 1.0, 0, 1, max_m, base_m),
                (total - 1.0, 1, 2, base_m, max_m),
            ],
        }
    }
}

impl LrScheduler for OneCycleLR {
    /// # Panics
    /// Stepping more than `total_steps` times, as PyTorch raises.
    fn step(&mut self, optimizer: &mut dyn Optimizer) {
        self.last_step += 1;
        let step = self.last_step as f64;
        assert!(
            self.last_step <= self.total_steps as i64,
            "OneCycleLR: tried to step {} times; the total number of steps is {}",
            self.last_step,
            self.total_steps
        );
        let phases = self.phases();
        for (group, &(initial, max, min)) in self.rates.iter().enumerate() {
            let by_index = [initial, max, min];
            let mut start_step = 0.0;
            for (i, &(end_step, from, to, m_from, m_to)) in phases.iter().enumerate() {
                if step <= end_step || i == phases.len() - 1 {
                    let pct = (step - start_step) / (end_step - start_step);
                    let anneal = self.options.anneal_strategy;
                    optimizer.set_group_lr(group, anneal.at(by_index[from], by_index[to], pct));
                    if self.options.cycle_momentum {
                        optimizer.set_group_momentum(group, anneal.at(m_from, m_to, pct));
                    }
                    break;
                }
                start_step = end_step;
            }
        }
        self.last_lr = optimizer.group_lrs();
    }

    fn get_last_lr(&self) -> Vec<f64> {
        self.last_lr.clone()
    }

    scheduler_state!(OneCycleLR);
}

/// Whether smaller or larger metrics are better. PyTorch: `mode`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum PlateauMode {
    #[default]
    Min,
    Max,
}

/// How `threshold` compares. PyTorch: `threshold_mode`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ThresholdMode {
    #[default]
    Rel,
    Abs,
}

/// `ReduceLROnPlateau`'s options, with PyTorch's defaults: min, factor
/// 0.1, patience 10, threshold 1e-4 (relative), no cooldown, no minimum.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlateauOptions {
    pub mode: PlateauMode,
    pub factor: f64,
    pub patience: usize,
    pub threshold: f64,
    pub threshold_mode: ThresholdMode,
    pub cooldown: usize,
    pub min_lr: f64,
    pub eps: f64,
}

impl Default for PlateauOptions {
    fn default() -> Self {
        PlateauOptions {
            mode: PlateauMode::Min,
            factor: 0.1,
            patience: 10,
            threshold: 1e-4,
            threshold_mode: ThresholdMode::Rel,
            cooldown: 0,
            min_lr: 0.0,
            eps: 1e-8,
        }
    }
}

/// Multiplies the rates by `factor` once the metric has not improved for
/// more than `patience` steps. PyTorch equivalent: `ReduceLROnPlateau(optimizer,
/// mode, factor, patience, threshold, threshold_mode, cooldown, min_lr, eps)`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ReduceLROnPlateau {
    pub options: PlateauOptions,
    best: Option<f64>,
    bad_epochs: usize,
    cooldown_counter: usize,
    #[serde(rename = "_last_lr")]
    last_lr: Vec<f64>,
}

impl ReduceLROnPlateau {
    /// The scheduler with `options`.
    pub fn new(options: PlateauOptions) -> ReduceLROnPlateau {
        ReduceLROnPlateau {
            options,
            best: None,
            bad_epochs: 0,
            cooldown_counter: 0,
            last_lr: Vec::new(),
        }
    }

    fn is_better(&self, current: f64, best: f64) -> bool {
        let o = &self.options;
        match (o.mode, o.threshold_mode) {
            (PlateauMode::Min, ThresholdMode::Rel) => current < best * (1.0 - o.threshold),
            (PlateauMode::Min, ThresholdMode::Abs) => current < best - o.threshold,
            (PlateauMode::Max, ThresholdMode::Rel) => current > best * (o.threshold + 1.0),
            (PlateauMode::Max, ThresholdMode::Abs) => current > best + o.threshold,
        }
    }

    /// Records `metric` and reduces the rates on a plateau.
    /// PyTorch equivalent: `scheduler.step(metric)`.
    pub fn step(&mut self, optimizer: &mut dyn Optimizer, metric: f64) {
        let o = self.options;
        let best = self.best.unwrap_or(match o.mode {
            PlateauMode::Min => f64::INFINITY,
            PlateauMode::Max => f64::NEG_INFINITY,
        });
        if self.is_better(metric, best) {
            self.best = Some(metric);
            self.bad_epochs = 0;
        } else {
            self.best = Some(best);
            self.bad_epochs += 1;
        }
        if self.cooldown_counter > 0 {
            self.cooldown_counter -= 1;
            self.bad_epochs = 0;
        }
        if self.bad_epochs > o.patience {
            for (group, old) in optimizer.group_lrs().into_iter().enumerate() {
                let new = (old * o.factor).max(o.min_lr);
                if old - new > o.eps {
                    optimizer.set_group_lr(group, new);
                }
            }
            self.cooldown_counter = o.cooldown;
            self.bad_epochs = 0;
        }
        self.last_lr = optimizer.group_lrs();
    }

    /// The rates after the last step. PyTorch equivalent: `scheduler.get_last_lr()`.
    pub fn get_last_lr(&self) -> Vec<f64> {
        self.last_lr.clone()
    }
}

/// The state of a plateau scheduler (its options, best metric, counters).
/// PyTorch equivalent: `scheduler.state_dict()` / `scheduler.load_state_dict(state)`.
impl ReduceLROnPlateau {
    /// Everything the scheduler holds, as a JSON object.
    pub fn state_dict(&self) -> Value {
        to_state(self)
    }

    /// Restores what [`state_dict`](ReduceLROnPlateau::state_dict) returned.
    ///
    /// # Errors
    /// [`OptimError::StateDict`] if `state` is not a `ReduceLROnPlateau` state.
    pub fn load_state_dict(&mut self, state: &Value) -> Result<(), OptimError> {
        *self = from_state("ReduceLROnPlateau", state)?;
        Ok(())
    }
}
