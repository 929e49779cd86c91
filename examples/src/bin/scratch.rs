//! Linear regression from scratch, as in *Dive into Deep Learning* §3.2:
//! synthetic data, a shuffled minibatch iterator, the model, the squared
//! loss and minibatch SGD written by hand on autograd tensors.
//!
//! `cargo run -p examples --bin scratch [-- --seed N] [--plot FILE.svg] [--time]`

use std::time::Instant;

use autograd::{no_grad, Tensor};
use examples::{flag_value, has_flag, plot, seed_from_args, synthetic_data};

/// Yields `(features[batch], labels[batch])` over a fresh shuffle of the samples.
fn data_iter<'a>(
    batch_size: usize,
    features: &'a Tensor,
    labels: &'a Tensor,
) -> impl Iterator<Item = (Tensor, Tensor)> + 'a {
    let num_examples = features.len();
    let mut indices: Vec<usize> = (0..num_examples).collect();
    tensor::random::default_generator().shuffle(&mut indices); // random.shuffle(indices)
    (0..num_examples).step_by(batch_size).map(move |i| {
        let batch_indices = &indices[i..(i + batch_size).min(num_examples)];
        (
            features.index_select(0, batch_indices),
            labels.index_select(0, batch_indices),
        )
    })
}

/// The linear regression model: `Xw + b`.
fn linreg(x: &Tensor, w: &Tensor, b: &Tensor) -> Tensor {
    &x.matmul(w) + b
}

/// Squared loss: `(y_hat - y.reshape(y_hat.shape)) ** 2 / 2`.
fn squared_loss(y_hat: &Tensor, y: &Tensor) -> Tensor {
    let shape: Vec<isize> = y_hat.shape().iter().map(|&d| d as isize).collect();
    (y_hat - &y.reshape(&shape)).pow_scalar(2.0) / 2.0
}

/// Minibatch stochastic gradient descent.
fn sgd(params: &[&Tensor], lr: f32, batch_size: usize) {
    let _guard = no_grad(); // with torch.no_grad():
    for param in params {
        let grad = param.grad().expect("backward reached every parameter");
        param.sub_(&(&(&grad * lr) / batch_size as f32)); // param -= lr * param.grad / batch_size
        grad.zero_(); // param.grad.zero_()
    }
}

fn main() {
    if let Some(seed) = seed_from_args() {
        tensor::manual_seed(seed);
    }
    let true_w = Tensor::from_slice(&[2.0, -3.4]);
    let true_b = 4.2;
    let (features, labels) = synthetic_data(&true_w, true_b, 1000);
    println!("features {}", features.get(0));
    println!("labels {}", labels.get(0));

    let batch_size = 10;
    if let Some((x, y)) = data_iter(batch_size, &features, &labels).next() {
        println!("{x} \n {y}");
    }

    let w = Tensor::normal(0.0, 0.01, &[2, 1]).requires_grad_(true);
    let b = Tensor::zeros(&[1]).requires_grad_(true);

    let (lr, num_epochs) = (0.03, 3);
    let (net, loss) = (linreg, squared_loss);
    let mut epoch_losses = Vec::new();
    let start = Instant::now();
    for epoch in 0..num_epochs {
        for (x, y) in data_iter(batch_size, &features, &labels) {
            let l = loss(&net(&x, &w, &b), &y); // minibatch loss of X and y
            l.sum().backward();
            sgd(&[&w, &b], lr, batch_size);
        }
        let _guard = no_grad();
        let train_l = loss(&net(&features, &w, &b), &labels);
        let mean = train_l.mean().item();
        epoch_losses.push(mean);
        println!("epoch {}, loss {mean:.6}", epoch + 1);
    }
    let elapsed = start.elapsed();

    println!("error in estimating w: {}", &true_w - &w.reshape(&[2]));
    println!("error in estimating b: {}", true_b - &b);
    println!("{w}");
    println!("{b}");
    if has_flag("--time") {
        eprintln!("training time: {:.3} ms", elapsed.as_secs_f64() * 1e3);
    }
    if let Some(path) = flag_value("--plot") {
        let w = w.to_vec();
        let xs = features.select(1, 1).to_vec(); // features[:, 1]
        let svg = plot::fit_and_loss_svg(&xs, &labels.to_vec(), w[1], b.item(), &epoch_losses);
        std::fs::write(&path, svg).unwrap_or_else(|e| panic!("cannot write {path}: {e}"));
        eprintln!("wrote {path}");
    }
}
