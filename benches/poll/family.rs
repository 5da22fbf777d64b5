//! The job-length families of the out-of-sample sweep: none is the one the cold schedule's
//! defaults were tuned on.

use luma_extend::poll::Rng;

use crate::sim::normal;

#[derive(Clone, Copy)]
pub enum Family {
    LogNormal {
        median_s: f64,
        sigma: f64,
    },
    /// Shape 3, mean 120 s.
    Gamma,
    /// Half 25 s, half 180 s jobs (each ±15 %), as one account running two models.
    Mix,
    /// Pareto, 30 s and up, tail index 1.5.
    Pareto,
}

impl Family {
    pub fn name(self) -> String {
        match self {
            Family::LogNormal { median_s, sigma } => format!("lognormal {median_s} s σ{sigma}"),
            Family::Gamma => "gamma k3 mean 120 s".into(),
            Family::Mix => "mix 25 s / 180 s".into(),
            Family::Pareto => "pareto 30 s α1.5".into(),
        }
    }

    fn draw(self, rng: &mut Rng) -> u64 {
        let s = match self {
            Family::LogNormal { median_s, sigma } => median_s * (sigma * normal(rng)).exp(),
            Family::Gamma => -40.0 * (1..=3).map(|_| rng.next_f64().max(1e-12).ln()).sum::<f64>(),
            Family::Mix => {
                let median = if rng.next_f64() < 0.5 { 25.0 } else { 180.0 };
                median * (0.15 * normal(rng)).exp()
            }
            Family::Pareto => 30.0 / rng.next_f64().max(1e-12).powf(1.0 / 1.5),
        };
        ((s * 1000.0) as u64).max(1)
    }

    /// `n` job lengths in ms, the same for the same seed.
    pub fn sample(self, n: usize, seed: u64) -> Vec<u64> {
        let mut rng = Rng::new(seed);
        (0..n).map(|_| self.draw(&mut rng)).collect()
    }
}

pub fn families() -> Vec<Family> {
    let mut out = Vec::new();
    for median_s in [10.0, 30.0, 110.0, 300.0, 900.0] {
        for sigma in [0.3, 0.9] {
            out.push(Family::LogNormal { median_s, sigma });
        }
    }
    out.extend([Family::Gamma, Family::Mix, Family::Pareto]);
    out
}
