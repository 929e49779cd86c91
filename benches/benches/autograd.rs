//! Autograd overhead on tiny tensors: recording a node, and backward per node.
//!
//! `chain_100` is the table's reference workload: 100 × (`y * 1.0001 + 0.0001`)
//! on a 3×2 tensor plus `sum().backward()` (200 recorded ops + the sum).

use std::hint::black_box;

use autograd::Tensor;
use criterion::{criterion_group, criterion_main, Criterion};

fn chain(x: &Tensor) -> Tensor {
    let mut y = x.clone();
    for _ in 0..100 {
        y = &(&y * 1.0001) + 0.0001;
    }
    y.sum()
}

fn autograd_overhead(c: &mut Criterion) {
    let raw = tensor::Tensor::ones(&[3, 2]);
    let plain = Tensor::ones(&[3, 2]);
    let leaf = Tensor::ones(&[3, 2]).requires_grad_(true);

    let mut group = c.benchmark_group("autograd");
    group.bench_function("mul_scalar/raw tensor", |b| {
        b.iter(|| black_box(&raw) * 1.0001)
    });
    group.bench_function("mul_scalar/not recorded", |b| {
        b.iter(|| black_box(&plain) * 1.0001)
    });
    group.bench_function("mul_scalar/recorded", |b| {
        b.iter(|| black_box(&leaf) * 1.0001)
    });
    group.bench_function("chain_100/forward only", |b| {
        b.iter(|| chain(black_box(&leaf)))
    });
    let mut chain_with_backward = benches::chain_100();
    group.bench_function("chain_100/forward+backward", |b| {
        b.iter(&mut chain_with_backward)
    });
    group.finish();
}

criterion_group!(benches, autograd_overhead);
criterion_main!(benches);
