//! Whole training workloads: the two tutorial trainings (3 epochs, batch 10,
//! data generation excluded) and one SGD step of an MLP 784-256-10.

use benches::{concise_training, mlp_step, scratch_training, tutorial_data};
use criterion::{criterion_group, criterion_main, Criterion};

fn tutorials(c: &mut Criterion) {
    let (features, labels) = tutorial_data();
    let mut group = c.benchmark_group("tutorial");
    group.sample_size(30);
    let mut scratch = scratch_training(&features, &labels);
    group.bench_function("scratch training", |b| b.iter(&mut scratch));
    let mut concise = concise_training(&features, &labels);
    group.bench_function("concise training", |b| b.iter(&mut concise));
    group.finish();
}

fn mlp(c: &mut Criterion) {
    let mut step = mlp_step();
    c.bench_function("mlp 784-256-10/sgd step batch 256", |b| b.iter(&mut step));
}

criterion_group!(benches, tutorials, mlp);
criterion_main!(benches);
