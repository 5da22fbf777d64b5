//! Callbacks on state changes: luma `callback_url` (the Generation), APIFRAME `webhook_url`
//! (the result, with `x-webhook-secret`), gptge `notify_hook` (the task). Loopback http only.

use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::app::App;
use crate::jobs::{Job, Phase, Protocol};

/// What the job's callback receiver is told now: the body, or `None` if nothing new.
fn payload(app: &App, job: &Job, now: Instant) -> Value {
    let base = app.base_url();
    match job.protocol {
        Protocol::Luma | Protocol::Aimlapi => crate::luma::generation(&base, job, now),
        Protocol::Apiframe => crate::apiframe::result(&base, job, now),
        Protocol::Gptge => crate::gptge::task(&base, job, now),
        // Never reached: the Agents API has no callback field, so its jobs have no callback.
        Protocol::LumaAgents => crate::luma_agents::generation(&base, job, now),
    }
}

/// The moments a receiver hears about: state changes, and APIFRAME progress every 25 %.
fn milestone(job: &Job, now: Instant) -> (Phase, u32) {
    let phase = job.phase(now);
    let quarter = if job.protocol == Protocol::Apiframe && phase == Phase::Dreaming {
        (job.progress(now) * 4.0) as u32
    } else {
        0
    };
    (phase, quarter)
}

/// Calls the job's receiver back at each milestone. It sleeps until the next one rather than
/// waking every few milliseconds: a bench keeps thousands of hour-long jobs open, and their
/// watchers took a share of the CPU the code under test runs on.
pub fn watch(app: App, id: String) {
    tokio::spawn(async move {
        let mut last = None;
        loop {
            // Listening before the job is read, so a change in between still wakes it.
            let changed = app.timing_changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let Some(job) = app.job(&id) else { return };
            let Some(callback) = job.callback.clone() else {
                return;
            };
            let now = Instant::now();
            let m = milestone(&job, now);
            if last != Some(m) && m.0 != Phase::Queued {
                last = Some(m);
                if app.lock().callbacks_enabled {
                    let body = payload(&app, &job, now).to_string();
                    deliver(&app, &callback.url, callback.secret.as_deref(), &body).await;
                }
            }
            let Some(next) = job.next_milestone(now) else {
                return;
            };
            // A millisecond past it, so the job has surely moved on when read again.
            let at = tokio::time::Instant::from_std(next) + Duration::from_millis(1);
            tokio::select! {
                _ = tokio::time::sleep_until(at) => {}
                _ = changed => {}
            }
        }
    });
}

/// POSTs `body`; retried 3 times, 100 ms apart, while the answer is not 200.
async fn deliver(app: &App, url: &str, secret: Option<&str>, body: &str) {
    let Some((host_port, path)) = loopback(url) else {
        app.count(|c| c.callbacks_dropped += 1);
        return;
    };
    for attempt in 0..4 {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let sent = tokio::time::timeout(
            Duration::from_secs(5),
            post(&host_port, &path, secret, body),
        )
        .await;
        if matches!(sent, Ok(Some(200))) {
            app.count(|c| c.callbacks_sent += 1);
            return;
        }
    }
    app.count(|c| c.callbacks_failed += 1);
}

fn loopback(url: &str) -> Option<(String, String)> {
    let rest = url.strip_prefix("http://")?;
    let (authority, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_string()), |(a, p)| (a, format!("/{p}")));
    let host = authority.split(':').next()?;
    (host == "127.0.0.1" || host == "localhost")
        .then(|| (authority.replace("localhost", "127.0.0.1"), path))
}

async fn post(host_port: &str, path: &str, secret: Option<&str>, body: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(host_port).await.ok()?;
    let extra = secret
        .map(|s| format!("x-webhook-secret: {s}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: {host_port}\r\ncontent-type: application/json\r\n{extra}content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.ok()?;
    stream.write_all(body.as_bytes()).await.ok()?;
    let mut buf = [0u8; 64];
    let n = stream.read(&mut buf).await.ok()?;
    let status = std::str::from_utf8(&buf[..n])
        .ok()?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok();
    // The rest of the answer is read, not cut off: a socket dropped with the receiver still
    // writing resets its connection mid-answer (as no HTTP client would).
    tokio::spawn(async move {
        let mut rest = [0u8; 1024];
        let drain = async { while matches!(stream.read(&mut rest).await, Ok(n) if n > 0) {} };
        let _ = tokio::time::timeout(Duration::from_secs(5), drain).await;
    });
    status
}
