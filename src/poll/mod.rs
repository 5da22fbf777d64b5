//! The polling schedule as a sans-IO state machine: time is an input, randomness is seeded.
//!
//! Drive it like this: call [`Schedule::poll`] with the time now; on `FetchNow` send one get
//! (with [`Schedule::wait_for`] as the long-poll state) and report the answer with
//! [`Schedule::observe`] or [`Schedule::observe_error`]; on `WaitUntil(t)` sleep until `t`.
//!
//! PLACEHOLDER: a fixed 3-second loop until the adaptive schedule lands. The API is final.

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
}

impl PollConfig {
    pub fn for_provider(kind: ProviderKind) -> PollConfig {
        PollConfig {
            long_poll: kind.capabilities().long_poll,
            deadline_ms: None,
            typical_job_ms: 110_000,
            max_retry_after_ms: 60_000,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Schedule {
    config: PollConfig,
    next_at: u64,
    last: Option<State>,
    in_flight: bool,
}

impl Schedule {
    /// `submitted_at_ms`: when the create was answered; `now_ms`: the time now.
    pub fn new(config: PollConfig, submitted_at_ms: u64, now_ms: u64, _seed: u64) -> Schedule {
        let _ = now_ms;
        Schedule {
            config,
            next_at: submitted_at_ms + 3_000,
            last: None,
            in_flight: false,
        }
    }

    pub fn poll(&mut self, now_ms: u64) -> Action {
        if self.last.is_some_and(State::is_terminal) {
            return Action::Done;
        }
        if self.config.deadline_ms.is_some_and(|d| now_ms >= d) {
            return Action::DeadlineExceeded;
        }
        if now_ms >= self.next_at && !self.in_flight {
            self.in_flight = true;
            return Action::FetchNow;
        }
        Action::WaitUntil(self.next_at)
    }

    /// The state to ask a long-poll provider to wait for, if the protocol can.
    pub fn wait_for(&self) -> Option<State> {
        self.config.long_poll.then_some(State::Completed)
    }

    pub fn observe(&mut self, now_ms: u64, generation: &Generation) {
        self.in_flight = false;
        self.last = Some(
            self.last
                .map_or(generation.state, |s| s.advance(generation.state)),
        );
        self.next_at = if self.config.long_poll {
            now_ms
        } else {
            now_ms + 3_000
        };
    }

    /// A get that failed after the client's own retries; `retry_after_ms` is the server's ask.
    pub fn observe_error(&mut self, now_ms: u64, retry_after_ms: Option<u64>) {
        self.in_flight = false;
        let wait = retry_after_ms
            .unwrap_or(3_000)
            .min(self.config.max_retry_after_ms);
        self.next_at = now_ms + wait;
    }
}

/// Retry-After in ms from `retry-after-ms`, `retry-after` seconds, or an HTTP date (which needs
/// the time now, in ms since the Unix epoch).
pub fn retry_after_ms(headers: &[(String, String)], now_unix_ms: u64) -> Option<u64> {
    let get = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.trim())
    };
    if let Some(ms) = get("retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        return (ms.is_finite() && ms >= 0.0).then_some(ms as u64);
    }
    let v = get("retry-after")?;
    if let Ok(s) = v.parse::<f64>() {
        return (s.is_finite() && s >= 0.0).then_some((s * 1000.0) as u64);
    }
    let at = httpdate::parse_http_date(v).ok()?;
    let at_ms = at.duration_since(std::time::UNIX_EPOCH).ok()?.as_millis() as u64;
    Some(at_ms.saturating_sub(now_unix_ms))
}
