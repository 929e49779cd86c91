//! Memory stays flat over 100,000 training steps of the concise model:
//! graphs are freed after each backward and nothing accumulates.
//!
//! Measured portably, by a counting global allocator (live heap bytes), not
//! by the operating system's resident-set figures.
//!
//! Slow in a debug build, so ignored by default; `.ci/run` runs it with
//! `cargo test --release -p examples --test memory -- --ignored`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use autograd::Tensor;
use data::{DataLoader, TensorDataset};
use examples::synthetic_data;
use nn::{Linear, MSELoss, Module, Sequential};
use optim::{Optimizer, SGD};

/// The system allocator, counting the bytes currently allocated.
struct Counting;

static LIVE_BYTES: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; the
// counter is only bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = System.alloc(layout);
        if !ptr.is_null() {
            LIVE_BYTES.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        ptr
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = System.alloc_zeroed(layout);
        if !ptr.is_null() {
            LIVE_BYTES.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        ptr
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        LIVE_BYTES.fetch_sub(layout.size() as isize, Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = System.realloc(ptr, layout, new_size);
        if !new.is_null() {
            LIVE_BYTES.fetch_add(
                new_size as isize - layout.size() as isize,
                Ordering::Relaxed,
            );
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live_bytes() -> isize {
    LIVE_BYTES.load(Ordering::Relaxed)
}

#[test]
fn the_allocation_counter_counts() {
    let before = live_bytes();
    let buffer = vec![0u8; 1 << 20];
    assert!(live_bytes() - before >= 1 << 20);
    drop(buffer);
    assert!(live_bytes() - before < 1 << 20);
}

#[test]
#[ignore = "100,000 steps: run in release (see .ci/run)"]
fn resident_memory_is_flat_over_100k_training_steps() {
    let (features, labels) = synthetic_data(&Tensor::from_slice(&[2.0, -3.4]), 4.2, 1000);
    let dataset = TensorDataset::new(&[features, labels]).unwrap();
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
    let mut baseline = 0;
    while steps < 100_000 {
        for batch in &loader {
            let l = loss.forward(&net.forward(&batch[0]), &batch[1]);
            trainer.zero_grad();
            l.backward();
            trainer.step();
            steps += 1;
            if steps == 10_000 {
                baseline = live_bytes();
            }
        }
    }
    let after = live_bytes();
    eprintln!("live heap after 10k steps: {baseline} bytes, after 100k: {after} bytes");
    assert!(
        after <= baseline + 64 * 1024,
        "live heap grew from {baseline} to {after} bytes over 90,000 steps"
    );
}
