//! Convolutions and their derivatives. A convolution `y = B(x, w)` is
//! linear in each operand, and its two adjoints close the family:
//!
//! - `T(g, w)`, the input gradient (also the transposed convolution):
//!   `⟨B(x, w), g⟩ = ⟨x, T(g, w)⟩`;
//! - `W(x, g)`, the weight gradient: `⟨B(x, w), g⟩ = ⟨w, W(x, g)⟩`.
//!
//! Each of the three is recorded with a backward written in the other two,
//! so gradients of any order are available (`create_graph`). The kernels are
//! the `tensor` crate's 2-D ones; `conv1d` runs them on images of height 1,
//! and unbatched inputs on a batch of 1, inside the same node.

use tensor::ConvParams;

use super::panicking;
use crate::error::Result;
use crate::graph::Save;
use crate::tensor::{RawTensor, Tensor};

/// How a batched convolution's operands map onto the 2-D kernels' `[N, C, H, W]`.
#[derive(Clone, Copy, Debug)]
struct Layout {
    /// A 1-D convolution: a height-1 dim is inserted at 2 (`[N, C, 1, L]`).
    one_d: bool,
}

impl Layout {
    /// Whether an input of `input`'s shape is unbatched for a convolution of
    /// `rank` spatial dims, or PyTorch's error if it has the wrong rank.
    fn unbatched(op: &'static str, input: &[usize], rank: usize) -> Result<bool> {
        let dim = input.len();
        if dim != rank + 1 && dim != rank + 2 {
            return Err(tensor::TensorError::InvalidArgument {
                op,
                msg: format!(
                    "Expected {}D (unbatched) or {}D (batched) input to {op}, but got input of size: {input:?}",
                    rank + 1,
                    rank + 2
                ),
            }
            .into());
        }
        Ok(dim == rank + 1)
    }

    /// An input or output (or its gradient) as `[N, C, H, W]`.
    fn image(self, t: &Tensor) -> Result<Tensor> {
        match self.one_d {
            true => t.try_unsqueeze(2),
            false => Ok(t.clone()),
        }
    }

    /// The inverse of [`image`](Layout::image).
    fn unimage(self, t: Tensor) -> Result<Tensor> {
        match self.one_d {
            true => t.try_squeeze_dim(2),
            false => Ok(t),
        }
    }

    /// A weight as `[O, C/g, kH, kW]`.
    fn kernel(self, w: &Tensor) -> Result<Tensor> {
        match self.one_d {
            true => w.try_unsqueeze(2),
            false => Ok(w.clone()),
        }
    }

    /// The inverse of [`kernel`](Layout::kernel).
    fn unkernel(self, w: Tensor) -> Result<Tensor> {
        match self.one_d {
            true => w.try_squeeze_dim(2),
            false => Ok(w),
        }
    }

    fn raw_image(self, t: &RawTensor) -> Result<RawTensor> {
        Ok(if self.one_d {
            t.try_unsqueeze(2)?
        } else {
            t.alias()
        })
    }

    fn raw_unimage(self, t: RawTensor) -> Result<RawTensor> {
        Ok(if self.one_d { t.try_squeeze_dim(2)? } else { t })
    }

    fn raw_kernel(self, w: &RawTensor) -> Result<RawTensor> {
        Ok(if self.one_d {
            w.try_unsqueeze(2)?
        } else {
            w.alias()
        })
    }
}

/// `f()` if `need` (an input needs its gradient), else `None`.
fn when(need: bool, f: impl FnOnce() -> Result<Tensor>) -> Result<Option<Tensor>> {
    need.then(f).transpose()
}

/// The last two dims of a 4-D shape.
fn spatial(shape: &[usize]) -> [usize; 2] {
    [shape[2], shape[3]]
}

/// The bias gradient: the output gradient summed over all but the channel dim.
fn bias_grad(g: &Tensor) -> Result<Tensor> {
    let channels = g.shape()[1];
    g.try_sum_to_size(&[channels, 1, 1])?
        .try_reshape(&[channels as isize])
}

impl Tensor {
    /// 2-D convolution of `[N, C, H, W]` (or unbatched `[C, H, W]`) with
    /// `weight` `[O, C/groups, kH, kW]` and an optional `bias` `[O]`.
    /// PyTorch equivalent: `F.conv2d(input, weight, bias, stride, padding, dilation, groups)`.
    ///
    /// # Errors
    /// PyTorch's errors for shapes that do not fit, a zero stride or
    /// dilation, and non-float or mixed dtypes.
    pub fn try_conv2d(
        &self,
        weight: &Tensor,
        bias: Option<&Tensor>,
        params: ConvParams,
    ) -> Result<Tensor> {
        let unbatched = Layout::unbatched("conv2d", &self.shape(), 2)?;
        self.batched(unbatched, |x| {
            x.convolution(Layout { one_d: false }, weight, bias, params)
        })
    }

    /// `f` on this input with a batch dim of 1 added if `unbatched`, then
    /// removed from the result (PyTorch's `SqueezeBackward1`).
    fn batched(
        &self,
        unbatched: bool,
        f: impl FnOnce(&Tensor) -> Result<Tensor>,
    ) -> Result<Tensor> {
        match unbatched {
            true => f(&self.try_unsqueeze(0)?)?.try_squeeze_dim(0),
            false => f(self),
        }
    }

    /// 1-D convolution of `[N, C, L]` (or unbatched `[C, L]`) with `weight`
    /// `[O, C/groups, k]` and an optional `bias` `[O]`; `params` as
    /// [`ConvParams::conv1d`] makes them.
    /// PyTorch equivalent: `F.conv1d(input, weight, bias, stride, padding, dilation, groups)`.
    ///
    /// # Errors
    /// As [`try_conv2d`](Tensor::try_conv2d).
    pub fn try_conv1d(
        &self,
        weight: &Tensor,
        bias: Option<&Tensor>,
        params: ConvParams,
    ) -> Result<Tensor> {
        let unbatched = Layout::unbatched("conv1d", &self.shape(), 1)?;
        if weight.dim() != 3 {
            return Err(tensor::TensorError::InvalidArgument {
                op: "conv1d",
                msg: format!("expected a 3-D weight [out_channels, in_channels/groups, kW], but got weight of size {:?}", weight.shape()),
            }
            .into());
        }
        self.batched(unbatched, |x| {
            x.convolution(Layout { one_d: true }, weight, bias, params)
        })
    }

    /// The recorded convolution `B(x, w) + b` (PyTorch's `ConvolutionBackward0`).
    fn convolution(
        &self,
        layout: Layout,
        weight: &Tensor,
        bias: Option<&Tensor>,
        params: ConvParams,
    ) -> Result<Tensor> {
        let x = layout.raw_image(self.raw())?;
        let w = layout.raw_kernel(weight.raw())?;
        let value = layout.raw_unimage(x.try_conv2d(&w, bias.map(Tensor::raw), params)?)?;
        let (input_size, kernel_size) = (spatial(x.shape()), spatial(w.shape()));
        let mut inputs = vec![self, weight];
        inputs.extend(bias);
        Ok(Tensor::from_differentiable(
            "ConvolutionBackward0",
            value,
            &inputs,
            Save {
                inputs: &[0, 1],
                output: false,
            },
            move |g, s, needs| {
                // One contiguous copy of the output gradient (often an
                // expanded view), shared by the three gradients below.
                let g = layout.image(g)?.contiguous();
                let gx = when(needs[0], || {
                    layout.unimage(g.conv2d_input_grad(
                        &layout.kernel(&s[1])?,
                        params,
                        input_size,
                    )?)
                })?;
                let gw = when(needs[1], || {
                    layout.unkernel(layout.image(&s[0])?.conv2d_weight_grad(
                        &g,
                        params,
                        kernel_size,
                    )?)
                })?;
                let gb = match needs.get(2) {
                    Some(true) => Some(bias_grad(&g)?),
                    _ => None,
                };
                Ok([gx, gw, gb].into_iter().take(needs.len()).collect())
            },
        ))
    }

    /// `T(g, w)`: the input gradient of a 2-D convolution of an input of
    /// spatial size `input_size`, for the output gradient `self` (4-D).
    /// PyTorch equivalent: `torch.nn.grad.conv2d_input`.
    pub(crate) fn conv2d_input_grad(
        &self,
        weight: &Tensor,
        params: ConvParams,
        input_size: [usize; 2],
    ) -> Result<Tensor> {
        let value = self
            .raw()
            .try_conv2d_input_grad(weight.raw(), params, input_size)?;
        let kernel_size = spatial(weight.raw().shape());
        Ok(Tensor::from_differentiable(
            "ConvolutionBackwardBackward0",
            value,
            &[self, weight],
            Save {
                inputs: &[0, 1],
                output: false,
            },
            move |h, s, needs| {
                let (g, w) = (&s[0], &s[1]);
                let gg = when(needs[0], || h.conv2d_raw(w, params))?;
                let gw = when(needs[1], || h.conv2d_weight_grad(g, params, kernel_size))?;
                Ok([gg, gw].into())
            },
        ))
    }

    /// `W(x, g)`: the weight gradient of a 2-D convolution of the input
    /// `self` (4-D) with a kernel of `kernel_size`, for the output gradient `g`.
    /// PyTorch equivalent: `torch.nn.grad.conv2d_weight`.
    pub(crate) fn conv2d_weight_grad(
        &self,
        grad: &Tensor,
        params: ConvParams,
        kernel_size: [usize; 2],
    ) -> Result<Tensor> {
        let value = self
            .raw()
            .try_conv2d_weight_grad(grad.raw(), params, kernel_size)?;
        let input_size = spatial(self.raw().shape());
        Ok(Tensor::from_differentiable(
            "ConvolutionBackwardBackward0",
            value,
            &[self, grad],
            Save {
                inputs: &[0, 1],
                output: false,
            },
            move |v, s, needs| {
                let (x, g) = (&s[0], &s[1]);
                let gx = when(needs[0], || g.conv2d_input_grad(v, params, input_size))?;
                let gg = when(needs[1], || x.conv2d_raw(v, params))?;
                Ok([gx, gg].into())
            },
        ))
    }

    /// `B(x, w)` on 4-D operands, without bias (the adjoints' derivative).
    fn conv2d_raw(&self, weight: &Tensor, params: ConvParams) -> Result<Tensor> {
        self.convolution(Layout { one_d: false }, weight, None, params)
    }

    /// 2-D transposed convolution of `[N, C, H, W]` (or unbatched) with
    /// `weight` `[C, O/groups, kH, kW]`: the input gradient of the
    /// convolution that `params` describes, whose output is this input. The
    /// output's size is `(H - 1)·stride - 2·padding + dilation·(kH - 1) +
    /// output_padding + 1`. PyTorch equivalent:
    /// `F.conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups, dilation)`.
    ///
    /// # Errors
    /// PyTorch's errors for shapes that do not fit and an `output_padding`
    /// not smaller than the stride or the dilation.
    pub fn try_conv_transpose2d(
        &self,
        weight: &Tensor,
        bias: Option<&Tensor>,
        params: ConvParams,
        output_padding: [usize; 2],
    ) -> Result<Tensor> {
        const OP: &str = "conv_transpose2d";
        let unbatched = Layout::unbatched(OP, &self.shape(), 2)?;
        self.batched(unbatched, |x| {
            x.transposed_convolution(weight, bias, params, output_padding)
        })
    }

    /// [`try_conv_transpose2d`](Tensor::try_conv_transpose2d) of a batched input.
    fn transposed_convolution(
        &self,
        weight: &Tensor,
        bias: Option<&Tensor>,
        params: ConvParams,
        output_padding: [usize; 2],
    ) -> Result<Tensor> {
        const OP: &str = "conv_transpose2d";
        let layout = Layout { one_d: false };
        let invalid = |msg: String| -> crate::error::AutogradError {
            tensor::TensorError::InvalidArgument { op: OP, msg }.into()
        };
        for i in 0..2 {
            if output_padding[i] >= params.stride[i] && output_padding[i] >= params.dilation[i] {
                return Err(invalid(format!(
                    "output padding must be smaller than either stride or dilation, but got output_padding_height: {} output_padding_width: {} stride_height: {} stride_width: {} dilation_height: {} dilation_width: {}",
                    output_padding[0], output_padding[1], params.stride[0], params.stride[1], params.dilation[0], params.dilation[1]
                )));
            }
        }
        let x = layout.raw_image(self.raw())?;
        let w = weight.raw();
        if w.dim() != 4 || x.shape()[1] != w.shape()[0] {
            return Err(invalid(format!(
                "Given transposed=1, weight of size {:?}, expected input{:?} to have {} channels, but got {} channels instead",
                w.shape(),
                x.shape(),
                w.shape().first().copied().unwrap_or(0),
                x.shape()[1]
            )));
        }
        let [h, wd] = spatial(x.shape());
        let size = |i: usize, n: usize| -> Option<usize> {
            let span = params.dilation[i] * (w.shape()[2 + i].max(1) - 1) + output_padding[i] + 1;
            ((n.max(1) - 1) * params.stride[i] + span)
                .checked_sub(params.padding[i] + params.padding_end[i])
        };
        let output_size = match (size(0, h), size(1, wd)) {
            (Some(a), Some(b)) if a > 0 && b > 0 => [a, b],
            _ => return Err(invalid(format!("the output of a transposed convolution of input{:?} with weight {:?} would be empty", x.shape(), w.shape()))),
        };
        let mut value = x.try_conv2d_input_grad(w, params, output_size)?;
        if let Some(bias) = bias {
            value = value.try_add(&bias.raw().try_reshape(&[-1, 1, 1])?)?;
        }
        let value = layout.raw_unimage(value)?;
        let mut inputs = vec![self, weight];
        inputs.extend(bias);
        Ok(Tensor::from_differentiable(
            "ConvolutionBackward0",
            value,
            &inputs,
            Save {
                inputs: &[0, 1],
                output: false,
            },
            move |h, s, needs| {
                let h = layout.image(h)?;
                let gx = when(needs[0], || layout.unimage(h.conv2d_raw(&s[1], params)?))?;
                let gw = when(needs[1], || {
                    h.conv2d_weight_grad(&layout.image(&s[0])?, params, kernel_size(&s[1]))
                })?;
                let gb = match needs.get(2) {
                    Some(true) => Some(bias_grad(&h)?),
                    _ => None,
                };
                Ok([gx, gw, gb].into_iter().take(needs.len()).collect())
            },
        ))
    }
}

fn kernel_size(w: &Tensor) -> [usize; 2] {
    spatial(&w.shape())
}

panicking! {
    conv2d => try_conv2d(weight: &Tensor, bias: Option<&Tensor>, params: ConvParams) -> Tensor;
    conv1d => try_conv1d(weight: &Tensor, bias: Option<&Tensor>, params: ConvParams) -> Tensor;
    conv_transpose2d => try_conv_transpose2d(weight: &Tensor, bias: Option<&Tensor>, params: ConvParams, output_padding: [usize; 2]) -> Tensor;
}
