//! Forward values and gradients of `out.sum()` against PyTorch reference
//! values (`crates/tensor/tests/data/ops.txt`), and every differentiable op
//! against `gradcheck` and `gradgradcheck`.

#[path = "../../tensor/tests/common/reference.rs"]
mod reference;

use autograd::{gradcheck, gradgradcheck, GradcheckOptions, Tensor};
use reference::OpCase;

/// Ops of the reference file with no gradient here (creation, indices),
/// checked bit-exactly by the tensor crate, or implemented above this crate.
const NOT_DIFFERENTIABLE_HERE: &[&str] = &[
    "arange",
    "linspace",
    "argmax",
    "argmin",
    "mse_loss",
    "linear",
    "sgd",
    "dataloader",
    "sum_exact",
    "sum_pattern",
];

fn forward(case: &OpCase, x: &[Tensor]) -> Tensor {
    let dim = case.isize("dim");
    let shape = || case.list("shape").expect("shape");
    match case.op.as_str() {
        "add" => &x[0] + &x[1],
        "sub" => &x[0] - &x[1],
        "mul" => &x[0] * &x[1],
        "div" => &x[0] / &x[1],
        "pow" => x[0].pow(&x[1]),
        "add_scalar" => &x[0] + case.f32("s").unwrap(),
        "mul_scalar" => &x[0] * case.f32("s").unwrap(),
        "rsub_scalar" => case.f32("s").unwrap() - &x[0],
        "rdiv_scalar" => case.f32("s").unwrap() / &x[0],
        "pow_scalar" => x[0].pow_scalar(case.f32("e").unwrap()),
        "neg" => -&x[0],
        "exp" => x[0].exp(),
        "log" => x[0].log(),
        "sqrt" => x[0].sqrt(),
        "abs" => x[0].abs(),
        "relu" => x[0].relu(),
        "sigmoid" => x[0].sigmoid(),
        "tanh" => x[0].tanh(),
        "clamp" => x[0].clamp(
            case.f32("min").map(f64::from),
            case.f32("max").map(f64::from),
        ),
        "sum" => dim.map_or_else(|| x[0].sum(), |d| x[0].sum_dim(d, case.keepdim())),
        "mean" => dim.map_or_else(|| x[0].mean(), |d| x[0].mean_dim(d, case.keepdim())),
        "norm" => dim.map_or_else(|| x[0].norm(), |d| x[0].norm_dim(d, case.keepdim())),
        "max" => dim.map_or_else(|| x[0].max(), |d| x[0].max_dim(d, case.keepdim()).0),
        "min" => dim.map_or_else(|| x[0].min(), |d| x[0].min_dim(d, case.keepdim()).0),
        "matmul" => x[0].matmul(&x[1]),
        "maximum" => x[0].maximum(&x[1]),
        "minimum" => x[0].minimum(&x[1]),
        "stack" => Tensor::stack(x, dim.unwrap()),
        "reshape" => x[0].reshape(&shape()),
        "transpose" => x[0].transpose(case.isize("dim0").unwrap(), case.isize("dim1").unwrap()),
        "permute" => x[0].permute(&case.list("dims").unwrap()),
        "t" => x[0].t(),
        "unsqueeze" => x[0].unsqueeze(dim.unwrap()),
        "squeeze" => dim.map_or_else(|| x[0].squeeze(), |d| x[0].squeeze_dim(d)),
        "flatten" => x[0].flatten(),
        "expand" => x[0].expand(&shape()),
        "index_select" => {
            let index: Vec<usize> = case
                .list("index")
                .unwrap()
                .iter()
                .map(|&i| i as usize)
                .collect();
            x[0].index_select(dim.unwrap(), &index)
        }
        "narrow" => x[0].narrow(
            dim.unwrap(),
            case.isize("start").unwrap() as usize,
            case.isize("length").unwrap() as usize,
        ),
        "select" => x[0].select(dim.unwrap(), case.isize("index").unwrap() as usize),
        other => panic!(
            "{}: op {other} has no differentiable form in this test",
            case.name
        ),
    }
}

fn differentiable_cases() -> Vec<OpCase> {
    reference::ops(include_str!("../../tensor/tests/data/ops.txt"))
        .into_iter()
        .filter(|c| !NOT_DIFFERENTIABLE_HERE.contains(&c.op.as_str()))
        .collect()
}

/// Compares each leaf's `.grad` with PyTorch's: a missing gradient must be
/// missing in both (it is not the same as a gradient of zeros), values must
/// agree, NaN for NaN and infinity for infinity.
fn compare_grads(
    case: &OpCase,
    label: &str,
    leaves: &[Tensor],
    expected: &[Option<tensor::Tensor>],
    failures: &mut Vec<String>,
) {
    assert_eq!(
        expected.len(),
        leaves.len(),
        "{}: one {label} gradient per input",
        case.name
    );
    for (i, (leaf, expected)) in leaves.iter().zip(expected).enumerate() {
        let got = leaf.grad().map(|g| g.value());
        let agree = match (&got, expected) {
            (Some(got), Some(expected)) => reference::close(got, expected, 1e-4, 1e-5),
            (None, None) => true,
            _ => false,
        };
        if !agree {
            failures.push(format!(
                "{}: {label} grad {i} expected {expected:?} got {got:?}",
                case.name
            ));
        }
    }
}

/// Forward values, then gradients for both `out.sum().backward()` and
/// `out.backward(upstream)` with a non-uniform upstream gradient.
#[test]
fn gradients_match_pytorch() {
    let cases = differentiable_cases();
    let mut failures = Vec::new();
    for case in &cases {
        let leaves: Vec<Tensor> = case
            .inputs
            .iter()
            .map(|v| Tensor::new(v.clone()).requires_grad_(true))
            .collect();
        let out = forward(case, &leaves);
        if !reference::close(&out.value(), &case.out, 1e-5, 1e-5) {
            failures.push(format!(
                "{}: forward expected {:?} got {out:?}",
                case.name, case.out
            ));
        }
        out.sum().try_backward_with_options(None, true).unwrap();
        compare_grads(case, "sum", &leaves, &case.grads, &mut failures);
        leaves.iter().for_each(Tensor::clear_grad);
        out.backward_with(&Tensor::new(case.upstream_for(&out.shape())));
        compare_grads(case, "upstream", &leaves, &case.ugrads, &mut failures);
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        cases.len() >= 90,
        "only {} differentiable cases",
        cases.len()
    );
}

#[test]
fn every_differentiable_op_passes_gradcheck_and_gradgradcheck() {
    let mut failures = Vec::new();
    // Central differences need finite inputs away from kinks: the special
    // values (NaN, infinities, exact kinks) are checked against PyTorch only.
    for case in differentiable_cases()
        .into_iter()
        .filter(|c| !c.name.starts_with("special_"))
    {
        let f = |x: &[Tensor]| Ok(forward(&case, x));
        if let Err(e) = gradcheck(f, &case.inputs, GradcheckOptions::default()) {
            failures.push(format!("{}: {e}", case.name));
        }
        if let Err(e) = gradgradcheck(f, &case.inputs, GradcheckOptions::default()) {
            failures.push(format!("{}: second derivatives: {e}", case.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn gradcheck_catches_a_wrong_backward() {
    use autograd::{Context, Function, RawTensor, Result};
    struct WrongSquare;
    impl Function for WrongSquare {
        fn name(&self) -> &'static str {
            "WrongSquareBackward"
        }
        fn forward(&self, ctx: &mut Context, x: &[RawTensor]) -> Result<RawTensor> {
            ctx.save_for_backward(&[&x[0]]);
            Ok(x[0].square())
        }
        fn backward(&self, ctx: &Context, g: &RawTensor) -> Result<Vec<Option<RawTensor>>> {
            Ok(vec![Some(g * &ctx.saved_tensors()[0])]) // missing factor 2
        }
    }
    let x = tensor::Tensor::from_slice(&[1.0, 2.0]);
    let err = gradcheck(
        |x| WrongSquare.apply(&[&x[0]]),
        &[x],
        GradcheckOptions::default(),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("gradcheck: gradient of input 0 at flat index 0: analytical 0.5"),
        "{err}"
    );
}
