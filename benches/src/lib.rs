//! Workloads shared by the criterion benchmarks (`benches/`) and the
//! comparison table (`src/bin/table.rs`), so both time exactly the same code.
//! Run the benchmarks with `cargo bench -p benches`.

use std::hint::black_box;

use autograd::Tensor;
use examples::{concise, scratch};
use nn::{Linear, MSELoss, Module, ReLU, Sequential};
use optim::{Optimizer, SGD};

/// The linear-regression data of the tutorial: 1000 samples of `y = Xw + b + noise`.
pub fn tutorial_data() -> (Tensor, Tensor) {
    examples::synthetic_data(&Tensor::from_slice(&[2.0, -3.4]), 4.2, 1000)
}

/// One whole from-scratch training (3 epochs, batch 10) from fresh parameters.
pub fn scratch_training<'a>(features: &'a Tensor, labels: &'a Tensor) -> impl FnMut() + 'a {
    move || {
        let w = Tensor::normal(0.0, 0.01, &[2, 1]).requires_grad_(true);
        let b = Tensor::zeros(&[1]).requires_grad_(true);
        scratch::train(features, labels, &w, &b, 0.03, 3, 10, |_, l| {
            black_box(l);
        });
    }
}

/// One whole concise training (3 epochs, batch 10) from a fresh network.
pub fn concise_training<'a>(features: &'a Tensor, labels: &'a Tensor) -> impl FnMut() + 'a {
    let data_iter =
        concise::load_array(&[features.clone(), labels.clone()], 10, true).expect("valid data");
    move || {
        let net = concise::linear_net();
        let mut trainer = SGD::new(net.parameters(), 0.03).expect("valid lr");
        concise::train(
            &net,
            &mut trainer,
            &data_iter,
            features,
            labels,
            3,
            |_, l| {
                black_box(l);
            },
        );
    }
}

/// One SGD step (zero_grad, forward, MSE, backward, step) of an MLP
/// 784-256-10 with ReLU at batch 256.
pub fn mlp_step() -> impl FnMut() {
    let net = Sequential::new()
        .append(Linear::new(784, 256))
        .append(ReLU)
        .append(Linear::new(256, 10));
    let mut trainer = SGD::new(net.parameters(), 0.01).expect("valid lr");
    let loss = MSELoss::new();
    let (x, y) = (Tensor::randn(&[256, 784]), Tensor::randn(&[256, 10]));
    move || {
        trainer.zero_grad();
        let l = loss.forward(&net.forward(&x), &y);
        l.backward();
        trainer.step();
    }
}

/// 100 × (`y * 1.0001 + 0.0001`) on a 3×2 tensor, then `sum().backward()`.
pub fn chain_100() -> impl FnMut() {
    let leaf = Tensor::ones(&[3, 2]).requires_grad_(true);
    move || {
        leaf.clear_grad();
        let mut y = leaf.clone();
        for _ in 0..100 {
            y = &(&y * 1.0001) + 0.0001;
        }
        y.sum().backward();
    }
}

/// One training epoch on the bundled MNIST split (8,000 images, batch 256,
/// shuffled, SGD lr 0.1, cross-entropy) of the model `make` builds, the
/// book's classification loop.
pub fn mnist_epoch(make: fn() -> Sequential) -> impl FnMut() {
    let (train, _) =
        examples::classification::bundled_mnist_split().expect("the bundled MNIST files");
    let loader = data::DataLoader::builder(train)
        .batch_size(256)
        .shuffle(true)
        .build()
        .expect("a valid loader");
    let mut net = make();
    let mut trainer = SGD::new(net.parameters(), 0.1).expect("valid lr");
    move || {
        black_box(examples::classification::train_epoch(
            &mut net,
            &loader,
            &mut trainer,
        ));
    }
}

/// A 2-D convolution of a random `input` by a random `weight` (with bias,
/// `padding`), forward only or forward and backward of the output's sum
/// into the input, weight and bias.
pub fn conv2d_step(
    input: [usize; 4],
    weight: [usize; 4],
    padding: usize,
    backward: bool,
) -> impl FnMut() {
    let x = Tensor::randn(&input).requires_grad_(backward);
    let w = Tensor::randn(&weight).requires_grad_(backward);
    let b = Tensor::randn(&[weight[0]]).requires_grad_(backward);
    let options = nn::ConvOptions::new().padding(padding);
    move || {
        let y = nn::functional::conv2d(&x, &w, Some(&b), options).expect("valid shapes");
        if backward {
            for t in [&x, &w, &b] {
                t.clear_grad();
            }
            y.sum().backward();
        }
        black_box(y);
    }
}
