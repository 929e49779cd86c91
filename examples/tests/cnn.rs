//! The book's CNNs against PyTorch: `tools/reference/cnn_models.py` trained
//! a BatchNorm LeNet and two residual blocks for a few steps in PyTorch and
//! exported their state_dicts, a probe input and the outputs in eval and
//! training mode (`tests/data/cnn_models.txt`). Loaded here by name, the
//! same models give PyTorch's outputs; they also train for 50 steps
//! without producing NaN.

#[path = "../../crates/tensor/tests/common/blocks.rs"]
mod blocks;

use autograd::{no_grad, Tensor};
use examples::cnn::{lenet_batch_norm, Residual};
use nn::{Module, Sequential};
use optim::{Optimizer, SGD};

struct Exported {
    /// The state_dict in PyTorch's order: name and tensor (float32 or int64).
    state: Vec<(String, Tensor)>,
    input: Tensor,
    eval: (Vec<usize>, Vec<f64>),
    train: (Vec<usize>, Vec<f64>),
}

fn float((shape, values): &(Vec<usize>, Vec<f64>)) -> Tensor {
    let values: Vec<f32> = values.iter().map(|&v| v as f32).collect();
    Tensor::from_data(&values, shape).unwrap()
}

fn exported(model: &str) -> Exported {
    let (_, lines) = blocks::blocks(include_str!("data/cnn_models.txt"))
        .into_iter()
        .find(|(name, _)| name == model)
        .unwrap_or_else(|| panic!("no model {model:?} in the reference file"));
    let mut state = Vec::new();
    let (mut input, mut eval, mut train) = (None, None, None);
    for (key, rest) in lines {
        match key.as_str() {
            "state" => {
                let mut parts = rest.splitn(3, ' ');
                let (name, dtype, tensor) = (
                    parts.next().unwrap(),
                    parts.next().unwrap(),
                    parts.next().unwrap(),
                );
                let parsed = blocks::tensor_line(tensor);
                let value = match dtype {
                    "i64" => {
                        let values: Vec<i64> = parsed.1.iter().map(|&v| v as i64).collect();
                        Tensor::from_data(&values, &parsed.0).unwrap()
                    }
                    _ => float(&parsed),
                };
                state.push((name.to_string(), value));
            }
            "input" => input = Some(float(&blocks::tensor_line(&rest))),
            "eval" => eval = Some(blocks::tensor_line(&rest)),
            "train" => train = Some(blocks::tensor_line(&rest)),
            other => panic!("unknown line {other}"),
        }
    }
    Exported {
        state,
        input: input.unwrap(),
        eval: eval.unwrap(),
        train: train.unwrap(),
    }
}

/// Loads PyTorch's state_dict into `net` with `load_state_dict(strict)`,
/// after checking that its `state_dict` has PyTorch's names in PyTorch's order.
fn load(net: &mut dyn Module, state: &[(String, Tensor)]) {
    let ours: Vec<String> = net.state_dict().keys().cloned().collect();
    let theirs: Vec<String> = state.iter().map(|(n, _)| n.clone()).collect();
    assert_eq!(ours, theirs, "state_dict names and order");
    let state: nn::StateDict = state.iter().cloned().collect();
    net.load_state_dict(&state, true).unwrap();
}

fn assert_close(what: &str, actual: &Tensor, (shape, values): &(Vec<usize>, Vec<f64>)) {
    assert_eq!(&actual.shape(), shape, "{what}: shape");
    for (i, (a, e)) in actual.to_vec_as::<f64>().iter().zip(values).enumerate() {
        assert!(
            (a - e).abs() <= 1e-5 * (1.0 + e.abs()),
            "{what}: element {i} is {a}, PyTorch gives {e}"
        );
    }
}

/// Loads the exported model into `net` and compares both modes' outputs.
fn matches_pytorch(mut net: impl Module, model: &str) {
    let reference = exported(model);
    load(&mut net, &reference.state);
    net.eval();
    let _guard = no_grad();
    assert_close(
        &format!("{model}, eval"),
        &net.forward(&reference.input),
        &reference.eval,
    );
    net.train();
    assert_close(
        &format!("{model}, training"),
        &net.forward(&reference.input),
        &reference.train,
    );
}

#[test]
fn the_batch_norm_lenet_gives_pytorch_s_outputs() {
    matches_pytorch(lenet_batch_norm(), "lenet batch norm");
}

#[test]
fn residual_blocks_give_pytorch_s_outputs() {
    matches_pytorch(
        Residual::new(4, 8, true, 2),
        "residual block with 1x1 shortcut",
    );
    matches_pytorch(Residual::new(6, 6, false, 1), "residual block");
}

/// 50 SGD steps of a regression to a fixed target; every loss must be finite.
fn trains_without_nan(net: impl Module, input: &[usize]) {
    tensor::manual_seed(0);
    let x = Tensor::randn(input);
    let target = Tensor::randn(&net.forward(&x).shape());
    let mut trainer = SGD::new(net.parameters(), 0.05).unwrap();
    let mut first = None;
    let mut last = 0.0;
    for step in 0..50 {
        let loss =
            nn::functional::mse_loss(&net.forward(&x), &target, nn::Reduction::Mean).unwrap();
        trainer.zero_grad();
        loss.backward();
        trainer.step();
        last = loss.item();
        assert!(last.is_finite(), "step {step}: loss {last}");
        first.get_or_insert(last);
    }
    assert!(
        last < first.unwrap(),
        "the loss went from {first:?} to {last}"
    );
    for (name, p) in net.named_parameters() {
        assert!(
            p.to_vec().iter().all(|v| v.is_finite()),
            "{name} holds a non-finite value"
        );
    }
}

#[test]
fn the_batch_norm_lenet_trains_50_steps_without_nan() {
    trains_without_nan(lenet_batch_norm(), &[16, 1, 28, 28]);
}

#[test]
fn a_resnet_block_trains_50_steps_without_nan() {
    trains_without_nan(
        Sequential::new().append(Residual::new(4, 8, true, 2)),
        &[4, 4, 12, 12],
    );
}
