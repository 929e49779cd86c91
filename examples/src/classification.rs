//! Image classification as the book's chapters 4–5 train it (softmax
//! regression §4.5, the MLP §5.2): the bundled MNIST split, the models
//! initialised as the book does, one training epoch and the accuracy.

use std::error::Error;

use autograd::{no_grad, Tensor};
use data::{DataLoader, Dataset, Subset, MNIST};
use nn::{init, CrossEntropyLoss, Dropout, Flatten, Linear, Module, ReLU, Sequential};
use optim::Optimizer;

/// The bundled MNIST test set split as the examples and tests use it: the
/// first 8,000 images to train on, the last 2,000 held out.
///
/// # Errors
/// If the bundled files are missing or damaged.
pub fn bundled_mnist_split() -> Result<(Subset<MNIST>, Subset<MNIST>), Box<dyn Error>> {
    let all = MNIST::new(data::bundled_data_root(), false)?;
    let train = Subset::new(all.clone(), (0..8_000).collect())?;
    let test = Subset::new(all, (8_000..10_000).collect())?;
    Ok((train, test))
}

/// Draws the weights of every `Linear` from `N(0, 0.01²)` and zeroes the
/// biases, as the book's `init_weights` applied with `net.apply` does.
fn init_weights(net: &mut Sequential) {
    net.apply(&mut |m: &mut dyn Module| {
        let Some(weight) = m.parameter("weight") else {
            return;
        };
        init::normal_(&weight, 0.0, 0.01).expect("a valid std");
        if let Some(bias) = m.parameter("bias") {
            init::zeros_(&bias).expect("a float bias");
        }
    });
}

/// Softmax regression: `nn.Sequential(nn.Flatten(), nn.Linear(784, 10))`.
pub fn softmax_regression() -> Sequential {
    let mut net = Sequential::new()
        .append(Flatten::default())
        .append(Linear::new(784, 10));
    init_weights(&mut net);
    net
}

/// The MLP: `nn.Sequential(nn.Flatten(), nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, 10))`.
pub fn mlp(hidden: usize) -> Sequential {
    let mut net = Sequential::new()
        .append(Flatten::default())
        .append(Linear::new(784, hidden))
        .append(ReLU)
        .append(Linear::new(hidden, 10));
    init_weights(&mut net);
    net
}

/// The book's dropout MLP: `Flatten, Linear(784, 256), ReLU, Dropout(p1),
/// Linear(256, 256), ReLU, Dropout(p2), Linear(256, 10)`.
pub fn mlp_with_dropout(p1: f64, p2: f64) -> Sequential {
    let mut net = Sequential::new()
        .append(Flatten::default())
        .append(Linear::new(784, 256))
        .append(ReLU)
        .append(Dropout::new(p1))
        .append(Linear::new(256, 256))
        .append(ReLU)
        .append(Dropout::new(p2))
        .append(Linear::new(256, 10));
    init_weights(&mut net);
    net
}

/// The number of correct predictions in a batch: `(y_hat.argmax(1) == y).sum()`.
pub fn correct(y_hat: &Tensor, y: &Tensor) -> f64 {
    y_hat.argmax_dim(1, false).eq(y).sum().item_as::<i64>() as f64
}

/// One epoch of training; returns (mean loss, accuracy) over its samples.
pub fn train_epoch<D: Dataset>(
    net: &mut Sequential,
    loader: &DataLoader<D>,
    trainer: &mut dyn Optimizer,
) -> (f64, f64) {
    train_epoch_with(net, loader, trainer, || {})
}

/// The accuracy of `net` on every sample of `loader`, in evaluation mode
/// and without recording.
pub fn evaluate_accuracy<D: Dataset>(net: &mut Sequential, loader: &DataLoader<D>) -> f64 {
    net.eval();
    let _guard = no_grad();
    let (mut hits, mut seen) = (0.0, 0.0);
    for batch in loader {
        hits += correct(&net.forward(&batch[0]), &batch[1]);
        seen += batch[1].shape()[0] as f64;
    }
    hits / seen
}

/// The command line of the classification binaries.
#[derive(clap::Parser, Debug)]
#[command(
    about = "Trains one of the book's image classifiers (chapters 4-5) and prints its per-epoch line.",
    long_about = None
)]
pub struct ClassificationArgs {
    /// The images: Fashion-MNIST (downloaded into --root, as torchvision
    /// does) or the bundled MNIST test set split 8,000 / 2,000 (offline).
    #[arg(long, value_enum, default_value_t = DatasetChoice::FashionMnist)]
    pub dataset: DatasetChoice,
    /// Where datasets live (torchvision's `root`).
    #[arg(long, default_value = "data")]
    pub root: std::path::PathBuf,
    /// Passes over the training set.
    #[arg(long, default_value_t = 10)]
    pub epochs: usize,
    /// Samples per batch.
    #[arg(long, default_value_t = 256)]
    pub batch_size: usize,
    /// SGD's learning rate.
    #[arg(long, default_value_t = 0.1)]
    pub lr: f32,
    /// Seed the default generator first (torch.manual_seed(N)).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Draw loss and accuracies per epoch as an SVG file (the book's animator).
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<std::path::PathBuf>,
    /// Start from a saved model: a state_dict in a safetensors file (from
    /// --save, or PyTorch's safetensors.torch.save_file) or a .pt/.pth file
    /// from torch.save(model.state_dict(), ...). The optimizer's state is
    /// loaded too if --save wrote it beside the file. With --epochs 0 the
    /// model is only evaluated.
    #[arg(long, value_name = "FILE")]
    pub load: Option<std::path::PathBuf>,
    /// Save the trained model's state_dict to FILE (safetensors, which
    /// PyTorch reads with safetensors.torch.load_file), and the optimizer's
    /// state beside it (FILE with extension .optimizer.safetensors) for --load.
    #[arg(long, value_name = "FILE")]
    pub save: Option<std::path::PathBuf>,
}

/// Where `--save FILE` puts the optimizer's state: `FILE.optimizer.safetensors`
/// (`model.safetensors` gives `model.optimizer.safetensors`).
pub fn optimizer_path(model: &std::path::Path) -> std::path::PathBuf {
    model.with_extension("optimizer.safetensors")
}

/// Loads `--load FILE` into `net` and, if saved beside it, `trainer`'s state.
fn load_checkpoint(
    path: &std::path::Path,
    net: &mut Sequential,
    trainer: &mut dyn Optimizer,
) -> Result<(), Box<dyn Error>> {
    let torch_file = matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("pt" | "pth")
    );
    let state = match torch_file {
        true => serialization::load(path)?,
        false => serialization::load_file(path)?,
    };
    net.load_state_dict(&state, true)?;
    let optimizer = optimizer_path(path);
    if optimizer.exists() {
        trainer.load_state_dict(&optim::OptimizerStateDict::load_file(&optimizer)?)?;
    }
    crate::outln!("loaded {}", path.display());
    Ok(())
}

/// Saves `net`'s state_dict to `path` and `trainer`'s state beside it.
fn save_checkpoint(
    path: &std::path::Path,
    net: &Sequential,
    trainer: &dyn Optimizer,
) -> Result<(), Box<dyn Error>> {
    serialization::save_file(&net.state_dict(), path)?;
    trainer.state_dict().save_file(optimizer_path(path))?;
    crate::outln!("saved {}", path.display());
    Ok(())
}

/// The datasets the classification binaries train on.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DatasetChoice {
    /// Fashion-MNIST, downloaded on first use.
    FashionMnist,
    /// The MNIST test set bundled with this repository, split 8,000 / 2,000.
    MnistBundled,
}

/// Trains `net` as the book's chapter does and prints its per-epoch line
/// (`epoch 1, loss 0.785, train acc 0.749, test acc 0.790`), then the
/// throughput.
///
/// # Errors
/// If the dataset cannot be read or downloaded, or the plot written.
pub fn run_book_chapter(
    args: &ClassificationArgs,
    mut net: Sequential,
) -> Result<(), Box<dyn Error>> {
    if let Some(seed) = args.seed {
        tensor::manual_seed(seed);
    }
    let mut trainer = optim::SGD::new(net.parameters(), args.lr)?;
    if let Some(path) = &args.load {
        load_checkpoint(path, &mut net, &mut trainer)?;
    }
    let (train_set, test_set): (Box<dyn Dataset>, Box<dyn Dataset>) = match args.dataset {
        DatasetChoice::MnistBundled => {
            let (train, test) = bundled_mnist_split()?;
            (Box::new(train), Box::new(test))
        }
        DatasetChoice::FashionMnist => {
            let train = MNIST::fashion(&args.root, true, true)?;
            let test = MNIST::fashion(&args.root, false, true)?;
            (Box::new(train), Box::new(test))
        }
    };
    let train = DataLoader::builder(train_set)
        .batch_size(args.batch_size)
        .shuffle(true)
        .build()?;
    let test = DataLoader::builder(test_set)
        .batch_size(args.batch_size)
        .build()?;
    let mut curves = Curves::default();
    let start = std::time::Instant::now();
    let mut samples = 0usize;
    for epoch in 0..args.epochs {
        let progress = indicatif::ProgressBar::new(train.len() as u64);
        progress.set_message(format!("epoch {}", epoch + 1));
        let (loss, train_acc) =
            train_epoch_with(&mut net, &train, &mut trainer, || progress.inc(1));
        progress.finish_and_clear();
        samples += train.dataset().len();
        let test_acc = evaluate_accuracy(&mut net, &test);
        crate::outln!(
            "epoch {}, loss {loss:.3}, train acc {train_acc:.3}, test acc {test_acc:.3}",
            epoch + 1
        );
        curves.push(loss, train_acc, test_acc);
    }
    if args.epochs == 0 {
        crate::outln!("test acc {:.3}", evaluate_accuracy(&mut net, &test));
    } else {
        let seconds = start.elapsed().as_secs_f64();
        crate::outln!("{:.1} examples/sec", samples as f64 / seconds);
    }
    if let Some(path) = &args.save {
        save_checkpoint(path, &net, &trainer)?;
    }
    if let Some(path) = &args.plot {
        curves.draw(path)?;
    }
    Ok(())
}

/// [`train_epoch`] calling `on_batch` after each batch (a progress bar).
fn train_epoch_with<D: Dataset>(
    net: &mut Sequential,
    loader: &DataLoader<D>,
    trainer: &mut dyn Optimizer,
    on_batch: impl Fn(),
) -> (f64, f64) {
    net.train();
    let loss = CrossEntropyLoss::new();
    let (mut total_loss, mut hits, mut seen) = (0.0, 0.0, 0.0);
    for batch in loader {
        let (x, y) = (&batch[0], &batch[1]);
        let y_hat = net.forward(x);
        let l = loss.forward(&y_hat, y);
        trainer.zero_grad();
        l.backward();
        trainer.step();
        let n = y.shape()[0] as f64;
        total_loss += f64::from(l.item()) * n;
        hits += correct(&y_hat, y);
        seen += n;
        on_batch();
    }
    (total_loss / seen, hits / seen)
}

/// Loss and accuracies per epoch, drawn as the book's animator draws them.
#[derive(Default)]
struct Curves {
    loss: Vec<f64>,
    train_acc: Vec<f64>,
    test_acc: Vec<f64>,
}

impl Curves {
    fn push(&mut self, loss: f64, train_acc: f64, test_acc: f64) {
        self.loss.push(loss);
        self.train_acc.push(train_acc);
        self.test_acc.push(test_acc);
    }

    fn draw(&self, path: &std::path::Path) -> Result<(), Box<dyn Error>> {
        let svg = crate::plot::epoch_curves_svg(&[
            ("train loss", &self.loss),
            ("train acc", &self.train_acc),
            ("test acc", &self.test_acc),
        ])?;
        crate::plot::write(path, &svg)
    }
}
