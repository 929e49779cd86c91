//! An optimizer's state as PyTorch's `optimizer.state_dict()` holds it:
//! each parameter's state tensors by parameter index, and each group's
//! hyper-parameters with the indices of its parameters; saved to and read
//! from a safetensors file.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use autograd::Tensor;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};
use serialization::{SerializationError, StateDict};

use crate::OptimError;

/// What a resumed run needs of an optimizer. PyTorch equivalent: the dict
/// `optimizer.state_dict()` returns, `{"state": ..., "param_groups": ...}`.
#[derive(Clone, Debug, Default)]
pub struct OptimizerStateDict {
    /// Each parameter's state, by its index over all groups in order; a
    /// parameter not yet updated has none. The names are PyTorch's:
    /// `momentum_buffer` (SGD), `step`, `exp_avg`, `exp_avg_sq`,
    /// `max_exp_avg_sq` (Adam), `square_avg`, `grad_avg` (RMSprop), `sum` (Adagrad).
    pub state: BTreeMap<usize, StateDict>,
    /// Each group's hyper-parameters and `"params"`, the indices of its
    /// parameters: `{"lr": 0.1, "momentum": 0.9, ..., "params": [0, 1]}`.
    pub param_groups: Vec<Map<String, Value>>,
}

impl OptimizerStateDict {
    /// Writes the state to a safetensors file: tensor `state.{index}.{name}`
    /// for each state tensor, and the groups as JSON in the header's
    /// `param_groups` metadata. PyTorch equivalent: `torch.save(optimizer.state_dict(), path)`.
    ///
    /// # Errors
    /// If the file cannot be written.
    pub fn save_file(&self, path: impl AsRef<Path>) -> serialization::Result<()> {
        let mut tensors = StateDict::new();
        for (index, state) in &self.state {
            for (name, t) in state {
                tensors.insert(format!("state.{index}.{name}"), t.clone());
            }
        }
        let groups = Value::Array(
            self.param_groups
                .iter()
                .cloned()
                .map(Value::Object)
                .collect(),
        );
        let metadata = HashMap::from([("param_groups".to_string(), groups.to_string())]);
        serialization::save_file_with_metadata(&tensors, &metadata, path)
    }

    /// Reads a file [`save_file`](OptimizerStateDict::save_file) wrote.
    /// PyTorch equivalent: `torch.load(path)`.
    ///
    /// # Errors
    /// As `serialization::load_file`, and if the file has no optimizer
    /// state (no `param_groups` metadata, or tensors not named `state.{index}.{name}`).
    pub fn load_file(path: impl AsRef<Path>) -> serialization::Result<OptimizerStateDict> {
        let path = path.as_ref();
        let invalid = |message: String| SerializationError::Format {
            path: path.to_path_buf(),
            message: format!("not an optimizer state file: {message}"),
        };
        let (tensors, metadata) = serialization::load_file_with_metadata(path)?;
        let groups = metadata
            .get("param_groups")
            .ok_or_else(|| invalid("no param_groups metadata".into()))?;
        let param_groups = match serde_json::from_str(groups) {
            Ok(Value::Array(groups)) => groups
                .into_iter()
                .map(|g| match g {
                    Value::Object(g) => Ok(g),
                    other => Err(invalid(format!("a parameter group is {other}"))),
                })
                .collect::<serialization::Result<Vec<_>>>()?,
            _ => return Err(invalid("param_groups is not a JSON list".into())),
        };
        let mut state: BTreeMap<usize, StateDict> = BTreeMap::new();
        for (key, t) in tensors {
            let parsed = key
                .strip_prefix("state.")
                .and_then(|rest| rest.split_once('.'))
                .and_then(|(index, name)| Some((index.parse::<usize>().ok()?, name)));
            let (index, name) = parsed.ok_or_else(|| invalid(format!("tensor '{key}'")))?;
            state.entry(index).or_default().insert(name.to_string(), t);
        }
        Ok(OptimizerStateDict {
            state,
            param_groups,
        })
    }
}

/// One parameter's optimizer state, as named tensors.
pub(crate) trait ParamState: Sized {
    /// The state's tensors under PyTorch's names.
    fn to_tensors(&self) -> StateDict;
    /// The state read back, its float tensors converted to `param`'s dtype
    /// (as PyTorch's `load_state_dict` casts them).
    fn from_tensors(tensors: &StateDict, param: &Tensor) -> Result<Self, String>;
}

/// The tensor `name` of a parameter's saved state, checked against the
/// parameter's shape and converted to its dtype.
pub(crate) fn state_tensor(
    tensors: &StateDict,
    name: &str,
    param: &Tensor,
) -> Result<tensor::Tensor, String> {
    let t = tensors
        .get(name)
        .ok_or_else(|| format!("its state has no '{name}'"))?
        .value();
    if t.shape() != param.shape().as_slice() {
        return Err(format!(
            "'{name}' has shape {:?}, the parameter {:?}",
            t.shape(),
            param.shape()
        ));
    }
    if !t.dtype().is_floating_point() {
        return Err(format!("'{name}' has dtype {}", t.dtype()));
    }
    // A copy: the optimizer's state never aliases the dict it was loaded from.
    Ok(t.to_dtype(param.dtype()).clone())
}

/// The optional tensor `name` (present only with some options).
pub(crate) fn optional_state_tensor(
    tensors: &StateDict,
    name: &str,
    param: &Tensor,
) -> Result<Option<tensor::Tensor>, String> {
    match tensors.contains_key(name) {
        true => state_tensor(tensors, name, param).map(Some),
        false => Ok(None),
    }
}

/// A step count saved as PyTorch saves it: a float32 scalar tensor.
pub(crate) fn step_tensor(step: u64) -> Tensor {
    Tensor::scalar(step as f32)
}

/// A saved step count (any numeric dtype; 0-d or one element).
pub(crate) fn read_step(tensors: &StateDict) -> Result<u64, String> {
    let t = tensors.get("step").ok_or("its state has no 'step'")?;
    let step = t
        .value()
        .try_item_as::<f64>()
        .map_err(|e| format!("'step': {e}"))?;
    // Adam's bias corrections raise betas to the step as an i32.
    match (0.0..=f64::from(i32::MAX)).contains(&step) && step.fract() == 0.0 {
        true => Ok(step as u64),
        false => Err(format!("'step' is {step}")),
    }
}

/// A group's options as a JSON object (PyTorch's group dict without `params`).
pub(crate) fn options_to_json<O: Serialize>(options: &O) -> Map<String, Value> {
    match serde_json::to_value(options) {
        Ok(Value::Object(map)) => map,
        _ => unreachable!("options are structs of numbers and flags"),
    }
}

/// A group's options read from its JSON object (`params` ignored).
pub(crate) fn options_from_json<O: DeserializeOwned>(
    optimizer: &'static str,
    group: &Map<String, Value>,
) -> Result<O, OptimError> {
    let mut fields = group.clone();
    fields.remove("params");
    serde_json::from_value(Value::Object(fields)).map_err(|e| OptimError::StateDict {
        optimizer,
        message: format!("a parameter group's options cannot be read: {e}"),
    })
}
