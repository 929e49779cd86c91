//! Parser for the reference data written by `tools/reference/generate.py`
//! (real PyTorch output, committed so tests never need PyTorch).
//!
//! Shared by the tests of several crates through `#[path]` includes.
#![allow(dead_code)]

use std::collections::HashMap;

use tensor::Tensor;

/// One forward/backward case of `ops.txt`.
pub struct OpCase {
    pub name: String,
    pub op: String,
    pub kwargs: HashMap<String, String>,
    pub inputs: Vec<Tensor>,
    pub out: Tensor,
    /// Indices returned next to `out` by `max`/`min` with a dim.
    pub idx: Option<Tensor>,
    /// Gradient of `out.sum()` with respect to each input (`None` where
    /// PyTorch's backward left `.grad` unset).
    pub grads: Vec<Option<Tensor>>,
    /// Gradient for [`OpCase::upstream_for`] with respect to each input.
    pub ugrads: Vec<Option<Tensor>>,
    /// The upstream gradient of the `ugrad` lines, when not the default [`upstream`].
    pub up: Option<Tensor>,
}

/// Whether `got` equals PyTorch's `expected`: the same shape (no
/// broadcasting), and each pair of values both NaN, equal (infinities
/// included), or within `atol + rtol * |expected|`.
pub fn close(got: &Tensor, expected: &Tensor, rtol: f32, atol: f32) -> bool {
    got.shape() == expected.shape()
        && got.to_vec().iter().zip(expected.to_vec()).all(|(&g, e)| {
            (g.is_nan() && e.is_nan())
                || g == e
                || (g.is_finite() && e.is_finite() && (g - e).abs() <= atol + rtol * e.abs())
        })
}

/// The non-uniform upstream gradient of the `ugrad` lines:
/// `linspace(0.5, 1.5, numel)` in the output's shape.
pub fn upstream(shape: &[usize]) -> Tensor {
    let numel = shape.iter().product();
    Tensor::from_vec(Tensor::linspace(0.5, 1.5, numel).to_vec(), shape).expect("same size")
}

impl OpCase {
    /// The upstream gradient the `ugrad` lines were computed for.
    pub fn upstream_for(&self, shape: &[usize]) -> Tensor {
        self.up.clone().unwrap_or_else(|| upstream(shape))
    }

    pub fn f32(&self, key: &str) -> Option<f32> {
        self.kwargs.get(key).map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{}: bad {key}", self.name))
        })
    }
    pub fn isize(&self, key: &str) -> Option<isize> {
        self.kwargs.get(key).map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{}: bad {key}", self.name))
        })
    }
    pub fn list(&self, key: &str) -> Option<Vec<isize>> {
        self.kwargs.get(key).map(|v| {
            v.split(',')
                .map(|x| x.parse().expect("integer list"))
                .collect()
        })
    }
    pub fn keepdim(&self) -> bool {
        self.isize("keepdim") == Some(1)
    }
}

/// One golden string of `display.txt`.
pub struct DisplayCase {
    pub name: String,
    pub tensor: Tensor,
    pub expected: String,
}

fn parse_value(s: &str) -> f32 {
    match s {
        "nan" => f32::NAN,
        "inf" => f32::INFINITY,
        "-inf" => f32::NEG_INFINITY,
        _ => s
            .parse::<f64>()
            .unwrap_or_else(|_| panic!("bad value {s:?}")) as f32,
    }
}

fn parse_shape(s: &str) -> Vec<usize> {
    if s.trim() == "scalar" {
        return vec![];
    }
    s.split_whitespace()
        .map(|d| d.parse().expect("shape dim"))
        .collect()
}

/// Parses `<shape> | <values>`.
fn parse_tensor(s: &str) -> Tensor {
    let (shape, values) = s.split_once('|').expect("'shape | values'");
    let values: Vec<f32> = values.split_whitespace().map(parse_value).collect();
    Tensor::from_vec(values, &parse_shape(shape)).expect("reference tensor")
}

/// A gradient line: `none`, or a tensor.
fn parse_gradient(s: &str) -> Option<Tensor> {
    (s.trim() != "none").then(|| parse_tensor(s))
}

fn cases(text: &str) -> impl Iterator<Item = (String, Vec<&str>)> {
    text.split("=== ")
        .filter(|c| !c.trim().is_empty())
        .map(|c| {
            let mut lines = c.lines();
            let name = lines.next().expect("case name").trim().to_string();
            (name, lines.collect())
        })
}

pub fn ops(text: &str) -> Vec<OpCase> {
    cases(text)
        .map(|(name, lines)| {
            let mut case = OpCase {
                name,
                op: String::new(),
                kwargs: HashMap::new(),
                inputs: vec![],
                out: Tensor::scalar(0.0),
                idx: None,
                grads: vec![],
                ugrads: vec![],
                up: None,
            };
            for line in lines {
                let (tag, rest) = line.split_once(' ').unwrap_or((line, ""));
                match tag {
                    "op" => {
                        let mut words = rest.split_whitespace();
                        case.op = words.next().expect("op name").to_string();
                        for kv in words {
                            let (k, v) = kv.split_once('=').expect("key=value");
                            case.kwargs.insert(k.to_string(), v.to_string());
                        }
                    }
                    "in" => case.inputs.push(parse_tensor(rest)),
                    "out" => case.out = parse_tensor(rest),
                    "idx" => case.idx = Some(parse_tensor(rest)),
                    "grad" => case.grads.push(parse_gradient(rest)),
                    "ugrad" => case.ugrads.push(parse_gradient(rest)),
                    "up" => case.up = Some(parse_tensor(rest)),
                    _ => panic!("{}: unknown line {line:?}", case.name),
                }
            }
            case
        })
        .collect()
}

pub fn display(text: &str) -> Vec<DisplayCase> {
    cases(text)
        .map(|(name, lines)| {
            // An optional `dtype NAME` line (float32 when absent).
            let (dtype, lines) = match lines[0].strip_prefix("dtype ") {
                Some(dtype) => (dtype, &lines[1..]),
                None => ("float32", &lines[..]),
            };
            let shape = parse_shape(lines[0].strip_prefix("shape").expect("shape line"));
            let words: Vec<&str> = lines[1]
                .strip_prefix("values")
                .expect("values line")
                .split_whitespace()
                .collect();
            let parse = |w: &&str| w.parse::<f64>().expect("float64 value");
            let tensor = match dtype {
                "float32" => {
                    Tensor::from_vec(words.iter().map(|w| parse_value(w)).collect(), &shape)
                }
                "float64" => {
                    Tensor::from_data(&words.iter().map(parse).collect::<Vec<f64>>(), &shape)
                }
                "int64" => Tensor::from_data(
                    &words
                        .iter()
                        .map(|w| w.parse::<i64>().expect("int64 value"))
                        .collect::<Vec<_>>(),
                    &shape,
                ),
                "bool" => {
                    Tensor::from_data(&words.iter().map(|w| *w == "1").collect::<Vec<_>>(), &shape)
                }
                other => panic!("unknown dtype {other}"),
            };
            DisplayCase {
                name,
                tensor: tensor.expect("display tensor"),
                expected: lines[2..].join("\n"),
            }
        })
        .collect()
}
