//! APIFRAME over real HTTP: its auth, task ids, string percentages and batch limits.

mod common;

use common::{Emulator, KEY};
use serde_json::{json, Value};

fn post(e: &Emulator, path: &str, body: Value) -> common::Resp {
    e.call(
        "POST",
        path,
        &[("authorization", KEY), ("content-type", "application/json")],
        Some(&body.to_string()),
    )
}

fn task(e: &Emulator, prompt: &str) -> String {
    post(e, "/luma-imagine", json!({ "prompt": prompt })).json()["task_id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn the_key_goes_without_bearer() {
    let e = Emulator::start();
    let r = e.bearer(
        "POST",
        "/luma-imagine",
        Some(r#"{"prompt":"A colossal mech"}"#),
    );
    assert_eq!((r.status, r.json()), (401, json!({})));
    assert_eq!(
        e.call("GET", "/account", &[("authorization", KEY)], None)
            .json()["plan"],
        "emulator"
    );
}

#[test]
fn imagine_fetch_extend_like_the_seed() {
    let e = Emulator::with_args(&["--admin", "--job-ms", "1000"]);
    let id = task(
        &e,
        "A colossal mech suit towering over a futuristic cityscape",
    );
    let first = post(&e, "/fetch", json!({ "task_id": id })).json();
    assert_eq!(
        (first["status"].as_str(), first["task_type"].as_str()),
        (Some("pending"), Some("luma"))
    );
    let running = e.until_done(
        || post(&e, "/fetch", json!({ "task_id": id })).json(),
        |t| t["status"] == "processing" || t["video_url"].is_string(),
    );
    if running["status"] == "processing" {
        assert!(
            running["percentage"].is_string(),
            "percentage is a string: {running}"
        );
    }
    let done = e.until_done(
        || post(&e, "/fetch", json!({ "task_id": id })).json(),
        |t| t["video_url"].is_string(),
    );
    assert!(done.get("status").is_none());
    // Seed 002's body, on a completed parent.
    let ext = post(
        &e,
        "/luma-extend",
        json!({ "parent_task_id": id, "prompt": "A colossal mech suit, its weapons primed for battle", "webhook_url": "https://........", "webhook_secret": "abc123" }),
    );
    assert_eq!(ext.status, 200);
    let ext_id = ext.json()["task_id"].as_str().unwrap().to_string();
    assert_eq!(
        post(&e, "/fetch", json!({ "task_id": ext_id })).json()["task_type"],
        "luma-ext"
    );
}

#[test]
fn bad_requests_answer_errors_msg() {
    let e = Emulator::with_args(&["--admin", "--job-ms", "5000"]);
    let running = task(&e, "still running");
    let cases = [
        ("/luma-imagine", json!({})),
        (
            "/luma-imagine",
            json!({ "prompt": "x", "aspect_ratio": "3:2" }),
        ),
        ("/luma-extend", json!({ "prompt": "no parent" })),
        (
            "/luma-extend",
            json!({ "parent_task_id": running, "prompt": "too soon" }),
        ),
        (
            "/luma-extend",
            json!({ "parent_task_id": running, "prompt": "looped", "loop": true }),
        ),
        ("/fetch-many", json!({ "task_ids": [running] })),
        (
            "/fetch-many",
            json!({ "task_ids": vec![running.clone(); 21] }),
        ),
    ];
    for (path, body) in cases {
        let r = post(&e, path, body.clone());
        assert_eq!(r.status, 400, "{path} {body}");
        assert!(r.json()["errors"][0]["msg"].is_string());
    }
    assert_eq!(post(&e, "/fetch", json!({ "task_id": "nope" })).status, 404);
}

#[test]
fn fetch_many_takes_two_to_twenty() {
    let e = Emulator::start();
    let ids: Vec<String> = (0..20)
        .map(|i| task(&e, &format!("mech number {i}")))
        .collect();
    let r = post(&e, "/fetch-many", json!({ "task_ids": ids })).json();
    assert_eq!(r["tasks"].as_array().unwrap().len(), 20);
    assert_eq!(
        post(&e, "/fetch-many", json!({ "task_ids": &ids[..2] })).json()["tasks"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}
