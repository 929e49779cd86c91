//! Image classification as the book's chapters 4–5 train it (softmax
//! regression §4.5, the MLP §5.2): the bundled MNIST split, the models
//! initialised as the book does, one training epoch and the accuracy.

use std::error::Error;

use autograd::{no_grad, Tensor};
use data::{DataLoader, Dataset, Subset, MNIST};
use nn::{init, CrossEntropyLoss, Flatten, Linear, Module, ReLU, Sequential};
use optim::Optimizer;

/// The bundled MNIST test set split as the examples and tests use it: the
/// first 8,000 images to train on, the last 2,000 held out.
///
/// # Errors
/// If the bundled files are missing or damaged.
pub fn bundled_mnist_split() -> Result<(Subset<MNIST>, Subset<MNIST>), Box<dyn Error>> {
    let all = MNIST::new(data::bundled_data_root(), false)?;
    let train = Subset::new(all.clone(), (0..8_000).collect())?;
    let test = Subset::new(all, (8_000..10_000).collect())?;
    Ok((train, test))
}

/// Draws the weights of every `Linear` from `N(0, 0.01²)` and zeroes the
/// biases, as the book's `init_weights` applied with `net.apply` does.
fn init_weights(net: &mut Sequential) {
    net.apply(&mut |m: &mut dyn Module| {
        let Some(weight) = m.parameter("weight") else {
            return;
        };
        init::normal_(&weight, 0.0, 0.01).expect("a valid std");
        if let Some(bias) = m.parameter("bias") {
            init::zeros_(&bias).expect("a float bias");
        }
    });
}

/// Softmax regression: `nn.Sequential(nn.Flatten(), nn.Linear(784, 10))`.
pub fn softmax_regression() -> Sequential {
    let mut net = Sequential::new()
        .append(Flatten::default())
        .append(Linear::new(784, 10));
    init_weights(&mut net);
    net
}

/// The MLP: `nn.Sequential(nn.Flatten(), nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, 10))`.
pub fn mlp(hidden: usize) -> Sequential {
    let mut net = Sequential::new()
        .append(Flatten::default())
        .append(Linear::new(784, hidden))
        .append(ReLU)
        .append(Linear::new(hidden, 10));
    init_weights(&mut net);
    net
}

/// The number of correct predictions in a batch: `(y_hat.argmax(1) == y).sum()`.
pub fn correct(y_hat: &Tensor, y: &Tensor) -> f64 {
    y_hat.argmax_dim(1, false).eq(y).sum().item_as::<i64>() as f64
}

/// One epoch of training; returns (mean loss, accuracy) over its samples.
pub fn train_epoch<D: Dataset>(
    net: &mut Sequential,
    loader: &DataLoader<D>,
    trainer: &mut dyn Optimizer,
) -> (f64, f64) {
    net.train();
    let loss = CrossEntropyLoss::new();
    let (mut total_loss, mut hits, mut seen) = (0.0, 0.0, 0.0);
    for batch in loader {
        let (x, y) = (&batch[0], &batch[1]);
        let y_hat = net.forward(x);
        let l = loss.forward(&y_hat, y);
        trainer.zero_grad();
        l.backward();
        trainer.step();
        let n = y.shape()[0] as f64;
        total_loss += f64::from(l.item()) * n;
        hits += correct(&y_hat, y);
        seen += n;
    }
    (total_loss / seen, hits / seen)
}

/// The accuracy of `net` on every sample of `loader`, in evaluation mode
/// and without recording.
pub fn evaluate_accuracy<D: Dataset>(net: &mut Sequential, loader: &DataLoader<D>) -> f64 {
    net.eval();
    let _guard = no_grad();
    let (mut hits, mut seen) = (0.0, 0.0);
    for batch in loader {
        hits += correct(&net.forward(&batch[0]), &batch[1]);
        seen += batch[1].shape()[0] as f64;
    }
    hits / seen
}
