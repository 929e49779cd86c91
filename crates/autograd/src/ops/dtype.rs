//! dtypes on differentiable tensors: conversions (differentiable between
//! float dtypes), comparisons (never differentiable, like PyTorch's bool
//! results), and the ops that take masks and int64 indices.

use super::{keep_mask, linear_map, masked, one, panicking};
use crate::error::Result;
use crate::graph::Save;
use crate::tensor::{RawTensor, Tensor};
use tensor::{DType, IntoScalar};

impl Tensor {
    /// The element type. PyTorch equivalent: `x.dtype`.
    pub fn dtype(&self) -> DType {
        self.raw().dtype()
    }

    /// Whether the dtype is float32 or float64. PyTorch equivalent: `x.is_floating_point()`.
    pub fn is_floating_point(&self) -> bool {
        self.raw().is_floating_point()
    }

    /// The value of a one-element tensor as `T` (exact when `T` is its
    /// element type: `labels.get(0).item_as::<i64>()`). PyTorch equivalent: `x.item()`.
    ///
    /// # Errors
    /// If the tensor does not hold exactly one element.
    pub fn try_item_as<T: tensor::Element>(&self) -> Result<T> {
        Ok(self.raw().try_item_as::<T>()?)
    }

    /// Panicking form of [`try_item_as`](Tensor::try_item_as).
    ///
    /// # Panics
    /// If the tensor does not hold exactly one element.
    #[track_caller]
    pub fn item_as<T: tensor::Element>(&self) -> T {
        crate::error::or_panic(self.try_item_as())
    }

    /// The elements converted to `T`, in row-major order.
    pub fn to_vec_as<T: tensor::Element>(&self) -> Vec<T> {
        self.raw().to_vec_as::<T>()
    }

    /// The values converted to `dtype`. Between float dtypes the conversion
    /// is differentiable (the gradient is converted back, PyTorch's
    /// `ToCopyBackward0`); to int64 or bool the result carries no gradient.
    /// The same tensor is returned if it already has `dtype`.
    /// PyTorch equivalent: `x.to(dtype)`.
    ///
    /// # Errors
    /// If the result does not fit in memory.
    pub fn try_to_dtype(&self, dtype: DType) -> Result<Tensor> {
        if dtype == self.dtype() {
            return Ok(self.clone());
        }
        let value = self.raw().try_to_dtype(dtype)?;
        if !dtype.is_floating_point() {
            return Ok(Tensor::new(value));
        }
        let from = self.dtype();
        Ok(Tensor::from_differentiable(
            "ToCopyBackward0",
            value,
            &[self],
            Save::NOTHING,
            move |g, _, _| Ok([Some(g.try_to_dtype(from)?)].into()),
        ))
    }

    /// Gathers along `dim` at the int64 `index`; the gradient scatters back
    /// (adding over repeats). PyTorch equivalent: `torch.gather(x, dim, index)`.
    ///
    /// # Errors
    /// For a non-int64 index, mismatched sizes or an index out of range.
    pub fn try_gather(&self, dim: isize, index: &Tensor) -> Result<Tensor> {
        let value = self.raw().try_gather(dim, index.raw())?;
        let (shape, dtype, index) = (self.shape(), self.dtype(), index.value());
        Ok(Tensor::from_differentiable(
            "GatherBackward0",
            value,
            &[self],
            Save::NOTHING,
            move |g, _, _| {
                let scatter = |g: &RawTensor| {
                    let zeros = RawTensor::try_zeros_dtype(&shape, dtype)?;
                    Ok(zeros.try_scatter_add(dim, &index, g)?)
                };
                let index = Tensor::new(index.alias());
                let gather = move |gg: &Tensor| gg.try_gather(dim, &index);
                one(linear_map("GatherBackwardBackward0", g, scatter, gather)?)
            },
        ))
    }

    /// `self` with `value` where the bool `mask` (broadcast) is true; no
    /// gradient flows to the filled positions.
    /// PyTorch equivalent: `x.masked_fill(mask, value)`.
    ///
    /// # Errors
    /// For a non-bool mask or one that does not broadcast to `self`.
    pub fn try_masked_fill(&self, mask: &Tensor, value: impl IntoScalar) -> Result<Tensor> {
        let out = self.raw().try_masked_fill(mask.raw(), value)?;
        let keep = mask.raw().logical_not();
        Ok(Tensor::from_differentiable(
            "MaskedFillBackward0",
            out,
            &[self],
            Save::NOTHING,
            move |g, _, _| one(masked("WhereBackward0", g, keep.try_to_dtype(g.dtype())?)?),
        ))
    }

    /// `x` where the bool `condition` holds, else `y` (all broadcast); each
    /// side's gradient flows where it was chosen.
    /// PyTorch equivalent: `torch.where(condition, x, y)`.
    ///
    /// # Errors
    /// For a non-bool condition or incompatible shapes.
    pub fn try_where_cond(condition: &Tensor, x: &Tensor, y: &Tensor) -> Result<Tensor> {
        let value = RawTensor::try_where_cond(condition.raw(), x.raw(), y.raw())?;
        let cond = condition.value();
        Ok(Tensor::from_differentiable(
            "WhereBackward0",
            value,
            &[x, y],
            Save::NOTHING,
            move |g, _, needs| {
                let picked = cond.try_to_dtype(g.dtype())?;
                let gx = match needs[0] {
                    true => Some(masked("WhereBackward0", g, picked.alias())?),
                    false => None,
                };
                let gy = match needs[1] {
                    true => {
                        let other = keep_mask!(picked, |k| k == 0.0)?;
                        Some(masked("WhereBackward0", g, other)?)
                    }
                    false => None,
                };
                Ok([gx, gy].into())
            },
        ))
    }

    /// Panicking form of [`try_where_cond`](Tensor::try_where_cond).
    ///
    /// # Panics
    /// As `try_where_cond` errs.
    #[track_caller]
    pub fn where_cond(condition: &Tensor, x: &Tensor, y: &Tensor) -> Tensor {
        crate::error::or_panic(Tensor::try_where_cond(condition, x, y))
    }

    /// Panicking form of [`try_masked_fill`](Tensor::try_masked_fill).
    ///
    /// # Panics
    /// As `try_masked_fill` errs.
    #[track_caller]
    pub fn masked_fill(&self, mask: &Tensor, value: impl IntoScalar) -> Tensor {
        crate::error::or_panic(self.try_masked_fill(mask, value))
    }
}

/// Comparisons: bool results, never recorded.
macro_rules! comparisons {
    ($($name:ident, $try_name:ident, $scalar:ident, $try_scalar:ident, $torch:literal;)*) => {
        impl Tensor {
            $(
                #[doc = concat!("Elementwise comparison as a bool tensor (no gradient). PyTorch equivalent: `", $torch, "`.")]
                ///
                /// # Errors
                /// If the shapes cannot be broadcast together.
                pub fn $try_name(&self, other: &Tensor) -> Result<Tensor> {
                    Ok(Tensor::new(self.raw().$try_name(other.raw())?))
                }

                #[doc = concat!("Comparison with a scalar as a bool tensor (no gradient). PyTorch equivalent: `", $torch, "` with a number.")]
                ///
                /// # Errors
                /// If the result does not fit in memory.
                pub fn $try_scalar(&self, s: impl IntoScalar) -> Result<Tensor> {
                    Ok(Tensor::new(self.raw().$try_scalar(s)?))
                }

                #[doc = concat!("Panicking form of [`", stringify!($try_scalar), "`](Tensor::", stringify!($try_scalar), ").")]
                ///
                /// # Panics
                /// If the result does not fit in memory.
                #[track_caller]
                pub fn $scalar(&self, s: impl IntoScalar) -> Tensor {
                    crate::error::or_panic(self.$try_scalar(s))
                }
            )*
        }
        panicking! {
            $($name => $try_name(other: &Tensor) -> Tensor;)*
        }
    };
}

comparisons! {
    eq, try_eq, eq_scalar, try_eq_scalar, "x == y";
    ne, try_ne, ne_scalar, try_ne_scalar, "x != y";
    lt, try_lt, lt_scalar, try_lt_scalar, "x < y";
    le, try_le, le_scalar, try_le_scalar, "x <= y";
    gt, try_gt, gt_scalar, try_gt_scalar, "x > y";
    ge, try_ge, ge_scalar, try_ge_scalar, "x >= y";
}

impl Tensor {
    /// Sorts along `dim`: the sorted values (differentiable: the gradient
    /// scatters back through the indices) and int64 indices (no gradient).
    /// Stable; NaN sorts above every number. PyTorch equivalent: `x.sort(dim, descending)`.
    ///
    /// # Errors
    /// If `dim` is out of range.
    pub fn try_sort(&self, dim: isize, descending: bool) -> Result<(Tensor, Tensor)> {
        let (_, indices) = self.raw().try_sort(dim, descending)?;
        self.values_at(dim, indices)
    }

    /// The `k` largest (or smallest) entries along `dim` and their int64
    /// indices; ties go to the lower index. PyTorch equivalent: `x.topk(k, dim, largest)`.
    ///
    /// # Errors
    /// If `dim` is out of range or `k` exceeds its size.
    pub fn try_topk(&self, k: usize, dim: isize, largest: bool) -> Result<(Tensor, Tensor)> {
        let (_, indices) = self.raw().try_topk(k, dim, largest)?;
        self.values_at(dim, indices)
    }

    /// The values at `indices` along `dim` (a differentiable gather) and the
    /// indices as a tensor.
    fn values_at(&self, dim: isize, indices: RawTensor) -> Result<(Tensor, Tensor)> {
        let indices = Tensor::new(indices);
        if self.dim() == 0 {
            return Ok((self.clone(), indices));
        }
        Ok((self.try_gather(dim, &indices)?, indices))
    }
}

tensor::impl_dtype_conversions!(Tensor);

panicking! {
    sort => try_sort(dim: isize, descending: bool) -> (Tensor, Tensor);
    topk => try_topk(k: usize, dim: isize, largest: bool) -> (Tensor, Tensor);
    to_dtype => try_to_dtype(dtype: DType) -> Tensor;
    gather => try_gather(dim: isize, index: &Tensor) -> Tensor;
}
