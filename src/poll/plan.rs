//! When to check a job without hints, as a function of its age: quiet while completion is
//! unlikely, a steady pace across the bulk of the jobs, then back-off in the tail.
//!
//! A plan is costed on a distribution of job lengths ([`Cdf`]): the expected number of checks,
//! and the share of jobs whose completion is seen later than `lag` after it happened. The
//! planner searches the family for the fewest checks whose late share stays within what a plain
//! 3-second loop has (5 % of its jobs are seen later than 95 % of its interval), less a margin
//! for what a few recorded jobs cannot tell about the tails.

use super::cdf::Cdf;
use super::histogram::Histogram;
use super::PollConfig;

/// The share of jobs a plain loop sees later than 95 % of its interval.
const LATE_SHARE: f64 = 0.05;
/// How much later than the loop's p95 lag (as a share of its interval) the p95 may come when
/// the recorded jobs understate the edges of the distribution by the margin.
const SLACK: f64 = 0.1;
/// How many standard errors of the estimate the margin covers in the tail.
const SIGMAS: f64 = 1.5;
/// The same for the recorded jobs that end inside the quiet window. Wider: a sample that
/// happens to hold few short jobs puts the window past many of them, and the spans recorded in
/// a long window lean towards its end, so the error feeds itself. Over bench-poll's learning
/// samples the worst p95 lag was 41 s over the loop's with a 1.5 σ share margin, 5.9 s with
/// this bound at 2.0 and 0.45 s at 2.5, for up to 15 % more requests on narrow distributions.
const QUIET_SIGMAS: f64 = 2.5;
/// Fewer recorded jobs than this (counting a typical length as worth this many) plan cold.
pub(super) const MIN_JOBS: f64 = 8.0;
/// How much a typical job length given by the caller spreads (natural log): a guess, not data.
const SEED_SIGMA: f64 = 0.5;
/// How much the recorded lengths are blurred (natural log), times jobs^-0.2.
const SMOOTHING: f64 = 0.15;
/// Check for an instant failure first when the quiet window is this many first checks long.
const EARLY_CHECK_FACTOR: u64 = 10;

/// Where the quiet window may end: quantiles 0, 0.25 %, … 6 %.
const QUIET_STEP: f64 = 0.0025;
const QUIET_STEPS: usize = 24;
/// Where back-off may start (quantiles), and how fast intervals grow.
const BACKOFF_LEVELS: [f64; 7] = [0.995, 0.99, 0.98, 0.97, 0.95, 0.93, 0.9];
const BACKOFF_FACTORS: [f64; 4] = [1.1, 1.25, 1.5, 2.0];

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Plan {
    /// A check for jobs that fail at once, before a long quiet window.
    pub early_check_ms: Option<u64>,
    /// The first regular check.
    pub quiet_ms: u64,
    /// The interval across the bulk of the jobs.
    pub pace_ms: u64,
    /// From the first check at or after this age, each interval grows by `backoff_factor`, up
    /// to `max_interval_ms`. `u64::MAX`: never.
    pub backoff_from_ms: u64,
    pub backoff_factor: f64,
    pub max_interval_ms: u64,
    /// No check sooner than this after an answer.
    pub min_wait_ms: u64,
    /// Checks are at fixed ages (a learned plan), or `pace_ms` after each answer as in a plain
    /// loop (the cold plan: then it never asks more often than that loop, whatever the
    /// round trip).
    pub anchored: bool,
}

/// Checks at `start + j * step` for j in 0..count.
#[derive(Clone, Copy, Debug)]
struct Run {
    start: f64,
    step: f64,
    count: u64,
}

impl Plan {
    /// Without knowledge of the job lengths: the first check, then a plain loop at `pace_ms`.
    pub fn cold(config: &PollConfig) -> Plan {
        Plan {
            early_check_ms: None,
            quiet_ms: config.first_check_ms,
            pace_ms: config.pace_ms.max(1),
            backoff_from_ms: u64::MAX,
            backoff_factor: 1.0,
            max_interval_ms: config.max_interval_ms,
            min_wait_ms: config.pace_ms.max(config.min_wait_ms),
            anchored: false,
        }
    }

    /// The plan for jobs whose lengths `lengths` holds (with the caller's typical length as a
    /// guess while it holds few): the cold plan when that is too little to go on or when no
    /// learned plan beats it.
    pub fn from_lengths(lengths: &Histogram, config: &PollConfig) -> Plan {
        let mut h = lengths.clone();
        let mut guessed = false;
        if let Some(typical) = config.typical_job_ms.filter(|t| *t > 0) {
            if h.total() < MIN_JOBS {
                h.add_lognormal(typical as f64, SEED_SIGMA, MIN_JOBS);
                guessed = true;
            }
        }
        let jobs = h.total();
        if jobs < MIN_JOBS {
            return Plan::cold(config);
        }
        // Fewer jobs, wider tails: the estimate errs towards asking sooner and longer.
        let Some(cdf) = Cdf::new(&h.smoothed(SMOOTHING * jobs.powf(-0.2))) else {
            return Plan::cold(config);
        };
        search(&cdf, config, jobs, guessed)
    }

    /// The first planned check at or after `age_ms`.
    pub fn next_check(&self, age_ms: u64) -> u64 {
        let age = age_ms as f64;
        for run in self.runs() {
            if age <= run.start {
                return run.start as u64;
            }
            if run.step > 0.0 {
                let j = ((age - run.start) / run.step).ceil();
                if j < run.count as f64 {
                    return (run.start + j * run.step).ceil() as u64;
                }
            }
        }
        // Unreachable: the last run never ends. Still, never park.
        age_ms.saturating_add(self.max_interval_ms)
    }

    fn runs(&self) -> Vec<Run> {
        let (quiet, pace) = (self.quiet_ms as f64, self.pace_ms.max(1) as f64);
        let max = (self.max_interval_ms as f64).max(pace);
        let mut runs = Vec::new();
        if let Some(e) = self.early_check_ms.filter(|e| *e < self.quiet_ms) {
            runs.push(Run {
                start: e as f64,
                step: 0.0,
                count: 1,
            });
        }
        if self.backoff_from_ms == u64::MAX || self.backoff_factor <= 1.0 {
            runs.push(Run {
                start: quiet,
                step: pace,
                count: u64::MAX,
            });
            return runs;
        }
        let from = self.backoff_from_ms as f64;
        let steps = if from <= quiet {
            0.0
        } else {
            ((from - quiet) / pace).ceil()
        };
        runs.push(Run {
            start: quiet,
            step: pace,
            count: steps as u64 + 1,
        });
        let (mut at, mut interval) = (quiet + steps * pace, pace);
        // At least 1 % growth a step: a few hundred steps reach the longest interval.
        let factor = self.backoff_factor.max(1.01);
        loop {
            interval = (interval * factor).min(max);
            at += interval;
            if interval >= max {
                runs.push(Run {
                    start: at,
                    step: max,
                    count: u64::MAX,
                });
                return runs;
            }
            runs.push(Run {
                start: at,
                step: 0.0,
                count: 1,
            });
        }
    }

    /// The expected number of checks per job, and the shares of jobs seen more than `lag` and
    /// `lag + slack` ms after they completed, on `cdf` (checks at the planned ages, round trips
    /// aside).
    pub fn cost(&self, cdf: &Cdf, lag: f64, slack: f64) -> Cost {
        let mut c = Cost {
            checks: 1.0,
            late: 0.0,
            later: 0.0,
        };
        let mut prev = 0.0;
        let end = cdf.end();
        for run in self.runs() {
            let n = if run.step > 0.0 {
                let to_end = ((end - run.start) / run.step).ceil().max(0.0) + 1.0;
                (run.count as f64).min(to_end)
            } else {
                run.count as f64
            };
            if n > 16.0 {
                // A long even run: the sum over its checks is an integral, to a fraction of one.
                let last = run.start + (n - 1.0) * run.step;
                let inside = cdf.at(last) - cdf.at(run.start);
                for (share, lag) in [(&mut c.late, lag), (&mut c.later, lag + slack)] {
                    *share += (cdf.at(run.start - lag) - cdf.at(prev)).max(0.0);
                    *share += ((run.step - lag) / run.step).max(0.0) * inside;
                }
                c.checks += (cdf.area(last) - cdf.area(run.start)) / run.step
                    + (2.0 - cdf.at(run.start) - cdf.at(last)) / 2.0;
                prev = last;
            } else {
                for j in 0..n as u64 {
                    let t = run.start + j as f64 * run.step;
                    c.late += (cdf.at(t - lag) - cdf.at(prev)).max(0.0);
                    c.later += (cdf.at(t - lag - slack) - cdf.at(prev)).max(0.0);
                    c.checks += 1.0 - cdf.at(t);
                    prev = t;
                }
            }
            if cdf.at(prev) >= 1.0 - 1e-9 {
                break;
            }
        }
        c
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cost {
    pub checks: f64,
    /// Seen later than the lag asked for.
    pub late: f64,
    /// Seen later than that lag plus the slack.
    pub later: f64,
}

/// An upper bound on a Poisson count of which `k` were seen, `z` standard errors out on the
/// square-root scale, where its error is even: (√k + z/2)².
fn poisson_upper(k: f64, z: f64) -> f64 {
    k + z * k.sqrt() + z * z / 4.0
}

/// The cheapest plan of the family on `cdf` whose late share, with a margin for an estimate
/// from `jobs` jobs, is within the plain loop's. First the quiet window alone, finely; then
/// back-off in the tail, around the best quiet windows found.
fn search(cdf: &Cdf, config: &PollConfig, jobs: f64, guessed: bool) -> Plan {
    let cold = Plan::cold(config);
    // A plain loop asks every pace + round trip, and sees 5 % of its jobs later than 95 % of that.
    let period = (cold.pace_ms + config.round_trip_ms) as f64;
    let lag = 0.95 * period;
    let grid = Plan {
        pace_ms: period as u64,
        anchored: true,
        ..cold
    };
    let mut best = (grid.cost(cdf, lag, 0.0).checks, cold);
    let min_wait = config.min_wait_ms.max(1);
    let (slack, z) = (SLACK * period, SIGMAS);
    let fits = |plan: &Plan| {
        let c = plan.cost(cdf, lag, slack);
        // As late as the loop at its 95th percentile, by the estimate. Then, at the lag plus
        // the slack, with what `jobs` jobs cannot tell: what the steady pace makes late is
        // certain; jobs ending in the quiet window get a Poisson margin, and the tail (where
        // a few jobs stand for all) the same Poisson bound on how many jobs lie beyond the
        // back-off.
        let early = plan.early_check_ms.map_or(0.0, |e| cdf.at(e as f64));
        let quiet = (cdf.at(plan.quiet_ms as f64 - lag - slack) - early).max(0.0);
        let from = cdf.at(plan.quiet_ms as f64);
        let to = cdf.at(plan.backoff_from_ms as f64);
        let pace = plan.pace_ms as f64;
        let steady = ((pace - lag - slack) / pace).max(0.0) * (to - from);
        let tail = (c.later - steady - quiet).max(0.0);
        let beyond = (jobs * (1.0 - to)).max(1e-9);
        // Recorded jobs in the quiet window: counts, not shares, since a few stand for many
        // more. The Poisson bound, whose floor for none seen (z²/4) takes at most a quarter of
        // the late share, so that a few dozen jobs still plan a window. A typical length is a
        // guess, not a sample: the binomial margin of a share.
        let in_quiet = if guessed {
            quiet + z * (quiet * (1.0 - quiet) / jobs).sqrt()
        } else {
            let k = jobs * quiet;
            let zq = QUIET_SIGMAS;
            let floor_capped = k + zq * k.sqrt() + jobs * LATE_SHARE / 4.0;
            poisson_upper(k, zq).min(floor_capped) / jobs
        };
        let sure = steady + in_quiet + tail * poisson_upper(beyond, z) / beyond;
        (c.late <= LATE_SHARE && sure <= LATE_SHARE).then_some(c.checks)
    };
    // The widest pace that fits (the late share grows with it), and its cost.
    let widest = |plan: &dyn Fn(u64) -> Plan| {
        fits(&plan(min_wait))?;
        let (mut lo, mut hi) = (min_wait, ((2.0 * period) as u64).max(min_wait));
        while hi - lo > 20 {
            let mid = (lo + hi) / 2;
            if fits(&plan(mid)).is_some() {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Some((fits(&plan(lo))?, plan(lo)))
    };
    let shape = |quiet_ms: u64, backoff_from_ms: u64, backoff_factor: f64| {
        let early_check_ms = (quiet_ms >= EARLY_CHECK_FACTOR * config.first_check_ms)
            .then_some(config.first_check_ms);
        move |pace_ms| Plan {
            early_check_ms,
            quiet_ms,
            pace_ms,
            backoff_from_ms,
            backoff_factor,
            max_interval_ms: config.max_interval_ms,
            min_wait_ms: min_wait,
            anchored: true,
        }
    };
    let mut quiets: Vec<u64> = (0..=QUIET_STEPS)
        .map(|k| (cdf.quantile(k as f64 * QUIET_STEP) as u64).max(config.first_check_ms))
        .collect();
    quiets.dedup();
    let mut by_quiet: Vec<(f64, usize)> = Vec::new();
    for (i, &quiet) in quiets.iter().enumerate() {
        if let Some((checks, plan)) = widest(&shape(quiet, u64::MAX, 1.0)) {
            by_quiet.push((checks, i));
            if checks < best.0 {
                best = (checks, plan);
            }
        }
    }
    // Back-off spends some of the late share, so the best quiet window with it is no later.
    let Some(&(_, top)) = by_quiet.iter().min_by(|a, b| a.0.total_cmp(&b.0)) else {
        return best.1;
    };
    for &quiet in &quiets[top.saturating_sub(4)..=top] {
        for &b in &BACKOFF_LEVELS {
            let from = cdf.quantile(b) as u64;
            if from <= quiet {
                continue;
            }
            for &factor in &BACKOFF_FACTORS {
                if let Some((checks, plan)) = widest(&shape(quiet, from, factor)) {
                    if checks < best.0 {
                        best = (checks, plan);
                    }
                }
            }
        }
    }
    best.1
}
