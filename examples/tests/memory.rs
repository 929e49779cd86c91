//! Resident memory stays flat over 100,000 training steps of the concise
//! model: graphs are freed after each backward and nothing accumulates.
//!
//! Slow in a debug build, so ignored by default; `.ci/run` runs it with
//! `cargo test --release -p examples --test memory -- --ignored`.

use autograd::Tensor;
use data::{DataLoader, TensorDataset};
use examples::synthetic_data;
use nn::{Linear, MSELoss, Module, Sequential};
use optim::{Optimizer, SGD};

/// Resident set size in KiB, from `/proc/self/statm` (Linux).
fn resident_kib() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4)
}

#[test]
#[ignore = "100,000 steps: run in release (see .ci/run)"]
fn resident_memory_is_flat_over_100k_training_steps() {
    let (features, labels) = synthetic_data(&Tensor::from_slice(&[2.0, -3.4]), 4.2, 1000);
    let dataset = TensorDataset::new(vec![features, labels]).unwrap();
    let loader = DataLoader::builder(dataset)
        .batch_size(10)
        .shuffle(true)
        .seed(0)
        .build()
        .unwrap();
    let net = Sequential::new().append(Linear::new(2, 1));
    let loss = MSELoss::new();
    let mut trainer = SGD::new(net.parameters(), 0.03).unwrap();

    let mut steps = 0usize;
    let mut baseline = None;
    while steps < 100_000 {
        for batch in &loader {
            let l = loss.forward(&net.forward(&batch[0]), &batch[1]);
            trainer.zero_grad();
            l.backward();
            trainer.step();
            steps += 1;
            if steps == 10_000 {
                baseline = resident_kib();
            }
        }
    }
    let (Some(before), Some(after)) = (baseline, resident_kib()) else {
        eprintln!("no /proc/self/statm on this system: memory not measured");
        return;
    };
    eprintln!("resident memory after 10k steps: {before} KiB, after 100k: {after} KiB");
    assert!(
        after <= before + 1024,
        "resident memory grew from {before} KiB to {after} KiB over 90,000 steps"
    );
}
