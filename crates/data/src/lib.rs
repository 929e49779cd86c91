//! Datasets and batched loading in the shape of `torch.utils.data`.
//!
//! ```
//! use autograd::Tensor;
//! use data::{DataLoader, TensorDataset};
//!
//! let features = Tensor::randn(&[100, 2]);
//! let labels = Tensor::randn(&[100, 1]);
//! let dataset = TensorDataset::new(&[features, labels])?;
//! let loader = DataLoader::builder(dataset).batch_size(10).shuffle(true).seed(0).build()?;
//! assert_eq!(loader.len(), 10);
//! let batch = loader.iter().next().unwrap(); // next(iter(data_iter))
//! assert_eq!(batch[0].shape(), [10, 2]);
//! assert_eq!(batch[1].shape(), [10, 1]);
//! # Ok::<(), data::DataError>(())
//! ```

mod dataloader;
mod dataset;
mod download;
mod mnist;
mod subset;

pub use dataloader::{BatchIter, BuildError, CollateFn, DataLoader, DataLoaderBuilder, FromBatch};
pub use dataset::{Dataset, TensorDataset};
pub use mnist::{bundled_data_root, MnistKind, MNIST};
pub use subset::{random_split, ConcatDataset, Subset};

/// What can go wrong when building datasets and loaders.
///
/// `Debug` prints the same message as `Display`.
#[derive(Clone, PartialEq, thiserror::Error)]
pub enum DataError {
    /// `TensorDataset::new` with no tensors.
    #[error("TensorDataset: at least one tensor is required")]
    NoTensors,
    /// A 0-d tensor has no first dimension to index.
    #[error("TensorDataset: tensor {index} is 0-d and has no first dimension to index")]
    ScalarTensor { index: usize },
    /// The tensors do not share their first dimension.
    #[error("TensorDataset: size mismatch between tensors: first dimensions are {lengths:?}")]
    LengthMismatch { lengths: Vec<usize> },
    /// A batch size of 0.
    #[error("DataLoader: batch_size should be a positive integer value, but got batch_size=0")]
    ZeroBatchSize,
    /// Shuffling a dataset whose permutation does not fit in memory.
    #[error("DataLoader: cannot shuffle {len} samples: their permutation does not fit in memory")]
    TooLargeToShuffle { len: usize },
    /// Shuffling an empty dataset, as PyTorch's `RandomSampler` refuses to.
    #[error("DataLoader: num_samples should be a positive integer value, but got num_samples=0 (cannot shuffle an empty dataset)")]
    EmptyDataset,
    /// A dataset's file is missing.
    #[error("dataset not found: {path} does not exist; {hint}")]
    DatasetNotFound { path: String, hint: String },
    /// A dataset's file could not be read.
    #[error("cannot read {path}: {message}")]
    Io { path: String, message: String },
    /// A dataset's file does not have the published checksum.
    #[error("{path} is damaged or not the published file: MD5 {found}, expected {expected}; delete it and download it again")]
    Checksum {
        path: String,
        expected: String,
        found: String,
    },
    /// A file that is not the IDX data it should hold.
    #[error("{file}: {message}")]
    Idx { file: String, message: String },
    /// Building a tensor from a dataset's data failed.
    #[error("{0}")]
    Tensor(String),
    /// No mirror served a dataset file with its published checksum.
    #[error("cannot download {file}: {}; without a network, put the file in {folder}", attempts.join("; "))]
    Download {
        file: String,
        attempts: Vec<String>,
        folder: String,
    },
    /// `random_split` lengths that do not add up to the dataset's length.
    #[error("random_split: sum of input lengths ({sum}) does not equal the length of the input dataset ({len})")]
    SplitLengths { sum: usize, len: usize },
    /// `Subset` indices past the end of the dataset.
    #[error("Subset: index {index} is out of range for a dataset of {len} samples")]
    SubsetIndex { index: usize, len: usize },
}

impl DataError {
    pub(crate) fn tensor(error: impl std::fmt::Display) -> DataError {
        DataError::Tensor(error.to_string())
    }
}

tensor::debug_as_display!(DataError);
