//! Reductions over all elements or along one dimension: sum, mean, max/min
//! with their arg-indices, and the L2 norm.
//!
//! Index results (argmax, the indices of `max_dim`) are int64 tensors, as in PyTorch.

use ndarray::{ArrayD, Axis};

use crate::arith::Num;
use crate::dtype::{dispatch, DType, Element};
use crate::error::{Result, TensorError};
use crate::shape::{normalize_dim, same_dims};
use crate::tensor::{or_panic, Tensor};

/// Keeps the first NaN, else the larger (`greater == true`) or smaller value;
/// ties keep the earlier index, as PyTorch's max/min do.
fn better<T: Num>(candidate: T, best: T, greater: bool) -> bool {
    if best.is_nan() {
        return false;
    }
    candidate.is_nan()
        || if greater {
            candidate > best
        } else {
            candidate < best
        }
}

fn arg_extreme<'a, T: Num>(values: impl Iterator<Item = &'a T>, greater: bool) -> (T, usize) {
    let mut best = (T::zero(), usize::MAX);
    for (i, &v) in values.enumerate() {
        if i == 0 || better(v, best.0, greater) {
            best = (v, i);
        }
    }
    best
}

/// The dtype PyTorch's `sum` returns: int64 for integers and bools.
fn sum_dtype(dtype: DType) -> DType {
    if dtype.is_floating_point() {
        dtype
    } else {
        DType::Int64
    }
}

/// `shape` with dim `d` reduced (kept as 1, or removed).
fn reduced_shape(shape: &[usize], d: usize, keepdim: bool) -> Vec<usize> {
    let mut out = shape.to_vec();
    if keepdim {
        out[d] = 1;
    } else {
        out.remove(d);
    }
    out
}

/// A pairwise (cascade) sum of float64 values: error grows like log n.
fn pairwise_sum(values: impl Iterator<Item = f64>) -> f64 {
    let values: Vec<f64> = values.collect();
    fn sum(v: &[f64]) -> f64 {
        if v.len() <= 16 {
            v.iter().sum()
        } else {
            let (a, b) = v.split_at(v.len() / 2);
            sum(a) + sum(b)
        }
    }
    sum(&values)
}

// ----- PyTorch's summation order ---------------------------------------------
//
// The full sum follows the order of PyTorch's single-threaded CPU kernel
// (`aten/src/ATen/native/cpu/SumKernel.cpp`) on a contiguous input with the
// 8-lane vectors it used on the machine the reference data came from:
// interleaved partial sums in a cascade, so results agree to the last bit
// there. PyTorch itself differs from that order when it splits a long
// reduction across threads (32768 elements and up) or sums a non-contiguous
// input in memory order. The cascade is accurate (error grows like log n)
// and vectorises well.

/// The vector width of PyTorch's sum kernel (8 floats, as dispatched on x86-64).
const LANES: usize = 8;
/// Independent partial sums per row (`ilp_factor`).
const ILP: usize = 4;
/// Cascade levels (`num_levels`).
const LEVELS: usize = 4;

fn add_lanes<const W: usize>(acc: &mut [f32; W], values: &[f32]) {
    for (a, &v) in acc.iter_mut().zip(values) {
        *a += v;
    }
}

/// Adds `ILP` consecutive groups of `W` values to the `ILP` accumulators.
fn add_groups<const W: usize>(acc: &mut [[f32; W]; ILP], values: &[f32]) {
    for (a, group) in acc.iter_mut().zip(values.chunks_exact(W)) {
        add_lanes(a, group);
    }
}

/// `multi_row_sum`: `rows` rows of `ILP` groups of `W` values each, summed
/// per group position with a cascade that promotes a level every
/// `2^level_power` rows.
fn multi_row_sum<const W: usize>(data: &[f32], rows: usize) -> [[f32; W]; ILP] {
    let ceil_log2 = if rows <= 2 {
        1
    } else {
        64 - ((rows - 1) as u64).leading_zeros() as usize
    };
    let level_power = (ceil_log2 / LEVELS).max(4);
    let level_step = 1usize << level_power;
    let level_mask = level_step - 1;
    let row = |i: usize| &data[i * ILP * W..(i + 1) * ILP * W];
    let mut acc = [[[0.0f32; W]; ILP]; LEVELS];
    let mut i = 0;
    while i + level_step <= rows {
        for _ in 0..level_step {
            add_groups(&mut acc[0], row(i));
            i += 1;
        }
        for j in 1..LEVELS {
            let (lower, upper) = acc.split_at_mut(j);
            add_groups(&mut upper[0], lower[j - 1].as_flattened());
            lower[j - 1] = [[0.0; W]; ILP];
            if i & (level_mask << (j * level_power)) != 0 {
                break;
            }
        }
    }
    for i in i..rows {
        add_groups(&mut acc[0], row(i));
    }
    let [mut total, rest @ ..] = acc;
    for level in rest {
        add_groups(&mut total, level.as_flattened());
    }
    total
}

/// `row_sum`: the sum of `groups` groups of `W` values, per lane.
fn row_sum<const W: usize>(data: &[f32], groups: usize) -> [f32; W] {
    let rows = groups / ILP;
    if rows == 0 {
        // Fewer groups than accumulators: the cascade's partial sums would
        // all be zeros, and adding +0.0 to a sum that started at +0.0
        // changes no bit.
        let mut total = [0.0; W];
        for group in data[..groups * W].chunks_exact(W) {
            add_lanes(&mut total, group);
        }
        return total;
    }
    let [mut total, rest @ ..] = multi_row_sum::<W>(data, rows);
    for g in rows * ILP..groups {
        add_lanes(&mut total, &data[g * W..(g + 1) * W]);
    }
    for partial in rest {
        add_lanes(&mut total, &partial);
    }
    total
}

/// The sum of `values` in PyTorch's order: a scalar cascade for short input,
/// else a cascade over 8-lane vectors, the leftover scalars, then the lanes.
fn cascade_sum(values: &[f32]) -> f32 {
    if values.len() < LANES {
        return row_sum::<1>(values, values.len())[0];
    }
    let groups = values.len() / LANES;
    let lanes = row_sum::<LANES>(values, groups);
    let mut total = 0.0f32;
    for &v in &values[groups * LANES..] {
        total += v;
    }
    for lane in lanes {
        total += lane;
    }
    total
}

// ----- Sums along a dimension ------------------------------------------------
//
// Summing `n` rows one after another loses precision like n·ε (a million
// rows of 0.1 drift by 1%, and a float count stops at 2^24). Rows are summed
// in blocks, and the block sums combined pairwise (a binary counter of
// partial sums), so the error grows like log n as in PyTorch; lanes that are
// contiguous (the last dim) use the full sum's cascade.

/// Rows summed one after another before their sum joins the pairwise tree.
const ROW_BLOCK: usize = 64;

/// The sum of `rows` rows of `width` contiguous values (`data` holds them
/// back to back) into `out`, pairwise over blocks of rows.
fn sum_rows(data: &[f32], rows: usize, width: usize, out: &mut [f32]) {
    if rows <= ROW_BLOCK && width == 1 {
        // One column (a bias's gradient): the same order without a row loop.
        out[0] = data[..rows].iter().fold(0.0, |total, &v| total + v);
        return;
    }
    out.fill(0.0);
    if rows <= ROW_BLOCK {
        // One block: summed straight into `out`, in the same order.
        for row in data[..rows * width].chunks_exact(width) {
            out.iter_mut().zip(row).for_each(|(o, &v)| *o += v);
        }
        return;
    }
    // levels[k] holds the sum of 2^k blocks, or nothing.
    let mut levels: Vec<Option<Vec<f32>>> = Vec::new();
    for block in data[..rows * width].chunks(ROW_BLOCK * width) {
        let mut carry = vec![0.0f32; width];
        for row in block.chunks_exact(width) {
            carry.iter_mut().zip(row).for_each(|(c, &v)| *c += v);
        }
        for level in levels.iter_mut() {
            match level.take() {
                Some(partial) => carry.iter_mut().zip(&partial).for_each(|(c, &p)| *c += p),
                None => {
                    *level = Some(std::mem::take(&mut carry));
                    break;
                }
            }
        }
        if !carry.is_empty() {
            levels.push(Some(carry));
        }
    }
    for partial in levels.into_iter().flatten() {
        out.iter_mut().zip(&partial).for_each(|(o, &p)| *o += p);
    }
}

impl Tensor {
    /// The sums along dim `d` of a non-empty dim, accurate for long dims,
    /// in the dtype of PyTorch's sum (int64 for integers and bools).
    fn sum_along(&self, op: &'static str, d: usize, keepdim: bool) -> Result<Tensor> {
        match self.dtype {
            DType::Float32 => {}
            DType::Float64 => {
                return self.reduce_dim::<f64, f64>(op, d as isize, keepdim, |lane| {
                    pairwise_sum(lane.iter().copied())
                })
            }
            _ => {
                let x = self.try_to_dtype(DType::Int64)?;
                return x.reduce_dim::<i64, i64>(op, d as isize, keepdim, |lane| {
                    lane.iter().fold(0i64, |a, &b| a.wrapping_add(b))
                });
            }
        }
        let shape = self.shape();
        let (len, inner) = (shape[d], shape[d + 1..].iter().product::<usize>());
        let outer = shape[..d].iter().product::<usize>();
        let mut out_shape = shape.to_vec();
        if keepdim {
            out_shape[d] = 1;
        } else {
            out_shape.remove(d);
        }
        if out_shape.contains(&0) {
            return Tensor::filled(op, &out_shape, 0.0);
        }
        let source = self.try_contiguous()?;
        let read = source.read::<f32>();
        let values = read.slice().expect("contiguous");
        Tensor::try_build::<f32>(op, &out_shape, |sums| {
            if inner == 1 {
                for (o, lane) in sums.iter_mut().zip(values.chunks_exact(len)) {
                    *o = cascade_sum(lane);
                }
            } else {
                for (o, block) in sums
                    .chunks_exact_mut(inner)
                    .zip(values.chunks_exact(len * inner))
                    .take(outer)
                {
                    sum_rows(block, len, inner, o);
                }
            }
        })
    }

    /// Reduces along `dim` with `f`, which sees each lane and returns one value.
    fn reduce_dim<S: Element, T: Element>(
        &self,
        op: &'static str,
        dim: isize,
        keepdim: bool,
        f: impl Fn(ndarray::ArrayView1<'_, S>) -> T,
    ) -> Result<Tensor> {
        let d = normalize_dim(op, dim, self.shape())?;
        let read = self.read::<S>();
        if self.dim() == 0 {
            let value = f(read.array().into_shape_with_order(1).expect("one element"));
            return Ok(Tensor::scalar_of(value));
        }
        if self.shape()[d] == 0 {
            return self.reduce_empty_lanes(op, d, keepdim, f(ndarray::ArrayView1::from(&[])));
        }
        let mut out: ArrayD<T> = read.array().map_axis(Axis(d), f);
        if keepdim {
            out.insert_axis_inplace(Axis(d));
        }
        Ok(Tensor::from_array(out))
    }

    /// The reduction along `d`, of size 0, where every lane gives `value`:
    /// the result may be far larger than the input, so it is allocated
    /// fallibly (and no lane is visited).
    fn reduce_empty_lanes<T: Element>(
        &self,
        op: &'static str,
        d: usize,
        keepdim: bool,
        value: T,
    ) -> Result<Tensor> {
        let mut shape = self.shape().to_vec();
        if keepdim {
            shape[d] = 1;
        } else {
            shape.remove(d);
        }
        Tensor::try_filled(op, &shape, value)
    }

    fn nonempty(&self, op: &'static str) -> Result<()> {
        if self.is_empty() {
            return Err(TensorError::invalid(
                op,
                format!(
                    "cannot reduce an empty tensor of shape {:?} without a dim",
                    self.shape()
                ),
            ));
        }
        Ok(())
    }

    fn nonempty_dim(&self, op: &'static str, dim: isize) -> Result<()> {
        let d = normalize_dim(op, dim, self.shape())?;
        if self.shape().get(d) == Some(&0) {
            return Err(TensorError::invalid(
                op,
                format!(
                    "cannot reduce over dimension {dim} of size 0 (shape {:?})",
                    self.shape()
                ),
            ));
        }
        Ok(())
    }

    /// Sum of all elements, as a 0-d tensor. PyTorch equivalent: `x.sum()`.
    ///
    /// The additions happen in the order of PyTorch's single-threaded CPU
    /// kernel on contiguous data (see `cascade_sum`), so such sums agree with
    /// PyTorch's to the last bit.
    /// Bool and int64 tensors sum to int64, as in PyTorch.
    pub fn sum(&self) -> Tensor {
        match self.dtype {
            DType::Float32 => {
                let read = self.read::<f32>();
                let mut scratch = Vec::new();
                Tensor::scalar(cascade_sum(read.contiguous(&mut scratch)))
            }
            DType::Float64 => Tensor::scalar_of(pairwise_sum(self.to_vec_as::<f64>().into_iter())),
            _ => Tensor::scalar_of(
                self.to_vec_as::<i64>()
                    .into_iter()
                    .fold(0i64, i64::wrapping_add),
            ),
        }
    }

    /// Sum along `dim`. PyTorch equivalent: `x.sum(dim, keepdim)`.
    ///
    /// # Errors
    /// [`TensorError::DimOutOfRange`] if `dim` is out of range.
    pub fn try_sum_dim(&self, dim: isize, keepdim: bool) -> Result<Tensor> {
        let d = normalize_dim("sum", dim, self.shape())?;
        if self.dim() == 0 {
            return self.try_to_dtype(sum_dtype(self.dtype))?.try_clone();
        }
        if self.shape()[d] == 0 {
            return Tensor::try_zeros_of(
                "sum",
                sum_dtype(self.dtype),
                &reduced_shape(self.shape(), d, keepdim),
            );
        }
        self.sum_along("sum", d, keepdim)
    }

    /// Panicking form of [`try_sum_dim`](Tensor::try_sum_dim).
    ///
    /// # Panics
    /// If `dim` is out of range.
    #[track_caller]
    pub fn sum_dim(&self, dim: isize, keepdim: bool) -> Tensor {
        or_panic(self.try_sum_dim(dim, keepdim))
    }

    /// Mean of all elements (NaN for an empty tensor), computed as PyTorch's
    /// CPU kernel does: the sum, divided by the count. PyTorch equivalent: `x.mean()`.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] for an integer or bool tensor, with PyTorch's message.
    pub fn try_mean(&self) -> Result<Tensor> {
        self.floating("mean")?;
        Ok(self.sum().div_scalar(self.numel() as f64))
    }

    /// Panicking form of [`try_mean`](Tensor::try_mean).
    ///
    /// # Panics
    /// For an integer or bool tensor.
    #[track_caller]
    pub fn mean(&self) -> Tensor {
        or_panic(self.try_mean())
    }

    /// [`TensorError::UnsupportedDType`] unless the dtype is floating point.
    pub(crate) fn floating(&self, op: &'static str) -> Result<()> {
        if !self.dtype.is_floating_point() {
            let name = match self.dtype {
                DType::Bool => "Bool",
                _ => "Long",
            };
            return Err(TensorError::invalid(
                op,
                format!("could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: {name}"),
            ));
        }
        Ok(())
    }

    /// Mean along `dim`. PyTorch equivalent: `x.mean(dim, keepdim)`.
    ///
    /// # Errors
    /// [`TensorError::DimOutOfRange`] if `dim` is out of range.
    pub fn try_mean_dim(&self, dim: isize, keepdim: bool) -> Result<Tensor> {
        let d = normalize_dim("mean", dim, self.shape())?;
        self.floating("mean")?;
        if self.shape().get(d) == Some(&0) {
            return Ok(Tensor::try_zeros_of(
                "mean",
                self.dtype,
                &reduced_shape(self.shape(), d, keepdim),
            )?
            .add_scalar(f64::NAN));
        }
        let n = self.shape().get(d).copied().unwrap_or(1) as f64;
        Ok(self.try_sum_dim(dim, keepdim)? / n)
    }

    /// Panicking form of [`try_mean_dim`](Tensor::try_mean_dim).
    ///
    /// # Panics
    /// If `dim` is out of range.
    #[track_caller]
    pub fn mean_dim(&self, dim: isize, keepdim: bool) -> Tensor {
        or_panic(self.try_mean_dim(dim, keepdim))
    }

    /// Largest element as a 0-d tensor (NaN if any element is NaN).
    /// PyTorch equivalent: `x.max()`.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] on an empty tensor.
    pub fn try_max(&self) -> Result<Tensor> {
        self.nonempty("max")?;
        Ok(dispatch!(self.dtype, T => Tensor::scalar_of(
            arg_extreme(self.read::<T>().array().iter(), true).0,
        )))
    }

    /// Panicking form of [`try_max`](Tensor::try_max).
    ///
    /// # Panics
    /// On an empty tensor.
    #[track_caller]
    pub fn max(&self) -> Tensor {
        or_panic(self.try_max())
    }

    /// Smallest element as a 0-d tensor (NaN if any element is NaN).
    /// PyTorch equivalent: `x.min()`.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] on an empty tensor.
    pub fn try_min(&self) -> Result<Tensor> {
        self.nonempty("min")?;
        Ok(dispatch!(self.dtype, T => Tensor::scalar_of(
            arg_extreme(self.read::<T>().array().iter(), false).0,
        )))
    }

    /// Panicking form of [`try_min`](Tensor::try_min).
    ///
    /// # Panics
    /// On an empty tensor.
    #[track_caller]
    pub fn min(&self) -> Tensor {
        or_panic(self.try_min())
    }

    /// Flat row-major index of the largest element, as a 0-d tensor.
    /// PyTorch equivalent: `x.argmax()`.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] on an empty tensor.
    pub fn try_argmax(&self) -> Result<Tensor> {
        self.nonempty("argmax")?;
        let index =
            dispatch!(self.dtype, T => arg_extreme(self.read::<T>().array().iter(), true).1);
        Ok(Tensor::scalar_of(index as i64))
    }

    /// Panicking form of [`try_argmax`](Tensor::try_argmax).
    ///
    /// # Panics
    /// On an empty tensor.
    #[track_caller]
    pub fn argmax(&self) -> Tensor {
        or_panic(self.try_argmax())
    }

    /// Flat row-major index of the smallest element, as a 0-d tensor.
    /// PyTorch equivalent: `x.argmin()`.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] on an empty tensor.
    pub fn try_argmin(&self) -> Result<Tensor> {
        self.nonempty("argmin")?;
        let index =
            dispatch!(self.dtype, T => arg_extreme(self.read::<T>().array().iter(), false).1);
        Ok(Tensor::scalar_of(index as i64))
    }

    /// Panicking form of [`try_argmin`](Tensor::try_argmin).
    ///
    /// # Panics
    /// On an empty tensor.
    #[track_caller]
    pub fn argmin(&self) -> Tensor {
        or_panic(self.try_argmin())
    }

    /// Largest values along `dim` and their indices.
    /// PyTorch equivalent: `values, indices = x.max(dim, keepdim)`.
    ///
    /// # Errors
    /// [`TensorError::DimOutOfRange`] if `dim` is out of range;
    /// [`TensorError::InvalidArgument`] if that dimension has size 0.
    pub fn try_max_dim(&self, dim: isize, keepdim: bool) -> Result<(Tensor, Tensor)> {
        self.extreme_dim("max", dim, keepdim, true)
    }

    /// Panicking form of [`try_max_dim`](Tensor::try_max_dim).
    ///
    /// # Panics
    /// If `dim` is out of range or has size 0.
    #[track_caller]
    pub fn max_dim(&self, dim: isize, keepdim: bool) -> (Tensor, Tensor) {
        or_panic(self.try_max_dim(dim, keepdim))
    }

    /// Smallest values along `dim` and their indices.
    /// PyTorch equivalent: `values, indices = x.min(dim, keepdim)`.
    ///
    /// # Errors
    /// [`TensorError::DimOutOfRange`] if `dim` is out of range;
    /// [`TensorError::InvalidArgument`] if that dimension has size 0.
    pub fn try_min_dim(&self, dim: isize, keepdim: bool) -> Result<(Tensor, Tensor)> {
        self.extreme_dim("min", dim, keepdim, false)
    }

    /// Panicking form of [`try_min_dim`](Tensor::try_min_dim).
    ///
    /// # Panics
    /// If `dim` is out of range or has size 0.
    #[track_caller]
    pub fn min_dim(&self, dim: isize, keepdim: bool) -> (Tensor, Tensor) {
        or_panic(self.try_min_dim(dim, keepdim))
    }

    /// Indices of the largest values along `dim`. PyTorch equivalent: `x.argmax(dim, keepdim)`.
    ///
    /// # Errors
    /// As [`try_max_dim`](Tensor::try_max_dim).
    pub fn try_argmax_dim(&self, dim: isize, keepdim: bool) -> Result<Tensor> {
        Ok(self.extreme_dim("argmax", dim, keepdim, true)?.1)
    }

    /// Panicking form of [`try_argmax_dim`](Tensor::try_argmax_dim).
    ///
    /// # Panics
    /// If `dim` is out of range or has size 0.
    #[track_caller]
    pub fn argmax_dim(&self, dim: isize, keepdim: bool) -> Tensor {
        or_panic(self.try_argmax_dim(dim, keepdim))
    }

    /// Indices of the smallest values along `dim`. PyTorch equivalent: `x.argmin(dim, keepdim)`.
    ///
    /// # Errors
    /// As [`try_min_dim`](Tensor::try_min_dim).
    pub fn try_argmin_dim(&self, dim: isize, keepdim: bool) -> Result<Tensor> {
        Ok(self.extreme_dim("argmin", dim, keepdim, false)?.1)
    }

    /// Panicking form of [`try_argmin_dim`](Tensor::try_argmin_dim).
    ///
    /// # Panics
    /// If `dim` is out of range or has size 0.
    #[track_caller]
    pub fn argmin_dim(&self, dim: isize, keepdim: bool) -> Tensor {
        or_panic(self.try_argmin_dim(dim, keepdim))
    }

    fn extreme_dim(
        &self,
        op: &'static str,
        dim: isize,
        keepdim: bool,
        greater: bool,
    ) -> Result<(Tensor, Tensor)> {
        self.nonempty_dim(op, dim)?;
        dispatch!(self.dtype, T => {
            let values = self.reduce_dim::<T, T>(op, dim, keepdim, |lane| {
                arg_extreme(lane.iter(), greater).0
            })?;
            let indices = self.reduce_dim::<T, i64>(op, dim, keepdim, |lane| {
                arg_extreme(lane.iter(), greater).1 as i64
            })?;
            Ok((values, indices))
        })
    }

    /// L2 norm of all elements, as a 0-d tensor: the square root of the
    /// (cascaded) sum of squares. PyTorch equivalent: `x.norm()`.
    ///
    /// # Panics
    /// If the squares do not fit in memory.
    #[track_caller]
    pub fn norm(&self) -> Tensor {
        if self.dtype == DType::Float64 {
            return self.square().sum().sqrt();
        }
        or_panic(self.floating("norm"));
        Tensor::scalar(
            or_panic(self.try_map("norm", |x| x * x))
                .sum()
                .item()
                .sqrt(),
        )
    }

    /// L2 norm along `dim`. PyTorch equivalent: `x.norm(dim=dim, keepdim=keepdim)`.
    ///
    /// # Errors
    /// [`TensorError::DimOutOfRange`] if `dim` is out of range;
    /// [`TensorError::Allocation`] if the result does not fit in memory.
    pub fn try_norm_dim(&self, dim: isize, keepdim: bool) -> Result<Tensor> {
        let d = normalize_dim("norm", dim, self.shape())?;
        if self.dim() == 0 {
            return Ok(self.abs());
        }
        self.floating("norm")?;
        if self.shape()[d] == 0 {
            return Tensor::try_zeros_of(
                "norm",
                self.dtype,
                &reduced_shape(self.shape(), d, keepdim),
            );
        }
        Ok(self.square().sum_along("norm", d, keepdim)?.sqrt())
    }

    /// Panicking form of [`try_norm_dim`](Tensor::try_norm_dim).
    ///
    /// # Panics
    /// If `dim` is out of range.
    #[track_caller]
    pub fn norm_dim(&self, dim: isize, keepdim: bool) -> Tensor {
        or_panic(self.try_norm_dim(dim, keepdim))
    }

    /// Sums broadcast dimensions away so the result has `shape`, the inverse
    /// of broadcasting `shape` to `self.shape()`. PyTorch equivalent: `x.sum_to_size(shape)`.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] unless `shape` broadcasts to `self.shape()`.
    pub fn try_sum_to_size(&self, shape: &[usize]) -> Result<Tensor> {
        if same_dims(self.shape(), shape) {
            return Ok(self.alias());
        }
        let own = self.shape();
        let expandable = shape.len() <= own.len()
            && shape
                .iter()
                .zip(&own[own.len() - shape.len()..])
                .all(|(&s, &o)| s == o || s == 1);
        if !expandable {
            return Err(TensorError::invalid(
                "sum_to_size",
                format!("shape {shape:?} is not expandable to size {own:?}"),
            ));
        }
        let lead = own.len() - shape.len();
        if self.is_empty() {
            // Sums of nothing: zeros, possibly far more of them than the input holds.
            return Tensor::try_zeros_of("sum_to_size", sum_dtype(self.dtype), shape);
        }
        // Only leading dims summed away, contiguous float32 input: sum rows.
        if own[lead..] == *shape && self.dtype == DType::Float32 {
            let read = self.read::<f32>();
            if let Some(values) = read.slice() {
                let width: usize = shape.iter().product();
                return Tensor::try_build::<f32>("sum_to_size", shape, |out| {
                    sum_rows(values, values.len() / width, width, out)
                });
            }
        }
        let mut out = self.alias();
        for _ in 0..lead {
            out = out.sum_along("sum_to_size", 0, false)?;
        }
        for (d, &s) in shape.iter().enumerate() {
            if s == 1 && out.shape()[d] != 1 {
                out = out.sum_along("sum_to_size", d, true)?;
            }
        }
        Ok(out)
    }

    /// Panicking form of [`try_sum_to_size`](Tensor::try_sum_to_size).
    ///
    /// # Panics
    /// Unless `shape` broadcasts to `self.shape()`.
    #[track_caller]
    pub fn sum_to_size(&self, shape: &[usize]) -> Tensor {
        or_panic(self.try_sum_to_size(shape))
    }
}
