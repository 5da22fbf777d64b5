//! The schedule as a client runs it: learning job lengths, then planning from them.

use luma_extend::poll::{JobKey, JobLengths, Plan, PollConfig, Schedule};
use luma_extend::ProviderKind;

use crate::sim::{figures, run, Figures, Hints};

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
pub fn learn_until(learn: &[u64], counts: &[usize]) -> Vec<Plan> {
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
