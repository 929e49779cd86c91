//! Saving and loading named tensors: `state_dict`s in safetensors files,
//! and the checkpoints PyTorch's `torch.save` writes, read in Rust.
//!
//! | PyTorch | this crate |
//! | --- | --- |
//! | `safetensors.torch.save_file(sd, "m.safetensors")` | [`save_file(&sd, "m.safetensors")`](save_file) |
//! | `safetensors.torch.load_file("m.safetensors")` | [`load_file("m.safetensors")`](load_file) |
//! | `torch.load("m.pt")` (a state_dict) | [`load("m.pt")`](load) |
//! | `torch.load("ckpt.pt")["model"]` | [`load_entry("ckpt.pt", "model")`](load_entry) |
//!
//! A [`StateDict`] is an ordered map from names to tensors, as PyTorch's
//! `OrderedDict` is; `nn::Module::state_dict` makes one and
//! `nn::Module::load_state_dict` reads one.
//!
//! ```
//! use autograd::Tensor;
//! use serialization::{load_file, save_file, StateDict};
//!
//! let mut sd = StateDict::new();
//! sd.insert("weight".to_string(), Tensor::from_slice(&[1.0, 2.0]));
//! sd.insert("steps".to_string(), Tensor::from_elems(&[7i64]));
//! let path = std::env::temp_dir().join(format!("doc-{}.safetensors", std::process::id()));
//! save_file(&sd, &path)?;
//! let loaded = load_file(&path)?;
//! assert_eq!(loaded["weight"].to_vec(), vec![1.0, 2.0]);
//! assert_eq!(loaded["steps"].dtype(), tensor::DType::Int64);
//! # std::fs::remove_file(&path).unwrap();
//! # Ok::<(), serialization::SerializationError>(())
//! ```

mod pickle;
mod safetensors_file;
mod torch_file;

use std::path::{Path, PathBuf};

pub use safetensors_file::{
    load_file, load_file_with_metadata, save_file, save_file_with_metadata,
};
pub use torch_file::{load, load_entry};

/// Names mapped to tensors, in insertion order. PyTorch equivalent: the
/// `OrderedDict` that `module.state_dict()` returns.
pub type StateDict = indexmap::IndexMap<String, autograd::Tensor>;

/// Why a file could not be saved or loaded; every message names the file.
///
/// `Debug` prints the same message as `Display`.
#[derive(thiserror::Error)]
pub enum SerializationError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file is not in the format it was read as (truncated, corrupted,
    /// or another kind of file).
    #[error("{path}: {message}")]
    Format { path: PathBuf, message: String },
    /// A tensor has a dtype this library does not have.
    #[error("{path}: tensor '{name}' has dtype {dtype}, which this library does not support (it has float32, float64, int64 and bool)")]
    UnsupportedDType {
        path: PathBuf,
        name: String,
        dtype: String,
    },
    /// A PyTorch checkpoint holds something other than a dict of tensors.
    #[error("{path}: {found}; only dicts of tensors (such as model.state_dict()) can be read")]
    NotAStateDict { path: PathBuf, found: String },
}

tensor::debug_as_display!(SerializationError);

impl SerializationError {
    fn io(path: &Path, source: std::io::Error) -> SerializationError {
        SerializationError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    fn format(path: &Path, message: impl Into<String>) -> SerializationError {
        SerializationError::Format {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }
}

/// Result with a [`SerializationError`].
pub type Result<T> = std::result::Result<T, SerializationError>;
