//! Jobs and their lifecycle: queued for the first 15 % of their length, then dreaming, then
//! completed, or failed at the start of dreaming when the prompt is "moderated".

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::rng::Rng;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Luma,
    LumaAgents,
    Aimlapi,
    Apiframe,
    Gptge,
}

impl Protocol {
    /// The name the package (and the admin API's job list) uses.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Luma => "luma",
            Protocol::LumaAgents => "luma-agents",
            Protocol::Aimlapi => "aimlapi",
            Protocol::Apiframe => "apiframe",
            Protocol::Gptge => "gptge",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    Queued,
    Dreaming,
    Completed,
    Failed,
}

impl Phase {
    pub fn luma(self) -> &'static str {
        match self {
            Phase::Queued => "queued",
            Phase::Dreaming => "dreaming",
            Phase::Completed => "completed",
            Phase::Failed => "failed",
        }
    }
}

/// Prompts containing these words fail after acceptance, as moderation does.
pub const MODERATED: [(&str, &str); 3] = [
    ("blacklisted", "Contains blacklisted words"),
    ("nsfw", "Advanced prompt moderation failed"),
    ("unreadable", "Failed to read user input frames"),
];

pub fn moderation(prompt: &str) -> Option<&'static str> {
    let p = prompt.to_lowercase();
    MODERATED
        .iter()
        .find(|(word, _)| p.contains(word))
        .map(|(_, reason)| *reason)
}

#[derive(Clone, Debug)]
pub struct Callback {
    pub url: String,
    pub secret: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Job {
    pub id: String,
    pub protocol: Protocol,
    pub prompt: String,
    pub created: Instant,
    pub created_at: String,
    pub created_unix_ms: u128,
    pub length: Duration,
    pub failure: Option<&'static str>,
    /// Indices of media segments, in play order.
    pub segments: Vec<usize>,
    /// The segment this job added (its preview while dreaming).
    pub new_segment: usize,
    pub request: serde_json::Value,
    pub callback: Option<Callback>,
    pub extend: bool,
}

impl Job {
    /// How long after its creation the job starts dreaming: the first 15 % of its length.
    fn queued_for(&self) -> Duration {
        self.length.mul_f64(0.15)
    }

    pub fn phase(&self, now: Instant) -> Phase {
        let t = now.saturating_duration_since(self.created);
        if t < self.queued_for() {
            Phase::Queued
        } else if self.failure.is_some() {
            Phase::Failed
        } else if t < self.length {
            Phase::Dreaming
        } else {
            Phase::Completed
        }
    }

    /// When a callback receiver next has something to hear (see `callbacks::milestone`): the
    /// start of dreaming, an APIFRAME quarter of it, or the end; `None` once terminal.
    pub fn next_milestone(&self, now: Instant) -> Option<Instant> {
        let start = self.created + self.queued_for();
        let end = self.created + self.length;
        match self.phase(now) {
            Phase::Queued => Some(start),
            Phase::Dreaming if self.protocol == Protocol::Apiframe => {
                let quarter = ((self.progress(now) * 4.0) as u32 + 1).min(4);
                Some(start + (end - start).mul_f64(f64::from(quarter) / 4.0))
            }
            Phase::Dreaming => Some(end),
            Phase::Completed | Phase::Failed => None,
        }
    }

    /// 0..1 through dreaming.
    pub fn progress(&self, now: Instant) -> f64 {
        let t = now.saturating_duration_since(self.created).as_secs_f64();
        let start = self.queued_for().as_secs_f64();
        ((t - start) / (self.length.as_secs_f64() - start).max(1e-9)).clamp(0.0, 1.0)
    }

    pub fn remaining(&self, now: Instant) -> Duration {
        self.length
            .saturating_sub(now.saturating_duration_since(self.created))
    }
}

#[derive(Default)]
pub struct Jobs {
    pub by_id: HashMap<String, Job>,
    /// Creation order, for lists.
    pub order: Vec<String>,
}

impl Jobs {
    pub fn insert(&mut self, job: Job) {
        self.order.push(job.id.clone());
        self.by_id.insert(job.id.clone(), job);
    }

    pub fn remove(&mut self, id: &str) -> bool {
        self.order.retain(|i| i != id);
        self.by_id.remove(id).is_some()
    }
}

/// A job length drawn from a lognormal spread (median 110 s, 30 s..4 min) divided by `speed`.
pub fn draw_length(rng: &mut Rng, speed: f64) -> Duration {
    let normal = rng.normal();
    let secs = (110.0 * (0.45 * normal).exp()).clamp(30.0, 240.0);
    Duration::from_secs_f64(secs / speed.max(1e-6))
}

/// Seconds since the Unix epoch as RFC 3339 UTC (no time crate needed).
pub fn rfc3339(unix_ms: u128) -> String {
    let secs = (unix_ms / 1000) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        unix_ms % 1000
    )
}
