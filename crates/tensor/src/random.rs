//! Random tensors and the generators they draw from.
//!
//! Every random operation draws from a [`Generator`]. The free functions and
//! `Tensor::rand*` constructors use one **process-wide** default generator
//! behind a mutex, so they are safe to call from any thread; [`manual_seed`]
//! reseeds it, which makes a single-threaded program reproducible. (When several
//! threads draw concurrently the interleaving, and so the values each thread
//! gets, depends on scheduling; give each thread its own [`Generator`] when
//! that matters.) Like PyTorch, the default generator starts from a fixed seed,
//! so an unseeded program is reproducible too. The streams differ from
//! PyTorch's: the same seed does not give PyTorch's numbers.

use std::sync::{Mutex, OnceLock};

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal, Uniform};

use crate::error::{Result, TensorError};
use crate::tensor::{or_panic, Tensor};

/// PyTorch's default CPU seed, used until [`manual_seed`] is called.
pub const DEFAULT_SEED: u64 = 67_280_421_310_721;

/// A seedable source of random numbers. PyTorch equivalent: `torch.Generator`.
#[derive(Clone, Debug)]
pub struct Generator {
    rng: StdRng,
}

impl Generator {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Generator {
        Generator {
            rng: StdRng::seed_from_u64(seed),
        }
    }

    /// Restarts the generator from `seed`. PyTorch equivalent: `g.manual_seed(seed)`.
    pub fn manual_seed(&mut self, seed: u64) {
        self.rng = StdRng::seed_from_u64(seed);
    }

    /// A random 64-bit value (used to seed other generators).
    pub fn next_u64(&mut self) -> u64 {
        self.rng.random()
    }

    /// A random permutation of `0..n`. PyTorch equivalent: `torch.randperm(n)`.
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
        perm.shuffle(&mut self.rng);
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

    /// Shuffles `items` in place.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        items.shuffle(&mut self.rng);
    }

    /// Fills `out` with samples of N(`mean`, `std`²).
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] if `std` is negative or not finite.
    pub fn fill_normal(&mut self, out: &mut [f32], mean: f32, std: f32) -> Result<()> {
        let dist = normal_dist(mean, std)?;
        out.iter_mut().for_each(|x| *x = dist.sample(&mut self.rng));
        Ok(())
    }

    /// Fills `out` with samples of U[`low`, `high`).
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] if `low > high` or a bound is not finite.
    pub fn fill_uniform(&mut self, out: &mut [f32], low: f32, high: f32) -> Result<()> {
        check_uniform(low, high)?;
        if low == high {
            // low + (high - low) * u, as PyTorch computes it: +0.0 for [-0.0, 0.0].
            out.fill(low + (high - low) * 0.0);
            return Ok(());
        }
        let dist = Uniform::new(low, high).expect("bounds checked above");
        // The half-open interval holds even when rounding lands on `high`
        // (a range of a few ulps).
        let below_high = high.next_down();
        out.iter_mut()
            .for_each(|x| *x = dist.sample(&mut self.rng).min(below_high));
        Ok(())
    }

    /// A tensor of samples of N(`mean`, `std`²).
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] if `std` is negative or not finite;
    /// [`TensorError::ShapeOverflow`] or [`TensorError::Allocation`] for a
    /// shape too large to hold.
    pub fn normal(&mut self, mean: f32, std: f32, shape: &[usize]) -> Result<Tensor> {
        normal_dist(mean, std)?;
        Tensor::try_build::<f32>("normal", shape, |out| {
            self.fill_normal(out, mean, std).expect("checked above")
        })
    }

    /// A tensor of samples of U[`low`, `high`).
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] if `low > high` or a bound is not
    /// finite; [`TensorError::ShapeOverflow`] or [`TensorError::Allocation`]
    /// for a shape too large to hold.
    pub fn uniform(&mut self, low: f32, high: f32, shape: &[usize]) -> Result<Tensor> {
        check_uniform(low, high)?;
        Tensor::try_build::<f32>("uniform", shape, |out| {
            self.fill_uniform(out, low, high).expect("checked above")
        })
    }
}

fn check_uniform(low: f32, high: f32) -> Result<()> {
    if low > high || !low.is_finite() || !high.is_finite() {
        return Err(TensorError::invalid(
            "uniform",
            format!("expects low <= high with finite bounds, got low={low}, high={high}"),
        ));
    }
    if !(high - low).is_finite() {
        return Err(TensorError::invalid(
            "uniform",
            format!("expects high - low <= f32::MAX, got low={low}, high={high}"),
        ));
    }
    Ok(())
}

fn normal_dist(mean: f32, std: f32) -> Result<Normal<f32>> {
    if std < 0.0 || !std.is_finite() || !mean.is_finite() {
        return Err(TensorError::invalid(
            "normal",
            format!("expects std >= 0.0 and finite parameters, got mean={mean}, std={std}"),
        ));
    }
    Ok(Normal::new(mean, std).expect("parameters checked above"))
}

/// The process-wide default generator: the one `Tensor::randn`, `rand`,
/// `normal`, `uniform` and their in-place forms draw from.
/// PyTorch equivalent: `torch.default_generator`.
///
/// A handle, not a lock guard: each method locks the generator for the
/// duration of that one call, so calling a random constructor while "holding"
/// it cannot deadlock.
///
/// ```
/// use tensor::{random::default_generator, Tensor};
///
/// let gen = default_generator();
/// gen.manual_seed(7);
/// let a = Tensor::randn(&[3]); // draws from the same generator: no deadlock
/// gen.manual_seed(7);
/// assert_eq!(Tensor::randn(&[3]).to_vec(), a.to_vec());
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct DefaultGenerator;

/// The process-wide default generator. PyTorch equivalent: `torch.default_generator`.
pub fn default_generator() -> DefaultGenerator {
    DefaultGenerator
}

impl DefaultGenerator {
    /// Runs `f` on the generator under its lock. Private: `f` is always
    /// library code that draws numbers and never calls back into this module.
    fn with<R>(self, f: impl FnOnce(&mut Generator) -> R) -> R {
        static DEFAULT: OnceLock<Mutex<Generator>> = OnceLock::new();
        let mut generator = DEFAULT
            .get_or_init(|| Mutex::new(Generator::new(DEFAULT_SEED)))
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut generator)
    }

    /// Restarts the default generator from `seed`. PyTorch equivalent: `torch.manual_seed(seed)`.
    pub fn manual_seed(self, seed: u64) {
        self.with(|g| g.manual_seed(seed));
    }

    /// A random 64-bit value (used to seed other generators).
    pub fn next_u64(self) -> u64 {
        self.with(Generator::next_u64)
    }

    /// A random permutation of `0..n`. PyTorch equivalent: `torch.randperm(n)`.
    ///
    /// # Errors
    /// As [`Generator::try_randperm`].
    pub fn try_randperm(self, n: usize) -> Result<Vec<usize>> {
        self.with(|g| g.try_randperm(n))
    }

    /// Panicking form of [`try_randperm`](DefaultGenerator::try_randperm).
    ///
    /// # Panics
    /// If `n` indices do not fit in memory.
    #[track_caller]
    pub fn randperm(self, n: usize) -> Vec<usize> {
        or_panic(self.try_randperm(n))
    }

    /// Shuffles `items` in place.
    pub fn shuffle<T>(self, items: &mut [T]) {
        self.with(|g| g.shuffle(items));
    }

    /// A copy of the generator's current state; drawing from the copy does
    /// not advance the default generator. PyTorch equivalent: `torch.get_rng_state()`.
    pub fn get_state(self) -> Generator {
        self.with(|g| g.clone())
    }

    /// Makes the default generator continue from `state` (a copy taken by
    /// [`get_state`](DefaultGenerator::get_state) or any [`Generator`]).
    /// PyTorch equivalent: `torch.set_rng_state(state)`.
    pub fn set_state(self, state: &Generator) {
        self.with(|g| *g = state.clone());
    }

    /// A tensor of samples of N(`mean`, `std`²); see [`Generator::normal`].
    ///
    /// # Errors
    /// As [`Generator::normal`].
    pub fn normal(self, mean: f32, std: f32, shape: &[usize]) -> Result<Tensor> {
        self.with(|g| g.normal(mean, std, shape))
    }

    /// A tensor of samples of U[`low`, `high`); see [`Generator::uniform`].
    ///
    /// # Errors
    /// As [`Generator::uniform`].
    pub fn uniform(self, low: f32, high: f32, shape: &[usize]) -> Result<Tensor> {
        self.with(|g| g.uniform(low, high, shape))
    }
}

/// Reseeds the default generator. PyTorch equivalent: `torch.manual_seed(seed)`.
pub fn manual_seed(seed: u64) {
    default_generator().manual_seed(seed);
}

impl Tensor {
    /// Samples of N(`mean`, `std`²) from the default generator.
    /// PyTorch equivalent: `torch.normal(mean, std, shape)`.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] if `std` is negative or not finite;
    /// [`TensorError::ShapeOverflow`] or [`TensorError::Allocation`] for a
    /// shape too large to hold.
    pub fn try_normal(mean: f32, std: f32, shape: &[usize]) -> Result<Tensor> {
        default_generator().normal(mean, std, shape)
    }

    /// Panicking form of [`try_normal`](Tensor::try_normal).
    ///
    /// # Panics
    /// If `std` is negative or not finite.
    #[track_caller]
    pub fn normal(mean: f32, std: f32, shape: &[usize]) -> Tensor {
        or_panic(Tensor::try_normal(mean, std, shape))
    }

    /// Samples of U[`low`, `high`) from the default generator.
    /// PyTorch equivalent: `torch.empty(shape).uniform_(low, high)`.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] if `low > high` or a bound is not
    /// finite; [`TensorError::ShapeOverflow`] or [`TensorError::Allocation`]
    /// for a shape too large to hold.
    pub fn try_uniform(low: f32, high: f32, shape: &[usize]) -> Result<Tensor> {
        default_generator().uniform(low, high, shape)
    }

    /// Panicking form of [`try_uniform`](Tensor::try_uniform).
    ///
    /// # Panics
    /// If `low > high` or a bound is not finite.
    #[track_caller]
    pub fn uniform(low: f32, high: f32, shape: &[usize]) -> Tensor {
        or_panic(Tensor::try_uniform(low, high, shape))
    }

    /// Standard normal samples. PyTorch equivalent: `torch.randn(shape)`.
    ///
    /// # Errors
    /// [`TensorError::ShapeOverflow`] or [`TensorError::Allocation`] for a
    /// shape too large to hold.
    pub fn try_randn(shape: &[usize]) -> Result<Tensor> {
        Tensor::try_normal(0.0, 1.0, shape)
    }

    /// Panicking form of [`try_randn`](Tensor::try_randn).
    ///
    /// # Panics
    /// If the shape is too large to hold.
    #[track_caller]
    pub fn randn(shape: &[usize]) -> Tensor {
        or_panic(Tensor::try_randn(shape))
    }

    /// Uniform samples in [0, 1). PyTorch equivalent: `torch.rand(shape)`.
    ///
    /// # Errors
    /// As [`try_randn`](Tensor::try_randn).
    pub fn try_rand(shape: &[usize]) -> Result<Tensor> {
        Tensor::try_uniform(0.0, 1.0, shape)
    }

    /// Panicking form of [`try_rand`](Tensor::try_rand).
    ///
    /// # Panics
    /// If the shape is too large to hold.
    #[track_caller]
    pub fn rand(shape: &[usize]) -> Tensor {
        or_panic(Tensor::try_rand(shape))
    }

    /// Standard normal samples with `self`'s shape. PyTorch equivalent: `torch.randn_like(x)`.
    pub fn randn_like(&self) -> Tensor {
        Tensor::randn(self.shape())
    }

    /// Uniform samples in [0, 1) with `self`'s shape. PyTorch equivalent: `torch.rand_like(x)`.
    pub fn rand_like(&self) -> Tensor {
        Tensor::rand(self.shape())
    }

    /// Refills the tensor with samples of N(`mean`, `std`²) from the default generator.
    /// PyTorch equivalent: `x.normal_(mean, std)`.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] if `std` is negative or not finite.
    pub fn try_normal_(&self, mean: f32, std: f32) -> Result<&Tensor> {
        self.check_writable("normal_")?;
        let fresh = Tensor::try_normal(mean, std, self.shape())?;
        self.try_copy_(&fresh)
    }

    /// Panicking form of [`try_normal_`](Tensor::try_normal_).
    ///
    /// # Panics
    /// If `std` is negative or not finite.
    #[track_caller]
    pub fn normal_(&self, mean: f32, std: f32) -> &Tensor {
        or_panic(self.try_normal_(mean, std))
    }

    /// Refills the tensor with samples of U[`low`, `high`) from the default generator.
    /// PyTorch equivalent: `x.uniform_(low, high)`.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] if `low > high` or a bound is not finite.
    pub fn try_uniform_(&self, low: f32, high: f32) -> Result<&Tensor> {
        self.check_writable("uniform_")?;
        let fresh = Tensor::try_uniform(low, high, self.shape())?;
        self.try_copy_(&fresh)
    }

    /// Panicking form of [`try_uniform_`](Tensor::try_uniform_).
    ///
    /// # Panics
    /// If `low > high` or a bound is not finite.
    #[track_caller]
    pub fn uniform_(&self, low: f32, high: f32) -> &Tensor {
        or_panic(self.try_uniform_(low, high))
    }
}
