//! This library's side of the performance table (docs/PERFORMANCE.md): the
//! same workloads and method as `tools/bench/pytorch_bench.py` (one warm-up
//! call, then the median of repeated timings), printed as
//! `name<TAB>value<TAB>unit`. Thread count: `RAYON_NUM_THREADS`.
//!
//! `RAYON_NUM_THREADS=1 cargo run --release -p benches --bin table`

use std::hint::black_box;
use std::time::{Duration, Instant};

use benches::{
    chain_100, concise_training, conv2d_step, mlp_step, mnist_epoch, scratch_training,
    tutorial_data,
};

/// Median wall time of `f` after one warm-up call: at least 5 runs and 0.5 s.
fn median_seconds(mut f: impl FnMut()) -> f64 {
    f();
    let mut times = Vec::new();
    let start = Instant::now();
    while times.len() < 5 || (start.elapsed() < Duration::from_millis(500) && times.len() < 1000) {
        let t = Instant::now();
        f();
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let n = times.len();
    if n % 2 == 1 {
        times[n / 2]
    } else {
        (times[n / 2 - 1] + times[n / 2]) / 2.0
    }
}

fn main() {
    tensor::manual_seed(0);
    let mut rows: Vec<(String, f64, &str)> = Vec::new();
    for (m, k, n, layout) in [
        (256, 256, 256, ""),
        (512, 512, 512, ""),
        (1024, 1024, 1024, ""),
        (2048, 2048, 2048, ""),
        (256, 784, 256, ""),
        (256, 784, 256, "a^T"),
        (256, 256, 784, "b^T"),
        (256, 256, 10, ""),
    ] {
        let a = if layout == "a^T" {
            tensor::Tensor::randn(&[k, m]).t()
        } else {
            tensor::Tensor::randn(&[m, k])
        };
        let b = if layout == "b^T" {
            tensor::Tensor::randn(&[n, k]).t()
        } else {
            tensor::Tensor::randn(&[k, n])
        };
        let seconds = median_seconds(|| {
            black_box(black_box(&a).matmul(black_box(&b)));
        });
        let suffix = if layout.is_empty() {
            String::new()
        } else {
            format!(" ({layout})")
        };
        rows.push((
            format!("matmul {m}x{k}@{k}x{n}{suffix}"),
            2.0 * (m * k * n) as f64 / seconds / 1e9,
            "GFLOP/s",
        ));
    }
    let (a, b) = (
        tensor::Tensor::randn(&[10, 2]),
        tensor::Tensor::randn(&[2, 1]),
    );
    rows.push((
        "matmul 10x2@2x1".into(),
        median_seconds(|| drop(black_box(&a).matmul(black_box(&b)))) * 1e6,
        "us",
    ));

    let (features, labels) = tutorial_data();
    rows.push((
        "tutorial scratch training".into(),
        median_seconds(scratch_training(&features, &labels)) * 1e3,
        "ms",
    ));
    rows.push((
        "tutorial concise training".into(),
        median_seconds(concise_training(&features, &labels)) * 1e3,
        "ms",
    ));
    rows.push((
        "mlp 784-256-10 sgd step, batch 256".into(),
        median_seconds(mlp_step()) * 1e3,
        "ms",
    ));
    rows.push((
        "chain 100 x (y*1.0001+0.0001) + backward".into(),
        median_seconds(chain_100()) * 1e3,
        "ms",
    ));
    rows.push((
        "mnist softmax regression epoch (8000 images, batch 256)".into(),
        median_seconds(mnist_epoch(examples::classification::softmax_regression)) * 1e3,
        "ms",
    ));
    rows.push((
        "mnist mlp 784-256-10 epoch (8000 images, batch 256)".into(),
        median_seconds(mnist_epoch(|| examples::classification::mlp(256))) * 1e3,
        "ms",
    ));
    rows.push((
        "mnist lenet (relu, max pool) epoch (8000 images, batch 256)".into(),
        median_seconds(mnist_epoch(examples::cnn::lenet_relu)) * 1e3,
        "ms",
    ));
    for (name, input, weight, padding) in [
        (
            "lenet conv1 256x1x28x28 * 6x1x5x5 pad 2",
            [256, 1, 28, 28],
            [6, 1, 5, 5],
            2,
        ),
        (
            "lenet conv2 256x6x14x14 * 16x6x5x5",
            [256, 6, 14, 14],
            [16, 6, 5, 5],
            0,
        ),
        (
            "resnet block 8x64x56x56 * 64x64x3x3 pad 1",
            [8, 64, 56, 56],
            [64, 64, 3, 3],
            1,
        ),
    ] {
        for backward in [false, true] {
            let pass = if backward {
                "forward+backward"
            } else {
                "forward"
            };
            rows.push((
                format!("conv2d {pass} {name}"),
                median_seconds(conv2d_step(input, weight, padding, backward)) * 1e3,
                "ms",
            ));
        }
    }

    for (name, value, unit) in rows {
        println!("{name}\t{value:.4}\t{unit}");
    }
}
