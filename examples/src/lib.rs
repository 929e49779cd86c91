//! Helpers shared by the tutorial binaries: command-line flags, the
//! synthetic linear-regression data, printing a list of tensors as IPython
//! shows it, and an SVG plot of the fit.

pub mod concise;
pub mod plot;
pub mod scratch;

use std::time::Duration;

use autograd::Tensor;

/// The value of `--seed N` on the command line, if given.
///
/// # Panics
/// If `--seed` is followed by something other than an unsigned integer.
pub fn seed_from_args() -> Option<u64> {
    flag_value("--seed").map(|s| {
        s.parse()
            .unwrap_or_else(|_| panic!("--seed expects an unsigned integer, got {s:?}"))
    })
}

/// The argument following `flag` on the command line, if present.
pub fn flag_value(flag: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1).cloned())
}

/// Whether `flag` appears on the command line.
pub fn has_flag(flag: &str) -> bool {
    std::env::args().any(|a| a == flag)
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
/// If the SVG file cannot be written.
pub fn report_extras(
    elapsed: Duration,
    features: &Tensor,
    labels: &Tensor,
    w: &Tensor,
    b: &Tensor,
    epoch_losses: &[f32],
) -> std::io::Result<()> {
    if has_flag("--time") {
        eprintln!("training time: {:.3} ms", elapsed.as_secs_f64() * 1e3);
    }
    if let Some(path) = flag_value("--plot") {
        let xs = features.select(1, 1).to_vec(); // features[:, 1]
        let svg = plot::fit_and_loss_svg(
            &xs,
            &labels.to_vec(),
            w.to_vec()[1],
            b.to_vec()[0],
            epoch_losses,
        );
        std::fs::write(&path, svg)?;
        eprintln!("wrote {path}");
    }
    Ok(())
}
