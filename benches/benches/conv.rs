//! Convolutions on LeNet's and a ResNet block's shapes, forward and
//! forward + backward, and one LeNet training epoch on the bundled MNIST split.

use benches::{conv2d_step, mnist_epoch};
use criterion::{criterion_group, criterion_main, Criterion};

fn conv2d(c: &mut Criterion) {
    let mut group = c.benchmark_group("conv2d");
    group.sample_size(20);
    for (name, input, weight, padding) in [
        (
            "lenet conv2 256x6x14x14",
            [256, 6, 14, 14],
            [16, 6, 5, 5],
            0,
        ),
        (
            "resnet block 8x64x56x56",
            [8, 64, 56, 56],
            [64, 64, 3, 3],
            1,
        ),
    ] {
        let mut forward = conv2d_step(input, weight, padding, false);
        group.bench_function(format!("{name}/forward"), |b| b.iter(&mut forward));
        let mut both = conv2d_step(input, weight, padding, true);
        group.bench_function(format!("{name}/forward+backward"), |b| b.iter(&mut both));
    }
    group.finish();
}

fn lenet(c: &mut Criterion) {
    let mut group = c.benchmark_group("lenet");
    group.sample_size(10);
    let mut epoch = mnist_epoch(examples::cnn::lenet_relu);
    group.bench_function("mnist epoch (relu, max pool)", |b| b.iter(&mut epoch));
    group.finish();
}

criterion_group!(benches, conv2d, lenet);
criterion_main!(benches);
