//! The tutorial binaries converge for any seed and print the tutorial's lines.

use std::process::Command;

fn run(bin: &str, args: &[&str]) -> String {
    let out = Command::new(bin).args(args).output().expect("binary runs");
    assert!(
        out.status.success(),
        "{bin} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// The numbers inside the first `tensor([...])` on the line starting with `prefix`.
fn tensor_values(output: &str, prefix: &str) -> Vec<f32> {
    let line = output
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line {prefix:?} in\n{output}"));
    let inner = line
        .split("tensor([")
        .nth(1)
        .and_then(|s| s.split(']').next())
        .expect("tensor([...])");
    inner
        .split(',')
        .map(|v| v.trim().parse().expect("a number"))
        .collect()
}

fn final_loss(output: &str) -> f32 {
    let line = output
        .lines()
        .rfind(|l| l.starts_with("epoch 3, loss "))
        .expect("three epochs");
    line["epoch 3, loss ".len()..].parse().expect("a loss")
}

/// `loss_scale` converts the printed loss to the tutorial's squared loss
/// `(ŷ - y)² / 2`: 1 for `scratch`, ½ for `concise`, whose `MSELoss` has no
/// ½. (The label noise has variance 1e-4, so the best achievable MSE is about
/// 1e-4 itself; the squared loss of a converged fit is about 5e-5.)
fn check_converges(bin: &str, loss_scale: f32) {
    for seed in ["0", "1", "2", "42", "12345"] {
        let output = run(bin, &["--seed", seed]);
        let loss = final_loss(&output) * loss_scale;
        assert!(loss < 1e-4, "{bin} seed {seed}: final squared loss {loss}");
        let errors: Vec<f32> = tensor_values(&output, "error in estimating w:")
            .into_iter()
            .chain(tensor_values(&output, "error in estimating b:"))
            .collect();
        assert_eq!(errors.len(), 3);
        assert!(
            errors.iter().all(|e| e.abs() < 2e-3),
            "{bin} seed {seed}: errors {errors:?}"
        );
        assert_eq!(
            run(bin, &["--seed", seed]),
            output,
            "{bin} seed {seed} is reproducible"
        );
    }
}

#[test]
fn scratch_converges_for_every_seed() {
    check_converges(env!("CARGO_BIN_EXE_scratch"), 1.0);
}

#[test]
fn concise_converges_for_every_seed() {
    check_converges(env!("CARGO_BIN_EXE_concise"), 0.5);
}

#[test]
fn concise_prints_the_first_batch_as_a_list() {
    let output = run(env!("CARGO_BIN_EXE_concise"), &[]);
    let lines: Vec<&str> = output.lines().collect();
    assert!(lines[0].starts_with("[tensor([["), "{}", lines[0]);
    assert!(
        lines[1].starts_with("         ["),
        "continuation rows are indented like IPython's: {:?}",
        lines[1]
    );
    assert_eq!(lines.iter().filter(|l| l.starts_with("epoch ")).count(), 3);
}

#[test]
fn scratch_prints_the_tutorial_lines_and_a_plot() {
    let svg = std::env::temp_dir().join(format!("scratch-{}.svg", std::process::id()));
    let output = run(
        env!("CARGO_BIN_EXE_scratch"),
        &["--plot", svg.to_str().unwrap()],
    );
    assert!(output.starts_with("features tensor(["), "{output}");
    assert!(output
        .lines()
        .nth(1)
        .unwrap()
        .starts_with("labels tensor(["));
    assert!(output.contains("], requires_grad=True)"));
    let picture = std::fs::read_to_string(&svg).expect("the SVG was written");
    std::fs::remove_file(&svg).ok();
    assert!(picture.starts_with("<svg") && picture.trim_end().ends_with("</svg>"));
    assert_eq!(
        picture.matches("<circle").count(),
        1000 + 3,
        "1000 samples and 3 epoch markers"
    );
    assert!(picture.contains("<line") && picture.contains("<polyline"));
}

/// Byte for byte what PyTorch prints for the same program
/// (`tools/reference/autograd_tour.py`).
#[test]
fn autograd_tour_prints_exactly_what_pytorch_prints() {
    let output = run(env!("CARGO_BIN_EXE_autograd"), &[]);
    assert_eq!(output, include_str!("data/autograd_tour.txt"));
}
