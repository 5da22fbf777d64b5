//! Out of sample: job-length families the schedule was not tuned on. For each, the plain
//! 3-second loop, the schedule cold, warm (after learning from 200 jobs of the family, then
//! measured on 10,000 fresh ones), and an oracle: the best plan of the same quiet–pace–back-off
//! family for the true distribution, found by search, at the 3-second loop's p95 lag.

use luma_extend::poll::{JobKey, JobLengths, Plan, PollConfig, Rng, Schedule};
use luma_extend::ProviderKind;

use crate::sim::{figures, normal, run, run_default, run_fixed, Figures, Hints, RTT_MS};

const JOBS: usize = 10_000;
const LEARN: usize = 200;
/// Jobs learned before warm is measured again, to show what more jobs buy (the table's sample
/// is the first 200 of these), on this many learning samples of each family.
const LEARN_MORE: [usize; 2] = [500, 1_000];
const LEARN_MORE_SAMPLES: u64 = 3;
/// The aim: warm within this many times the oracle's requests.
const ORACLE_AIM: f64 = 1.15;
const SEARCH: usize = 20_000;
const LOOP_SLEEP_MS: u64 = 3_000;

#[derive(Clone, Copy)]
enum Family {
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
    fn name(self) -> String {
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

    fn sample(self, n: usize, seed: u64) -> Vec<u64> {
        let mut rng = Rng::new(seed);
        (0..n).map(|_| self.draw(&mut rng)).collect()
    }
}

fn families() -> Vec<Family> {
    let mut out = Vec::new();
    for median_s in [10.0, 30.0, 110.0, 300.0, 900.0] {
        for sigma in [0.3, 0.9] {
            out.push(Family::LogNormal { median_s, sigma });
        }
    }
    out.extend([Family::Gamma, Family::Mix, Family::Pareto]);
    out
}

pub fn config() -> PollConfig {
    PollConfig::for_provider(ProviderKind::Luma)
}

fn key() -> JobKey {
    JobKey::new(
        ProviderKind::Luma,
        Some("ray-2"),
        Some("720p"),
        Some("5s"),
        false,
    )
}

pub fn run_plan(plan: Plan, config: &PollConfig, jobs: &[u64]) -> Figures {
    let outcomes: Vec<_> = jobs
        .iter()
        .enumerate()
        .map(|(i, &d)| {
            let s = Schedule::planned(config.clone(), plan, 0, 0, i as u64);
            run(s, ProviderKind::Luma, Hints::None, d, i as u64)
        })
        .collect();
    figures(&outcomes)
}

/// Learns from `learn` as a client would (each job planned from what came before), then
/// returns the plan it has at the end.
pub fn learn(learn: &[u64]) -> Plan {
    learn_until(learn, &[learn.len()])[0]
}

/// [`learn`], with the plan it has after each of `counts` jobs (ascending).
fn learn_until(learn: &[u64], counts: &[usize]) -> Vec<Plan> {
    let (config, key) = (config(), key());
    let mut model = JobLengths::new();
    let mut plans = Vec::new();
    for (i, &d) in learn.iter().enumerate() {
        let s = Schedule::planned(config.clone(), model.plan(&key, &config), 0, 0, i as u64);
        if let Some((from, to)) = run(s, ProviderKind::Luma, Hints::None, d, i as u64).span {
            model.record(&key, from, to);
        }
        if counts.contains(&(i + 1)) {
            plans.push(model.plan(&key, &config));
        }
    }
    plans
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

/// The cheapest plan of the family whose p95 lag on `sorted` is at most `p95_ms`.
fn oracle(sorted: &[u64], p95_ms: u64) -> Plan {
    let quiets: Vec<u64> = [
        0.0, 0.0025, 0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.06,
    ]
    .iter()
    .map(|&q| if q == 0.0 { 100 } else { quantile(sorted, q) })
    .collect();
    oracle_from(sorted, p95_ms, &quiets)
}

fn quantile(sorted: &[u64], q: f64) -> u64 {
    sorted[((sorted.len() as f64 * q) as usize).min(sorted.len() - 1)]
}

/// [`oracle`] with its quiet window ending at one of these ages.
fn oracle_from(sorted: &[u64], p95_ms: u64, quiets_ms: &[u64]) -> Plan {
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

/// The interval of a plain loop that spends `requests` per job on `jobs`.
fn same_requests_loop(jobs: &[u64], requests: f64) -> Figures {
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

fn cell(f: &Figures) -> String {
    let s = |ms: u64| ms as f64 / 1000.0;
    format!(
        "{:>6.1} {:>4.1}/{:>4.1}/{:>5.1}/{:>5.0}",
        f.requests_per_job,
        s(f.p50_lag),
        s(f.p95_lag),
        s(f.p99_lag),
        s(f.max_lag)
    )
}

/// The seed of a family's `k`th learning sample (k = 0 is the table's).
fn learn_seed(family_seed: u64, k: u64) -> u64 {
    family_seed + 2 + 7_919 * k
}

/// How many learning samples of each family the warm figures are checked on
/// (`POLL_LEARN_SAMPLES`, default 10): the table shows the first; the worst over all is printed
/// after it, since one sample of 200 jobs can mislead the planner where another does not.
fn learn_samples() -> u64 {
    std::env::var("POLL_LEARN_SAMPLES")
        .ok()
        .and_then(|k| k.parse().ok())
        .filter(|k| *k >= 1)
        .unwrap_or(10)
}

/// The worst figures of a planner over learning samples: (value, family, sample), and every
/// sample's requests against the oracle's.
#[derive(Default)]
struct Worst {
    p95_over_ms: Option<(i64, String, u64)>,
    vs_oracle: Option<(f64, String, u64)>,
    ratios: Vec<f64>,
    /// Samples whose p95 lag is more than 500 ms over the loop's (the aim's bound).
    p95_misses: usize,
}

impl Worst {
    fn add(&mut self, family: &str, k: u64, p95_over_ms: i64, vs_oracle: f64) {
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
    fn ratio_misses(&self) -> usize {
        self.ratios.iter().filter(|r| **r > ORACLE_AIM).count()
    }

    fn median_vs_oracle(&self) -> f64 {
        let mut r = self.ratios.clone();
        r.sort_by(f64::total_cmp);
        r.get(r.len() / 2).copied().unwrap_or(f64::NAN)
    }
}

/// The plan a planner without any margin would pick from a learning sample: the oracle's
/// search run on the sample's own jobs, as if they were the distribution. How far it beats
/// warm on requests, and how far its p95 lag strays on fresh jobs, shows what a margin for
/// sampling error buys and costs at 200 jobs.
fn naive(sample: &[u64]) -> Plan {
    let mut sorted = sample.to_vec();
    sorted.sort_unstable();
    oracle(&sorted, loop_figures(&sorted).p95_lag)
}

/// The plain 3-second loop on `jobs`.
fn loop_figures(jobs: &[u64]) -> Figures {
    figures(
        &jobs
            .iter()
            .map(|&d| run_fixed(d, LOOP_SLEEP_MS))
            .collect::<Vec<_>>(),
    )
}

pub fn sweep() {
    println!();
    let (mut worst, mut unguarded) = (Worst::default(), Worst::default());
    println!("Out of sample: requests/job and lag p50/p95/p99/max in seconds, 10,000 jobs per family (no hints, luma)");
    println!(
        "{:<22} | {:^29} | {:^29} | {:^29} | {:^29} | same-req loop p95",
        "family", "3 s loop", "ours cold", "ours warm (200 jobs)", "oracle"
    );
    let (mut dominated, mut cold_ratio, mut warm_over, mut warm_vs_oracle) =
        (0, 0.0f64, i64::MIN, 0.0f64);
    let mut warm_vs_fixed = Vec::new();
    // Where warm is over 1.15x the oracle: how far the oracle's quiet window reaches into the
    // jobs, and how few of the learned jobs stand for that reach.
    let mut over_aim = Vec::new();
    let counts: Vec<usize> = [LEARN].into_iter().chain(LEARN_MORE).collect();
    let mut by_count: Vec<Worst> = counts.iter().map(|_| Worst::default()).collect();
    for (n, family) in families().into_iter().enumerate() {
        let seed = 1000 * n as u64;
        let jobs = family.sample(JOBS, seed + 1);
        let fixed = loop_figures(&jobs);
        let cold = figures(
            &jobs
                .iter()
                .enumerate()
                .map(|(i, &d)| run_default(ProviderKind::Luma, Hints::None, d, i as u64))
                .collect::<Vec<_>>(),
        );
        // The first learning samples go on learning, to show what more jobs buy; the first is
        // the table's, whose plan's quiet window is printed below too.
        let longest = LEARN_MORE[LEARN_MORE.len() - 1];
        let learned_more: Vec<Vec<Plan>> = (0..LEARN_MORE_SAMPLES)
            .map(|k| learn_until(&family.sample(longest, learn_seed(seed, k)), &counts))
            .collect();
        let warm_on = |k: u64| {
            let plan = learned_more.get(k as usize).map_or_else(
                || learn(&family.sample(LEARN, learn_seed(seed, k))),
                |plans| plans[0],
            );
            run_plan(plan, &config(), &jobs)
        };
        let learned = family.sample(LEARN, learn_seed(seed, 0));
        let warm_plan = learned_more[0][0];
        let warm = run_plan(warm_plan, &config(), &jobs);
        let mut search = family.sample(SEARCH, seed + 3);
        search.sort_unstable();
        let search_p95 = loop_figures(&search).p95_lag;
        let exact_config = PollConfig {
            jitter: 0.0,
            ..config()
        };
        let best_plan = oracle(&search, search_p95);
        let best = run_plan(best_plan, &exact_config, &jobs);
        let ratio = warm.requests_per_job / best.requests_per_job;
        if ratio > ORACLE_AIM {
            let share = |quiet: u64| {
                100.0 * jobs.iter().filter(|d| **d < quiet).count() as f64 / jobs.len() as f64
            };
            let below = learned.iter().filter(|d| **d < best_plan.quiet_ms).count();
            // The oracle held to warm's quiet window: how much of the gap is where it ends.
            let held = oracle_from(&search, search_p95, &[warm_plan.quiet_ms]);
            let held =
                run_plan(held, &exact_config, &jobs).requests_per_job / best.requests_per_job;
            over_aim.push(format!(
                "{}: warm {ratio:.3}x the oracle; the oracle's quiet window ends where {:.1} % of the jobs have ended ({below} of the {LEARN} learned), warm's where {:.1} % have; the oracle held to warm's window {held:.3}x",
                family.name(), share(best_plan.quiet_ms), share(warm_plan.quiet_ms)
            ));
        }
        let same = same_requests_loop(&jobs, cold.requests_per_job);
        if same.p95_lag < cold.p95_lag {
            dominated += 1;
        }
        cold_ratio = cold_ratio.max(cold.requests_per_job / fixed.requests_per_job);
        warm_over = warm_over.max(warm.p95_lag as i64 - fixed.p95_lag as i64);
        warm_vs_oracle = warm_vs_oracle.max(ratio);
        warm_vs_fixed.push(warm.requests_per_job / fixed.requests_per_job);
        let add = |to: &mut Worst, k, w: &Figures| {
            let over = w.p95_lag as i64 - fixed.p95_lag as i64;
            to.add(
                &family.name(),
                k,
                over,
                w.requests_per_job / best.requests_per_job,
            );
        };
        add(&mut worst, 0, &warm);
        for (k, plans) in learned_more.iter().enumerate() {
            for (to, plan) in by_count.iter_mut().zip(plans) {
                add(to, k as u64, &run_plan(*plan, &config(), &jobs));
            }
        }
        for k in 1..learn_samples() {
            add(&mut worst, k, &warm_on(k));
        }
        for k in 0..learn_samples() {
            let sample = family.sample(LEARN, learn_seed(seed, k));
            let plan = naive(&sample);
            add(&mut unguarded, k, &run_plan(plan, &exact_config, &jobs));
        }
        println!(
            "{:<22} | {} | {} | {} | {} | {:.1}",
            family.name(),
            cell(&fixed),
            cell(&cold),
            cell(&warm),
            cell(&best),
            same.p95_lag as f64 / 1000.0
        );
    }
    for line in &over_aim {
        println!("{line}");
    }
    warm_vs_fixed.sort_by(f64::total_cmp);
    let median = warm_vs_fixed[warm_vs_fixed.len() / 2];
    for (name, w) in [("warm", &worst), ("no margin", &unguarded)] {
        if let (Some(p95), Some(ratio)) = (&w.p95_over_ms, &w.vs_oracle) {
            println!(
                "{name:<9} over {} learning samples of 200 jobs per family: worst p95 over the loop {} ms ({}, sample {}), {} of {} samples over 500 ms; requests vs oracle median {:.3}, worst {:.3} ({}, sample {}), {} samples over 1.15",
                learn_samples(), p95.0, p95.1, p95.2, w.p95_misses, w.ratios.len(), w.median_vs_oracle(), ratio.0, ratio.1, ratio.2, w.ratio_misses()
            );
        }
    }
    let mut learning = (String::new(), String::new());
    for (count, w) in counts.iter().zip(&by_count) {
        if let (Some(p95), Some(ratio)) = (&w.p95_over_ms, &w.vs_oracle) {
            println!(
                "warm after {count:>5} jobs, {LEARN_MORE_SAMPLES} learning samples per family (the first is the table's, learning on): requests vs oracle worst {:.3} ({}, sample {}), {} of {} samples over 1.15; worst p95 over the loop {} ms ({}, sample {})",
                ratio.0, ratio.1, ratio.2, w.ratio_misses(), w.ratios.len(), p95.0, p95.1, p95.2
            );
            let sep = if learning.0.is_empty() { "" } else { "," };
            learning.0 += &format!("{sep}{:.3}", ratio.0);
            learning.1 += &format!("{sep}{}", p95.0);
        }
    }
    println!(
        "poll-learning: jobs={} worst_warm_vs_oracle={} worst_warm_p95_over_fixed_ms={}",
        counts
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join(","),
        learning.0,
        learning.1
    );
    if let (Some(p95), Some(ratio)) = (&worst.p95_over_ms, &worst.vs_oracle) {
        println!(
            "poll-sweep-samples: learning_samples={} worst_warm_p95_over_fixed_ms={} worst_warm_vs_oracle={:.3}",
            learn_samples(), p95.0, ratio.0
        );
    }
    println!(
        "poll-sweep: worst_cold_dominated={dominated} worst_cold_req_ratio={cold_ratio:.3} worst_warm_p95_over_fixed_ms={warm_over} worst_warm_vs_oracle={warm_vs_oracle:.3} warm_vs_fixed_median={median:.3}"
    );
}
