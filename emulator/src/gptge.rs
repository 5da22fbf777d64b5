//! The Luma web-app shape resold by gpt.ge: `user_prompt`, `pending|processing` states, an
//! extend path per task and a noisy `estimate_wait_seconds`.

use std::time::Instant;

use serde_json::{json, Map, Value};

use crate::app::{App, NewJob};
use crate::check::{aspect_problem, image_url_ok, parent};
use crate::http::{Request, Response};
use crate::jobs::{Callback, Job, Phase, Protocol};

pub fn task(base: &str, job: &Job, now: Instant) -> Value {
    let phase = job.phase(now);
    let state = match phase {
        Phase::Queued => "pending",
        Phase::Dreaming => "processing",
        Phase::Completed => "completed",
        Phase::Failed => "failed",
    };
    let video = (phase == Phase::Completed).then(|| {
        let url = format!("{base}/videos/{}.mp4", job.id);
        json!({ "url": url, "width": 256, "height": 144, "download_url": url })
    });
    let thumbnail =
        (phase == Phase::Completed).then(|| format!("{base}/thumbnails/{}.jpg", job.id));
    // Deliberately noisy (±30 %), as the real estimates are; stable per job and second.
    let estimate = matches!(phase, Phase::Queued | Phase::Dreaming).then(|| {
        let remaining = job.remaining(now).as_secs_f64();
        let tick = (job.created.elapsed().as_secs() as u32).wrapping_mul(2_654_435_761)
            ^ job.id.len() as u32;
        let noise = 1.0 + 0.3 * ((f64::from(tick % 1000) / 500.0) - 1.0);
        (remaining * noise * 10.0).round() / 10.0
    });
    json!({
        "id": job.id, "prompt": job.prompt, "state": state, "created_at": job.created_at,
        "video": video, "thumbnail": thumbnail,
        "failure_reason": if phase == Phase::Failed { json!(job.failure) } else { Value::Null },
        "liked": Value::Null, "estimate_wait_seconds": estimate,
    })
}

fn error(status: u16, reason: &str) -> Response {
    Response::json(
        status,
        &json!({ "detail": { "reason": reason, "code": 1 } }),
    )
}

fn validate(
    app: &App,
    obj: &Map<String, Value>,
    parent_id: Option<&str>,
) -> Result<NewJob, String> {
    let prompt = obj
        .get("user_prompt")
        .and_then(Value::as_str)
        .filter(|p| !p.trim().is_empty())
        .ok_or("user_prompt is required")?;
    if parent_id.is_some() && obj.contains_key("aspect_ratio") {
        return Err("aspect_ratio is not accepted when extending".into());
    }
    if let Some(m) = aspect_problem(obj.get("aspect_ratio")) {
        return Err(m);
    }
    for key in ["image_url", "image_end_url"] {
        if let Some(url) = obj.get(key).filter(|v| !v.is_null()) {
            if !url.as_str().is_some_and(|u| image_url_ok(u, true)) {
                return Err(format!("{key} must be an https URL or a base64 data URL"));
            }
        }
    }
    let before = match parent_id {
        Some(id) => parent(app, Protocol::Gptge, id)?.segments,
        None => Vec::new(),
    };
    Ok(NewJob {
        failure: None,
        protocol: Protocol::Gptge,
        prompt: prompt.into(),
        extend: parent_id.is_some(),
        segments_before: before,
        segments_after: Vec::new(),
        request: Value::Object(obj.clone()),
        callback: obj
            .get("notify_hook")
            .and_then(Value::as_str)
            .map(|url| Callback {
                url: url.into(),
                secret: None,
            }),
    })
}

pub fn handle(app: &App, req: &Request) -> Response {
    if req.header("authorization") != Some(&format!("Bearer {}", app.lock().options.api_key)) {
        return Response::json(401, &json!({ "detail": "Invalid token" }));
    }
    let base = app.base_url();
    let rest = req.path.strip_prefix("/luma/generations").unwrap_or("");
    let id = rest.trim_start_matches('/').trim_end_matches("/extend");
    match (req.method.as_str(), rest) {
        ("POST", "") => create(app, req, None),
        ("POST", r) if r.ends_with("/extend") && !id.is_empty() => create(app, req, Some(id)),
        ("GET", r) if !r.is_empty() && !id.contains('/') => {
            match app.job(id).filter(|j| j.protocol == Protocol::Gptge) {
                Some(job) => Response::json(200, &task(&base, &job, Instant::now())),
                None => Response::json(404, &json!({ "detail": "task not found" })),
            }
        }
        _ => Response::json(404, &json!({ "detail": "Not Found" })),
    }
}

fn create(app: &App, req: &Request, parent_id: Option<&str>) -> Response {
    let body: Value = match serde_json::from_slice(&req.body) {
        Ok(v @ Value::Object(_)) => v,
        _ => return error(400, "invalid JSON body"),
    };
    let obj = body.as_object().cloned().unwrap_or_default();
    match validate(app, &obj, parent_id) {
        Ok(new) => {
            let job = app.create(new, format!("gptge {} {body}", req.path));
            Response::json(200, &task(&app.base_url(), &job, Instant::now()))
        }
        Err(m) if m.contains("not found") => {
            Response::json(404, &json!({ "detail": "task not found" }))
        }
        Err(m) => error(400, &m),
    }
}
