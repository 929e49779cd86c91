//! The [`Dataset`] trait and [`TensorDataset`].

use autograd::Tensor;

use crate::DataError;

/// A collection of samples addressed by index; each sample is one tensor per
/// field (features, labels, ...). PyTorch equivalent: `torch.utils.data.Dataset`.
pub trait Dataset: Send + Sync {
    /// The number of samples. PyTorch equivalent: `len(dataset)`.
    fn len(&self) -> usize;

    /// Whether the dataset holds no samples.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sample `index`, one tensor per field. PyTorch equivalent: `dataset[index]`.
    ///
    /// # Panics
    /// If `index >= len()` (reported at the caller's line).
    #[track_caller]
    fn get(&self, index: usize) -> Vec<Tensor>;

    /// The samples at `indices`, each field stacked along a new first dim.
    /// The default stacks [`get`](Dataset::get) results; datasets backed by
    /// tensors gather directly. PyTorch equivalent: the default `collate_fn`.
    ///
    /// # Panics
    /// If an index is out of range, or samples disagree in their number of
    /// fields or in shape (each with a message naming the samples).
    #[track_caller]
    fn get_batch(&self, indices: &[usize]) -> Vec<Tensor> {
        // Loops rather than closures, so a panic reports the caller's line.
        let mut samples = Vec::with_capacity(indices.len());
        for &i in indices {
            samples.push(self.get(i));
        }
        let fields = samples.first().map_or(0, Vec::len);
        if let Some((k, sample)) = samples.iter().enumerate().find(|(_, s)| s.len() != fields) {
            panic!(
                "Dataset::get_batch: sample {} has {} fields but sample {} has {fields}; every sample needs the same fields",
                indices[k],
                sample.len(),
                indices[0]
            );
        }
        let mut batch = Vec::with_capacity(fields);
        for f in 0..fields {
            let rows: Vec<Tensor> = samples.iter().map(|s| s[f].clone()).collect();
            if let Some((k, row)) = rows
                .iter()
                .enumerate()
                .find(|(_, r)| r.shape() != rows[0].shape())
            {
                panic!(
                    "Dataset::get_batch: field {f} of sample {} has shape {:?} but sample {} has {:?}; samples must agree in shape to be stacked",
                    indices[k],
                    row.shape(),
                    indices[0],
                    rows[0].shape()
                );
            }
            // Differentiable, as PyTorch's default_collate: a sample
            // computed from tensors that require grad keeps its graph.
            batch.push(Tensor::stack(&rows, 0));
        }
        batch
    }
}

/// A borrowed dataset is a dataset: a loader can borrow one instead of owning it.
impl<D: Dataset + ?Sized> Dataset for &D {
    fn len(&self) -> usize {
        (**self).len()
    }

    #[track_caller]
    fn get(&self, index: usize) -> Vec<Tensor> {
        (**self).get(index)
    }

    #[track_caller]
    fn get_batch(&self, indices: &[usize]) -> Vec<Tensor> {
        (**self).get_batch(indices)
    }
}

/// A boxed dataset is a dataset: programs that choose their data at run
/// time hold a `Box<dyn Dataset>`.
impl<D: Dataset + ?Sized> Dataset for Box<D> {
    fn len(&self) -> usize {
        (**self).len()
    }

    #[track_caller]
    fn get(&self, index: usize) -> Vec<Tensor> {
        (**self).get(index)
    }

    #[track_caller]
    fn get_batch(&self, indices: &[usize]) -> Vec<Tensor> {
        (**self).get_batch(indices)
    }
}

/// Samples are the rows (first-dim slices) of tensors that share their first
/// dimension. PyTorch equivalent: `torch.utils.data.TensorDataset(*tensors)`.
#[derive(Clone, Debug)]
pub struct TensorDataset {
    tensors: Vec<Tensor>,
    len: usize,
}

impl TensorDataset {
    /// A dataset over `tensors`, which must share their first dimension.
    /// It keeps handles to them (cheap clones sharing storage), so the caller
    /// keeps its own, including when this fails.
    ///
    /// # Errors
    /// [`DataError::NoTensors`], [`DataError::ScalarTensor`], or
    /// [`DataError::LengthMismatch`] naming every first dimension.
    pub fn new(tensors: &[Tensor]) -> Result<TensorDataset, DataError> {
        if tensors.is_empty() {
            return Err(DataError::NoTensors);
        }
        let mut lengths = Vec::with_capacity(tensors.len());
        for (index, t) in tensors.iter().enumerate() {
            match t.shape().first() {
                Some(&n) => lengths.push(n),
                None => return Err(DataError::ScalarTensor { index }),
            }
        }
        if lengths.iter().any(|&n| n != lengths[0]) {
            return Err(DataError::LengthMismatch { lengths });
        }
        Ok(TensorDataset {
            len: lengths[0],
            tensors: tensors.to_vec(),
        })
    }

    /// The tensors the dataset was built from.
    pub fn tensors(&self) -> &[Tensor] {
        &self.tensors
    }
}

impl Dataset for TensorDataset {
    fn len(&self) -> usize {
        self.len
    }

    #[track_caller]
    fn get(&self, index: usize) -> Vec<Tensor> {
        // Loops rather than closures, so a panic reports the caller's line.
        let mut sample = Vec::with_capacity(self.tensors.len());
        for t in &self.tensors {
            sample.push(t.get(index));
        }
        sample
    }

    #[track_caller]
    fn get_batch(&self, indices: &[usize]) -> Vec<Tensor> {
        let mut batch = Vec::with_capacity(self.tensors.len());
        for t in &self.tensors {
            batch.push(t.index_select(0, indices));
        }
        batch
    }
}
