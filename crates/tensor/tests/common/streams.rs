//! PyTorch's random streams (`tools/reference/random_streams.py` writes
//! `data/random_streams.txt`): the file's blocks, and a tensor formatted
//! as its lines are, so a replay compares text for text (bit for bit).

// Each test binary uses part of this module.
#![allow(dead_code)]

use tensor::{DType, Tensor};

/// The `=== <name>` blocks of the reference file, each with its lines.
pub fn blocks() -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for line in include_str!("../data/random_streams.txt").lines() {
        match line.strip_prefix("=== ") {
            Some(name) => out.push((name.to_string(), Vec::new())),
            None => out.last_mut().expect("a block").1.push(line.to_string()),
        }
    }
    out
}

/// The blocks of one case (`"linear"`, `"dataloader"`): `(seed, lines)`.
pub fn cases(case: &str) -> Vec<(u64, Vec<String>)> {
    blocks()
        .into_iter()
        .filter_map(|(name, lines)| {
            let (seed, rest) = name.split_once(' ')?;
            (rest == case).then(|| (seed.parse().expect("a seed"), lines))
        })
        .collect()
}

/// A reference line for `t`: `label dtype shape | values`.
pub fn line(label: &str, t: &Tensor) -> String {
    let shape = match t.shape() {
        [] => "-".to_string(),
        s => s.iter().map(usize::to_string).collect::<Vec<_>>().join(","),
    };
    let values: Vec<String> = match t.dtype() {
        DType::Float32 => t
            .to_vec_as::<f32>()
            .iter()
            .map(|&v| python_float(format!("{v:?}"), f64::from(v)))
            .collect(),
        DType::Float64 => t
            .to_vec_as::<f64>()
            .iter()
            .map(|&v| python_float(format!("{v:?}"), v))
            .collect(),
        _ => t.to_vec_as::<i64>().iter().map(i64::to_string).collect(),
    };
    format!(
        "{label} {} {shape} | {}",
        t.dtype().name(),
        values.join(" ")
    )
}

/// numpy's `str(np.float32(v))` / Python's `repr(v)` from Rust's shortest
/// round-trip digits: the same digits, Python's exponent form (`1e-05`).
fn python_float(debug: String, v: f64) -> String {
    let a = v.abs();
    if a != 0.0 && !(1e-4..1e16).contains(&a) {
        let (mantissa, exp) = debug.split_once('e').expect("scientific");
        let exp: i32 = exp.parse().expect("an exponent");
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    } else {
        debug
    }
}
