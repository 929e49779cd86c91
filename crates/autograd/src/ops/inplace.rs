//! In-place operations. They are never recorded: outside `no_grad` they are
//! refused on anything that is part of a graph (see
//! [`AutogradError`](crate::AutogradError)), and each bumps the storage's
//! version counter so a backward that saved the old values fails loudly.

use super::panicking;
use crate::error::Result;
use crate::tensor::{RawTensor, Tensor};

impl Tensor {
    /// Checks, then applies `f` to the values (library code only: it runs
    /// under the storage's write lock).
    pub(crate) fn in_place(
        &self,
        op: &'static str,
        operands: &[&Tensor],
        f: impl FnOnce(&RawTensor) -> tensor::Result<()>,
    ) -> Result<Tensor> {
        self.check_in_place(op, operands)?;
        self.write_value(f)?;
        Ok(self.clone())
    }

    /// Sets every element to `value`. PyTorch equivalent: `x.fill_(value)`.
    ///
    /// # Errors
    /// Outside `no_grad`, on a tensor that requires grad.
    pub fn try_fill_(&self, value: impl tensor::IntoScalar) -> Result<Tensor> {
        self.in_place("fill_", &[], |v| v.try_fill_(value).map(drop))
    }

    /// Panicking form of [`try_fill_`](Tensor::try_fill_).
    ///
    /// # Panics
    /// Where `try_fill_` errs.
    #[track_caller]
    pub fn fill_(&self, value: impl tensor::IntoScalar) -> Tensor {
        crate::error::or_panic(self.try_fill_(value))
    }

    /// Sets every element to 0. PyTorch equivalent: `x.zero_()`.
    ///
    /// # Errors
    /// Outside `no_grad`, on a tensor that requires grad.
    pub fn try_zero_(&self) -> Result<Tensor> {
        self.try_fill_(0.0)
    }

    /// Refills with samples of N(`mean`, `std`²). PyTorch equivalent: `x.normal_(mean, std)`.
    ///
    /// # Errors
    /// If `std` is negative, or outside `no_grad` on a tensor that requires grad.
    pub fn try_normal_(&self, mean: f32, std: f32) -> Result<Tensor> {
        self.in_place("normal_", &[], |v| v.try_normal_(mean, std).map(drop))
    }

    /// Refills with samples of U[`low`, `high`). PyTorch equivalent: `x.uniform_(low, high)`.
    ///
    /// # Errors
    /// If `low > high`, or outside `no_grad` on a tensor that requires grad.
    pub fn try_uniform_(&self, low: f32, high: f32) -> Result<Tensor> {
        self.in_place("uniform_", &[], |v| v.try_uniform_(low, high).map(drop))
    }

    /// Copies `src` (broadcast) into this tensor. PyTorch equivalent: `x.copy_(src)`.
    ///
    /// # Errors
    /// If `src` does not broadcast to this shape, or outside `no_grad` when
    /// either tensor requires grad.
    pub fn try_copy_(&self, src: &Tensor) -> Result<Tensor> {
        let src_value = src.value();
        self.in_place("copy_", &[src], |v| v.try_copy_(&src_value).map(drop))
    }

    /// `x += other` (broadcast into `x`'s shape). PyTorch equivalent: `x.add_(other)`.
    ///
    /// # Errors
    /// If `other` does not broadcast to this shape, or outside `no_grad`
    /// when either tensor requires grad.
    pub fn try_add_(&self, other: &Tensor) -> Result<Tensor> {
        let o = other.value();
        self.in_place("add_", &[other], |v| v.try_add_(&o).map(drop))
    }

    /// `x += alpha * other` in one pass. PyTorch equivalent: `x.add_(other, alpha=alpha)`,
    /// the update of `torch.optim.SGD`.
    ///
    /// # Errors
    /// As [`try_add_`](Tensor::try_add_).
    pub fn try_add_scaled_(&self, other: &Tensor, alpha: f32) -> Result<Tensor> {
        let o = other.value();
        self.in_place("add_", &[other], |v| v.try_add_scaled_(&o, alpha).map(drop))
    }

    /// `x -= other`. PyTorch equivalent: `x.sub_(other)`; the tutorial's
    /// `param -= lr * param.grad / batch_size` under `no_grad`.
    ///
    /// # Errors
    /// As [`try_add_`](Tensor::try_add_).
    pub fn try_sub_(&self, other: &Tensor) -> Result<Tensor> {
        let o = other.value();
        self.in_place("sub_", &[other], |v| v.try_sub_(&o).map(drop))
    }

    /// `x *= other`. PyTorch equivalent: `x.mul_(other)`.
    ///
    /// # Errors
    /// As [`try_add_`](Tensor::try_add_).
    pub fn try_mul_(&self, other: &Tensor) -> Result<Tensor> {
        let o = other.value();
        self.in_place("mul_", &[other], |v| v.try_mul_(&o).map(drop))
    }

    /// `x /= other`. PyTorch equivalent: `x.div_(other)`.
    ///
    /// # Errors
    /// As [`try_add_`](Tensor::try_add_).
    pub fn try_div_(&self, other: &Tensor) -> Result<Tensor> {
        let o = other.value();
        self.in_place("div_", &[other], |v| v.try_div_(&o).map(drop))
    }

    /// `x = f(x)` elementwise, in place; the building block of the scalar
    /// compound assignments (`x += 1.0`).
    ///
    /// `f` runs into a new buffer first, and the result is copied in only
    /// once complete: `f` may read this tensor, and if it panics the tensor
    /// is left unchanged.
    ///
    /// # Errors
    /// Outside `no_grad`, on a tensor that requires grad.
    pub fn try_map_(
        &self,
        op: &'static str,
        f: impl Fn(f32) -> f32 + Sync + Send,
    ) -> Result<Tensor> {
        self.check_in_place(op, &[])?;
        let mapped = self.value().try_map(op, f)?;
        self.write_value(|v| v.try_copy_(&mapped).map(drop))?;
        Ok(self.clone())
    }
}

panicking! {

    zero_ => try_zero_() -> Tensor;
    normal_ => try_normal_(mean: f32, std: f32) -> Tensor;
    uniform_ => try_uniform_(low: f32, high: f32) -> Tensor;
    copy_ => try_copy_(src: &Tensor) -> Tensor;
    add_ => try_add_(other: &Tensor) -> Tensor;
    add_scaled_ => try_add_scaled_(other: &Tensor, alpha: f32) -> Tensor;
    sub_ => try_sub_(other: &Tensor) -> Tensor;
    mul_ => try_mul_(other: &Tensor) -> Tensor;
    div_ => try_div_(other: &Tensor) -> Tensor;
}
