//! Gradients of gradients (`create_graph`) against PyTorch-generated
//! references (`tools/reference/higher_order.py` writes
//! `tests/data/higher_order.txt`): a Hessian-vector product, a WGAN-GP
//! gradient penalty, and `.grad` after `backward(create_graph=True)`; plus
//! third derivatives and the errors of operations whose backward is not
//! differentiable. `gradgradcheck` over every op lives in `opinfo.rs`.

use std::collections::HashMap;

use autograd::{grad, AutogradError, Context, Function, GradOptions, RawTensor, Save, Tensor};

const DATA: &str = include_str!("data/higher_order.txt");

/// The reference tensors (float64) and reprs by name.
fn references() -> (HashMap<String, RawTensor>, HashMap<String, String>) {
    let (mut tensors, mut reprs) = (HashMap::new(), HashMap::new());
    for line in DATA.lines() {
        let (head, values) = line.split_once(" | ").expect("`name shape | values`");
        if let Some(name) = head.strip_prefix("repr ") {
            reprs.insert(name.to_string(), values.replace("\\n", "\n"));
            continue;
        }
        let (name, shape) = head.split_once(' ').expect("name and shape");
        let shape: Vec<usize> = match shape {
            "-" => vec![],
            s => s.split(',').map(|d| d.parse().unwrap()).collect(),
        };
        let values: Vec<f64> = values
            .split(' ')
            .map(|v| v.parse().expect("a float"))
            .collect();
        tensors.insert(
            name.to_string(),
            RawTensor::from_data(&values, &shape).unwrap(),
        );
    }
    (tensors, reprs)
}

fn leaf(refs: &HashMap<String, RawTensor>, name: &str) -> Tensor {
    Tensor::new(refs[name].clone()).requires_grad_(true)
}

#[track_caller]
fn assert_close(got: &Tensor, want: &RawTensor, what: &str) {
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    let (got, want) = (got.to_vec_as::<f64>(), want.to_vec_as::<f64>());
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert!(
            (g - w).abs() <= 1e-10 + 1e-10 * w.abs(),
            "{what}[{i}]: got {g}, PyTorch {w}"
        );
    }
}

const CREATE_GRAPH: GradOptions = GradOptions {
    retain_graph: false,
    create_graph: true,
    allow_unused: false,
};

fn only(mut grads: Vec<Option<Tensor>>) -> Tensor {
    grads.remove(0).expect("a gradient")
}

#[test]
fn hessian_vector_product_matches_pytorch() {
    let (refs, _) = references();
    let x = leaf(&refs, "hvp.x");
    let w = Tensor::new(refs["hvp.w"].clone());
    let v = Tensor::new(refs["hvp.v"].clone());
    let f = &(&x.matmul(&w).tanh().square().sum() + &(&x.sigmoid() * &x).sum())
        + &(x.pow_scalar(3.0).sum() / 3.0);
    assert_close(&f, &refs["hvp.f"], "f");
    let g = only(grad(&[&f], &[&x], None, CREATE_GRAPH).unwrap());
    assert!(
        g.requires_grad(),
        "a gradient recorded with create_graph has a graph"
    );
    assert_close(&g, &refs["hvp.grad"], "grad");
    let hv = only(grad(&[&(&g * &v).sum()], &[&x], None, GradOptions::default()).unwrap());
    assert!(!hv.requires_grad());
    assert_close(&hv, &refs["hvp.hv"], "Hessian-vector product");
}

#[test]
fn gradient_penalty_matches_pytorch() {
    let (refs, _) = references();
    let x = leaf(&refs, "penalty.x");
    let (w1, b1, w2) = (
        leaf(&refs, "penalty.w1"),
        leaf(&refs, "penalty.b1"),
        leaf(&refs, "penalty.w2"),
    );
    let critic = (&x.matmul(&w1) + &b1).tanh().matmul(&w2);
    let dx = only(grad(&[&critic.sum()], &[&x], None, CREATE_GRAPH).unwrap());
    assert_close(&dx, &refs["penalty.dx"], "dD/dx");
    let penalty = dx.norm_dim(1, false).sub_scalar(1.0).square().mean();
    assert_close(&penalty, &refs["penalty.p"], "penalty");
    penalty.backward();
    for (name, w) in [("w1", &w1), ("b1", &b1), ("w2", &w2)] {
        let g = w.grad().unwrap_or_else(|| panic!("{name} has a gradient"));
        assert_close(&g, &refs[&format!("penalty.grad_{name}")], name);
    }
    // The penalty's backward went through x's first-order graph only: x
    // itself accumulated the gradient of the penalty with respect to x.
    assert!(x.grad().is_some());
}

#[test]
fn backward_with_create_graph_leaves_a_differentiable_grad() {
    let (refs, reprs) = references();
    let x = leaf(&refs, "create_graph.x");
    x.pow_scalar(3.0)
        .sum()
        .try_backward_create_graph(None)
        .unwrap();
    let first = x.grad().unwrap();
    assert_eq!(first.to_string(), reprs["create_graph.grad"]);
    let second = only(grad(&[&first.sum()], &[&x], None, GradOptions::default()).unwrap());
    assert_close(&second, &refs["create_graph.second"], "second derivative");
    // A second create_graph backward adds to .grad out of place, recorded.
    x.pow_scalar(3.0)
        .sum()
        .try_backward_create_graph(None)
        .unwrap();
    assert_eq!(x.grad().unwrap().grad_fn(), Some("AddBackward0"));
    assert_eq!(x.grad().unwrap().to_vec_as::<f64>(), vec![6.0, 24.0, 1.5]);
    x.clear_grad(); // breaks the cycle .grad -> graph -> x, as in PyTorch
}

#[test]
fn third_derivatives_follow() {
    // d/dx x^4 = 4x^3, then 12x^2, then 24x; each step records the next.
    let x = Tensor::from_data(&[1.5f64, -2.0], &[2])
        .unwrap()
        .requires_grad_(true);
    let mut y = x.pow_scalar(4.0).sum();
    for expected in [vec![13.5, -32.0], vec![27.0, 48.0], vec![36.0, -48.0]] {
        let d = only(grad(&[&y], &[&x], None, CREATE_GRAPH).unwrap());
        assert_eq!(d.to_vec_as::<f64>(), expected);
        y = d.sum();
    }
    // sigmoid and tanh, whose backwards are ops of their own.
    let x = Tensor::from_data(&[0.3f64], &[1])
        .unwrap()
        .requires_grad_(true);
    for (f, third) in [
        (
            Tensor::sigmoid as fn(&Tensor) -> Tensor,
            // s''' = s(1-s)(1 - 6s + 6s^2)
            (|s: f64| s * (1.0 - s) * (1.0 - 6.0 * s + 6.0 * s * s)) as fn(f64) -> f64,
        ),
        // tanh''' = -2(1 - t^2)(1 - 3t^2)
        (Tensor::tanh, |t: f64| {
            -2.0 * (1.0 - t * t) * (1.0 - 3.0 * t * t)
        }),
    ] {
        let mut y = f(&x).sum();
        let value = y.item_as::<f64>();
        for _ in 0..3 {
            y = only(grad(&[&y], &[&x], None, CREATE_GRAPH).unwrap()).sum();
        }
        let want = third(value);
        assert!((y.item_as::<f64>() - want).abs() < 1e-12, "{y} vs {want}");
    }
}

#[test]
fn a_gradient_free_backward_refuses_a_second_derivative() {
    // from_op's backward works on values: differentiating it again must fail
    // loudly (PyTorch's @once_differentiable), not return a wrong answer.
    let x = Tensor::from_slice(&[2.0]).requires_grad_(true);
    let y = Tensor::from_op(
        "RawSquareBackward",
        x.value().square(),
        &[&x],
        Save {
            inputs: &[0],
            output: false,
        },
        |g, s, _| Ok(vec![Some(&(g * &s[0]) * 2.0)]),
    );
    let first = only(grad(&[&y], &[&x], None, CREATE_GRAPH).unwrap());
    assert_eq!(first.to_vec(), vec![4.0]);
    assert_eq!(first.grad_fn(), Some("DelayedError"));
    let err = first.sum().try_backward().unwrap_err();
    assert!(
        matches!(
            err,
            AutogradError::OnceDifferentiable {
                node: "RawSquareBackward"
            }
        ),
        "{err}"
    );
    assert!(err
        .to_string()
        .contains("differentiate twice RawSquareBackward"));
    // Without create_graph nothing changes.
    let y = Tensor::from_op("RawBackward", x.value(), &[&x], Save::NOTHING, |g, _, _| {
        Ok(vec![Some(g.clone())])
    });
    let g = only(grad(&[&y], &[&x], None, GradOptions::default()).unwrap());
    assert!(!g.requires_grad());

    struct Cube;
    impl Function for Cube {
        fn name(&self) -> &'static str {
            "CubeBackward"
        }
        fn forward(&self, ctx: &mut Context, x: &[RawTensor]) -> autograd::Result<RawTensor> {
            ctx.save_for_backward(&[&x[0]]);
            Ok(x[0].pow_scalar(3.0))
        }
        fn backward(&self, ctx: &Context, g: &RawTensor) -> autograd::Result<autograd::Grads> {
            Ok(vec![Some(g * &(&ctx.saved_tensors()[0].square() * 3.0))])
        }
    }
    let first = only(grad(&[&Cube.apply(&[&x]).unwrap()], &[&x], None, CREATE_GRAPH).unwrap());
    assert_eq!(first.to_vec(), vec![12.0]);
    assert!(matches!(
        first.sum().try_backward(),
        Err(AutogradError::OnceDifferentiable {
            node: "CubeBackward"
        })
    ));
}

#[test]
fn create_graph_retains_the_graph() {
    // As in PyTorch, create_graph implies retain_graph.
    let x = Tensor::from_slice(&[1.0, 2.0]).requires_grad_(true);
    let y = x.exp().sum();
    let g = only(grad(&[&y], &[&x], None, CREATE_GRAPH).unwrap());
    assert_eq!(g.to_vec(), x.exp().to_vec());
    y.backward(); // the first pass freed nothing
    assert_eq!(x.grad().unwrap().to_vec(), x.exp().to_vec());
}
