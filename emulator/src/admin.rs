//! `/__emulator/`: settings, faults, counters. Only served with `--admin`.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::app::{App, Counters, Faults};
use crate::http::{Request, Response};
use crate::rng::Rng;

pub const FAULT_KINDS: [&str; 7] = [
    "rate_429",
    "rate_500",
    "rate_502",
    "rate_503",
    "rate_reset",
    "rate_slow",
    "rate_malformed",
];

pub fn handle(app: &App, req: &Request) -> Response {
    let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
    let ok = || Response::json(200, &json!({ "ok": true }));
    match (
        req.method.as_str(),
        req.path.trim_start_matches("/__emulator"),
    ) {
        ("GET", "/counters") => Response::json(200, &app.counters_json()),
        ("POST", "/reset") => {
            let mut s = app.lock();
            s.faults = Faults::default();
            s.counters = Counters::default();
            s.job_ms = s.options.job_ms;
            s.long_poll_ms = 30_000;
            s.callbacks_enabled = true;
            ok()
        }
        ("POST", "/config") => {
            let mut s = app.lock();
            if let Some(ms) = body.get("job_ms") {
                s.job_ms = ms.as_u64();
            }
            if let Some(ms) = body.get("long_poll_ms").and_then(Value::as_u64) {
                s.long_poll_ms = ms;
            }
            if let Some(on) = body.get("callbacks").and_then(Value::as_bool) {
                s.callbacks_enabled = on;
            }
            ok()
        }
        ("POST", "/faults") => {
            let mut s = app.lock();
            s.faults = Faults {
                rates: FAULT_KINDS
                    .iter()
                    .map(|k| {
                        (
                            k.to_string(),
                            body.get(*k).and_then(Value::as_f64).unwrap_or(0.0),
                        )
                    })
                    .collect(),
                retry_after_s: body
                    .get("retry_after_s")
                    .and_then(Value::as_u64)
                    .unwrap_or(1),
                slow_ms: body.get("slow_ms").and_then(Value::as_u64).unwrap_or(2_000),
                reset_after_create: body
                    .get("reset_after_create")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                create_answer_ms: body
                    .get("create_answer_ms")
                    .and_then(Value::as_u64)
                    .unwrap_or(0),
                lose_create_answers: body
                    .get("lose_create_answers")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            };
            s.fault_rng = Rng::new(body.get("seed").and_then(Value::as_u64).unwrap_or(1));
            ok()
        }
        ("GET", "/generations") => {
            let s = app.lock();
            let now = Instant::now();
            let list: Vec<Value> = s.jobs.order.iter().filter_map(|id| s.jobs.by_id.get(id)).map(|j| {
                    json!({
                        "id": j.id, "protocol": j.protocol.name(), "state": j.phase(now).luma(),
                        "created_unix_ms": j.created_unix_ms as u64, "length_ms": j.length.as_millis() as u64,
                        // Benches tell a job made twice from one made once by its prompt.
                        "prompt": j.prompt,
                    })
                }).collect();
            Response::json(200, &Value::Array(list))
        }
        ("POST", path) => match path.strip_prefix("/complete/") {
            Some(id) => {
                let mut s = app.lock();
                match s.jobs.by_id.get_mut(id) {
                    Some(job) => {
                        job.length = job
                            .created
                            .elapsed()
                            .saturating_sub(Duration::from_millis(1));
                        app.timing_changed.notify_waiters();
                        ok()
                    }
                    None => Response::json(404, &json!({ "detail": "no such job" })),
                }
            }
            None => Response::json(404, &json!({ "detail": "unknown admin route" })),
        },
        _ => Response::json(404, &json!({ "detail": "unknown admin route" })),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    Status(u16),
    Reset,
    Slow,
    Malformed,
}

/// Draws at most one fault for a provider request, by the configured rates.
pub fn draw(app: &App) -> Option<Fault> {
    let mut s = app.lock();
    if s.faults.rates.iter().all(|(_, r)| *r <= 0.0) {
        return None;
    }
    let mut x = s.fault_rng.f64();
    let rates = s.faults.rates.clone();
    for (kind, rate) in rates {
        if x < rate {
            *s.counters
                .faults_injected
                .entry(kind.trim_start_matches("rate_").to_string())
                .or_default() += 1;
            return Some(match kind.as_str() {
                "rate_429" => Fault::Status(429),
                "rate_500" => Fault::Status(500),
                "rate_502" => Fault::Status(502),
                "rate_503" => Fault::Status(503),
                "rate_reset" => Fault::Reset,
                "rate_slow" => Fault::Slow,
                _ => Fault::Malformed,
            });
        }
        x -= rate;
    }
    None
}
