//! Every row of `docs/ERRORS.md` is checked here: the bad input produces
//! exactly the documented message through the `Result` form, and the
//! panicking form (where there is one) panics with the same message instead
//! of aborting the process.
//!
//! Regenerate the table after changing a message with
//! `PRINT_ERRORS_MD=1 cargo test -p examples --test error_catalogue -- --nocapture`.

use std::panic::{catch_unwind, AssertUnwindSafe};

use autograd::{no_grad, Tensor};
use data::{DataLoader, TensorDataset};
use nn::{Linear, Module, Sequential};
use optim::{SgdOptions, SGD};
use tensor::Tensor as Raw;

type Check = Box<dyn Fn() -> String>;

/// One catalogue row: an id, what is wrong, the `Result` form's error
/// message, and the panicking form (if any).
struct Row {
    id: &'static str,
    input: &'static str,
    error: Check,
    panics: Option<Box<dyn Fn()>>,
}

fn err<T: std::fmt::Debug, E: std::fmt::Display>(r: Result<T, E>) -> String {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e.to_string(),
    }
}

macro_rules! row {
    ($id:literal, $input:literal, $error:expr) => {
        Row {
            id: $id,
            input: $input,
            error: Box::new(move || err($error)),
            panics: None,
        }
    };
    ($id:literal, $input:literal, $error:expr, panics: $panics:expr) => {
        Row {
            id: $id,
            input: $input,
            error: Box::new(move || err($error)),
            panics: Some(Box::new(move || {
                let _ = $panics;
            })),
        }
    };
}

fn leaf(shape: &[usize]) -> Tensor {
    Tensor::ones(shape).requires_grad_(true)
}

fn rows() -> Vec<Row> {
    let (a, b) = (|| Tensor::ones(&[2, 3]), || Tensor::ones(&[4]));
    vec![
        row!("add-shapes", "`a + b` with shapes [2, 3] and [4]", a().try_add(&b()), panics: &a() + &b()),
        row!("sub-shapes", "`a - b` with shapes [2, 3] and [4]", a().try_sub(&b()), panics: &a() - &b()),
        row!("mul-shapes", "`a * b` with shapes [2, 3] and [4]", a().try_mul(&b()), panics: &a() * &b()),
        row!("div-shapes", "`a / b` with shapes [2, 3] and [4]", a().try_div(&b()), panics: &a() / &b()),
        row!("pow-shapes", "`a.pow(b)` with shapes [2, 3] and [4]", a().try_pow(&b()), panics: a().pow(&b())),
        row!(
            "maximum-shapes",
            "`maximum` of [2, 3] and [4] (tensor crate)",
            Raw::ones(&[2, 3]).try_maximum(&Raw::ones(&[4]))
        ),
        row!("add-inplace-shapes", "`x += y` where y does not broadcast to x's shape", Raw::ones(&[2]).try_add_(&Raw::ones(&[2, 2])).map(|_| ()),
            panics: { let mut x = Raw::ones(&[2]); x += &Raw::ones(&[2, 2]); }),
        row!("matmul-inner", "`matmul` of [3, 4] and [5, 2]", Tensor::ones(&[3, 4]).try_matmul(&Tensor::ones(&[5, 2])),
            panics: Tensor::ones(&[3, 4]).matmul(&Tensor::ones(&[5, 2]))),
        row!(
            "matmul-batch",
            "`matmul` of [2, 3, 4] and [3, 4, 5]",
            Tensor::ones(&[2, 3, 4]).try_matmul(&Tensor::ones(&[3, 4, 5]))
        ),
        row!(
            "matmul-0d",
            "`matmul` with a 0-d operand",
            Tensor::scalar(1.0).try_matmul(&Tensor::ones(&[2]))
        ),
        row!("reshape-size", "`reshape([5, -1])` of a [3, 4] tensor", Tensor::ones(&[3, 4]).try_reshape(&[5, -1]), panics: Tensor::ones(&[3, 4]).reshape(&[5, -1])),
        row!(
            "reshape-two-minus-one",
            "`reshape([-1, -1])`",
            a().try_reshape(&[-1, -1])
        ),
        row!(
            "from-vec-length",
            "`from_vec` with 5 values for shape [2, 3]",
            Tensor::from_vec(vec![0.0; 5], &[2, 3])
        ),
        row!("item-many", "`item()` on a [2, 3] tensor", a().try_item(), panics: a().item()),
        row!("dim-range", "`sum_dim(2)` of a [2, 3] tensor", a().try_sum_dim(2, false), panics: a().sum_dim(2, false)),
        row!(
            "permute",
            "`permute([0, 0])` of a [2, 3] tensor",
            a().try_permute(&[0, 0])
        ),
        row!(
            "expand",
            "`expand([2, 4])` of a [3, 4] tensor",
            Tensor::ones(&[3, 4]).try_expand(&[2, 4])
        ),
        row!("index-range", "`index_select(0, [3])` of a [2, 3] tensor", a().try_index_select(0, &[3]), panics: a().index_select(0, &[3])),
        row!("select-range", "`get(2)` / `select(0, 2)` of a [2, 3] tensor", a().try_select(0, 2), panics: a().get(2)),
        row!(
            "narrow-range",
            "`narrow(1, 2, 2)` of a [2, 3] tensor",
            a().try_narrow(1, 2, 2)
        ),
        row!(
            "max-empty",
            "`max()` of an empty tensor",
            Tensor::zeros(&[0]).try_max()
        ),
        row!(
            "stack-shapes",
            "`stack` of [2] and [3]",
            Raw::try_stack(&[Raw::ones(&[2]), Raw::ones(&[3])], 0)
        ),
        row!(
            "normal-std",
            "`normal(0, -1, shape)`",
            Raw::try_normal(0.0, -1.0, &[2])
        ),
        row!(
            "uniform-bounds",
            "`uniform(2, 1, shape)`",
            Raw::try_uniform(2.0, 1.0, &[2])
        ),
        row!(
            "arange-step",
            "`arange(0, 1, 0)`",
            Raw::try_arange(0.0, 1.0, 0.0)
        ),
        row!("backward-nonscalar", "`backward()` on an output of shape [2, 3]", (&leaf(&[2, 3]) * 2.0).try_backward(),
            panics: (&leaf(&[2, 3]) * 2.0).backward()),
        row!(
            "backward-gradient-shape",
            "`backward_with(g)` with g of shape [2] for an output of shape [2, 3]",
            (&leaf(&[2, 3]) * 2.0).try_backward_with(&Tensor::ones(&[2]))
        ),
        row!(
            "backward-no-graph",
            "`backward()` on a tensor that does not require grad",
            Tensor::scalar(1.0).try_backward()
        ),
        row!("backward-twice", "a second `backward()` through a freed graph",
            { let y = (&leaf(&[2]) * 2.0).sum(); y.backward(); y.try_backward() },
            panics: { let y = (&leaf(&[2]) * 2.0).sum(); y.backward(); y.backward(); }),
        row!("inplace-leaf", "`w.add_(x)` on a leaf that requires grad, outside `no_grad`", leaf(&[2]).try_add_(&Tensor::ones(&[2])),
            panics: leaf(&[2]).add_(&Tensor::ones(&[2]))),
        row!(
            "inplace-graph",
            "`y.mul_(x)` on a tensor computed by a recorded op",
            (&leaf(&[2]) * 2.0).try_mul_(&Tensor::ones(&[2]))
        ),
        row!(
            "saved-modified",
            "modifying (under `no_grad`) a tensor that a backward node saved",
            {
                let b = &leaf(&[2]) * 1.0;
                let c = &b * &b;
                {
                    let _g = no_grad();
                    b.add_(&Tensor::ones(&[2]));
                }
                c.sum().try_backward()
            }
        ),
        row!(
            "requires-grad-nonleaf",
            "`requires_grad_(false)` on a computed tensor",
            (&leaf(&[2]) * 2.0).try_requires_grad_(false)
        ),
        row!(
            "batch-size-zero",
            "`DataLoader` with batch size 0",
            DataLoader::builder(TensorDataset::new(vec![Tensor::ones(&[3])]).unwrap())
                .batch_size(0)
                .build()
                .map(|l| l.len())
        ),
        row!(
            "dataset-lengths",
            "`TensorDataset` over tensors of 3 and 4 rows",
            TensorDataset::new(vec![Tensor::ones(&[3, 2]), Tensor::ones(&[4])])
        ),
        row!(
            "dataset-no-tensors",
            "`TensorDataset` over no tensors",
            TensorDataset::new(vec![])
        ),
        row!(
            "dataset-scalar",
            "`TensorDataset` over a 0-d tensor",
            TensorDataset::new(vec![Tensor::scalar(1.0)])
        ),
        row!(
            "loader-empty-shuffle",
            "a shuffling `DataLoader` over an empty dataset",
            DataLoader::builder(TensorDataset::new(vec![Tensor::zeros(&[0, 2])]).unwrap())
                .shuffle(true)
                .build()
                .map(|l| l.len())
        ),
        row!(
            "sgd-lr",
            "`SGD` with learning rate -0.1",
            SGD::new(vec![leaf(&[1])], -0.1).map(|_| ())
        ),
        row!(
            "sgd-momentum",
            "`SGD` with momentum -1",
            SGD::with_options(
                vec![leaf(&[1])],
                SgdOptions {
                    momentum: -1.0,
                    ..Default::default()
                }
            )
            .map(|_| ())
        ),
        row!(
            "sgd-weight-decay",
            "`SGD` with weight decay -1",
            SGD::with_options(
                vec![leaf(&[1])],
                SgdOptions {
                    weight_decay: -1.0,
                    ..Default::default()
                }
            )
            .map(|_| ())
        ),
        row!(
            "sgd-nesterov",
            "`SGD` with Nesterov and no momentum",
            SGD::with_options(
                vec![leaf(&[1])],
                SgdOptions {
                    nesterov: true,
                    ..Default::default()
                }
            )
            .map(|_| ())
        ),
        row!("linear-input", "`Linear::new(2, 1)` applied to a [3, 5] input", Linear::new(2, 1).try_forward(&Tensor::ones(&[3, 5])),
            panics: Linear::new(2, 1).forward(&Tensor::ones(&[3, 5]))),
        row!(
            "sequential-layer-type",
            "`net.layer::<Linear>(1)` where layer 1 is not a `Linear`",
            catch_unwind(|| {
                Sequential::new()
                    .append(Linear::new(2, 2))
                    .append(nn::ReLU)
                    .layer::<Linear>(1);
            })
            .map_err(panic_message)
        ),
    ]
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// `(id, message)` of each row of the table in `docs/ERRORS.md`.
fn documented_rows() -> Vec<(String, String)> {
    include_str!("../../docs/ERRORS.md")
        .lines()
        .filter(|l| l.starts_with("| `") && !l.contains("| --- |"))
        .map(|l| {
            let cells: Vec<&str> = l.split(" | ").collect();
            let id = cells[0]
                .trim_start_matches("| ")
                .trim_matches('`')
                .to_string();
            let message = cells
                .last()
                .unwrap()
                .trim_end_matches(" |")
                .trim_matches('`')
                .to_string();
            (id, message)
        })
        .collect()
}

#[test]
fn every_catalogued_error_has_its_documented_message() {
    let rows = rows();
    if std::env::var_os("PRINT_ERRORS_MD").is_some() {
        for row in &rows {
            println!("| `{}` | {} | `{}` |", row.id, row.input, (row.error)());
        }
    }
    let documented = documented_rows();
    assert_eq!(
        documented
            .iter()
            .map(|(id, _)| id.as_str())
            .collect::<Vec<_>>(),
        rows.iter().map(|r| r.id).collect::<Vec<_>>(),
        "docs/ERRORS.md lists exactly the rows tested here, in order"
    );
    for (row, (_, message)) in rows.iter().zip(&documented) {
        assert_eq!(&(row.error)(), message, "row {}", row.id);
    }
}

#[test]
fn panicking_forms_panic_with_the_same_message_without_aborting() {
    let rows = rows();
    let mut checked = 0;
    for row in &rows {
        let Some(panics) = &row.panics else { continue };
        let payload = catch_unwind(AssertUnwindSafe(panics)).expect_err(row.id);
        assert_eq!(panic_message(payload), (row.error)(), "row {}", row.id);
        checked += 1;
    }
    assert!(checked >= 12, "only {checked} panicking forms");
}

#[test]
fn nan_and_infinity_propagate_without_panics() {
    let x = Tensor::from_slice(&[f32::NAN, f32::INFINITY, -1.0, 0.0]).requires_grad_(true);
    let y = (&x.exp() + &x.sqrt()).sum()
        + x.log().sum()
        + x.relu().sum()
        + x.sigmoid().mean()
        + x.tanh().sum();
    assert!(y.item().is_nan());
    y.backward();
    assert!(x.grad().unwrap().to_vec()[0].is_nan());
    let z = Tensor::from_slice(&[1.0, 0.0]);
    assert_eq!((&z / 0.0).to_vec()[0], f32::INFINITY);
    assert!((&z / 0.0).to_vec()[1].is_nan());
    assert!(Tensor::from_slice(&[f32::NAN, 1.0]).max().item().is_nan());
    assert!(Tensor::from_slice(&[f32::NAN, 1.0])
        .matmul(&Tensor::ones(&[2]))
        .item()
        .is_nan());
    println!(
        "{}",
        Tensor::from_slice(&[f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 1.5])
    );
}
