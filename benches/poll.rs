//! The polling schedule in virtual time: 10,000 simulated jobs per situation, against a fixed
//! 3-second loop. Run with `make bench-poll`; the last line is machine-readable.

use luma_extend::poll::{Action, PollConfig, Rng, Schedule};
use luma_extend::{Generation, ProviderKind, State};

const JOBS: usize = 10_000;
const RTT_MS: u64 = 100;
const LONG_POLL_HOLD_MS: u64 = 30_000;

/// Job lengths: lognormal, median 110 s, clamped to 30 s..4 min.
fn durations(seed: u64) -> Vec<u64> {
    let mut rng = Rng::new(seed);
    (0..JOBS)
        .map(|_| {
            let (u1, u2) = (rng.next_f64().max(1e-12), rng.next_f64());
            let normal = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
            ((110.0 * (0.45 * normal).exp()).clamp(30.0, 240.0) * 1000.0) as u64
        })
        .collect()
}

#[derive(Clone, Copy, PartialEq)]
enum Hints {
    None,
    /// gptge: estimate_wait_seconds, each answer off by up to ±30 %.
    EstimateSeconds,
    /// APIFRAME: an integer percentage while dreaming.
    Percentage,
}

/// What the simulated provider answers at server time `t` for a job of length `d`.
fn answer(kind: ProviderKind, hints: Hints, d: u64, t: u64, rng: &mut Rng) -> Generation {
    let queued_until = d * 15 / 100;
    let state = if t >= d {
        State::Completed
    } else if t < queued_until {
        State::Queued
    } else {
        State::Dreaming
    };
    let mut g = Generation::new("job", kind, state);
    if state != State::Completed {
        match hints {
            Hints::EstimateSeconds => {
                let error = 1.0 + 0.3 * (2.0 * rng.next_f64() - 1.0);
                g.estimate_wait_seconds = Some((d - t) as f64 / 1000.0 * error);
            }
            Hints::Percentage if state == State::Dreaming => {
                let p = (t - queued_until) as f64 / (d - queued_until) as f64;
                g.progress = Some((p * 100.0).floor() / 100.0);
            }
            _ => {}
        }
    }
    g
}

struct Outcome {
    lag_ms: u64,
    requests: u32,
}

fn run_schedule(kind: ProviderKind, hints: Hints, d: u64, seed: u64) -> Outcome {
    let mut rng = Rng::new(seed ^ 0xA5A5);
    let mut s = Schedule::new(PollConfig::for_provider(kind), 0, 0, seed);
    let (mut now, mut requests) = (0u64, 0u32);
    loop {
        match s.poll(now) {
            Action::WaitUntil(t) => now = t.max(now + 1),
            Action::Done | Action::DeadlineExceeded => unreachable!("the job completes"),
            Action::FetchNow => {
                requests += 1;
                let arrives = now + RTT_MS / 2;
                // A long-poll is held until the job reaches the state asked for, or 30 s.
                let reached_at = match s.wait_for() {
                    Some(State::Dreaming) => Some(d * 15 / 100),
                    Some(_) => Some(d),
                    None => None,
                };
                let answered =
                    reached_at.map_or(arrives, |t| t.max(arrives).min(arrives + LONG_POLL_HOLD_MS));
                let g = answer(kind, hints, d, answered, &mut rng);
                now = answered + RTT_MS / 2;
                s.observe(now, &g);
                if g.state == State::Completed {
                    return Outcome {
                        lag_ms: now - d,
                        requests,
                    };
                }
            }
        }
    }
}

/// Luma's documented loop: get, and if not done, sleep 3 s and get again.
fn run_fixed(d: u64) -> Outcome {
    let (mut now, mut requests) = (0u64, 0u32);
    loop {
        requests += 1;
        let answered = now + RTT_MS / 2;
        now = answered + RTT_MS / 2;
        if answered >= d {
            return Outcome {
                lag_ms: now - d,
                requests,
            };
        }
        now += 3_000;
    }
}

struct Figures {
    mean_lag: u64,
    p95_lag: u64,
    requests_per_job: f64,
}

fn figures(outcomes: &[Outcome]) -> Figures {
    let mut lags: Vec<u64> = outcomes.iter().map(|o| o.lag_ms).collect();
    lags.sort_unstable();
    let n = outcomes.len() as f64;
    Figures {
        mean_lag: (lags.iter().sum::<u64>() as f64 / n) as u64,
        p95_lag: lags[(lags.len() * 95 / 100).min(lags.len() - 1)],
        requests_per_job: outcomes.iter().map(|o| f64::from(o.requests)).sum::<f64>() / n,
    }
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
                .map(|(i, &d)| run_schedule(kind, hints, d, i as u64))
                .collect::<Vec<_>>(),
        )
    };
    let fixed = figures(&jobs.iter().map(|&d| run_fixed(d)).collect::<Vec<_>>());
    let nohint = sim(ProviderKind::Luma, Hints::None);
    let gptge = sim(ProviderKind::Gptge, Hints::EstimateSeconds);
    let apiframe = sim(ProviderKind::Apiframe, Hints::Percentage);
    let longpoll = sim(ProviderKind::Aimlapi, Hints::None);
    println!(
        "{:<34} {:>12} {:>12} {:>14} {:>16}",
        "situation", "mean lag ms", "p95 lag ms", "requests/job", "vs fixed 3 s"
    );
    for (name, f) in [
        ("fixed 3 s loop (Luma docs)", &fixed),
        ("no hints (luma)", &nohint),
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
}
