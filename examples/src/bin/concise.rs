//! Linear regression the concise way, as in *Dive into Deep Learning* §3.3:
//! `TensorDataset`, `DataLoader`, `Sequential(Linear(2, 1))`, `MSELoss`, `SGD`.
//!
//! `cargo run -p examples --bin concise [-- --seed N] [--plot FILE.svg] [--time]`

use std::error::Error;
use std::time::Instant;

use autograd::{no_grad, Tensor};
use data::{DataLoader, TensorDataset};
use examples::{flag_value, has_flag, list_repr, plot, seed_from_args, synthetic_data};
use nn::{Linear, MSELoss, Module, Sequential};
use optim::{Optimizer, SGD};

/// Builds a data iterator: `data.DataLoader(data.TensorDataset(*arrays), batch_size, shuffle=is_train)`.
fn load_array(
    arrays: Vec<Tensor>,
    batch_size: usize,
    is_train: bool,
) -> Result<DataLoader<TensorDataset>, Box<dyn Error>> {
    let dataset = TensorDataset::new(arrays)?;
    Ok(DataLoader::builder(dataset)
        .batch_size(batch_size)
        .shuffle(is_train)
        .build()?)
}

fn main() -> Result<(), Box<dyn Error>> {
    if let Some(seed) = seed_from_args() {
        tensor::manual_seed(seed);
    }
    let true_w = Tensor::from_slice(&[2.0, -3.4]);
    let true_b = 4.2;
    let (features, labels) = synthetic_data(&true_w, true_b, 1000);

    let batch_size = 10;
    let data_iter = load_array(vec![features.clone(), labels.clone()], batch_size, true)?;
    println!(
        "{}",
        list_repr(&data_iter.iter().next().expect("a non-empty dataset"))
    ); // next(iter(data_iter))

    let net = Sequential::new().append(Linear::new(2, 1)); // nn.Sequential(nn.Linear(2, 1))
    net.layer::<Linear>(0).weight().data().normal_(0.0, 0.01); // net[0].weight.data.normal_(0, 0.01)
    net.layer::<Linear>(0)
        .bias()
        .expect("Linear has a bias")
        .data()
        .fill_(0.0); // net[0].bias.data.fill_(0)
    let loss = MSELoss::new();
    let mut trainer = SGD::new(net.parameters(), 0.03)?;

    let num_epochs = 3;
    let mut epoch_losses = Vec::new();
    let start = Instant::now();
    for epoch in 0..num_epochs {
        for batch in &data_iter {
            let (x, y) = (&batch[0], &batch[1]);
            let l = loss.forward(&net.forward(x), y);
            trainer.zero_grad();
            l.backward();
            trainer.step();
        }
        let l = {
            let _guard = no_grad();
            loss.forward(&net.forward(&features), &labels)
        };
        epoch_losses.push(l.item());
        println!("epoch {}, loss {:.6}", epoch + 1, l.item());
    }
    let elapsed = start.elapsed();

    let w = net.layer::<Linear>(0).weight().data();
    println!("error in estimating w: {}", &true_w - &w.reshape(&[2]));
    let b = net
        .layer::<Linear>(0)
        .bias()
        .expect("Linear has a bias")
        .data();
    println!("error in estimating b: {}", true_b - &b);
    if has_flag("--time") {
        eprintln!("training time: {:.3} ms", elapsed.as_secs_f64() * 1e3);
    }
    if let Some(path) = flag_value("--plot") {
        let xs = features.select(1, 1).to_vec(); // features[:, 1]
        let svg = plot::fit_and_loss_svg(
            &xs,
            &labels.to_vec(),
            w.to_vec()[1],
            b.item(),
            &epoch_losses,
        );
        std::fs::write(&path, svg)?;
        eprintln!("wrote {path}");
    }
    Ok(())
}
