//! Activations against PyTorch (`tools/reference/activations.py` writes
//! `tests/data/activations.txt`): values and gradients on inputs that
//! include the kinks and thresholds, where PyTorch's conventions decide the
//! gradient.

#[path = "../../tensor/tests/common/blocks.rs"]
mod blocks;

use autograd::{GeluApproximate, Tensor};
use nn::functional;

fn activation(name: &str, x: &Tensor) -> Tensor {
    match name {
        "gelu" => functional::gelu(x, GeluApproximate::None),
        "gelu_tanh" => functional::gelu(x, GeluApproximate::Tanh),
        "leaky_relu" => functional::leaky_relu(x, 0.1),
        "elu" => functional::elu(x, 0.7),
        "silu" => functional::silu(x),
        "softplus" => functional::softplus(x, 1.0, 20.0),
        "softplus_beta" => functional::softplus(x, 2.0, 3.0),
        "relu" => x.relu(),
        "sigmoid" => x.sigmoid(),
        "tanh" => x.tanh(),
        other => panic!("no activation {other}"),
    }
}

#[test]
fn values_and_gradients_match_pytorch() {
    let cases = blocks::blocks(include_str!("data/activations.txt"));
    assert_eq!(cases.len(), 10);
    for (name, lines) in cases {
        let get = |key: &str| {
            let (_, values) = blocks::tensor_line(&lines.iter().find(|(k, _)| k == key).unwrap().1);
            let values: Vec<f32> = values.iter().map(|&v| v as f32).collect();
            Tensor::from_slice(&values)
        };
        let x = get("input").requires_grad_(true);
        let out = activation(&name, &x);
        (&out * &get("up")).sum().backward();
        for (what, got, want) in [
            ("value", out, get("out")),
            ("grad", x.grad().unwrap(), get("grad")),
        ] {
            for (g, w) in got.to_vec().iter().zip(want.to_vec()) {
                assert!(
                    (g - w).abs() <= 2e-6 * w.abs().max(1.0),
                    "{name} {what}: got {:?}, PyTorch {:?}",
                    got.to_vec(),
                    want.to_vec()
                );
            }
        }
    }
}
