//! `SplitMix64`: a tiny, fast, seedable pseudo-random generator.
//!
//! Rules: it is for jitter and for tests, never for anything that must be
//! unpredictable to an attacker. A generator is a plain value owned by whoever
//! holds it (no shared state, no locks); two generators built from the same
//! seed yield the same sequence on every platform, which is what makes jittered
//! schedules reproducible.
//!
//! The state is one `u64` advanced by a fixed odd constant (the golden ratio in
//! 64-bit fixed point); each output is that state passed through a bijective
//! mixing function, so every seed, zero included, gives a full-period stream.

/// Golden-ratio increment: odd, so the state visits all 2^64 values.
const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// A SplitMix64 generator (crate-internal).
#[derive(Clone, Debug)]
pub(crate) struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator whose sequence is fixed by `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    /// A generator seeded from the process's hash randomness (no clock read).
    pub(crate) fn from_entropy() -> Self {
        use std::hash::{BuildHasher, Hasher};
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(GAMMA);
        SplitMix64::new(hasher.finish())
    }

    /// The next 64 uniformly distributed bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GAMMA);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A value in `0..=bound`, by 128-bit multiply-and-shift (no division;
    /// the bias is below 2^-64 per value, far under anything measurable).
    pub(crate) fn below_or_eq(&mut self, bound: u64) -> u64 {
        match bound.checked_add(1) {
            Some(span) => ((u128::from(self.next_u64()) * u128::from(span)) >> 64) as u64,
            None => self.next_u64(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SplitMix64;

    #[test]
    fn matches_the_reference_sequence() {
        // Reference outputs of SplitMix64 seeded with 0 (Vigna's splitmix64.c).
        let mut rng = SplitMix64::new(0);
        assert_eq!(rng.next_u64(), 0xe220_a839_7b1d_cdaf);
        assert_eq!(rng.next_u64(), 0x6e78_9e6a_a1b9_65f4);
        assert_eq!(rng.next_u64(), 0x06c4_5d18_8009_454f);
    }

    #[test]
    fn same_seed_same_stream() {
        let mut a = SplitMix64::new(42);
        let mut b = SplitMix64::new(42);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
    }

    #[test]
    fn below_or_eq_stays_in_range_and_reaches_both_ends() {
        let mut rng = SplitMix64::new(7);
        let (mut saw_zero, mut saw_top) = (false, false);
        for _ in 0..10_000 {
            let v = rng.below_or_eq(3);
            assert!(v <= 3);
            saw_zero |= v == 0;
            saw_top |= v == 3;
        }
        assert!(saw_zero && saw_top);
        assert_eq!(rng.below_or_eq(0), 0);
        let _ = rng.below_or_eq(u64::MAX);
    }
}
