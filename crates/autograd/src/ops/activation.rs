//! Activation functions beyond relu/sigmoid/tanh, with PyTorch's formulas
//! and conventions at kinks. Each backward is differentiable, so second
//! derivatives follow.

use std::f64::consts::{FRAC_1_SQRT_2, PI};

use super::{masked, one, panicking};
use crate::error::Result;
use crate::graph::Save;
use crate::tensor::Tensor;

const SAVE_INPUT: Save<'static> = Save {
    inputs: &[0],
    output: false,
};

/// `1 / sqrt(2π)`, the standard normal density at 0.
const FRAC_1_SQRT_2PI: f64 = 0.398_942_280_401_432_7;

/// The approximation GELU uses. PyTorch: `approximate='none' | 'tanh'`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum GeluApproximate {
    /// `x Φ(x)` with the exact normal CDF.
    #[default]
    None,
    /// `0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))`.
    Tanh,
}

impl Tensor {
    /// `x` where positive, `negative_slope · x` elsewhere (the gradient at 0
    /// is the slope's, as PyTorch's). PyTorch equivalent: `F.leaky_relu(x, negative_slope)`.
    pub fn leaky_relu(&self, negative_slope: f64) -> Tensor {
        let slope32 = negative_slope as f32;
        let value = tensor::float_map!(self.raw(), "leaky_relu", |x| if x > 0.0 {
            x
        } else {
            x * slope_of(x, slope32, negative_slope)
        });
        Tensor::from_differentiable(
            "LeakyReluBackward0",
            value.expect("a float tensor"),
            &[self],
            SAVE_INPUT,
            move |g, s, _| {
                let share = tensor::float_map!(s[0].raw(), "leaky_relu", |x| if x > 0.0 {
                    1.0
                } else {
                    slope_of(x, slope32, negative_slope)
                })?;
                // grad · slope exactly (0 only where the slope is 0).
                one(masked("LeakyReluBackwardBackward0", g, share)?)
            },
        )
    }

    /// `x` where positive, `alpha (e^x - 1)` elsewhere. PyTorch equivalent: `F.elu(x, alpha)`.
    pub fn elu(&self, alpha: f64) -> Tensor {
        let a32 = alpha as f32;
        let value = tensor::float_map!(self.raw(), "elu", |x| if x > 0.0 {
            x
        } else {
            slope_of(x, a32, alpha) * x.exp_m1()
        });
        Tensor::from_differentiable(
            "EluBackward0",
            value.expect("a float tensor"),
            &[self],
            SAVE_INPUT,
            move |g, s, _| {
                // d/dx = 1 where x > 0, alpha e^x elsewhere (PyTorch's elu_backward).
                let x = &s[0];
                let positive = x.try_gt_scalar(0.0)?;
                let ones = Tensor::new(x.raw().ones_like());
                let slope = Tensor::try_where_cond(&positive, &ones, &(&x.exp() * alpha))?;
                one(g * &slope)
            },
        )
    }

    /// `x · sigmoid(x)`. PyTorch equivalent: `F.silu(x)`.
    pub fn silu(&self) -> Tensor {
        let value = tensor::float_map!(self.raw(), "silu", |x| x / (1.0 + (-x).exp()));
        Tensor::from_differentiable(
            "SiluBackward0",
            value.expect("a float tensor"),
            &[self],
            SAVE_INPUT,
            |g, s, _| {
                // PyTorch's silu_backward: g · s (1 + x (1 - s)), s = sigmoid(x).
                let x = &s[0];
                let sig = x.sigmoid();
                let d = &sig * &(x * &sig.rsub_scalar(1.0)).add_scalar(1.0);
                one(g * &d)
            },
        )
    }

    /// `log(1 + e^(βx)) / β`, and `x` where `βx > threshold` (PyTorch's
    /// linear regime). PyTorch equivalent: `F.softplus(x, beta, threshold)`.
    pub fn softplus(&self, beta: f64, threshold: f64) -> Tensor {
        let (b32, t32) = (beta as f32, threshold as f32);
        let value = tensor::float_map!(self.raw(), "softplus", |x| {
            let (b, t) = (slope_of(x, b32, beta), slope_of(x, t32, threshold));
            if x * b > t {
                x
            } else {
                (x * b).exp().ln_1p() / b
            }
        });
        Tensor::from_differentiable(
            "SoftplusBackward0",
            value.expect("a float tensor"),
            &[self],
            SAVE_INPUT,
            move |g, s, _| {
                // d/dx = sigmoid(βx), and 1 in the linear regime.
                let x = &s[0];
                let linear = (x * beta).try_gt_scalar(threshold)?;
                let ones = Tensor::new(x.raw().ones_like());
                let slope = Tensor::try_where_cond(&linear, &ones, &(x * beta).sigmoid())?;
                one(g * &slope)
            },
        )
    }

    /// The Gaussian error linear unit, `x Φ(x)` (or its tanh approximation).
    /// PyTorch equivalent: `F.gelu(x, approximate=...)`.
    pub fn gelu(&self, approximate: GeluApproximate) -> Tensor {
        let value = match approximate {
            GeluApproximate::None => tensor::float_map!(self.raw(), "gelu", |x| x.gelu_exact()),
            GeluApproximate::Tanh => tensor::float_map!(self.raw(), "gelu", |x| {
                let inner =
                    cast_like(x, (2.0 / PI).sqrt()) * (x + cast_like(x, 0.044715) * x * x * x);
                0.5 * x * (1.0 + inner.tanh())
            }),
        };
        Tensor::from_differentiable(
            "GeluBackward0",
            value.expect("a float tensor"),
            &[self],
            SAVE_INPUT,
            move |g, s, _| one(g.gelu_backward(&s[0], approximate)?),
        )
    }

    /// `g · gelu'(x)`, as PyTorch's `gelu_backward`; differentiable in both
    /// (PyTorch's `GeluBackwardBackward0`).
    fn gelu_backward(&self, x: &Tensor, approximate: GeluApproximate) -> Result<Tensor> {
        let value = match approximate {
            GeluApproximate::None => tensor::float_zip!(self.raw(), x.raw(), "gelu", |g, x| {
                let cdf = 0.5 * (1.0 + Erf::erf(x * cast_like(x, FRAC_1_SQRT_2)));
                let pdf = cast_like(x, FRAC_1_SQRT_2PI) * (-0.5 * x * x).exp();
                g * (cdf + x * pdf)
            }),
            GeluApproximate::Tanh => tensor::float_zip!(self.raw(), x.raw(), "gelu", |g, x| {
                let (k, c) = (cast_like(x, (2.0 / PI).sqrt()), cast_like(x, 0.044715));
                let inner = k * (x + c * x * x * x);
                let t = inner.tanh();
                let d_inner = k * (1.0 + 3.0 * c * x * x);
                g * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * d_inner)
            }),
        }?;
        Ok(Tensor::from_differentiable(
            "GeluBackwardBackward0",
            value,
            &[self, x],
            Save {
                inputs: &[0, 1],
                output: false,
            },
            move |gg, s, needs| {
                let (g, x) = (&s[0], &s[1]);
                let dg = match needs[0] {
                    true => Some(gg.gelu_backward(x, approximate)?),
                    false => None,
                };
                let dx = match needs[1] {
                    true => Some(&(gg * g) * &gelu_second_derivative(x, approximate)?),
                    false => None,
                };
                Ok([dg, dx].into())
            },
        ))
    }
}

/// `gelu''(x)`, with differentiable ops (third derivatives follow).
fn gelu_second_derivative(x: &Tensor, approximate: GeluApproximate) -> Result<Tensor> {
    Ok(match approximate {
        // d/dx (Φ + x φ) = φ (2 - x²).
        GeluApproximate::None => {
            let pdf = &(&x.square() * -0.5).exp() * FRAC_1_SQRT_2PI;
            &pdf * &x.square().rsub_scalar(2.0)
        }
        // With u = k (x + c x³), t = tanh u, u' = k (1 + 3c x²), u'' = 6kc x:
        // d/dx [½(1 + t) + ½ x (1 - t²) u'] = (1 - t²) (u' + ½ x u'' - x t u'²).
        GeluApproximate::Tanh => {
            let (k, c) = ((2.0 / PI).sqrt(), 0.044715);
            let u = &(x + &(&x.pow_scalar(3.0) * c)) * k;
            let t = u.tanh();
            let du = (&x.square() * (3.0 * c)).add_scalar(1.0) * k;
            let ddu = x * (6.0 * k * c);
            let sech2 = t.square().rsub_scalar(1.0);
            let inner = &(&du + &(&(x * &ddu) * 0.5)) - &(&(x * &t) * &du.square());
            &sech2 * &inner
        }
    })
}

/// A parameter in the element's precision: the float32 value for float32
/// elements, the double itself for float64 (PyTorch converts its Scalar
/// arguments to the tensor's type).
fn slope_of<T: Erf>(_like: T, as_f32: f32, as_f64: f64) -> T {
    T::pick(as_f32, as_f64)
}

/// `value` in the precision of `like`.
fn cast_like<T: Erf>(_like: T, value: f64) -> T {
    T::cast(value)
}

/// `erf` and constants in either float precision (libm's `erff` / `erf`).
trait Erf: Copy {
    fn erf(self) -> Self;
    /// `x Φ(x)`, as PyTorch computes it in this precision.
    fn gelu_exact(self) -> Self;
    fn cast(value: f64) -> Self;
    fn pick(as_f32: f32, as_f64: f64) -> Self;
}

impl Erf for f32 {
    fn erf(self) -> f32 {
        libm::erff(self)
    }
    /// PyTorch's float32 kernel gives NaN at both infinities.
    fn gelu_exact(self) -> f32 {
        match self.is_infinite() {
            true => f32::NAN,
            false => 0.5 * self * (1.0 + libm::erff(self * FRAC_1_SQRT_2 as f32)),
        }
    }
    fn cast(value: f64) -> f32 {
        value as f32
    }
    fn pick(as_f32: f32, _: f64) -> f32 {
        as_f32
    }
}

impl Erf for f64 {
    fn erf(self) -> f64 {
        libm::erf(self)
    }
    fn gelu_exact(self) -> f64 {
        0.5 * self * (1.0 + libm::erf(self * FRAC_1_SQRT_2))
    }
    fn cast(value: f64) -> f64 {
        value
    }
    fn pick(_: f32, as_f64: f64) -> f64 {
        as_f64
    }
}

panicking! {}
