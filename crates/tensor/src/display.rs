//! PyTorch-identical printing, following `torch/_tensor_str.py`: for
//! integers and bools Python's `str()` of each value; for floats 4 decimals, `1.` for all-integer tensors, scientific notation when the
//! magnitudes call for it, aligned columns, 80-column line wrapping, and
//! summarisation with `...` above 1000 elements (3 edge items).

use std::fmt;

use ndarray::ArrayViewD;

use crate::dtype::{dispatch, DType, Element};
use crate::tensor::Tensor;

const THRESHOLD: usize = 1000;
const EDGE_ITEMS: usize = 3;
const LINE_WIDTH: usize = 80;
const PRECISION: usize = 4;

/// How every element of one tensor is formatted (PyTorch's `_Formatter`).
struct Formatter {
    /// Floats follow PyTorch's float rules; integers and bools print as
    /// Python's `str()` of the value.
    float: bool,
    int_mode: bool,
    sci_mode: bool,
    max_width: usize,
}

/// Python's `str()` of an integer or bool element.
fn plain_str<T: Element>(value: T) -> String {
    match T::DTYPE {
        DType::Bool if value.to_i64() != 0 => "True".into(),
        DType::Bool => "False".into(),
        _ => value.to_i64().to_string(),
    }
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
    fn new<T: Element>(values: &[T]) -> Formatter {
        let mut f = Formatter {
            float: T::DTYPE.is_floating_point(),
            int_mode: true,
            sci_mode: false,
            max_width: 1,
        };
        if !f.float {
            f.max_width = values
                .iter()
                .map(|&v| plain_str(v).len())
                .max()
                .unwrap_or(1);
            return f;
        }
        let finite: Vec<f64> = values
            .iter()
            .map(|v| v.to_f64())
            .filter(|v| v.is_finite() && *v != 0.0)
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

    fn format<T: Element>(&self, value: T) -> String {
        let v = value.to_f64();
        let s = if !self.float {
            plain_str(value)
        } else if self.sci_mode {
            format_special(v).unwrap_or_else(|| format_sci(v))
        } else if self.int_mode {
            format_special(v).unwrap_or_else(|| format!("{v:.0}."))
        } else {
            format_special(v).unwrap_or_else(|| format!("{v:.PRECISION$}"))
        };
        format!("{s:>width$}", width = self.max_width)
    }
}

/// Which slices along one dim are printed: all of them, or when summarising
/// a long dim the first and last [`EDGE_ITEMS`] around an ellipsis.
#[derive(Clone, Copy)]
struct Shown {
    size: usize,
    summarized: bool,
}

impl Shown {
    fn new(size: usize, summarize: bool) -> Shown {
        Shown {
            size,
            summarized: summarize && size > 2 * EDGE_ITEMS,
        }
    }

    /// The number of printed entries, the ellipsis included.
    fn count(self) -> usize {
        if self.summarized {
            2 * EDGE_ITEMS + 1
        } else {
            self.size
        }
    }

    /// The index shown at position `p`, `None` for the ellipsis.
    fn index(self, p: usize) -> Option<usize> {
        match self.summarized {
            false => Some(p),
            true if p < EDGE_ITEMS => Some(p),
            true if p == EDGE_ITEMS => None,
            true => Some(self.size - (2 * EDGE_ITEMS + 1) + p),
        }
    }
}

/// Visits the printed rows (1-D slices along the last dim) of a tensor of
/// at least 2 dims in order, without recursion (a tensor may have thousands
/// of dims). Calls `open(level)` when the slice at `level` starts,
/// `row(index_prefix)` for each printed row, `ellipsis(level)` in place of
/// the skipped slices of a summarised dim, `separator(level)` between two
/// entries of `level`, and `close(level)` when the slice at `level` ends.
fn walk_rows(shape: &[usize], summarize: bool, visitor: &mut impl RowVisitor) {
    let levels = shape.len() - 1;
    let shown: Vec<Shown> = shape[..levels]
        .iter()
        .map(|&n| Shown::new(n, summarize))
        .collect();
    let mut position = vec![0usize; levels];
    let mut index = vec![0usize; levels];
    let mut level = 0;
    visitor.open(0);
    loop {
        // Enter position[level] of `level`: an ellipsis, a row, or a deeper slice.
        match shown[level].index(position[level]) {
            None => visitor.ellipsis(level),
            Some(i) if level + 1 == levels => {
                index[level] = i;
                visitor.row(&index);
            }
            Some(i) => {
                index[level] = i;
                level += 1;
                position[level] = 0;
                visitor.open(level);
                continue;
            }
        }
        // Move to the next entry, closing every slice that has ended.
        loop {
            position[level] += 1;
            if position[level] < shown[level].count() {
                visitor.separator(level);
                break;
            }
            visitor.close(level);
            if level == 0 {
                return;
            }
            level -= 1;
        }
    }
}

trait RowVisitor {
    fn open(&mut self, _level: usize) {}
    fn row(&mut self, index: &[usize]);
    fn ellipsis(&mut self, _level: usize) {}
    fn separator(&mut self, _level: usize) {}
    fn close(&mut self, _level: usize) {}
}

/// The printed elements of the row at `index` (all but the last dim).
fn row_values<T: Element>(
    view: &ArrayViewD<'_, T>,
    index: &[usize],
    summarize: bool,
) -> Vec<Option<T>> {
    let last = *view.shape().last().expect("at least one dim");
    let shown = Shown::new(last, summarize);
    let mut full: Vec<usize> = index.to_vec();
    full.push(0);
    (0..shown.count())
        .map(|p| {
            shown.index(p).map(|j| {
                *full.last_mut().expect("pushed above") = j;
                view[full.as_slice()]
            })
        })
        .collect()
}

/// The elements PyTorch's formatter looks at: only the edges when summarising.
fn summarized_values<T: Element>(view: &ArrayViewD<'_, T>, summarize: bool) -> Vec<T> {
    struct Collect<'v, 'a, T> {
        view: &'v ArrayViewD<'a, T>,
        summarize: bool,
        values: Vec<T>,
    }
    impl<T: Element> RowVisitor for Collect<'_, '_, T> {
        fn row(&mut self, index: &[usize]) {
            let row = row_values(self.view, index, self.summarize);
            self.values.extend(row.into_iter().flatten());
        }
    }
    match view.ndim() {
        0 => vec![view[[]]],
        1 => row_values(view, &[], summarize)
            .into_iter()
            .flatten()
            .collect(),
        _ => {
            let mut collect = Collect {
                view,
                summarize,
                values: Vec::new(),
            };
            walk_rows(view.shape(), summarize, &mut collect);
            collect.values
        }
    }
}

/// Appends one printed row: `[a, b, c]`, wrapped to the line width.
fn vector_str<T: Element>(out: &mut String, row: &[Option<T>], indent: usize, f: &Formatter) {
    let element_length = f.max_width + 2;
    let per_line = ((LINE_WIDTH.saturating_sub(indent)) / element_length).max(1);
    out.push('[');
    for (i, value) in row.iter().enumerate() {
        if i > 0 {
            out.push(',');
            if i % per_line == 0 {
                out.push('\n');
                out.extend(std::iter::repeat_n(' ', indent + 1));
            } else {
                out.push(' ');
            }
        }
        match value {
            Some(v) => out.push_str(&f.format(*v)),
            None => out.push_str(" ..."),
        }
    }
    out.push(']');
}

/// PyTorch's `_tensor_str` of a non-empty tensor, appended to `out`; the
/// first line starts at column `indent`.
fn tensor_str<T: Element>(
    out: &mut String,
    view: &ArrayViewD<'_, T>,
    indent: usize,
    summarize: bool,
    f: &Formatter,
) {
    struct Print<'o, 'v, 'a, 'f, T> {
        out: &'o mut String,
        view: &'v ArrayViewD<'a, T>,
        indent: usize,
        summarize: bool,
        f: &'f Formatter,
    }
    impl<T: Element> RowVisitor for Print<'_, '_, '_, '_, T> {
        fn open(&mut self, _level: usize) {
            self.out.push('[');
        }
        fn row(&mut self, index: &[usize]) {
            let row = row_values(self.view, index, self.summarize);
            vector_str(self.out, &row, self.indent + index.len(), self.f);
        }
        fn ellipsis(&mut self, _level: usize) {
            self.out.push_str("...");
        }
        fn separator(&mut self, level: usize) {
            // Between slices of `level`: one newline per dim of the slices.
            let slice_dims = self.view.ndim() - level - 1;
            self.out.push(',');
            self.out.extend(std::iter::repeat_n('\n', slice_dims));
            self.out
                .extend(std::iter::repeat_n(' ', self.indent + level + 1));
        }
        fn close(&mut self, _level: usize) {
            self.out.push(']');
        }
    }
    match view.ndim() {
        0 => out.push_str(&f.format(view[[]])),
        1 => vector_str(out, &row_values(view, &[], summarize), indent, f),
        _ => walk_rows(
            view.shape(),
            summarize,
            &mut Print {
                out,
                view,
                indent,
                summarize,
                f,
            },
        ),
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
            let mut body = String::new();
            dispatch!(self.dtype, T => {
                let read = self.read::<T>();
                let view = read.array();
                let formatter = Formatter::new(&summarized_values(&view, summarize));
                tensor_str(&mut body, &view, indent, summarize, &formatter);
            });
            body
        };
        // PyTorch names the dtype unless it is the default float32 or one
        // inferred from the printed values (int64, bool); an empty tensor
        // shows no values, so only float32 goes unnamed.
        let inferred = matches!(self.dtype, DType::Int64 | DType::Bool) && !self.is_empty();
        if self.dtype != DType::Float32 && !inferred {
            let at = usize::from(self.is_empty() && self.dim() != 1);
            suffixes.insert(at, format!("dtype={}", self.dtype));
        }
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
