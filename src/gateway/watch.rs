//! When a shard's alarm asks the upstream about a job: only while the job's callbacks are
//! silent. Every callback pushes the job's watchdog a typical job's length later; a job never
//! heard from is polled on the core's schedule once that much time has passed since its
//! creation. Nothing here is stored: a shard recomputes it on wake.

use super::Record;
use crate::poll::{Action, PollConfig, Schedule};

/// A job still running this long after its creation is ended as failed.
pub const GIVE_UP_MS: u64 = 24 * 3600 * 1000;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Next {
    /// Terminal: no more polls.
    Done,
    /// Ask the upstream at this time (ms), unless a callback comes first.
    PollAt(u64),
    /// Past [`GIVE_UP_MS`]: end it as failed.
    GiveUp,
}

fn config(record: &Record, typical_job_ms: Option<u64>) -> PollConfig {
    let kind = record.generation.provider;
    let base = match typical_job_ms {
        Some(ms) if ms > 0 => PollConfig::with_typical_job(kind, ms),
        _ => PollConfig::for_provider(kind),
    };
    PollConfig {
        long_poll: false,
        ..base
    }
}

/// The job's next poll. `heard_ms`: its last callback, if any.
pub fn next(
    record: &Record,
    created_ms: u64,
    heard_ms: Option<u64>,
    now_ms: u64,
    typical_job_ms: Option<u64>,
) -> Next {
    if record.state().is_terminal() {
        return Next::Done;
    }
    if now_ms >= created_ms + GIVE_UP_MS {
        return Next::GiveUp;
    }
    let config = config(record, typical_job_ms);
    // Without a configured length, Luma's usual ~110 s.
    let silence = config.typical_job_ms.unwrap_or(110_000);
    let mut schedule = Schedule::new(config, created_ms, now_ms, now_ms);
    if let Action::FetchNow = schedule.poll(now_ms) {
        schedule.observe(now_ms, &record.generation);
    }
    let scheduled = match schedule.poll(now_ms) {
        Action::WaitUntil(t) => t,
        _ => now_ms,
    };
    let quiet_until = heard_ms.unwrap_or(created_ms) + silence;
    Next::PollAt(scheduled.max(quiet_until).min(created_ms + GIVE_UP_MS))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Generation, State};
    use crate::provider::ProviderKind;
    use serde_json::json;

    fn record(state: State) -> Record {
        Record {
            id: "gw".into(),
            upstream_id: "up".into(),
            owner: "c".into(),
            parent: None,
            created_at: "2026-11-24T00:00:00Z".into(),
            request: json!({}),
            generation: Generation::new("up", ProviderKind::Luma, state),
        }
    }

    #[test]
    fn silent_jobs_wait_a_typical_job_then_follow_the_schedule() {
        let r = record(State::Queued);
        let Next::PollAt(first) = next(&r, 0, None, 0, Some(10_000)) else {
            panic!()
        };
        assert_eq!(first, 10_000, "nothing before a typical job has passed");
        let Next::PollAt(later) = next(&r, 0, None, 10_000, Some(10_000)) else {
            panic!()
        };
        assert!(
            later > 10_000 && later < 20_000,
            "then the core's pace: {later}"
        );
    }

    #[test]
    fn every_callback_pushes_the_watchdog() {
        let r = record(State::Dreaming);
        assert_eq!(
            next(&r, 0, Some(7_000), 7_000, Some(10_000)),
            Next::PollAt(17_000)
        );
        assert_eq!(
            next(&r, 0, Some(9_000), 9_000, Some(10_000)),
            Next::PollAt(19_000)
        );
    }

    #[test]
    fn terminal_jobs_rest_and_old_ones_are_given_up() {
        assert_eq!(
            next(&record(State::Completed), 0, None, 5, None),
            Next::Done
        );
        assert_eq!(next(&record(State::Failed), 0, None, 5, None), Next::Done);
        assert_eq!(
            next(&record(State::Dreaming), 0, None, GIVE_UP_MS, None),
            Next::GiveUp
        );
        let Next::PollAt(t) = next(&record(State::Dreaming), 0, None, GIVE_UP_MS - 10, None) else {
            panic!()
        };
        assert!(t <= GIVE_UP_MS);
    }
}
