//! SGD trajectories against PyTorch's, and hyper-parameter validation.

#[path = "../../tensor/tests/common/reference.rs"]
mod reference;

use autograd::Tensor;
use optim::{OptimError, Optimizer, SgdOptions, SGD};

#[test]
fn trajectories_match_pytorch() {
    let cases: Vec<_> = reference::ops(include_str!("../../tensor/tests/data/ops.txt"))
        .into_iter()
        .filter(|c| c.op == "sgd")
        .collect();
    assert_eq!(cases.len(), 6);
    for case in &cases {
        let options = SgdOptions {
            lr: case.f32("lr").unwrap(),
            momentum: case.f32("momentum").unwrap(),
            dampening: case.f32("dampening").unwrap(),
            weight_decay: case.f32("weight_decay").unwrap(),
            nesterov: case.isize("nesterov") == Some(1),
        };
        let p = Tensor::new(case.inputs[0].clone()).requires_grad_(true);
        let (c, t) = (
            Tensor::new(case.inputs[1].clone()),
            Tensor::new(case.inputs[2].clone()),
        );
        let mut opt = SGD::with_options(vec![p.clone()], options).unwrap();
        let steps = case.isize("steps").unwrap() as usize;
        for step in 0..steps {
            opt.zero_grad();
            (&(&p * &c) - &t).pow_scalar(2.0).sum().backward();
            opt.step();
            let expected = case.out.get(step);
            assert!(
                reference::close(&p.value(), &expected, 1e-5, 1e-6),
                "{} step {step}: expected {expected:?} got {p:?}",
                case.name
            );
        }
    }
}

#[test]
fn parameters_without_gradients_are_skipped() {
    let a = Tensor::from_slice(&[1.0]).requires_grad_(true);
    let b = Tensor::from_slice(&[1.0]).requires_grad_(true);
    let mut opt = SGD::new(vec![a.clone(), b.clone()], 0.5).unwrap();
    (&a * 2.0).sum().backward();
    opt.step();
    assert_eq!((a.to_vec(), b.to_vec()), (vec![0.0], vec![1.0]));
    assert_eq!(opt.parameters().len(), 2);
}

#[test]
fn invalid_hyper_parameters_are_errors() {
    let p = || vec![Tensor::zeros(&[1]).requires_grad_(true)];
    let e = SGD::new(p(), -0.1).err().unwrap();
    assert_eq!(e.to_string(), "SGD: invalid learning rate: -0.1");
    let e = SGD::with_options(
        p(),
        SgdOptions {
            momentum: -1.0,
            ..Default::default()
        },
    )
    .err()
    .unwrap();
    assert_eq!(e.to_string(), "SGD: invalid momentum value: -1");
    let e = SGD::with_options(
        p(),
        SgdOptions {
            weight_decay: f32::NAN,
            ..Default::default()
        },
    )
    .err()
    .unwrap();
    assert_eq!(e.to_string(), "SGD: invalid weight_decay value: NaN");
    let e = SGD::with_options(
        p(),
        SgdOptions {
            nesterov: true,
            ..Default::default()
        },
    )
    .err()
    .unwrap();
    assert_eq!(
        e,
        OptimError::Nesterov {
            momentum: 0.0,
            dampening: 0.0
        }
    );
    assert!(e
        .to_string()
        .starts_with("SGD: nesterov momentum requires a momentum and zero dampening"));
    let e = SGD::with_options(
        p(),
        SgdOptions {
            nesterov: true,
            momentum: 0.9,
            dampening: 0.1,
            ..Default::default()
        },
    );
    assert!(e.is_err());
    assert_eq!(SGD::new(p(), 0.0).unwrap().options().lr, 0.0);
}

/// Builds an optimizer over a parameter list with default options.
type Construct = fn(Vec<Tensor>) -> Result<(), OptimError>;

/// Every optimizer's constructor; each new optimizer adds its row, and the
/// parameter-list checks run on it.
fn constructors() -> Vec<(&'static str, Construct)> {
    vec![
        ("SGD", |params| SGD::new(params, 0.1).map(drop)),
        ("Adam", |params| optim::Adam::new(params, 0.1).map(drop)),
        ("AdamW", |params| optim::AdamW::new(params, 0.1).map(drop)),
        ("RMSprop", |params| {
            optim::RMSprop::new(params, 0.1).map(drop)
        }),
        ("Adagrad", |params| {
            optim::Adagrad::new(params, 0.1).map(drop)
        }),
    ]
}

#[test]
fn bad_parameter_lists_are_errors_for_every_optimizer() {
    for (name, construct) in constructors() {
        let w = Tensor::from_slice(&[1.0, 2.0]).requires_grad_(true);
        assert_eq!(
            construct(vec![]).unwrap_err().to_string(),
            format!("{name}: optimizer got an empty parameter list")
        );
        assert_eq!(
            construct(vec![w.clone(), &w * 2.0]).unwrap_err().to_string(),
            format!("{name}: can't optimize a non-leaf Tensor (parameter 1 has grad_fn=MulBackward0); pass the leaf, or .detach().requires_grad_(true) it")
        );
        let other = Tensor::zeros(&[1]).requires_grad_(true);
        assert_eq!(
            construct(vec![w.clone(), other, w.clone()]).unwrap_err(),
            OptimError::DuplicateParameter {
                optimizer: name,
                index: 2,
                first: 0
            }
        );
        assert!(construct(vec![w.clone(), w.detach().requires_grad_(true)]).is_ok());
        let e = construct(vec![]).unwrap_err();
        assert_eq!(format!("{e:?}"), e.to_string());
    }
}
