//! safetensors files: a JSON header naming each tensor's dtype, shape and
//! byte range, then the raw little-endian data. Written and parsed by the
//! `safetensors` crate (the format's reference implementation); read
//! through a memory map, so a large file is never copied whole into memory.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs::File;
use std::path::Path;

use safetensors::tensor::{Dtype, SafeTensors, View};
use tensor::DType;

use crate::{Result, SerializationError, StateDict};

/// One tensor's bytes, as the `safetensors` writer takes them.
struct Bytes {
    dtype: Dtype,
    shape: Vec<usize>,
    data: Vec<u8>,
}

impl View for &Bytes {
    fn dtype(&self) -> Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.data)
    }
    fn data_len(&self) -> usize {
        self.data.len()
    }
}

fn file_dtype(dtype: DType) -> Dtype {
    match dtype {
        DType::Bool => Dtype::BOOL,
        DType::Int64 => Dtype::I64,
        DType::Float32 => Dtype::F32,
        DType::Float64 => Dtype::F64,
    }
}

fn tensor_dtype(dtype: Dtype) -> Option<DType> {
    match dtype {
        Dtype::BOOL => Some(DType::Bool),
        Dtype::I64 => Some(DType::Int64),
        Dtype::F32 => Some(DType::Float32),
        Dtype::F64 => Some(DType::Float64),
        _ => None,
    }
}

/// Writes `tensors` to a safetensors file at `path` (replacing it).
/// PyTorch equivalent: `safetensors.torch.save_file(tensors, path)`.
///
/// # Errors
/// If the file cannot be written.
pub fn save_file(tensors: &StateDict, path: impl AsRef<Path>) -> Result<()> {
    save_file_with_metadata(tensors, &HashMap::new(), path)
}

/// [`save_file`] with string metadata stored in the header (what
/// `load_file_with_metadata` returns). PyTorch equivalent:
/// `safetensors.torch.save_file(tensors, path, metadata)`.
///
/// # Errors
/// If the file cannot be written.
pub fn save_file_with_metadata(
    tensors: &StateDict,
    metadata: &HashMap<String, String>,
    path: impl AsRef<Path>,
) -> Result<()> {
    let path = path.as_ref();
    let bytes: Vec<(&str, Bytes)> = tensors
        .iter()
        .map(|(name, t)| {
            let value = t.value();
            let bytes = Bytes {
                dtype: file_dtype(value.dtype()),
                shape: value.shape().to_vec(),
                data: value.to_le_bytes(),
            };
            (name.as_str(), bytes)
        })
        .collect();
    let metadata = (!metadata.is_empty()).then(|| metadata.clone());
    // Written beside the target, then renamed over it: a reader that has
    // the old file mapped keeps reading it whole (rewriting a mapped file
    // in place would end that reader with SIGBUS), and a failed save
    // leaves the old file as it was.
    let file_name = path
        .file_name()
        .map_or_else(Default::default, |n| n.to_string_lossy().into_owned());
    let temporary = path.with_file_name(format!(".{file_name}.{}.tmp", std::process::id()));
    let written =
        safetensors::serialize_to_file(bytes.iter().map(|(n, b)| (*n, b)), metadata, &temporary)
            .map_err(|e| match e {
                safetensors::SafeTensorError::IoError(source) => {
                    SerializationError::io(path, source)
                }
                other => {
                    SerializationError::format(path, format!("cannot write safetensors: {other}"))
                }
            })
            .and_then(|()| {
                std::fs::rename(&temporary, path).map_err(|e| SerializationError::io(path, e))
            });
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

/// Reads every tensor of a safetensors file, in name order (as
/// `load_file` in Python lists them). The tensors are float32, float64,
/// int64 or bool, as stored. PyTorch equivalent:
/// `safetensors.torch.load_file(path)`.
///
/// # Errors
/// If the file cannot be read, is not a valid safetensors file (truncated,
/// corrupted header, overlapping or out-of-range data), or holds a dtype
/// this library does not have (float16, bfloat16, int32, ...).
pub fn load_file(path: impl AsRef<Path>) -> Result<StateDict> {
    load_file_with_metadata(path).map(|(tensors, _)| tensors)
}

/// [`load_file`], and the header's string metadata (empty if it has none).
///
/// # Errors
/// As [`load_file`].
pub fn load_file_with_metadata(
    path: impl AsRef<Path>,
) -> Result<(StateDict, HashMap<String, String>)> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|e| SerializationError::io(path, e))?;
    // SAFETY: the map is read only while this function runs and never
    // handed out. As with any memory-mapped file, another process that
    // rewrites the file in place meanwhile can change what is read, or end
    // this process with SIGBUS by truncating it; `save_file` never does
    // that (it renames a new file over the old one).
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| SerializationError::io(path, e))?;
    let invalid = |e: safetensors::SafeTensorError| {
        SerializationError::format(path, format!("not a valid safetensors file: {e}"))
    };
    let file = SafeTensors::deserialize(&map).map_err(invalid)?;
    let (_, header) = SafeTensors::read_metadata(&map).map_err(invalid)?;
    let mut views = file.tensors();
    views.sort_by(|a, b| a.0.cmp(&b.0));
    let mut tensors = StateDict::with_capacity(views.len());
    for (name, view) in views {
        let dtype =
            tensor_dtype(view.dtype()).ok_or_else(|| SerializationError::UnsupportedDType {
                path: path.to_path_buf(),
                name: name.clone(),
                dtype: view.dtype().to_string(),
            })?;
        let value = tensor::Tensor::try_from_le_bytes(view.data(), dtype, view.shape())
            .map_err(|e| SerializationError::format(path, format!("tensor '{name}': {e}")))?;
        tensors.insert(name, autograd::Tensor::new(value));
    }
    let metadata = header.metadata().clone().unwrap_or_default();
    Ok((tensors, metadata))
}
