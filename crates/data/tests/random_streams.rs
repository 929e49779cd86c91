//! A shuffled `DataLoader` visits the samples in PyTorch's order for the
//! same seed, and draws from the default generator as PyTorch's does
//! (`tools/reference/random_streams.py`). One test in its own binary:
//! nothing else draws from the default generator meanwhile.

#[path = "../../tensor/tests/common/streams.rs"]
mod streams;

use autograd::Tensor;
use data::{DataLoader, TensorDataset};
use streams::{cases, line};
use tensor::random::manual_seed;

/// One epoch's sample indices, batch after batch.
fn epoch(loader: &DataLoader<TensorDataset>) -> tensor::Tensor {
    let order: Vec<i64> = loader
        .iter()
        .flat_map(|batch| batch[0].value().to_vec_as::<i64>())
        .collect();
    tensor::Tensor::from_data(&order, &[order.len()]).unwrap()
}

#[test]
fn shuffled_epochs_follow_pytorchs_order() {
    let indices = Tensor::from_data(&(0..10).collect::<Vec<i64>>(), &[10]).unwrap();
    for (seed, expected) in cases("dataloader") {
        manual_seed(seed);
        let data = || TensorDataset::new(std::slice::from_ref(&indices)).unwrap();
        let loader = DataLoader::builder(data())
            .batch_size(4)
            .shuffle(true)
            .build()
            .unwrap();
        let mut got: Vec<String> = (0..3)
            .map(|e| line(&format!("epoch{e}"), &epoch(&loader)))
            .collect();
        got.push(line("after", &tensor::Tensor::rand(&[3])));
        let own = DataLoader::builder(data())
            .batch_size(4)
            .shuffle(true)
            .seed(seed + 1)
            .build()
            .unwrap();
        got.extend((0..2).map(|e| line(&format!("generator epoch{e}"), &epoch(&own))));
        got.push(line("after generator", &tensor::Tensor::rand(&[3])));
        assert_eq!(got, expected, "seed {seed}");
    }
}
