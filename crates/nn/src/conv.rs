//! Convolution layers (`Conv1d`, `Conv2d`, `ConvTranspose2d`), their
//! options, and their functional forms.

use autograd::{ConvParams, Result, Tensor};
use tensor::TensorError;

use crate::hooks::ModuleHooks;
use crate::module::Module;
use crate::or_panic;

/// A size given once for both spatial dims (`3`) or per dim (`[3, 5]`), as
/// PyTorch's `int or tuple` arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pair(pub [usize; 2]);

impl From<usize> for Pair {
    fn from(n: usize) -> Pair {
        Pair([n, n])
    }
}

impl From<[usize; 2]> for Pair {
    fn from(pair: [usize; 2]) -> Pair {
        Pair(pair)
    }
}

impl From<(usize, usize)> for Pair {
    fn from((a, b): (usize, usize)) -> Pair {
        Pair([a, b])
    }
}

/// A convolution's padding: zeros on both sides of each spatial dim, or
/// PyTorch's `"same"` (the output as large as the input; stride 1 only) and
/// `"valid"` (none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Padding {
    /// `padding=n` or `padding=(h, w)`.
    Zeros([usize; 2]),
    /// `padding="same"`: `dilation · (kernel - 1)` zeros in all, the extra one at the end.
    Same,
    /// `padding="valid"`: no padding.
    Valid,
}

impl From<usize> for Padding {
    fn from(n: usize) -> Padding {
        Padding::Zeros([n, n])
    }
}

impl From<[usize; 2]> for Padding {
    fn from(pair: [usize; 2]) -> Padding {
        Padding::Zeros(pair)
    }
}

/// The options of a convolution layer beyond its channels and kernel size,
/// with PyTorch's defaults (stride 1, no padding, dilation 1, one group,
/// a bias): `ConvOptions::new().stride(2).padding(1)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvOptions {
    /// `stride`.
    pub stride: Pair,
    /// `padding`.
    pub padding: Padding,
    /// `dilation`.
    pub dilation: Pair,
    /// `groups`.
    pub groups: usize,
    /// `bias`: whether the layer has one.
    pub bias: bool,
    /// `output_padding` (transposed convolutions only).
    pub output_padding: Pair,
}

impl Default for ConvOptions {
    fn default() -> ConvOptions {
        ConvOptions {
            stride: Pair([1, 1]),
            padding: Padding::Zeros([0, 0]),
            dilation: Pair([1, 1]),
            groups: 1,
            bias: true,
            output_padding: Pair([0, 0]),
        }
    }
}

impl ConvOptions {
    /// PyTorch's defaults.
    pub fn new() -> ConvOptions {
        ConvOptions::default()
    }
    /// Sets `stride`.
    pub fn stride(self, stride: impl Into<Pair>) -> ConvOptions {
        ConvOptions {
            stride: stride.into(),
            ..self
        }
    }
    /// Sets `padding` (`1`, `[1, 2]`, `Padding::Same`, `Padding::Valid`).
    pub fn padding(self, padding: impl Into<Padding>) -> ConvOptions {
        ConvOptions {
            padding: padding.into(),
            ..self
        }
    }
    /// Sets `dilation`.
    pub fn dilation(self, dilation: impl Into<Pair>) -> ConvOptions {
        ConvOptions {
            dilation: dilation.into(),
            ..self
        }
    }
    /// Sets `groups`.
    pub fn groups(self, groups: usize) -> ConvOptions {
        ConvOptions { groups, ..self }
    }
    /// Sets `bias`.
    pub fn bias(self, bias: bool) -> ConvOptions {
        ConvOptions { bias, ..self }
    }
    /// Sets `output_padding` (transposed convolutions).
    pub fn output_padding(self, output_padding: impl Into<Pair>) -> ConvOptions {
        ConvOptions {
            output_padding: output_padding.into(),
            ..self
        }
    }

    /// The kernels' parameters for a kernel of `kernel` (height, width).
    fn params(&self, op: &'static str, kernel: [usize; 2]) -> Result<ConvParams> {
        let (stride, dilation) = (self.stride.0, self.dilation.0);
        let (padding, padding_end) = match self.padding {
            Padding::Zeros(p) => (p, p),
            Padding::Valid => ([0, 0], [0, 0]),
            Padding::Same => {
                if stride != [1, 1] {
                    return Err(invalid(
                        op,
                        "padding='same' is not supported for strided convolutions".into(),
                    ));
                }
                let total = [0, 1].map(|i| dilation[i] * (kernel[i].max(1) - 1));
                (
                    [total[0] / 2, total[1] / 2],
                    [total[0] - total[0] / 2, total[1] - total[1] / 2],
                )
            }
        };
        Ok(ConvParams {
            stride,
            padding,
            padding_end,
            dilation,
            groups: self.groups,
        })
    }

    /// The 1-D parameters: the width component of each option.
    fn params_1d(&self, op: &'static str, kernel: usize) -> Result<ConvParams> {
        let p = self.params(op, [1, kernel])?;
        Ok(ConvParams::conv1d(
            p.stride[1],
            [p.padding[1], p.padding_end[1]],
            p.dilation[1],
            p.groups,
        ))
    }
}

fn invalid(op: &'static str, msg: String) -> autograd::AutogradError {
    TensorError::InvalidArgument { op, msg }.into()
}

/// PyTorch equivalent: `F.conv2d(input, weight, bias, stride, padding, dilation, groups)`
/// (the options' `bias` and `output_padding` are not used: pass the bias).
///
/// # Errors
/// PyTorch's errors for shapes that do not fit, and `padding="same"` with a stride.
pub fn conv2d(
    input: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    options: ConvOptions,
) -> Result<Tensor> {
    let shape = weight.shape();
    let kernel = match shape.len() {
        4 => [shape[2], shape[3]],
        _ => [1, 1], // the kernel reports the weight's rank
    };
    input.try_conv2d(weight, bias, options.params("conv2d", kernel)?)
}

/// PyTorch equivalent: `F.conv1d(input, weight, bias, stride, padding, dilation, groups)`
/// (each option's width component is used).
///
/// # Errors
/// As [`conv2d`].
pub fn conv1d(
    input: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    options: ConvOptions,
) -> Result<Tensor> {
    let kernel = weight.shape().get(2).copied().unwrap_or(1);
    input.try_conv1d(weight, bias, options.params_1d("conv1d", kernel)?)
}

/// PyTorch equivalent: `F.conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups, dilation)`
/// with `weight` `[in_channels, out_channels/groups, kH, kW]`.
///
/// # Errors
/// PyTorch's errors for shapes that do not fit and for an `output_padding`
/// not smaller than the stride or the dilation; `"same"`/`"valid"` padding.
pub fn conv_transpose2d(
    input: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    options: ConvOptions,
) -> Result<Tensor> {
    let padding = match options.padding {
        Padding::Zeros(p) => p,
        _ => {
            return Err(invalid(
                "conv_transpose2d",
                "padding must be a number or a pair of numbers, not 'same' or 'valid'".into(),
            ))
        }
    };
    let (stride, dilation) = (options.stride.0, options.dilation.0);
    let params = ConvParams::new(stride, padding, dilation, options.groups);
    input.try_conv_transpose2d(weight, bias, params, options.output_padding.0)
}

/// Checks PyTorch's constructor rules on channels and groups.
fn check_channels(
    op: &'static str,
    in_channels: usize,
    out_channels: usize,
    groups: usize,
) -> Result<()> {
    if groups == 0 {
        return Err(invalid(op, "groups must be a positive integer".into()));
    }
    if !in_channels.is_multiple_of(groups) {
        return Err(invalid(
            op,
            "in_channels must be divisible by groups".into(),
        ));
    }
    if !out_channels.is_multiple_of(groups) {
        return Err(invalid(
            op,
            "out_channels must be divisible by groups".into(),
        ));
    }
    Ok(())
}

/// Declares a convolution layer: the struct, accessors and `Module`
/// implementation; `$forward` is its functional form.
macro_rules! conv_layer {
    ($(#[$doc:meta])* $name:ident, $torch:literal, $forward:path) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $name {
            weight: Tensor,
            bias: Option<Tensor>,
            /// The options it was made with.
            pub options: ConvOptions,
            hooks: ModuleHooks,
        }

        impl $name {
            /// The weight. PyTorch: `conv.weight`.
            pub fn weight(&self) -> &Tensor {
                &self.weight
            }

            /// The bias `[out_channels]`, if any. PyTorch: `conv.bias`.
            pub fn bias(&self) -> Option<&Tensor> {
                self.bias.as_ref()
            }

            #[doc = concat!("Panicking form of `try_with_options`: ", $torch, ".")]
            ///
            /// # Panics
            /// If the channels do not divide into the groups, or the weight is too large to hold.
            #[track_caller]
            pub fn with_options(in_channels: usize, out_channels: usize, kernel_size: impl Into<Pair>, options: ConvOptions) -> $name {
                or_panic($name::try_with_options(in_channels, out_channels, kernel_size, options))
            }

            #[doc = concat!("A layer with PyTorch's default options: `", $torch, "`.")]
            ///
            /// # Panics
            /// If the weight is too large to hold.
            #[track_caller]
            pub fn new(in_channels: usize, out_channels: usize, kernel_size: impl Into<Pair>) -> $name {
                $name::with_options(in_channels, out_channels, kernel_size, ConvOptions::default())
            }
        }

        impl Module for $name {
            fn try_forward(&self, input: &Tensor) -> Result<Tensor> {
                $forward(input, &self.weight, self.bias.as_ref(), self.options)
            }

            fn hooks(&self) -> Option<&ModuleHooks> {
                Some(&self.hooks)
            }

            fn named_parameters(&self) -> Vec<(String, Tensor)> {
                let mut params = vec![("weight".to_string(), self.weight.clone())];
                params.extend(self.bias.iter().map(|b| ("bias".to_string(), b.clone())));
                params
            }

            fn parameters_mut(&mut self) -> Vec<&mut Tensor> {
                let mut params = vec![&mut self.weight];
                params.extend(self.bias.as_mut());
                params
            }
        }
    };
}

conv_layer! {
    /// A 2-D convolution over `[N, C, H, W]` (or `[C, H, W]`) with a weight
    /// `[out_channels, in_channels/groups, kH, kW]`, initialised as PyTorch
    /// does (uniform in `±1/√fan_in`, `fan_in = in_channels/groups · kH · kW`).
    /// Cloning shares the parameters (see [`Module`]).
    /// PyTorch equivalent: `nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias)`.
    Conv2d, "nn.Conv2d(in_channels, out_channels, kernel_size)", conv2d
}

conv_layer! {
    /// A 1-D convolution over `[N, C, L]` (or `[C, L]`) with a weight
    /// `[out_channels, in_channels/groups, k]` (each option's width
    /// component is used), initialised as PyTorch does.
    /// PyTorch equivalent: `nn.Conv1d(in_channels, out_channels, kernel_size, ...)`.
    Conv1d, "nn.Conv1d(in_channels, out_channels, kernel_size)", conv1d
}

conv_layer! {
    /// A 2-D transposed convolution (the gradient of a convolution with
    /// respect to its input) with a weight `[in_channels,
    /// out_channels/groups, kH, kW]`, initialised as PyTorch does
    /// (`fan_in = out_channels/groups · kH · kW`).
    /// PyTorch equivalent: `nn.ConvTranspose2d(in_channels, out_channels, kernel_size, stride, padding, output_padding, groups, bias, dilation)`.
    ConvTranspose2d, "nn.ConvTranspose2d(in_channels, out_channels, kernel_size)", conv_transpose2d
}

impl Conv2d {
    /// A layer with the given options. PyTorch equivalent:
    /// `nn.Conv2d(in_channels, out_channels, kernel_size, stride=, padding=, dilation=, groups=, bias=)`.
    ///
    /// # Errors
    /// If the channels do not divide into the groups, `padding="same"` with
    /// a stride, or the weight is too large to hold.
    pub fn try_with_options(
        in_channels: usize,
        out_channels: usize,
        kernel_size: impl Into<Pair>,
        options: ConvOptions,
    ) -> Result<Conv2d> {
        const OP: &str = "Conv2d";
        check_channels(OP, in_channels, out_channels, options.groups)?;
        let [kh, kw] = kernel_size.into().0;
        options.params(OP, [kh, kw])?;
        let fan_in = in_channels / options.groups * kh * kw;
        let shape = [out_channels, in_channels / options.groups, kh, kw];
        let (weight, bias) = crate::init::default_parameters(
            OP,
            &shape,
            fan_in,
            options.bias.then_some(out_channels),
        )?;
        Ok(Conv2d {
            weight,
            bias,
            options,
            hooks: ModuleHooks::new(),
        })
    }
}

impl Conv1d {
    /// A layer with the given options (width components). PyTorch equivalent:
    /// `nn.Conv1d(in_channels, out_channels, kernel_size, stride=, padding=, dilation=, groups=, bias=)`.
    ///
    /// # Errors
    /// As [`Conv2d::try_with_options`].
    pub fn try_with_options(
        in_channels: usize,
        out_channels: usize,
        kernel_size: impl Into<Pair>,
        options: ConvOptions,
    ) -> Result<Conv1d> {
        const OP: &str = "Conv1d";
        check_channels(OP, in_channels, out_channels, options.groups)?;
        let k = kernel_size.into().0[1];
        options.params_1d(OP, k)?;
        let fan_in = in_channels / options.groups * k;
        let shape = [out_channels, in_channels / options.groups, k];
        let (weight, bias) = crate::init::default_parameters(
            OP,
            &shape,
            fan_in,
            options.bias.then_some(out_channels),
        )?;
        Ok(Conv1d {
            weight,
            bias,
            options,
            hooks: ModuleHooks::new(),
        })
    }
}

impl ConvTranspose2d {
    /// A layer with the given options. PyTorch equivalent:
    /// `nn.ConvTranspose2d(in_channels, out_channels, kernel_size, stride=, padding=, output_padding=, groups=, bias=, dilation=)`.
    ///
    /// # Errors
    /// If the channels do not divide into the groups, the padding is
    /// `"same"`/`"valid"`, or the weight is too large to hold.
    pub fn try_with_options(
        in_channels: usize,
        out_channels: usize,
        kernel_size: impl Into<Pair>,
        options: ConvOptions,
    ) -> Result<ConvTranspose2d> {
        const OP: &str = "ConvTranspose2d";
        check_channels(OP, in_channels, out_channels, options.groups)?;
        if !matches!(options.padding, Padding::Zeros(_)) {
            return Err(invalid(
                OP,
                "Only \"zeros\" padding mode is supported for ConvTranspose2d".into(),
            ));
        }
        let [kh, kw] = kernel_size.into().0;
        let fan_in = out_channels / options.groups * kh * kw;
        let shape = [in_channels, out_channels / options.groups, kh, kw];
        let (weight, bias) = crate::init::default_parameters(
            OP,
            &shape,
            fan_in,
            options.bias.then_some(out_channels),
        )?;
        Ok(ConvTranspose2d {
            weight,
            bias,
            options,
            hooks: ModuleHooks::new(),
        })
    }
}
