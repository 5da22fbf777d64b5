//! Out of sample: job-length families the schedule was not tuned on. For each, the plain
//! 3-second loop, the schedule cold, warm (after learning from 200 jobs of the family, then
//! measured on 10,000 fresh ones), and an oracle: the best plan of the same quiet–pace–back-off
//! family for the true distribution, found by search, at the 3-second loop's p95 lag.

use luma_extend::poll::{Plan, PollConfig};
use luma_extend::ProviderKind;

use crate::family::{families, Family};
use crate::oracle::{loop_figures, naive, oracle, oracle_from, quantile, same_requests_loop};
use crate::sim::{figures, run_default, Figures, Hints};
use crate::warm::{config, learn, learn_until, run_plan};

const JOBS: usize = 10_000;
const LEARN: usize = 200;
/// Jobs learned before warm is measured again, to show what more jobs buy (the table's sample
/// is the first 200 of these), on this many learning samples of each family.
const LEARN_MORE: [usize; 2] = [500, 1_000];
const LEARN_MORE_SAMPLES: u64 = 3;
/// The aim: warm within this many times the oracle's requests.
const ORACLE_AIM: f64 = 1.15;
const SEARCH: usize = 20_000;
/// Where the oracle's quiet window is held to end (shares of the jobs), where warm is over the
/// aim, to show what a window that ends short costs.
const WINDOW_SHARES: [f64; 4] = [0.01, 0.02, 0.03, 0.04];

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

/// A family's fresh jobs and the yardsticks warm is held to on them.
struct Yardsticks {
    family: Family,
    jobs: Vec<u64>,
    fixed: Figures,
    /// The oracle's search sample, sorted, and the loop's p95 lag on it.
    search: Vec<u64>,
    search_p95: u64,
    best_plan: Plan,
    best: Figures,
}

/// The oracle runs without jitter: it is the best the plan family can do.
fn exact_config() -> PollConfig {
    PollConfig {
        jitter: 0.0,
        ..config()
    }
}

impl Yardsticks {
    fn new(family: Family, seed: u64) -> Self {
        let jobs = family.sample(JOBS, seed + 1);
        let fixed = loop_figures(&jobs);
        let mut search = family.sample(SEARCH, seed + 3);
        search.sort_unstable();
        let search_p95 = loop_figures(&search).p95_lag;
        let best_plan = oracle(&search, search_p95);
        let best = run_plan(best_plan, &exact_config(), &jobs);
        Yardsticks {
            family,
            jobs,
            fixed,
            search,
            search_p95,
            best_plan,
            best,
        }
    }

    /// (p95 lag over the loop's, requests against the oracle's) of `f`.
    fn judge(&self, f: &Figures) -> (i64, f64) {
        (
            f.p95_lag as i64 - self.fixed.p95_lag as i64,
            f.requests_per_job / self.best.requests_per_job,
        )
    }

    /// Where warm is over the aim: how far the oracle's quiet window reaches into the jobs, how
    /// few of the learned jobs stand for that reach, and the oracle held to warm's window.
    fn gap(&self, ratio: f64, warm_plan: &Plan, learned: &[u64]) -> String {
        let share = |quiet: u64| {
            let ended = self.jobs.iter().filter(|d| **d < quiet).count();
            100.0 * ended as f64 / self.jobs.len() as f64
        };
        let below = learned
            .iter()
            .filter(|d| **d < self.best_plan.quiet_ms)
            .count();
        let held_to = |quiet_ms| {
            let plan = oracle_from(&self.search, self.search_p95, &[quiet_ms]);
            self.judge(&run_plan(plan, &exact_config(), &self.jobs)).1
        };
        let held = held_to(warm_plan.quiet_ms);
        // What each 1 % of jobs the window ends short costs.
        let by_share: Vec<String> = WINDOW_SHARES
            .iter()
            .map(|q| format!("{:.3}", held_to(quantile(&self.search, *q))))
            .collect();
        format!(
            "{}: warm {ratio:.3}x the oracle; the oracle's quiet window ends where {:.1} % of the jobs have ended ({below} of the {LEARN} learned), warm's where {:.1} % have; the oracle held to warm's window {held:.3}x, to windows at 1/2/3/4 % {}x",
            self.family.name(), share(self.best_plan.quiet_ms), share(warm_plan.quiet_ms), by_share.join("/")
        )
    }
}

/// What the sweep gathers across families for its closing lines.
struct Sweep {
    dominated: usize,
    cold_ratio: f64,
    warm_over: i64,
    warm_vs_oracle: f64,
    warm_vs_fixed: Vec<f64>,
    over_aim: Vec<String>,
    /// Warm over its learning samples, and the same search without a margin.
    worst: Worst,
    unguarded: Worst,
    /// Warm after each of `counts` learned jobs.
    counts: Vec<usize>,
    by_count: Vec<Worst>,
}

impl Sweep {
    fn new() -> Self {
        let counts: Vec<usize> = [LEARN].into_iter().chain(LEARN_MORE).collect();
        Sweep {
            dominated: 0,
            cold_ratio: 0.0,
            warm_over: i64::MIN,
            warm_vs_oracle: 0.0,
            warm_vs_fixed: Vec::new(),
            over_aim: Vec::new(),
            worst: Worst::default(),
            unguarded: Worst::default(),
            by_count: counts.iter().map(|_| Worst::default()).collect(),
            counts,
        }
    }

    /// Measures one family and prints its row of the table.
    fn family(&mut self, family: Family, seed: u64) {
        let y = Yardsticks::new(family, seed);
        let cold = figures(
            &y.jobs
                .iter()
                .enumerate()
                .map(|(i, &d)| run_default(ProviderKind::Luma, Hints::None, d, i as u64))
                .collect::<Vec<_>>(),
        );
        // The first learning samples go on learning, to show what more jobs buy; the first is
        // the table's.
        let longest = LEARN_MORE[LEARN_MORE.len() - 1];
        let learned_more: Vec<Vec<Plan>> = (0..LEARN_MORE_SAMPLES)
            .map(|k| learn_until(&family.sample(longest, learn_seed(seed, k)), &self.counts))
            .collect();
        let warm_plan = learned_more[0][0];
        let warm = run_plan(warm_plan, &config(), &y.jobs);
        let (warm_over, ratio) = y.judge(&warm);
        if ratio > ORACLE_AIM {
            let learned = family.sample(LEARN, learn_seed(seed, 0));
            self.over_aim.push(y.gap(ratio, &warm_plan, &learned));
        }
        let same = same_requests_loop(&y.jobs, cold.requests_per_job);
        self.dominated += usize::from(same.p95_lag < cold.p95_lag);
        self.cold_ratio = self
            .cold_ratio
            .max(cold.requests_per_job / y.fixed.requests_per_job);
        self.warm_over = self.warm_over.max(warm_over);
        self.warm_vs_oracle = self.warm_vs_oracle.max(ratio);
        self.warm_vs_fixed
            .push(warm.requests_per_job / y.fixed.requests_per_job);
        self.samples(&y, seed, &learned_more, &warm);
        println!(
            "{:<22} | {} | {} | {} | {} | {:.1}",
            family.name(),
            cell(&y.fixed),
            cell(&cold),
            cell(&warm),
            cell(&y.best),
            same.p95_lag as f64 / 1000.0
        );
    }

    /// Warm and the margin-less search over every learning sample, and warm after more jobs.
    fn samples(&mut self, y: &Yardsticks, seed: u64, learned_more: &[Vec<Plan>], warm: &Figures) {
        let name = y.family.name();
        let add = |to: &mut Worst, k, f: &Figures| {
            let (over, ratio) = y.judge(f);
            to.add(&name, k, over, ratio);
        };
        add(&mut self.worst, 0, warm);
        for (k, plans) in learned_more.iter().enumerate() {
            for (to, plan) in self.by_count.iter_mut().zip(plans) {
                add(to, k as u64, &run_plan(*plan, &config(), &y.jobs));
            }
        }
        for k in 1..learn_samples() {
            let plan = learned_more.get(k as usize).map_or_else(
                || learn(&y.family.sample(LEARN, learn_seed(seed, k))),
                |plans| plans[0],
            );
            add(&mut self.worst, k, &run_plan(plan, &config(), &y.jobs));
        }
        for k in 0..learn_samples() {
            let plan = naive(&y.family.sample(LEARN, learn_seed(seed, k)));
            add(
                &mut self.unguarded,
                k,
                &run_plan(plan, &exact_config(), &y.jobs),
            );
        }
    }

    fn print_samples(&self) {
        for (name, w) in [("warm", &self.worst), ("no margin", &self.unguarded)] {
            if let (Some(p95), Some(ratio)) = (&w.p95_over_ms, &w.vs_oracle) {
                println!(
                    "{name:<9} over {} learning samples of 200 jobs per family: worst p95 over the loop {} ms ({}, sample {}), {} of {} samples over 500 ms; requests vs oracle median {:.3}, worst {:.3} ({}, sample {}), {} samples over 1.15",
                    learn_samples(), p95.0, p95.1, p95.2, w.p95_misses, w.ratios.len(), w.median_vs_oracle(), ratio.0, ratio.1, ratio.2, w.ratio_misses()
                );
            }
        }
    }

    fn print_learning(&self) {
        let (mut ratios, mut p95s) = (Vec::new(), Vec::new());
        for (count, w) in self.counts.iter().zip(&self.by_count) {
            if let (Some(p95), Some(ratio)) = (&w.p95_over_ms, &w.vs_oracle) {
                println!(
                    "warm after {count:>5} jobs, {LEARN_MORE_SAMPLES} learning samples per family (the first is the table's, learning on): requests vs oracle worst {:.3} ({}, sample {}), {} of {} samples over 1.15; worst p95 over the loop {} ms ({}, sample {})",
                    ratio.0, ratio.1, ratio.2, w.ratio_misses(), w.ratios.len(), p95.0, p95.1, p95.2
                );
                ratios.push(format!("{:.3}", ratio.0));
                p95s.push(p95.0.to_string());
            }
        }
        let counts: Vec<String> = self.counts.iter().map(|c| c.to_string()).collect();
        println!(
            "poll-learning: jobs={} worst_warm_vs_oracle={} worst_warm_p95_over_fixed_ms={}",
            counts.join(","),
            ratios.join(","),
            p95s.join(",")
        );
    }

    fn print_totals(&self) {
        if let (Some(p95), Some(ratio)) = (&self.worst.p95_over_ms, &self.worst.vs_oracle) {
            println!(
                "poll-sweep-samples: learning_samples={} worst_warm_p95_over_fixed_ms={} worst_warm_vs_oracle={:.3}",
                learn_samples(), p95.0, ratio.0
            );
        }
        let mut warm_vs_fixed = self.warm_vs_fixed.clone();
        warm_vs_fixed.sort_by(f64::total_cmp);
        let median = warm_vs_fixed[warm_vs_fixed.len() / 2];
        println!(
            "poll-sweep: worst_cold_dominated={} worst_cold_req_ratio={:.3} worst_warm_p95_over_fixed_ms={} worst_warm_vs_oracle={:.3} warm_vs_fixed_median={median:.3}",
            self.dominated, self.cold_ratio, self.warm_over, self.warm_vs_oracle
        );
    }
}

pub fn sweep() {
    println!();
    println!("Out of sample: requests/job and lag p50/p95/p99/max in seconds, 10,000 jobs per family (no hints, luma)");
    println!(
        "{:<22} | {:^29} | {:^29} | {:^29} | {:^29} | same-req loop p95",
        "family", "3 s loop", "ours cold", "ours warm (200 jobs)", "oracle"
    );
    let mut sweep = Sweep::new();
    for (n, family) in families().into_iter().enumerate() {
        sweep.family(family, 1000 * n as u64);
    }
    for line in &sweep.over_aim {
        println!("{line}");
    }
    sweep.print_samples();
    sweep.print_learning();
    sweep.print_totals();
}
