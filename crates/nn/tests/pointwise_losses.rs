//! L1, smooth L1, Huber and binary cross-entropy losses against
//! PyTorch-generated references (`tools/reference/pointwise_losses.py`
//! writes `tests/data/pointwise_losses.txt`): values, gradients of input and
//! target, `grad_fn` names and error messages; plus float64 gradcheck and
//! gradgradcheck with respect to both.

#[path = "../../tensor/tests/common/blocks.rs"]
mod blocks;

use autograd::{gradcheck, gradgradcheck, GradcheckOptions, Tensor};
use nn::functional::{
    binary_cross_entropy, binary_cross_entropy_with_logits, huber_loss, l1_loss, smooth_l1_loss,
};
use nn::{BCEWithLogitsLoss, HuberLoss, Reduction, SmoothL1Loss};

type Parsed = (Vec<usize>, Vec<f64>);

fn tensor((shape, values): &Parsed) -> Tensor {
    let values: Vec<f32> = values.iter().map(|&v| v as f32).collect();
    Tensor::from_data(&values, shape).unwrap()
}

#[derive(Default)]
struct Case {
    name: String,
    op: String,
    reduction: Reduction,
    beta: f64,
    delta: f64,
    input: Parsed,
    target: Parsed,
    weight: Option<Tensor>,
    pos_weight: Option<Tensor>,
    out: Option<Parsed>,
    grad_input: Option<Parsed>,
    grad_target: Option<Parsed>,
    grad_fn: String,
    error: Option<String>,
}

impl Case {
    fn loss(&self, x: &Tensor, t: &Tensor) -> autograd::Result<Tensor> {
        let r = self.reduction;
        match self.op.as_str() {
            "l1_loss" => l1_loss(x, t, r),
            "smooth_l1_loss" => smooth_l1_loss(x, t, r, self.beta),
            "huber_loss" => huber_loss(x, t, r, self.delta),
            "binary_cross_entropy" => binary_cross_entropy(x, t, self.weight.as_ref(), r),
            _ => binary_cross_entropy_with_logits(
                x,
                t,
                self.weight.as_ref(),
                self.pos_weight.as_ref(),
                r,
            ),
        }
    }
}

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for (name, lines) in blocks::blocks(include_str!("data/pointwise_losses.txt")) {
        let mut case = Case {
            name,
            ..Case::default()
        };
        for (key, rest) in lines {
            let rest = rest.as_str();
            match key.as_str() {
                "op" => case.op = rest.into(),
                "options" => {
                    for option in rest.split(' ') {
                        let (k, v) = option.split_once('=').unwrap();
                        match k {
                            "reduction" => {
                                case.reduction = match v {
                                    "mean" => Reduction::Mean,
                                    "sum" => Reduction::Sum,
                                    _ => Reduction::None,
                                }
                            }
                            "beta" => case.beta = v.parse().unwrap(),
                            _ => case.delta = v.parse().unwrap(),
                        }
                    }
                }
                "input" => case.input = blocks::tensor_line(rest),
                "target" => case.target = blocks::tensor_line(rest),
                "weight" => case.weight = Some(tensor(&blocks::tensor_line(rest))),
                "pos_weight" => case.pos_weight = Some(tensor(&blocks::tensor_line(rest))),
                "out" => case.out = Some(blocks::tensor_line(rest)),
                "grad_input" => case.grad_input = Some(blocks::tensor_line(rest)),
                "grad_target" => case.grad_target = Some(blocks::tensor_line(rest)),
                "grad_fn" => case.grad_fn = rest.into(),
                "error" => case.error = Some(rest.into()),
                other => panic!("unknown line {other}"),
            }
        }
        cases.push(case);
    }
    cases
}

#[track_caller]
fn assert_close(what: &str, got: &Tensor, (shape, want): &Parsed) {
    assert_eq!(&got.shape(), shape, "{what}: shape");
    let got = got.to_vec_as::<f64>();
    for (g, w) in got.iter().zip(want) {
        let close = g == w || (g - w).abs() <= 2e-5 * w.abs().max(1.0);
        assert!(close, "{what}: got {got:?}, PyTorch {want:?}");
    }
}

#[test]
fn losses_match_pytorch() {
    let cases = cases();
    assert!(cases.len() >= 35);
    for case in &cases {
        let x = tensor(&case.input).requires_grad_(true);
        let t = tensor(&case.target).requires_grad_(true);
        let result = case.loss(&x, &t);
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
        match case.reduction {
            Reduction::None => {
                let up = Tensor::linspace(0.5, 1.5, out.numel())
                    .reshape(&out.shape().iter().map(|&d| d as isize).collect::<Vec<_>>());
                (&out * &up).sum().backward();
            }
            _ => out.backward(),
        }
        assert_close(
            &format!("{} grad input", case.name),
            &x.grad().unwrap(),
            case.grad_input.as_ref().unwrap(),
        );
        assert_close(
            &format!("{} grad target", case.name),
            &t.grad().unwrap(),
            case.grad_target.as_ref().unwrap(),
        );
    }
}

#[test]
fn losses_pass_gradcheck_and_gradgradcheck() {
    let mut checked = 0;
    for case in cases() {
        let finite = |p: &Option<Parsed>| {
            p.as_ref()
                .is_some_and(|(_, v)| v.iter().all(|v| v.is_finite()))
        };
        if case.error.is_some()
            || !finite(&case.grad_input)
            || !finite(&case.grad_target)
            || case.name.contains("large")
        {
            continue;
        }
        let inputs = [
            tensor::Tensor::from_data(&case.input.1, &case.input.0).unwrap(),
            tensor::Tensor::from_data(&case.target.1, &case.target.0).unwrap(),
        ];
        let f = |t: &[Tensor]| case.loss(&t[0], &t[1]);
        gradcheck(f, &inputs, GradcheckOptions::default())
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        gradgradcheck(f, &inputs, GradcheckOptions::default())
            .unwrap_or_else(|e| panic!("{}: second derivatives: {e}", case.name));
        checked += 1;
    }
    assert!(checked >= 25, "{checked}");
}

#[test]
fn modules_have_pytorch_s_defaults() {
    assert_eq!(SmoothL1Loss::new().beta, 1.0);
    assert_eq!(HuberLoss::new().delta, 1.0);
    let m = BCEWithLogitsLoss::new();
    assert!(m.weight.is_none() && m.pos_weight.is_none() && m.reduction == Reduction::Mean);
    let x = Tensor::from_slice(&[0.5, -2.0]);
    let t = Tensor::from_slice(&[1.0, 0.0]);
    assert_eq!(
        m.forward(&x, &t).item(),
        binary_cross_entropy_with_logits(&x, &t, None, None, Reduction::Mean)
            .unwrap()
            .item()
    );
}
