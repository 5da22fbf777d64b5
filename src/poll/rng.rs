//! A small seeded generator for jitter. It lives here, at the bottom, because the schedule
//! needs it and the client (above) reuses it for retry backoff.

/// splitmix64: a small seeded generator, enough for jitter.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// Where the sequence is: `Rng::new(r.state())` goes on from here (a saved schedule).
    pub fn state(&self) -> u64 {
        self.0
    }

    /// A number in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}
