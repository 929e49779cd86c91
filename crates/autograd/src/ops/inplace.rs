//! In-place operations. Outside `no_grad`, on a tensor computed by recorded
//! operations (or with an operand that requires grad) they are recorded as
//! PyTorch records them: the tensor's history is rebased onto the in-place
//! operation's node (`y.add_(w)` gives `y` the `grad_fn` `AddBackward0`, whose
//! input is `y`'s previous `grad_fn`). A leaf that requires grad, or a view
//! of one, is refused with PyTorch's message. Each write bumps the storage's
//! version counter, so a backward that saved the old values fails loudly.

use super::{one, panicking};
use crate::error::{AutogradError, Result};
use crate::graph::Save;
use crate::tensor::{RawTensor, Tensor};

/// How a recorded in-place operation is differentiated: as the out-of-place
/// operation it equals, applied to the tensor's previous value.
pub(crate) struct AsOutOfPlace<F> {
    /// Whether that operation saves the previous value (which the write
    /// would overwrite), so it gets a copy.
    saves_self: bool,
    op: F,
}

pub(crate) fn as_out_of_place<F: FnOnce(&Tensor) -> Result<Tensor>>(
    saves_self: bool,
    op: F,
) -> AsOutOfPlace<F> {
    AsOutOfPlace { saves_self, op }
}

impl Tensor {
    /// Applies `write` to the values in place (library code only: it runs
    /// under the storage's write lock), or, when autograd must record it,
    /// computes `record`'s out-of-place equivalent on the previous value,
    /// writes that, and makes its node this tensor's `grad_fn`.
    pub(crate) fn in_place<F: FnOnce(&Tensor) -> Result<Tensor>>(
        &self,
        op: &'static str,
        operands: &[&Tensor],
        write: impl FnOnce(&RawTensor) -> tensor::Result<()>,
        record: Option<AsOutOfPlace<F>>,
    ) -> Result<Tensor> {
        if !self.records_in_place(op, operands)? || !self.is_floating_point() {
            // (An integer tensor cannot hold a differentiable result: the
            // write itself fails with PyTorch's casting error.)
            self.write_value(write)?;
            return Ok(self.clone());
        }
        let Some(AsOutOfPlace {
            saves_self,
            op: out_of_place,
        }) = record
        else {
            return Err(AutogradError::InPlaceInGraph {
                op,
                detail: "the operation is not differentiable".into(),
            });
        };
        let previous = match saves_self {
            true => self.raw().clone(),
            false => self.value(),
        };
        let previous = Tensor::with_history_of(self, previous);
        let result = out_of_place(&previous)?;
        if result.raw().shape() != self.raw().shape() {
            return Err(tensor::TensorError::InvalidArgument {
                op,
                msg: format!(
                    "output with shape {:?} doesn't match the broadcast shape {:?}",
                    self.shape(),
                    result.shape()
                ),
            }
            .into());
        }
        self.write_value(|v| v.try_copy_(result.raw()).map(drop))?;
        self.record_in_place_history(&result);
        Ok(self.clone())
    }

    /// A handle on `value` with `tensor`'s history (its `grad_fn` and
    /// `requires_grad`): the previous value of a tensor modified in place.
    pub(crate) fn with_history_of(tensor: &Tensor, value: RawTensor) -> Tensor {
        Tensor::with_value_handle(
            value,
            tensor.grad_fn_node().cloned(),
            tensor.requires_grad(),
        )
    }

    /// A recorded op whose result does not depend on its input's values
    /// (`fill_`, `normal_`): the input's gradient is zero.
    fn overwritten(&self, name: &'static str, value: RawTensor) -> Result<Tensor> {
        Ok(Tensor::from_differentiable(
            name,
            value,
            &[self],
            Save::NOTHING,
            |g, _, _| one(Tensor::new(g.raw().zeros_like())),
        ))
    }

    /// Sets every element to `value`. PyTorch equivalent: `x.fill_(value)`.
    ///
    /// # Errors
    /// Outside `no_grad`, on a leaf that requires grad or a view of one.
    pub fn try_fill_(&self, value: impl tensor::IntoScalar) -> Result<Tensor> {
        let value = value.into_scalar();
        let record = as_out_of_place(false, move |x: &Tensor| {
            let filled = RawTensor::try_full_dtype(x.raw().shape(), value, x.dtype())?;
            x.overwritten("FillBackward2", filled)
        });
        self.in_place("fill_", &[], |v| v.try_fill_(value).map(drop), Some(record))
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
    /// Outside `no_grad`, on a leaf that requires grad or a view of one.
    pub fn try_zero_(&self) -> Result<Tensor> {
        let record = as_out_of_place(false, |x: &Tensor| {
            x.overwritten("ZeroBackward0", x.raw().zeros_like())
        });
        self.in_place("zero_", &[], |v| v.try_fill_(0.0).map(drop), Some(record))
    }

    /// Refills with samples of N(`mean`, `std`²). PyTorch equivalent: `x.normal_(mean, std)`.
    ///
    /// # Errors
    /// If `std` is negative, or outside `no_grad` on a leaf that requires
    /// grad or a view of one.
    pub fn try_normal_(&self, mean: f64, std: f64) -> Result<Tensor> {
        let record = as_out_of_place(false, move |x: &Tensor| {
            let sample = x.raw().clone();
            sample.try_normal_(mean, std)?;
            x.overwritten("NormalBackward0", sample)
        });
        self.in_place(
            "normal_",
            &[],
            |v| v.try_normal_(mean, std).map(drop),
            Some(record),
        )
    }

    /// Refills with samples of U[`low`, `high`). PyTorch equivalent: `x.uniform_(low, high)`.
    ///
    /// # Errors
    /// If `low > high`, or outside `no_grad` on a leaf that requires grad or
    /// a view of one.
    pub fn try_uniform_(&self, low: f64, high: f64) -> Result<Tensor> {
        let record = as_out_of_place(false, move |x: &Tensor| {
            let sample = x.raw().clone();
            sample.try_uniform_(low, high)?;
            x.overwritten("UniformBackward0", sample)
        });
        self.in_place(
            "uniform_",
            &[],
            |v| v.try_uniform_(low, high).map(drop),
            Some(record),
        )
    }

    /// Copies `src` (broadcast) into this tensor. PyTorch equivalent: `x.copy_(src)`.
    ///
    /// # Errors
    /// If `src` does not broadcast to this shape, or outside `no_grad` on a
    /// leaf that requires grad or a view of one.
    pub fn try_copy_(&self, src: &Tensor) -> Result<Tensor> {
        let src_value = src.value();
        let record = as_out_of_place(false, |x: &Tensor| {
            let copied = x.raw().clone();
            copied.try_copy_(src.raw())?;
            let dtype = src.dtype();
            Ok(Tensor::from_differentiable(
                "CopyBackwards",
                copied,
                &[x, src],
                Save::NOTHING,
                move |g, _, needs| {
                    let to_self = needs[0].then(|| Tensor::new(g.raw().zeros_like()));
                    let to_src = match needs[1] {
                        true => Some(g.try_to_dtype(dtype)?),
                        false => None,
                    };
                    Ok([to_self, to_src].into())
                },
            ))
        });
        self.in_place(
            "copy_",
            &[src],
            |v| v.try_copy_(&src_value).map(drop),
            Some(record),
        )
    }

    /// `x += other` (broadcast into `x`'s shape). PyTorch equivalent: `x.add_(other)`.
    ///
    /// # Errors
    /// If `other` does not broadcast to this shape, or outside `no_grad` on
    /// a leaf that requires grad or a view of one.
    pub fn try_add_(&self, other: &Tensor) -> Result<Tensor> {
        let record = as_out_of_place(false, |x: &Tensor| x.try_add(other));
        self.in_place(
            "add_",
            &[other],
            |v| v.try_add_(other.raw()).map(drop),
            Some(record),
        )
    }

    /// `x += alpha * other` in one pass. PyTorch equivalent: `x.add_(other, alpha=alpha)`,
    /// the update of `torch.optim.SGD`.
    ///
    /// # Errors
    /// As [`try_add_`](Tensor::try_add_).
    pub fn try_add_scaled_(&self, other: &Tensor, alpha: f32) -> Result<Tensor> {
        let record = as_out_of_place(false, |x: &Tensor| x.try_add(&other.mul_scalar(alpha)));
        self.in_place(
            "add_",
            &[other],
            |v| v.try_add_scaled_(other.raw(), alpha).map(drop),
            Some(record),
        )
    }

    /// `x -= other`. PyTorch equivalent: `x.sub_(other)`; the tutorial's
    /// `param -= lr * param.grad / batch_size` under `no_grad`.
    ///
    /// # Errors
    /// As [`try_add_`](Tensor::try_add_).
    pub fn try_sub_(&self, other: &Tensor) -> Result<Tensor> {
        let record = as_out_of_place(false, |x: &Tensor| x.try_sub(other));
        self.in_place(
            "sub_",
            &[other],
            |v| v.try_sub_(other.raw()).map(drop),
            Some(record),
        )
    }

    /// `x *= other`. PyTorch equivalent: `x.mul_(other)`.
    ///
    /// # Errors
    /// As [`try_add_`](Tensor::try_add_).
    pub fn try_mul_(&self, other: &Tensor) -> Result<Tensor> {
        let record = as_out_of_place(true, |x: &Tensor| x.try_mul(other));
        self.in_place(
            "mul_",
            &[other],
            |v| v.try_mul_(other.raw()).map(drop),
            Some(record),
        )
    }

    /// `x /= other`. PyTorch equivalent: `x.div_(other)`.
    ///
    /// # Errors
    /// As [`try_add_`](Tensor::try_add_).
    pub fn try_div_(&self, other: &Tensor) -> Result<Tensor> {
        let record = as_out_of_place(true, |x: &Tensor| x.try_div(other));
        self.in_place(
            "div_",
            &[other],
            |v| v.try_div_(other.raw()).map(drop),
            Some(record),
        )
    }

    /// `x = f(x)` elementwise, in place; `f` is not differentiable, so this
    /// is refused where autograd would have to record it.
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
        if self.records_in_place(op, &[])? {
            return Err(AutogradError::InPlaceInGraph {
                op,
                detail: "the operation is not differentiable".into(),
            });
        }
        let mapped = self.value().try_map(op, f)?;
        self.write_value(|v| v.try_copy_(&mapped).map(drop))?;
        Ok(self.clone())
    }
}

panicking! {

    zero_ => try_zero_() -> Tensor;
    normal_ => try_normal_(mean: f64, std: f64) -> Tensor;
    uniform_ => try_uniform_(low: f64, high: f64) -> Tensor;
    copy_ => try_copy_(src: &Tensor) -> Tensor;
    add_ => try_add_(other: &Tensor) -> Tensor;
    add_scaled_ => try_add_scaled_(other: &Tensor, alpha: f32) -> Tensor;
    sub_ => try_sub_(other: &Tensor) -> Tensor;
    mul_ => try_mul_(other: &Tensor) -> Tensor;
    div_ => try_div_(other: &Tensor) -> Tensor;
}
