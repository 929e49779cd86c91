//! Dropout the concise way, as in *Dive into Deep Learning* §5.6: an MLP
//! 784-256-256-10 with `nn.Dropout(0.2)` after the first hidden layer and
//! `nn.Dropout(0.5)` after the second, active in training only.
//!
//! `cargo run --release -p examples --bin dropout -- [--dataset mnist-bundled] [--plot FILE.svg]`

use std::process::ExitCode;

use examples::classification::{mlp_with_dropout, run_book_chapter, ClassificationArgs};

fn main() -> ExitCode {
    let args = examples::parse_args::<ClassificationArgs>();
    examples::exit_code(run_book_chapter(&args, mlp_with_dropout(0.2, 0.5)))
}
