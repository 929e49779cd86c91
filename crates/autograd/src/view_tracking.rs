//! Views and in-place operations, as PyTorch tracks them: a view made under
//! grad mode remembers its base; an in-place operation recorded on a view
//! rebases the base's history onto a `CopySlices` node; and a view whose
//! base's history changed since gets its own regenerated as an
//! `AsStridedBackward0` node reading its region of the base, the first time
//! its history is needed. Only contiguous bases are supported: an in-place
//! operation that would need another is refused.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::{AutogradError, Result};
use crate::grad_mode::is_grad_enabled;
use crate::graph::Save;
use crate::ops::{linear_map, one};
use crate::tensor::{RawTensor, Tensor};

/// What a view remembers of its base.
pub(crate) struct ViewOf {
    /// The base that is not itself a view.
    pub(crate) base: Tensor,
    /// How many in-place operations the base had when this view's history
    /// was last current (see [`Tensor::rebase_count`]).
    seen: AtomicUsize,
}

/// Where a view lies in its (contiguous) base: PyTorch's `as_strided`
/// geometry, applied to gradients of the base's shape.
#[derive(Clone)]
struct Region {
    base_shape: Vec<usize>,
    size: Vec<usize>,
    stride: Vec<usize>,
    offset: usize,
}

impl Region {
    /// The region of `view` in `base`, which must be contiguous.
    fn of(view: &Tensor, base: &Tensor) -> Region {
        Region {
            base_shape: base.shape(),
            size: view.shape(),
            stride: view.raw().stride().to_vec(),
            offset: view.raw().storage_offset() - base.raw().storage_offset(),
        }
    }

    /// The region of `g` (a gradient of the base's shape) as a contiguous
    /// tensor; recorded as a linear map whose adjoint is [`put`](Region::put).
    fn take(&self, g: &Tensor) -> Result<Tensor> {
        let adjoint = self.clone();
        linear_map(
            "AsStridedBackward0",
            g,
            |g| {
                let g = g.try_contiguous()?;
                let offset = g.storage_offset() + self.offset;
                Ok(g.try_as_strided(&self.size, &self.stride, offset)?
                    .try_contiguous()?)
            },
            move |gg| adjoint.put(gg),
        )
    }

    /// `g` (a gradient of the view's shape) placed in zeros of the base's
    /// shape; recorded as a linear map whose adjoint is [`take`](Region::take).
    fn put(&self, g: &Tensor) -> Result<Tensor> {
        let adjoint = self.clone();
        linear_map(
            "AsStridedScatterBackward0",
            g,
            |g| {
                let base = RawTensor::try_zeros_dtype(&self.base_shape, g.dtype())?;
                base.try_as_strided(&self.size, &self.stride, self.offset)?
                    .try_add_(g)?;
                Ok(base)
            },
            move |gg| adjoint.take(gg),
        )
    }

    /// `g` (a gradient of the base's shape) with the region set to zero
    /// (what the in-place operation overwrote); its own adjoint.
    fn zero_region(&self, g: &Tensor) -> Result<Tensor> {
        let adjoint = self.clone();
        linear_map(
            "CopySlicesBackward",
            g,
            |g| {
                let copy = g.clone();
                let offset = copy.storage_offset() + self.offset;
                copy.try_as_strided(&self.size, &self.stride, offset)?
                    .try_fill_(0.0)?;
                Ok(copy)
            },
            move |gg| adjoint.zero_region(gg),
        )
    }
}

impl Tensor {
    /// Records that this tensor is a view of `base` (of `base`'s own base
    /// if `base` is a view), under grad mode; returns the tensor.
    pub(crate) fn viewing(self, base: &Tensor) -> Tensor {
        if is_grad_enabled() && self.raw().shares_storage(base.raw()) {
            let root = base.view_base().unwrap_or(base);
            let _ = self.0.view_of.set(ViewOf {
                base: root.clone(),
                seen: AtomicUsize::new(root.rebase_count()),
            });
        }
        self
    }

    /// The tensor this one is a view of (see [`viewing`](Tensor::viewing)).
    pub(crate) fn view_base(&self) -> Option<&Tensor> {
        self.0.view_of.get().map(|view| &view.base)
    }

    /// Regenerates this view's history if its base was modified in place
    /// since it was last current: an `AsStridedBackward0` node reading the
    /// view's region of the base's new history (PyTorch does the same when
    /// it next reads the view's `grad_fn`).
    pub(crate) fn refresh_view_history(&self, view: &ViewOf) {
        let count = view.base.rebase_count();
        if view.seen.swap(count, Ordering::AcqRel) == count {
            return;
        }
        let region = Region::of(self, &view.base);
        let regenerated = Tensor::from_differentiable(
            "AsStridedBackward0",
            self.value(),
            &[&view.base],
            Save::NOTHING,
            move |g, _, _| one(region.put(g)?),
        );
        if let Some(node) = regenerated.grad_fn_node() {
            self.rebase_history(node.clone());
        }
    }

    /// Whether an in-place op named `op` on this tensor, reading `operands`,
    /// must be recorded (grad mode on, and this tensor or an operand
    /// requires grad), with PyTorch's refusals: a leaf that requires grad,
    /// or a view of one. Also refused: an op on a view of a base, or on a
    /// base with views, that is not contiguous (its views' regions could
    /// not be expressed).
    pub(crate) fn records_in_place(&self, op: &'static str, operands: &[&Tensor]) -> Result<bool> {
        if !is_grad_enabled()
            || !(self.requires_grad() || operands.iter().any(|t| t.requires_grad()))
        {
            return Ok(false);
        }
        if self.requires_grad() && self.is_leaf() {
            return Err(AutogradError::InPlaceOnLeaf { op });
        }
        if let Some(base) = self.view_base() {
            if base.requires_grad() && base.is_leaf() {
                return Err(AutogradError::InPlaceOnViewOfLeaf { op });
            }
            if !base.raw().is_contiguous() {
                return Err(AutogradError::InPlaceInGraph {
                    op,
                    detail: "the view's base is not contiguous".into(),
                });
            }
        } else if !self.raw().is_contiguous() && !self.raw().is_unique() {
            return Err(AutogradError::InPlaceInGraph {
                op,
                detail: "the tensor is not contiguous and may have views".into(),
            });
        }
        Ok(true)
    }

    /// After an in-place op whose out-of-place twin gave `result` (already
    /// written into this tensor): makes its node this tensor's `grad_fn`,
    /// or, for a view, records `CopySlices` on the base. The base's other
    /// views regenerate their history when next used.
    pub(crate) fn record_in_place_history(&self, result: &Tensor) {
        let Some(base) = self.view_base() else {
            if let Some(node) = result.grad_fn_node() {
                self.rebase_history(node.clone());
            }
            return;
        };
        let region = Region::of(self, base);
        let previous = Tensor::with_history_of(base, base.value());
        let copy = Tensor::from_differentiable(
            "CopySlices",
            base.value(),
            &[&previous, result],
            Save::NOTHING,
            move |g, _, needs| {
                let outside = match needs[0] {
                    true => Some(region.zero_region(g)?),
                    false => None,
                };
                let within = match needs[1] {
                    true => Some(region.take(g)?),
                    false => None,
                };
                Ok([outside, within].into())
            },
        );
        if let Some(node) = copy.grad_fn_node() {
            base.rebase_history(node.clone());
        }
    }
}
