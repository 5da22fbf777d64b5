//! Callbacks reach a local listener: luma's Generation on each state change (retried on
//! non-200), APIFRAME's result with x-webhook-secret, gptge's task.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

use common::{Emulator, KEY};
use serde_json::{json, Value};

/// A listener that answers `statuses` in turn (then 200) and reports (headers, body).
fn listener(statuses: Vec<u16>) -> (String, mpsc::Receiver<(String, Value)>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", l.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut statuses = statuses.into_iter();
        for stream in l.incoming().flatten() {
            let mut r = BufReader::new(stream);
            let (mut head, mut line) = (String::new(), String::new());
            while r.read_line(&mut line).unwrap_or(0) > 2 {
                head.push_str(&line);
                line.clear();
            }
            let len = head
                .lines()
                .find_map(|l| {
                    l.to_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                })
                .unwrap_or(0);
            let mut body = vec![0; len];
            let _ = r.read_exact(&mut body);
            let status = statuses.next().unwrap_or(200);
            let _ = r
                .get_mut()
                .write_all(format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\n\r\n").as_bytes());
            let _ = tx.send((
                head.to_lowercase(),
                serde_json::from_slice(&body).unwrap_or(Value::Null),
            ));
        }
    });
    (url, rx)
}

fn states(rx: &mpsc::Receiver<(String, Value)>, key: &str, until: &str) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    while let Ok((head, body)) = rx.recv_timeout(Duration::from_secs(5)) {
        let done = body[key] == until || body.get("video_url").is_some_and(Value::is_string);
        out.push((head, body));
        if done {
            break;
        }
    }
    out
}

#[test]
fn luma_posts_the_generation_on_each_state_and_retries() {
    let e = Emulator::start();
    // The first delivery is refused twice, then accepted.
    let (url, rx) = listener(vec![500, 503]);
    let body = json!({ "model": "ray-2", "prompt": "A jellyfish", "callback_url": url });
    assert_eq!(
        e.bearer(
            "POST",
            "/dream-machine/v1/generations/video",
            Some(&body.to_string())
        )
        .status,
        201
    );
    let got = states(&rx, "state", "completed");
    let seen: Vec<&str> = got
        .iter()
        .map(|(_, b)| b["state"].as_str().unwrap())
        .collect();
    assert_eq!(
        seen,
        ["dreaming", "dreaming", "dreaming", "completed"],
        "dreaming retried twice, then completed"
    );
    let c = e.counters();
    assert_eq!(
        (c["callbacks_sent"].as_u64(), c["callbacks_failed"].as_u64()),
        (Some(2), Some(0))
    );
}

#[test]
fn apiframe_sends_the_secret_header_and_progress() {
    let e = Emulator::with_args(&["--admin", "--job-ms", "800"]);
    let (url, rx) = listener(vec![]);
    let body =
        json!({ "prompt": "A colossal mech", "webhook_url": url, "webhook_secret": "abc123" });
    e.call(
        "POST",
        "/luma-imagine",
        &[("authorization", KEY)],
        Some(&body.to_string()),
    );
    let got = states(&rx, "status", "never");
    assert!(got.len() >= 2, "progress updates and the result: {got:?}");
    assert!(got
        .iter()
        .all(|(head, _)| head.contains("x-webhook-secret: abc123")));
    assert!(got.last().unwrap().1["video_url"].is_string());
}

#[test]
fn gptge_notify_hook_and_non_loopback_hooks_dropped() {
    let e = Emulator::start();
    let (url, rx) = listener(vec![]);
    e.bearer(
        "POST",
        "/luma/generations",
        Some(&json!({ "user_prompt": "cat dance", "notify_hook": url }).to_string()),
    );
    let got = states(&rx, "state", "completed");
    assert_eq!(got.last().unwrap().1["state"], "completed");
    e.bearer(
        "POST",
        "/luma/generations",
        Some(
            &json!({ "user_prompt": "cat dance", "notify_hook": "https://example.com/hook" })
                .to_string(),
        ),
    );
    std::thread::sleep(Duration::from_millis(800));
    assert!(e.counters()["callbacks_dropped"].as_u64().unwrap() >= 1);
}

#[test]
fn callbacks_can_be_switched_off() {
    let e = Emulator::start();
    e.admin("config", json!({ "callbacks": false }));
    let (url, rx) = listener(vec![]);
    e.bearer(
        "POST",
        "/dream-machine/v1/generations/video",
        Some(&json!({ "model": "ray-2", "prompt": "quiet", "callback_url": url }).to_string()),
    );
    assert!(rx.recv_timeout(Duration::from_millis(1200)).is_err());
}

#[test]
fn a_job_completed_by_the_admin_calls_back_at_once() {
    // An hour-long job: its watcher sleeps until dreaming starts (9 minutes in), and the
    // admin's `/complete` must wake it.
    let e = Emulator::with_args(&["--admin", "--job-ms", "3600000"]);
    let (url, rx) = listener(vec![]);
    let created = e.bearer(
        "POST",
        "/dream-machine/v1/generations/video",
        Some(&json!({ "model": "ray-2", "prompt": "A long one", "callback_url": url }).to_string()),
    );
    let id = created.json()["id"].as_str().unwrap().to_string();
    assert!(
        rx.recv_timeout(Duration::from_millis(300)).is_err(),
        "queued: nothing to tell yet"
    );
    e.admin(&format!("complete/{id}"), json!({}));
    let (_, body) = rx
        .recv_timeout(Duration::from_secs(5))
        .expect("a callback soon after the admin completed the job");
    assert_eq!(
        (body["id"].as_str(), body["state"].as_str()),
        (Some(id.as_str()), Some("completed"))
    );
}
