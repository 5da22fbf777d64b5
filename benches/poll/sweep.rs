//! Out of sample: job-length families the schedule was not tuned on. For each, the plain
//! 3-second loop, the schedule cold, warm (after learning from 200 jobs of the family, then
//! measured on 10,000 fresh ones), and an oracle: the best plan of the same quiet–pace–back-off
//! family for the true distribution, found by search, at the 3-second loop's p95 lag.

use luma_extend::poll::{Plan, PollConfig};
use luma_extend::ProviderKind;

use crate::family::{families, Family};
use crate::fitted;
use crate::oracle::{loop_figures, naive, oracle, oracle_from, quantile, same_requests_loop};
use crate::sim::{figures, run_default, Figures, Hints};
use crate::warm::{config, learn, learn_until, run_plan};
use crate::worst::Worst;

const JOBS: usize = 10_000;
const LEARN: usize = 200;
/// Jobs learned before warm is measured again, to show what more jobs buy (the table's sample
/// is the first 200 of these), on this many learning samples of each family.
const LEARN_MORE: [usize; 2] = [500, 1_000];
const LEARN_MORE_SAMPLES: u64 = 3;
/// The aim: warm within this many times the oracle's requests.
pub const ORACLE_AIM: f64 = 1.15;
const SEARCH: usize = 20_000;
/// Where the oracle's quiet window is held to end (shares of the jobs), where warm is over the
/// aim, to show what a window that ends short costs.
const WINDOW_SHARES: [f64; 4] = [0.01, 0.02, 0.03, 0.04];
/// The fitted learner's samples are drawn from the family's seed plus this and up.
const FITTED_SEEDS: u64 = 500_000;

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

    /// The share of the jobs, in %, that end before `ms`.
    fn share(&self, ms: u64) -> f64 {
        let ended = self.jobs.iter().filter(|d| **d < ms).count();
        100.0 * ended as f64 / self.jobs.len() as f64
    }

    /// The oracle's requests, against its own, when its quiet window must end at `quiet_ms`.
    fn held_to(&self, quiet_ms: u64) -> f64 {
        let plan = oracle_from(&self.search, self.search_p95, &[quiet_ms]);
        self.judge(&run_plan(plan, &exact_config(), &self.jobs)).1
    }

    /// Where warm is over the aim: how far the oracle's quiet window reaches into the jobs, how
    /// few of the learned jobs stand for that reach, and the oracle held to warm's window and
    /// to windows that end short by 1 % steps.
    fn gap(&self, ratio: f64, warm_plan: &Plan, learned: &[u64]) -> String {
        let best_quiet = self.best_plan.quiet_ms;
        let below = learned.iter().filter(|d| **d < best_quiet).count();
        let by_share: Vec<String> = WINDOW_SHARES
            .iter()
            .map(|q| format!("{:.3}", self.held_to(quantile(&self.search, *q))))
            .collect();
        format!(
            "{}: warm {ratio:.3}x the oracle; the oracle's quiet window ends where {:.1} % of the jobs have ended ({below} of the {LEARN} learned), warm's where {:.1} % have; the oracle held to warm's window {:.3}x, to windows at 1/2/3/4 % {}x",
            self.family.name(), self.share(best_quiet), self.share(warm_plan.quiet_ms), self.held_to(warm_plan.quiet_ms), by_share.join("/")
        )
    }

    /// What a learner told that the family is lognormal would do (see `fitted`): how often its
    /// window passes 5 %, and how often even the oracle held to its window is over the aim.
    fn fitted(&self, seed: u64) -> String {
        let windows = fitted::windows(self.family, seed + FITTED_SEEDS, LEARN);
        let past = windows.iter().filter(|w| self.share(**w) > 5.0).count();
        let first = windows[fitted::SAMPLES / 100];
        // The window below which even the oracle costs more than the aim.
        let (mut lo, mut hi) = (windows[0], quantile(&self.search, 0.05));
        while hi - lo > 100 {
            let mid = (lo + hi) / 2;
            if self.held_to(mid) > ORACLE_AIM {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let over = windows.iter().filter(|w| **w < hi).count();
        format!(
            "  told it is lognormal and fitted to {LEARN} jobs, quiet to the fitted 2.5 % point: past 5 % in {past} of {n} samples; in 1 in 100 the window ends where {:.1} % have or sooner, where the oracle held costs {:.3}x; held to its window, the oracle is over {ORACLE_AIM}x in {over} of the {n} samples",
            self.share(first), self.held_to(first), n = fitted::SAMPLES
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
            if let Family::LogNormal { .. } = family {
                self.over_aim.push(y.fitted(seed));
            }
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
