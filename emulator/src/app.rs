//! Shared state: jobs, media, settings, faults and counters, behind one lock that is never held
//! across an await.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::jobs::{draw_length, moderation, rfc3339, Callback, Job, Jobs, Protocol};
use crate::mp4::Clip;
use crate::rng::Rng;

#[derive(Clone, Debug)]
pub struct Options {
    pub port: u16,
    pub api_key: String,
    pub speed: f64,
    pub admin: bool,
    pub seed: u64,
    pub job_ms: Option<u64>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            port: 0,
            api_key: "test-key".into(),
            speed: 1.0,
            admin: false,
            seed: 1,
            job_ms: None,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Faults {
    pub rates: Vec<(String, f64)>,
    pub retry_after_s: u64,
    pub slow_ms: u64,
    pub reset_after_create: bool,
    /// Every create's answer leaves this long after its job is made (its callbacks do not wait).
    pub create_answer_ms: u64,
    /// Every create is carried out and its answer lost, whatever the rates.
    pub lose_create_answers: bool,
}

#[derive(Default)]
pub struct Counters {
    pub requests: BTreeMap<String, u64>,
    pub creates_accepted: u64,
    /// Accepted creates per route key (the keys of `requests`).
    pub creates_by_key: BTreeMap<String, u64>,
    pub duplicate_creates: u64,
    pub fingerprints: HashSet<String>,
    pub callbacks_sent: u64,
    pub callbacks_failed: u64,
    pub callbacks_dropped: u64,
    pub faults_injected: BTreeMap<String, u64>,
}

pub struct Inner {
    pub options: Options,
    pub base_url: String,
    pub jobs: Jobs,
    pub rng: Rng,
    pub fault_rng: Rng,
    pub faults: Faults,
    pub counters: Counters,
    pub job_ms: Option<u64>,
    pub long_poll_ms: u64,
    pub callbacks_enabled: bool,
    pub videos: HashMap<String, Arc<Vec<u8>>>,
}

#[derive(Clone)]
pub struct App {
    inner: Arc<Mutex<Inner>>,
    pub clips: Arc<Vec<Clip>>,
    /// Rung when a job's timing changes (admin `/complete`), for the callback watchers.
    pub timing_changed: Arc<tokio::sync::Notify>,
}

/// What a create asks for, once a protocol module has validated it.
pub struct NewJob {
    pub protocol: Protocol,
    pub prompt: String,
    pub segments_before: Vec<usize>,
    pub segments_after: Vec<usize>,
    pub request: Value,
    pub callback: Option<Callback>,
    pub extend: bool,
    /// Where the protocol decides the failure itself; otherwise the prompt's moderation words.
    pub failure: Option<&'static str>,
}

pub fn unix_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

impl App {
    pub fn new(options: Options, clips: Vec<Clip>) -> App {
        let inner = Inner {
            base_url: String::new(),
            jobs: Jobs::default(),
            rng: Rng::new(options.seed),
            fault_rng: Rng::new(options.seed),
            faults: Faults::default(),
            counters: Counters::default(),
            job_ms: options.job_ms,
            long_poll_ms: 30_000,
            callbacks_enabled: true,
            videos: HashMap::new(),
            options,
        };
        App {
            inner: Arc::new(Mutex::new(inner)),
            clips: Arc::new(clips),
            timing_changed: Arc::new(tokio::sync::Notify::new()),
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock would be a bug in this process; keep serving anyway.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn base_url(&self) -> String {
        self.lock().base_url.clone()
    }

    /// Creates the job; returns a clone of it.
    pub fn create(&self, new: NewJob, fingerprint: String) -> Job {
        let mut s = self.lock();
        let length = match s.job_ms {
            Some(ms) => Duration::from_millis(ms),
            None => {
                let speed = s.options.speed;
                draw_length(&mut s.rng, speed)
            }
        };
        let id = s.rng.uuid();
        // A new segment never repeats its neighbour, so every extension is visibly new.
        let n = self.clips.len().max(1);
        let mut segment = (s.rng.next_u64() % n as u64) as usize;
        let neighbours = [
            new.segments_before.last().copied(),
            new.segments_after.first().copied(),
        ];
        for _ in 0..n {
            if !neighbours.contains(&Some(segment)) {
                break;
            }
            segment = (segment + 1) % n;
        }
        let segments = [new.segments_before, vec![segment], new.segments_after].concat();
        let job = Job {
            id: id.clone(),
            protocol: new.protocol,
            failure: new.failure.or_else(|| moderation(&new.prompt)),
            prompt: new.prompt,
            created: Instant::now(),
            created_at: rfc3339(unix_ms()),
            created_unix_ms: unix_ms(),
            length,
            segments,
            new_segment: segment,
            request: new.request,
            callback: new.callback,
            extend: new.extend,
        };
        s.counters.creates_accepted += 1;
        if !s.counters.fingerprints.insert(fingerprint) {
            s.counters.duplicate_creates += 1;
        }
        s.jobs.insert(job.clone());
        job
    }

    pub fn job(&self, id: &str) -> Option<Job> {
        self.lock().jobs.by_id.get(id).cloned()
    }

    pub fn counters_json(&self) -> Value {
        let s = self.lock();
        let c = &s.counters;
        json!({
            "requests": c.requests, "creates_accepted": c.creates_accepted, "creates_by_key": c.creates_by_key,
            "duplicate_creates": c.duplicate_creates, "callbacks_sent": c.callbacks_sent,
            "callbacks_failed": c.callbacks_failed, "callbacks_dropped": c.callbacks_dropped,
            "faults_injected": c.faults_injected,
        })
    }

    pub fn count(&self, f: impl FnOnce(&mut Counters)) {
        f(&mut self.lock().counters);
    }
}
