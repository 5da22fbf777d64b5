//! The polling schedule as a sans-IO state machine: time is an input, randomness is seeded.
//!
//! Drive it like this: call [`Schedule::poll`] with the time now; on `FetchNow` send one get
//! (with [`Schedule::wait_for`] as the long-poll state) and report the answer with
//! [`Schedule::observe`] or [`Schedule::observe_error`]; on `WaitUntil(t)` sleep until `t`.
//!
//! Where the savings come from (measured by `make bench-poll`):
//! - nothing finishes in the first part of a typical job, so after one early check (for instant
//!   failures) the schedule is quiet until completion becomes plausible;
//! - with a remaining-time estimate (gptge's `estimate_wait_seconds`, or one derived from
//!   APIFRAME's percentage), it sleeps through most of the remaining time and asks again, so
//!   each answer narrows the next estimate;
//! - near the end it asks at the same pace as a 3-second loop, so lag does not get worse;
//! - with long-poll (aimlapi, the gateway) the server holds the request: ask again at once.

mod retry_after;
mod rng;

pub use retry_after::retry_after_ms;
pub use rng::Rng;

use crate::model::{Generation, State};
use crate::provider::ProviderKind;

/// What the caller should do now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Send a get now.
    FetchNow,
    /// Sleep until this time (ms, same clock as the inputs), then call `poll` again.
    WaitUntil(u64),
    /// The last observed generation is terminal.
    Done,
    /// The deadline passed before the generation finished.
    DeadlineExceeded,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PollConfig {
    /// The provider holds a get until the state changes (aimlapi, the gateway).
    pub long_poll: bool,
    /// Absolute time (ms) after which `poll` answers `DeadlineExceeded`.
    pub deadline_ms: Option<u64>,
    /// Median job length the schedule plans around when the provider gives no hints.
    pub typical_job_ms: u64,
    /// Cap on any Retry-After the server asks for.
    pub max_retry_after_ms: u64,
    /// The first check after submit, for jobs that fail at once.
    pub first_check_ms: u64,
    /// Without hints, no check before this fraction of a typical job has passed.
    pub quiet_fraction: f64,
    /// The pace near the expected end; matches a 3-second loop's lag.
    pub near_interval_ms: u64,
    /// Relative jitter on every wait, so many clients do not poll in step.
    pub jitter: f64,
}

impl PollConfig {
    /// For a provider whose jobs usually take `typical_job_ms` (the pace scales with it; the
    /// defaults are for Luma's ~110 s).
    pub fn with_typical_job(kind: ProviderKind, typical_job_ms: u64) -> PollConfig {
        let base = PollConfig::for_provider(kind);
        PollConfig {
            typical_job_ms,
            first_check_ms: (typical_job_ms / 36).clamp(200, base.first_check_ms),
            near_interval_ms: (typical_job_ms / 39).clamp(100, base.near_interval_ms),
            ..base
        }
    }

    pub fn for_provider(kind: ProviderKind) -> PollConfig {
        PollConfig {
            long_poll: kind.capabilities().long_poll,
            deadline_ms: None,
            typical_job_ms: 110_000,
            max_retry_after_ms: 60_000,
            first_check_ms: 3_000,
            quiet_fraction: 0.44,
            near_interval_ms: 2_800,
            jitter: 0.03,
        }
    }
}

/// A remaining-time estimate is off by up to this much; sleep through the safe part only.
const ESTIMATE_SAFETY: f64 = 0.7;

#[derive(Clone, Debug)]
pub struct Schedule {
    config: PollConfig,
    submitted_at: u64,
    next_at: u64,
    checks: u32,
    last: Option<State>,
    /// (time, progress) of the first progress seen while dreaming, for a rate.
    progress_start: Option<(u64, f64)>,
    in_flight: bool,
    rng: Rng,
}

impl Schedule {
    /// `submitted_at_ms`: when the create was answered; `now_ms`: the time now.
    pub fn new(config: PollConfig, submitted_at_ms: u64, now_ms: u64, seed: u64) -> Schedule {
        let first = if config.long_poll {
            now_ms
        } else {
            submitted_at_ms + config.first_check_ms
        };
        Schedule {
            config,
            submitted_at: submitted_at_ms,
            next_at: first.max(now_ms),
            checks: 0,
            last: None,
            progress_start: None,
            in_flight: false,
            rng: Rng::new(seed),
        }
    }

    pub fn poll(&mut self, now_ms: u64) -> Action {
        if self.last.is_some_and(State::is_terminal) {
            return Action::Done;
        }
        if self.config.deadline_ms.is_some_and(|d| now_ms >= d) {
            return Action::DeadlineExceeded;
        }
        if self.in_flight {
            // One request at a time: the answer is what moves the schedule on.
            return Action::WaitUntil(now_ms.max(self.next_at));
        }
        if now_ms >= self.next_at {
            self.in_flight = true;
            return Action::FetchNow;
        }
        Action::WaitUntil(self.next_at)
    }

    /// The state to ask a long-poll provider to wait for, if the protocol can.
    /// Dreaming first, so the caller hears when the job starts (and sees its preview), then
    /// completed.
    pub fn wait_for(&self) -> Option<State> {
        let next = match self.last {
            None | Some(State::Queued) => State::Dreaming,
            _ => State::Completed,
        };
        self.config.long_poll.then_some(next)
    }

    pub fn observe(&mut self, now_ms: u64, generation: &Generation) {
        self.in_flight = false;
        self.checks += 1;
        let state = self
            .last
            .map_or(generation.state, |s| s.advance(generation.state));
        self.last = Some(state);
        if state.is_terminal() {
            return;
        }
        if self.config.long_poll {
            self.next_at = now_ms;
            return;
        }
        let wait = match self.remaining_estimate(now_ms, generation) {
            // Capped: a stalled progress bar or a wild estimate must not park the wait for hours.
            Estimate::Remaining(ms) => {
                ((ms * ESTIMATE_SAFETY) as u64).min(self.config.typical_job_ms)
            }
            // A second progress sample a little later gives the rate.
            Estimate::NeedRate => 3 * self.config.near_interval_ms,
            Estimate::None => (self.submitted_at + self.quiet_ms()).saturating_sub(now_ms),
        };
        let wait = self.jittered(wait.max(self.config.near_interval_ms));
        self.next_at = now_ms + wait;
    }

    /// A get that failed after the client's own retries; `retry_after_ms` is the server's ask.
    pub fn observe_error(&mut self, now_ms: u64, retry_after_ms: Option<u64>) {
        self.in_flight = false;
        let cap = self.config.max_retry_after_ms;
        let wait = match retry_after_ms {
            Some(ms) => ms.min(cap),
            None => self.jittered(self.config.near_interval_ms),
        };
        self.next_at = now_ms + wait;
    }

    fn quiet_ms(&self) -> u64 {
        (self.config.typical_job_ms as f64 * self.config.quiet_fraction) as u64
    }

    /// Remaining milliseconds from the provider's own estimate, or from the progress rate.
    fn remaining_estimate(&mut self, now_ms: u64, g: &Generation) -> Estimate {
        if let Some(s) = g
            .estimate_wait_seconds
            .filter(|s| s.is_finite() && *s >= 0.0)
        {
            return Estimate::Remaining(s * 1000.0);
        }
        let Some(p) = g.progress.filter(|p| p.is_finite() && *p > 0.0 && *p < 1.0) else {
            return Estimate::None;
        };
        let Some((t0, p0)) = self.progress_start else {
            self.progress_start = Some((now_ms, p));
            return Estimate::NeedRate;
        };
        let rate = (p - p0) / now_ms.saturating_sub(t0).max(1) as f64;
        if rate > 0.0 {
            Estimate::Remaining((1.0 - p) / rate)
        } else {
            Estimate::NeedRate
        }
    }

    fn jittered(&mut self, ms: u64) -> u64 {
        let j = self.config.jitter * (2.0 * self.rng.next_f64() - 1.0);
        (ms as f64 * (1.0 + j)) as u64
    }
}

enum Estimate {
    Remaining(f64),
    NeedRate,
    None,
}

#[cfg(test)]
mod tests;
