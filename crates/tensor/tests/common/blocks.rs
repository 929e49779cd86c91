//! The block format of the PyTorch-generated reference files under
//! `tests/data/` of the `autograd`, `nn` and `optim` crates: `=== <name>`
//! starts a case, each following line is `<key> <rest>`, and tensors are
//! written `<shape> | <values>` (shape sizes comma-separated, `-` for 0-d).
#![allow(dead_code)]

/// The cases of a reference file: each case's name and its `(key, rest)` lines.
pub fn blocks(text: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut cases: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("=== ") {
            cases.push((name.to_string(), Vec::new()));
            continue;
        }
        let (key, rest) = line.split_once(' ').unwrap_or((line, ""));
        cases
            .last_mut()
            .expect("a case header first")
            .1
            .push((key.to_string(), rest.to_string()));
    }
    cases
}

/// A tensor written `<shape> | <values>`: its shape and values.
pub fn tensor_line(text: &str) -> (Vec<usize>, Vec<f64>) {
    let (shape, values) = text.split_once(" | ").expect("`shape | values`");
    let shape = match shape {
        "-" => vec![],
        s => s.split(',').map(|d| d.parse().expect("a size")).collect(),
    };
    let values = values
        .split(' ')
        .filter(|v| !v.is_empty())
        .map(|v| v.parse().expect("a number"))
        .collect();
    (shape, values)
}
