//! Elementwise operations and their derivatives.

use super::{kept_where, masked, one, panicking};
use crate::error::Result;
use crate::grad_mode::is_grad_enabled;
use crate::graph::Save;
use crate::tensor::{RawTensor, Tensor};
use tensor::{DType, IntoScalar, Scalar};

const SAVE_BOTH: Save<'static> = Save {
    inputs: &[0, 1],
    output: false,
};
const SAVE_INPUT: Save<'static> = Save {
    inputs: &[0],
    output: false,
};

impl Tensor {
    /// Elementwise sum with broadcasting. PyTorch equivalent: `a + b`.
    ///
    /// # Errors
    /// If the shapes cannot be broadcast together.
    pub fn try_add(&self, other: &Tensor) -> Result<Tensor> {
        let value = self.raw().try_add(other.raw())?;
        Ok(Tensor::from_differentiable(
            "AddBackward0",
            value,
            &[self, other],
            Save::NOTHING,
            |g, _, _| Ok([Some(g.clone()), Some(g.clone())].into()),
        ))
    }

    /// Elementwise difference with broadcasting. PyTorch equivalent: `a - b`.
    ///
    /// # Errors
    /// If the shapes cannot be broadcast together.
    pub fn try_sub(&self, other: &Tensor) -> Result<Tensor> {
        let value = self.raw().try_sub(other.raw())?;
        Ok(Tensor::from_differentiable(
            "SubBackward0",
            value,
            &[self, other],
            Save::NOTHING,
            |g, _, needs| Ok([Some(g.clone()), needs[1].then(|| g.neg())].into()),
        ))
    }

    /// Elementwise product with broadcasting. PyTorch equivalent: `a * b`.
    ///
    /// # Errors
    /// If the shapes cannot be broadcast together.
    pub fn try_mul(&self, other: &Tensor) -> Result<Tensor> {
        let value = self.raw().try_mul(other.raw())?;
        Ok(Tensor::from_differentiable(
            "MulBackward0",
            value,
            &[self, other],
            SAVE_BOTH,
            |g, s, needs| Ok([needs[0].then(|| g * &s[1]), needs[1].then(|| g * &s[0])].into()),
        ))
    }

    /// Elementwise quotient with broadcasting. PyTorch equivalent: `a / b`.
    ///
    /// # Errors
    /// If the shapes cannot be broadcast together.
    pub fn try_div(&self, other: &Tensor) -> Result<Tensor> {
        let value = self.raw().try_div(other.raw())?;
        Ok(Tensor::from_differentiable(
            "DivBackward0",
            value,
            &[self, other],
            SAVE_BOTH,
            |g, s, needs| {
                let (a, b) = (&s[0], &s[1]);
                // -g * ((a / b) / b), in PyTorch's order: (g * a) / (b * b)
                // overflows and underflows where this does not.
                Ok([
                    needs[0].then(|| g / b),
                    needs[1].then(|| &g.neg() * &(&(a / b) / b)),
                ]
                .into())
            },
        ))
    }

    /// Elementwise power with a tensor exponent, with broadcasting.
    /// PyTorch equivalent: `torch.pow(a, b)`.
    ///
    /// # Errors
    /// If the shapes cannot be broadcast together.
    pub fn try_pow(&self, exponent: &Tensor) -> Result<Tensor> {
        let value = self.raw().try_pow(exponent.raw())?;
        let save = Save {
            inputs: &[0, 1],
            output: true,
        };
        Ok(Tensor::from_differentiable(
            "PowBackward1",
            value,
            &[self, exponent],
            save,
            |g, s, needs| {
                let (a, b, out) = (&s[0], &s[1], &s[2]);
                // d/da a^b = b a^(b-1), exactly 0 where b == 0 (PyTorch's
                // convention, whatever the incoming gradient).
                let base = match needs[0] {
                    true => {
                        let d = b * &a.try_pow(&b.sub_scalar(1.0))?;
                        Some(kept_where("WhereBackward0", &(g * &d), b.value(), |e| {
                            e != 0.0
                        })?)
                    }
                    false => None,
                };
                // d/db a^b = a^b ln a, taken as 0 where a == 0 and b >= 0 (PyTorch's convention).
                let exponent = match needs[1] {
                    true => {
                        let defined = a.raw().try_zip_float(
                            "pow",
                            b.raw(),
                            |x: f32, e: f32| f32::from(u8::from(!(x == 0.0 && e >= 0.0))),
                            |x: f64, e: f64| f64::from(u8::from(!(x == 0.0 && e >= 0.0))),
                        )?;
                        let ln = masked("WhereBackward0", &a.log(), defined)?;
                        Some(g * &(out * &ln))
                    }
                    false => None,
                };
                Ok([base, exponent].into())
            },
        ))
    }

    /// Elementwise larger value, with broadcasting; the gradient goes to the
    /// larger input and is split evenly on ties. PyTorch equivalent: `torch.maximum(a, b)`.
    ///
    /// # Errors
    /// If the shapes cannot be broadcast together.
    pub fn try_maximum(&self, other: &Tensor) -> Result<Tensor> {
        self.extreme_of_two("MaximumBackward0", other, true)
    }

    /// Elementwise smaller value, with broadcasting; the gradient goes to the
    /// smaller input and is split evenly on ties. PyTorch equivalent: `torch.minimum(a, b)`.
    ///
    /// # Errors
    /// If the shapes cannot be broadcast together.
    pub fn try_minimum(&self, other: &Tensor) -> Result<Tensor> {
        self.extreme_of_two("MinimumBackward0", other, false)
    }

    fn extreme_of_two(&self, name: &'static str, other: &Tensor, larger: bool) -> Result<Tensor> {
        let (a, b) = (self.raw(), other.raw());
        let value = if larger {
            a.try_maximum(b)?
        } else {
            a.try_minimum(b)?
        };
        Ok(Tensor::from_differentiable(
            name,
            value,
            &[self, other],
            SAVE_BOTH,
            move |g, s, needs| {
                // Share of the gradient for `x` against `y`, as PyTorch: ½ on a
                // tie, 0 where `x` strictly loses, else 1 (so a NaN takes it all).
                let share = |x: &Tensor, y: &Tensor| {
                    tensor::float_zip!(x.raw(), y.raw(), name, |x, y| {
                        if x == y {
                            0.5
                        } else if (larger && x < y) || (!larger && x > y) {
                            0.0
                        } else {
                            1.0
                        }
                    })
                };
                let (a, b) = (&s[0], &s[1]);
                let ga = match needs[0] {
                    true => Some(masked(name, g, share(a, b)?)?),
                    false => None,
                };
                let gb = match needs[1] {
                    true => Some(masked(name, g, share(b, a)?)?),
                    false => None,
                };
                Ok([ga, gb].into())
            },
        ))
    }

    /// Joins tensors of equal shape along a new dim `dim`; each input's
    /// gradient is its slice of the output's. PyTorch equivalent: `torch.stack(tensors, dim)`.
    ///
    /// # Errors
    /// For no tensors, differing shapes, or a bad `dim`.
    pub fn try_stack(tensors: &[Tensor], dim: isize) -> Result<Tensor> {
        let values: Vec<RawTensor> = tensors.iter().map(Tensor::value).collect();
        let value = RawTensor::try_stack(&values, dim)?;
        let inputs: Vec<&Tensor> = tensors.iter().collect();
        Ok(Tensor::from_differentiable(
            "StackBackward0",
            value,
            &inputs,
            Save::NOTHING,
            move |g, _, needs| {
                Ok(needs
                    .iter()
                    .enumerate()
                    .map(|(i, &need)| need.then(|| g.select(dim_of_stack(dim, g.dim()), i)))
                    .collect())
            },
        ))
    }

    /// Panicking form of [`try_stack`](Tensor::try_stack).
    ///
    /// # Panics
    /// For no tensors, differing shapes, or a bad `dim`.
    #[track_caller]
    pub fn stack(tensors: &[Tensor], dim: isize) -> Tensor {
        crate::error::or_panic(Tensor::try_stack(tensors, dim))
    }

    /// Adds a scalar. PyTorch equivalent: `x + s`.
    pub fn add_scalar(&self, s: impl IntoScalar) -> Tensor {
        Tensor::from_differentiable(
            "AddBackward0",
            self.raw() + s,
            &[self],
            Save::NOTHING,
            |g, _, _| Ok([Some(g.clone())].into()),
        )
    }

    /// Subtracts a scalar. PyTorch equivalent: `x - s`.
    pub fn sub_scalar(&self, s: impl IntoScalar) -> Tensor {
        Tensor::from_differentiable(
            "SubBackward0",
            self.raw() - s,
            &[self],
            Save::NOTHING,
            |g, _, _| Ok([Some(g.clone())].into()),
        )
    }

    /// `s - x`. PyTorch equivalent: `s - x`.
    pub fn rsub_scalar(&self, s: impl IntoScalar) -> Tensor {
        Tensor::from_differentiable(
            "RsubBackward1",
            self.raw().rsub_scalar(s),
            &[self],
            Save::NOTHING,
            |g, _, _| Ok([Some(g.neg())].into()),
        )
    }

    /// Multiplies by a scalar. PyTorch equivalent: `x * s`.
    pub fn mul_scalar(&self, s: impl IntoScalar) -> Tensor {
        let s = s.into_scalar();
        Tensor::from_differentiable(
            "MulBackward0",
            self.raw() * s,
            &[self],
            Save::NOTHING,
            move |g, _, _| Ok([Some(g * s)].into()),
        )
    }

    /// Divides by a scalar. PyTorch equivalent: `x / s`.
    pub fn div_scalar(&self, s: impl IntoScalar) -> Tensor {
        let s = s.into_scalar();
        Tensor::from_differentiable(
            "DivBackward0",
            self.raw() / s,
            &[self],
            Save::NOTHING,
            move |g, _, _| Ok([Some(g / s)].into()),
        )
    }

    /// `s / x`, computed as PyTorch does: `x.reciprocal() * s`.
    pub fn rdiv_scalar(&self, s: impl IntoScalar) -> Tensor {
        self.reciprocal().mul_scalar(s)
    }

    /// Elementwise `1 / x`. PyTorch equivalent: `x.reciprocal()`.
    pub fn reciprocal(&self) -> Tensor {
        let value = self.raw().reciprocal();
        Tensor::from_differentiable(
            "ReciprocalBackward0",
            value,
            &[self],
            Save::OUTPUT,
            |g, s, _| Ok([Some(-(g * &s[0].square()))].into()),
        )
    }

    /// Elementwise power with a scalar exponent. PyTorch equivalent: `x ** e`.
    pub fn pow_scalar(&self, exponent: impl IntoScalar) -> Tensor {
        let exponent = exponent.into_scalar();
        let value = self.raw().pow_scalar(exponent);
        Tensor::from_differentiable(
            "PowBackward0",
            value,
            &[self],
            SAVE_INPUT,
            move |g, s, _| {
                // PyTorch's pow_backward: zeros for exponent 0 (even for a NaN
                // or infinite gradient), else grad * (e * x.pow(e - 1)) with
                // x.pow as specialised as the forward's.
                let e = match exponent {
                    Scalar::Float(e) => e,
                    Scalar::Int(i) => i as f64,
                    Scalar::Bool(b) => f64::from(u8::from(b)),
                };
                if e == 0.0 {
                    return one(Tensor::new(g.raw().zeros_like()));
                }
                // e - 1 in double precision, as PyTorch's Scalar arithmetic.
                // x.pow(1) is x itself (PyTorch copies it), so a square's
                // backward skips that step: the same values, one op fewer.
                let x = &s[0];
                let float32 = |t: &Tensor| t.raw().dtype() == DType::Float32;
                if e == 2.0 && !is_grad_enabled() && float32(x) && float32(g) {
                    // A float32 square's backward with nothing to record:
                    // `grad * (x * 2)` in one pass, rounded as the two ops.
                    let fused = g.raw().zip_with("mul", x.raw(), |g, x| g * (x * 2.0))?;
                    return one(Tensor::new(fused));
                }
                let scaled = match e - 1.0 {
                    1.0 => x * exponent,
                    power => &x.pow_scalar(power) * exponent,
                };
                Ok([Some(g * &scaled)].into())
            },
        )
    }

    /// Elementwise square. PyTorch equivalent: `x.square()` (recorded as `PowBackward0`).
    pub fn square(&self) -> Tensor {
        self.pow_scalar(2.0)
    }

    /// Elementwise negation. PyTorch equivalent: `-x`.
    pub fn neg(&self) -> Tensor {
        Tensor::from_differentiable(
            "NegBackward0",
            self.raw().neg(),
            &[self],
            Save::NOTHING,
            |g, _, _| Ok([Some(g.neg())].into()),
        )
    }

    /// Elementwise `e^x`. PyTorch equivalent: `x.exp()`.
    pub fn exp(&self) -> Tensor {
        Tensor::from_differentiable(
            "ExpBackward0",
            self.raw().exp(),
            &[self],
            Save::OUTPUT,
            |g, s, _| Ok([Some(g * &s[0])].into()),
        )
    }

    /// Elementwise natural logarithm. PyTorch equivalent: `x.log()`.
    pub fn log(&self) -> Tensor {
        Tensor::from_differentiable(
            "LogBackward0",
            self.raw().log(),
            &[self],
            SAVE_INPUT,
            |g, s, _| Ok([Some(g / &s[0])].into()),
        )
    }

    /// Elementwise square root. PyTorch equivalent: `x.sqrt()`.
    pub fn sqrt(&self) -> Tensor {
        Tensor::from_differentiable(
            "SqrtBackward0",
            self.raw().sqrt(),
            &[self],
            Save::OUTPUT,
            |g, s, _| Ok([Some(g / &(&s[0] * 2.0))].into()),
        )
    }

    /// Elementwise absolute value (gradient 0 at 0). PyTorch equivalent: `x.abs()`.
    pub fn abs(&self) -> Tensor {
        Tensor::from_differentiable(
            "AbsBackward0",
            self.raw().abs(),
            &[self],
            SAVE_INPUT,
            |g, s, _| {
                let sign = tensor::float_map!(s[0].raw(), "abs", |x| {
                    if x > 0.0 {
                        1.0
                    } else if x < 0.0 {
                        -1.0
                    } else {
                        0.0
                    }
                })?;
                one(g * &Tensor::new(sign))
            },
        )
    }

    /// Elementwise `max(x, 0)` (gradient 0 at 0). PyTorch equivalent: `x.relu()`.
    pub fn relu(&self) -> Tensor {
        Tensor::from_differentiable(
            "ReluBackward0",
            self.raw().relu(),
            &[self],
            Save::OUTPUT,
            // PyTorch's threshold_backward: `y <= 0 ? 0 : g`, so a NaN input
            // passes its gradient.
            |g, s, _| {
                let keep = |y: f64| y > 0.0 || y.is_nan();
                one(kept_where(
                    "ThresholdBackwardBackward0",
                    g,
                    s[0].value(),
                    keep,
                )?)
            },
        )
    }

    /// Elementwise logistic function. PyTorch equivalent: `x.sigmoid()`.
    pub fn sigmoid(&self) -> Tensor {
        Tensor::from_differentiable(
            "SigmoidBackward0",
            self.raw().sigmoid(),
            &[self],
            Save::OUTPUT,
            |g, s, _| one(g.sigmoid_backward(&s[0])?),
        )
    }

    /// The gradient of `sigmoid` from its output `y`: `(g * (1 - y)) * y`,
    /// in PyTorch's order (PyTorch's `sigmoid_backward`).
    fn sigmoid_backward(&self, y: &Tensor) -> Result<Tensor> {
        let value = tensor::float_zip!(self.raw(), y.raw(), "sigmoid", |g, y| (g * (1.0 - y)) * y)?;
        // d/dy of (1 - y) y is 1 - 2y.
        self.activation_backward(
            "SigmoidBackwardBackward0",
            y,
            value,
            Tensor::sigmoid_backward,
            |y| y.mul_scalar(-2.0).add_scalar(1.0),
        )
    }

    /// Records `value`, an activation's gradient `g · d(y)` computed from
    /// its output `y` by a fused kernel, as an op differentiable in both:
    /// linear in `g` (the same op, `again`, on the incoming gradient), and
    /// `gg · g · d'(y)` in `y`, so gradients of gradients follow.
    fn activation_backward(
        &self,
        name: &'static str,
        y: &Tensor,
        value: tensor::Tensor,
        again: fn(&Tensor, &Tensor) -> Result<Tensor>,
        derivative_in_y: fn(&Tensor) -> Tensor,
    ) -> Result<Tensor> {
        Ok(Tensor::from_differentiable(
            name,
            value,
            &[self, y],
            SAVE_BOTH,
            move |gg, s, needs| {
                let (g, y) = (&s[0], &s[1]);
                let dg = match needs[0] {
                    true => Some(again(gg, y)?),
                    false => None,
                };
                let dy = needs[1].then(|| &(gg * g) * &derivative_in_y(y));
                Ok([dg, dy].into())
            },
        ))
    }

    /// Elementwise hyperbolic tangent. PyTorch equivalent: `x.tanh()`.
    pub fn tanh(&self) -> Tensor {
        Tensor::from_differentiable(
            "TanhBackward0",
            self.raw().tanh(),
            &[self],
            Save::OUTPUT,
            |g, s, _| one(g.tanh_backward(&s[0])?),
        )
    }

    /// The gradient of `tanh` from its output `y`: `g * (1 - y²)`, fused as
    /// PyTorch's kernel (PyTorch's `tanh_backward`).
    fn tanh_backward(&self, y: &Tensor) -> Result<Tensor> {
        let value = self.raw().try_tanh_backward(y.raw())?;
        // d/dy of 1 - y² is -2y.
        self.activation_backward(
            "TanhBackwardBackward0",
            y,
            value,
            Tensor::tanh_backward,
            |y| y.mul_scalar(-2.0),
        )
    }

    /// Elementwise clamp into `[min, max]` (either bound optional); the
    /// gradient passes strictly inside the bounds (`min < x < max`; at a
    /// bound it is 0), as in PyTorch. PyTorch equivalent: `x.clamp(min, max)`.
    pub fn clamp(&self, min: Option<f64>, max: Option<f64>) -> Tensor {
        let value = self.raw().clamp(min, max);
        Tensor::from_differentiable(
            "ClampBackward1",
            value,
            &[self],
            SAVE_INPUT,
            move |g, s, _| {
                // Bounds in the input's dtype, as PyTorch compares them.
                let in_dtype = |bound: f64| match s[0].dtype() {
                    tensor::DType::Float64 => bound,
                    _ => f64::from(bound as f32),
                };
                let (lo, hi) = (min.map(in_dtype), max.map(in_dtype));
                let inside = move |x: f64| lo.is_none_or(|lo| x > lo) && hi.is_none_or(|hi| x < hi);
                one(kept_where("WhereBackward0", g, s[0].value(), inside)?)
            },
        )
    }
}

/// The stacked dim of a stack's output of rank `out_dim`, as a non-negative index.
fn dim_of_stack(dim: isize, out_dim: usize) -> isize {
    if dim < 0 {
        dim + out_dim as isize
    } else {
        dim
    }
}

panicking! {
    maximum => try_maximum(other: &Tensor) -> Tensor;
    minimum => try_minimum(other: &Tensor) -> Tensor;
    add => try_add(other: &Tensor) -> Tensor;
    sub => try_sub(other: &Tensor) -> Tensor;
    mul => try_mul(other: &Tensor) -> Tensor;
    div => try_div(other: &Tensor) -> Tensor;
    pow => try_pow(exponent: &Tensor) -> Tensor;
}
