//! Convolution, pooling and normalization ops against PyTorch-generated
//! references (`tools/reference/cnn.py` writes `tests/data/cnn.txt`): one
//! table of cases, each run for its value, the gradient of every input,
//! the `grad_fn` name, running statistics, or PyTorch's error message; then
//! float64 gradcheck and gradgradcheck on every finite case.

#[path = "../../tensor/tests/common/blocks.rs"]
mod blocks;

use std::collections::HashMap;

use autograd::{gradcheck, gradgradcheck, GradcheckOptions, Tensor};
use nn::functional as F;
use nn::{AvgPool2d, ConvOptions, MaxPool2d, Padding, Pair};

type Values = (Vec<usize>, Vec<f64>);

#[derive(Default, Debug)]
struct Case {
    name: String,
    op: String,
    options: HashMap<String, String>,
    /// The tensor arguments in call order (`None`: passed as absent).
    args: Vec<(String, Option<Values>)>,
    transposed: Vec<String>,
    out: Option<Values>,
    indices: Option<Values>,
    up: Option<Values>,
    grads: Vec<(String, Values)>,
    grad_fn: String,
    after: Vec<(String, Values)>,
    error: Option<String>,
}

fn cases() -> Vec<Case> {
    blocks::blocks(include_str!("data/cnn.txt"))
        .into_iter()
        .map(|(name, lines)| {
            let mut case = Case {
                name,
                ..Case::default()
            };
            for (key, rest) in lines {
                let named = || {
                    let (n, t) = rest.split_once(' ').unwrap();
                    (n.to_string(), t.to_string())
                };
                match key.as_str() {
                    "op" => case.op = rest,
                    "options" => {
                        for option in rest.split(' ').filter(|o| !o.is_empty()) {
                            let (k, v) = option.split_once('=').unwrap();
                            case.options.insert(k.to_string(), v.to_string());
                        }
                    }
                    "arg" => {
                        let (n, t) = named();
                        let value = (t != "none").then(|| blocks::tensor_line(&t));
                        case.args.push((n, value));
                    }
                    "transpose" => case.transposed.push(rest),
                    "out" => case.out = Some(blocks::tensor_line(&rest)),
                    "indices" => case.indices = Some(blocks::tensor_line(&rest)),
                    "up" => case.up = Some(blocks::tensor_line(&rest)),
                    "grad" => {
                        let (n, t) = named();
                        case.grads.push((n, blocks::tensor_line(&t)));
                    }
                    "after" => {
                        let (n, t) = named();
                        case.after.push((n, blocks::tensor_line(&t)));
                    }
                    "grad_fn" => case.grad_fn = rest,
                    "error" => case.error = Some(rest),
                    other => panic!("unknown line {other}"),
                }
            }
            case
        })
        .collect()
}

fn tensor((shape, values): &Values) -> Tensor {
    Tensor::from_data(values, shape).unwrap()
}

impl Case {
    fn pair(&self, key: &str, default: usize) -> Pair {
        match self.options.get(key) {
            None => Pair([default, default]),
            Some(v) => match v.split_once(',') {
                Some((a, b)) => Pair([a.parse().unwrap(), b.parse().unwrap()]),
                None => Pair::from(v.parse::<usize>().unwrap()),
            },
        }
    }

    fn flag(&self, key: &str, default: bool) -> bool {
        self.options.get(key).map_or(default, |v| v == "True")
    }

    fn number(&self, key: &str, default: f64) -> f64 {
        self.options
            .get(key)
            .map_or(default, |v| v.parse().unwrap())
    }

    fn conv_options(&self) -> ConvOptions {
        let padding = match self.options.get("padding").map(String::as_str) {
            Some("same") => Padding::Same,
            Some("valid") => Padding::Valid,
            _ => Padding::Zeros(self.pair("padding", 0).0),
        };
        ConvOptions::new()
            .stride(self.pair("stride", 1))
            .padding(padding)
            .dilation(self.pair("dilation", 1))
            .groups(self.number("groups", 1.0) as usize)
            .output_padding(self.pair("output_padding", 0))
    }

    fn max_pool(&self) -> MaxPool2d {
        let mut pool = MaxPool2d::new(self.pair("kernel_size", 1))
            .padding(self.pair("padding", 0))
            .dilation(self.pair("dilation", 1))
            .ceil_mode(self.flag("ceil_mode", false));
        if self.options.contains_key("stride") {
            pool = pool.stride(self.pair("stride", 1));
        }
        pool
    }

    fn avg_pool(&self) -> AvgPool2d {
        let mut pool = AvgPool2d::new(self.pair("kernel_size", 1))
            .padding(self.pair("padding", 0))
            .ceil_mode(self.flag("ceil_mode", false))
            .count_include_pad(self.flag("count_include_pad", true));
        if self.options.contains_key("stride") {
            pool = pool.stride(self.pair("stride", 1));
        }
        if let Some(d) = self.options.get("divisor_override") {
            pool = pool.divisor_override(d.parse().unwrap());
        }
        pool
    }

    /// The shape option `normalized_shape` (`5` or `4,2`).
    fn shape_option(&self, key: &str) -> Vec<usize> {
        self.options[key]
            .split(',')
            .map(|d| d.parse().unwrap())
            .collect()
    }

    /// The case's arguments as tensors: the differentiable ones from
    /// `inputs` (in order), the running statistics as fresh buffers.
    fn arguments(&self, inputs: &[Tensor], buffers: &[Tensor]) -> Vec<Option<Tensor>> {
        let (mut next_input, mut next_buffer) = (0, 0);
        self.args
            .iter()
            .map(|(name, value)| {
                value.as_ref()?;
                if name.starts_with("running_") {
                    next_buffer += 1;
                    Some(buffers[next_buffer - 1].clone())
                } else {
                    next_input += 1;
                    Some(inputs[next_input - 1].clone())
                }
            })
            .collect()
    }

    /// The differentiable inputs' values, non-contiguous where the case says so.
    fn inputs(&self) -> Vec<Tensor> {
        self.args
            .iter()
            .filter(|(name, value)| value.is_some() && !name.starts_with("running_"))
            .map(|(name, value)| {
                let t = tensor(value.as_ref().unwrap());
                match self.transposed.contains(name) {
                    // The same values, as a view of a transposed copy.
                    true => Tensor::new(t.value().transpose(-1, -2).contiguous()).transpose(-1, -2),
                    false => t,
                }
            })
            .collect()
    }

    fn buffers(&self) -> Vec<Tensor> {
        self.args
            .iter()
            .filter(|(name, value)| value.is_some() && name.starts_with("running_"))
            .map(|(_, value)| tensor(value.as_ref().unwrap()))
            .collect()
    }

    /// Runs the op: its output and, for max pooling, the indices.
    fn run(
        &self,
        inputs: &[Tensor],
        buffers: &[Tensor],
    ) -> autograd::Result<(Tensor, Option<Tensor>)> {
        let args = self.arguments(inputs, buffers);
        let arg = |i: usize| args.get(i).cloned().flatten();
        let x = arg(0).unwrap();
        let single = |t: autograd::Result<Tensor>| t.map(|t| (t, None));
        match self.op.as_str() {
            "conv2d" => single(F::conv2d(
                &x,
                &arg(1).unwrap(),
                arg(2).as_ref(),
                self.conv_options(),
            )),
            "conv1d" => single(F::conv1d(
                &x,
                &arg(1).unwrap(),
                arg(2).as_ref(),
                self.conv_options(),
            )),
            "conv_transpose2d" => single(F::conv_transpose2d(
                &x,
                &arg(1).unwrap(),
                arg(2).as_ref(),
                self.conv_options(),
            )),
            "max_pool2d" => {
                F::max_pool2d_with_indices(&x, &self.max_pool()).map(|(v, i)| (v, Some(i)))
            }
            "avg_pool2d" => single(F::avg_pool2d(&x, &self.avg_pool())),
            "adaptive_avg_pool2d" => {
                single(F::adaptive_avg_pool2d(&x, self.pair("output_size", 1)))
            }
            "adaptive_max_pool2d" => {
                F::adaptive_max_pool2d_with_indices(&x, self.pair("output_size", 1))
                    .map(|(v, i)| (v, Some(i)))
            }
            "batch_norm" => single(F::batch_norm(
                &x,
                arg(1).as_ref(),
                arg(2).as_ref(),
                arg(3).as_ref(),
                arg(4).as_ref(),
                self.flag("training", false),
                self.number("momentum", 0.1),
                self.number("eps", 1e-5),
            )),
            "layer_norm" => single(F::layer_norm(
                &x,
                &self.shape_option("normalized_shape"),
                arg(1).as_ref(),
                arg(2).as_ref(),
                self.number("eps", 1e-5),
            )),
            "group_norm" => single(F::group_norm(
                &x,
                self.number("num_groups", 1.0) as usize,
                arg(1).as_ref(),
                arg(2).as_ref(),
                self.number("eps", 1e-5),
            )),
            other => panic!("unknown op {other}"),
        }
    }
}

/// Asserts `actual` has `expected`'s shape and values (NaN where NaN) to 1e-10 relative.
fn assert_values(what: &str, actual: &Tensor, (shape, values): &Values) {
    assert_eq!(&actual.shape(), shape, "{what}: shape");
    let actual = actual.to_vec_as::<f64>();
    for (i, (a, e)) in actual.iter().zip(values).enumerate() {
        let close =
            (a.is_nan() && e.is_nan()) || a == e || (a - e).abs() <= 1e-10 * (1.0 + e.abs());
        assert!(close, "{what}: element {i} is {a}, PyTorch gives {e}");
    }
}

#[test]
fn every_case_matches_pytorch() {
    let cases = cases();
    assert!(cases.len() >= 50, "{} cases", cases.len());
    for case in &cases {
        let name = &case.name;
        let inputs: Vec<Tensor> = case
            .inputs()
            .into_iter()
            .map(|t| t.requires_grad_(true))
            .collect();
        let buffers = case.buffers();
        let result = case.run(&inputs, &buffers);
        if let Some(message) = &case.error {
            let error = result.err().unwrap_or_else(|| {
                panic!("{name}: PyTorch raises {message:?}, this returned a value")
            });
            assert!(
                error.to_string().contains(message.as_str()),
                "{name}: error {error} lacks PyTorch's message {message:?}"
            );
            continue;
        }
        let (out, indices) = result.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_values(&format!("{name}: output"), &out, case.out.as_ref().unwrap());
        if let Some(expected) = &case.indices {
            assert_values(
                &format!("{name}: indices"),
                &indices.expect("indices"),
                expected,
            );
        }
        assert_eq!(
            out.grad_fn(),
            Some(case.grad_fn.as_str()),
            "{name}: grad_fn"
        );
        for (buffer, (which, expected)) in buffers.iter().zip(&case.after) {
            assert_values(&format!("{name}: {which} after the step"), buffer, expected);
        }
        let up = tensor(case.up.as_ref().unwrap());
        (&out * &up).sum().backward();
        for (input, (which, expected)) in inputs.iter().zip(&case.grads) {
            let grad = input.grad().unwrap_or_else(|| Tensor::zeros_like(input));
            assert_values(&format!("{name}: gradient of {which}"), &grad, expected);
        }
    }
}

#[test]
fn every_finite_case_passes_gradcheck_and_gradgradcheck() {
    let mut checked = 0;
    for case in cases() {
        let finite = case
            .out
            .as_ref()
            .is_some_and(|(_, v)| v.iter().all(|v| v.is_finite()));
        // Finite differences cost two evaluations per element: cases with
        // thousands of elements (the 16-channel ones) are checked against
        // PyTorch's gradients above instead.
        let elements: usize = case
            .args
            .iter()
            .filter_map(|(_, v)| v.as_ref())
            .map(|(_, v)| v.len())
            .sum();
        if case.error.is_some() || !finite || case.name.contains("large") || elements > 1500 {
            continue;
        }
        let inputs: Vec<tensor::Tensor> = case.inputs().iter().map(Tensor::value).collect();
        let f = |x: &[Tensor]| -> autograd::Result<Tensor> {
            // Fresh running statistics each call: a training step updates them.
            Ok(case.run(x, &case.buffers())?.0)
        };
        gradcheck(f, &inputs, GradcheckOptions::default())
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        gradgradcheck(f, &inputs, GradcheckOptions::default())
            .unwrap_or_else(|e| panic!("{}: second derivatives: {e}", case.name));
        checked += 1;
    }
    assert!(checked >= 40, "{checked} cases checked");
}

/// Every element of `t` is within `±bound`, and not all are equal.
fn assert_uniform_within(what: &str, t: &Tensor, bound: f32) {
    let values = t.to_vec();
    assert!(
        values.iter().all(|v| v.abs() <= bound),
        "{what}: outside ±{bound}"
    );
    assert!(values.iter().any(|&v| v != values[0]), "{what}: constant");
}

#[test]
fn conv_layers_have_pytorch_s_shapes_and_initialisation() {
    use nn::{Conv1d, Conv2d, ConvTranspose2d, Module};
    let conv = Conv2d::new(3, 8, 3);
    assert_eq!(conv.weight().shape(), [8, 3, 3, 3]);
    assert_uniform_within("Conv2d weight", conv.weight(), 1.0 / 27f32.sqrt());
    assert_uniform_within("Conv2d bias", conv.bias().unwrap(), 1.0 / 27f32.sqrt());
    let grouped = Conv2d::with_options(4, 8, [3, 2], ConvOptions::new().groups(2).bias(false));
    assert_eq!(grouped.weight().shape(), [8, 2, 3, 2]);
    assert!(grouped.bias().is_none());
    assert_eq!(
        grouped
            .named_parameters()
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>(),
        ["weight"]
    );
    let transposed = ConvTranspose2d::with_options(4, 6, 3, ConvOptions::new().groups(2));
    assert_eq!(transposed.weight().shape(), [4, 3, 3, 3]);
    assert_uniform_within(
        "ConvTranspose2d weight",
        transposed.weight(),
        1.0 / 27f32.sqrt(),
    );
    assert_eq!(Conv1d::new(2, 5, 4).weight().shape(), [5, 2, 4]);

    let error = Conv2d::try_with_options(3, 8, 3, ConvOptions::new().groups(2)).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("in_channels must be divisible by groups"),
        "{error}"
    );
    let error =
        Conv2d::try_with_options(3, 8, 3, ConvOptions::new().stride(2).padding(Padding::Same))
            .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("padding='same' is not supported for strided convolutions"),
        "{error}"
    );

    // A stride-2 ConvTranspose2d with output_padding 1 doubles the size, as in PyTorch.
    let up = ConvTranspose2d::with_options(
        2,
        3,
        3,
        ConvOptions::new().stride(2).padding(1).output_padding(1),
    );
    assert_eq!(
        up.forward(&Tensor::ones(&[1, 2, 5, 4])).shape(),
        [1, 3, 10, 8]
    );
}

#[test]
fn batch_norm_keeps_running_statistics_as_pytorch_does() {
    use nn::{BatchNorm1d, BatchNorm2d, Module, Sequential};
    tensor::manual_seed(3);
    let x = Tensor::randn(&[4, 3, 2, 2]);
    let mut bn = BatchNorm2d::new(3);
    assert_eq!(
        bn.named_buffers()
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>(),
        ["running_mean", "running_var", "num_batches_tracked"]
    );
    let y = bn.forward(&x);
    assert_eq!(y.grad_fn(), Some("NativeBatchNormBackward0"));
    // The batch statistics per channel, by hand: mean and unbiased variance over 16 values.
    let per_channel = x.permute(&[1, 0, 2, 3]).reshape(&[3, -1]);
    let mean = per_channel.mean_dim(1, false);
    let unbiased = (&per_channel - &mean.unsqueeze(1))
        .square()
        .sum_dim(1, false)
        / 15.0;
    let expect =
        |t: &Tensor, e: &Tensor| assert!(t.value().allclose(&e.value(), 1e-5, 1e-6), "{t} vs {e}");
    expect(bn.running_mean().unwrap(), &(&mean * 0.1));
    expect(bn.running_var().unwrap(), &(&(&unbiased * 0.1) + 0.9));
    assert_eq!(bn.num_batches_tracked().unwrap().item_as::<i64>(), 1);
    // Training output: zero mean, unit biased variance per channel.
    let out = y.permute(&[1, 0, 2, 3]).reshape(&[3, -1]);
    assert!(out.mean_dim(1, false).abs().max().item() < 1e-5);

    // Evaluation uses the running statistics and leaves them alone.
    bn.eval();
    let before = bn.running_mean().unwrap().value().clone();
    let z = bn.forward(&x);
    let rm = bn.running_mean().unwrap().reshape(&[1, 3, 1, 1]);
    let rv = bn.running_var().unwrap().reshape(&[1, 3, 1, 1]);
    expect(&z, &(&(&x - &rm) / &(&rv + 1e-5).sqrt()));
    assert_eq!(bn.running_mean().unwrap().value().to_vec(), before.to_vec());
    assert_eq!(bn.num_batches_tracked().unwrap().item_as::<i64>(), 1);

    // momentum=None: a cumulative average of the batch means.
    let cumulative = BatchNorm2d::with_options(3, 1e-5, None, true, true);
    let x2 = Tensor::randn(&[4, 3, 2, 2]);
    cumulative.forward(&x);
    cumulative.forward(&x2);
    let mean2 = x2
        .permute(&[1, 0, 2, 3])
        .reshape(&[3, -1])
        .mean_dim(1, false);
    expect(
        cumulative.running_mean().unwrap(),
        &(&(&mean + &mean2) / 2.0),
    );

    // Without running statistics (or affine parameters), nothing is kept.
    let plain = BatchNorm1d::with_options(3, 1e-5, Some(0.1), false, false);
    assert!(plain.named_parameters().is_empty() && plain.named_buffers().is_empty());
    assert_eq!(plain.forward(&Tensor::randn(&[5, 3])).shape(), [5, 3]);

    // Rank checks and names inside containers.
    let error = BatchNorm1d::new(3).try_call(&x).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("expected 2D or 3D input (got 4D input)"),
        "{error}"
    );
    let net = Sequential::new()
        .append(nn::Linear::new(2, 3))
        .append(BatchNorm1d::new(3));
    assert_eq!(
        net.named_buffers()
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>(),
        ["1.running_mean", "1.running_var", "1.num_batches_tracked"]
    );
    // A deep copy's buffers are its own.
    let copy = net.deep_copy();
    copy.forward(&Tensor::randn(&[4, 2]));
    assert_eq!(net.named_buffers()[2].1.item_as::<i64>(), 0);
    assert_eq!(copy.named_buffers()[2].1.item_as::<i64>(), 1);
}
