//! Linear regression from scratch, as in *Dive into Deep Learning* §3.2.
//! The tutorial's functions live in [`examples::scratch`]; this program
//! runs them and prints what the tutorial prints.
//!
//! `cargo run -p examples --bin scratch -- [--seed N] [--plot FILE.svg] [--time]`

use std::error::Error;
use std::process::ExitCode;
use std::time::Instant;

use autograd::Tensor;
use examples::scratch::{data_iter, train};
use examples::{synthetic_data, TrainingArgs};

fn main() -> ExitCode {
    examples::exit_code(run(&examples::parse_args::<TrainingArgs>()))
}

fn run(args: &TrainingArgs) -> Result<(), Box<dyn Error>> {
    if let Some(seed) = args.seed {
        tensor::manual_seed(seed);
    }
    let true_w = Tensor::from_slice(&[2.0, -3.4]);
    let true_b = 4.2;
    let (features, labels) = synthetic_data(&true_w, true_b, 1000);
    examples::outln!("features {}", features.get(0));
    examples::outln!("labels {}", labels.get(0));

    let batch_size = 10;
    if let Some((x, y)) = data_iter(batch_size, &features, &labels).next() {
        examples::outln!("{x} \n {y}");
    }

    let w = Tensor::normal(0.0, 0.01, &[2, 1]).requires_grad_(true);
    let b = Tensor::zeros(&[1]).requires_grad_(true);

    let (lr, num_epochs) = (0.03, 3);
    let mut epoch_losses = Vec::new();
    let start = Instant::now();
    train(
        &features,
        &labels,
        &w,
        &b,
        lr,
        num_epochs,
        batch_size,
        |epoch, loss| {
            epoch_losses.push(loss);
            examples::outln!("epoch {}, loss {loss:.6}", epoch + 1);
        },
    );
    let elapsed = start.elapsed();

    examples::outln!("error in estimating w: {}", &true_w - &w.reshape(&[2]));
    examples::outln!("error in estimating b: {}", true_b - &b);
    examples::outln!("{w}");
    examples::outln!("{b}");
    examples::report_extras(args, elapsed, &features, &labels, &w, &b, &epoch_losses)
}
