//! Matrix-product throughput. Criterion reports it in elements per second;
//! each product counts 2·m·k·n elements, one per floating-point operation,
//! so `Gelem/s` reads as GFLOP/s.
//!
//! Run single-threaded with `RAYON_NUM_THREADS=1 cargo bench -p benches --bench matmul`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use tensor::Generator;

fn bench_case(
    c: &mut Criterion,
    group: &str,
    m: usize,
    k: usize,
    n: usize,
    transpose: Option<&str>,
) {
    let mut g = Generator::new(0);
    let a = g.normal(0.0, 1.0, &[m, k]).unwrap();
    let b = g.normal(0.0, 1.0, &[k, n]).unwrap();
    // Transposed layouts as Linear's backward produces them: a view of the
    // transpose of a contiguous tensor, so no copy is made.
    let (a, b) = match transpose {
        Some("a") => (a.t().contiguous().t(), b),
        Some("b") => (a, b.t().contiguous().t()),
        _ => (a, b),
    };
    let mut group = c.benchmark_group(group);
    group.throughput(Throughput::Elements((2 * m * k * n) as u64));
    if m * k * n > 1 << 28 {
        group.sample_size(10);
    }
    let label = format!(
        "{m}x{k}@{k}x{n}{}",
        transpose.map_or(String::new(), |t| format!(" ({t} transposed)"))
    );
    group.bench_function(BenchmarkId::from_parameter(label), |bench| {
        bench.iter(|| black_box(&a).matmul(black_box(&b)))
    });
    group.finish();
}

fn matmul(c: &mut Criterion) {
    for n in [64, 128, 256, 512, 1024, 2048] {
        bench_case(c, "matmul_square", n, n, n, None);
    }
    bench_case(c, "matmul_mlp", 256, 784, 256, None);
    bench_case(c, "matmul_mlp", 256, 256, 10, None);
    bench_case(c, "matmul_mlp", 256, 784, 256, Some("a"));
    bench_case(c, "matmul_mlp", 256, 256, 784, Some("b"));
    bench_case(c, "matmul_tiny", 10, 2, 1, None);
}

criterion_group!(benches, matmul);
criterion_main!(benches);
