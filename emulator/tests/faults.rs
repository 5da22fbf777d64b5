//! Faults on demand, each kind, and the counters that prove what reached the server.

mod common;

use std::time::{Duration, Instant};

use common::Emulator;
use serde_json::json;

const CREATE: &str = "/dream-machine/v1/generations/video";

fn body(prompt: &str) -> String {
    json!({ "model": "ray-2", "prompt": prompt }).to_string()
}

#[test]
fn status_faults_with_retry_after() {
    let e = Emulator::start();
    for (kind, status) in [
        ("rate_429", 429),
        ("rate_500", 500),
        ("rate_502", 502),
        ("rate_503", 503),
    ] {
        e.admin(
            "faults",
            json!({ "seed": 3, kind: 1.0, "retry_after_s": 2 }),
        );
        let r = e.bearer("GET", "/dream-machine/v1/generations", None);
        assert_eq!(r.status, status);
        assert_eq!(r.header("retry-after").is_some(), status == 429);
    }
    let c = e.counters();
    for k in ["429", "500", "502", "503"] {
        assert_eq!(c["faults_injected"][k], 1, "{c}");
    }
    assert_eq!(c["creates_accepted"], 0);
}

#[test]
fn resets_before_or_after_the_create() {
    let e = Emulator::start();
    e.admin("faults", json!({ "rate_reset": 1.0 }));
    assert!(e
        .try_call(
            "POST",
            CREATE,
            &[("authorization", "Bearer test-key")],
            Some(&body("lost before"))
        )
        .is_err());
    assert_eq!(e.counters()["creates_accepted"], 0);
    e.admin(
        "faults",
        json!({ "rate_reset": 1.0, "reset_after_create": true }),
    );
    assert!(e
        .try_call(
            "POST",
            CREATE,
            &[("authorization", "Bearer test-key")],
            Some(&body("lost after"))
        )
        .is_err());
    assert_eq!(
        e.counters()["creates_accepted"],
        1,
        "the job exists though its id never came back"
    );
    let all = e.call("GET", "/__emulator/generations", &[], None).json();
    assert_eq!(all.as_array().unwrap().len(), 1);
}

#[test]
fn slow_and_malformed_answers() {
    let e = Emulator::start();
    e.admin("faults", json!({ "rate_slow": 1.0, "slow_ms": 400 }));
    let t = Instant::now();
    assert_eq!(
        e.bearer("GET", "/dream-machine/v1/generations", None)
            .status,
        200
    );
    assert!(t.elapsed() >= Duration::from_millis(400));
    e.admin("faults", json!({ "rate_malformed": 1.0 }));
    let r = e.bearer("GET", "/dream-machine/v1/generations", None);
    assert!(serde_json::from_slice::<serde_json::Value>(&r.body).is_err());
}

#[test]
fn rates_are_seeded_and_duplicates_counted() {
    let e = Emulator::start();
    let run = |seed| {
        e.admin("reset", json!({}));
        e.admin("faults", json!({ "seed": seed, "rate_503": 0.5 }));
        (0..20)
            .map(|_| {
                e.bearer("GET", "/dream-machine/v1/generations", None)
                    .status
            })
            .collect::<Vec<_>>()
    };
    let (a, b) = (run(9), run(9));
    assert_eq!(a, b, "same seed, same faults");
    assert!(a.contains(&503) && a.contains(&200));
    e.admin("reset", json!({}));
    e.bearer("POST", CREATE, Some(&body("twice")));
    e.bearer("POST", CREATE, Some(&body("twice")));
    let c = e.counters();
    assert_eq!(
        (
            c["creates_accepted"].as_u64(),
            c["duplicate_creates"].as_u64()
        ),
        (Some(2), Some(1))
    );
    assert_eq!(c["requests"]["POST /dream-machine/v1/generations/video"], 2);
    assert_eq!(
        c["creates_by_key"]["POST /dream-machine/v1/generations/video"],
        2
    );
}

#[test]
fn admin_routes_are_off_without_the_flag() {
    let e = Emulator::with_args(&[]);
    assert_eq!(e.call("GET", "/__emulator/counters", &[], None).status, 404);
}
