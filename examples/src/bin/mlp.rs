//! The multilayer perceptron the concise way, as in *Dive into Deep
//! Learning* §5.2: `nn.Sequential(nn.Flatten(), nn.Linear(784, 256),
//! nn.ReLU(), nn.Linear(256, 10))`, SGD with lr 0.1, batch 256, 10 epochs.
//!
//! `cargo run --release -p examples --bin mlp -- [--dataset mnist-bundled] [--plot FILE.svg]`

use std::process::ExitCode;

use examples::classification::{mlp, run_book_chapter, ClassificationArgs};

fn main() -> ExitCode {
    let args = examples::parse_args::<ClassificationArgs>();
    examples::exit_code(run_book_chapter(&args, mlp(256)))
}
