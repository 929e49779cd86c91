//! PyTorch's own checkpoints, as `torch.save` writes them since PyTorch
//! 1.6: a zip archive holding `data.pkl` (a pickle of the object) and one
//! raw little-endian file per storage under `data/`. The pickle names each
//! storage by a persistent id, and rebuilds each tensor with
//! `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)`.
//!
//! Readable: dicts (`OrderedDict` or `dict`) whose values are tensors or
//! parameters of dtype float32, float64, int64 or bool, with any strides,
//! offsets and shared storages (rebuilt as views, as PyTorch does); one
//! level of nesting through [`load_entry`].
//! Not readable, with an error naming what was found: whole modules saved
//! with `torch.save(model)`, other Python objects, tensors of other dtypes,
//! the pre-1.6 (non-zip) format and big-endian archives.

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::rc::Rc;

use tensor::DType;

use crate::pickle::{self, Resolver, Value};
use crate::{Result, SerializationError, StateDict};

/// Reads a `state_dict` saved with `torch.save(model.state_dict(), path)`
/// (or any dict of tensors). Tensors keep their dtype, strides and offsets,
/// and tensors that shared a storage in PyTorch share one here, as
/// `torch.load` rebuilds them. PyTorch equivalent: `torch.load(path)`.
///
/// # Errors
/// If the file cannot be read or is not a `torch.save` zip archive, or the
/// object saved is not a dict of tensors of a supported dtype.
pub fn load(path: impl AsRef<Path>) -> Result<StateDict> {
    let path = path.as_ref();
    let object = read_object(path)?;
    state_dict(path, &object, "")
}

/// Reads the dict of tensors stored under `key` of a checkpoint dict, such
/// as `torch.save({"model": model.state_dict(), "epoch": 3}, path)`.
/// PyTorch equivalent: `torch.load(path)[key]`.
///
/// # Errors
/// As [`load`], and if the checkpoint has no entry `key`.
pub fn load_entry(path: impl AsRef<Path>, key: &str) -> Result<StateDict> {
    let path = path.as_ref();
    let object = read_object(path)?;
    let Value::Dict(items) = &*object else {
        return Err(not_a_state_dict(path, &object, ""));
    };
    let items = items.borrow();
    let entry = items
        .iter()
        .rev()
        .find(|(k, _)| matches!(&**k, Value::Str(k) if k == key))
        .ok_or_else(|| {
            let keys: Vec<String> = items
                .iter()
                .map(|(k, _)| match &**k {
                    Value::Str(k) => format!("'{k}'"),
                    other => other.describe(),
                })
                .collect();
            SerializationError::format(
                path,
                format!(
                    "the checkpoint has no entry '{key}' (its keys: {})",
                    keys.join(", ")
                ),
            )
        })?;
    state_dict(path, &entry.1, &format!("['{key}']"))
}

fn not_a_state_dict(path: &Path, object: &Value, at: &str) -> SerializationError {
    let found = match object {
        Value::Opaque(what) => format!("the checkpoint{at} is {what}"),
        other => format!("the checkpoint{at} is {}, not a dict", other.describe()),
    };
    SerializationError::NotAStateDict {
        path: path.to_path_buf(),
        found,
    }
}

/// The dict `object` as a state_dict: string keys, tensor values.
fn state_dict(path: &Path, object: &Value, at: &str) -> Result<StateDict> {
    let Value::Dict(items) = object else {
        return Err(not_a_state_dict(path, object, at));
    };
    let items = items.borrow();
    let mut out = StateDict::with_capacity(items.len());
    for (key, value) in items.iter() {
        let Value::Str(name) = &**key else {
            return Err(SerializationError::NotAStateDict {
                path: path.to_path_buf(),
                found: format!("the checkpoint{at} has a key that is {}", key.describe()),
            });
        };
        let tensor = match &**value {
            Value::Tensor(t) => t.alias(),
            Value::Opaque(what) if what.starts_with("unsupported dtype ") => {
                return Err(SerializationError::UnsupportedDType {
                    path: path.to_path_buf(),
                    name: name.clone(),
                    dtype: what["unsupported dtype ".len()..].to_string(),
                })
            }
            other => {
                let hint = match other {
                    Value::Dict(_) => format!(" (read it with load_entry(path, \"{name}\"))"),
                    _ => String::new(),
                };
                return Err(SerializationError::NotAStateDict {
                    path: path.to_path_buf(),
                    found: format!(
                        "the checkpoint{at}'s entry '{name}' is {}, not a tensor{hint}",
                        other.describe()
                    ),
                });
            }
        };
        // Python's dict: a repeated key keeps its first place, takes the last value.
        out.insert(name.clone(), autograd::Tensor::new(tensor));
    }
    Ok(out)
}

/// The object a `torch.save` archive holds.
fn read_object(path: &Path) -> Result<Rc<Value>> {
    let file = File::open(path).map_err(|e| SerializationError::io(path, e))?;
    let mut archive = zip::ZipArchive::new(file).map_err(|e| {
        SerializationError::format(
            path,
            format!("not a torch.save zip archive ({e}); checkpoints in the format before PyTorch 1.6 (or saved with _use_new_zipfile_serialization=False) must be saved again with a recent PyTorch"),
        )
    })?;
    let pickle_name = (0..archive.len())
        .filter_map(|i| archive.name_for_index(i))
        .find(|name| name.ends_with("data.pkl") && name.matches('/').count() <= 1)
        .map(str::to_string)
        .ok_or_else(|| {
            SerializationError::format(
                path,
                "the archive has no data.pkl: not a torch.save checkpoint",
            )
        })?;
    let prefix = pickle_name[..pickle_name.len() - "data.pkl".len()].to_string();
    // Archives from before PyTorch 1.10 have no byteorder entry: little endian.
    let order = read_entry(
        path,
        &mut archive,
        &format!("{prefix}byteorder"),
        |n| n <= 16,
        "a word",
    );
    if let Ok(order) = order {
        if order != b"little" {
            return Err(SerializationError::format(
                path,
                format!(
                    "the storages are {} endian; only little-endian checkpoints can be read",
                    String::from_utf8_lossy(&order)
                ),
            ));
        }
    }
    let data = read_entry(path, &mut archive, &pickle_name, |_| true, "")?;
    let mut storages = Storages {
        path,
        archive: &mut archive,
        prefix,
        loaded: HashMap::new(),
        error: None,
    };
    let result = pickle::load(&data, &mut storages);
    if let Some(error) = storages.error.take() {
        return Err(error);
    }
    result.map_err(|message| SerializationError::format(path, format!("{pickle_name}: {message}")))
}

/// The bytes of the archive's entry `name`, refused unless `accept` its size.
fn read_entry(
    path: &Path,
    archive: &mut zip::ZipArchive<File>,
    name: &str,
    accept: impl Fn(usize) -> bool,
    expected: &str,
) -> Result<Vec<u8>> {
    let mut entry = archive
        .by_name(name)
        .map_err(|e| SerializationError::format(path, format!("{name}: {e}")))?;
    let size = usize::try_from(entry.size()).unwrap_or(usize::MAX);
    if !accept(size) {
        return Err(SerializationError::format(
            path,
            format!("{name} holds {size} bytes, expected {expected}"),
        ));
    }
    let mut bytes = Vec::new();
    bytes.try_reserve_exact(size).map_err(|_| {
        SerializationError::format(path, format!("{name}: {size} bytes do not fit in memory"))
    })?;
    entry
        .read_to_end(&mut bytes)
        .map_err(|e| SerializationError::format(path, format!("{name}: {e}")))?;
    Ok(bytes)
}

/// The resolver for PyTorch's pickles: storages read from the archive
/// (each once, however many tensors view it), tensors rebuilt over them.
struct Storages<'a> {
    path: &'a Path,
    archive: &'a mut zip::ZipArchive<File>,
    prefix: String,
    loaded: HashMap<String, tensor::Tensor>,
    /// An I/O or archive error, which ends the load with its own message.
    error: Option<SerializationError>,
}

/// PyTorch's storage class for each dtype; `Err` names a dtype this
/// library does not have.
fn storage_dtype(class: &str) -> std::result::Result<DType, &'static str> {
    match class {
        "FloatStorage" => Ok(DType::Float32),
        "DoubleStorage" => Ok(DType::Float64),
        "LongStorage" => Ok(DType::Int64),
        "BoolStorage" => Ok(DType::Bool),
        "HalfStorage" => Err("torch.float16"),
        "BFloat16Storage" => Err("torch.bfloat16"),
        "IntStorage" => Err("torch.int32"),
        "ShortStorage" => Err("torch.int16"),
        "CharStorage" => Err("torch.int8"),
        "ByteStorage" => Err("torch.uint8"),
        "ComplexFloatStorage" => Err("torch.complex64"),
        "ComplexDoubleStorage" => Err("torch.complex128"),
        _ => Err("an unknown storage type"),
    }
}

fn int(value: &Value, what: &str) -> std::result::Result<i64, String> {
    match value {
        Value::Int(v) => Ok(*v),
        other => Err(format!("{what} is {}, not an int", other.describe())),
    }
}

fn sizes(value: &Value, what: &str) -> std::result::Result<Vec<usize>, String> {
    let convert = |items: &[Rc<Value>]| -> std::result::Result<Vec<usize>, String> {
        items
            .iter()
            .map(|v| {
                usize::try_from(int(v, what)?).map_err(|_| format!("{what} has a negative entry"))
            })
            .collect()
    };
    match value {
        Value::Tuple(items) => convert(items),
        Value::List(items) => convert(&items.borrow()),
        other => Err(format!("{what} is {}, not a tuple", other.describe())),
    }
}

impl Resolver for Storages<'_> {
    fn persistent_load(&mut self, id: &Value) -> std::result::Result<Value, String> {
        // ('storage', torch.FloatStorage, key, location, numel)
        let Value::Tuple(fields) = id else {
            return Err(format!("a persistent id is {}, not a tuple", id.describe()));
        };
        let [kind, class, key, _location, numel] = fields.as_slice() else {
            return Err(format!(
                "a persistent id has {} fields, not 5",
                fields.len()
            ));
        };
        if !matches!(&**kind, Value::Str(k) if k == "storage") {
            return Err(format!("a persistent id of kind {}", kind.describe()));
        }
        let (Value::Global { name: class, .. }, Value::Str(key)) = (&**class, &**key) else {
            return Err("a storage's persistent id lacks its class or key".into());
        };
        let dtype = match storage_dtype(class) {
            Ok(dtype) => dtype,
            Err(dtype) => {
                return Ok(Value::Opaque(format!(
                    "unsupported dtype {dtype} ({class})"
                )))
            }
        };
        let numel = usize::try_from(int(numel, "a storage's size")?)
            .map_err(|_| "a storage's size is negative".to_string())?;
        if let Some(storage) = self.loaded.get(key) {
            return Ok(Value::Tensor(storage.alias()));
        }
        let name = format!("{}data/{key}", self.prefix);
        let expected = numel
            .checked_mul(dtype.size())
            .ok_or_else(|| format!("storage {key} of {numel} elements is too large"))?;
        let bytes = match read_entry(
            self.path,
            self.archive,
            &name,
            |n| n == expected,
            &expected.to_string(),
        ) {
            Ok(bytes) => bytes,
            Err(e) => {
                self.error = Some(e);
                return Err(format!("storage {key} cannot be read"));
            }
        };
        let storage = tensor::Tensor::try_from_le_bytes(&bytes, dtype, &[numel])
            .map_err(|e| format!("storage {key}: {e}"))?;
        self.loaded.insert(key.clone(), storage.alias());
        Ok(Value::Tensor(storage))
    }

    fn call(
        &mut self,
        module: &str,
        name: &str,
        args: &[Rc<Value>],
    ) -> std::result::Result<Value, String> {
        match (module, name) {
            ("collections", "OrderedDict") => match args {
                [] => Ok(Value::dict(Vec::new())),
                _ => Ok(Value::Opaque("an OrderedDict built from arguments".into())),
            },
            ("torch._utils", "_rebuild_tensor_v2") => {
                // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
                if args.len() < 4 {
                    return Err(format!("_rebuild_tensor_v2 got {} arguments", args.len()));
                }
                let storage = match &*args[0] {
                    Value::Tensor(storage) => storage,
                    Value::Opaque(unsupported) => return Ok(Value::Opaque(unsupported.clone())),
                    other => return Err(format!("a tensor's storage is {}", other.describe())),
                };
                let offset = usize::try_from(int(&args[1], "a storage offset")?)
                    .map_err(|_| "a negative storage offset".to_string())?;
                let size = sizes(&args[2], "a tensor's size")?;
                let stride = sizes(&args[3], "a tensor's stride")?;
                // A view of the storage, as PyTorch rebuilds it: tensors
                // that shared a storage still share it, and nothing is
                // allocated however large a (stride-0) view claims to be.
                storage
                    .try_as_strided(&size, &stride, offset)
                    .map(Value::Tensor)
                    .map_err(|e| format!("a tensor cannot be rebuilt: {e}"))
            }
            ("torch._utils", "_rebuild_parameter" | "_rebuild_parameter_with_state") => {
                match args.first().map(|a| &**a) {
                    Some(Value::Tensor(tensor)) => Ok(Value::Tensor(tensor.alias())),
                    Some(Value::Opaque(what)) => Ok(Value::Opaque(what.clone())),
                    _ => Err(format!("{name} without a tensor")),
                }
            }
            _ => Ok(Value::Opaque(format!("a {module}.{name} object"))),
        }
    }
}
