//! Shape arithmetic shared by all operations: negative dims, broadcasting,
//! and `-1` inference in reshape.

use crate::alloc::checked_numel;
use crate::error::{Result, TensorError};
use crate::layout::Dims;

/// Whether two shapes (or stride lists) are equal, compared element by
/// element: for a shape's few dims this costs less than the `memcmp` call
/// that slice equality makes, on every elementwise op.
#[inline]
pub(crate) fn same_dims(a: &[usize], b: &[usize]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// Turns a possibly negative `dim` into an index in `0..ndim`.
///
/// PyTorch treats a 0-d tensor as having one addressable dim (`-1` or `0`).
pub(crate) fn normalize_dim(op: &'static str, dim: isize, shape: &[usize]) -> Result<usize> {
    let ndim = shape.len();
    let range = ndim.max(1) as isize;
    if dim < -range || dim >= range {
        return Err(TensorError::DimOutOfRange {
            op,
            dim,
            ndim,
            shape: shape.to_vec(),
        });
    }
    Ok(if dim < 0 { dim + range } else { dim } as usize)
}

/// Like [`normalize_dim`], for an insertion point (`unsqueeze`), which may be `ndim`.
pub(crate) fn normalize_insert_dim(op: &'static str, dim: isize, shape: &[usize]) -> Result<usize> {
    let range = shape.len() as isize + 1;
    if dim < -range || dim >= range {
        return Err(TensorError::DimOutOfRange {
            op,
            dim,
            ndim: shape.len() + 1,
            shape: shape.to_vec(),
        });
    }
    Ok(if dim < 0 { dim + range } else { dim } as usize)
}

/// The broadcast shape of `lhs` and `rhs` (NumPy rules: align trailing dims;
/// each pair must be equal or contain a 1).
/// PyTorch equivalent: `torch.broadcast_shapes(lhs, rhs)`.
///
/// # Errors
/// [`TensorError::Broadcast`] for incompatible shapes;
/// [`TensorError::ShapeOverflow`] if the broadcast shape's element count overflows.
pub fn broadcast_shapes(op: &'static str, lhs: &[usize], rhs: &[usize]) -> Result<Dims> {
    // The longer shape, with the shorter one's sizes merged into its
    // trailing dims (missing leading dims count as 1).
    let (long, short) = if lhs.len() >= rhs.len() {
        (lhs, rhs)
    } else {
        (rhs, lhs)
    };
    let mut out = Dims::from_slice(long);
    let lead = long.len() - short.len();
    for (o, &s) in out[lead..].iter_mut().zip(short) {
        match (*o, s) {
            (o, s) if o == s => {}
            (_, 1) => {}
            (1, s) => *o = s,
            _ => {
                return Err(TensorError::Broadcast {
                    op,
                    lhs: lhs.to_vec(),
                    rhs: rhs.to_vec(),
                })
            }
        }
    }
    checked_numel(op, &out)?;
    Ok(out)
}

/// Resolves a requested shape with at most one `-1` against `input`'s element count.
pub(crate) fn infer_shape(op: &'static str, requested: &[isize], input: &[usize]) -> Result<Dims> {
    let numel = checked_numel(op, input)?;
    let err = |msg: Option<String>| match msg {
        Some(msg) => TensorError::invalid(op, msg),
        None => TensorError::ShapeSize {
            op,
            shape: requested.to_vec(),
            input: input.to_vec(),
            numel,
        },
    };
    let mut inferred = None;
    let mut known = 1usize;
    for (i, &d) in requested.iter().enumerate() {
        match d {
            -1 if inferred.is_some() => {
                return Err(err(Some(format!(
                    "only one dimension can be inferred, got shape {requested:?}"
                ))))
            }
            -1 => inferred = Some(i),
            d if d < 0 => {
                return Err(err(Some(format!(
                    "invalid shape dimension {d} in {requested:?}"
                ))))
            }
            d => {
                known = known.checked_mul(d as usize).ok_or_else(|| err(None))?;
            }
        }
    }
    let mut shape: Dims = requested.iter().map(|&d| d.max(0) as usize).collect();
    match inferred {
        Some(i) => {
            if known == 0 || numel % known != 0 {
                return Err(err(None));
            }
            shape[i] = numel / known;
        }
        None if known != numel => return Err(err(None)),
        None => {}
    }
    // An empty tensor may be given sizes whose nonzero product overflows.
    checked_numel(op, &shape)?;
    Ok(shape)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_rules() {
        assert_eq!(broadcast_shapes("t", &[3, 1], &[1, 4]).unwrap(), vec![3, 4]);
        assert_eq!(broadcast_shapes("t", &[], &[2, 3]).unwrap(), vec![2, 3]);
        assert_eq!(broadcast_shapes("t", &[0, 3], &[1, 3]).unwrap(), vec![0, 3]);
        assert_eq!(
            broadcast_shapes("t", &[2, 1, 3], &[4, 1]).unwrap(),
            vec![2, 4, 3]
        );
        let e = broadcast_shapes("add", &[2, 3], &[4]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "add: shapes [2, 3] and [4] cannot be broadcast together"
        );
    }

    #[test]
    fn infer_minus_one() {
        assert_eq!(
            infer_shape("reshape", &[2, -1], &[3, 4]).unwrap(),
            vec![2, 6]
        );
        assert_eq!(infer_shape("reshape", &[-1], &[0, 3]).unwrap(), vec![0]);
        let e = infer_shape("reshape", &[5, -1], &[3, 4]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "reshape: shape [5, -1] is invalid for input of shape [3, 4] (12 elements)"
        );
        let e = infer_shape("reshape", &[-1, -1], &[3, 4]).unwrap_err();
        assert!(
            e.to_string().contains("only one dimension can be inferred"),
            "{e}"
        );
    }

    #[test]
    fn negative_dims() {
        assert_eq!(normalize_dim("sum", -1, &[2, 3]).unwrap(), 1);
        assert_eq!(normalize_dim("sum", 0, &[]).unwrap(), 0);
        let e = normalize_dim("sum", 2, &[2, 3]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "sum: dimension 2 out of range for a tensor of shape [2, 3] (expected in [-2, 1])"
        );
        assert_eq!(normalize_insert_dim("unsqueeze", -1, &[2, 3]).unwrap(), 2);
    }
}
