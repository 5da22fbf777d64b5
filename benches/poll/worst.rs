//! The worst a planner does over learning samples, against the loop and the oracle.

use crate::sweep::ORACLE_AIM;

/// The worst figures of a planner over learning samples: (value, family, sample), and every
/// sample's requests against the oracle's.
#[derive(Default)]
pub struct Worst {
    pub p95_over_ms: Option<(i64, String, u64)>,
    pub vs_oracle: Option<(f64, String, u64)>,
    pub ratios: Vec<f64>,
    /// Samples whose p95 lag is more than 500 ms over the loop's (the aim's bound).
    pub p95_misses: usize,
}

impl Worst {
    pub fn add(&mut self, family: &str, k: u64, p95_over_ms: i64, vs_oracle: f64) {
        self.ratios.push(vs_oracle);
        self.p95_misses += usize::from(p95_over_ms > 500);
        if self.p95_over_ms.as_ref().is_none_or(|w| p95_over_ms > w.0) {
            self.p95_over_ms = Some((p95_over_ms, family.into(), k));
        }
        if self.vs_oracle.as_ref().is_none_or(|w| vs_oracle > w.0) {
            self.vs_oracle = Some((vs_oracle, family.into(), k));
        }
    }

    /// Samples whose requests are more than 1.15 times the oracle's (the aim's bound).
    pub fn ratio_misses(&self) -> usize {
        self.ratios.iter().filter(|r| **r > ORACLE_AIM).count()
    }

    pub fn median_vs_oracle(&self) -> f64 {
        let mut r = self.ratios.clone();
        r.sort_by(f64::total_cmp);
        r.get(r.len() / 2).copied().unwrap_or(f64::NAN)
    }
}
