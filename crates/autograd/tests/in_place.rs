//! In-place operations recorded by autograd, against PyTorch-generated
//! references (`tools/reference/in_place.py` writes `tests/data/in_place.txt`):
//! the tensor's history is rebased onto each in-place node, with PyTorch's
//! `grad_fn` names, values and gradients; plus PyTorch's refusals.

use std::collections::HashMap;

use autograd::{grad, no_grad, AutogradError, GradOptions, Tensor};

/// One case of the reference file: grad_fn names and named tensors
/// (`None` for a gradient PyTorch leaves at None).
struct Case {
    names: Vec<String>,
    tensors: HashMap<String, Option<Vec<f32>>>,
}

fn cases() -> HashMap<String, Case> {
    let mut cases = HashMap::new();
    let mut current: Option<(String, Case)> = None;
    for line in include_str!("data/in_place.txt").lines() {
        if let Some(title) = line.strip_prefix("=== ") {
            cases.extend(current.take());
            let case = Case {
                names: Vec::new(),
                tensors: HashMap::new(),
            };
            current = Some((title.to_string(), case));
            continue;
        }
        let (_, case) = current.as_mut().expect("a case header first");
        if let Some(names) = line.strip_prefix("names ") {
            case.names = names.split(' ').map(str::to_string).collect();
        } else if let Some(name) = line.strip_suffix(" none") {
            case.tensors.insert(name.to_string(), None);
        } else {
            let (head, values) = line.split_once(" | ").expect("`name shape | values`");
            let name = head.split(' ').next().unwrap();
            let values = values.split(' ').map(|v| v.parse().unwrap()).collect();
            case.tensors.insert(name.to_string(), Some(values));
        }
    }
    cases.extend(current);
    cases
}

#[track_caller]
fn check(case: &Case, names: &[&str], tensors: &[(&str, Option<Tensor>)]) {
    assert_eq!(names, case.names, "grad_fn names");
    for (name, got) in tensors {
        let want = &case.tensors[*name];
        match (got, want) {
            (Some(got), Some(want)) => {
                let got = got.to_vec();
                for (g, w) in got.iter().zip(want) {
                    assert!(
                        (g - w).abs() <= 1e-6 * w.abs().max(1.0),
                        "{name}: {got:?} vs PyTorch {want:?}"
                    );
                }
                assert_eq!(got.len(), want.len(), "{name}");
            }
            (None, None) => {}
            _ => panic!("{name}: got {got:?}, PyTorch {want:?}"),
        }
    }
}

fn leaves() -> (Tensor, Tensor) {
    (
        Tensor::from_slice(&[1.0, 2.0, 3.0]).requires_grad_(true),
        Tensor::from_slice(&[0.5, -1.0, 2.0]).requires_grad_(true),
    )
}

fn name(t: &Tensor) -> &'static str {
    t.grad_fn().expect("a grad_fn")
}

#[test]
fn in_place_ops_match_pytorch() {
    let cases = cases();

    let (x, w) = leaves();
    let y = &x * 2.0;
    let mut names = Vec::new();
    y.add_(&w);
    names.push(name(&y));
    y.mul_(&x);
    names.push(name(&y));
    y.sub_(&w);
    names.push(name(&y));
    y.div_(&x);
    names.push(name(&y));
    assert!(!y.is_leaf());
    y.sum().backward();
    check(
        &cases["binary"],
        &names,
        &[("y", Some(y)), ("x.grad", x.grad()), ("w.grad", w.grad())],
    );

    let (x, _) = leaves();
    let mut y = &x * 1.0;
    let mut names = Vec::new();
    y *= 3.0;
    names.push(name(&y));
    y += 1.0;
    names.push(name(&y));
    y -= 0.5;
    names.push(name(&y));
    y /= 2.0;
    names.push(name(&y));
    (&y * &y).sum().backward();
    check(
        &cases["scalar"],
        &names,
        &[("y", Some(y)), ("x.grad", x.grad())],
    );

    let (x, w) = leaves();
    let y = &x * 2.0;
    y.add_scaled_(&w, 0.5);
    (&y * &x).sum().backward();
    check(
        &cases["add_alpha"],
        &[name(&y)],
        &[
            ("y", Some(y.clone())),
            ("x.grad", x.grad()),
            ("w.grad", w.grad()),
        ],
    );

    let (x, _) = leaves();
    let y = &x * 2.0;
    y.fill_(3.0);
    (&y * &x).sum().backward();
    check(
        &cases["fill"],
        &[name(&y)],
        &[("y", Some(y.clone())), ("x.grad", x.grad())],
    );

    let (x, _) = leaves();
    let y = &x * 2.0;
    y.zero_();
    (&y + &x).sum().backward();
    check(
        &cases["zero"],
        &[name(&y)],
        &[("y", Some(y.clone())), ("x.grad", x.grad())],
    );

    let (x, w) = leaves();
    let y = &x * 2.0;
    y.copy_(&w);
    (&y * &y).sum().backward();
    check(
        &cases["copy"],
        &[name(&y)],
        &[
            ("y", Some(y.clone())),
            ("x.grad", x.grad()),
            ("w.grad", w.grad()),
        ],
    );

    let (_, w) = leaves();
    let z = Tensor::zeros(&[3]);
    z.add_(&w);
    let first = name(&z);
    assert!(z.requires_grad() && !z.is_leaf());
    z.mul_(&w);
    z.sum().backward();
    check(
        &cases["plain_leaf"],
        &[first, name(&z)],
        &[("z", Some(z.clone())), ("w.grad", w.grad())],
    );

    let (x, _) = leaves();
    let y = &x * &x;
    y.mul_(&x);
    let options = GradOptions {
        create_graph: true,
        ..GradOptions::default()
    };
    let g = grad(&[&y.sum()], &[&x], None, options).unwrap().remove(0);
    let gg = grad(
        &[&g.as_ref().unwrap().sum()],
        &[&x],
        None,
        GradOptions::default(),
    )
    .unwrap()
    .remove(0);
    check(
        &cases["double_backward"],
        &[name(&y)],
        &[("g", g), ("gg", gg)],
    );
}

#[test]
fn in_place_refusals_are_pytorch_s() {
    let (x, w) = leaves();
    // A leaf that requires grad, and a view of one.
    let e = x.try_add_(&w).unwrap_err();
    assert!(matches!(e, AutogradError::InPlaceOnLeaf { op: "add_" }));
    assert!(e
        .to_string()
        .contains("a leaf Variable that requires grad is being used in an in-place operation"));
    let e = x.narrow(0, 0, 2).try_mul_(&w.narrow(0, 0, 2)).unwrap_err();
    assert!(
        matches!(e, AutogradError::InPlaceOnViewOfLeaf { op: "mul_" }),
        "{e}"
    );
    assert!(e.to_string().contains(
        "a view of a leaf Variable that requires grad is being used in an in-place operation"
    ));
    // Nothing was written.
    assert_eq!(x.to_vec(), vec![1.0, 2.0, 3.0]);
    // A value saved for backward, modified in place: the backward fails.
    let y = x.exp();
    y.add_(&Tensor::ones(&[3]));
    assert_eq!(y.grad_fn(), Some("AddBackward0"));
    let e = y.sum().try_backward().unwrap_err();
    assert!(
        matches!(
            e,
            AutogradError::SavedTensorModified {
                node: "ExpBackward0",
                found: 1,
                expected: 0
            }
        ),
        "{e}"
    );
    // Under no_grad nothing is recorded, as before.
    let y = &x * 2.0;
    {
        let _guard = no_grad();
        y.add_(&w);
    }
    assert_eq!(y.grad_fn(), Some("MulBackward0"));
    // An op without a derivative cannot be recorded.
    let e = y.try_map_("custom", |v| v * v).unwrap_err();
    assert!(e.to_string().contains("not differentiable"), "{e}");
    // Shape errors are the in-place op's.
    let e = (&x * 2.0).try_add_(&Tensor::ones(&[2, 3])).unwrap_err();
    assert!(
        e.to_string().contains("doesn't match the broadcast shape"),
        "{e}"
    );
}

#[test]
fn in_place_ops_on_views_match_pytorch() {
    let cases = cases();
    let weights = Tensor::from_slice(&[1.0, 10.0, 100.0, 1000.0]);

    // The base's history goes through CopySlices, the view's through
    // AsStridedBackward0.
    let x = Tensor::from_slice(&[1.0, 2.0, 3.0, 4.0]).requires_grad_(true);
    let w = Tensor::from_slice(&[5.0, 6.0]).requires_grad_(true);
    let y = &x * 2.0;
    let v = y.narrow(0, 1, 2);
    v.mul_(&w);
    let names = [name(&y), name(&v)];
    (&y * &weights).sum().backward();
    check(
        &cases["view"],
        &names,
        &[("y", Some(y)), ("x.grad", x.grad()), ("w.grad", w.grad())],
    );

    // A strided view (a column) of a base that is itself viewed (the
    // reshape): every view's history is regenerated from the base's.
    let x = Tensor::from_slice(&[1.0, 2.0, 3.0, 4.0]).requires_grad_(true);
    let w = Tensor::from_slice(&[5.0, 6.0]).requires_grad_(true);
    let y = (&x * 1.0).reshape(&[2, 2]);
    let column = y.select(1, 0);
    column.mul_(&w);
    let mut column = column;
    column += 1.0;
    let names = [name(&y), name(&column)];
    (&y * &weights.reshape(&[2, 2])).sum().backward();
    check(
        &cases["strided_view"],
        &names,
        &[
            ("y", Some(y.clone())),
            ("column", Some(column.clone())),
            ("x.grad", x.grad()),
            ("w.grad", w.grad()),
        ],
    );

    // A view of a plain tensor, made differentiable by its operand.
    let w = Tensor::from_slice(&[5.0, 6.0]).requires_grad_(true);
    let z = Tensor::zeros(&[4]);
    z.narrow(0, 1, 2).add_(&w);
    assert!(z.requires_grad() && !z.is_leaf());
    let names = [name(&z)];
    (&z * &weights).sum().backward();
    check(
        &cases["plain_base_view"],
        &names,
        &[("z", Some(z.clone())), ("w.grad", w.grad())],
    );
}

#[test]
fn views_of_a_base_modified_in_place_see_its_new_history() {
    // A view taken before its base was modified in place regenerates its
    // history from the base's (PyTorch's AsStridedBackward0).
    let x = Tensor::from_slice(&[1.0, 2.0, 3.0]).requires_grad_(true);
    let w = Tensor::from_slice(&[0.5, -1.0, 2.0]).requires_grad_(true);
    let y = &x * 2.0;
    let first_two = y.narrow(0, 0, 2);
    assert_eq!(first_two.grad_fn(), Some("SliceBackward0"));
    y.mul_(&w);
    assert_eq!(first_two.grad_fn(), Some("AsStridedBackward0"));
    assert_eq!(first_two.to_vec(), vec![1.0, -4.0]);
    first_two.sum().backward();
    // d/dx of (2x·w)[0..2] = 2w there, 0 for x[2]; d/dw = 2x there.
    assert_eq!(x.grad().unwrap().to_vec(), vec![1.0, -2.0, 0.0]);
    assert_eq!(w.grad().unwrap().to_vec(), vec![2.0, 4.0, 0.0]);
    // Under no_grad nothing is recorded and views alias as usual.
    let base = Tensor::zeros(&[3]);
    base.narrow(0, 1, 2).add_(&Tensor::ones(&[2]));
    assert_eq!(base.to_vec(), vec![0.0, 1.0, 1.0]);
    assert!(base.is_leaf());
}
