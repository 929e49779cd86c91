//! Checked sizes and fallible allocation of tensor buffers.
//!
//! A shape whose element count overflows, or a buffer the allocator cannot
//! provide, is an error naming the operation, never an abort or a wrapped
//! size: `zeros: cannot allocate 4398046511104 elements of f32 (16 TiB)`.
//! (PyTorch raises a catchable `RuntimeError` in the same places.)

use std::alloc::{alloc_zeroed, Layout};

use crate::error::{Result, TensorError};

/// The number of elements of `shape`, checked.
///
/// Besides the element count itself, the product of the non-zero sizes must
/// fit in an `isize` (ndarray needs it to address the elements, even when a
/// zero size makes the tensor empty).
///
/// # Errors
/// [`TensorError::ShapeOverflow`] naming `op` and the shape.
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

/// An empty vector with room for `numel` elements, or
/// [`TensorError::Allocation`] if the allocator refuses.
pub(crate) fn try_with_capacity(op: &'static str, numel: usize) -> Result<Vec<f32>> {
    let mut values = Vec::new();
    values
        .try_reserve_exact(numel)
        .map_err(|_| TensorError::Allocation { op, numel })?;
    Ok(values)
}

/// `numel` zeros, or [`TensorError::Allocation`] if the allocator refuses.
/// Large buffers come zeroed from the operating system (no separate fill pass).
pub(crate) fn try_zeroed(op: &'static str, numel: usize) -> Result<Vec<f32>> {
    let error = || TensorError::Allocation { op, numel };
    if numel == 0 {
        return Ok(Vec::new());
    }
    let layout = Layout::array::<f32>(numel).map_err(|_| error())?;
    // SAFETY: the layout has a non-zero size. A zeroed allocation of `numel`
    // f32s holds `numel` valid values (0.0), allocated with the global
    // allocator and `Layout::array::<f32>(numel)`, exactly as `Vec<f32>`
    // with capacity `numel` would be, so the vector may own it.
    unsafe {
        let ptr = alloc_zeroed(layout).cast::<f32>();
        if ptr.is_null() {
            return Err(error());
        }
        Ok(Vec::from_raw_parts(ptr, numel, numel))
    }
}

/// `numel` copies of `value`, or [`TensorError::Allocation`].
pub(crate) fn try_filled(op: &'static str, numel: usize, value: f32) -> Result<Vec<f32>> {
    if value.to_bits() == 0 {
        return try_zeroed(op, numel);
    }
    let mut values = try_with_capacity(op, numel)?;
    values.resize(numel, value);
    Ok(values)
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
    fn impossible_allocations_are_errors() {
        // 2^46 f32s (256 TiB) exceed the 47-bit user address space: refused
        // whatever the machine's memory and overcommit policy.
        let e = try_zeroed("zeros", 1 << 46).unwrap_err();
        assert_eq!(
            e.to_string(),
            "zeros: cannot allocate 70368744177664 elements of f32 (256 TiB)"
        );
        assert!(try_filled("full", 1 << 46, 1.0).is_err());
        assert!(try_zeroed("zeros", usize::MAX).is_err());
        assert_eq!(try_filled("full", 3, 2.0).unwrap(), vec![2.0; 3]);
        assert_eq!(try_zeroed("zeros", 3).unwrap(), vec![0.0; 3]);
    }

    #[test]
    fn byte_counts_read_naturally() {
        assert_eq!(human_bytes(12), "12 bytes");
        assert_eq!(human_bytes(1 << 44), "16 TiB");
        assert_eq!(human_bytes(3 << 29), "1.5 GiB");
    }
}
