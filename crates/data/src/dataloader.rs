//! [`DataLoader`]: batches over a dataset, optionally reshuffled every epoch.

use std::marker::PhantomData;
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::{Arc, Mutex};

use autograd::Tensor;
use tensor::Generator;

use crate::{DataError, Dataset};

/// Iterates a dataset in batches. Each call to [`iter`](DataLoader::iter)
/// is one epoch; with `shuffle` every epoch draws a fresh permutation.
/// PyTorch equivalent: `torch.utils.data.DataLoader`.
pub struct DataLoader<D: Dataset, B = Vec<Tensor>> {
    dataset: Arc<D>,
    batch_size: usize,
    shuffle: bool,
    drop_last: bool,
    /// The loader's own generator when seeded; otherwise each epoch's
    /// permutation is seeded from the default generator (as PyTorch's
    /// `RandomSampler` does), so `tensor::manual_seed` makes it reproducible.
    generator: Option<Mutex<Generator>>,
    /// A custom collate function (`collate_fn`), else `Dataset::get_batch`.
    collate: Option<Arc<CollateFn>>,
    /// Background workers preparing batches ahead (`num_workers`).
    workers: Option<Workers<D>>,
    /// What each batch is handed out as (see [`FromBatch`]).
    batch: PhantomData<fn() -> B>,
}

/// What a loader hands out for each batch, built from its fields (one
/// tensor per dataset field): the list itself (`Vec<Tensor>`, the
/// default), or a tuple, so that `for (x, y) in &loader` destructures as
/// PyTorch's `for X, y in loader:` does (see [`DataLoaderBuilder::as_tuples`]).
pub trait FromBatch: Sized {
    /// The batch from its fields.
    ///
    /// # Panics
    /// If the fields do not fit the type (a tuple of another length).
    fn from_batch(fields: Vec<Tensor>) -> Self;
}

impl FromBatch for Vec<Tensor> {
    fn from_batch(fields: Vec<Tensor>) -> Self {
        fields
    }
}

macro_rules! tuple_batches {
    ($($n:literal => ($($t:ident),*);)*) => {$(
        impl FromBatch for ($(tuple_batches!(@tensor $t),)*) {
            #[track_caller]
            fn from_batch(fields: Vec<Tensor>) -> Self {
                match <[Tensor; $n]>::try_from(fields) {
                    Ok([$($t),*]) => ($($t,)*),
                    Err(fields) => panic!(
                        "DataLoader: a batch holds {} tensors, not the {} of its tuple",
                        fields.len(),
                        $n
                    ),
                }
            }
        }
    )*};
    (@tensor $t:ident) => { Tensor };
}

tuple_batches! {
    1 => (a);
    2 => (a, b);
    3 => (a, b, c);
    4 => (a, b, c, d);
}

/// How many workers, and the function starting them for one epoch (set
/// where the dataset is known to be `'static`).
struct Workers<D: Dataset> {
    count: usize,
    start: StartWorkers<D>,
}

/// Starts `count` workers over the epoch's batches; each sends its batches
/// (every `count`-th) in order through its own bounded channel.
type StartWorkers<D> =
    fn(&Arc<D>, &Option<Arc<CollateFn>>, Vec<Vec<usize>>, usize) -> Vec<Receiver<WorkerBatch>>;

/// A batch a worker prepared, or the message of the panic it caught.
type WorkerBatch = Result<Vec<Tensor>, String>;

/// A function merging a batch's samples (each a list of fields) into the
/// batch's tensors. PyTorch equivalent: `DataLoader(collate_fn=...)`.
pub type CollateFn = dyn Fn(Vec<Vec<Tensor>>) -> Vec<Tensor> + Send + Sync;

/// Configures a [`DataLoader`]; see [`DataLoader::builder`].
pub struct DataLoaderBuilder<D: Dataset, B = Vec<Tensor>> {
    dataset: D,
    batch_size: usize,
    shuffle: bool,
    drop_last: bool,
    seed: Option<u64>,
    collate: Option<Arc<CollateFn>>,
    workers: Option<Workers<D>>,
    batch: PhantomData<fn() -> B>,
}

impl<D: Dataset + 'static, B> DataLoaderBuilder<D, B> {
    /// Prepares batches on `num_workers` background threads, each up to two
    /// batches ahead of the training loop; the batches and their order are
    /// the same as with no workers (0, the default, loads in the loop).
    /// A panic in a worker is raised by the loop, with its message.
    /// PyTorch equivalent: `DataLoader(..., num_workers=n)`.
    pub fn num_workers(mut self, num_workers: usize) -> Self {
        self.workers = (num_workers > 0).then_some(Workers {
            count: num_workers,
            start: start_workers::<D>,
        });
        self
    }
}

/// Starts the workers of one epoch (see [`StartWorkers`]).
fn start_workers<D: Dataset + 'static>(
    dataset: &Arc<D>,
    collate: &Option<Arc<CollateFn>>,
    batches: Vec<Vec<usize>>,
    count: usize,
) -> Vec<Receiver<WorkerBatch>> {
    let batches = Arc::new(batches);
    (0..count)
        .map(|worker| {
            let (sender, receiver) = sync_channel(2);
            let (dataset, collate, batches) = (dataset.clone(), collate.clone(), batches.clone());
            std::thread::Builder::new()
                .name(format!("dataloader-worker-{worker}"))
                .spawn(move || {
                    for indices in batches.iter().skip(worker).step_by(count) {
                        let batch = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            collate_batch(&*dataset, collate.as_deref(), indices)
                        }))
                        .map_err(|payload| panic_text(payload.as_ref()));
                        let failed = batch.is_err();
                        // The loop stopped early (the receiver is gone), or
                        // this worker's dataset panicked: stop.
                        if sender.send(batch).is_err() || failed {
                            break;
                        }
                    }
                })
                .expect("a worker thread");
            receiver
        })
        .collect()
}

/// The text of a caught panic.
fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}

/// The batch of the samples at `indices`: `collate`'s result, or the
/// dataset's stacked batch.
#[track_caller]
fn collate_batch<D: Dataset + ?Sized>(
    dataset: &D,
    collate: Option<&CollateFn>,
    indices: &[usize],
) -> Vec<Tensor> {
    match collate {
        Some(collate) => collate(indices.iter().map(|&i| dataset.get(i)).collect()),
        None => dataset.get_batch(indices),
    }
}

impl<D: Dataset, B: FromBatch> DataLoaderBuilder<D, B> {
    /// Hands each batch out as the tuple `T` of its fields, so that
    /// `for (x, y) in &loader` destructures as PyTorch's `for X, y in
    /// loader:` does (a batch of another length panics, naming both).
    pub fn as_tuples<T: FromBatch>(self) -> DataLoaderBuilder<D, T> {
        DataLoaderBuilder {
            dataset: self.dataset,
            batch_size: self.batch_size,
            shuffle: self.shuffle,
            drop_last: self.drop_last,
            seed: self.seed,
            collate: self.collate,
            workers: self.workers,
            batch: PhantomData,
        }
    }

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

    /// Builds each batch by calling `collate` on its samples (each the
    /// list of fields [`Dataset::get`] returns) instead of stacking them:
    /// to pad variable-length samples, for example.
    /// PyTorch equivalent: `DataLoader(..., collate_fn=collate)`.
    pub fn collate_fn(
        mut self,
        collate: impl Fn(Vec<Vec<Tensor>>) -> Vec<Tensor> + Send + Sync + 'static,
    ) -> Self {
        self.collate = Some(Arc::new(collate));
        self
    }

    /// Builds the loader.
    ///
    /// # Errors
    /// A [`BuildError`] holding [`DataError::ZeroBatchSize`], or when
    /// shuffling [`DataError::EmptyDataset`] or [`DataError::TooLargeToShuffle`], and the
    /// dataset, which [`BuildError::into_dataset`] hands back. `?` converts
    /// it into the plain [`DataError`].
    pub fn build(self) -> Result<DataLoader<D, B>, BuildError<D>> {
        let error = if self.batch_size == 0 {
            Some(DataError::ZeroBatchSize)
        } else if self.shuffle && self.dataset.is_empty() {
            Some(DataError::EmptyDataset)
        } else if self.shuffle && !permutation_fits(self.dataset.len()) {
            Some(DataError::TooLargeToShuffle {
                len: self.dataset.len(),
            })
        } else {
            None
        };
        if let Some(error) = error {
            return Err(BuildError {
                error,
                dataset: self.dataset,
            });
        }
        Ok(DataLoader {
            dataset: Arc::new(self.dataset),
            batch_size: self.batch_size,
            shuffle: self.shuffle,
            drop_last: self.drop_last,
            generator: self.seed.map(|s| Mutex::new(Generator::new(s))),
            collate: self.collate,
            workers: self.workers,
            batch: PhantomData,
        })
    }
}

/// Whether a permutation of `len` indices can be allocated (each epoch of a
/// shuffling loader holds one).
fn permutation_fits(len: usize) -> bool {
    Vec::<usize>::new().try_reserve_exact(len).is_ok()
}

/// A [`DataLoaderBuilder::build`] that failed: the reason and the dataset
/// it was given, so a failed build loses nothing.
pub struct BuildError<D> {
    error: DataError,
    dataset: D,
}

impl<D> BuildError<D> {
    /// Why the build failed.
    pub fn error(&self) -> &DataError {
        &self.error
    }

    /// The dataset the builder was given.
    pub fn into_dataset(self) -> D {
        self.dataset
    }
}

impl<D> std::fmt::Display for BuildError<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.error, f)
    }
}

/// Prints the message, as `Display` does (the dataset is left out).
impl<D> std::fmt::Debug for BuildError<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.error, f)
    }
}

impl<D> std::error::Error for BuildError<D> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl<D> From<BuildError<D>> for DataError {
    fn from(error: BuildError<D>) -> DataError {
        error.error
    }
}

impl<D: Dataset> DataLoader<D> {
    /// Starts configuring a loader over `dataset` (batches as `Vec<Tensor>`;
    /// see [`DataLoaderBuilder::as_tuples`]).
    pub fn builder(dataset: D) -> DataLoaderBuilder<D> {
        DataLoaderBuilder {
            dataset,
            batch_size: 1,
            shuffle: false,
            drop_last: false,
            seed: None,
            collate: None,
            workers: None,
            batch: PhantomData,
        }
    }
}

impl<D: Dataset, B: FromBatch> DataLoader<D, B> {
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
    ///
    /// # Errors
    /// [`DataError::TooLargeToShuffle`] if the epoch's permutation cannot be allocated.
    pub fn try_iter(&self) -> Result<BatchIter<'_, D, B>, DataError> {
        let n = self.dataset.len();
        // Without shuffling, the order is 0..n, produced a batch at a time
        // (a dataset may be far larger than a list of its indices).
        // PyTorch's draws, in its order: every epoch's iterator takes a base
        // seed (for worker processes) from the loader's generator or the
        // default one; then a shuffling RandomSampler draws its permutation
        // from the loader's generator, or from a new generator seeded by a
        // second draw from the default one. From the loader's generator it
        // draws a second permutation of which it uses none (its code for a
        // partial last pass), which PyTorch draws at the epoch's end and
        // this loader draws here.
        let order = match &self.generator {
            Some(g) => {
                let mut g = g.lock().unwrap_or_else(|e| e.into_inner());
                g.next_u64();
                self.shuffle.then(|| {
                    let order = g.try_randperm(n);
                    g.try_randperm(n).map(drop).and(order)
                })
            }
            None => {
                let default = tensor::random::default_generator();
                default.next_u64();
                self.shuffle
                    .then(|| Generator::new(default.next_u64()).try_randperm(n))
            }
        };
        let order = order
            .transpose()
            .map_err(|_| DataError::TooLargeToShuffle { len: n })?;
        // With workers, the epoch's batches are handed out at its start.
        let workers = self.workers.as_ref().map(|w| {
            let batches: Vec<Vec<usize>> = (0..self.len())
                .map(|b| {
                    let (start, end) = (b * self.batch_size, ((b + 1) * self.batch_size).min(n));
                    match &order {
                        Some(order) => order[start..end].to_vec(),
                        None => (start..end).collect(),
                    }
                })
                .collect();
            (w.start)(&self.dataset, &self.collate, batches, w.count)
        });
        Ok(BatchIter {
            loader: self,
            order,
            len: n,
            next: 0,
            remaining: self.len(),
            workers,
            batch: 0,
        })
    }

    /// Panicking form of [`try_iter`](DataLoader::try_iter).
    ///
    /// # Panics
    /// If the epoch's permutation cannot be allocated.
    #[track_caller]
    pub fn iter(&self) -> BatchIter<'_, D, B> {
        match self.try_iter() {
            Ok(batches) => batches,
            Err(e) => panic!("{e}"),
        }
    }
}

impl<D: Dataset, B> DataLoader<D, B> {
    /// The batch of the samples at `indices`: the custom collate function's
    /// result, or the dataset's stacked batch.
    #[track_caller]
    fn collate(&self, indices: &[usize]) -> Vec<Tensor> {
        collate_batch(&*self.dataset, self.collate.as_deref(), indices)
    }
}

impl<'a, D: Dataset, B: FromBatch> IntoIterator for &'a DataLoader<D, B> {
    type Item = B;
    type IntoIter = BatchIter<'a, D, B>;
    fn into_iter(self) -> BatchIter<'a, D, B> {
        self.iter()
    }
}

/// The batches of one epoch; see [`DataLoader::iter`].
pub struct BatchIter<'a, D: Dataset, B = Vec<Tensor>> {
    loader: &'a DataLoader<D, B>,
    /// The epoch's permutation when shuffling; `None` for `0..len`.
    order: Option<Vec<usize>>,
    /// The dataset's length when the epoch started.
    len: usize,
    next: usize,
    remaining: usize,
    /// With `num_workers`: worker `i` sends batches `i`, `i + count`, ….
    workers: Option<Vec<Receiver<WorkerBatch>>>,
    /// The index of the next batch in the epoch.
    batch: usize,
}

impl<D: Dataset, B: FromBatch> Iterator for BatchIter<'_, D, B> {
    type Item = B;

    fn next(&mut self) -> Option<B> {
        if self.remaining == 0 {
            return None;
        }
        if let Some(workers) = &self.workers {
            let worker = self.batch % workers.len();
            self.batch += 1;
            self.remaining -= 1;
            return Some(match workers[worker].recv() {
                Ok(Ok(batch)) => B::from_batch(batch),
                Ok(Err(message)) => panic!("DataLoader worker {worker} panicked: {message}"),
                Err(_) => panic!("DataLoader worker {worker} stopped without its batch"),
            });
        }
        // The epoch's length was fixed when it started (a dataset whose
        // len() changes meanwhile gets the indices of the original length).
        let end = self
            .next
            .saturating_add(self.loader.batch_size)
            .min(self.len);
        let batch = match &self.order {
            Some(order) => self.loader.collate(&order[self.next..end]),
            None => {
                let mut indices = Vec::new();
                if indices.try_reserve_exact(end - self.next).is_err() {
                    panic!(
                        "DataLoader: cannot allocate the indices of a batch of {} samples",
                        end - self.next
                    );
                }
                indices.extend(self.next..end);
                self.loader.collate(&indices)
            }
        };
        self.next = end;
        self.remaining -= 1;
        Some(B::from_batch(batch))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<D: Dataset, B: FromBatch> ExactSizeIterator for BatchIter<'_, D, B> {}
