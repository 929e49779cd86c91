//! PyTorch-identical printing, following `torch/_tensor_str.py` for float32:
//! 4 decimals, `1.` for all-integer tensors, scientific notation when the
//! magnitudes call for it, aligned columns, 80-column line wrapping, and
//! summarisation with `...` above 1000 elements (3 edge items).

use std::fmt;

use ndarray::{ArrayViewD, Axis};

use crate::tensor::Tensor;

const THRESHOLD: usize = 1000;
const EDGE_ITEMS: usize = 3;
const LINE_WIDTH: usize = 80;
const PRECISION: usize = 4;

/// How every element of one tensor is formatted (PyTorch's `_Formatter`).
struct Formatter {
    int_mode: bool,
    sci_mode: bool,
    max_width: usize,
}

/// Python's `'{:.4e}'.format(v)`: mantissa, `e`, sign, at least two exponent digits.
fn format_sci(value: f64) -> String {
    let s = format!("{value:.PRECISION$e}");
    match s.split_once('e') {
        Some((mantissa, exp)) => {
            let (sign, digits) = match exp.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', exp),
            };
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        None => s, // inf / nan
    }
}

fn format_special(value: f64) -> Option<String> {
    if value.is_nan() {
        Some("nan".into())
    } else if value.is_infinite() {
        Some(if value > 0.0 { "inf" } else { "-inf" }.into())
    } else {
        None
    }
}

impl Formatter {
    fn new(values: &[f32]) -> Formatter {
        let mut f = Formatter {
            int_mode: true,
            sci_mode: false,
            max_width: 1,
        };
        let finite: Vec<f64> = values
            .iter()
            .filter(|v| v.is_finite() && **v != 0.0)
            .map(|&v| v as f64)
            .collect();
        if finite.is_empty() {
            return f;
        }
        let min = finite.iter().fold(f64::INFINITY, |m, v| m.min(v.abs()));
        let max = finite.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        f.int_mode = finite.iter().all(|v| v.ceil() == *v);
        let wide_range = max / min > 1000.0 || max > 1.0e8;
        f.sci_mode = if f.int_mode {
            wide_range
        } else {
            wide_range || min < 1.0e-4
        };
        f.max_width = finite
            .iter()
            .map(|&v| match (f.sci_mode, f.int_mode) {
                (true, _) => format_sci(v).len(),
                (false, true) => format!("{v:.0}").len() + 1,
                (false, false) => format!("{v:.PRECISION$}").len(),
            })
            .max()
            .unwrap_or(1);
        f
    }

    fn format(&self, value: f32) -> String {
        let v = value as f64;
        let s = if self.sci_mode {
            format_special(v).unwrap_or_else(|| format_sci(v))
        } else if self.int_mode {
            format_special(v).unwrap_or_else(|| format!("{v:.0}."))
        } else {
            format_special(v).unwrap_or_else(|| format!("{v:.PRECISION$}"))
        };
        format!("{s:>width$}", width = self.max_width)
    }
}

/// The elements PyTorch's formatter looks at: only the edges when summarising.
fn summarized_values(view: &ArrayViewD<'_, f32>, summarize: bool, out: &mut Vec<f32>) {
    if view.ndim() == 0 {
        out.push(view[[]]);
        return;
    }
    let n = view.shape()[0];
    let rows: Vec<usize> = if summarize && n > 2 * EDGE_ITEMS {
        (0..EDGE_ITEMS).chain(n - EDGE_ITEMS..n).collect()
    } else {
        (0..n).collect()
    };
    for i in rows {
        summarized_values(&view.index_axis(Axis(0), i), summarize, out);
    }
}

fn vector_str(view: &ArrayViewD<'_, f32>, indent: usize, summarize: bool, f: &Formatter) -> String {
    let element_length = f.max_width + 2;
    let per_line = ((LINE_WIDTH.saturating_sub(indent)) / element_length).max(1);
    let n = view.shape()[0];
    let data: Vec<String> = if summarize && n > 2 * EDGE_ITEMS {
        (0..EDGE_ITEMS)
            .map(|i| f.format(view[[i]]))
            .chain(std::iter::once(" ...".to_string()))
            .chain((n - EDGE_ITEMS..n).map(|i| f.format(view[[i]])))
            .collect()
    } else {
        view.iter().map(|&v| f.format(v)).collect()
    };
    let lines: Vec<String> = data.chunks(per_line).map(|line| line.join(", ")).collect();
    format!(
        "[{}]",
        lines.join(&format!(",\n{}", " ".repeat(indent + 1)))
    )
}

fn tensor_str(view: &ArrayViewD<'_, f32>, indent: usize, summarize: bool, f: &Formatter) -> String {
    match view.ndim() {
        0 => f.format(view[[]]),
        1 => vector_str(view, indent, summarize, f),
        dim => {
            let n = view.shape()[0];
            let sub = |i: usize| tensor_str(&view.index_axis(Axis(0), i), indent + 1, summarize, f);
            let slices: Vec<String> = if summarize && n > 2 * EDGE_ITEMS {
                (0..EDGE_ITEMS)
                    .map(sub)
                    .chain(std::iter::once("...".to_string()))
                    .chain((n - EDGE_ITEMS..n).map(sub))
                    .collect()
            } else {
                (0..n).map(sub).collect()
            };
            let separator = format!(",{}{}", "\n".repeat(dim - 1), " ".repeat(indent + 1));
            format!("[{}]", slices.join(&separator))
        }
    }
}

impl Tensor {
    /// PyTorch's `repr` with extra `key=value` suffixes inside the parentheses,
    /// wrapped as PyTorch wraps them; `suffixes` such as `"requires_grad=True"`
    /// or `"grad_fn=<AddBackward0>"` let higher layers print as PyTorch does.
    pub fn format_with_suffixes(&self, suffixes: &[String]) -> String {
        const PREFIX: &str = "tensor(";
        let indent = PREFIX.len();
        let mut suffixes = suffixes.to_vec();
        let body = if self.is_empty() {
            if self.dim() != 1 {
                let dims: Vec<String> = self.shape().iter().map(|d| d.to_string()).collect();
                let tuple = if dims.len() == 1 {
                    format!("({},)", dims[0])
                } else {
                    format!("({})", dims.join(", "))
                };
                suffixes.insert(0, format!("size={tuple}"));
            }
            "[]".to_string()
        } else {
            let summarize = self.numel() > THRESHOLD;
            let view = self.data.view();
            let mut edge = Vec::new();
            summarized_values(&view, summarize, &mut edge);
            tensor_str(&view, indent, summarize, &Formatter::new(&edge))
        };
        let mut out = format!("{PREFIX}{body}");
        // As PyTorch computes it: characters after the last newline, plus 2.
        let mut last_line_len = out.len() - out.rfind('\n').map_or(0, |i| i + 1) + 2;
        for suffix in &suffixes {
            if last_line_len + suffix.len() + 2 > LINE_WIDTH {
                out.push_str(&format!(",\n{}{suffix}", " ".repeat(indent)));
                last_line_len = indent + suffix.len();
            } else {
                out.push_str(&format!(", {suffix}"));
                last_line_len += suffix.len() + 2;
            }
        }
        out.push(')');
        out
    }
}

impl fmt::Display for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.format_with_suffixes(&[]))
    }
}

impl fmt::Debug for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
