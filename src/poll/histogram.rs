//! Job lengths of one kind of job as a log-bucketed histogram: fixed memory, old jobs fading.
//!
//! Buckets are 1/8 of an octave wide (about 9 %) from 0.5 s to about 16 h, so a narrow
//! distribution (a 10 s job ± 30 %) still spans several buckets and a long one costs nothing
//! more. Counts decay by 1/WINDOW per recorded job, so the histogram follows a provider that
//! gets faster or slower, and its total stays near WINDOW at most.

/// Number of buckets; bucket 0 is [0, LOW_MS), the last one is open-ended.
pub const BUCKETS: usize = 136;
const LOW_MS: f64 = 500.0;
const PER_OCTAVE: f64 = 8.0;
/// Each recorded job weighs 1; older ones fade by this factor per job: about the last 500 count.
const DECAY: f64 = 1.0 - 1.0 / 500.0;

/// Of a recorded span, the part spread evenly rather than where earlier jobs ended.
const EVEN_SHARE: f64 = 0.1;
/// How far (natural log) earlier jobs pull a recorded span's weight towards them.
const NEAR_SIGMA: f64 = 0.2;

/// The lower edge of bucket `i` in ms (`i == BUCKETS` gives the upper edge of the last).
pub fn edge_ms(i: usize) -> f64 {
    if i == 0 {
        0.0
    } else {
        LOW_MS * ((i - 1) as f64 / PER_OCTAVE).exp2()
    }
}

/// The bucket holding `ms`.
pub fn bucket_of(ms: f64) -> usize {
    if ms.is_nan() || ms < LOW_MS {
        return 0;
    }
    let i = ((ms / LOW_MS).log2() * PER_OCTAVE).floor() as usize + 1;
    // The float may land a hair either side of an edge; the edges are the truth.
    let i = i.min(BUCKETS - 1);
    if ms < edge_ms(i) {
        i - 1
    } else if i + 1 < BUCKETS && ms >= edge_ms(i + 1) {
        i + 1
    } else {
        i
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Histogram {
    counts: Vec<f64>,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: vec![0.0; BUCKETS],
        }
    }
}

impl Histogram {
    /// From stored counts (see `JobLengths::decode`); `None` if any count is negative or not finite.
    pub fn from_counts(counts: Vec<f64>) -> Option<Histogram> {
        (counts.len() == BUCKETS && counts.iter().all(|c| c.is_finite() && *c >= 0.0))
            .then_some(Histogram { counts })
    }

    pub fn counts(&self) -> &[f64] {
        &self.counts
    }

    /// The weight of the jobs it holds (decayed).
    pub fn total(&self) -> f64 {
        self.counts.iter().sum()
    }

    /// One job that completed somewhere between `from_ms` and `to_ms` of age (the last answer
    /// that said "not yet" and the one that said "done"). Where in that span is what the jobs
    /// recorded so far say (mostly), or evenly (the rest, and all of it with nothing to go on):
    /// spreading a long span (a quiet window) evenly would pile weight onto early ages that no
    /// job reaches, and keep the quiet window short for no reason.
    pub fn record(&mut self, from_ms: u64, to_ms: u64) {
        let (from, to) = (from_ms.min(to_ms) as f64, from_ms.max(to_ms) as f64);
        let (first, last) = (bucket_of(from), bucket_of(to));
        let overlap = |i: usize| {
            let lo = edge_ms(i).max(from);
            let hi = if i == last {
                to
            } else {
                edge_ms(i + 1).min(to)
            };
            (hi - lo).max(0.0)
        };
        let span = to - from;
        let mut share = vec![0.0; last + 1 - first];
        if first == last || span < 1.0 {
            share[last - first] = 1.0;
        } else {
            // Blurred, so that a span just below the jobs seen so far leans towards them.
            let near = self.smoothed(NEAR_SIGMA);
            let density = |i: usize| near[i] / (edge_ms(i + 1) - edge_ms(i));
            let seen: f64 = (first..=last).map(|i| overlap(i) * density(i)).sum();
            for (k, i) in (first..=last).enumerate() {
                let even = overlap(i) / span;
                share[k] = if seen > 0.0 {
                    EVEN_SHARE * even + (1.0 - EVEN_SHARE) * overlap(i) * density(i) / seen
                } else {
                    even
                };
            }
        }
        for c in &mut self.counts {
            *c *= DECAY;
        }
        for (k, w) in share.into_iter().enumerate() {
            self.counts[first + k] += w;
        }
    }

    /// A lognormal guess (median `median_ms`, log-spread `sigma`) worth `weight` jobs: how a
    /// caller's typical job length enters the model.
    pub fn add_lognormal(&mut self, median_ms: f64, sigma: f64, weight: f64) {
        let mu = median_ms.max(1.0).ln();
        let cdf = |ms: f64| {
            if ms <= 0.0 {
                0.0
            } else {
                normal_cdf((ms.ln() - mu) / sigma)
            }
        };
        for i in 0..BUCKETS {
            let hi = if i + 1 == BUCKETS {
                1.0
            } else {
                cdf(edge_ms(i + 1))
            };
            self.counts[i] += weight * (hi - cdf(edge_ms(i)));
        }
    }

    /// The counts blurred in log time by a Gaussian of `sigma` (natural-log units): with few
    /// jobs, the tails of the estimate are wider than the sample, which errs on the safe side.
    pub fn smoothed(&self, sigma: f64) -> Vec<f64> {
        let width = sigma * PER_OCTAVE / std::f64::consts::LN_2;
        if width < 0.3 {
            return self.counts.clone();
        }
        let reach = (3.0 * width).ceil() as i64;
        let kernel: Vec<f64> = (-reach..=reach)
            .map(|k| (-0.5 * (k as f64 / width).powi(2)).exp())
            .collect();
        let norm: f64 = kernel.iter().sum();
        let mut out = vec![0.0; BUCKETS];
        for (i, &c) in self.counts.iter().enumerate().filter(|(_, c)| **c > 0.0) {
            for (k, w) in kernel.iter().enumerate() {
                let j = (i as i64 + k as i64 - reach).clamp(0, BUCKETS as i64 - 1) as usize;
                out[j] += c * w / norm;
            }
        }
        out
    }
}

/// Φ(x), to about 1e-7 (Abramowitz and Stegun 7.1.26 on erf).
fn normal_cdf(x: f64) -> f64 {
    let z = x.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * z);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-z * z).exp();
    if x >= 0.0 {
        0.5 * (1.0 + erf)
    } else {
        0.5 * (1.0 - erf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_their_edges() {
        assert_eq!(bucket_of(0.0), 0);
        assert_eq!(bucket_of(499.0), 0);
        assert_eq!(bucket_of(500.0), 1);
        for i in 1..BUCKETS {
            assert_eq!(bucket_of(edge_ms(i)), i, "{i}");
            assert_eq!(bucket_of(edge_ms(i) - 0.01), i - 1, "{i}");
        }
        assert_eq!(bucket_of(1e12), BUCKETS - 1);
        assert_eq!(bucket_of(f64::NAN), 0);
    }

    #[test]
    fn a_span_keeps_its_weight_and_old_jobs_fade() {
        let mut h = Histogram::default();
        h.record(10_000, 40_000);
        assert!((h.total() - 1.0).abs() < 1e-9);
        let before = h.counts()[bucket_of(20_000.0)];
        assert!(before > 0.0);
        for _ in 0..1000 {
            h.record(100_000, 100_000);
        }
        assert!(h.counts()[bucket_of(20_000.0)] < before * 0.2);
        assert!(h.total() < 500.0, "bounded: {}", h.total());
    }

    #[test]
    fn a_lognormal_guess_is_centred_and_smoothing_keeps_the_mass() {
        let mut h = Histogram::default();
        h.add_lognormal(60_000.0, 0.5, 8.0);
        assert!((h.total() - 8.0).abs() < 1e-6);
        let below: f64 = h.counts()[..bucket_of(60_000.0)].iter().sum();
        assert!((below - 4.0).abs() < 0.5, "{below}");
        let s: f64 = h.smoothed(0.3).iter().sum();
        assert!((s - 8.0).abs() < 1e-6);
    }
}
