//! Helpers shared by the tutorial binaries: the command line, the
//! synthetic linear-regression data, printing a list of tensors as IPython
//! shows it, and an SVG plot of the fit.

pub mod classification;
pub mod cnn;
pub mod concise;
pub mod plot;
pub mod scratch;

use std::error::Error;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use autograd::Tensor;

/// The command line of the two linear-regression binaries.
#[derive(clap::Parser, Debug, Default)]
#[command(
    about = "Linear regression as in the book's chapter 3: trains on synthetic data and prints the tutorial's output.",
    long_about = None
)]
pub struct TrainingArgs {
    /// Seed the default generator first (torch.manual_seed(N)).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Draw the data, the fitted line and the loss per epoch as an SVG file.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
    /// Print the training time on stderr.
    #[arg(long)]
    pub time: bool,
}

/// Like `println!`, for the binaries' output: a closed pipe (`| head`) ends
/// the program quietly with status 0, and any other write error (a full
/// disk) with `error: ...` and status 1, instead of a panic.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::write_line(::std::format_args!($($arg)*))
    };
}

/// Writes one line to standard output; see [`outln!`].
pub fn write_line(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(line).and_then(|()| out.write_all(b"\n")) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write to standard output: {e}");
        std::process::exit(1);
    }
}

/// Parses the command line into `T`. `--help` prints the help and exits 0;
/// any usage error (an unknown flag, a flag without its value, a value that
/// does not parse) prints the error and the usage line to stderr and exits 2.
pub fn parse_args<T: clap::Parser>() -> T {
    match T::try_parse() {
        Ok(args) => args,
        Err(e) if !e.use_stderr() => e.exit(), // --help, --version
        Err(e) => {
            let message = e.render().to_string();
            eprint!("{message}");
            if !message.contains("Usage:") {
                let name = std::env::args_os()
                    .next()
                    .map(PathBuf::from)
                    .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()));
                let mut command = T::command();
                if let Some(name) = name {
                    command = command.bin_name(name);
                }
                eprintln!("\n{}", command.render_usage());
            }
            std::process::exit(e.exit_code());
        }
    }
}

/// Runs a binary's body and turns its error into the message every example
/// prints, `error: ...` on stderr, and exit status 1.
pub fn exit_code(result: Result<(), Box<dyn Error>>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Generates `y = Xw + b + noise` with `X ~ N(0, 1)` of shape `[n, len(w)]`
/// and noise `~ N(0, 0.01²)`; returns `(X, y)` with `y` of shape `[n, 1]`.
///
/// ```python
/// def synthetic_data(w, b, num_examples):
///     X = torch.normal(0, 1, (num_examples, len(w)))
///     y = torch.matmul(X, w) + b
///     y += torch.normal(0, 0.01, y.shape)
///     return X, y.reshape((-1, 1))
/// ```
pub fn synthetic_data(w: &Tensor, b: f32, num_examples: usize) -> (Tensor, Tensor) {
    let x = Tensor::normal(0.0, 1.0, &[num_examples, w.len()]);
    let mut y = &x.matmul(w) + b;
    y += &Tensor::normal(0.0, 0.01, &y.shape());
    (x, y.reshape(&[-1, 1]))
}

/// A list of tensors as IPython displays it (`next(iter(data_iter))` in a
/// notebook): `[tensor(...),\n tensor(...)]`, continuation lines indented by one.
pub fn list_repr(tensors: &[Tensor]) -> String {
    let items: Vec<String> = tensors
        .iter()
        .map(|t| t.to_string().replace('\n', "\n "))
        .collect();
    format!("[{}]", items.join(",\n "))
}

/// The optional outputs of both tutorial binaries: with `--time`, the
/// training time on stderr; with `--plot FILE.svg`, `features[:, 1]` against
/// the labels with the fitted line (`w[1]`, `b`) and the loss per epoch.
///
/// # Errors
/// If the SVG file cannot be written, naming the file.
pub fn report_extras(
    args: &TrainingArgs,
    elapsed: Duration,
    features: &Tensor,
    labels: &Tensor,
    w: &Tensor,
    b: &Tensor,
    epoch_losses: &[f32],
) -> Result<(), Box<dyn Error>> {
    if args.time {
        eprintln!("training time: {:.3} ms", elapsed.as_secs_f64() * 1e3);
    }
    if let Some(path) = &args.plot {
        let xs = features.select(1, 1).to_vec(); // features[:, 1]
        let svg = plot::fit_and_loss_svg(
            &xs,
            &labels.to_vec(),
            w.to_vec()[1],
            b.to_vec()[0],
            epoch_losses,
        )?;
        plot::write(path, &svg)?;
    }
    Ok(())
}
