//! `nn`'s random streams are PyTorch's: `Linear`'s default initialisation
//! and dropout's mask, after `manual_seed`, against
//! `tools/reference/random_streams.py`. One test in its own binary: nothing
//! else draws from the default generator meanwhile.

#[path = "../../tensor/tests/common/streams.rs"]
mod streams;

use md5::{Digest, Md5};
use nn::{functional, Linear, Module};
use streams::{cases, line};
use tensor::random::manual_seed;

fn md5(label: &str, t: &autograd::Tensor) -> String {
    let digest: String = Md5::digest(t.value().to_le_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("md5 {label} {digest}")
}

#[test]
fn linear_initialisation_and_dropout_masks_are_pytorchs() {
    for (seed, expected) in cases("linear") {
        manual_seed(seed);
        let layer = Linear::new(784, 256);
        let got = vec![
            md5("weight", layer.weight()),
            md5("bias", layer.bias().unwrap()),
            line(
                "weight[0,:5]",
                &layer.weight().value().narrow(1, 0, 5).select(0, 0),
            ),
            line("bias[:5]", &layer.bias().unwrap().value().narrow(0, 0, 5)),
            line("after", &tensor::Tensor::rand(&[3])),
        ];
        assert_eq!(got, expected, "seed {seed}");
        assert_eq!(layer.named_parameters().len(), 2);
    }
    for (seed, expected) in cases("bernoulli") {
        // The block's first three draws, then dropout's mask.
        manual_seed(seed);
        tensor::Tensor::zeros(&[20]).bernoulli_(0.3);
        tensor::Tensor::full(&[10], 0.5).bernoulli();
        tensor::Tensor::from_elems(&[0.0f64, 1.0, 0.25, 0.75, 0.5]).bernoulli();
        let x = autograd::Tensor::ones(&[3, 5]).requires_grad_(true);
        let y = functional::dropout(&x, 0.4, true).unwrap();
        assert_eq!(y.grad_fn(), Some("MulBackward0"));
        assert_eq!(line("dropout(0.4)", &y.value()), expected[3], "seed {seed}");
    }
}
