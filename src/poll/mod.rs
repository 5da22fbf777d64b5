//! The polling schedule as a sans-IO state machine: time is an input, randomness is seeded.
//!
//! Drive it like this: call [`Schedule::poll`] with the time now; on `FetchNow` send one get
//! (with [`Schedule::wait_for`] as the long-poll state) and report the answer with
//! [`Schedule::observe`] or [`Schedule::observe_error`]; on `WaitUntil(t)` sleep until `t`.
//! When it is `Done`, [`Schedule::completed_span`] says when the job finished, for
//! [`JobLengths::record`].
//!
//! How it decides (measured by `make bench-poll`):
//! - with no knowledge of the job lengths (cold), it is a plain 3-second loop that skips the
//!   useless check at submit: never more requests than that loop, on any job length;
//! - with the lengths of jobs of the same kind ([`JobLengths`], or a typical length as a
//!   guess), it follows a [`Plan`]: quiet while completion is unlikely, the 3-second pace
//!   across the bulk, back-off in the tail, as late as a plain loop at the 95th percentile;
//! - with a remaining-time estimate (gptge's `estimate_wait_seconds`, or one derived from
//!   APIFRAME's percentage), it sleeps through most of the remaining time and asks again, so
//!   each answer narrows the next estimate;
//! - with long-poll (aimlapi, the gateway) the server holds the request: ask again at once.

mod cdf;
mod histogram;
mod lengths;
mod plan;
mod retry_after;
mod rng;
mod saved;

pub use histogram::Histogram;
pub use lengths::{JobKey, JobLengths};
pub use plan::{Cost, Plan};
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
    /// A guess at how long jobs take: it stands in for recorded lengths while fewer than a
    /// handful are known (see [`Plan::from_lengths`]). `None`: no guess, the cold plan.
    pub typical_job_ms: Option<u64>,
    /// Cap on any Retry-After the server asks for.
    pub max_retry_after_ms: u64,
    /// The first check after submit, for jobs that fail at once.
    pub first_check_ms: u64,
    /// The plain loop's sleep: the cold pace, and the lag a learned plan must match.
    pub pace_ms: u64,
    /// The round trip a plain loop adds to each sleep, as a learned plan assumes it (a guess:
    /// shorter than the real one makes the plan ask a little sooner than that loop).
    pub round_trip_ms: u64,
    /// No wait after an answer is shorter (long-poll aside, where the server holds the get).
    pub min_wait_ms: u64,
    /// The longest interval of a back-off in the tail of the job lengths.
    pub max_interval_ms: u64,
    /// The longest sleep on a remaining-time estimate: a stalled progress bar or a wild
    /// estimate must not park the wait for long.
    pub max_estimate_wait_ms: u64,
    /// Relative jitter on every wait, so many clients do not poll in step.
    pub jitter: f64,
}

impl PollConfig {
    /// For a provider whose jobs usually take `typical_job_ms`: the guess seeds the plan, and
    /// for short jobs the first check and the pace shrink with it (a 4 s job is not checked
    /// every 3 s); the defaults are for Luma's jobs of a minute or more.
    pub fn with_typical_job(kind: ProviderKind, typical_job_ms: u64) -> PollConfig {
        let base = PollConfig::for_provider(kind);
        let pace_ms = (typical_job_ms / 39).clamp(100, base.pace_ms);
        PollConfig {
            typical_job_ms: Some(typical_job_ms),
            first_check_ms: (typical_job_ms / 36).clamp(200, base.first_check_ms),
            pace_ms,
            round_trip_ms: base.round_trip_ms.min(pace_ms / 30),
            min_wait_ms: base.min_wait_ms.min(pace_ms),
            ..base
        }
    }

    pub fn for_provider(kind: ProviderKind) -> PollConfig {
        PollConfig {
            long_poll: kind.capabilities().long_poll,
            deadline_ms: None,
            typical_job_ms: None,
            max_retry_after_ms: 60_000,
            first_check_ms: 3_000,
            pace_ms: 3_000,
            round_trip_ms: 100,
            min_wait_ms: 1_000,
            max_interval_ms: 60_000,
            max_estimate_wait_ms: 110_000,
            jitter: 0.03,
        }
    }
}

/// A remaining-time estimate is off by up to this much; sleep through the safe part only.
const ESTIMATE_SAFETY: f64 = 0.7;
/// The longest wait any plan may ask for: never parked for longer.
pub const MAX_QUIET_MS: u64 = 3_600_000;

#[derive(Clone, Debug)]
pub struct Schedule {
    config: PollConfig,
    plan: Plan,
    submitted_at: u64,
    next_at: u64,
    checks: u32,
    last: Option<State>,
    /// Age (ms) of the last answer that said "not finished".
    unfinished_at: u64,
    /// Ages between which the job completed, once an answer says it did.
    completed: Option<(u64, u64)>,
    /// (time, progress) of the first progress seen while dreaming, for a rate.
    progress_start: Option<(u64, f64)>,
    in_flight: bool,
    rng: Rng,
}

impl Schedule {
    /// `submitted_at_ms`: when the create was answered; `now_ms`: the time now. Plans cold, or
    /// from `config.typical_job_ms` when given.
    pub fn new(config: PollConfig, submitted_at_ms: u64, now_ms: u64, seed: u64) -> Schedule {
        let plan = Plan::from_lengths(&Histogram::default(), &config);
        Schedule::planned(config, plan, submitted_at_ms, now_ms, seed)
    }

    /// Follows `plan` (from [`JobLengths::plan`]) while the provider gives no hints.
    pub fn planned(
        config: PollConfig,
        plan: Plan,
        submitted_at_ms: u64,
        now_ms: u64,
        seed: u64,
    ) -> Schedule {
        let plan = Plan {
            quiet_ms: plan.quiet_ms.min(MAX_QUIET_MS),
            min_wait_ms: plan.min_wait_ms.max(config.min_wait_ms),
            ..plan
        };
        let first = if config.long_poll {
            now_ms
        } else {
            submitted_at_ms + plan.next_check(0)
        };
        Schedule {
            config,
            plan,
            submitted_at: submitted_at_ms,
            next_at: first.max(now_ms),
            checks: 0,
            last: None,
            unfinished_at: 0,
            completed: None,
            progress_start: None,
            in_flight: false,
            rng: Rng::new(seed),
        }
    }

    pub fn plan(&self) -> &Plan {
        &self.plan
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

    /// Between which ages (ms after submit) the job completed: from the last answer that said
    /// "not finished" to the one that said "completed". `None` until then, for failures, and
    /// when the first answer came long after the first planned check and said "completed".
    pub fn completed_span(&self) -> Option<(u64, u64)> {
        self.completed
    }

    pub fn observe(&mut self, now_ms: u64, generation: &Generation) {
        self.in_flight = false;
        self.checks += 1;
        let age = now_ms.saturating_sub(self.submitted_at);
        let state = self
            .last
            .map_or(generation.state, |s| s.advance(generation.state));
        // A first answer that says "completed" long after the first planned check (a wait
        // begun late) bounds the length by nothing useful.
        let informative = self.checks > 1 || age <= self.plan.next_check(0) + self.config.pace_ms;
        if state == State::Completed && self.completed.is_none() && informative {
            self.completed = Some((self.unfinished_at.min(age), age));
        }
        self.last = Some(state);
        if state.is_terminal() {
            return;
        }
        self.unfinished_at = age;
        if self.config.long_poll {
            self.next_at = now_ms;
            return;
        }
        let wait = match self.remaining_estimate(now_ms, generation) {
            Estimate::Remaining(ms) => ((ms * ESTIMATE_SAFETY) as u64)
                .min(self.config.max_estimate_wait_ms)
                .max(self.config.pace_ms),
            // A second progress sample gives the rate; it comes no later than a check without
            // a hint would (a short job must not wait out a long sampling gap).
            Estimate::NeedRate => self.planned_wait(age).min(3 * self.config.pace_ms),
            Estimate::None => self.planned_wait(age),
        };
        // Jitter must not carry a wait past the longest quiet the schedule allows.
        self.next_at = now_ms + self.jittered(wait).min(MAX_QUIET_MS);
    }

    /// A get that failed after the client's own retries; `retry_after_ms` is the server's ask.
    pub fn observe_error(&mut self, now_ms: u64, retry_after_ms: Option<u64>) {
        self.in_flight = false;
        let wait = match retry_after_ms {
            Some(ms) => ms.min(self.config.max_retry_after_ms),
            None => self.jittered(self.config.pace_ms),
        };
        self.next_at = now_ms + wait.max(self.config.min_wait_ms);
    }

    /// The wait until the plan's next check, at `age` ms after submit.
    fn planned_wait(&self, age: u64) -> u64 {
        let min = self.plan.min_wait_ms;
        if !self.plan.anchored {
            return min.min(MAX_QUIET_MS);
        }
        (self.plan.next_check(age.saturating_add(min)) - age).min(MAX_QUIET_MS)
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

    /// `ms` moved by up to `jitter` of itself (of the pace, for long waits: a quiet window
    /// must not end early enough to cost an extra check), never under the floor.
    fn jittered(&mut self, ms: u64) -> u64 {
        let spread = self.config.jitter * ms.min(self.config.pace_ms) as f64;
        let j = spread * (2.0 * self.rng.next_f64() - 1.0);
        ((ms as f64 + j).max(0.0) as u64).max(self.config.min_wait_ms)
    }
}

enum Estimate {
    Remaining(f64),
    NeedRate,
    None,
}

#[cfg(test)]
mod tests;
