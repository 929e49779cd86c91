//! The op table (PyTorch's OpInfo is the model): one registry of ops, each
//! run on every sample of `data/opinfo.txt`, which `tools/reference/opinfo.py`
//! generated with PyTorch over dtypes (float32, float64, int64, bool),
//! broadcasting, non-contiguous views, empty and 0-d tensors and NaN/inf.
//!
//! For every sample: where PyTorch raises, the op must return an error (and
//! not panic through a `try_` form); otherwise the result's dtype, shape and
//! values must be PyTorch's. Differentiable ops are also gradchecked and
//! gradgradchecked (second derivatives, through a backward recorded with
//! `create_graph`) in float64 on their finite float samples, and view ops
//! must share storage.
//!
//! Adding an op: one row in `OPS` below and one in `OPS` of the script.

use std::panic::{catch_unwind, AssertUnwindSafe};

use autograd::{gradcheck, gradgradcheck, GeluApproximate, GradcheckOptions, Tensor};
use tensor::{DType, Scalar, Tensor as Raw};

/// Scalars and dims of a sample.
#[derive(Default, Debug)]
struct Args {
    s: Option<Scalar>,
    dim: isize,
    keepdim: bool,
}

type RawFn = fn(&[Raw], &Args) -> tensor::Result<Vec<Raw>>;
type GradFn = fn(&[Tensor], &Args) -> autograd::Result<Tensor>;

struct OpInfo {
    name: &'static str,
    raw: RawFn,
    /// The differentiable form, gradchecked on finite float samples.
    grad: Option<GradFn>,
    /// Whether the result must be a view sharing the input's storage.
    view: bool,
}

/// A panicking method as a `Result` (the message as an invalid-argument error).
fn caught(f: impl FnOnce() -> Raw) -> tensor::Result<Vec<Raw>> {
    catch_unwind(AssertUnwindSafe(f))
        .map(|t| vec![t])
        .map_err(|_| tensor::TensorError::InvalidArgument {
            op: "panicked",
            msg: String::new(),
        })
}

fn one(r: tensor::Result<Raw>) -> tensor::Result<Vec<Raw>> {
    r.map(|t| vec![t])
}

fn s(a: &Args) -> Scalar {
    a.s.expect("sample has a scalar")
}

macro_rules! op {
    ($name:literal, raw: $raw:expr, grad: $grad:expr) => {
        OpInfo {
            name: $name,
            raw: $raw,
            grad: Some($grad),
            view: false,
        }
    };
    ($name:literal, raw: $raw:expr) => {
        OpInfo {
            name: $name,
            raw: $raw,
            grad: None,
            view: false,
        }
    };
    ($name:literal, view: $raw:expr, grad: $grad:expr) => {
        OpInfo {
            name: $name,
            raw: $raw,
            grad: Some($grad),
            view: true,
        }
    };
}

#[rustfmt::skip]
const OPS: &[OpInfo] = &[
    // Binary, broadcasting, promoting.
    op!("add", raw: |x, _| one(x[0].try_add(&x[1])), grad: |t, _| t[0].try_add(&t[1])),
    op!("sub", raw: |x, _| one(x[0].try_sub(&x[1])), grad: |t, _| t[0].try_sub(&t[1])),
    op!("mul", raw: |x, _| one(x[0].try_mul(&x[1])), grad: |t, _| t[0].try_mul(&t[1])),
    op!("div", raw: |x, _| one(x[0].try_div(&x[1])), grad: |t, _| t[0].try_div(&t[1])),
    op!("pow", raw: |x, _| one(x[0].try_pow(&x[1])), grad: |t, _| t[0].try_pow(&t[1])),
    op!("maximum", raw: |x, _| one(x[0].try_maximum(&x[1])), grad: |t, _| t[0].try_maximum(&t[1])),
    op!("minimum", raw: |x, _| one(x[0].try_minimum(&x[1])), grad: |t, _| t[0].try_minimum(&t[1])),
    op!("eq", raw: |x, _| one(x[0].try_eq(&x[1]))),
    op!("ne", raw: |x, _| one(x[0].try_ne(&x[1]))),
    op!("lt", raw: |x, _| one(x[0].try_lt(&x[1]))),
    op!("le", raw: |x, _| one(x[0].try_le(&x[1]))),
    op!("gt", raw: |x, _| one(x[0].try_gt(&x[1]))),
    op!("ge", raw: |x, _| one(x[0].try_ge(&x[1]))),
    // Unary.
    op!("neg", raw: |x, _| caught(|| x[0].neg()), grad: |t, _| Ok(t[0].neg())),
    op!("abs", raw: |x, _| caught(|| x[0].abs()), grad: |t, _| Ok(t[0].abs())),
    op!("exp", raw: |x, _| caught(|| x[0].exp()), grad: |t, _| Ok(t[0].exp())),
    op!("log", raw: |x, _| caught(|| x[0].log()), grad: |t, _| Ok(t[0].log())),
    op!("sqrt", raw: |x, _| caught(|| x[0].sqrt()), grad: |t, _| Ok(t[0].sqrt())),
    op!("sigmoid", raw: |x, _| caught(|| x[0].sigmoid()), grad: |t, _| Ok(t[0].sigmoid())),
    op!("tanh", raw: |x, _| caught(|| x[0].tanh()), grad: |t, _| Ok(t[0].tanh())),
    op!("relu", raw: |x, _| caught(|| x[0].relu()), grad: |t, _| Ok(t[0].relu())),
    op!("square", raw: |x, _| caught(|| x[0].square()), grad: |t, _| Ok(t[0].square())),
    op!("reciprocal", raw: |x, _| caught(|| x[0].reciprocal()), grad: |t, _| Ok(t[0].reciprocal())),
    op!("sign", raw: |x, _| caught(|| x[0].sign())),
    op!("logical_not", raw: |x, _| caught(|| x[0].logical_not())),
    op!("clone", raw: |x, _| one(x[0].try_clone())),
    op!("contiguous", raw: |x, _| one(x[0].try_contiguous())),
    // Tensor-scalar.
    op!("add_scalar", raw: |x, a| caught(|| x[0].add_scalar(s(a))), grad: |t, a| Ok(t[0].add_scalar(s(a)))),
    op!("mul_scalar", raw: |x, a| caught(|| x[0].mul_scalar(s(a))), grad: |t, a| Ok(t[0].mul_scalar(s(a)))),
    op!("div_scalar", raw: |x, a| caught(|| x[0].div_scalar(s(a))), grad: |t, a| Ok(t[0].div_scalar(s(a)))),
    op!("rsub_scalar", raw: |x, a| caught(|| x[0].rsub_scalar(s(a))), grad: |t, a| Ok(t[0].rsub_scalar(s(a)))),
    op!("pow_scalar", raw: |x, a| caught(|| x[0].pow_scalar(s(a))), grad: |t, a| Ok(t[0].pow_scalar(s(a)))),
    op!("lt_scalar", raw: |x, a| one(x[0].try_lt_scalar(s(a)))),
    op!("eq_scalar", raw: |x, a| one(x[0].try_eq_scalar(s(a)))),
    op!("clamp", raw: |x, _| caught(|| x[0].clamp(Some(-0.5), Some(0.75))), grad: |t, _| Ok(t[0].clamp(Some(-0.5), Some(0.75)))),
    // Reductions.
    op!("sum", raw: |x, _| caught(|| x[0].sum()), grad: |t, _| Ok(t[0].sum())),
    op!("mean", raw: |x, _| one(x[0].try_mean()), grad: |t, _| Ok(t[0].mean())),
    op!("max", raw: |x, _| one(x[0].try_max()), grad: |t, _| t[0].try_max()),
    op!("min", raw: |x, _| one(x[0].try_min()), grad: |t, _| t[0].try_min()),
    op!("argmax", raw: |x, _| one(x[0].try_argmax())),
    op!("argmin", raw: |x, _| one(x[0].try_argmin())),
    op!("sum_dim", raw: |x, a| one(x[0].try_sum_dim(a.dim, a.keepdim)), grad: |t, a| t[0].try_sum_dim(a.dim, a.keepdim)),
    op!("mean_dim", raw: |x, a| one(x[0].try_mean_dim(a.dim, a.keepdim)), grad: |t, a| t[0].try_mean_dim(a.dim, a.keepdim)),
    op!("max_dim", raw: |x, a| x[0].try_max_dim(a.dim, a.keepdim).map(|(v, i)| vec![v, i]), grad: |t, a| t[0].try_max_dim(a.dim, a.keepdim).map(|(v, _)| v)),
    op!("min_dim", raw: |x, a| x[0].try_min_dim(a.dim, a.keepdim).map(|(v, i)| vec![v, i]), grad: |t, a| t[0].try_min_dim(a.dim, a.keepdim).map(|(v, _)| v)),
    op!("argmax_dim", raw: |x, a| one(x[0].try_argmax_dim(a.dim, a.keepdim))),
    // Products.
    op!("matmul", raw: |x, _| one(x[0].try_matmul(&x[1])), grad: |t, _| t[0].try_matmul(&t[1])),
    // Views.
    op!("transpose", view: |x, _| one(x[0].try_transpose(0, -1)), grad: |t, _| t[0].try_transpose(0, -1)),
    op!("permute", view: |x, _| one(x[0].try_permute(&(0..x[0].dim() as isize).rev().collect::<Vec<_>>())),
        grad: |t, _| t[0].try_permute(&(0..t[0].dim() as isize).rev().collect::<Vec<_>>())),
    op!("unsqueeze", view: |x, _| one(x[0].try_unsqueeze(1)), grad: |t, _| t[0].try_unsqueeze(1)),
    op!("flatten", raw: |x, _| one(x[0].try_reshape(&[-1])), grad: |t, _| t[0].try_reshape(&[-1])),
    op!("narrow", view: |x, _| one(x[0].try_narrow(-1, 1, 2)), grad: |t, _| t[0].try_narrow(-1, 1, 2)),
    op!("select", view: |x, _| one(x[0].try_select(-1, 1)), grad: |t, _| t[0].try_select(-1, 1)),
    op!("slice_step", view: |x, _| one(x[0].try_slice(1, Some(1), None, 2)), grad: |t, _| t[0].try_slice(1, Some(1), None, 2)),
    op!("unfold", view: |x, _| one(x[0].try_unfold(-1, 2, 1)), grad: |t, _| t[0].try_unfold(-1, 2, 1)),
    op!("view", raw: |x, _| {
            let last = *x[0].shape().last().unwrap() as isize;
            one(if x[0].is_contiguous() { x[0].try_view(&[-1, last]) } else { x[0].try_reshape(&[-1, last]) })
        },
        grad: |t, _| {
            let last = *t[0].shape().last().unwrap() as isize;
            t[0].try_reshape(&[-1, last])
        }),
    op!("split", view: |x, _| x[0].try_split(2, -1).map(|mut p| vec![p.remove(1)]), grad: |t, _| t[0].try_split(2, -1).map(|mut p| p.remove(1))),
    op!("chunk", view: |x, _| x[0].try_chunk(2, 0).map(|mut p| vec![p.pop().unwrap()]), grad: |t, _| t[0].try_chunk(2, 0).map(|mut p| p.pop().unwrap())),
    op!("expand", view: |x, _| one(x[0].try_unsqueeze(0).and_then(|u| {
            let mut shape = vec![2isize];
            shape.extend(x[0].shape().iter().map(|&d| d as isize));
            u.try_expand(&shape)
        })),
        grad: |t, _| {
            let mut shape = vec![2isize];
            shape.extend(t[0].shape().iter().map(|&d| d as isize));
            t[0].try_unsqueeze(0)?.try_expand(&shape)
        }),
    // Activations (autograd ops only).
    op!("gelu", raw: |x, _| through_autograd(x, |t| Ok(t[0].gelu(GeluApproximate::None))),
        grad: |t, _| Ok(t[0].gelu(GeluApproximate::None))),
    op!("gelu_tanh", raw: |x, _| through_autograd(x, |t| Ok(t[0].gelu(GeluApproximate::Tanh))),
        grad: |t, _| Ok(t[0].gelu(GeluApproximate::Tanh))),
    op!("leaky_relu", raw: |x, _| through_autograd(x, |t| Ok(t[0].leaky_relu(0.1))), grad: |t, _| Ok(t[0].leaky_relu(0.1))),
    op!("elu", raw: |x, _| through_autograd(x, |t| Ok(t[0].elu(0.7))), grad: |t, _| Ok(t[0].elu(0.7))),
    op!("silu", raw: |x, _| through_autograd(x, |t| Ok(t[0].silu())), grad: |t, _| Ok(t[0].silu())),
    op!("softplus", raw: |x, _| through_autograd(x, |t| Ok(t[0].softplus(2.0, 3.0))), grad: |t, _| Ok(t[0].softplus(2.0, 3.0))),
    // The softmax family (autograd ops only).
    op!("softmax", raw: |x, a| through_autograd(x, |t| t[0].try_softmax(a.dim)), grad: |t, a| t[0].try_softmax(a.dim)),
    op!("log_softmax", raw: |x, a| through_autograd(x, |t| t[0].try_log_softmax(a.dim)), grad: |t, a| t[0].try_log_softmax(a.dim)),
    op!("logsumexp", raw: |x, a| through_autograd(x, |t| t[0].try_logsumexp(a.dim, a.keepdim)),
        grad: |t, a| t[0].try_logsumexp(a.dim, a.keepdim)),
    // Indexing.
    op!("index_select", raw: |x, a| one(x[0].try_index_select(a.dim, &x[1])),
        grad: |t, a| t[0].try_index_select(a.dim, &index_list(&t[1].value(), t[0].shape()[a.dim as usize]))),
    op!("gather", raw: |x, a| one(x[0].try_gather(a.dim, &x[1])), grad: |t, a| t[0].try_gather(a.dim, &t[1])),
    op!("scatter_add", raw: |x, a| one(x[0].try_scatter_add(a.dim, &x[1], &x[2])),
        grad: |t, a| t[0].try_scatter_add(a.dim, &t[1], &t[2])),
    op!("masked_fill", raw: |x, a| one(x[0].try_masked_fill(&x[1], s(a))), grad: |t, a| t[0].try_masked_fill(&t[1], s(a))),
    op!("masked_select", raw: |x, _| one(x[0].try_masked_select(&x[1]))),
    op!("where", raw: |x, _| one(Raw::try_where_cond(&x[0], &x[1], &x[2])), grad: |t, _| Tensor::try_where_cond(&t[0], &t[1], &t[2])),
    // Conversions and joins.
    op!("to_float32", raw: |x, _| one(x[0].try_to_dtype(DType::Float32))),
    op!("to_float64", raw: |x, _| one(x[0].try_to_dtype(DType::Float64)), grad: |t, _| t[0].try_to_dtype(DType::Float64)),
    op!("to_int64", raw: |x, _| one(x[0].try_to_dtype(DType::Int64))),
    op!("to_bool", raw: |x, _| one(x[0].try_to_dtype(DType::Bool))),
    op!("stack", raw: |x, a| one(Raw::try_stack(x, a.dim)), grad: |t, a| Tensor::try_stack(t, a.dim)),
    // Sorting: values (differentiable) and int64 indices.
    op!("sort", raw: |x, a| x[0].try_sort(a.dim, false).map(|(v, i)| vec![v, i]), grad: |t, a| t[0].try_sort(a.dim, false).map(|(v, _)| v)),
    op!("sort_descending", raw: |x, a| x[0].try_sort(a.dim, true).map(|(v, i)| vec![v, i]), grad: |t, a| t[0].try_sort(a.dim, true).map(|(v, _)| v)),
    op!("topk", raw: |x, a| x[0].try_topk(2, a.dim, true).map(|(v, i)| vec![v, i]), grad: |t, a| t[0].try_topk(2, a.dim, true).map(|(v, _)| v)),
    op!("topk_smallest", raw: |x, a| x[0].try_topk(2, a.dim, false).map(|(v, i)| vec![v, i]), grad: |t, a| t[0].try_topk(2, a.dim, false).map(|(v, _)| v)),
];

/// An op that exists only on differentiable tensors, run on plain values.
fn through_autograd(
    x: &[Raw],
    f: impl Fn(&[Tensor]) -> autograd::Result<Tensor>,
) -> tensor::Result<Vec<Raw>> {
    let t: Vec<Tensor> = x.iter().map(|x| Tensor::new(x.alias())).collect();
    match f(&t) {
        Ok(out) => Ok(vec![out.value()]),
        Err(autograd::AutogradError::Tensor(e)) => Err(e),
        Err(e) => Err(tensor::TensorError::InvalidArgument {
            op: "autograd",
            msg: e.to_string(),
        }),
    }
}

/// An int64 index tensor as the usize list the autograd op takes
/// (negative indices counted from the end).
fn index_list(index: &Raw, size: usize) -> Vec<usize> {
    index
        .to_vec_as::<i64>()
        .into_iter()
        .map(|i| {
            if i < 0 {
                (i + size as i64) as usize
            } else {
                i as usize
            }
        })
        .collect()
}

struct Sample {
    title: String,
    args: Args,
    inputs: Vec<Raw>,
    /// Whether every input value is finite (no NaN or infinity).
    finite_float_inputs: bool,
    expected: Option<Vec<Raw>>,
}

fn parse_dtype(name: &str) -> DType {
    match name {
        "float32" => DType::Float32,
        "float64" => DType::Float64,
        "int64" => DType::Int64,
        "bool" => DType::Bool,
        other => panic!("unknown dtype {other}"),
    }
}

/// `<dtype> <shape> | <values>` as a contiguous tensor.
fn parse_tensor(text: &str) -> Raw {
    let (head, values) = text.split_once('|').expect("'dtype shape | values'");
    let mut words = head.split_whitespace();
    let dtype = parse_dtype(words.next().expect("dtype"));
    let dims: Vec<&str> = words.collect();
    let shape: Vec<usize> = if dims == ["scalar"] {
        vec![]
    } else {
        dims.iter().map(|d| d.parse().expect("size")).collect()
    };
    let words = values.split_whitespace();
    let tensor = match dtype {
        DType::Float32 | DType::Float64 => {
            let v: Vec<f64> = words.map(|w| w.parse().expect("float")).collect();
            Raw::from_data(&v, &shape).map(|t| t.to_dtype(dtype))
        }
        DType::Int64 => Raw::from_data(
            &words
                .map(|w| w.parse::<i64>().expect("int"))
                .collect::<Vec<_>>(),
            &shape,
        ),
        DType::Bool => Raw::from_data(&words.map(|w| w == "1").collect::<Vec<_>>(), &shape),
    };
    tensor.expect("reference tensor")
}

/// The tensor with PyTorch's memory layout for the sample.
fn lay_out(x: Raw, layout: &str) -> Raw {
    match layout {
        "c" => x,
        "t" => x.transpose(-1, -2).contiguous().transpose(-1, -2),
        "s" => {
            let mut shape = x.shape().to_vec();
            shape[0] *= 2;
            let base = Raw::zeros(&shape).to_dtype(x.dtype());
            let rows = base.slice(0, None, None, 2);
            rows.copy_(&x);
            assert!(!rows.is_contiguous());
            rows
        }
        other => panic!("unknown layout {other}"),
    }
}

fn samples() -> Vec<(String, Sample)> {
    let text = include_str!("data/opinfo.txt");
    let mut out = Vec::new();
    for block in text.split("=== ").skip(1) {
        let mut lines = block.lines();
        let title = lines.next().expect("title").to_string();
        let op = title.split_whitespace().next().expect("op").to_string();
        let mut args = Args::default();
        let mut inputs = Vec::new();
        let mut finite_float_inputs = true;
        let mut expected: Option<Vec<Raw>> = Some(Vec::new());
        for line in lines {
            if let Some(rest) = line.strip_prefix("args") {
                for kv in rest.split_whitespace() {
                    let (k, v) = kv.split_once('=').expect("key=value");
                    match k {
                        "s" if v.contains('.') => args.s = Some(Scalar::Float(v.parse().unwrap())),
                        "s" => args.s = Some(Scalar::Int(v.parse().unwrap())),
                        "dim" => args.dim = v.parse().unwrap(),
                        "keepdim" => args.keepdim = v == "1",
                        other => panic!("unknown arg {other}"),
                    }
                }
            } else if let Some(rest) = line.strip_prefix("in ") {
                let (layout, tensor) = rest.split_once(' ').expect("layout");
                let x = parse_tensor(tensor);
                finite_float_inputs &= x.to_vec_as::<f64>().iter().all(|v| v.is_finite());
                inputs.push(lay_out(x, layout));
            } else if line == "out error" {
                expected = None;
            } else if let Some(rest) = line.strip_prefix("out").and_then(|r| r.split_once(' ')) {
                expected
                    .as_mut()
                    .expect("no error")
                    .push(parse_tensor(rest.1));
            }
        }
        out.push((
            op,
            Sample {
                title,
                args,
                inputs,
                finite_float_inputs,
                expected,
            },
        ));
    }
    out
}

/// Same dtype, shape and values (NaN matches NaN; floats within a few ulp).
fn same(got: &Raw, want: &Raw) -> Result<(), String> {
    if got.dtype() != want.dtype() || got.shape() != want.shape() {
        return Err(format!(
            "got {} {:?}, PyTorch {} {:?}",
            got.dtype(),
            got.shape(),
            want.dtype(),
            want.shape()
        ));
    }
    let (tol_r, tol_a) = match want.dtype() {
        DType::Float32 => (2e-6, 1e-6),
        DType::Float64 => (1e-12, 1e-12),
        _ => (0.0, 0.0),
    };
    if matches!(want.dtype(), DType::Int64 | DType::Bool) {
        if got.to_vec_as::<i64>() != want.to_vec_as::<i64>() {
            return Err(format!("got {got}, PyTorch {want}"));
        }
        return Ok(());
    }
    for (g, w) in got.to_vec_as::<f64>().iter().zip(want.to_vec_as::<f64>()) {
        let ok = (g.is_nan() && w.is_nan()) || *g == w || (g - w).abs() <= tol_a + tol_r * w.abs();
        if !ok {
            return Err(format!("got {got}, PyTorch {want} ({g} vs {w})"));
        }
    }
    Ok(())
}

/// Whether a sample sits at a point where the op is not differentiable
/// (a zero for relu/abs, a clamp bound, ties for max/min).
fn at_a_kink(op: &str, inputs: &[Raw]) -> bool {
    let values: Vec<f64> = inputs
        .iter()
        .filter(|x| x.is_floating_point())
        .flat_map(|x| x.to_vec_as::<f64>())
        .collect();
    let has = |v: f64| values.contains(&v);
    let ties = {
        let mut v = values.clone();
        v.sort_by(f64::total_cmp);
        v.windows(2).any(|w| w[0] == w[1])
    };
    has(0.0)
        || (op == "clamp" && (has(-0.5) || has(0.75)))
        // Softplus(β = 2, threshold = 3) jumps where βx = 3.
        || (op == "softplus" && has(1.5))
        || (matches!(
            op,
            "max" | "min" | "max_dim" | "min_dim" | "maximum" | "minimum"
        ) && ties)
}

#[test]
fn every_op_matches_pytorch_on_every_sample() {
    let samples = samples();
    assert!(samples.len() >= 1000, "only {} samples", samples.len());
    let mut failures = Vec::new();
    let mut checked = std::collections::BTreeMap::<&str, [usize; 4]>::new();
    for (op_name, sample) in &samples {
        let op = OPS
            .iter()
            .find(|o| o.name == op_name)
            .unwrap_or_else(|| panic!("op {op_name} is in the data but not in OPS"));
        let counts = checked.entry(op.name).or_default();
        let result = (op.raw)(&sample.inputs, &sample.args);
        match (&sample.expected, result) {
            (None, Err(_)) => counts[1] += 1,
            (None, Ok(got)) => failures.push(format!(
                "{}: PyTorch raises, this returned {}",
                sample.title, got[0]
            )),
            (Some(_), Err(e)) => failures.push(format!("{}: error {e}", sample.title)),
            (Some(want), Ok(got)) => {
                counts[0] += 1;
                for (g, w) in got.iter().zip(want) {
                    if let Err(e) = same(g, w) {
                        failures.push(format!("{}: {e}", sample.title));
                    }
                }
                if op.view && !got[0].shares_storage(&sample.inputs[0]) {
                    failures.push(format!("{}: not a view of its input", sample.title));
                }
            }
        }
        let Some(grad) = op.grad else { continue };
        // Gradients with respect to the float inputs; integer and bool
        // inputs (indices, masks) stay constants.
        let floats: Vec<usize> = (0..sample.inputs.len())
            .filter(|&i| sample.inputs[i].is_floating_point())
            .collect();
        let finite_output = sample.expected.as_ref().is_some_and(|outs| {
            outs.iter()
                .all(|o| o.to_vec_as::<f64>().iter().all(|v| v.is_finite()))
        });
        if !finite_output
            || !sample.finite_float_inputs
            || floats.is_empty()
            || floats.iter().any(|&i| sample.inputs[i].is_empty())
            || at_a_kink(op.name, &sample.inputs)
        {
            continue;
        }
        let args = &sample.args;
        let leaves: Vec<Raw> = floats.iter().map(|&i| sample.inputs[i].alias()).collect();
        let with_constants = |t: &[Tensor]| -> autograd::Result<Tensor> {
            let mut next = t.iter();
            let all: Vec<Tensor> = sample
                .inputs
                .iter()
                .map(|x| match x.is_floating_point() {
                    true => next.next().expect("one leaf per float input").clone(),
                    false => Tensor::new(x.alias()),
                })
                .collect();
            grad(&all, args)
        };
        let check = gradcheck(with_constants, &leaves, GradcheckOptions::default());
        match check {
            Ok(()) => counts[2] += 1,
            Err(e) => failures.push(format!("{}: gradcheck: {e}", sample.title)),
        }
        let check = gradgradcheck(with_constants, &leaves, GradcheckOptions::default());
        match check {
            Ok(()) => counts[3] += 1,
            Err(e) => failures.push(format!("{}: gradgradcheck: {e}", sample.title)),
        }
    }
    for (op, [values, errors, grads, gradgrads]) in &checked {
        eprintln!(
            "{op}: {values} values, {errors} errors, {grads} gradchecks, {gradgrads} gradgradchecks"
        );
    }
    for op in OPS {
        assert!(
            checked.contains_key(op.name),
            "op {} has no samples",
            op.name
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {} samples fail:\n{}",
        failures.len(),
        samples.len(),
        failures.join("\n")
    );
}
