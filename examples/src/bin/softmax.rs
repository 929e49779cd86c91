//! Softmax regression the concise way, as in *Dive into Deep Learning*
//! §4.5: `nn.Sequential(nn.Flatten(), nn.Linear(784, 10))`, cross-entropy,
//! SGD with lr 0.1, batch 256, 10 epochs.
//!
//! `cargo run --release -p examples --bin softmax -- [--dataset mnist-bundled] [--plot FILE.svg]`

use std::process::ExitCode;

use examples::classification::{run_book_chapter, softmax_regression, ClassificationArgs};

fn main() -> ExitCode {
    let args = examples::parse_args::<ClassificationArgs>();
    examples::exit_code(run_book_chapter(&args, softmax_regression()))
}
