//! Weight decay the concise way, as in *Dive into Deep Learning* §3.7: a
//! linear model on 200 features fitted from only 20 samples overfits; weight
//! decay on the weights only (a parameter group), not the bias, keeps the
//! weights small and the test loss low.
//!
//! `cargo run --release -p examples --bin weight_decay -- [--wd 3] [--seed N]`

use std::error::Error;
use std::process::ExitCode;

use autograd::{no_grad, Tensor};
use data::{DataLoader, TensorDataset};
use nn::{Linear, MSELoss, Module, Reduction, Sequential};
use optim::{Optimizer, ParamGroup, SgdOptions, SGD};

/// The command line.
#[derive(clap::Parser, Debug)]
#[command(
    about = "Weight decay (the book's section 3.7): a 200-feature linear model fitted from 20 samples, without and with decay.",
    long_about = None
)]
struct Args {
    /// The weight decay (lambda); without it, 0 and 3 as in the book.
    #[arg(long)]
    wd: Option<f32>,
    /// Seed the default generator first (torch.manual_seed(N)).
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
}

const INPUTS: usize = 200;

/// `n` samples of `y = 0.01 · Σx + 0.05 + noise`, as `d2l.synthetic_data`.
fn data(n: usize) -> (Tensor, Tensor) {
    let true_w = Tensor::full(&[INPUTS], 0.01);
    examples::synthetic_data(&true_w, 0.05, n)
}

fn main() -> ExitCode {
    examples::exit_code(run(&examples::parse_args::<Args>()))
}

fn run(args: &Args) -> Result<(), Box<dyn Error>> {
    if let Some(seed) = args.seed {
        tensor::manual_seed(seed);
    }
    let (train_x, train_y) = data(20);
    let (test_x, test_y) = data(100);
    let loader = DataLoader::builder(TensorDataset::new(&[train_x.clone(), train_y.clone()])?)
        .batch_size(5)
        .shuffle(true)
        .as_tuples::<(Tensor, Tensor)>()
        .build()?;
    let decays = match args.wd {
        Some(wd) => vec![wd],
        None => vec![0.0, 3.0],
    };
    for wd in decays {
        examples::outln!("weight decay {wd}:");
        let net = Sequential::new().append(Linear::new(INPUTS, 1));
        for p in net.parameters() {
            p.data().normal_(0.0, 1.0); // param.data.normal_()
        }
        let layer = net.layer::<Linear>(0);
        let lr = 0.003;
        // SGD([{"params": net[0].weight, "weight_decay": wd}, {"params": net[0].bias}], lr=lr)
        let mut trainer = SGD::with_groups(vec![
            ParamGroup::new(
                vec![layer.weight().clone()],
                SgdOptions {
                    lr,
                    weight_decay: wd,
                    ..SgdOptions::default()
                },
            ),
            ParamGroup::new(
                vec![layer.bias().expect("a bias").clone()],
                SgdOptions {
                    lr,
                    ..SgdOptions::default()
                },
            ),
        ])?;
        let loss = MSELoss::with_reduction(Reduction::None);
        let mean_loss = |x: &Tensor, y: &Tensor| {
            let _guard = no_grad();
            loss.forward(&net.forward(x), y).mean().item()
        };
        for epoch in 1..=100 {
            for (x, y) in &loader {
                trainer.zero_grad();
                loss.forward(&net.forward(&x), &y).mean().backward();
                trainer.step();
            }
            if epoch % 20 == 0 {
                examples::outln!(
                    "epoch {epoch}, train loss {:.6}, test loss {:.6}",
                    mean_loss(&train_x, &train_y),
                    mean_loss(&test_x, &test_y)
                );
            }
        }
        examples::outln!("L2 norm of w: {:.6}", layer.weight().norm().item());
    }
    Ok(())
}
