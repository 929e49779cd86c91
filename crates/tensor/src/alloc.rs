//! Checked sizes and fallible allocation of tensor buffers.
//!
//! A shape whose element count overflows, or a buffer the allocator cannot
//! provide, is an error naming the operation, never an abort or a wrapped
//! size: `zeros: cannot allocate 4398046511104 elements of f32 (16 TiB)`.
//! (PyTorch raises a catchable `RuntimeError` in the same places.)

use crate::error::{Result, TensorError};

/// The number of elements of `shape`, checked.
///
/// Besides the element count itself, the product of the non-zero sizes must
/// fit in an `isize` (ndarray needs it to address the elements, even when a
/// zero size makes the tensor empty).
///
/// # Errors
/// [`TensorError::ShapeOverflow`] naming `op` and the shape.
#[inline]
pub(crate) fn checked_numel(op: &'static str, shape: &[usize]) -> Result<usize> {
    // One pass, no allocation: this runs for every tensor created.
    let mut nonzero = 1usize;
    let mut empty = false;
    for &d in shape {
        match d {
            0 => empty = true,
            d => match nonzero.checked_mul(d) {
                Some(n) if n <= isize::MAX as usize => nonzero = n,
                _ => {
                    return Err(TensorError::ShapeOverflow {
                        op,
                        shape: shape.to_vec(),
                    })
                }
            },
        }
    }
    Ok(if empty { 0 } else { nonzero })
}

/// A byte count in binary units, as `16 TiB` or `1.5 GiB`.
pub(crate) fn human_bytes(bytes: u128) -> String {
    const UNITS: [&str; 7] = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 || value.fract() == 0.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_checked() {
        assert_eq!(checked_numel("t", &[2, 3]).unwrap(), 6);
        assert_eq!(checked_numel("t", &[]).unwrap(), 1);
        assert_eq!(checked_numel("t", &[1 << 40, 0]).unwrap(), 0);
        let e = checked_numel("add", &[1 << 32, 1 << 32, 0]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "add: shape [4294967296, 4294967296, 0] is too large: its number of elements overflows"
        );
    }

    #[test]
    fn byte_counts_read_naturally() {
        assert_eq!(human_bytes(12), "12 bytes");
        assert_eq!(human_bytes(1 << 44), "16 TiB");
        assert_eq!(human_bytes(3 << 29), "1.5 GiB");
    }
}
