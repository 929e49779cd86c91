//! A module's `state_dict`: every parameter and buffer under PyTorch's
//! dotted name, and loading one back with PyTorch's `strict` rules.

use std::fmt;

use autograd::Tensor;
use serialization::StateDict;

use crate::module::Module;

/// Every `(name, tensor)` a module saves, in PyTorch's order: each module
/// (depth first, itself before its children) lists its parameters, then its
/// buffers. A tensor held by two modules is listed under both names, as in
/// PyTorch. The tensors are the module's own handles.
pub(crate) fn entries(module: &dyn Module) -> Vec<(String, Tensor)> {
    let mut out: Vec<(String, Tensor)> = Vec::new();
    for (prefix, m) in module.named_modules() {
        let own = m.named_parameters().into_iter().chain(m.named_buffers());
        // A module's own tensors have plain names; dotted ones belong to children.
        for (name, t) in own.filter(|(name, _)| !name.contains('.')) {
            let full = match prefix.is_empty() {
                true => name,
                false => format!("{prefix}.{name}"),
            };
            out.push((full, t));
        }
    }
    // A module that lists its children's tensors without naming the
    // children (no `named_children`) still saves them, at the end.
    let listed: std::collections::HashSet<String> = out.iter().map(|(n, _)| n.clone()).collect();
    let rest: Vec<(String, Tensor)> = module
        .named_parameters()
        .into_iter()
        .chain(module.named_buffers())
        .filter(|(name, _)| !listed.contains(name))
        .collect();
    out.extend(rest);
    out
}

/// The `state_dict` of `module`: detached tensors sharing the module's
/// storage.
pub(crate) fn state_dict(module: &dyn Module) -> StateDict {
    entries(module)
        .into_iter()
        .map(|(name, t)| (name, t.detach()))
        .collect()
}

/// The keys a non-strict load skipped. PyTorch equivalent: the
/// `_IncompatibleKeys(missing_keys, unexpected_keys)` that
/// `load_state_dict` returns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IncompatibleKeys {
    /// The module's entries the state_dict lacks (left as they were).
    pub missing_keys: Vec<String>,
    /// The state_dict's entries the module does not have (ignored).
    pub unexpected_keys: Vec<String>,
}

/// Why a state_dict could not be loaded; nothing was changed. Displays
/// PyTorch's message: `Error(s) in loading state_dict for Sequential:`,
/// then a tab-indented line for the missing keys, the unexpected keys and
/// each shape or dtype mismatch.
///
/// `Debug` prints the same message as `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct LoadStateDictError {
    /// The module's type name, as PyTorch's `module.__class__.__name__`.
    pub module: String,
    /// Entries of the module the state_dict lacks (reported when strict).
    pub missing_keys: Vec<String>,
    /// Entries of the state_dict the module lacks (reported when strict).
    pub unexpected_keys: Vec<String>,
    /// One message per entry whose shape or dtype does not match.
    pub mismatches: Vec<String>,
}

fn quoted(keys: &[String]) -> String {
    keys.iter()
        .map(|k| format!("\"{k}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for LoadStateDictError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut lines = Vec::new();
        if !self.missing_keys.is_empty() {
            lines.push(format!(
                "Missing key(s) in state_dict: {}. ",
                quoted(&self.missing_keys)
            ));
        }
        if !self.unexpected_keys.is_empty() {
            lines.push(format!(
                "Unexpected key(s) in state_dict: {}. ",
                quoted(&self.unexpected_keys)
            ));
        }
        lines.extend(self.mismatches.iter().cloned());
        write!(
            f,
            "Error(s) in loading state_dict for {}:\n\t{}",
            self.module,
            lines.join("\n\t")
        )
    }
}

tensor::debug_as_display!(LoadStateDictError);

impl std::error::Error for LoadStateDictError {}

/// `torch.Size([2, 3])`, as PyTorch prints a shape.
fn torch_size(shape: &[usize]) -> String {
    let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
    format!("torch.Size([{}])", dims.join(", "))
}

/// The type's name without its path, as PyTorch's class name:
/// `nn::Sequential` is `Sequential`, `BatchNorm<2>` is `BatchNorm2d`.
fn class_name(module: &dyn Module) -> String {
    let full = module.type_name();
    let (base, generic) = full.split_once('<').unwrap_or((full, ""));
    let base = base.rsplit("::").next().unwrap_or(base);
    match generic.trim_end_matches('>').parse::<usize>() {
        Ok(dims) => format!("{base}{dims}d"),
        Err(_) => base.to_string(),
    }
}

/// Loads `state_dict` into `module` all or nothing: every entry is checked
/// (names, shapes, dtypes) before any tensor is written.
pub(crate) fn load(
    module: &dyn Module,
    state_dict: &StateDict,
    strict: bool,
) -> Result<IncompatibleKeys, LoadStateDictError> {
    let own = entries(module);
    let mut keys = IncompatibleKeys::default();
    let mut mismatches = Vec::new();
    let mut copies = Vec::with_capacity(own.len());
    for (name, target) in &own {
        let Some(source) = state_dict.get(name) else {
            keys.missing_keys.push(name.clone());
            continue;
        };
        let (src, dst) = (source.value(), target.value());
        if src.shape() != dst.shape() {
            mismatches.push(format!(
                "size mismatch for {name}: copying a param with shape {} from checkpoint, the shape in current model is {}.",
                torch_size(src.shape()),
                torch_size(dst.shape())
            ));
        } else if src.dtype() != dst.dtype()
            && !(src.dtype().is_floating_point() && dst.dtype().is_floating_point())
        {
            // float32 <-> float64 converts, as copy_ does; integer, bool
            // and float data are never mixed up silently.
            mismatches.push(format!(
                "dtype mismatch for {name}: copying a param of dtype {} from checkpoint, the dtype in current model is {}.",
                src.dtype(),
                dst.dtype()
            ));
        } else {
            copies.push((target, source));
        }
    }
    let names: std::collections::HashSet<&str> = own.iter().map(|(n, _)| n.as_str()).collect();
    keys.unexpected_keys = state_dict
        .keys()
        .filter(|k| !names.contains(k.as_str()))
        .cloned()
        .collect();
    let refused = strict && !(keys.missing_keys.is_empty() && keys.unexpected_keys.is_empty());
    if refused || !mismatches.is_empty() {
        let (missing_keys, unexpected_keys) = match strict {
            true => (keys.missing_keys, keys.unexpected_keys),
            false => (Vec::new(), Vec::new()),
        };
        return Err(LoadStateDictError {
            module: class_name(module),
            missing_keys,
            unexpected_keys,
            mismatches,
        });
    }
    let _no_grad = autograd::no_grad();
    for (target, source) in copies {
        // Checked above, so this fails only for a module holding an
        // expanded view as a parameter, or out of memory.
        if let Err(e) = target.try_copy_(source) {
            return Err(LoadStateDictError {
                module: class_name(module),
                missing_keys: Vec::new(),
                unexpected_keys: Vec::new(),
                mismatches: vec![format!("cannot copy into the module's tensor: {e}")],
            });
        }
    }
    Ok(keys)
}
