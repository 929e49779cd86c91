//! Dataset and DataLoader behaviour: batch counts, shapes, shuffling, errors.

use autograd::Tensor;
use data::{DataError, DataLoader, Dataset, TensorDataset};

fn dataset(n: usize) -> TensorDataset {
    let x = Tensor::arange(0.0, (2 * n) as f32, 1.0).reshape(&[n as isize, 2]);
    let y = Tensor::arange(0.0, n as f32, 1.0);
    TensorDataset::new(&[x, y]).unwrap()
}

fn first_column(loader: &DataLoader<TensorDataset>) -> Vec<f32> {
    loader.iter().flat_map(|b| b[1].to_vec()).collect()
}

#[test]
fn batch_counts_and_shapes_with_and_without_drop_last() {
    for (n, bs, drop_last, batches, last) in [
        (1000, 10, false, 100, 10),
        (105, 10, false, 11, 5),
        (105, 10, true, 10, 10),
        (5, 10, true, 0, 0),
        (5, 10, false, 1, 5),
    ] {
        let loader = DataLoader::builder(dataset(n))
            .batch_size(bs)
            .drop_last(drop_last)
            .build()
            .unwrap();
        assert_eq!(loader.len(), batches, "n={n} bs={bs} drop_last={drop_last}");
        let iter = loader.iter();
        assert_eq!(iter.len(), batches, "ExactSizeIterator");
        let all: Vec<Vec<Tensor>> = iter.collect();
        assert_eq!(all.len(), batches);
        if let Some(b) = all.last() {
            assert_eq!(b[0].shape(), [last, 2]);
            assert_eq!(b[1].shape(), [last]);
        }
    }
}

#[test]
fn without_shuffle_batches_come_in_order() {
    let loader = DataLoader::builder(dataset(7))
        .batch_size(3)
        .build()
        .unwrap();
    assert_eq!(
        first_column(&loader),
        (0..7).map(|i| i as f32).collect::<Vec<_>>()
    );
    let batch = loader.iter().next().unwrap();
    assert_eq!(batch[0].to_vec(), vec![0., 1., 2., 3., 4., 5.]);
}

#[test]
fn shuffle_reshuffles_every_epoch_and_is_reproducible() {
    let make = || {
        DataLoader::builder(dataset(50))
            .batch_size(8)
            .shuffle(true)
            .seed(7)
            .build()
            .unwrap()
    };
    let loader = make();
    let epoch1 = first_column(&loader);
    let epoch2 = first_column(&loader);
    assert_ne!(epoch1, epoch2, "a new permutation each epoch");
    let mut sorted = epoch1.clone();
    sorted.sort_by(f32::total_cmp);
    assert_eq!(
        sorted,
        (0..50).map(|i| i as f32).collect::<Vec<_>>(),
        "every sample exactly once"
    );
    let again = make();
    assert_eq!(first_column(&again), epoch1, "same seed, same order");
    // Features and labels stay paired.
    for batch in &loader {
        assert_eq!(
            batch[0].select(1, 0).to_vec(),
            batch[1]
                .to_vec()
                .iter()
                .map(|v| 2.0 * v)
                .collect::<Vec<_>>()
        );
    }
}

#[test]
fn errors_name_the_problem() {
    let e = DataLoader::builder(dataset(3))
        .batch_size(0)
        .build()
        .err()
        .unwrap();
    assert_eq!(
        e.to_string(),
        "DataLoader: batch_size should be a positive integer value, but got batch_size=0"
    );
    let e = TensorDataset::new(&[Tensor::zeros(&[3, 2]), Tensor::zeros(&[4])]).unwrap_err();
    assert_eq!(
        e,
        DataError::LengthMismatch {
            lengths: vec![3, 4]
        }
    );
    assert_eq!(
        e.to_string(),
        "TensorDataset: size mismatch between tensors: first dimensions are [3, 4]"
    );
    assert_eq!(
        TensorDataset::new(&[]).unwrap_err().to_string(),
        "TensorDataset: at least one tensor is required"
    );
    assert_eq!(
        TensorDataset::new(&[Tensor::scalar(1.0)])
            .unwrap_err()
            .to_string(),
        "TensorDataset: tensor 0 is 0-d and has no first dimension to index"
    );
    let empty = TensorDataset::new(&[Tensor::zeros(&[0, 2])]).unwrap();
    assert!(empty.is_empty());
    assert_eq!(
        DataLoader::builder(empty.clone())
            .batch_size(2)
            .build()
            .unwrap()
            .len(),
        0
    );
    let e = DataLoader::builder(empty)
        .shuffle(true)
        .build()
        .err()
        .unwrap();
    assert_eq!(e.error(), &DataError::EmptyDataset);
    assert_eq!(format!("{e:?}"), e.to_string());
}

#[test]
fn a_failed_build_hands_the_dataset_back() {
    let e = DataLoader::builder(dataset(3))
        .batch_size(0)
        .build()
        .err()
        .unwrap();
    assert_eq!(e.error(), &DataError::ZeroBatchSize);
    let dataset = e.into_dataset();
    let loader = DataLoader::builder(dataset).batch_size(2).build().unwrap();
    assert_eq!(loader.len(), 2);
    // `?` turns the build error into the plain DataError.
    let via_question_mark = || -> Result<(), DataError> {
        DataLoader::builder(Squares).batch_size(0).build()?;
        Ok(())
    };
    assert_eq!(via_question_mark().unwrap_err(), DataError::ZeroBatchSize);
}

#[test]
fn a_failed_tensor_dataset_leaves_the_tensors_with_the_caller() {
    let tensors = vec![Tensor::zeros(&[3, 2]), Tensor::zeros(&[4])];
    assert!(TensorDataset::new(&tensors).is_err());
    let fixed = TensorDataset::new(&[tensors[0].clone(), tensors[1].narrow(0, 0, 3)]).unwrap();
    assert_eq!(fixed.len(), 3);
}

/// A dataset far larger than any list of its indices: 2^46 samples, whose
/// permutation (512 TiB) exceeds any address space.
struct Huge;

impl Dataset for Huge {
    fn len(&self) -> usize {
        1 << 46
    }
    fn get(&self, index: usize) -> Vec<Tensor> {
        vec![Tensor::scalar(index as f32)]
    }
}

#[test]
fn a_huge_dataset_is_loaded_lazily_in_order() {
    let loader = DataLoader::builder(Huge).batch_size(4).build().unwrap();
    assert_eq!(loader.len(), 1 << 44);
    let mut batches = loader.iter();
    assert_eq!(
        batches.next().unwrap()[0].to_vec(),
        vec![0.0, 1.0, 2.0, 3.0]
    );
    assert_eq!(
        batches.next().unwrap()[0].to_vec(),
        vec![4.0, 5.0, 6.0, 7.0]
    );
}

#[test]
fn shuffling_a_dataset_too_large_to_permute_is_an_error() {
    let e = DataLoader::builder(Huge)
        .shuffle(true)
        .build()
        .err()
        .unwrap();
    assert_eq!(
        e.to_string(),
        "DataLoader: cannot shuffle 70368744177664 samples: their permutation does not fit in memory"
    );
}

/// A dataset whose samples disagree in their number of fields.
struct Ragged;

impl Dataset for Ragged {
    fn len(&self) -> usize {
        3
    }
    fn get(&self, index: usize) -> Vec<Tensor> {
        vec![Tensor::scalar(1.0); 1 + index % 2]
    }
}

#[test]
#[should_panic(
    expected = "Dataset::get_batch: sample 1 has 2 fields but sample 0 has 1; every sample needs the same fields"
)]
fn samples_with_different_field_counts_are_named() {
    let loader = DataLoader::builder(Ragged).batch_size(3).build().unwrap();
    loader.iter().next();
}

/// A dataset defined by a function, batched by the default collation.
struct Squares;

impl Dataset for Squares {
    fn len(&self) -> usize {
        5
    }
    fn get(&self, index: usize) -> Vec<Tensor> {
        let x = index as f32;
        vec![Tensor::from_slice(&[x, x]), Tensor::scalar(x * x)]
    }
}

#[test]
fn custom_datasets_are_collated_by_stacking() {
    let loader = DataLoader::builder(Squares).batch_size(2).build().unwrap();
    let batches: Vec<_> = loader.iter().collect();
    assert_eq!(batches.len(), 3);
    assert_eq!(batches[1][0].shape(), [2, 2]);
    assert_eq!(batches[1][1].to_vec(), vec![4.0, 9.0]);
    assert_eq!(batches[2][1].shape(), [1]);
    assert_eq!(dataset(3).get(1)[0].to_vec(), vec![2.0, 3.0]);
}

#[path = "../../tensor/tests/common/reference.rs"]
mod reference;

#[test]
fn batch_sizes_match_pytorch_dataloader() {
    let cases: Vec<_> = reference::ops(include_str!("../../tensor/tests/data/ops.txt"))
        .into_iter()
        .filter(|c| c.op == "dataloader")
        .collect();
    assert_eq!(cases.len(), 6);
    for case in &cases {
        let n = case.isize("n").unwrap() as usize;
        let loader = DataLoader::builder(dataset(n))
            .batch_size(case.isize("batch_size").unwrap() as usize)
            .drop_last(case.isize("drop_last") == Some(1))
            .build()
            .unwrap();
        let sizes: Vec<f32> = loader.iter().map(|b| b[0].shape()[0] as f32).collect();
        assert_eq!(sizes, case.out.to_vec(), "{}", case.name);
        assert_eq!(loader.len(), sizes.len(), "{}", case.name);
    }
}

/// Samples computed from a parameter: the batch keeps their graph.
struct Scaled {
    w: Tensor,
}

impl Dataset for Scaled {
    fn len(&self) -> usize {
        3
    }
    fn get(&self, index: usize) -> Vec<Tensor> {
        vec![&self.w * index as f32]
    }
}

#[test]
fn default_collation_is_differentiable() {
    let w = Tensor::from_slice(&[1.0, 2.0]).requires_grad_(true);
    let loader = DataLoader::builder(Scaled { w: w.clone() })
        .batch_size(3)
        .build()
        .unwrap();
    let batch = loader.iter().next().unwrap();
    assert_eq!(batch[0].grad_fn(), Some("StackBackward0"));
    batch[0].sum().backward();
    assert_eq!(w.grad().unwrap().to_vec(), vec![3.0, 3.0]); // 0 + 1 + 2
}

/// Samples whose shapes disagree.
struct Uneven;

impl Dataset for Uneven {
    fn len(&self) -> usize {
        2
    }
    fn get(&self, index: usize) -> Vec<Tensor> {
        vec![Tensor::ones(&[index + 1])]
    }
}

#[test]
#[should_panic(
    expected = "Dataset::get_batch: field 0 of sample 1 has shape [2] but sample 0 has [1]; samples must agree in shape to be stacked"
)]
fn samples_of_different_shapes_are_named() {
    let loader = DataLoader::builder(Uneven).batch_size(2).build().unwrap();
    loader.iter().next();
}

#[test]
#[should_panic(
    expected = "DataLoader: cannot allocate the indices of a batch of 70368744177664 samples"
)]
fn a_batch_too_large_for_its_indices_is_named() {
    let loader = DataLoader::builder(Huge)
        .batch_size(1 << 46)
        .build()
        .unwrap();
    loader.iter().next();
}

/// A dataset that shrinks once an epoch has started.
struct Shrinking {
    len: std::sync::atomic::AtomicUsize,
}

impl Dataset for Shrinking {
    fn len(&self) -> usize {
        self.len.load(std::sync::atomic::Ordering::Relaxed)
    }
    fn get(&self, index: usize) -> Vec<Tensor> {
        vec![Tensor::scalar(index as f32)]
    }
}

#[test]
fn an_epoch_keeps_the_length_it_started_with() {
    let dataset = Shrinking {
        len: std::sync::atomic::AtomicUsize::new(8),
    };
    for shuffle in [false, true] {
        dataset.len.store(8, std::sync::atomic::Ordering::Relaxed);
        let loader = DataLoader::builder(&dataset)
            .batch_size(3)
            .shuffle(shuffle)
            .seed(1)
            .build()
            .unwrap();
        let mut batches = loader.iter();
        batches.next();
        loader
            .dataset()
            .len
            .store(2, std::sync::atomic::Ordering::Relaxed);
        let sizes: Vec<usize> = batches.map(|b| b[0].shape()[0]).collect();
        assert_eq!(sizes, vec![3, 2], "shuffle {shuffle}");
    }
}

#[test]
fn an_out_of_range_sample_is_reported_at_the_callers_line() {
    use std::sync::{Arc, Mutex};
    let location = Arc::new(Mutex::new(String::new()));
    let slot = location.clone();
    let this_thread = std::thread::current().id();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().id() == this_thread {
            if let Some(l) = info.location() {
                *slot.lock().unwrap() = format!("{}:{}", l.file(), l.line());
            }
        }
    }));
    let data = dataset(3);
    let line = line!() + 1;
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| data.get_batch(&[100])));
    std::panic::set_hook(previous);
    assert!(result.is_err());
    assert_eq!(*location.lock().unwrap(), format!("{}:{line}", file!()));
}
