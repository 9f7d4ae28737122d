//! Dropout masks: a small counter-based generator (wyrand) seeded per row from one `u64`, so
//! a seed gives one mask whatever the thread split, at a few cycles per value (Burn's dropout
//! draws a ChaCha Bernoulli sample per value).

/// Counter-based generator (wyrand): fast, and one seed per row keeps masks reproducible
/// whatever the thread split.
struct WyRand(u64);

impl WyRand {
    fn for_row(seed: u64, row: usize) -> Self {
        // splitmix64 of the seed and row, so neighbouring rows start far apart.
        let mut z = seed
            ^ (row as u64)
                .wrapping_add(1)
                .wrapping_mul(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        WyRand(z ^ (z >> 31))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0xa076_1d64_78bd_642f);
        let t = u128::from(self.0) * u128::from(self.0 ^ 0xe703_7ed1_a0b4_28db);
        ((t >> 64) as u64) ^ (t as u64)
    }
}

/// Writes `keep / (1 - p)` (0 or the scale) for each value of a row into `gain`: row `row` of
/// the mask drawn with `seed`, each value dropped with probability `p` (the dropout).
pub fn dropout_row(gain: &mut [f32], p: f64, seed: u64, row: usize) {
    if p <= 0.0 {
        gain.fill(1.0);
        return;
    }
    let scale = (1.0 / (1.0 - p)) as f32;
    // A value is kept when its 32-bit draw is at least `p * 2^32`.
    let threshold = (p * 4_294_967_296.0) as u64;
    let mut rng = WyRand::for_row(seed, row);
    for pair in gain.chunks_mut(2) {
        let draw = rng.next();
        for (g, bits) in pair.iter_mut().zip([draw & 0xFFFF_FFFF, draw >> 32]) {
            // Branch-free: a kept/dropped branch would mispredict at rate about p.
            *g = scale * f32::from(u8::from(bits >= threshold));
        }
    }
}
