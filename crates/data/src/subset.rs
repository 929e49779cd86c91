//! Views of part of a dataset. PyTorch equivalent: `torch.utils.data.Subset`
//! and `random_split`.

use autograd::Tensor;

use crate::dataset::Dataset;
use crate::DataError;

/// The samples of `dataset` at `indices`, in that order.
/// PyTorch equivalent: `torch.utils.data.Subset(dataset, indices)`.
#[derive(Clone, Debug)]
pub struct Subset<D> {
    dataset: D,
    indices: Vec<usize>,
}

impl<D: Dataset> Subset<D> {
    /// The subset; `dataset` may be borrowed (`&dataset`).
    ///
    /// # Errors
    /// [`DataError::SubsetIndex`] for an index past the dataset's end.
    pub fn new(dataset: D, indices: Vec<usize>) -> Result<Subset<D>, DataError> {
        let len = dataset.len();
        if let Some(&index) = indices.iter().find(|&&i| i >= len) {
            return Err(DataError::SubsetIndex { index, len });
        }
        Ok(Subset { dataset, indices })
    }

    /// The indices into the underlying dataset.
    pub fn indices(&self) -> &[usize] {
        &self.indices
    }
}

impl<D: Dataset> Dataset for Subset<D> {
    fn len(&self) -> usize {
        self.indices.len()
    }

    #[track_caller]
    fn get(&self, index: usize) -> Vec<Tensor> {
        self.dataset.get(self.indices[index])
    }

    #[track_caller]
    fn get_batch(&self, indices: &[usize]) -> Vec<Tensor> {
        let mapped: Vec<usize> = indices.iter().map(|&i| self.indices[i]).collect();
        self.dataset.get_batch(&mapped)
    }
}

/// Splits `dataset` at random into subsets of the given lengths, drawing
/// one permutation from the default generator. PyTorch equivalent:
/// `torch.utils.data.random_split(dataset, lengths)`.
///
/// # Errors
/// [`DataError::SplitLengths`] unless the lengths add up to the dataset's length.
pub fn random_split<D: Dataset + Clone>(
    dataset: D,
    lengths: &[usize],
) -> Result<Vec<Subset<D>>, DataError> {
    let (sum, len) = (lengths.iter().sum::<usize>(), dataset.len());
    if sum != len {
        return Err(DataError::SplitLengths { sum, len });
    }
    let permutation = tensor::random::default_generator()
        .try_randperm(len)
        .map_err(DataError::tensor)?;
    let mut start = 0;
    Ok(lengths
        .iter()
        .map(|&n| {
            let indices = permutation[start..start + n].to_vec();
            start += n;
            Subset {
                dataset: dataset.clone(),
                indices,
            }
        })
        .collect())
}

/// Several datasets one after another. PyTorch equivalent:
/// `torch.utils.data.ConcatDataset(datasets)`.
pub struct ConcatDataset<D> {
    datasets: Vec<D>,
    /// The running totals of the datasets' lengths.
    ends: Vec<usize>,
}

impl<D: Dataset> ConcatDataset<D> {
    /// The datasets in order (each may be borrowed or boxed).
    pub fn new(datasets: Vec<D>) -> ConcatDataset<D> {
        let ends = datasets
            .iter()
            .scan(0, |total, d| {
                *total += d.len();
                Some(*total)
            })
            .collect();
        ConcatDataset { datasets, ends }
    }

    /// Which dataset holds sample `index`, and its index there.
    #[track_caller]
    fn locate(&self, index: usize) -> (usize, usize) {
        let which = self.ends.partition_point(|&end| end <= index);
        assert!(
            which < self.datasets.len(),
            "ConcatDataset: index {index} is out of range for {} samples",
            self.len()
        );
        let start = if which == 0 { 0 } else { self.ends[which - 1] };
        (which, index - start)
    }
}

impl<D: Dataset> Dataset for ConcatDataset<D> {
    fn len(&self) -> usize {
        self.ends.last().copied().unwrap_or(0)
    }

    #[track_caller]
    fn get(&self, index: usize) -> Vec<Tensor> {
        let (which, local) = self.locate(index);
        self.datasets[which].get(local)
    }
}
