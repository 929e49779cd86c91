//! ResNet-18 as in *Dive into Deep Learning* §8.6, adapted to 28×28
//! images, at a width reduced by `--width-divisor` (default 4: 16-32-64-128
//! channels) so that an epoch runs on a CPU. SGD, batch 256.
//!
//! `cargo run --release -p examples --bin resnet -- --epochs 2 [--lr 0.05] [--dataset mnist-bundled]`

use std::process::ExitCode;

use examples::classification::{run_book_chapter, ClassificationArgs};
use examples::cnn::resnet18;

/// Trains a ResNet-18 (chapter 8) and prints its per-epoch line.
#[derive(clap::Parser, Debug)]
struct Args {
    /// Divide the book's widths (64, 128, 256, 512) by this.
    #[arg(long, default_value_t = 4)]
    width_divisor: usize,
    #[command(flatten)]
    training: ClassificationArgs,
}

fn main() -> ExitCode {
    let args = examples::parse_args::<Args>();
    if let Some(seed) = args.training.seed {
        tensor::manual_seed(seed);
    }
    let net = resnet18(args.width_divisor.max(1));
    examples::exit_code(run_book_chapter(&args.training, net))
}
