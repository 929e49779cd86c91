//! LeNet-5 as in *Dive into Deep Learning* §7.6, SGD with lr 0.1, batch
//! 256, 10 epochs. `--model relu` swaps in ReLU and max pooling (which
//! learns from the bundled subset), `--model batch-norm` is §8.5's BNLeNet.
//!
//! `cargo run --release -p examples --bin lenet -- [--model relu] [--dataset mnist-bundled] [--plot FILE.svg]`

use std::process::ExitCode;

use examples::classification::{run_book_chapter, ClassificationArgs};
use examples::cnn::{lenet, lenet_batch_norm, lenet_relu};

/// The LeNet variants.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum Model {
    /// The book's: sigmoid activations and average pooling.
    Sigmoid,
    /// ReLU activations and max pooling.
    Relu,
    /// Batch normalization after each convolution and hidden linear layer (§8.5).
    BatchNorm,
}

/// Trains LeNet-5 (chapter 7) and prints its per-epoch line.
#[derive(clap::Parser, Debug)]
struct Args {
    /// Which LeNet.
    #[arg(long, value_enum, default_value_t = Model::Sigmoid)]
    model: Model,
    #[command(flatten)]
    training: ClassificationArgs,
}

fn main() -> ExitCode {
    let args = examples::parse_args::<Args>();
    if let Some(seed) = args.training.seed {
        tensor::manual_seed(seed);
    }
    let net = match args.model {
        Model::Sigmoid => lenet(),
        Model::Relu => lenet_relu(),
        Model::BatchNorm => lenet_batch_norm(),
    };
    examples::exit_code(run_book_chapter(&args.training, net))
}
