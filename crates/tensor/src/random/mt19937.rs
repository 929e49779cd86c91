//! The Mersenne Twister mt19937 engine exactly as PyTorch's CPU generator
//! runs it (`aten/src/ATen/core/MT19937RNGEngine.h`): seeded with the low
//! 32 bits of a 64-bit seed by the reference initialisation, refilled 624
//! words at a time, tempered on output. Its state (`left`, `next`, the 624
//! words) is what `torch.get_rng_state()` exposes.

const N: usize = 624;
const M: usize = 397;
const MATRIX_A: u32 = 0x9908_b0df;
const UPPER_MASK: u32 = 0x8000_0000;
const LOWER_MASK: u32 = 0x7fff_ffff;

/// The engine's whole state. PyTorch equivalent: `at::mt19937_data_pod`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Mt19937 {
    /// The seed it was started from (all 64 bits, though only 32 are used).
    pub(crate) seed: u64,
    /// Draws left before the next refill, plus one (PyTorch's `left_`).
    pub(crate) left: u32,
    /// Index of the next word to temper (PyTorch's `next_`).
    pub(crate) next: u32,
    pub(crate) state: [u32; N],
}

impl Mt19937 {
    /// The engine started from `seed`. PyTorch equivalent: `at::mt19937(seed)`.
    pub(crate) fn new(seed: u64) -> Mt19937 {
        let mut state = [0u32; N];
        state[0] = seed as u32;
        for j in 1..N {
            let prev = state[j - 1];
            state[j] = 1_812_433_253u32
                .wrapping_mul(prev ^ (prev >> 30))
                .wrapping_add(j as u32);
        }
        Mt19937 {
            seed,
            left: 1,
            next: 0,
            state,
        }
    }

    /// Whether a state read from outside is one the engine can run from.
    /// Besides PyTorch's check (`left` in `1..=624`, `next <= 624`), every
    /// draw before the next refill must read inside the state:
    /// `next + left <= 625` unless the next draw refills (`left == 1`).
    pub(crate) fn is_valid(&self) -> bool {
        (1..=N as u32).contains(&self.left)
            && self.next <= N as u32
            && (self.left == 1 || self.next + self.left <= N as u32 + 1)
    }

    /// The next 32 random bits.
    #[inline]
    pub(crate) fn next_u32(&mut self) -> u32 {
        self.left -= 1;
        if self.left == 0 {
            self.refill();
        }
        let mut y = self.state[self.next as usize];
        self.next += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// The next 624 words, in place (the reference algorithm's three runs,
    /// without index arithmetic modulo 624).
    #[cold]
    fn refill(&mut self) {
        let twist = |u: u32, v: u32| {
            let mixed = (u & UPPER_MASK) | (v & LOWER_MASK);
            (mixed >> 1) ^ if v & 1 == 1 { MATRIX_A } else { 0 }
        };
        let s = &mut self.state;
        for j in 0..N - M {
            s[j] = s[j + M] ^ twist(s[j], s[j + 1]);
        }
        for j in N - M..N - 1 {
            s[j] = s[j + M - N] ^ twist(s[j], s[j + 1]);
        }
        s[N - 1] = s[M - 1] ^ twist(s[N - 1], s[0]);
        self.left = N as u32;
        self.next = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::Mt19937;

    #[test]
    fn the_reference_sequence() {
        // The C++ standard's check: the 10000th draw of mt19937 seeded 5489.
        let mut engine = Mt19937::new(5489);
        let last = (0..10_000).map(|_| engine.next_u32()).last();
        assert_eq!(last, Some(4_123_659_995));
        // Seeds use their low 32 bits.
        let (mut a, mut b) = (Mt19937::new(7), Mt19937::new(7 + (1 << 32)));
        assert_eq!(a.next_u32(), b.next_u32());
    }
}
