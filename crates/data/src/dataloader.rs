//! [`DataLoader`]: batches over a dataset, optionally reshuffled every epoch.

use std::sync::Mutex;

use autograd::Tensor;
use tensor::Generator;

use crate::{DataError, Dataset};

/// Iterates a dataset in batches. Each call to [`iter`](DataLoader::iter)
/// is one epoch; with `shuffle` every epoch draws a fresh permutation.
/// PyTorch equivalent: `torch.utils.data.DataLoader`.
pub struct DataLoader<D: Dataset> {
    dataset: D,
    batch_size: usize,
    shuffle: bool,
    drop_last: bool,
    /// The loader's own generator when seeded; otherwise each epoch's
    /// permutation is seeded from the default generator (as PyTorch's
    /// `RandomSampler` does), so `tensor::manual_seed` makes it reproducible.
    generator: Option<Mutex<Generator>>,
}

/// Configures a [`DataLoader`]; see [`DataLoader::builder`].
pub struct DataLoaderBuilder<D: Dataset> {
    dataset: D,
    batch_size: usize,
    shuffle: bool,
    drop_last: bool,
    seed: Option<u64>,
}

impl<D: Dataset> DataLoaderBuilder<D> {
    /// Samples per batch (default 1). PyTorch: `batch_size=`.
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size;
        self
    }

    /// Reshuffle the samples every epoch (default off). PyTorch: `shuffle=`.
    pub fn shuffle(mut self, shuffle: bool) -> Self {
        self.shuffle = shuffle;
        self
    }

    /// Drop the last batch if it is smaller than `batch_size` (default off).
    /// PyTorch: `drop_last=`.
    pub fn drop_last(mut self, drop_last: bool) -> Self {
        self.drop_last = drop_last;
        self
    }

    /// Give the loader its own generator seeded with `seed`, independent of
    /// the default generator. PyTorch: `generator=torch.Generator().manual_seed(seed)`.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Builds the loader.
    ///
    /// # Errors
    /// [`DataError::ZeroBatchSize`]; [`DataError::EmptyDataset`] when
    /// shuffling an empty dataset.
    pub fn build(self) -> Result<DataLoader<D>, DataError> {
        if self.batch_size == 0 {
            return Err(DataError::ZeroBatchSize);
        }
        if self.shuffle && self.dataset.is_empty() {
            return Err(DataError::EmptyDataset);
        }
        Ok(DataLoader {
            dataset: self.dataset,
            batch_size: self.batch_size,
            shuffle: self.shuffle,
            drop_last: self.drop_last,
            generator: self.seed.map(|s| Mutex::new(Generator::new(s))),
        })
    }
}

impl<D: Dataset> DataLoader<D> {
    /// Starts configuring a loader over `dataset`.
    pub fn builder(dataset: D) -> DataLoaderBuilder<D> {
        DataLoaderBuilder {
            dataset,
            batch_size: 1,
            shuffle: false,
            drop_last: false,
            seed: None,
        }
    }

    /// The number of batches per epoch. PyTorch equivalent: `len(loader)`.
    pub fn len(&self) -> usize {
        let n = self.dataset.len();
        if self.drop_last {
            n / self.batch_size
        } else {
            n.div_ceil(self.batch_size)
        }
    }

    /// Whether an epoch yields no batch.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The dataset being loaded.
    pub fn dataset(&self) -> &D {
        &self.dataset
    }

    /// The samples per batch.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// One epoch of batches, each one tensor per dataset field.
    /// PyTorch equivalent: `iter(loader)`; `loader.iter().next()` is `next(iter(loader))`.
    pub fn iter(&self) -> BatchIter<'_, D> {
        let n = self.dataset.len();
        let order = if self.shuffle {
            match &self.generator {
                Some(g) => g.lock().unwrap_or_else(|e| e.into_inner()).randperm(n),
                None => {
                    let seed = tensor::random::default_generator().next_u64();
                    Generator::new(seed).randperm(n)
                }
            }
        } else {
            (0..n).collect()
        };
        BatchIter {
            loader: self,
            order,
            next: 0,
            remaining: self.len(),
        }
    }
}

impl<'a, D: Dataset> IntoIterator for &'a DataLoader<D> {
    type Item = Vec<Tensor>;
    type IntoIter = BatchIter<'a, D>;
    fn into_iter(self) -> BatchIter<'a, D> {
        self.iter()
    }
}

/// The batches of one epoch; see [`DataLoader::iter`].
pub struct BatchIter<'a, D: Dataset> {
    loader: &'a DataLoader<D>,
    order: Vec<usize>,
    next: usize,
    remaining: usize,
}

impl<D: Dataset> Iterator for BatchIter<'_, D> {
    type Item = Vec<Tensor>;

    fn next(&mut self) -> Option<Vec<Tensor>> {
        if self.remaining == 0 {
            return None;
        }
        let end = (self.next + self.loader.batch_size).min(self.order.len());
        let batch = self.loader.dataset.get_batch(&self.order[self.next..end]);
        self.next = end;
        self.remaining -= 1;
        Some(batch)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<D: Dataset> ExactSizeIterator for BatchIter<'_, D> {}
