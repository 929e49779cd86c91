//! The sampling ops, drawing exactly as PyTorch's CPU kernels do
//! (`aten/src/ATen/core/DistributionsHelper.h`, `TransformationHelper.h`,
//! `native/cpu/DistributionTemplates.h`): the same draws from the engine,
//! in the same order, through the same arithmetic.
//!
//! Element order: PyTorch fills a tensor in the order its `TensorIterator`
//! visits it, which for a view is memory order (dimensions by decreasing
//! stride), not the view's logical order; `x.t().uniform_()` fills `x` row
//! by row. Every op here generates its values in that order.

use std::f64::consts::PI;

use super::{avx_mathfun, DefaultGenerator, Generator};
use crate::dtype::{dispatch, DType, Element};
use crate::error::{Result, TensorError};
use crate::tensor::{or_panic, Tensor};

/// Writes `values`, generated in PyTorch's iteration order of `t`, into `t`.
fn write_in_iteration_order<T: Element>(t: &Tensor, values: &[T]) -> Result<()> {
    let strides = t.stride();
    let mut dims: Vec<usize> = (0..t.dim()).collect();
    // Stable: equal strides keep their order (only size-1 dims can tie in
    // a tensor that may be written).
    dims.sort_by(|&a, &b| strides[b].cmp(&strides[a]));
    let order: Vec<isize> = dims.iter().map(|&d| d as isize).collect();
    let view = t.try_permute(&order)?;
    let src = Tensor::from_data(values, view.shape())?;
    view.try_copy_(&src).map(drop)
}

/// Fails unless `t` is a float tensor that can be written, naming `kernel`
/// as PyTorch does (`"normal_kernel_cpu" not implemented for 'Long'`).
fn check_float(t: &Tensor, kernel: &'static str, op: &'static str) -> Result<()> {
    if !t.dtype().is_floating_point() {
        return Err(TensorError::invalid(
            op,
            format!(
                "\"{kernel}\" not implemented for '{}'",
                torch_type_name(t.dtype())
            ),
        ));
    }
    t.check_writable(op)
}

/// PyTorch's C++ scalar type names, as its dispatch errors print them.
fn torch_type_name(dtype: DType) -> &'static str {
    match dtype {
        DType::Bool => "Bool",
        DType::Int64 => "Long",
        DType::Float32 => "Float",
        DType::Float64 => "Double",
    }
}

/// Python's repr of a float in PyTorch's messages: `1`, `0.5`.
fn number(value: f64) -> String {
    match value.fract() == 0.0 && value.abs() < 1e16 {
        true => format!("{}", value as i64),
        false if value.is_nan() => "nan".to_string(),
        false => format!("{value}"),
    }
}

impl Generator {
    /// U[0, 1) in float32 from 24 random bits. PyTorch equivalent:
    /// `uniform_real_distribution<float>(0, 1)`.
    fn uniform_f32(&mut self) -> f32 {
        (self.random() & ((1 << 24) - 1)) as f32 * (1.0 / (1u32 << 24) as f32)
    }

    /// U[0, 1) in float64 from 53 random bits (two engine draws).
    /// PyTorch equivalent: `uniform_real_distribution<double>(0, 1)`.
    fn uniform_f64(&mut self) -> f64 {
        (self.random64() & ((1 << 53) - 1)) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// One N(0, 1) sample by Box-Muller in float64, keeping the pair's second
    /// value for the next call. PyTorch equivalent: `normal_distribution<double>`.
    fn standard_normal_f64(&mut self) -> f64 {
        if let Some(cached) = self.next_double_normal.take() {
            return cached;
        }
        let u1 = self.uniform_f64();
        let u2 = self.uniform_f64();
        let r = (-2.0 * (-u2).ln_1p()).sqrt();
        let theta = 2.0 * PI * u1;
        self.next_double_normal = Some(r * theta.sin());
        r * theta.cos()
    }

    /// Refills `t` with samples of U[`low`, `high`). PyTorch equivalent:
    /// `t.uniform_(low, high, generator=g)`.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] (PyTorch's messages) for an integer
    /// or bool tensor, `low > high`, bounds out of the dtype's range, or a
    /// tensor whose elements overlap.
    pub fn uniform_(&mut self, t: &Tensor, low: f64, high: f64) -> Result<()> {
        check_float(t, "check_uniform_bounds", "uniform_")?;
        let limit = match t.dtype() {
            DType::Float32 => f64::from(f32::MAX),
            _ => f64::MAX,
        };
        let name = if t.dtype() == DType::Float32 {
            "float"
        } else {
            "double"
        };
        for (which, v) in [("from", low), ("to", high)] {
            if !(-limit..=limit).contains(&v) {
                return Err(TensorError::invalid(
                    "uniform_",
                    format!("{which} is out of bounds for {name}"),
                ));
            }
        }
        if low > high {
            return Err(TensorError::invalid(
                "uniform_",
                format!(
                    "uniform_ expects to return a [from, to) range, but found from={} > to={}",
                    number(low),
                    number(high)
                ),
            ));
        }
        if high - low > limit {
            return Err(TensorError::invalid(
                "uniform_",
                format!("uniform_ expects to-from <= std::numeric_limits<{}>::max(), but found to={high:e} and from={low:e} which result in to-from to exceed the limit", torch_type_name(t.dtype())),
            ));
        }
        let n = t.numel();
        // `x · (to - from) + from` in one rounding: PyTorch's kernel is
        // compiled with its multiply and add fused.
        match t.dtype() {
            DType::Float32 => {
                let (from, to) = (low as f32, high as f32);
                let mut values: Vec<f32> = (0..n).map(|_| self.uniform_f32()).collect();
                fused(|| {
                    for v in &mut values {
                        *v = below(v.mul_add(to - from, from), from, to);
                    }
                });
                write_in_iteration_order(t, &values)
            }
            _ => {
                let mut values: Vec<f64> = (0..n).map(|_| self.uniform_f64()).collect();
                fused(|| {
                    for v in &mut values {
                        *v = below(v.mul_add(high - low, low), low, high);
                    }
                });
                write_in_iteration_order(t, &values)
            }
        }
    }

    /// Refills `t` with samples of N(`mean`, `std`²). PyTorch equivalent:
    /// `t.normal_(mean, std, generator=g)`.
    ///
    /// A contiguous tensor of 16 or more elements is filled as PyTorch fills
    /// it: uniforms first, then Box-Muller on blocks of 16 (float32 with the
    /// `log`/`sincos` of PyTorch's x86 kernel); any other tensor draws one
    /// Box-Muller value at a time in float64, keeping the pair's second.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] (PyTorch's messages) for an integer
    /// or bool tensor, a negative `std`, or a tensor whose elements overlap.
    pub fn normal_(&mut self, t: &Tensor, mean: f64, std: f64) -> Result<()> {
        check_float(t, "normal_kernel_cpu", "normal_")?;
        if std.is_nan() || std < 0.0 {
            return Err(TensorError::invalid(
                "normal_",
                format!("normal expects std >= 0.0, but found std {}", number(std)),
            ));
        }
        let n = t.numel();
        let filled_in_blocks = n >= 16 && t.is_contiguous();
        match (t.dtype(), filled_in_blocks) {
            (DType::Float32, true) => {
                let mut values: Vec<f32> = (0..n).map(|_| self.uniform_f32()).collect();
                let (mean, std) = (mean as f32, std as f32);
                for_each_block(self, &mut values, Generator::uniform_f32, |blocks| {
                    normal_blocks_f32(blocks, mean, std)
                });
                write_in_iteration_order(t, &values)
            }
            (DType::Float64, true) => {
                let mut values: Vec<f64> = (0..n).map(|_| self.uniform_f64()).collect();
                for_each_block(self, &mut values, Generator::uniform_f64, |blocks| {
                    blocks
                        .chunks_exact_mut(16)
                        .for_each(|block| normal_block_f64(block, mean, std))
                });
                write_in_iteration_order(t, &values)
            }
            _ => dispatch!(t.dtype(), T => {
                let values: Vec<T> = (0..n)
                    .map(|_| T::from_f64(self.standard_normal_f64() * std + mean))
                    .collect();
                write_in_iteration_order(t, &values)
            }),
        }
    }

    /// Refills `t` with integers uniform in `[from, to)`. PyTorch
    /// equivalent: `t.random_(from, to, generator=g)`.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] if `from >= to`, for a bool tensor,
    /// or a tensor whose elements overlap.
    pub fn random_(&mut self, t: &Tensor, from: i64, to: i64) -> Result<()> {
        if from >= to {
            return Err(TensorError::invalid(
                "random_",
                format!(
                    "random_ expects 'from' to be less than 'to', but got from={from} >= to={to}"
                ),
            ));
        }
        if t.dtype() == DType::Bool {
            return Err(TensorError::invalid(
                "random_",
                "random_ on a bool tensor takes from=0, to=2 only".to_string(),
            ));
        }
        t.check_writable("random_")?;
        let range = to.wrapping_sub(from) as u64;
        let values: Vec<i64> = (0..t.numel())
            .map(|_| {
                let bits = match range >= 1 << 32 {
                    true => self.random64(),
                    false => u64::from(self.random()),
                };
                ((bits % range) as i64).wrapping_add(from)
            })
            .collect();
        dispatch!(t.dtype(), T => {
            let cast: Vec<T> = values.iter().map(|&v| T::from_i64(v)).collect();
            write_in_iteration_order(t, &cast)
        })
    }

    /// Refills `t` with 1 (probability `p`) or 0. PyTorch equivalent:
    /// `t.bernoulli_(p, generator=g)` as PyTorch computes it on AMD and Arm
    /// CPUs; on Intel CPUs PyTorch draws these through MKL's own generator
    /// instead (see docs/PYTORCH.md).
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] if `p` is not in `[0, 1]`, or for a
    /// tensor whose elements overlap.
    pub fn bernoulli_(&mut self, t: &Tensor, p: f64) -> Result<()> {
        if !(0.0..=1.0).contains(&p) {
            return Err(TensorError::invalid(
                "bernoulli_",
                format!(
                    "bernoulli_ expects p to be in [0, 1], but got p={}",
                    number(p)
                ),
            ));
        }
        t.check_writable("bernoulli_")?;
        let values: Vec<bool> = (0..t.numel()).map(|_| self.uniform_f64() < p).collect();
        dispatch!(t.dtype(), T => {
            let cast: Vec<T> = values.iter().map(|&v| T::from_i64(i64::from(v))).collect();
            write_in_iteration_order(t, &cast)
        })
    }

    /// A tensor of 1 with probability `probs[i]`, else 0, of `probs`'s shape
    /// and dtype. PyTorch equivalent: `torch.bernoulli(probs, generator=g)`.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] for integer or bool `probs`, or a
    /// probability outside `[0, 1]` (PyTorch's message).
    pub fn bernoulli(&mut self, probs: &Tensor) -> Result<Tensor> {
        if !probs.dtype().is_floating_point() {
            return Err(TensorError::invalid(
                "bernoulli",
                format!(
                    "\"bernoulli_tensor_cpu_p_\" not implemented for '{}'",
                    torch_type_name(probs.dtype())
                ),
            ));
        }
        let out = Tensor::try_zeros_of("bernoulli", probs.dtype(), probs.shape())?;
        let p: Vec<f64> = probs.contiguous().to_vec_as::<f64>();
        let mut values = Vec::with_capacity(p.len());
        for &p in &p {
            if !(0.0..=1.0).contains(&p) {
                return Err(TensorError::invalid(
                    "bernoulli",
                    "Expected p_in >= 0 && p_in <= 1 to be true, but got false.".to_string(),
                ));
            }
            // float32 probabilities compare with a float32 uniform.
            let hit = match probs.dtype() {
                DType::Float32 => self.uniform_f32() < p as f32,
                _ => self.uniform_f64() < p,
            };
            values.push(f64::from(u8::from(hit)));
        }
        dispatch!(out.dtype(), T => {
            let cast: Vec<T> = values.iter().map(|&v| T::from_f64(v)).collect();
            write_in_iteration_order(&out, &cast)?;
        });
        Ok(out)
    }

    /// Refills `t` with samples of the exponential distribution of rate
    /// `lambda`. PyTorch equivalent: `t.exponential_(lambd, generator=g)`.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] for `lambda <= 0`, an integer or bool
    /// tensor, or a tensor whose elements overlap.
    pub fn exponential_(&mut self, t: &Tensor, lambda: f64) -> Result<()> {
        check_float(t, "exponential_cpu", "exponential_")?;
        if lambda <= 0.0 || lambda.is_nan() {
            return Err(TensorError::invalid(
                "exponential_",
                format!(
                    "exponential_ expects lambda > 0.0, but found lambda={}",
                    number(lambda)
                ),
            ));
        }
        dispatch!(t.dtype(), T => {
            let values: Vec<T> = (0..t.numel())
                .map(|_| T::from_f64(-1.0 / lambda * (1.0 - self.uniform_f64()).ln()))
                .collect();
            write_in_iteration_order(t, &values)
        })
    }

    /// A random permutation of `0..n`, drawn as PyTorch's CPU `randperm`
    /// draws it (a Fisher-Yates pass from the front). PyTorch equivalent:
    /// `torch.randperm(n, generator=g).tolist()`.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] if `n` indices do not fit in memory.
    pub fn try_randperm(&mut self, n: usize) -> Result<Vec<usize>> {
        let mut perm = Vec::new();
        perm.try_reserve_exact(n).map_err(|_| {
            TensorError::invalid(
                "randperm",
                format!("cannot allocate a permutation of {n} indices"),
            )
        })?;
        perm.extend(0..n);
        self.shuffle(&mut perm);
        Ok(perm)
    }

    /// Panicking form of [`try_randperm`](Generator::try_randperm).
    ///
    /// # Panics
    /// If `n` indices do not fit in memory.
    #[track_caller]
    pub fn randperm(&mut self, n: usize) -> Vec<usize> {
        or_panic(self.try_randperm(n))
    }

    /// Shuffles `items` in place with the draws of [`randperm`](Generator::randperm):
    /// shuffling `0..n` gives `randperm(n)`.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        let n = items.len() as u64;
        // PyTorch's pass for n < 2^32 / 20 (about 214 million); for more
        // indices PyTorch switches to another shuffle, which this does not
        // reproduce (it keeps this pass, with 64-bit draws).
        let small = n < u64::from(u32::MAX) / 20;
        for i in 0..n.saturating_sub(1) {
            // A 32-bit division where the draw is 32 bits: the same value,
            // several times faster than a 64-bit one.
            let z = match small {
                true => u64::from(self.random() % (n - i) as u32),
                false => self.random64() % (n - i),
            };
            items.swap(i as usize, (z + i) as usize);
        }
    }
}

/// `value`, or `from` where rounding reached `to` (PyTorch keeps the
/// half-open range this way).
fn below<T: PartialEq>(value: T, from: T, to: T) -> T {
    match value == to {
        true => from,
        false => value,
    }
}

/// Runs `blocks` on the whole blocks of 16 values of `values` (Box-Muller
/// on 8 pairs each); when 16 does not divide the length, the last 16
/// values are drawn again and transformed again, as PyTorch does.
fn for_each_block<T: Copy>(
    g: &mut Generator,
    values: &mut [T],
    draw: fn(&mut Generator) -> T,
    blocks: impl Fn(&mut [T]),
) {
    let n = values.len();
    blocks(&mut values[..n / 16 * 16]);
    if !n.is_multiple_of(16) {
        let tail = &mut values[n - 16..];
        tail.iter_mut().for_each(|v| *v = draw(g));
        blocks(tail);
    }
}

/// Runs `f` compiled with fused multiply-adds as instructions where the
/// CPU has them (elsewhere each `mul_add` is a library call; the results
/// are the same, only slower).
#[inline(always)]
fn fused<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx2,fma")]
        unsafe fn with_fma<R>(f: impl FnOnce() -> R) -> R {
            f()
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU supports AVX2 and FMA.
            return unsafe { with_fma(f) };
        }
    }
    f()
}

/// [`normal_block_f32`] on every 16 values of `data`, with fused
/// multiply-adds as instructions where the CPU has them (as [`fused`]; a
/// function of its own, so that the whole loop is compiled for them).
fn normal_blocks_f32(data: &mut [f32], mean: f32, std: f32) {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx2,fma")]
        unsafe fn with_fma(data: &mut [f32], mean: f32, std: f32) {
            for block in data.chunks_exact_mut(16) {
                normal_block_f32(block, mean, std);
            }
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU supports AVX2 and FMA.
            return unsafe { with_fma(data, mean, std) };
        }
    }
    for block in data.chunks_exact_mut(16) {
        normal_block_f32(block, mean, std);
    }
}

/// PyTorch's AVX2 `normal_fill_16` for float32.
#[inline(always)]
fn normal_block_f32(data: &mut [f32], mean: f32, std: f32) {
    let two_pi = (2.0 * PI) as f32;
    for j in 0..8 {
        let u1 = 1.0 - data[j];
        let u2 = data[j + 8];
        let radius = (-2.0 * avx_mathfun::log(u1)).sqrt();
        let (sin, cos) = avx_mathfun::sincos(two_pi * u2);
        data[j] = (radius * cos).mul_add(std, mean);
        data[j + 8] = (radius * sin).mul_add(std, mean);
    }
}

/// PyTorch's scalar `normal_fill_16` for float64.
fn normal_block_f64(data: &mut [f64], mean: f64, std: f64) {
    for j in 0..8 {
        let u1 = 1.0 - data[j];
        let u2 = data[j + 8];
        let radius = (-2.0 * u1.ln()).sqrt();
        let theta = 2.0 * PI * u2;
        data[j] = (radius * theta.cos()).mul_add(std, mean);
        data[j + 8] = (radius * theta.sin()).mul_add(std, mean);
    }
}

/// The sampling ops on the default generator.
impl DefaultGenerator {
    /// A random permutation of `0..n` as an int64 tensor. PyTorch equivalent: `torch.randperm(n)`.
    ///
    /// # Errors
    /// If `n` indices do not fit in memory.
    pub fn randperm_tensor(self, n: usize) -> Result<Tensor> {
        let perm = self.try_randperm(n)?;
        let values: Vec<i64> = perm.into_iter().map(|i| i as i64).collect();
        Tensor::from_data(&values, &[n])
    }
}

/// Declares an in-place sampling method on `Tensor` (default generator)
/// with its panicking form.
macro_rules! in_place_sampling {
    ($($try_name:ident, $name:ident, $method:ident($($arg:ident: $ty:ty),*), $torch:literal, $errors:literal;)*) => {
        impl Tensor {
            $(
                #[doc = concat!("Refills the tensor from the default generator. PyTorch equivalent: `", $torch, "`; see [`Generator::", stringify!($method), "`].")]
                ///
                /// # Errors
                #[doc = $errors]
                pub fn $try_name(&self, $($arg: $ty),*) -> Result<&Tensor> {
                    super::default_generator().with(|g| g.$method(self, $($arg),*))?;
                    Ok(self)
                }

                #[doc = concat!("Panicking form of [`", stringify!($try_name), "`](Tensor::", stringify!($try_name), ").")]
                ///
                /// # Panics
                #[doc = $errors]
                #[track_caller]
                pub fn $name(&self, $($arg: $ty),*) -> &Tensor {
                    or_panic(self.$try_name($($arg),*))
                }
            )*
        }
    };
}

in_place_sampling! {
    try_uniform_, uniform_, uniform_(low: f64, high: f64), "x.uniform_(low, high)",
        "For an integer or bool tensor, `low > high`, or overlapping elements.";
    try_normal_, normal_, normal_(mean: f64, std: f64), "x.normal_(mean, std)",
        "For an integer or bool tensor, a negative `std`, or overlapping elements.";
    try_random_, random_, random_(from: i64, to: i64), "x.random_(from, to)",
        "If `from >= to`, for a bool tensor, or overlapping elements.";
    try_bernoulli_, bernoulli_, bernoulli_(p: f64), "x.bernoulli_(p)",
        "If `p` is not in `[0, 1]`, or for overlapping elements.";
    try_exponential_, exponential_, exponential_(lambda: f64), "x.exponential_(lambd)",
        "For `lambda <= 0`, an integer or bool tensor, or overlapping elements.";
}

impl Tensor {
    /// A tensor of `shape` and `dtype` filled by `fill` from the default
    /// generator; errors name `op`.
    fn sampled(
        op: &'static str,
        shape: &[usize],
        dtype: DType,
        fill: impl FnOnce(&mut Generator, &Tensor) -> Result<()>,
    ) -> Result<Tensor> {
        let out = Tensor::try_zeros_of(op, dtype, shape)?;
        super::default_generator().with(|g| fill(g, &out))?;
        Ok(out)
    }

    /// Samples of N(`mean`, `std`²) from the default generator.
    /// PyTorch equivalent: `torch.normal(mean, std, shape)`.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] if `std` is negative;
    /// [`TensorError::ShapeOverflow`] or [`TensorError::Allocation`] for a
    /// shape too large to hold.
    pub fn try_normal(mean: f64, std: f64, shape: &[usize]) -> Result<Tensor> {
        Tensor::sampled("normal", shape, DType::Float32, |g, t| {
            g.normal_(t, mean, std)
        })
    }

    /// Panicking form of [`try_normal`](Tensor::try_normal).
    ///
    /// # Panics
    /// If `std` is negative.
    #[track_caller]
    pub fn normal(mean: f64, std: f64, shape: &[usize]) -> Tensor {
        or_panic(Tensor::try_normal(mean, std, shape))
    }

    /// Samples of U[`low`, `high`) from the default generator.
    /// PyTorch equivalent: `torch.empty(shape).uniform_(low, high)`.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] if `low > high` or a bound is out of
    /// float32's range; [`TensorError::ShapeOverflow`] or
    /// [`TensorError::Allocation`] for a shape too large to hold.
    pub fn try_uniform(low: f64, high: f64, shape: &[usize]) -> Result<Tensor> {
        Tensor::sampled("uniform", shape, DType::Float32, |g, t| {
            g.uniform_(t, low, high)
        })
    }

    /// Panicking form of [`try_uniform`](Tensor::try_uniform).
    ///
    /// # Panics
    /// If `low > high` or a bound is out of float32's range.
    #[track_caller]
    pub fn uniform(low: f64, high: f64, shape: &[usize]) -> Tensor {
        or_panic(Tensor::try_uniform(low, high, shape))
    }

    /// Standard normal samples of `dtype` (float32 or float64). PyTorch
    /// equivalent: `torch.randn(shape, dtype=dtype)`.
    ///
    /// # Errors
    /// For an integer or bool `dtype`, or a shape too large to hold.
    pub fn try_randn_dtype(shape: &[usize], dtype: DType) -> Result<Tensor> {
        Tensor::sampled("randn", shape, dtype, |g, t| g.normal_(t, 0.0, 1.0))
    }

    /// Standard normal samples. PyTorch equivalent: `torch.randn(shape)`.
    ///
    /// # Errors
    /// [`TensorError::ShapeOverflow`] or [`TensorError::Allocation`] for a
    /// shape too large to hold.
    pub fn try_randn(shape: &[usize]) -> Result<Tensor> {
        Tensor::try_randn_dtype(shape, DType::Float32)
    }

    /// Panicking form of [`try_randn`](Tensor::try_randn).
    ///
    /// # Panics
    /// If the shape is too large to hold.
    #[track_caller]
    pub fn randn(shape: &[usize]) -> Tensor {
        or_panic(Tensor::try_randn(shape))
    }

    /// Uniform samples in [0, 1) of `dtype` (float32 or float64). PyTorch
    /// equivalent: `torch.rand(shape, dtype=dtype)`.
    ///
    /// # Errors
    /// For an integer or bool `dtype`, or a shape too large to hold.
    pub fn try_rand_dtype(shape: &[usize], dtype: DType) -> Result<Tensor> {
        Tensor::sampled("rand", shape, dtype, |g, t| g.uniform_(t, 0.0, 1.0))
    }

    /// Uniform samples in [0, 1). PyTorch equivalent: `torch.rand(shape)`.
    ///
    /// # Errors
    /// As [`try_randn`](Tensor::try_randn).
    pub fn try_rand(shape: &[usize]) -> Result<Tensor> {
        Tensor::try_rand_dtype(shape, DType::Float32)
    }

    /// Panicking form of [`try_rand`](Tensor::try_rand).
    ///
    /// # Panics
    /// If the shape is too large to hold.
    #[track_caller]
    pub fn rand(shape: &[usize]) -> Tensor {
        or_panic(Tensor::try_rand(shape))
    }

    /// Standard normal samples with `self`'s shape and dtype. PyTorch equivalent: `torch.randn_like(x)`.
    ///
    /// # Panics
    /// For an integer or bool tensor.
    #[track_caller]
    pub fn randn_like(&self) -> Tensor {
        or_panic(Tensor::try_randn_dtype(self.shape(), self.dtype()))
    }

    /// Uniform samples in [0, 1) with `self`'s shape and dtype. PyTorch equivalent: `torch.rand_like(x)`.
    ///
    /// # Panics
    /// For an integer or bool tensor.
    #[track_caller]
    pub fn rand_like(&self) -> Tensor {
        or_panic(Tensor::try_rand_dtype(self.shape(), self.dtype()))
    }

    /// int64 integers uniform in `[low, high)`. PyTorch equivalent:
    /// `torch.randint(low, high, shape)`.
    ///
    /// # Errors
    /// If `low >= high`, or the shape is too large to hold.
    pub fn try_randint(low: i64, high: i64, shape: &[usize]) -> Result<Tensor> {
        Tensor::sampled("randint", shape, DType::Int64, |g, t| {
            g.random_(t, low, high)
        })
    }

    /// Panicking form of [`try_randint`](Tensor::try_randint).
    ///
    /// # Panics
    /// If `low >= high`, or the shape is too large to hold.
    #[track_caller]
    pub fn randint(low: i64, high: i64, shape: &[usize]) -> Tensor {
        or_panic(Tensor::try_randint(low, high, shape))
    }

    /// A random permutation of `0..n` as an int64 tensor. PyTorch
    /// equivalent: `torch.randperm(n)`.
    ///
    /// # Errors
    /// If `n` indices do not fit in memory.
    pub fn try_randperm(n: usize) -> Result<Tensor> {
        super::default_generator().randperm_tensor(n)
    }

    /// Panicking form of [`try_randperm`](Tensor::try_randperm).
    ///
    /// # Panics
    /// If `n` indices do not fit in memory.
    #[track_caller]
    pub fn randperm(n: usize) -> Tensor {
        or_panic(Tensor::try_randperm(n))
    }

    /// 1 with probability `self[i]`, else 0, from the default generator.
    /// PyTorch equivalent: `torch.bernoulli(probs)`.
    ///
    /// # Errors
    /// As [`Generator::bernoulli`].
    pub fn try_bernoulli(&self) -> Result<Tensor> {
        super::default_generator().with(|g| g.bernoulli(self))
    }

    /// Panicking form of [`try_bernoulli`](Tensor::try_bernoulli).
    ///
    /// # Panics
    /// As [`Generator::bernoulli`] errs.
    #[track_caller]
    pub fn bernoulli(&self) -> Tensor {
        or_panic(self.try_bernoulli())
    }
}
