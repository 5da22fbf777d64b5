//! The distribution of job lengths a plan is costed on: piecewise linear between bucket edges.

use super::histogram::{bucket_of, edge_ms, BUCKETS};

pub struct Cdf {
    /// F at each bucket edge (BUCKETS + 1 values, from 0 to 1).
    at_edge: Vec<f64>,
    /// ∫ (1 − F) from 0 to each edge: the expected number of checks on a grid is this over the step.
    area: Vec<f64>,
}

impl Cdf {
    /// From bucket weights; `None` when they hold no weight.
    pub fn new(weights: &[f64]) -> Option<Cdf> {
        let total: f64 = weights.iter().sum();
        if !total.is_finite() || total <= 0.0 || weights.len() != BUCKETS {
            return None;
        }
        let mut at_edge = Vec::with_capacity(BUCKETS + 1);
        let mut area = Vec::with_capacity(BUCKETS + 1);
        let (mut f, mut a) = (0.0, 0.0);
        at_edge.push(0.0);
        area.push(0.0);
        for (i, w) in weights.iter().enumerate() {
            let next = (f + w / total).min(1.0);
            a += (edge_ms(i + 1) - edge_ms(i)) * (1.0 - (f + next) / 2.0);
            f = next;
            at_edge.push(f);
            area.push(a);
        }
        at_edge[BUCKETS] = 1.0;
        Some(Cdf { at_edge, area })
    }

    /// P(length ≤ t).
    pub fn at(&self, t: f64) -> f64 {
        if t.is_nan() || t <= 0.0 {
            return 0.0;
        }
        if t >= edge_ms(BUCKETS) {
            return 1.0;
        }
        let i = bucket_of(t);
        let (lo, hi) = (edge_ms(i), edge_ms(i + 1));
        let u = ((t - lo) / (hi - lo)).clamp(0.0, 1.0);
        self.at_edge[i] + u * (self.at_edge[i + 1] - self.at_edge[i])
    }

    /// ∫ (1 − F) from 0 to t.
    pub fn area(&self, t: f64) -> f64 {
        let t = t.clamp(0.0, edge_ms(BUCKETS));
        let i = bucket_of(t).min(BUCKETS - 1);
        let lo = edge_ms(i);
        self.area[i] + (t - lo) * (1.0 - (self.at_edge[i] + self.at(t)) / 2.0)
    }

    /// The smallest t with F(t) ≥ q.
    pub fn quantile(&self, q: f64) -> f64 {
        let q = q.clamp(0.0, 1.0);
        let i = self.at_edge.partition_point(|f| *f < q);
        if i == 0 {
            return 0.0;
        }
        let (f0, f1) = (self.at_edge[i - 1], self.at_edge[i]);
        let (lo, hi) = (edge_ms(i - 1), edge_ms(i));
        if f1 <= f0 {
            return lo;
        }
        lo + (hi - lo) * ((q - f0) / (f1 - f0)).clamp(0.0, 1.0)
    }

    /// Beyond this no job lasts.
    pub fn end(&self) -> f64 {
        edge_ms(BUCKETS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_inverts_at_and_area_integrates() {
        let mut w = vec![0.0; BUCKETS];
        w[bucket_of(10_000.0)] = 1.0;
        w[bucket_of(100_000.0)] = 3.0;
        let cdf = Cdf::new(&w).unwrap();
        for q in [0.1, 0.25, 0.5, 0.9] {
            let t = cdf.quantile(q);
            assert!((cdf.at(t) - q).abs() < 1e-9, "{q} {t}");
        }
        assert_eq!(cdf.at(0.0), 0.0);
        assert_eq!(cdf.at(cdf.end()), 1.0);
        // The area under 1 − F up to the end is the mean length.
        let mean = cdf.area(cdf.end());
        assert!(
            (mean / 1000.0 - (0.25 * 10.4 + 0.75 * 104.0)).abs() < 3.0,
            "{mean}"
        );
        assert!(Cdf::new(&vec![0.0; BUCKETS]).is_none());
    }
}
