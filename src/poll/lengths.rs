//! What the schedule learns: job lengths per kind of job, in bounded memory, and a compact
//! text form to keep them (localStorage, KV, a file) without any JSON machinery.
//!
//! The text form: `lx1` then, per kind of job, `;provider/model/resolution/duration/g|e:` and
//! the non-empty buckets as `index=count` separated by commas, counts in thousandths of a job
//! (whole numbers: the browser build carries no float printing or parsing). For example
//! `lx1;luma/ray-2/720p/5s/g:70=3500,71=12000`.

use std::cell::RefCell;
use std::collections::BTreeMap;

use super::cdf::Cdf;
use super::histogram::{Histogram, BUCKETS};
use super::plan::{Plan, MIN_JOBS};
use super::PollConfig;
use crate::provider::ProviderKind;

/// Kinds of job kept; recording a new kind past this forgets the one least recently recorded.
pub const MAX_KINDS: usize = 64;
const VERSION: &str = "lx1";

/// What sets a job's length. Strings are kept to `[A-Za-z0-9._-]` (anything else becomes `_`)
/// and 40 characters, so every key has one text form.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct JobKey {
    pub provider: ProviderKind,
    pub model: String,
    pub resolution: String,
    pub duration: String,
    pub extension: bool,
}

impl JobKey {
    pub fn new(
        provider: ProviderKind,
        model: Option<&str>,
        resolution: Option<&str>,
        duration: Option<&str>,
        extension: bool,
    ) -> JobKey {
        JobKey {
            provider,
            model: clean(model),
            resolution: clean(resolution),
            duration: clean(duration),
            extension,
        }
    }

    /// The text form, `provider/model/resolution/duration/g|e`.
    pub fn encode(&self) -> String {
        let ext = if self.extension { "e" } else { "g" };
        format!(
            "{}/{}/{}/{}/{ext}",
            self.provider.as_str(),
            self.model,
            self.resolution,
            self.duration
        )
    }

    /// Reads [`JobKey::encode`]'s form.
    pub fn decode(s: &str) -> Result<JobKey, String> {
        let parts: Vec<&str> = s.split('/').collect();
        let [provider, model, resolution, duration, ext] = parts[..] else {
            return Err(format!(
                "kind `{s}`: expected provider/model/resolution/duration/g|e"
            ));
        };
        let provider = ProviderKind::parse(provider)
            .ok_or_else(|| format!("kind `{s}`: unknown provider `{provider}`"))?;
        let extension = match ext {
            "g" => false,
            "e" => true,
            _ => return Err(format!("kind `{s}`: the last part must be g or e")),
        };
        let key = JobKey::new(
            provider,
            Some(model),
            Some(resolution),
            Some(duration),
            extension,
        );
        if key.encode() != s {
            return Err(format!(
                "kind `{s}`: only A-Z a-z 0-9 . _ - and 40 characters per part"
            ));
        }
        Ok(key)
    }
}

fn clean(s: Option<&str>) -> String {
    s.unwrap_or("")
        .chars()
        .take(40)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Job lengths per kind of job.
#[derive(Clone, Debug, Default)]
pub struct JobLengths {
    /// By the key's text form (one per key), so the text form comes out in a stable order.
    kinds: BTreeMap<String, (Histogram, u64)>,
    /// Bumped per record: the most recent use of each kind, for eviction.
    clock: u64,
    /// The last plan made per kind, and for which settings: planning takes milliseconds, and
    /// `wait_all` on 25 jobs of one kind needs one plan, not 25. A record clears its kind's.
    plans: RefCell<BTreeMap<String, (PollConfig, Plan)>>,
}

impl JobLengths {
    pub fn new() -> JobLengths {
        JobLengths::default()
    }

    /// A job of kind `key` completed between `from_ms` and `to_ms` after its create was answered.
    pub fn record(&mut self, key: &JobKey, from_ms: u64, to_ms: u64) {
        self.clock += 1;
        let key = key.encode();
        if !self.kinds.contains_key(&key) && self.kinds.len() >= MAX_KINDS {
            let oldest = self
                .kinds
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                self.kinds.remove(&oldest);
            }
        }
        self.plans.get_mut().remove(&key);
        let entry = self.kinds.entry(key).or_default();
        entry.0.record(from_ms, to_ms);
        entry.1 = self.clock;
    }

    /// The lengths recorded for `key` (empty if none).
    pub fn lengths(&self, key: &JobKey) -> Histogram {
        self.kinds
            .get(&key.encode())
            .map(|(h, _)| h.clone())
            .unwrap_or_default()
    }

    /// The plan for a job of kind `key` (see [`Plan::from_lengths`]).
    pub fn plan(&self, key: &JobKey, config: &PollConfig) -> Plan {
        // The deadline does not change the plan.
        let config = PollConfig {
            deadline_ms: None,
            ..config.clone()
        };
        let text = key.encode();
        if let Some((c, plan)) = self.plans.borrow().get(&text) {
            if *c == config {
                return *plan;
            }
        }
        let plan = Plan::from_lengths(&self.lengths(key), &config);
        let mut plans = self.plans.borrow_mut();
        if plans.len() >= MAX_KINDS {
            plans.clear();
        }
        plans.insert(text, (config, plan));
        plan
    }

    /// The lengths (ms) of jobs of kind `key` at each of the shares `qs` (0..1), once enough
    /// of them are known to plan from; `None` before (a guess would be passed off as data).
    pub fn quantiles(&self, key: &JobKey, qs: &[f64]) -> Option<Vec<u64>> {
        let h = self.kinds.get(&key.encode())?.0.clone();
        if h.total() < MIN_JOBS {
            return None;
        }
        let cdf = Cdf::new(h.counts())?;
        Some(qs.iter().map(|q| cdf.quantile(*q).round() as u64).collect())
    }

    pub fn kinds(&self) -> usize {
        self.kinds.len()
    }

    /// The compact text form (see the module documentation).
    pub fn encode(&self) -> String {
        let mut out = String::from(VERSION);
        for (key, (h, _)) in &self.kinds {
            out.push(';');
            out.push_str(key);
            out.push(':');
            let mut first = true;
            for (i, c) in h.counts().iter().enumerate() {
                // A faded job below half a thousandth is forgotten.
                let c = (c * 1000.0).round() as u64;
                if c > 0 {
                    if !first {
                        out.push(',');
                    }
                    first = false;
                    out.push_str(&format!("{i}={c}"));
                }
            }
        }
        out
    }

    /// Reads [`JobLengths::encode`]'s form; the error says what is wrong and where.
    pub fn decode(text: &str) -> Result<JobLengths, String> {
        let mut parts = text.trim().split(';');
        if parts.next() != Some(VERSION) {
            return Err(format!("must start with `{VERSION}`"));
        }
        let mut out = JobLengths::new();
        for part in parts {
            let (key, buckets) = part
                .split_once(':')
                .ok_or_else(|| format!("`{part}`: expected kind:buckets"))?;
            let key = JobKey::decode(key)?.encode();
            let mut counts = vec![0.0; BUCKETS];
            for pair in buckets.split(',').filter(|p| !p.is_empty()) {
                let bad = || {
                    format!(
                        "kind `{key}`: `{pair}` is not index=count (index below {BUCKETS}, count in thousandths, a whole number)"
                    )
                };
                let (i, c) = pair.split_once('=').ok_or_else(bad)?;
                let i: usize = i.parse().map_err(|_| bad())?;
                let c: u32 = c.parse().map_err(|_| bad())?;
                if i >= BUCKETS {
                    return Err(bad());
                }
                counts[i] += f64::from(c) / 1000.0;
            }
            let h = Histogram::from_counts(counts)
                .ok_or_else(|| format!("kind `{key}`: bad counts"))?;
            if out.kinds.insert(key.clone(), (h, 0)).is_some() {
                return Err(format!("kind `{key}` appears twice"));
            }
            if out.kinds.len() > MAX_KINDS {
                return Err(format!("more than {MAX_KINDS} kinds of job"));
            }
        }
        Ok(out)
    }
}
