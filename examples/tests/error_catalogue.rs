//! Every row of `docs/ERRORS.md` is checked here: the bad input produces
//! exactly the documented message through the `Result` form, and the
//! panicking form (where there is one) panics with the same message instead
//! of aborting the process.
//!
//! Regenerate the table after changing a message with
//! `PRINT_ERRORS_MD=1 cargo test -p examples --test error_catalogue -- --nocapture`.

use std::panic::{catch_unwind, AssertUnwindSafe};

use autograd::{gradcheck, no_grad, GradcheckOptions, Save, Tensor};
use data::{DataLoader, Dataset, TensorDataset};
use nn::{BatchNorm1d, BatchNorm2d, Conv2d, Linear, MSELoss, MaxPool2d, Module, Sequential};
use optim::{Optimizer, SgdOptions, SGD};
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
        row!("backward-twice", "a second `backward()` through a node whose saved values were freed",
            { let y = leaf(&[2]).exp().sum(); y.backward(); y.try_backward() },
            panics: { let y = leaf(&[2]).exp().sum(); y.backward(); y.backward(); }),
        row!("inplace-leaf", "`w.add_(x)` on a leaf that requires grad, outside `no_grad`", leaf(&[2]).try_add_(&Tensor::ones(&[2])),
            panics: leaf(&[2]).add_(&Tensor::ones(&[2]))),
        row!(
            "inplace-view-of-leaf",
            "`w.narrow(..).mul_(x)` on a view of a leaf that requires grad, outside `no_grad`",
            leaf(&[2]).narrow(0, 0, 1).try_mul_(&Tensor::ones(&[1]))
        ),
        row!(
            "inplace-not-differentiable",
            "`y.map_(f)` (an arbitrary closure) on a computed tensor, outside `no_grad`",
            (&leaf(&[2]) * 2.0).try_map_("map_", |v| v * v)
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
            DataLoader::builder(TensorDataset::new(&[Tensor::ones(&[3])]).unwrap())
                .batch_size(0)
                .build()
                .map(|l| l.len())
        ),
        row!(
            "dataset-lengths",
            "`TensorDataset` over tensors of 3 and 4 rows",
            TensorDataset::new(&[Tensor::ones(&[3, 2]), Tensor::ones(&[4])])
        ),
        row!(
            "dataset-no-tensors",
            "`TensorDataset` over no tensors",
            TensorDataset::new(&[])
        ),
        row!(
            "dataset-scalar",
            "`TensorDataset` over a 0-d tensor",
            TensorDataset::new(&[Tensor::scalar(1.0)])
        ),
        row!(
            "loader-empty-shuffle",
            "a shuffling `DataLoader` over an empty dataset",
            DataLoader::builder(TensorDataset::new(&[Tensor::zeros(&[0, 2])]).unwrap())
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
        row!("zeros-alloc", "`Tensor::zeros(&[1 << 46])`: more memory than any machine has", Tensor::try_zeros(&[1 << 46]),
            panics: Tensor::zeros(&[1 << 46])),
        row!("matmul-overflow", "`matmul` of [2^32, 0] and [0, 2^32]: the output's size overflows",
            Raw::zeros(&[1 << 32, 0]).try_matmul(&Raw::zeros(&[0, 1 << 32])),
            panics: Raw::zeros(&[1 << 32, 0]).matmul(&Raw::zeros(&[0, 1 << 32]))),
        row!(
            "matmul-alloc",
            "`matmul` of [2^23, 0] and [0, 2^23]: a 256 TiB output",
            Tensor::zeros(&[1 << 23, 0]).try_matmul(&Tensor::zeros(&[0, 1 << 23]))
        ),
        row!("broadcast-overflow", "`a + b` with shapes [2^32, 1, 0] and [1, 2^32, 0]",
            Tensor::zeros(&[1 << 32, 1, 0]).try_add(&Tensor::zeros(&[1, 1 << 32, 0])),
            panics: &Tensor::zeros(&[1 << 32, 1, 0]) + &Tensor::zeros(&[1, 1 << 32, 0])),
        row!("view-strides", "`x.t().view([-1])` of a [2, 3] tensor", Raw::zeros(&[2, 3]).t().try_view(&[-1]),
            panics: Raw::zeros(&[2, 3]).t().view(&[-1])),
        row!(
            "write-expanded",
            "`x.expand([3, 2]).fill_(1)` of a [1, 2] tensor",
            catch_unwind(|| {
                Raw::zeros(&[1, 2]).expand(&[3, 2]).fill_(1.0);
            })
            .map_err(panic_message)
            .map(|_| ())
        ),
        row!("mean-int", "`mean()` of an int64 tensor", Raw::from_elems(&[1i64, 2]).try_mean(),
            panics: Raw::from_elems(&[1i64, 2]).mean()),
        row!("sub-bool", "`a - b` with a bool tensor", Raw::from_elems(&[true]).try_sub(&Raw::from_elems(&[false])),
            panics: &Raw::from_elems(&[true]) - &Raw::from_elems(&[false])),
        row!("requires-grad-int", "`requires_grad_(true)` on an int64 tensor",
            Tensor::new(Raw::from_elems(&[1i64])).try_requires_grad_(true).map(|_| ()),
            panics: Tensor::new(Raw::from_elems(&[1i64])).requires_grad_(true)),
        row!(
            "index-dtype",
            "`index_select` with a float32 index tensor",
            Raw::zeros(&[3]).try_index_select(0, &Raw::from_slice(&[0.0]))
        ),
        row!("unfold-size", "`unfold(0, 4, 1)` of a [3] tensor", Raw::zeros(&[3]).try_unfold(0, 4, 1),
            panics: Raw::zeros(&[3]).unfold(0, 4, 1)),
        row!("contiguous-alloc", "`expand([2^46]).contiguous()` of a one-element tensor",
            Raw::ones(&[1]).expand(&[1 << 46]).try_contiguous(),
            panics: Raw::ones(&[1]).expand(&[1 << 46]).contiguous()),
        row!("arange-alloc", "`arange(0, 1e15, 1)`", Tensor::try_arange(0.0, 1e15, 1.0),
            panics: Tensor::arange(0.0, 1e15, 1.0)),
        row!("normal-overflow", "`normal(0, 1, [2^32, 2^32])`", Tensor::try_normal(0.0, 1.0, &[1 << 32, 1 << 32]),
            panics: Tensor::normal(0.0, 1.0, &[1 << 32, 1 << 32])),
        row!("linear-too-large", "`Linear::new(2^32, 2^32)`", Linear::try_new(1 << 32, 1 << 32).map(|_| ()),
            panics: Linear::new(1 << 32, 1 << 32)),
        row!("mse-shapes", "`MSELoss` of a [4, 1] prediction against a [4] target",
            MSELoss::new().try_forward(&Tensor::ones(&[4, 1]), &Tensor::ones(&[4])),
            panics: MSELoss::new().forward(&Tensor::ones(&[4, 1]), &Tensor::ones(&[4]))),
        row!(
            "sgd-empty",
            "`SGD::new(vec![], lr)`",
            SGD::new(vec![], 0.1).map(|_| ())
        ),
        row!(
            "sgd-non-leaf",
            "`SGD::new(vec![&w * 2.0], lr)`",
            SGD::new(vec![&leaf(&[2]) * 2.0], 0.1).map(|_| ())
        ),
        row!(
            "sgd-duplicate",
            "`SGD::new(vec![w.clone(), w.clone()], lr)`",
            {
                let w = leaf(&[2]);
                SGD::new(vec![w.clone(), w], 0.1).map(|_| ())
            }
        ),
        row!("allclose-shapes", "`allclose` of [2, 3] and [3, 2]", a().try_allclose(&Tensor::ones(&[3, 2]), 1e-5, 1e-8),
            panics: a().allclose(&Tensor::ones(&[3, 2]), 1e-5, 1e-8)),
        row!("len-0d", "`len()` of a 0-d tensor", Tensor::scalar(1.0).try_len(), panics: Tensor::scalar(1.0).len()),
        row!("from-op-save", "`Tensor::from_op` saving input 1 of a one-input op",
            Tensor::try_from_op("MyBackward", Raw::ones(&[1]), &[&leaf(&[1])], Save { inputs: &[1], output: false }, |g, _, _| Ok(vec![Some(g.clone())])),
            panics: Tensor::from_op("MyBackward", Raw::ones(&[1]), &[&leaf(&[1])], Save { inputs: &[1], output: false }, |g, _, _| Ok(vec![Some(g.clone())]))),
        row!("backward-panic", "a backward function that panics",
            Tensor::from_op("MyBackward", Raw::ones(&[1]), &[&leaf(&[1])], Save::NOTHING, |_, _, _| panic!("oops")).sum().try_backward(),
            panics: Tensor::from_op("MyBackward", Raw::ones(&[1]), &[&leaf(&[1])], Save::NOTHING, |_, _, _| panic!("oops")).sum().backward()),
        row!(
            "gradcheck-eps",
            "`gradcheck` with `eps: 0.0`",
            gradcheck(
                |x| Ok(x[0].clone()),
                &[Raw::ones(&[2])],
                GradcheckOptions {
                    eps: 0.0,
                    ..Default::default()
                }
            )
        ),
        row!(
            "sequential-index",
            "`net[5]` on a network of 2 layers",
            catch_unwind(|| {
                let net = Sequential::new().append(Linear::new(2, 2)).append(nn::ReLU);
                let _ = &net[5];
            })
            .map_err(panic_message)
        ),
        row!("conv2d-channels", "`Conv2d::new(3, 8, 3)` called on [1, 2, 5, 5]",
            Conv2d::new(3, 8, 3).try_call(&Tensor::ones(&[1, 2, 5, 5])),
            panics: Conv2d::new(3, 8, 3).forward(&Tensor::ones(&[1, 2, 5, 5]))),
        row!(
            "conv2d-kernel-size",
            "a 5×5 kernel on a 3×3 image",
            Conv2d::new(1, 1, 5).try_call(&Tensor::ones(&[1, 1, 3, 3]))
        ),
        row!(
            "conv2d-rank",
            "`Conv2d` called on a 2-D tensor",
            Conv2d::new(1, 1, 3).try_call(&Tensor::ones(&[5, 5]))
        ),
        row!(
            "max-pool-padding",
            "`MaxPool2d::new(2).padding(2)`",
            MaxPool2d::new(2)
                .padding(2)
                .try_call(&Tensor::ones(&[1, 1, 5, 5]))
        ),
        row!(
            "batch-norm-single-value",
            "`BatchNorm1d` training on one sample [1, 3]",
            BatchNorm1d::new(3).try_call(&Tensor::ones(&[1, 3]))
        ),
        row!(
            "batch-norm-rank",
            "`BatchNorm2d` called on [4, 3]",
            BatchNorm2d::new(3).try_call(&Tensor::ones(&[4, 3]))
        ),
        row!(
            "load-state-dict-keys",
            "`load_state_dict(strict)` with a missing key, an unexpected key and a weight of another shape",
            Linear::new(2, 1).load_state_dict(
                &[("weight".to_string(), Tensor::ones(&[3, 2])), ("scale".to_string(), Tensor::ones(&[1]))].into_iter().collect(),
                true
            )
        ),
        row!(
            "load-state-dict-shape",
            "`load_state_dict` (not strict) with a weight of another shape",
            Linear::new(2, 1).load_state_dict(
                &[("weight".to_string(), Tensor::ones(&[3, 2])), ("bias".to_string(), Tensor::ones(&[1]))].into_iter().collect(),
                false
            )
        ),
        row!(
            "optimizer-state-groups",
            "`load_state_dict` of a one-group SGD's state into a two-group SGD",
            two_group_sgd().load_state_dict(&SGD::new(vec![leaf(&[2])], 0.1).unwrap().state_dict())
        ),
        row!(
            "safetensors-dtype",
            "`serialization::load_file` of a float16 safetensors file",
            serialization::load_file("../crates/serialization/tests/data/half.safetensors")
        ),
        row!(
            "torch-load-module",
            "`serialization::load` of `torch.save(model)` (a module, not its state_dict)",
            serialization::load("../crates/serialization/tests/data/module.pt")
        ),
        row!(
            "torch-load-legacy",
            "`serialization::load` of a checkpoint in the pre-1.6 format",
            serialization::load("../crates/serialization/tests/data/legacy.pt")
        ),
        row!(
            "dataset-fields",
            "a custom `Dataset` whose samples have different numbers of fields",
            catch_unwind(|| {
                DataLoader::builder(Ragged)
                    .batch_size(2)
                    .build()
                    .unwrap()
                    .iter()
                    .next();
            })
            .map_err(panic_message)
        ),
    ]
}

/// SGD over two groups of one parameter each.
fn two_group_sgd() -> SGD {
    SGD::with_groups(vec![
        optim::ParamGroup::new(vec![leaf(&[2])], SgdOptions::default()),
        optim::ParamGroup::new(vec![leaf(&[2])], SgdOptions::default()),
    ])
    .unwrap()
}

/// A dataset whose samples have one or two fields.
struct Ragged;

impl Dataset for Ragged {
    fn len(&self) -> usize {
        2
    }
    fn get(&self, index: usize) -> Vec<Tensor> {
        vec![Tensor::scalar(1.0); 1 + index]
    }
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
                // A message holding backticks is written ``` `` like this `` ```.
                .trim()
                // Line breaks and tabs (load_state_dict's list) are escaped.
                .replace("\\n", "\n")
                .replace("\\t", "\t");
            (id, message)
        })
        .collect()
}

#[test]
fn every_catalogued_error_has_its_documented_message() {
    let rows = rows();
    if std::env::var_os("PRINT_ERRORS_MD").is_some() {
        for row in &rows {
            let message = (row.error)().replace('\n', "\\n").replace('\t', "\\t");
            let code = match message.contains('`') {
                true => format!("`` {message} ``"),
                false => format!("`{message}`"),
            };
            println!("| `{}` | {} | {code} |", row.id, row.input);
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

/// Equal as PyTorch's results are: the same value, or both NaN.
fn same_values(got: &[f32], expected: &[f32]) -> bool {
    got.len() == expected.len()
        && got
            .iter()
            .zip(expected)
            .all(|(g, e)| g == e || (g.is_nan() && e.is_nan()))
}

#[test]
fn nan_and_infinity_propagate_as_in_pytorch() {
    let (nan, inf) = (f32::NAN, f32::INFINITY);
    // Expected values from PyTorch 2.15 for the same program:
    // x = torch.tensor([nan, inf, -1., 0.], requires_grad=True)
    // y = (x.exp() + x.sqrt()).sum() + x.log().sum() + x.relu().sum()
    //     + x.sigmoid().mean() + x.tanh().sum(); y.backward()
    let x = Tensor::from_slice(&[nan, inf, -1.0, 0.0]).requires_grad_(true);
    let y = (&x.exp() + &x.sqrt()).sum()
        + x.log().sum()
        + x.relu().sum()
        + x.sigmoid().mean()
        + x.tanh().sum();
    assert!(y.item().is_nan());
    y.backward();
    let grad = x.grad().unwrap().to_vec();
    assert!(
        same_values(&grad, &[nan, inf, nan, inf]),
        "x.grad = {grad:?}"
    );
    // (z / 0.) = [inf, nan] for z = [1., 0.]
    let z = Tensor::from_slice(&[1.0, 0.0]);
    assert!(same_values(&(&z / 0.0).to_vec(), &[inf, nan]));
    assert!(Tensor::from_slice(&[nan, 1.0]).max().item().is_nan());
    assert!(Tensor::from_slice(&[nan, 1.0])
        .matmul(&Tensor::ones(&[2]))
        .item()
        .is_nan());
    assert_eq!(
        Tensor::from_slice(&[nan, inf, -inf, 1.5]).to_string(),
        "tensor([   nan,    inf,   -inf, 1.5000])"
    );
}
