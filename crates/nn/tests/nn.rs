//! `nn` against PyTorch reference values and its own contracts.

#[path = "../../tensor/tests/common/reference.rs"]
mod reference;

use autograd::{gradcheck, GradcheckOptions, Tensor};
use nn::{functional, Linear, MSELoss, Module, ReLU, Reduction, Sequential, Sigmoid, Tanh};

fn cases(op: &str) -> Vec<reference::OpCase> {
    reference::ops(include_str!("../../tensor/tests/data/ops.txt"))
        .into_iter()
        .filter(|c| c.op == op)
        .collect()
}

fn leaves(case: &reference::OpCase) -> Vec<Tensor> {
    case.inputs
        .iter()
        .map(|v| Tensor::new(v.clone()).requires_grad_(true))
        .collect()
}

fn check_grads(case: &reference::OpCase, leaves: &[Tensor]) {
    for (i, (leaf, expected)) in leaves.iter().zip(&case.grads).enumerate() {
        let got = leaf.grad().expect("gradient").value();
        assert!(
            got.allclose(expected, 1e-4, 1e-5),
            "{} grad {i}: expected {expected:?} got {got:?}",
            case.name
        );
    }
}

#[test]
fn mse_loss_matches_pytorch() {
    let cases = cases("mse_loss");
    assert_eq!(cases.len(), 3);
    for case in &cases {
        let reduction = match case.kwargs["reduction"].as_str() {
            "mean" => Reduction::Mean,
            "sum" => Reduction::Sum,
            _ => Reduction::None,
        };
        let x = leaves(case);
        let out = MSELoss::with_reduction(reduction).forward(&x[0], &x[1]);
        assert_eq!(out.grad_fn(), Some("MseLossBackward0"));
        assert!(out.value().allclose(&case.out, 1e-5, 1e-6), "{}", case.name);
        out.sum().backward();
        check_grads(case, &x);
        gradcheck(
            |x| functional::mse_loss(&x[0], &x[1], reduction),
            &case.inputs,
            GradcheckOptions::default(),
        )
        .unwrap();
    }
}

#[test]
fn linear_matches_pytorch() {
    let cases = cases("linear");
    assert_eq!(cases.len(), 4);
    for case in &cases {
        let x = leaves(case);
        let out = functional::linear(&x[0], &x[1], x.get(2)).unwrap();
        assert!(out.value().allclose(&case.out, 1e-5, 1e-5), "{}", case.name);
        out.sum().backward();
        check_grads(case, &x);
        gradcheck(
            |x| functional::linear(&x[0], &x[1], x.get(2)),
            &case.inputs,
            GradcheckOptions::default(),
        )
        .unwrap();
    }
}

#[test]
fn linear_layer_shapes_init_and_names() {
    tensor::manual_seed(0);
    let layer = Linear::new(784, 256);
    assert_eq!(layer.weight().shape(), [256, 784]);
    assert_eq!(layer.bias().unwrap().shape(), [256]);
    assert_eq!((layer.in_features(), layer.out_features()), (784, 256));
    let bound = 1.0 / 784f32.sqrt();
    let w = layer.weight().value();
    assert!(
        w.abs().max().item() <= bound && w.abs().max().item() > 0.9 * bound,
        "Kaiming-uniform bound"
    );
    assert!(layer.weight().requires_grad() && layer.weight().is_leaf());
    let out = layer.forward(&Tensor::ones(&[3, 784]));
    assert_eq!(out.shape(), [3, 256]);
    assert_eq!(out.grad_fn(), Some("AddmmBackward0"));
    let no_bias = Linear::with_bias(3, 2, false);
    assert_eq!(no_bias.parameters().len(), 1);
    assert_eq!(
        no_bias.forward(&Tensor::ones(&[1, 3])).grad_fn(),
        Some("MmBackward0")
    );
    let e = layer.try_forward(&Tensor::ones(&[3, 5])).unwrap_err();
    assert_eq!(
        e.to_string(),
        "linear: input of shape [3, 5] does not match weight of shape [256, 784] (expected the input's last dim to be in_features)"
    );
}

#[test]
fn sequential_names_indexes_and_modes() {
    let mut net = Sequential::new()
        .append(Linear::new(2, 4))
        .append(ReLU)
        .append(Linear::new(4, 1))
        .append(Sigmoid)
        .append(Tanh);
    let names: Vec<String> = net.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["0.weight", "0.bias", "2.weight", "2.bias"]);
    assert_eq!(net.len(), 5);
    assert_eq!(net[0].parameter("weight").unwrap().shape(), [4, 2]);
    assert!(net.parameter("2.bias").is_some());
    assert!(net.get::<ReLU>(0).is_none() && net.get::<ReLU>(1).is_some());
    // Parameters are handles to the layer's own tensors.
    net.layer::<Linear>(0).weight().data().fill_(0.5);
    assert_eq!(net.parameters()[0].to_vec(), vec![0.5; 8]);
    assert_eq!(net.forward(&Tensor::ones(&[3, 2])).shape(), [3, 1]);
    assert!(net.is_training());
    net.eval();
    assert!(!net.is_training());
    net.train();
    assert!(net.is_training());
    let y = net.forward(&Tensor::ones(&[1, 2]));
    y.sum().backward();
    assert!(net.parameters().iter().all(|p| p.grad().is_some()));
    net.zero_grad();
    assert!(net.parameters().iter().all(|p| p.grad().is_none()));
}

#[test]
#[should_panic(
    expected = "Sequential::layer: no layer of type nn::linear::Linear at index 1 (the network has 2 layers)"
)]
fn layer_of_the_wrong_type_panics_with_its_index() {
    let net = Sequential::new().append(Linear::new(2, 2)).append(ReLU);
    net.layer::<Linear>(1);
}

#[test]
fn activations_and_functional_agree() {
    let x = Tensor::from_slice(&[-1.0, 0.5]);
    assert_eq!(ReLU.forward(&x).to_vec(), functional::relu(&x).to_vec());
    assert_eq!(
        Sigmoid.forward(&x).to_vec(),
        functional::sigmoid(&x).to_vec()
    );
    assert_eq!(Tanh.forward(&x).to_vec(), functional::tanh(&x).to_vec());
    let e = MSELoss::new()
        .try_forward(&Tensor::ones(&[3]), &Tensor::ones(&[2]))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "sub: shapes [3] and [2] cannot be broadcast together"
    );
}

#[test]
fn linear_with_a_broadcast_bias_composes_and_differentiates() {
    let x = Tensor::ones(&[4, 2]);
    let w = Tensor::ones(&[3, 2]).requires_grad_(true);
    let b = Tensor::zeros(&[1, 3]).requires_grad_(true);
    let out = functional::linear(&x, &w, Some(&b)).unwrap();
    assert_eq!(out.grad_fn(), Some("AddBackward0"));
    out.sum().backward();
    assert_eq!(b.grad().unwrap().shape(), [1, 3]);
    assert_eq!(b.grad().unwrap().to_vec(), vec![4.0; 3]);
    assert_eq!(w.grad().unwrap().to_vec(), vec![4.0; 6]);
}
