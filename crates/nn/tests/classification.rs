//! Cross-entropy and NLL losses against PyTorch-generated references
//! (`tools/reference/classification.py` writes `tests/data/classification.txt`):
//! values, input gradients, `grad_fn` names and error messages over every
//! option and reduction; plus float64 gradcheck and gradgradcheck.

#[path = "../../tensor/tests/common/blocks.rs"]
mod blocks;

use autograd::{gradcheck, gradgradcheck, GradcheckOptions, Tensor};
use nn::functional::{cross_entropy, nll_loss};
use nn::{CrossEntropyLoss, Module, Reduction};

#[derive(Default)]
struct Case {
    name: String,
    op: String,
    reduction: Reduction,
    ignore_index: i64,
    label_smoothing: f64,
    input: (Vec<usize>, Vec<f64>),
    target: Option<Tensor>,
    weight: Option<Tensor>,
    up: Option<Tensor>,
    out: Option<(Vec<usize>, Vec<f64>)>,
    grad: Option<(Vec<usize>, Vec<f64>)>,
    grad_fn: String,
    error: Option<String>,
}

fn f32_tensor((shape, values): &(Vec<usize>, Vec<f64>)) -> Tensor {
    let values: Vec<f32> = values.iter().map(|&v| v as f32).collect();
    Tensor::from_data(&values, shape).unwrap()
}

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for (name, lines) in blocks::blocks(include_str!("data/classification.txt")) {
        let mut case = Case {
            name,
            ..Case::default()
        };
        for (key, rest) in lines {
            let rest = rest.as_str();
            match key.as_str() {
                "op" => case.op = rest.to_string(),
                "options" => {
                    for option in rest.split(' ') {
                        let (k, v) = option.split_once('=').unwrap();
                        match k {
                            "reduction" => case.reduction = reduction(v),
                            "ignore_index" => case.ignore_index = v.parse().unwrap(),
                            _ => case.label_smoothing = v.parse().unwrap(),
                        }
                    }
                }
                "input" => case.input = blocks::tensor_line(rest),
                "target" => {
                    let (kind, tensor) = rest.split_once(' ').unwrap();
                    let parsed = blocks::tensor_line(tensor);
                    case.target = Some(match kind {
                        "i64" => {
                            let values: Vec<i64> = parsed.1.iter().map(|&v| v as i64).collect();
                            Tensor::from_data(&values, &parsed.0).unwrap()
                        }
                        _ => f32_tensor(&parsed),
                    });
                }
                "weight" => case.weight = Some(f32_tensor(&blocks::tensor_line(rest))),
                "up" => case.up = Some(f32_tensor(&blocks::tensor_line(rest))),
                "out" => case.out = Some(blocks::tensor_line(rest)),
                "grad" => case.grad = Some(blocks::tensor_line(rest)),
                "grad_fn" => case.grad_fn = rest.to_string(),
                "error" => case.error = Some(rest.to_string()),
                other => panic!("unknown line {other}"),
            }
        }
        cases.push(case);
    }
    cases
}

/// A reduction as the reference files name it.
fn reduction(name: &str) -> Reduction {
    match name {
        "mean" => Reduction::Mean,
        "sum" => Reduction::Sum,
        _ => Reduction::None,
    }
}

impl Case {
    fn loss(&self, input: &Tensor) -> autograd::Result<Tensor> {
        let target = self.target.as_ref().unwrap();
        match self.op.as_str() {
            "cross_entropy" => cross_entropy(
                input,
                target,
                self.weight.as_ref(),
                self.ignore_index,
                self.reduction,
                self.label_smoothing,
            ),
            _ => nll_loss(
                input,
                target,
                self.weight.as_ref(),
                self.ignore_index,
                self.reduction,
            ),
        }
    }
}

#[track_caller]
fn assert_close(what: &str, got: &Tensor, (shape, want): &(Vec<usize>, Vec<f64>)) {
    assert_eq!(&got.shape(), shape, "{what}: shape");
    for (g, w) in got.to_vec_as::<f64>().iter().zip(want) {
        let close = (g.is_nan() && w.is_nan()) || (g - w).abs() <= 1e-5 * w.abs().max(1.0);
        assert!(
            close,
            "{what}: got {:?}, PyTorch {want:?}",
            got.to_vec_as::<f64>()
        );
    }
}

#[test]
fn losses_match_pytorch() {
    let cases = cases();
    assert!(cases.len() >= 60, "{} cases", cases.len());
    for case in &cases {
        let input = f32_tensor(&case.input).requires_grad_(true);
        let result = case.loss(&input);
        if let Some(message) = &case.error {
            let err = result.expect_err(&case.name).to_string();
            assert!(
                err.contains(message.as_str()),
                "{}: {err} vs PyTorch {message}",
                case.name
            );
            continue;
        }
        let out = result.unwrap_or_else(|e| panic!("{}: {e}", case.name));
        assert_close(
            &format!("{} value", case.name),
            &out,
            case.out.as_ref().unwrap(),
        );
        assert_eq!(out.grad_fn(), Some(case.grad_fn.as_str()), "{}", case.name);
        match &case.up {
            Some(up) => (&out * up).sum().backward(),
            None => out.backward(),
        }
        assert_close(
            &format!("{} grad", case.name),
            &input.grad().unwrap(),
            case.grad.as_ref().unwrap(),
        );
    }
}

#[test]
fn losses_pass_gradcheck_and_gradgradcheck() {
    let mut checked = 0;
    for case in cases() {
        let finite = case
            .out
            .as_ref()
            .is_some_and(|(_, v)| v.iter().all(|v| v.is_finite()));
        if case.error.is_some() || !finite || case.name.contains("large logits") {
            continue;
        }
        let input = tensor::Tensor::from_data(&case.input.1, &case.input.0).unwrap();
        let f = |x: &[Tensor]| case.loss(&x[0]);
        gradcheck(f, std::slice::from_ref(&input), GradcheckOptions::default())
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        gradgradcheck(f, &[input], GradcheckOptions::default())
            .unwrap_or_else(|e| panic!("{}: second derivatives: {e}", case.name));
        checked += 1;
    }
    assert!(checked >= 40, "{checked} cases checked");
}

#[test]
fn the_module_has_pytorch_s_defaults_and_options() {
    let loss = CrossEntropyLoss::new();
    assert_eq!(loss.ignore_index, -100);
    assert_eq!(loss.reduction, Reduction::Mean);
    assert_eq!(loss.label_smoothing, 0.0);
    let logits = Tensor::from_data(&[3.0f32, 1.0, 0.0, 0.5, 2.5, -1.0], &[2, 3]).unwrap();
    let labels = Tensor::from_data(&[0i64, 2], &[2]).unwrap();
    let smoothed = CrossEntropyLoss {
        label_smoothing: 0.1,
        reduction: Reduction::Sum,
        ..CrossEntropyLoss::new()
    };
    let by_module = smoothed.forward(&logits, &labels).item();
    let by_function = cross_entropy(&logits, &labels, None, -100, Reduction::Sum, 0.1)
        .unwrap()
        .item();
    assert_eq!(by_module, by_function);
    // Softmax modules call the tensor ops.
    let p = nn::Softmax::new(1).forward(&logits);
    let lp = nn::LogSoftmax::new(1).forward(&logits);
    for (a, b) in p.to_vec().iter().zip(lp.exp().to_vec()) {
        assert!((a - b).abs() < 1e-6);
    }
}

#[test]
fn edge_cases_follow_pytorch() {
    // An empty batch: the mean is NaN, the sum +0 (not -0), as PyTorch prints them.
    let x = Tensor::zeros(&[0, 3]).requires_grad_(true);
    let t = Tensor::from_data(&[0i64; 0], &[0]).unwrap();
    assert_eq!(
        cross_entropy(&x, &t, None, -100, Reduction::Sum, 0.0)
            .unwrap()
            .to_string(),
        "tensor(0., grad_fn=<NllLossBackward0>)"
    );
    let mean = cross_entropy(&x, &t, None, -100, Reduction::Mean, 0.0).unwrap();
    assert!(mean.item().is_nan());
    mean.backward();
    assert_eq!(x.grad().unwrap().shape(), vec![0, 3]);
    // A 1-D input takes a 1-D target of size 1, giving a 0-d loss.
    let x = Tensor::from_slice(&[1.0, 2.0, 0.5]);
    let one = Tensor::from_data(&[1i64], &[1]).unwrap();
    let loss = nll_loss(&x, &one, None, -100, Reduction::None).unwrap();
    assert_eq!((loss.shape(), loss.item()), (vec![], -2.0));
    let two = Tensor::from_data(&[0i64, 1], &[2]).unwrap();
    let e = nll_loss(&x, &two, None, -100, Reduction::Mean)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("For 1D input, 1D target must have size 1, but got target size: 2"),
        "{e}"
    );
}
