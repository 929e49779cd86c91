//! Weights moving between PyTorch and this library, both ways, with the
//! files `tools/reference/interop.py` wrote (and checked) committed in
//! `tests/data/interop/`:
//!
//! - the book's BatchNorm LeNet trained in PyTorch, saved as safetensors and
//!   as `torch.save` `.pt`, loads here and gives PyTorch's logits;
//! - a model saved here (`from_rust/`) was loaded by PyTorch with
//!   `load_state_dict(strict=True)` and gave this library's logits; the
//!   script recorded that with the file's MD5.
//!
//! Regenerate `from_rust/` with `WRITE_INTEROP=1 cargo test -p examples
//! --test interop`, then run the script to check it in PyTorch.

use std::path::{Path, PathBuf};
use std::process::Command;

use autograd::{no_grad, Tensor};
use examples::cnn::lenet_batch_norm;
use md5::{Digest, Md5};
use nn::{Module, StateDict};
use optim::{Optimizer, SGD};

fn interop(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/interop")
        .join(name)
}

fn max_abs_diff(a: &Tensor, b: &Tensor) -> f32 {
    assert_eq!(a.shape(), b.shape());
    a.to_vec()
        .iter()
        .zip(b.to_vec())
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

/// The logits of the LeNet holding `state`, in eval or training mode.
fn logits(state: &StateDict, input: &Tensor, train: bool) -> Tensor {
    let mut net = lenet_batch_norm();
    net.load_state_dict(state, true).unwrap();
    net.set_training(train);
    let _no_grad = no_grad();
    net.forward(input)
}

#[test]
fn a_lenet_trained_in_pytorch_gives_pytorchs_logits_from_safetensors_and_pt() {
    let io = serialization::load_file(interop("lenet_bn_io.safetensors")).unwrap();
    let from_safetensors = serialization::load_file(interop("lenet_bn.safetensors")).unwrap();
    let from_pt = serialization::load(interop("lenet_bn.pt")).unwrap();
    // torch.save keeps state_dict()'s order, which is this library's too.
    let ours: Vec<String> = lenet_batch_norm().state_dict().keys().cloned().collect();
    assert_eq!(from_pt.keys().cloned().collect::<Vec<_>>(), ours);
    assert_eq!(from_safetensors.len(), ours.len());
    assert_eq!(
        from_pt["1.num_batches_tracked"].value().item_as::<i64>(),
        30
    );
    for (file, state) in [("safetensors", &from_safetensors), ("pt", &from_pt)] {
        for (mode, train) in [("eval", false), ("train", true)] {
            let diff = max_abs_diff(&logits(state, &io["input"], train), &io[mode]);
            assert!(diff <= 1e-5, "{file}, {mode} mode: max |diff| {diff}");
        }
    }
}

fn md5_hex(bytes: &[u8]) -> String {
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Trains the PyTorch LeNet a few steps here and writes `from_rust/`.
fn write_from_rust() {
    let mut net = lenet_batch_norm();
    let state = serialization::load_file(interop("lenet_bn.safetensors")).unwrap();
    net.load_state_dict(&state, true).unwrap();
    let mut trainer = SGD::new(net.parameters(), 0.05).unwrap();
    tensor::manual_seed(7);
    for _ in 0..3 {
        let x = Tensor::rand(&[32, 1, 28, 28]);
        let y = Tensor::new(
            tensor::Tensor::from_data(&(0..32).map(|i| i % 10).collect::<Vec<i64>>(), &[32])
                .unwrap(),
        );
        let loss = nn::CrossEntropyLoss::new().forward(&net.forward(&x), &y);
        trainer.zero_grad();
        loss.backward();
        trainer.step();
    }
    std::fs::create_dir_all(interop("from_rust")).unwrap();
    serialization::save_file(&net.state_dict(), interop("from_rust/lenet_bn.safetensors")).unwrap();
    let io = serialization::load_file(interop("lenet_bn_io.safetensors")).unwrap();
    net.eval();
    let eval = no_grad_forward(&net, &io["input"]);
    let record: StateDict = [
        ("input".to_string(), io["input"].clone()),
        ("eval".to_string(), eval),
    ]
    .into_iter()
    .collect();
    serialization::save_file(&record, interop("from_rust/io.safetensors")).unwrap();
}

fn no_grad_forward(net: &nn::Sequential, x: &Tensor) -> Tensor {
    let _no_grad = no_grad();
    net.forward(x)
}

#[test]
fn a_model_saved_here_was_loaded_by_pytorch_with_the_same_logits() {
    if std::env::var_os("WRITE_INTEROP").is_some() {
        write_from_rust();
    }
    let file = std::fs::read(interop("from_rust/lenet_bn.safetensors")).unwrap();
    let check = std::fs::read_to_string(interop("from_rust/pytorch_check.txt")).unwrap();
    assert!(
        check.contains(&format!("md5 {}", md5_hex(&file))),
        "pytorch_check.txt is about another file: run tools/reference/interop.py\n{check}"
    );
    assert!(check.contains("result ok"), "{check}");
    // What PyTorch compared against: this library's logits for the file.
    let state = serialization::load_file(interop("from_rust/lenet_bn.safetensors")).unwrap();
    let io = serialization::load_file(interop("from_rust/io.safetensors")).unwrap();
    let diff = max_abs_diff(&logits(&state, &io["input"], false), &io["eval"]);
    assert!(diff <= 1e-5, "max |diff| {diff}");
    // And saving the loaded state gives the same bytes PyTorch read.
    let resaved = std::env::temp_dir().join(format!("interop-{}.safetensors", std::process::id()));
    serialization::save_file(&state, &resaved).unwrap();
    assert_eq!(std::fs::read(&resaved).unwrap(), file);
    std::fs::remove_file(resaved).unwrap();
}

fn run(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_lenet"))
        .args(args)
        .output()
        .expect("lenet runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "lenet {args:?} failed:\n{stdout}\n{stderr}"
    );
    stdout
}

/// The `test acc` the line of `output` reports.
fn test_accuracy(output: &str) -> f64 {
    let line = output
        .lines()
        .find(|l| l.starts_with("test acc"))
        .expect("a test acc line");
    line["test acc ".len()..].trim().parse().unwrap()
}

#[test]
fn the_lenet_example_loads_pytorchs_checkpoint_and_saves_and_resumes() {
    let pt = interop("lenet_bn.pt");
    let common = ["--model", "batch-norm", "--dataset", "mnist-bundled"];
    let evaluated = run(&[
        &common[..],
        &["--epochs", "0", "--load", pt.to_str().unwrap()],
    ]
    .concat());
    assert!(evaluated.contains("loaded"), "{evaluated}");
    let accuracy = test_accuracy(&evaluated);
    assert!(accuracy > 0.5, "PyTorch's LeNet evaluates at {accuracy}");

    let dir = std::env::temp_dir().join(format!("interop-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let saved = dir.join("lenet.safetensors");
    let saved = saved.to_str().unwrap();
    run(&[
        &common[..],
        &[
            "--epochs",
            "0",
            "--load",
            pt.to_str().unwrap(),
            "--save",
            saved,
        ],
    ]
    .concat());
    assert!(dir.join("lenet.optimizer.safetensors").exists());
    let again = run(&[&common[..], &["--epochs", "0", "--load", saved]].concat());
    assert_eq!(test_accuracy(&again), accuracy);
    std::fs::remove_dir_all(dir).unwrap();
}
