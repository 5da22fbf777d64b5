//! The polling schedule in virtual time: 10,000 simulated jobs per situation, against a fixed
//! 3-second loop. Run with `make bench-poll`; the last line is machine-readable.

#[path = "poll/family.rs"]
mod family;
#[path = "poll/fitted.rs"]
mod fitted;
#[path = "poll/oracle.rs"]
mod oracle;
#[path = "poll/sim.rs"]
mod sim;
#[path = "poll/sweep.rs"]
mod sweep;
#[path = "poll/warm.rs"]
mod warm;
#[path = "poll/worst.rs"]
mod worst;

use luma_extend::poll::Rng;
use luma_extend::ProviderKind;
use sim::{figures, normal, run_default, run_fixed, Hints, RTT_MS};

const JOBS: usize = 10_000;

/// Job lengths: lognormal, median 110 s, clamped to 30 s..4 min.
fn durations(seed: u64) -> Vec<u64> {
    let mut rng = Rng::new(seed);
    (0..JOBS)
        .map(|_| ((110.0 * (0.45 * normal(&mut rng)).exp()).clamp(30.0, 240.0) * 1000.0) as u64)
        .collect()
}

fn main() {
    let jobs = durations(42);
    let mut sorted = jobs.clone();
    sorted.sort_unstable();
    println!(
        "{JOBS} jobs: min {:.0} s, median {:.0} s, p95 {:.0} s, max {:.0} s; round trip {RTT_MS} ms",
        sorted[0] as f64 / 1e3,
        sorted[JOBS / 2] as f64 / 1e3,
        sorted[JOBS * 95 / 100] as f64 / 1e3,
        sorted[JOBS - 1] as f64 / 1e3
    );
    let sim = |kind, hints| {
        figures(
            &jobs
                .iter()
                .enumerate()
                .map(|(i, &d)| run_default(kind, hints, d, i as u64))
                .collect::<Vec<_>>(),
        )
    };
    let fixed = figures(
        &jobs
            .iter()
            .map(|&d| run_fixed(d, 3_000))
            .collect::<Vec<_>>(),
    );
    let nohint = sim(ProviderKind::Luma, Hints::None);
    // After 200 jobs of the same kind (other draws of the same distribution).
    let learned = warm::run_plan(warm::learn(&durations(43)[..200]), &warm::config(), &jobs);
    // The Agents API gives no hints either: the no-hint schedule, so its figures equal luma's.
    let agents = sim(ProviderKind::LumaAgents, Hints::None);
    let gptge = sim(ProviderKind::Gptge, Hints::EstimateSeconds);
    let apiframe = sim(ProviderKind::Apiframe, Hints::Percentage);
    let longpoll = sim(ProviderKind::Aimlapi, Hints::None);
    println!(
        "{:<34} {:>12} {:>12} {:>14} {:>16}",
        "situation", "mean lag ms", "p95 lag ms", "requests/job", "vs fixed 3 s"
    );
    for (name, f) in [
        ("fixed 3 s loop (Luma docs)", &fixed),
        ("no hints, cold (luma)", &nohint),
        ("no hints, after 200 jobs (luma)", &learned),
        ("no hints, cold (luma-agents)", &agents),
        ("estimate ±30 % (gptge)", &gptge),
        ("percentage (apiframe)", &apiframe),
        ("long-poll (aimlapi)", &longpoll),
    ] {
        let ratio = f.requests_per_job / fixed.requests_per_job;
        println!(
            "{name:<34} {:>12} {:>12} {:>14.2} {:>15.2}x",
            f.mean_lag, f.p95_lag, f.requests_per_job, ratio
        );
    }
    // The eta figures are the worse of the two estimate-bearing protocols.
    let eta_requests = gptge.requests_per_job.max(apiframe.requests_per_job);
    let eta_p95 = gptge.p95_lag.max(apiframe.p95_lag);
    println!(
        "poll: fixed3s_requests_per_job={:.2} fixed3s_p95_lag_ms={} nohint_requests_per_job={:.2} nohint_p95_lag_ms={} eta_requests_per_job={:.2} eta_p95_lag_ms={} longpoll_requests_per_job={:.2} longpoll_p95_lag_ms={}",
        fixed.requests_per_job, fixed.p95_lag, nohint.requests_per_job, nohint.p95_lag, eta_requests, eta_p95, longpoll.requests_per_job, longpoll.p95_lag
    );
    sweep::sweep();
}
