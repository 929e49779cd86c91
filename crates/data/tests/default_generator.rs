//! A loader without its own seed draws each epoch's permutation from the
//! default generator. Its own test binary: no other test draws from that
//! generator concurrently, so `manual_seed` makes the orders exact.

use autograd::Tensor;
use data::{DataLoader, TensorDataset};

fn loader(n: usize) -> DataLoader<TensorDataset> {
    let labels = Tensor::arange(0.0, n as f32, 1.0);
    DataLoader::builder(TensorDataset::new(&[labels]).unwrap())
        .batch_size(16)
        .shuffle(true)
        .build()
        .unwrap()
}

fn epoch(loader: &DataLoader<TensorDataset>) -> Vec<usize> {
    loader
        .iter()
        .flat_map(|b| b[0].to_vec())
        .map(|v| v as usize)
        .collect()
}

#[test]
fn unseeded_shuffle_follows_manual_seed() {
    let loader = loader(40);
    tensor::manual_seed(11);
    let first = epoch(&loader);
    let second = epoch(&loader);
    // Each epoch is a permutation of every sample ...
    for order in [&first, &second] {
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..40).collect::<Vec<_>>());
    }
    // ... actually shuffled, and different from the next epoch's.
    assert_ne!(first, (0..40).collect::<Vec<_>>());
    assert_ne!(first, second);
    // The same seed gives the same epochs; another seed, others.
    tensor::manual_seed(11);
    assert_eq!(epoch(&loader), first);
    assert_eq!(epoch(&loader), second);
    tensor::manual_seed(12);
    assert_ne!(epoch(&loader), first);
}
