//! The best a learner of 200 jobs could do on a lognormal family if it were told the family:
//! fit the two parameters (the maximum-likelihood fit, the most precise there is from 200
//! jobs) and end the quiet window at the fitted 2.5 % point. Where even its windows spread too
//! wide to meet the aim, no learner of 200 jobs can (docs/design.md, "What 200 jobs can tell").

use crate::family::Family;

/// Learning samples the fitted window is drawn over.
pub const SAMPLES: usize = 1_000;
/// The standard normal's 2.5 % point: the window ends where the fit puts 2.5 % of the jobs.
const Z: f64 = -1.959_964;

/// The fitted window (ms) of each of `SAMPLES` learning samples of 200 jobs, shortest first.
pub fn windows(family: Family, seed: u64, learn: usize) -> Vec<u64> {
    let mut out: Vec<u64> = (0..SAMPLES as u64)
        .map(|k| {
            let logs: Vec<f64> = family
                .sample(learn, seed + k)
                .iter()
                .map(|&d| (d as f64).ln())
                .collect();
            let n = logs.len() as f64;
            let mean = logs.iter().sum::<f64>() / n;
            let var = logs.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / (n - 1.0);
            (mean + Z * var.sqrt()).exp() as u64
        })
        .collect();
    out.sort_unstable();
    out
}
