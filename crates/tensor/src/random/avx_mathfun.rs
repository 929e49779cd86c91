//! The single-precision `log` and `sincos` PyTorch's CPU `normal_` uses on
//! x86 (`aten/src/ATen/native/cpu/avx_mathfun.h`, Cephes polynomials by
//! Julien Pommier), written lane by lane. PyTorch's build compiles each
//! multiply feeding an add of these intrinsics into one fused multiply-add
//! (GCC's default floating-point contraction with FMA enabled; where both
//! operands of an add are products, the first computed is the fused one);
//! the steps below are those fused operations, so the results are
//! PyTorch's to the bit.

// The constants keep avx_mathfun.h's digits, so they can be checked against it.
#![allow(clippy::excessive_precision, clippy::approx_constant)]

/// A constant as `_PS256_CONST` stores it: the C double literal rounded to float.
const fn c(value: f64) -> f32 {
    value as f32
}

/// `log(x)` for `x > 0` (NaN for `x <= 0`). PyTorch equivalent: `log256_ps`.
#[inline(always)]
pub(crate) fn log(x: f32) -> f32 {
    let invalid = x <= 0.0;
    let x = x.max(f32::from_bits(0x0080_0000)); // cut off denormals
    let exponent = (x.to_bits() >> 23) as i32 - 0x7f;
    // Keep the mantissa, with the exponent of 0.5: x in [0.5, 1).
    let mut x = f32::from_bits((x.to_bits() & !0x7f80_0000) | 0.5f32.to_bits());
    let mut e = exponent as f32 + 1.0;
    let below = x < c(0.707106781186547524);
    let tmp = if below { x } else { 0.0 };
    x -= 1.0;
    e -= if below { 1.0 } else { 0.0 };
    x += tmp;
    let z = x * x;
    let mut y = c(7.0376836292E-2);
    for p in [
        -1.1514610310E-1,
        1.1676998740E-1,
        -1.2420140846E-1,
        1.4249322787E-1,
        -1.6668057665E-1,
        2.0000714765E-1,
        -2.4999993993E-1,
        3.3333331174E-1,
    ] {
        y = y.mul_add(x, c(p));
    }
    // `y·z + e·q1`: the first product in statement order is the fused one.
    y = (y * x).mul_add(z, e * c(-2.12194440e-4));
    y = (-z).mul_add(0.5, y);
    let result = e.mul_add(c(0.693359375), x + y);
    match invalid {
        true => f32::NAN,
        false => result,
    }
}

/// `(sin(x), cos(x))`. PyTorch equivalent: `sincos256_ps`.
#[inline(always)]
pub(crate) fn sincos(x: f32) -> (f32, f32) {
    let sign_sin = x.to_bits() & 0x8000_0000;
    let mut x = x.abs();
    // j = (int(x · 4/π) + 1) & ~1, an even octant.
    let j = (((x * c(1.27323954473516)) as i32).wrapping_add(1)) & !1;
    let y = j as f32;
    let swap_sin = ((j & 4) as u32) << 29;
    let use_sin_poly = j & 2 == 0;
    // Extended-precision reduction: x = ((x - y·DP1) - y·DP2) - y·DP3.
    x = y.mul_add(c(-0.78515625), x);
    x = y.mul_add(c(-2.4187564849853515625e-4), x);
    x = y.mul_add(c(-3.77489497744594108e-8), x);
    let sign_cos = ((!(j.wrapping_sub(2)) & 4) as u32) << 29;
    let sign_sin = sign_sin ^ swap_sin;

    let z = x * x;
    let mut cos_poly = c(2.443315711809948E-005);
    cos_poly = cos_poly.mul_add(z, c(-1.388731625493765E-003));
    cos_poly = cos_poly.mul_add(z, c(4.166664568298827E-002));
    cos_poly = (cos_poly * z).mul_add(z, -(z * 0.5));
    cos_poly += 1.0;

    let mut sin_poly = c(-1.9515295891E-4);
    sin_poly = sin_poly.mul_add(z, c(8.3321608736E-3));
    sin_poly = sin_poly.mul_add(z, c(-1.6666654611E-1));
    sin_poly *= z;
    sin_poly = sin_poly.mul_add(x, x);

    // The selection as the AVX code does it, zeros added included.
    let (sin_part, cos_part) = match use_sin_poly {
        true => (0.0 + sin_poly, cos_poly + 0.0),
        false => (cos_poly + 0.0, 0.0 + sin_poly),
    };
    (
        f32::from_bits(sin_part.to_bits() ^ sign_sin),
        f32::from_bits(cos_part.to_bits() ^ sign_cos),
    )
}
