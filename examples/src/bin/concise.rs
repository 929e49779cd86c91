//! Linear regression the concise way, as in *Dive into Deep Learning* §3.3.
//! The tutorial's pieces live in [`examples::concise`]; this program runs
//! them and prints what the tutorial prints.
//!
//! `cargo run -p examples --bin concise -- [--seed N] [--plot FILE.svg] [--time]`

use std::error::Error;
use std::process::ExitCode;
use std::time::Instant;

use autograd::Tensor;
use examples::concise::{linear_net, load_array, train};
use examples::{list_repr, synthetic_data, TrainingArgs};
use nn::{Linear, Module};
use optim::SGD;

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

    let batch_size = 10;
    let data_iter = load_array(&[features.clone(), labels.clone()], batch_size, true)?;
    let first = data_iter.iter().next().expect("a non-empty dataset"); // next(iter(data_iter))
    examples::outln!("{}", list_repr(&first));

    let net = linear_net(); // nn.Sequential(nn.Linear(2, 1)), initialised in place
    let mut trainer = SGD::new(net.parameters(), 0.03)?; // torch.optim.SGD(net.parameters(), lr=0.03)

    let num_epochs = 3;
    let mut epoch_losses = Vec::new();
    let start = Instant::now();
    train(
        &net,
        &mut trainer,
        &data_iter,
        &features,
        &labels,
        num_epochs,
        |epoch, loss| {
            epoch_losses.push(loss);
            examples::outln!("epoch {}, loss {loss:.6}", epoch + 1);
        },
    );
    let elapsed = start.elapsed();

    let w = net.layer::<Linear>(0).weight().data();
    examples::outln!("error in estimating w: {}", &true_w - &w.reshape(&[2]));
    let b = net
        .layer::<Linear>(0)
        .bias()
        .expect("Linear has a bias")
        .data();
    examples::outln!("error in estimating b: {}", true_b - &b);
    examples::report_extras(args, elapsed, &features, &labels, &w, &b, &epoch_losses)
}
