//! Pooling layers (`MaxPool2d`, `AvgPool2d`, `AdaptiveAvgPool2d`,
//! `AdaptiveMaxPool2d`) and their functional forms, over `[N, C, H, W]` or
//! `[C, H, W]`.

use autograd::{PoolWindows, Result, Tensor};
use tensor::TensorError;

use crate::conv::Pair;
use crate::hooks::ModuleHooks;
use crate::module::Module;

/// The shape of a 3-D or 4-D input, or PyTorch's error.
fn spatial(op: &'static str, x: &Tensor) -> Result<Vec<usize>> {
    let shape = x.shape();
    let non_empty = shape.iter().skip(1).all(|&d| d > 0);
    if !(shape.len() == 3 || shape.len() == 4) || !non_empty {
        return Err(TensorError::InvalidArgument {
            op,
            msg: format!("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got: {shape:?}"),
        }
        .into());
    }
    Ok(shape)
}

/// The windows of a max pooling of `x`.
fn max_windows(x: &Tensor, options: &MaxPool2d) -> Result<PoolWindows> {
    let input = spatial("max_pool2d", x)?;
    let kernel = options.kernel_size.0;
    let stride = options.stride.unwrap_or(options.kernel_size).0;
    Ok(PoolWindows::try_max(
        &input,
        kernel,
        stride,
        options.padding.0,
        options.dilation.0,
        options.ceil_mode,
    )?)
}

/// PyTorch equivalent: `F.max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode)`;
/// `options.stride` of `None` is the kernel size.
///
/// # Errors
/// A non 3-D/4-D input, a zero kernel or stride, padding over half the
/// kernel, or an empty output (PyTorch's messages).
pub fn max_pool2d(x: &Tensor, options: &MaxPool2d) -> Result<Tensor> {
    Ok(max_pool2d_with_indices(x, options)?.0)
}

/// The pooled values and the flat index (`h · W + w`) of each maximum in its
/// plane. PyTorch equivalent: `F.max_pool2d(x, ..., return_indices=True)`.
///
/// # Errors
/// As [`max_pool2d`].
pub fn max_pool2d_with_indices(x: &Tensor, options: &MaxPool2d) -> Result<(Tensor, Tensor)> {
    x.try_max_pool2d_with_windows(&max_windows(x, options)?, false)
}

/// PyTorch equivalent: `F.avg_pool2d(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)`.
///
/// # Errors
/// As [`max_pool2d`]; a zero `divisor_override`.
pub fn avg_pool2d(x: &Tensor, options: &AvgPool2d) -> Result<Tensor> {
    let input = spatial("avg_pool2d", x)?;
    let stride = options.stride.unwrap_or(options.kernel_size).0;
    let windows = PoolWindows::try_avg(
        &input,
        options.kernel_size.0,
        stride,
        options.padding.0,
        options.ceil_mode,
        options.count_include_pad,
    )?;
    x.try_avg_pool2d_with_windows(&windows, options.divisor_override, false)
}

/// PyTorch equivalent: `F.adaptive_avg_pool2d(x, output_size)`.
///
/// # Errors
/// A non 3-D/4-D input or a zero output size.
pub fn adaptive_avg_pool2d(x: &Tensor, output_size: impl Into<Pair>) -> Result<Tensor> {
    let input = spatial("adaptive_avg_pool2d", x)?;
    let output_size = output_size.into().0;
    if output_size == [1, 1] {
        // As PyTorch: a global average is a mean (`MeanBackward1`).
        return x.try_mean_dim(-1, true)?.try_mean_dim(-2, true);
    }
    let windows = PoolWindows::try_adaptive(&input, output_size)?;
    x.try_avg_pool2d_with_windows(&windows, None, true)
}

/// The pooled values and the flat index of each maximum in its plane.
/// PyTorch equivalent: `F.adaptive_max_pool2d(x, output_size, return_indices=True)`.
///
/// # Errors
/// A non 3-D/4-D input or a zero output size.
pub fn adaptive_max_pool2d_with_indices(
    x: &Tensor,
    output_size: impl Into<Pair>,
) -> Result<(Tensor, Tensor)> {
    let input = spatial("adaptive_max_pool2d", x)?;
    let windows = PoolWindows::try_adaptive(&input, output_size.into().0)?;
    x.try_max_pool2d_with_windows(&windows, true)
}

/// PyTorch equivalent: `F.adaptive_max_pool2d(x, output_size)`.
///
/// # Errors
/// As [`adaptive_max_pool2d_with_indices`].
pub fn adaptive_max_pool2d(x: &Tensor, output_size: impl Into<Pair>) -> Result<Tensor> {
    Ok(adaptive_max_pool2d_with_indices(x, output_size)?.0)
}

/// The maximum of each window. PyTorch equivalent:
/// `nn.MaxPool2d(kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False)`;
/// for `return_indices=True` call [`forward_with_indices`](MaxPool2d::forward_with_indices).
#[derive(Clone, Debug)]
pub struct MaxPool2d {
    /// `kernel_size`.
    pub kernel_size: Pair,
    /// `stride` (`None`: the kernel size).
    pub stride: Option<Pair>,
    /// `padding` (implicit −∞ on both sides).
    pub padding: Pair,
    /// `dilation`.
    pub dilation: Pair,
    /// `ceil_mode`: round the output size up.
    pub ceil_mode: bool,
    hooks: ModuleHooks,
}

impl MaxPool2d {
    /// `nn.MaxPool2d(kernel_size)`: stride = kernel size, no padding.
    pub fn new(kernel_size: impl Into<Pair>) -> MaxPool2d {
        MaxPool2d {
            kernel_size: kernel_size.into(),
            stride: None,
            padding: Pair([0, 0]),
            dilation: Pair([1, 1]),
            ceil_mode: false,
            hooks: ModuleHooks::new(),
        }
    }
    /// Sets `stride`.
    pub fn stride(self, stride: impl Into<Pair>) -> MaxPool2d {
        MaxPool2d {
            stride: Some(stride.into()),
            ..self
        }
    }
    /// Sets `padding`.
    pub fn padding(self, padding: impl Into<Pair>) -> MaxPool2d {
        MaxPool2d {
            padding: padding.into(),
            ..self
        }
    }
    /// Sets `dilation`.
    pub fn dilation(self, dilation: impl Into<Pair>) -> MaxPool2d {
        MaxPool2d {
            dilation: dilation.into(),
            ..self
        }
    }
    /// Sets `ceil_mode`.
    pub fn ceil_mode(self, ceil_mode: bool) -> MaxPool2d {
        MaxPool2d { ceil_mode, ..self }
    }
    /// The output and the indices of the maxima (PyTorch's `return_indices=True`).
    ///
    /// # Errors
    /// As [`max_pool2d`].
    pub fn forward_with_indices(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        max_pool2d_with_indices(x, self)
    }
}

/// The mean of each window. PyTorch equivalent:
/// `nn.AvgPool2d(kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None)`.
#[derive(Clone, Debug)]
pub struct AvgPool2d {
    /// `kernel_size`.
    pub kernel_size: Pair,
    /// `stride` (`None`: the kernel size).
    pub stride: Option<Pair>,
    /// `padding` (implicit zeros on both sides).
    pub padding: Pair,
    /// `ceil_mode`: round the output size up.
    pub ceil_mode: bool,
    /// `count_include_pad`: padding zeros count in the divisor.
    pub count_include_pad: bool,
    /// `divisor_override`: divide every window's sum by this.
    pub divisor_override: Option<usize>,
    hooks: ModuleHooks,
}

impl AvgPool2d {
    /// `nn.AvgPool2d(kernel_size)`: stride = kernel size, no padding.
    pub fn new(kernel_size: impl Into<Pair>) -> AvgPool2d {
        AvgPool2d {
            kernel_size: kernel_size.into(),
            stride: None,
            padding: Pair([0, 0]),
            ceil_mode: false,
            count_include_pad: true,
            divisor_override: None,
            hooks: ModuleHooks::new(),
        }
    }
    /// Sets `stride`.
    pub fn stride(self, stride: impl Into<Pair>) -> AvgPool2d {
        AvgPool2d {
            stride: Some(stride.into()),
            ..self
        }
    }
    /// Sets `padding`.
    pub fn padding(self, padding: impl Into<Pair>) -> AvgPool2d {
        AvgPool2d {
            padding: padding.into(),
            ..self
        }
    }
    /// Sets `ceil_mode`.
    pub fn ceil_mode(self, ceil_mode: bool) -> AvgPool2d {
        AvgPool2d { ceil_mode, ..self }
    }
    /// Sets `count_include_pad`.
    pub fn count_include_pad(self, count_include_pad: bool) -> AvgPool2d {
        AvgPool2d {
            count_include_pad,
            ..self
        }
    }
    /// Sets `divisor_override`.
    pub fn divisor_override(self, divisor: usize) -> AvgPool2d {
        AvgPool2d {
            divisor_override: Some(divisor),
            ..self
        }
    }
}

/// Averages over windows chosen to give `output_size`. PyTorch equivalent:
/// `nn.AdaptiveAvgPool2d(output_size)`.
#[derive(Clone, Debug)]
pub struct AdaptiveAvgPool2d {
    /// `output_size` (height, width).
    pub output_size: Pair,
    hooks: ModuleHooks,
}

impl AdaptiveAvgPool2d {
    /// `nn.AdaptiveAvgPool2d(output_size)`.
    pub fn new(output_size: impl Into<Pair>) -> AdaptiveAvgPool2d {
        AdaptiveAvgPool2d {
            output_size: output_size.into(),
            hooks: ModuleHooks::new(),
        }
    }
}

/// Maxima over windows chosen to give `output_size`. PyTorch equivalent:
/// `nn.AdaptiveMaxPool2d(output_size)`.
#[derive(Clone, Debug)]
pub struct AdaptiveMaxPool2d {
    /// `output_size` (height, width).
    pub output_size: Pair,
    hooks: ModuleHooks,
}

impl AdaptiveMaxPool2d {
    /// `nn.AdaptiveMaxPool2d(output_size)`.
    pub fn new(output_size: impl Into<Pair>) -> AdaptiveMaxPool2d {
        AdaptiveMaxPool2d {
            output_size: output_size.into(),
            hooks: ModuleHooks::new(),
        }
    }
}

/// The `Module` implementation of a pooling layer: `$forward` given the layer.
macro_rules! pooling_module {
    ($($name:ident => |$layer:ident, $x:ident| $forward:expr;)*) => {$(
        impl Module for $name {
            fn try_forward(&self, $x: &Tensor) -> Result<Tensor> {
                let $layer = self;
                $forward
            }

            fn hooks(&self) -> Option<&ModuleHooks> {
                Some(&self.hooks)
            }
        }
    )*};
}

pooling_module! {
    MaxPool2d => |layer, x| max_pool2d(x, layer);
    AvgPool2d => |layer, x| avg_pool2d(x, layer);
    AdaptiveAvgPool2d => |layer, x| adaptive_avg_pool2d(x, layer.output_size);
    AdaptiveMaxPool2d => |layer, x| adaptive_max_pool2d(x, layer.output_size);
}
