//! Random tensors and the generators they draw from, with PyTorch's CPU
//! streams: the same seed gives the same numbers as PyTorch.
//!
//! A [`Generator`] is PyTorch's CPU generator (`torch.Generator`): the
//! Mersenne Twister mt19937 seeded as PyTorch seeds it, with the cached
//! second normal sample PyTorch keeps, and a state that is byte for byte
//! `torch.get_rng_state()`. Every sampling op draws as PyTorch's CPU kernel
//! does (`sampling.rs`), so `manual_seed(42)` then `Tensor::randn(&[3])`
//! prints what `torch.manual_seed(42); torch.randn(3)` prints.
//!
//! The free functions and `Tensor::rand*` constructors use one
//! **process-wide** default generator behind a mutex, so they are safe to
//! call from any thread; [`manual_seed`] reseeds it, which makes a
//! single-threaded program reproducible. (When several threads draw
//! concurrently the interleaving, and so the values each thread gets,
//! depends on scheduling; give each thread its own [`Generator`] when that
//! matters.) Unlike PyTorch, whose default generator starts from a random
//! seed, it starts from [`DEFAULT_SEED`] (the seed of a new
//! `torch.Generator()`), so an unseeded program is reproducible too.

mod avx_mathfun;
mod mt19937;
mod sampling;

use std::sync::{Mutex, OnceLock};

use crate::error::{Result, TensorError};
use crate::tensor::{or_panic, Tensor};
use mt19937::Mt19937;

/// The seed of a new `torch.Generator()`, and of the default generator
/// until [`manual_seed`] is called.
pub const DEFAULT_SEED: u64 = 67_280_421_310_721;

/// The size of a state from [`Generator::get_state`]: PyTorch's
/// `CPUGeneratorImplState`, `torch.get_rng_state().numel()`.
pub const STATE_SIZE: usize = 5056;

/// A seedable source of random numbers, drawing exactly as PyTorch's CPU
/// generator does. PyTorch equivalent: `torch.Generator()`.
#[derive(Clone, Debug, PartialEq)]
pub struct Generator {
    engine: Mt19937,
    /// The second value of the last Box-Muller pair of the scalar `normal_`
    /// path, used by the next draw (PyTorch's `next_double_normal_sample`).
    next_double_normal: Option<f64>,
    /// PyTorch's `next_float_normal_sample`: kept in the state only.
    next_float_normal: Option<f32>,
}

impl Default for Generator {
    /// A generator seeded with [`DEFAULT_SEED`]. PyTorch equivalent: `torch.Generator()`.
    fn default() -> Generator {
        Generator::new(DEFAULT_SEED)
    }
}

impl Generator {
    /// A generator seeded with `seed`. PyTorch equivalent:
    /// `torch.Generator().manual_seed(seed)`.
    pub fn new(seed: u64) -> Generator {
        Generator {
            engine: Mt19937::new(seed),
            next_double_normal: None,
            next_float_normal: None,
        }
    }

    /// Restarts the generator from `seed`. PyTorch equivalent: `g.manual_seed(seed)`.
    pub fn manual_seed(&mut self, seed: u64) {
        *self = Generator::new(seed);
    }

    /// The seed the generator was last started from. PyTorch equivalent: `g.initial_seed()`.
    pub fn initial_seed(&self) -> u64 {
        self.engine.seed
    }

    /// Restarts the generator from a seed taken from the operating system,
    /// and returns it. PyTorch equivalent: `g.seed()`.
    pub fn seed(&mut self) -> u64 {
        let seed = rand::random::<u64>();
        self.manual_seed(seed);
        seed
    }

    /// The next 32 random bits. PyTorch equivalent: `CPUGeneratorImpl::random()`.
    #[inline]
    pub fn random(&mut self) -> u32 {
        self.engine.next_u32()
    }

    /// The next 64 random bits, from two 32-bit draws (the first is the
    /// high half). PyTorch equivalent: `CPUGeneratorImpl::random64()`.
    pub fn random64(&mut self) -> u64 {
        let high = u64::from(self.engine.next_u32());
        let low = u64::from(self.engine.next_u32());
        (high << 32) | low
    }

    /// A random non-negative 64-bit integer, as PyTorch draws a seed for
    /// another generator: `torch.empty((), dtype=torch.int64).random_()`.
    pub fn next_u64(&mut self) -> u64 {
        self.random64() % (1 << 63)
    }

    /// The whole state as PyTorch's bytes (`STATE_SIZE` of them, the
    /// layout of `CPUGeneratorImplState`): `set_state` here or
    /// `torch.set_rng_state(torch.tensor(bytes, dtype=torch.uint8))` in
    /// PyTorch continues the same stream. PyTorch equivalent: `g.get_state()`.
    pub fn get_state(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(STATE_SIZE);
        out.extend(self.engine.seed.to_le_bytes()); // the_initial_seed
        out.extend((self.engine.left as i32).to_le_bytes()); // left
        out.extend(1i32.to_le_bytes()); // seeded
        out.extend(u64::from(self.engine.next).to_le_bytes()); // next
        for word in self.engine.state {
            out.extend(u64::from(word).to_le_bytes()); // state, 64 bits a word
        }
        let normal_y = self.next_double_normal.unwrap_or(0.0);
        out.extend(0f64.to_le_bytes()); // normal_x (unused)
        out.extend(normal_y.to_le_bytes()); // normal_y
        out.extend(0f64.to_le_bytes()); // normal_rho (unused)
        out.extend(i32::from(self.next_double_normal.is_some()).to_le_bytes());
        out.extend([0u8; 4]); // padding
        out.extend(self.next_float_normal.unwrap_or(0.0).to_le_bytes());
        out.push(u8::from(self.next_float_normal.is_some()));
        out.extend([0u8; 3]); // padding
        debug_assert_eq!(out.len(), STATE_SIZE);
        out
    }

    /// Continues from a state [`get_state`](Generator::get_state) (or
    /// PyTorch's `torch.get_rng_state()`) returned. PyTorch equivalent:
    /// `g.set_state(state)`.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] with PyTorch's message if `state` is
    /// not `STATE_SIZE` bytes or is not a valid mt19937 state.
    pub fn set_state(&mut self, state: &[u8]) -> Result<()> {
        if state.len() != STATE_SIZE {
            return Err(TensorError::invalid(
                "set_state",
                format!("Expected a CPUGeneratorImplState of size {STATE_SIZE} but found the input RNG state size to be {}", state.len()),
            ));
        }
        let u64_at = |at: usize| u64::from_le_bytes(state[at..at + 8].try_into().expect("8 bytes"));
        let i32_at = |at: usize| i32::from_le_bytes(state[at..at + 4].try_into().expect("4 bytes"));
        let mut engine = Mt19937::new(0);
        engine.seed = u64_at(0);
        engine.left = i32_at(8) as u32;
        let seeded = i32_at(12) != 0;
        engine.next = u64_at(16) as u32;
        for (j, word) in engine.state.iter_mut().enumerate() {
            *word = u64_at(24 + 8 * j) as u32;
        }
        let after_words = 24 + 8 * 624;
        if !seeded || !engine.is_valid() {
            return Err(TensorError::invalid("set_state", "Invalid mt19937 state"));
        }
        let normal_y = f64::from_bits(u64_at(after_words + 8));
        let normal_valid = i32_at(after_words + 24) != 0;
        let float_at = after_words + 32;
        let next_float =
            f32::from_le_bytes(state[float_at..float_at + 4].try_into().expect("4 bytes"));
        let float_valid = state[float_at + 4] != 0;
        *self = Generator {
            engine,
            next_double_normal: normal_valid.then_some(normal_y),
            next_float_normal: float_valid.then_some(next_float),
        };
        Ok(())
    }

    /// A tensor of samples of N(`mean`, `std`²). PyTorch equivalent:
    /// `torch.normal(mean, std, shape, generator=g)`.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] if `std` is negative or a parameter
    /// is not finite; [`TensorError::ShapeOverflow`] or
    /// [`TensorError::Allocation`] for a shape too large to hold.
    pub fn normal(&mut self, mean: f64, std: f64, shape: &[usize]) -> Result<Tensor> {
        let out = Tensor::try_zeros(shape)?;
        self.normal_(&out, mean, std)?;
        Ok(out)
    }

    /// A tensor of samples of U[`low`, `high`). PyTorch equivalent:
    /// `torch.empty(shape).uniform_(low, high, generator=g)`.
    ///
    /// # Errors
    /// [`TensorError::InvalidArgument`] if `low > high` or a bound is not
    /// finite; [`TensorError::ShapeOverflow`] or [`TensorError::Allocation`]
    /// for a shape too large to hold.
    pub fn uniform(&mut self, low: f64, high: f64, shape: &[usize]) -> Result<Tensor> {
        let out = Tensor::try_zeros(shape)?;
        self.uniform_(&out, low, high)?;
        Ok(out)
    }
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
    /// Runs `f` on the generator under its lock. `f` is library code that
    /// draws numbers and never calls back into this module.
    pub(crate) fn with<R>(self, f: impl FnOnce(&mut Generator) -> R) -> R {
        static DEFAULT: OnceLock<Mutex<Generator>> = OnceLock::new();
        let mut generator = DEFAULT
            .get_or_init(|| Mutex::new(Generator::default()))
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut generator)
    }

    /// Restarts the default generator from `seed`. PyTorch equivalent: `torch.manual_seed(seed)`.
    pub fn manual_seed(self, seed: u64) {
        self.with(|g| g.manual_seed(seed));
    }

    /// The seed it was last started from. PyTorch equivalent: `torch.initial_seed()`.
    pub fn initial_seed(self) -> u64 {
        self.with(|g| g.initial_seed())
    }

    /// Reseeds from the operating system and returns the seed. PyTorch equivalent: `torch.seed()`.
    pub fn seed(self) -> u64 {
        self.with(Generator::seed)
    }

    /// A random non-negative 64-bit integer (a seed for another generator),
    /// as [`Generator::next_u64`].
    pub fn next_u64(self) -> u64 {
        self.with(Generator::next_u64)
    }

    /// A random permutation of `0..n`. PyTorch equivalent: `torch.randperm(n).tolist()`.
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

    /// Shuffles `items` in place, as [`Generator::shuffle`].
    pub fn shuffle<T>(self, items: &mut [T]) {
        self.with(|g| g.shuffle(items));
    }

    /// The generator's state as PyTorch's bytes. PyTorch equivalent: `torch.get_rng_state()`.
    pub fn get_state(self) -> Vec<u8> {
        self.with(|g| g.get_state())
    }

    /// Continues from a saved state. PyTorch equivalent: `torch.set_rng_state(state)`.
    ///
    /// # Errors
    /// As [`Generator::set_state`]; the generator is unchanged.
    pub fn set_state(self, state: &[u8]) -> Result<()> {
        self.with(|g| g.set_state(state))
    }

    /// A copy of the generator, to draw from without advancing the default one.
    pub fn clone_generator(self) -> Generator {
        self.with(|g| g.clone())
    }

    /// A tensor of samples of N(`mean`, `std`²); see [`Generator::normal`].
    ///
    /// # Errors
    /// As [`Generator::normal`].
    pub fn normal(self, mean: f64, std: f64, shape: &[usize]) -> Result<Tensor> {
        self.with(|g| g.normal(mean, std, shape))
    }

    /// A tensor of samples of U[`low`, `high`); see [`Generator::uniform`].
    ///
    /// # Errors
    /// As [`Generator::uniform`].
    pub fn uniform(self, low: f64, high: f64, shape: &[usize]) -> Result<Tensor> {
        self.with(|g| g.uniform(low, high, shape))
    }
}

/// Reseeds the default generator. PyTorch equivalent: `torch.manual_seed(seed)`.
pub fn manual_seed(seed: u64) {
    default_generator().manual_seed(seed);
}
