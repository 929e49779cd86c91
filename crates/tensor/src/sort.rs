//! Sorting along a dim: `sort` and `topk`, with int64 indices.

use std::cmp::Ordering;

use crate::arith::Num;
use crate::dtype::dispatch;
use crate::error::{Result, TensorError};
use crate::shape::normalize_dim;
use crate::tensor::{or_panic, Tensor};

/// PyTorch's sort order: NaN above every number.
fn ascending<T: Num>(a: &T, b: &T) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => a.partial_cmp(b).unwrap_or(Ordering::Equal),
    }
}

impl Tensor {
    /// The first `k` entries of each lane along `dim` in sorted order (a
    /// stable sort: equal values keep their order), as values and int64
    /// indices with `dim` of size `k`.
    fn sorted_lanes(
        &self,
        op: &'static str,
        dim: isize,
        k: usize,
        descending: bool,
    ) -> Result<(Tensor, Tensor)> {
        let d = normalize_dim(op, dim, self.shape())?;
        if self.dim() == 0 {
            return Ok((self.try_clone()?, Tensor::scalar_of(0i64)));
        }
        // Lanes along the last dim, contiguous.
        let last = self.dim() as isize - 1;
        let moved = self.try_transpose(d as isize, last)?.try_contiguous()?;
        let n = self.shape()[d];
        let mut out_shape = moved.shape().to_vec();
        *out_shape.last_mut().expect("at least 1-D") = k;
        let (values, indices) = dispatch!(self.dtype, T => {
            let read = moved.read::<T>();
            let data = read.slice().expect("contiguous");
            let lanes = data.len().checked_div(n).unwrap_or(0);
            let mut order: Vec<usize> = Vec::with_capacity(n);
            let mut idx = Vec::with_capacity(lanes * k);
            let mut vals: Vec<T> = Vec::with_capacity(lanes * k);
            for lane in data.chunks_exact(n.max(1)).take(lanes) {
                order.clear();
                order.extend(0..n);
                if descending {
                    order.sort_by(|&a, &b| ascending(&lane[b], &lane[a]));
                } else {
                    order.sort_by(|&a, &b| ascending(&lane[a], &lane[b]));
                }
                for &i in &order[..k] {
                    idx.push(i as i64);
                    vals.push(lane[i]);
                }
            }
            (Tensor::from_data(&vals, &out_shape)?, Tensor::from_data(&idx, &out_shape)?)
        });
        // Back to the original dim order (copies, as PyTorch's outputs are
        // fresh tensors).
        let back = |t: Tensor| t.try_transpose(d as isize, last)?.try_contiguous();
        Ok((back(values)?, back(indices)?))
    }

    /// Sorts along `dim`: the sorted values and the int64 indices they came
    /// from. Stable; NaN sorts above every number, as in PyTorch.
    /// PyTorch equivalent: `values, indices = x.sort(dim, descending)`.
    ///
    /// # Errors
    /// [`TensorError::DimOutOfRange`] if `dim` is out of range.
    pub fn try_sort(&self, dim: isize, descending: bool) -> Result<(Tensor, Tensor)> {
        let d = normalize_dim("sort", dim, self.shape())?;
        let n = self.shape().get(d).copied().unwrap_or(1);
        self.sorted_lanes("sort", dim, n, descending)
    }

    /// Panicking form of [`try_sort`](Tensor::try_sort).
    ///
    /// # Panics
    /// If `dim` is out of range.
    #[track_caller]
    pub fn sort(&self, dim: isize, descending: bool) -> (Tensor, Tensor) {
        or_panic(self.try_sort(dim, descending))
    }

    /// The `k` largest (or smallest) entries along `dim`, in sorted order,
    /// with their int64 indices. Ties go to the lower index (PyTorch's tie
    /// order is unspecified). PyTorch equivalent: `x.topk(k, dim, largest)`.
    ///
    /// # Errors
    /// [`TensorError::DimOutOfRange`], or [`TensorError::InvalidArgument`] if
    /// `k` exceeds the dim's size.
    pub fn try_topk(&self, k: usize, dim: isize, largest: bool) -> Result<(Tensor, Tensor)> {
        let d = normalize_dim("topk", dim, self.shape())?;
        let n = self.shape().get(d).copied().unwrap_or(1);
        if k > n {
            return Err(TensorError::invalid(
                "topk",
                format!(
                    "selected index k out of range: k = {k} but dim {d} has size {n} (shape {:?})",
                    self.shape()
                ),
            ));
        }
        self.sorted_lanes("topk", dim, k, largest)
    }

    /// Panicking form of [`try_topk`](Tensor::try_topk).
    ///
    /// # Panics
    /// As `try_topk` errs.
    #[track_caller]
    pub fn topk(&self, k: usize, dim: isize, largest: bool) -> (Tensor, Tensor) {
        or_panic(self.try_topk(k, dim, largest))
    }
}
