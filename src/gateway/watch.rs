//! When a shard's alarm asks the upstream about a job, and what the gateway learns from it.
//!
//! Each running job keeps its schedule (the core's [`Schedule`], saved as text with the job):
//! planned once, at its first step, from the job lengths the gateway has learned for its kind
//! (across all its callers), then moved on by every answer the shard reads, so an APIFRAME
//! job's progress samples give a rate instead of being forgotten on each wake. While the
//! upstream is expected to call back, the job is not polled before a silence: a typical job's
//! length after its creation or its last callback. A completed job gives back its kind and the
//! span of ages it completed in, for the model.

use std::cell::RefCell;

use serde_json::Value;

use super::Record;
use crate::model::State;
use crate::poll::{Action, Histogram, JobKey, JobLengths, Plan, PollConfig, Schedule};

/// A job still running this long after its creation is ended as failed.
pub const GIVE_UP_MS: u64 = 24 * 3600 * 1000;
/// The silence before polling a job whose upstream calls back, when nothing better is known
/// (Luma's usual ~110 s).
const DEFAULT_SILENCE_MS: u64 = 110_000;
/// A callback leaves the upstream as the job changes state and arrives within this much.
const CALLBACK_DELAY_MS: u64 = 1_000;
/// The shares of its kind's lengths kept with each job, for the remaining time it expects.
const SHARES: [f64; 20] = [
    0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85,
    0.9, 0.95, 0.99,
];

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Next {
    /// Terminal: no more polls.
    Done,
    /// Ask the upstream at this time (ms), unless a callback comes first.
    PollAt(u64),
    /// Past [`GIVE_UP_MS`]: end it as failed.
    GiveUp,
}

/// What a shard knows about a job besides its record.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Watch {
    pub created_ms: u64,
    /// Its last callback, if any.
    pub heard_ms: Option<u64>,
    pub now_ms: u64,
    /// `UPSTREAM_TYPICAL_JOB_MS`: a guess that seeds the plan until lengths are learned.
    pub typical_job_ms: Option<u64>,
    /// Whether the upstream is expected to call back (it can, and its callbacks have not
    /// been found silent): then polls wait for a silence first.
    pub callbacks: bool,
}

/// One step of a job's watch.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub next: Next,
    /// What to keep with the job until its next step.
    pub saved: String,
    /// A completed job's kind and the ages (ms after its create) between which it completed.
    pub learned: Option<(JobKey, u64, u64)>,
}

/// What sets a job's length, from its record: the upstream, and the caller's model,
/// resolution and duration; an extension when it builds on a generation.
pub fn job_key(record: &Record) -> JobKey {
    let field = |k: &str| record.request.get(k).and_then(Value::as_str);
    JobKey::new(
        record.generation.provider,
        field("model"),
        field("resolution"),
        field("duration"),
        record.parent.is_some(),
    )
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

/// The job's next step. `saved`: what its last step kept (none for a new job: it is planned
/// from `lengths`, the learned model, or cold without one); `observed`: the record holds an
/// answer the upstream gave just now.
pub fn step(
    record: &Record,
    w: &Watch,
    saved: Option<&str>,
    lengths: Option<&JobLengths>,
    observed: bool,
) -> Step {
    let config = config(record, w.typical_job_ms);
    let (mut schedule, quantiles) = saved
        .and_then(|s| restore(&config, s))
        .unwrap_or_else(|| start(record, w, &config, lengths));
    let mut learned = None;
    if observed {
        schedule.observe(w.now_ms, &record.generation);
        if record.state() == State::Completed {
            learned = span(&schedule, w).map(|(from, to)| (job_key(record), from, to));
        }
    }
    let q = quantiles.as_ref().map_or("-".to_string(), |q| {
        q.iter().map(u64::to_string).collect::<Vec<_>>().join(",")
    });
    let saved = format!("{}|{q}", schedule.save());
    let next = if record.state().is_terminal() {
        Next::Done
    } else if w.now_ms >= w.created_ms + GIVE_UP_MS {
        Next::GiveUp
    } else {
        let scheduled = match schedule.poll(w.now_ms) {
            Action::WaitUntil(t) => t,
            _ => w.now_ms,
        };
        // A job whose callbacks work is not polled: only past a silence. The learned median
        // stands in for a configured typical length.
        let quiet_until = if w.callbacks {
            let median = quantiles.as_ref().map(|q| q[SHARES.len() / 2 - 1]);
            let silence = config
                .typical_job_ms
                .or(median)
                .unwrap_or(DEFAULT_SILENCE_MS);
            w.heard_ms.unwrap_or(w.created_ms) + silence
        } else {
            0
        };
        Next::PollAt(scheduled.max(quiet_until).min(w.created_ms + GIVE_UP_MS))
    };
    Step {
        next,
        saved,
        learned,
    }
}

/// A new job's schedule from the learned model, and its kind's quantiles when known.
fn start(
    record: &Record,
    w: &Watch,
    config: &PollConfig,
    lengths: Option<&JobLengths>,
) -> (Schedule, Option<Vec<u64>>) {
    let (created, now) = (w.created_ms, w.now_ms);
    let Some(lengths) = lengths else {
        return (
            Schedule::planned(config.clone(), cold_plan(config), created, now, created),
            None,
        );
    };
    let key = job_key(record);
    let plan = lengths.plan(&key, config);
    let schedule = Schedule::planned(config.clone(), plan, created, now, created);
    (schedule, lengths.quantiles(&key, &SHARES))
}

thread_local! {
    /// Cold plans by configuration: the same search each time otherwise, on every create
    /// (about a millisecond), for one of a handful of configurations (upstream, typical length).
    static COLD: RefCell<Vec<(PollConfig, Plan)>> = const { RefCell::new(Vec::new()) };
}

/// What `Schedule::new` plans from (no lengths learned).
fn cold_plan(config: &PollConfig) -> Plan {
    COLD.with_borrow_mut(|cache| {
        if let Some((_, plan)) = cache.iter().find(|(c, _)| c == config) {
            return *plan;
        }
        let plan = Plan::from_lengths(&Histogram::default(), config);
        if cache.len() >= 16 {
            cache.clear();
        }
        cache.push((config.clone(), plan));
        plan
    })
}

fn restore(config: &PollConfig, saved: &str) -> Option<(Schedule, Option<Vec<u64>>)> {
    let (schedule, q) = saved.split_once('|')?;
    let schedule = Schedule::restore(config.clone(), schedule).ok()?;
    let quantiles = match q {
        "-" => None,
        q => Some(
            q.split(',')
                .map(|v| v.parse().ok())
                .collect::<Option<Vec<u64>>>()
                .filter(|v| v.len() == SHARES.len())?,
        ),
    };
    Some((schedule, quantiles))
}

/// Between which ages the job completed: the schedule's span, narrowed by a callback (sent as
/// the job changed state, so the job was unfinished, or just finished, a moment before).
fn span(schedule: &Schedule, w: &Watch) -> Option<(u64, u64)> {
    let age = w.now_ms.saturating_sub(w.created_ms);
    let heard = w
        .heard_ms
        .filter(|h| (w.created_ms..=w.now_ms).contains(h))
        .map(|h| (h - w.created_ms).saturating_sub(CALLBACK_DELAY_MS));
    match (schedule.completed_span(), heard) {
        (Some((from, to)), Some(h)) => Some((from.max(h).min(to), to)),
        (Some(s), None) => Some(s),
        (None, Some(h)) => Some((h, age)),
        (None, None) => None,
    }
}

/// The time (ms) a running job is expected to take still, at `now_ms`: the median length of
/// the jobs of its kind that ran as long as it has, less its age. `None` when its kind's
/// lengths were not known at its start, or past the 98th percentile (the gateway does not
/// know).
pub fn remaining(saved: &str, created_ms: u64, now_ms: u64) -> Option<u64> {
    let (_, q) = saved.split_once('|')?;
    let q: Vec<f64> = q
        .split(',')
        .map(|v| v.parse::<u64>().ok().map(|v| v as f64))
        .collect::<Option<_>>()?;
    if q.len() != SHARES.len() {
        return None;
    }
    let age = now_ms.saturating_sub(created_ms) as f64;
    // The share of jobs done by this age, piecewise linear between the quantiles kept.
    let points: Vec<(f64, f64)> = std::iter::once((0.0, 0.0))
        .chain(q.iter().copied().zip(SHARES))
        .collect();
    let done = points.windows(2).find_map(|p| {
        let ((t0, s0), (t1, s1)) = (p[0], p[1]);
        (age <= t1).then(|| {
            if t1 > t0 {
                s0 + (s1 - s0) * ((age - t0) / (t1 - t0)).clamp(0.0, 1.0)
            } else {
                s1
            }
        })
    })?;
    let target = (1.0 + done) / 2.0;
    let length = points.windows(2).find_map(|p| {
        let ((t0, s0), (t1, s1)) = (p[0], p[1]);
        (target <= s1).then(|| t0 + (t1 - t0) * ((target - s0) / (s1 - s0)).clamp(0.0, 1.0))
    })?;
    Some((length - age).max(0.0).round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Generation;
    use crate::provider::ProviderKind;
    use serde_json::json;

    fn record(kind: ProviderKind, state: State) -> Record {
        Record {
            id: "gw".into(),
            upstream_id: "up".into(),
            owner: "c".into(),
            parent: None,
            created_at: "2026-11-24T00:00:00Z".into(),
            request: json!({ "model": "ray-2", "resolution": "720p" }),
            generation: Generation::new("up", kind, state),
        }
    }

    fn watch(now_ms: u64, heard_ms: Option<u64>, typical: Option<u64>, callbacks: bool) -> Watch {
        Watch {
            created_ms: 0,
            heard_ms,
            now_ms,
            typical_job_ms: typical,
            callbacks,
        }
    }

    fn poll_at(s: &Step) -> u64 {
        let Next::PollAt(t) = s.next else {
            panic!("{:?}", s.next)
        };
        t
    }

    /// A model that has seen 40 jobs of `record`'s kind, `length_ms` each, seen within 500 ms.
    fn learned(r: &Record, length_ms: u64) -> JobLengths {
        let mut model = JobLengths::new();
        for _ in 0..40 {
            model.record(&job_key(r), length_ms - 500, length_ms);
        }
        model
    }

    #[test]
    fn a_cold_plan_kept_is_the_plan_made_afresh() {
        for (kind, typical) in [
            (ProviderKind::Luma, Some(600_000)),
            (ProviderKind::Apiframe, None),
        ] {
            let r = record(kind, State::Queued);
            let c = config(&r, typical);
            for now in [1_000, 2_000] {
                let w = watch(now, None, typical, true);
                let fresh = Schedule::new(c.clone(), 0, now, 0).save();
                assert_eq!(start(&r, &w, &c, None).0.save(), fresh, "{kind:?} at {now}");
            }
        }
    }

    #[test]
    fn silent_jobs_wait_a_typical_job_then_follow_the_schedule() {
        let r = record(ProviderKind::Luma, State::Queued);
        let first = step(&r, &watch(0, None, Some(10_000), true), None, None, false);
        assert_eq!(
            poll_at(&first),
            10_000,
            "nothing before a typical job has passed"
        );
        let later = step(
            &r,
            &watch(10_000, None, Some(10_000), true),
            Some(&first.saved),
            None,
            true,
        );
        let later = poll_at(&later);
        assert!(
            later > 10_000 && later < 20_000,
            "then the core's pace: {later}"
        );
    }

    #[test]
    fn every_callback_pushes_the_watchdog() {
        let r = record(ProviderKind::Luma, State::Dreaming);
        let w = |h| watch(h, Some(h), Some(10_000), true);
        assert_eq!(
            step(&r, &w(7_000), None, None, true).next,
            Next::PollAt(17_000)
        );
        assert_eq!(
            step(&r, &w(9_000), None, None, true).next,
            Next::PollAt(19_000)
        );
    }

    #[test]
    fn without_callbacks_a_learned_plan_is_quiet_until_completion_is_likely() {
        let r = record(ProviderKind::LumaAgents, State::Queued);
        let cold = step(&r, &watch(0, None, None, false), None, None, false);
        assert_eq!(poll_at(&cold), 3_000, "cold: the 3 s loop's first check");
        let model = learned(&r, 60_000);
        let warm = step(&r, &watch(0, None, None, false), None, Some(&model), false);
        // One early check for jobs that fail at once, then quiet.
        assert_eq!(poll_at(&warm), 3_000);
        let early = step(
            &r,
            &watch(3_000, None, None, false),
            Some(&warm.saved),
            None,
            true,
        );
        let first = poll_at(&early);
        assert!((40_000..60_000).contains(&first), "quiet until {first}");
        // The plan is kept: a later step without the model follows it.
        let r = record(ProviderKind::LumaAgents, State::Dreaming);
        let on = step(
            &r,
            &watch(first, None, None, false),
            Some(&early.saved),
            None,
            true,
        );
        assert!(
            poll_at(&on) - first <= 3_100,
            "then the pace: {}",
            poll_at(&on)
        );
    }

    #[test]
    fn progress_samples_are_kept_across_steps() {
        // An APIFRAME job 10 % further every 10 s, no callbacks: rebuilt on every wake it was
        // asked every 3 paces; kept, the second sample gives a rate and the waits follow it.
        let mut r = record(ProviderKind::Apiframe, State::Dreaming);
        let mut saved: Option<String> = None;
        let mut now = 3_000;
        let mut waits = Vec::new();
        while now < 100_000 {
            r.generation.progress = Some(now as f64 / 100_000.0);
            let s = step(
                &r,
                &watch(now, None, None, false),
                saved.as_deref(),
                None,
                true,
            );
            waits.push(poll_at(&s) - now);
            now = poll_at(&s);
            saved = Some(s.saved);
        }
        assert!(waits.len() <= 8, "{waits:?}");
        assert!(
            waits[1] > 30_000,
            "the rate tells most of the remaining time: {waits:?}"
        );
    }

    #[test]
    fn a_completion_gives_its_kind_and_span_narrowed_by_a_callback() {
        let r = record(ProviderKind::Luma, State::Dreaming);
        let a = step(&r, &watch(0, None, None, false), None, None, false);
        let b = step(
            &r,
            &watch(3_000, None, None, false),
            Some(&a.saved),
            None,
            true,
        );
        let done = record(ProviderKind::Luma, State::Completed);
        let polled = step(
            &done,
            &watch(6_100, None, None, false),
            Some(&b.saved),
            None,
            true,
        );
        let key = job_key(&done);
        assert_eq!(polled.learned, Some((key.clone(), 3_000, 6_100)));
        assert_eq!(polled.next, Next::Done);
        let called = step(
            &done,
            &watch(5_300, Some(5_200), None, true),
            Some(&b.saved),
            None,
            true,
        );
        assert_eq!(key.encode(), "luma/ray-2/720p//g");
        assert_eq!(called.learned, Some((key, 4_200, 5_300)));
    }

    #[test]
    fn the_remaining_time_is_the_median_of_the_jobs_still_running() {
        let r = record(ProviderKind::Luma, State::Queued);
        let model = learned(&r, 60_000);
        let s = step(&r, &watch(0, None, None, true), None, Some(&model), false);
        let at = |age| remaining(&s.saved, 0, age).unwrap();
        assert!((50_000..=66_000).contains(&at(0)), "{}", at(0));
        assert!(at(30_000) < at(0) && at(30_000) > 20_000, "{}", at(30_000));
        assert_eq!(
            remaining(&s.saved, 0, 10_000_000),
            None,
            "past the tail: unknown"
        );
        let cold = step(&r, &watch(0, None, None, true), None, None, false);
        assert_eq!(
            remaining(&cold.saved, 0, 0),
            None,
            "nothing learned: nothing said"
        );
    }

    #[test]
    fn terminal_jobs_rest_and_old_ones_are_given_up() {
        for state in [State::Completed, State::Failed] {
            let r = record(ProviderKind::Luma, state);
            assert_eq!(
                step(&r, &watch(5, None, None, true), None, None, false).next,
                Next::Done
            );
        }
        let r = record(ProviderKind::Luma, State::Dreaming);
        let w = |now| watch(now, None, None, true);
        assert_eq!(
            step(&r, &w(GIVE_UP_MS), None, None, false).next,
            Next::GiveUp
        );
        assert!(poll_at(&step(&r, &w(GIVE_UP_MS - 10), None, None, false)) <= GIVE_UP_MS);
    }
}
