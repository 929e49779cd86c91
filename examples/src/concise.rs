//! Linear regression the concise way (*Dive into Deep Learning* §3.3) with
//! `TensorDataset`, `DataLoader`, `Sequential(Linear(2, 1))`, `MSELoss`, `SGD`.

use std::error::Error;

use autograd::{no_grad, Tensor};
use data::{DataLoader, TensorDataset};
use nn::{Linear, MSELoss, Module, Sequential};
use optim::{Optimizer, SGD};

/// `data.DataLoader(data.TensorDataset(*arrays), batch_size, shuffle=is_train)`.
///
/// # Errors
/// If the arrays disagree in length or `batch_size` is 0.
pub fn load_array(
    arrays: &[Tensor],
    batch_size: usize,
    is_train: bool,
) -> Result<DataLoader<TensorDataset>, Box<dyn Error>> {
    let dataset = TensorDataset::new(arrays)?;
    Ok(DataLoader::builder(dataset)
        .batch_size(batch_size)
        .shuffle(is_train)
        .build()?)
}

/// `nn.Sequential(nn.Linear(2, 1))` initialised as the tutorial does:
/// `net[0].weight.data.normal_(0, 0.01)`, `net[0].bias.data.fill_(0)`.
pub fn linear_net() -> Sequential {
    let net = Sequential::new().append(Linear::new(2, 1));
    net.layer::<Linear>(0).weight().data().normal_(0.0, 0.01);
    net.layer::<Linear>(0)
        .bias()
        .expect("Linear has a bias")
        .data()
        .fill_(0.0);
    net
}

/// The training loop; calls `on_epoch(epoch, loss over all samples)` after each epoch.
///
/// ```python
/// for epoch in range(num_epochs):
///     for X, y in data_iter:
///         l = loss(net(X), y)
///         trainer.zero_grad()
///         l.backward()
///         trainer.step()
///     l = loss(net(features), labels)
/// ```
pub fn train(
    net: &Sequential,
    trainer: &mut SGD,
    data_iter: &DataLoader<TensorDataset>,
    features: &Tensor,
    labels: &Tensor,
    num_epochs: usize,
    mut on_epoch: impl FnMut(usize, f32),
) {
    let loss = MSELoss::new();
    for epoch in 0..num_epochs {
        for batch in data_iter {
            let (x, y) = (&batch[0], &batch[1]);
            let l = loss.forward(&net.forward(x), y);
            trainer.zero_grad();
            l.backward();
            trainer.step();
        }
        let _guard = no_grad();
        on_epoch(epoch, loss.forward(&net.forward(features), labels).item());
    }
}
