//! Whole training workloads: the two tutorial trainings (3 epochs, batch 10,
//! data generation excluded) and one SGD step of an MLP 784-256-10.

use std::hint::black_box;

use autograd::Tensor;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use examples::{concise, scratch, synthetic_data};
use nn::{Linear, MSELoss, Module, ReLU, Sequential};
use optim::{Optimizer, SGD};

fn tutorials(c: &mut Criterion) {
    let (features, labels) = synthetic_data(&Tensor::from_slice(&[2.0, -3.4]), 4.2, 1000);
    let mut group = c.benchmark_group("tutorial");
    group.sample_size(30);
    group.bench_function("scratch training", |b| {
        b.iter_batched(
            || {
                (
                    Tensor::normal(0.0, 0.01, &[2, 1]).requires_grad_(true),
                    Tensor::zeros(&[1]).requires_grad_(true),
                )
            },
            |(w, bias)| {
                scratch::train(&features, &labels, &w, &bias, 0.03, 3, 10, |_, l| {
                    black_box(l);
                })
            },
            BatchSize::SmallInput,
        )
    });
    let data_iter = concise::load_array(vec![features.clone(), labels.clone()], 10, true).unwrap();
    group.bench_function("concise training", |b| {
        b.iter_batched(
            || {
                let net = concise::linear_net();
                let trainer = SGD::new(net.parameters(), 0.03).unwrap();
                (net, trainer)
            },
            |(net, mut trainer)| {
                concise::train(
                    &net,
                    &mut trainer,
                    &data_iter,
                    &features,
                    &labels,
                    3,
                    |_, l| {
                        black_box(l);
                    },
                )
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn mlp(c: &mut Criterion) {
    let net = Sequential::new()
        .append(Linear::new(784, 256))
        .append(ReLU)
        .append(Linear::new(256, 10));
    let mut trainer = SGD::new(net.parameters(), 0.01).unwrap();
    let loss = MSELoss::new();
    let x = Tensor::randn(&[256, 784]);
    let y = Tensor::randn(&[256, 10]);
    c.bench_function("mlp 784-256-10/sgd step batch 256", |b| {
        b.iter(|| {
            trainer.zero_grad();
            let l = loss.forward(&net.forward(&x), &y);
            l.backward();
            trainer.step();
        })
    });
}

criterion_group!(benches, tutorials, mlp);
criterion_main!(benches);
