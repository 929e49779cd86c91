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

/// With the same seed, the same data, initial weights and batch order as
/// the book's PyTorch code seeded with `torch.manual_seed(42)`
/// (`tools/reference/concise_seeded.py`), so the same printed lines.
#[test]
fn concise_with_seed_42_prints_what_pytorch_prints() {
    let output = run(env!("CARGO_BIN_EXE_concise"), &["--seed", "42"]);
    assert_eq!(output, include_str!("data/concise_seed42.txt"));
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

/// Runs `bin` and returns (exit code, stdout, stderr).
fn run_raw(bin: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(bin).args(args).output().expect("binary runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const BINARIES: [&str; 9] = [
    env!("CARGO_BIN_EXE_scratch"),
    env!("CARGO_BIN_EXE_concise"),
    env!("CARGO_BIN_EXE_autograd"),
    env!("CARGO_BIN_EXE_softmax"),
    env!("CARGO_BIN_EXE_mlp"),
    env!("CARGO_BIN_EXE_dropout"),
    env!("CARGO_BIN_EXE_weight_decay"),
    env!("CARGO_BIN_EXE_lenet"),
    env!("CARGO_BIN_EXE_resnet"),
];

#[test]
fn every_binary_has_help_and_rejects_bad_flags_with_its_usage() {
    for bin in BINARIES {
        let (code, stdout, _) = run_raw(bin, &["--help"]);
        assert_eq!(code, Some(0), "{bin} --help");
        assert!(
            stdout.contains("Usage:") && stdout.contains("--seed <N>"),
            "{stdout}"
        );
        for bad in [&["--bogus"][..], &["--seed"], &["--seed", "minus-one"]] {
            let (code, stdout, stderr) = run_raw(bin, bad);
            assert_eq!(code, Some(2), "{bin} {bad:?}");
            assert!(stdout.is_empty(), "{bin} {bad:?} printed {stdout}");
            assert!(
                stderr.starts_with("error: ") && stderr.contains("Usage:"),
                "{bin} {bad:?}: {stderr}"
            );
        }
    }
}

#[test]
fn the_cnn_binaries_list_their_models_and_reject_unknown_ones() {
    let (code, stdout, _) = run_raw(env!("CARGO_BIN_EXE_lenet"), &["--help"]);
    assert_eq!(code, Some(0));
    assert!(
        stdout.contains("sigmoid") && stdout.contains("relu") && stdout.contains("batch-norm"),
        "{stdout}"
    );
    let (code, _, stderr) = run_raw(env!("CARGO_BIN_EXE_lenet"), &["--model", "alexnet"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("invalid value 'alexnet'"), "{stderr}");
    let (code, stdout, _) = run_raw(env!("CARGO_BIN_EXE_resnet"), &["--help"]);
    assert_eq!(code, Some(0));
    assert!(stdout.contains("--width-divisor"), "{stdout}");
}

#[test]
fn an_unwritable_plot_path_is_reported_the_same_way_by_both_trainers() {
    for bin in &BINARIES[..2] {
        let (code, _, stderr) = run_raw(bin, &["--plot", "/nonexistent-dir/fit.svg"]);
        assert_eq!(code, Some(1), "{bin}");
        assert_eq!(
            stderr,
            "error: --plot: cannot write /nonexistent-dir/fit.svg: No such file or directory (os error 2)\n",
            "{bin}"
        );
    }
}

#[test]
fn a_closed_or_full_standard_output_ends_the_program_without_a_panic() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    // The tutorial's binaries (the classifiers would download their data).
    for bin in &BINARIES[..3] {
        // `bin | head -1`: the reader goes away after the first line.
        let mut child = Command::new(bin)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("binary runs");
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{bin}: {:?} {stderr}", out.status);
        assert!(!stderr.contains("panicked"), "{bin}: {stderr}");
    }
    if std::path::Path::new("/dev/full").exists() {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = Command::new(BINARIES[1]).stdout(full).output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            "error: cannot write to standard output: No space left on device (os error 28)\n"
        );
    }
}

#[test]
fn the_book_s_later_chapters_print_their_lines() {
    // Softmax regression for one epoch on the bundled MNIST split (offline).
    let (code, stdout, stderr) = run_raw(
        env!("CARGO_BIN_EXE_softmax"),
        &["--dataset", "mnist-bundled", "--epochs", "1", "--seed", "0"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    let fields: Vec<&str> = lines[0].split(", ").collect();
    assert_eq!(fields[0], "epoch 1", "{stdout}");
    assert!(
        fields[1].starts_with("loss ")
            && fields[2].starts_with("train acc ")
            && fields[3].starts_with("test acc ")
    );
    let accuracy: f64 = fields[3]["test acc ".len()..].parse().unwrap();
    assert!(
        accuracy > 0.7,
        "one epoch of softmax regression: {accuracy}"
    );
    assert!(lines[1].ends_with(" examples/sec"), "{stdout}");
    // Weight decay shrinks the weights, as the book shows.
    let (code, stdout, stderr) = run_raw(env!("CARGO_BIN_EXE_weight_decay"), &["--seed", "0"]);
    assert_eq!(code, Some(0), "{stderr}");
    let norms: Vec<f64> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("L2 norm of w: "))
        .map(|v| v.parse().unwrap())
        .collect();
    assert_eq!(norms.len(), 2, "{stdout}");
    assert!(norms[0] > 5.0 && norms[1] < 1.0, "{norms:?}");
}
