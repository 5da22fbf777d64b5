//! The yardsticks: the plain 3-second loop, a loop spending given requests, and the oracle,
//! the cheapest plan of the quiet–pace–back-off family for a known distribution.

use luma_extend::poll::Plan;

use crate::sim::{figures, run_fixed, Figures, RTT_MS};
use crate::warm::config;

pub const LOOP_SLEEP_MS: u64 = 3_000;

/// The plain 3-second loop on `jobs`.
pub fn loop_figures(jobs: &[u64]) -> Figures {
    figures(
        &jobs
            .iter()
            .map(|&d| run_fixed(d, LOOP_SLEEP_MS))
            .collect::<Vec<_>>(),
    )
}

/// The interval of a plain loop that spends `requests` per job on `jobs`.
pub fn same_requests_loop(jobs: &[u64], requests: f64) -> Figures {
    let spend = |sleep| {
        jobs.iter()
            .map(|&d| f64::from(run_fixed(d, sleep).requests))
            .sum::<f64>()
            / jobs.len() as f64
    };
    let (mut lo, mut hi) = (1u64, 600_000u64);
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if spend(mid) > requests {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    figures(&jobs.iter().map(|&d| run_fixed(d, hi)).collect::<Vec<_>>())
}

/// Checks sent by `plan` (jitter aside) at these ages, as `Schedule` sends them: the next
/// planned check at least the floor after each answer.
fn send_ages(plan: &Plan, until: u64) -> Vec<u64> {
    let mut out = vec![plan.next_check(0)];
    while out[out.len() - 1] < until {
        let answered = out[out.len() - 1] + RTT_MS;
        out.push(plan.next_check(answered + plan.min_wait_ms));
    }
    out
}

/// (requests per job, jobs seen later than `lag_ms`) of `plan` on sorted `jobs`.
fn exact(plan: &Plan, sorted: &[u64], lag_ms: u64) -> (f64, usize) {
    let sends = send_ages(plan, sorted[sorted.len() - 1]);
    let (mut k, mut requests, mut late) = (0usize, 0usize, 0usize);
    for &d in sorted {
        while sends[k] + RTT_MS / 2 < d {
            k += 1;
        }
        requests += k + 1;
        late += usize::from(sends[k] + RTT_MS - d > lag_ms);
    }
    (requests as f64 / sorted.len() as f64, late)
}

pub fn quantile(sorted: &[u64], q: f64) -> u64 {
    sorted[((sorted.len() as f64 * q) as usize).min(sorted.len() - 1)]
}

/// The cheapest plan of the family whose p95 lag on `sorted` is at most `p95_ms`.
pub fn oracle(sorted: &[u64], p95_ms: u64) -> Plan {
    let quiets: Vec<u64> = [
        0.0, 0.0025, 0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.06,
    ]
    .iter()
    .map(|&q| if q == 0.0 { 100 } else { quantile(sorted, q) })
    .collect();
    oracle_from(sorted, p95_ms, &quiets)
}

/// [`oracle`] with its quiet window ending at one of these ages.
pub fn oracle_from(sorted: &[u64], p95_ms: u64, quiets_ms: &[u64]) -> Plan {
    let config = config();
    let allowed = sorted.len() - sorted.len() * 95 / 100 - 1;
    let quantile = |q: f64| quantile(sorted, q);
    let mut best: Option<(f64, Plan)> = None;
    for &quiet_ms in quiets_ms {
        for b in [1.0, 0.995, 0.99, 0.985, 0.98, 0.97, 0.96, 0.95, 0.93, 0.9] {
            let backoff_from_ms = if b >= 1.0 { u64::MAX } else { quantile(b) };
            let factors: &[f64] = if b >= 1.0 {
                &[1.0]
            } else {
                &[1.1, 1.2, 1.35, 1.5, 1.75, 2.0]
            };
            for &backoff_factor in factors {
                let plan = |pace_ms| Plan {
                    early_check_ms: None,
                    quiet_ms,
                    pace_ms,
                    backoff_from_ms,
                    backoff_factor,
                    max_interval_ms: config.max_interval_ms,
                    min_wait_ms: config.min_wait_ms,
                    anchored: true,
                };
                let (mut lo, mut hi) = (config.min_wait_ms, 4 * LOOP_SLEEP_MS);
                if exact(&plan(lo), sorted, p95_ms).1 > allowed {
                    continue;
                }
                while hi - lo > 10 {
                    let mid = (lo + hi) / 2;
                    if exact(&plan(mid), sorted, p95_ms).1 <= allowed {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                let (requests, _) = exact(&plan(lo), sorted, p95_ms);
                if best.is_none_or(|(r, _)| requests < r) {
                    best = Some((requests, plan(lo)));
                }
            }
        }
    }
    best.map_or_else(|| Plan::cold(&config), |(_, p)| p)
}

/// The plan a planner without any margin would pick from a learning sample: the oracle's
/// search run on the sample's own jobs, as if they were the distribution. How far it beats
/// warm on requests, and how far its p95 lag strays on fresh jobs, shows what a margin for
/// sampling error buys and costs at 200 jobs.
pub fn naive(sample: &[u64]) -> Plan {
    let mut sorted = sample.to_vec();
    sorted.sort_unstable();
    oracle(&sorted, loop_figures(&sorted).p95_lag)
}
