//! The simulated provider and the two ways of polling it, in virtual time.

use luma_extend::poll::{Action, PollConfig, Rng, Schedule};
use luma_extend::{Generation, ProviderKind, State};

pub const RTT_MS: u64 = 100;
const LONG_POLL_HOLD_MS: u64 = 30_000;

#[derive(Clone, Copy, PartialEq)]
pub enum Hints {
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

pub struct Outcome {
    pub lag_ms: u64,
    pub requests: u32,
    /// What the schedule learned: the ages between which the job completed.
    pub span: Option<(u64, u64)>,
}

/// Drives `s` (submitted at 0) against a job of length `d` until it sees completion.
pub fn run(mut s: Schedule, kind: ProviderKind, hints: Hints, d: u64, seed: u64) -> Outcome {
    let mut rng = Rng::new(seed ^ 0xA5A5);
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
                        span: s.completed_span(),
                    };
                }
            }
        }
    }
}

/// The schedule with the provider's defaults (cold, no model).
pub fn run_default(kind: ProviderKind, hints: Hints, d: u64, seed: u64) -> Outcome {
    run(
        Schedule::new(PollConfig::for_provider(kind), 0, 0, seed),
        kind,
        hints,
        d,
        seed,
    )
}

/// A plain loop: get at submit, and if not done, sleep `sleep_ms` and get again. Luma's docs
/// use 3 s.
pub fn run_fixed(d: u64, sleep_ms: u64) -> Outcome {
    // Gets are sent at k * (sleep + RTT) and seen by the server RTT/2 later.
    let period = sleep_ms + RTT_MS;
    let k = d.saturating_sub(RTT_MS / 2).div_ceil(period);
    Outcome {
        lag_ms: k * period + RTT_MS - d,
        requests: k as u32 + 1,
        span: None,
    }
}

pub struct Figures {
    pub mean_lag: u64,
    pub p50_lag: u64,
    pub p95_lag: u64,
    pub p99_lag: u64,
    pub max_lag: u64,
    pub requests_per_job: f64,
}

pub fn figures(outcomes: &[Outcome]) -> Figures {
    let mut lags: Vec<u64> = outcomes.iter().map(|o| o.lag_ms).collect();
    lags.sort_unstable();
    let n = outcomes.len() as f64;
    let at = |q: usize| lags[(lags.len() * q / 100).min(lags.len() - 1)];
    Figures {
        mean_lag: (lags.iter().sum::<u64>() as f64 / n) as u64,
        p50_lag: at(50),
        p95_lag: at(95),
        p99_lag: at(99),
        max_lag: lags[lags.len() - 1],
        requests_per_job: outcomes.iter().map(|o| f64::from(o.requests)).sum::<f64>() / n,
    }
}

/// A standard normal draw (Box–Muller).
pub fn normal(rng: &mut Rng) -> f64 {
    let (u1, u2) = (rng.next_f64().max(1e-12), rng.next_f64());
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}
