//! The Luma Dream Machine v1 protocol: its Generation, the create validation AI/ML API shares,
//! and the routes of `/dream-machine/v1`.

use std::time::Instant;

use serde_json::{json, Map, Value};

use crate::app::{App, NewJob};
use crate::check::{
    aspect_problem, frames, image_url_ok, loop_problem, parent, prompt_problem, Frame,
};
use crate::http::{Request, Response};
use crate::jobs::{Callback, Job, Phase, Protocol};

const MODELS: [&str; 2] = ["ray-2", "ray-flash-2"];
const AIMLAPI_FIELDS: [&str; 9] = [
    "model",
    "prompt",
    "aspect_ratio",
    "loop",
    "keyframes",
    "callback_url",
    "resolution",
    "duration",
    "concepts",
];

pub fn generation(base: &str, job: &Job, now: Instant) -> Value {
    let phase = job.phase(now);
    let video = (phase == Phase::Completed).then(|| format!("{base}/videos/{}.mp4", job.id));
    let image = (phase == Phase::Completed).then(|| format!("{base}/thumbnails/{}.jpg", job.id));
    let preview = (phase == Phase::Dreaming).then(|| format!("{base}/previews/{}.mp4", job.id));
    json!({
        "id": job.id,
        "generation_type": "video",
        "state": phase.luma(),
        "failure_reason": if phase == Phase::Failed { json!(job.failure) } else { Value::Null },
        "created_at": job.created_at,
        "assets": { "video": video, "image": image, "progress_video": preview },
        "model": job.request.get("model").cloned().unwrap_or(json!("ray-2")),
        "request": job.request,
    })
}

/// Validates a create body as the service does; returns the job to make or the message.
pub fn validate(app: &App, protocol: Protocol, body: &Value) -> Result<NewJob, String> {
    let obj: &Map<String, Value> = body
        .as_object()
        .ok_or("The request body must be a JSON object")?;
    if protocol == Protocol::Aimlapi {
        if let Some(k) = obj.keys().find(|k| !AIMLAPI_FIELDS.contains(&k.as_str())) {
            return Err(format!("property {k} should not exist"));
        }
    }
    match obj.get("model") {
        None | Some(Value::Null) if protocol == Protocol::Luma => {
            return Err("Model is required: one of ray-2, ray-flash-2".into())
        }
        None | Some(Value::Null) => {}
        Some(Value::String(m)) if MODELS.contains(&m.as_str()) => {}
        Some(m) => return Err(format!("Invalid model {m}: one of ray-2, ray-flash-2")),
    }
    let pair = frames(obj.get("keyframes"))?;
    let has_image = pair.as_ref().is_some_and(|(a, b)| {
        matches!(a, Some(Frame::Image(_))) || matches!(b, Some(Frame::Image(_)))
    });
    if let Some(m) = prompt_problem(
        obj.get("prompt"),
        protocol == Protocol::Aimlapi || !has_image,
    ) {
        return Err(m);
    }
    if let Some(m) = aspect_problem(obj.get("aspect_ratio")) {
        return Err(m);
    }
    match obj.get("loop") {
        None | Some(Value::Null) | Some(Value::Bool(false)) => {}
        Some(Value::Bool(true)) => {
            if let Some(m) = pair.as_ref().and_then(loop_problem) {
                return Err(m.into());
            }
        }
        Some(_) => return Err("loop must be a boolean".into()),
    }
    for (field, allowed) in [
        ("resolution", &["540p", "720p", "1080p", "4k"][..]),
        ("duration", &["5s", "9s"][..]),
    ] {
        if let Some(v) = obj.get(field).filter(|v| !v.is_null()) {
            if !v.as_str().is_some_and(|s| allowed.contains(&s)) {
                return Err(format!(
                    "Invalid {field} {v}: one of {}",
                    allowed.join(", ")
                ));
            }
        }
    }
    let mut before = Vec::new();
    let mut after = Vec::new();
    if let Some((f0, f1)) = &pair {
        for (frame, segments) in [(f0, &mut before), (f1, &mut after)] {
            match frame {
                Some(Frame::Image(url)) if !image_url_ok(url, false) => {
                    return Err(format!("Invalid image URL {url}: must be https"))
                }
                Some(Frame::Generation(id)) => *segments = parent(app, protocol, id)?.segments,
                _ => {}
            }
        }
    }
    let callback = obj
        .get("callback_url")
        .and_then(Value::as_str)
        .map(|url| Callback {
            url: url.into(),
            secret: None,
        });
    Ok(NewJob {
        failure: None,
        protocol,
        prompt: obj
            .get("prompt")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .into(),
        extend: !before.is_empty() || !after.is_empty(),
        segments_before: before,
        segments_after: after,
        request: body.clone(),
        callback,
    })
}

fn luma_error(status: u16, detail: &str) -> Response {
    Response::json(status, &json!({ "detail": detail }))
}

pub fn authorized(app: &App, req: &Request) -> bool {
    req.header("authorization") == Some(&format!("Bearer {}", app.lock().options.api_key))
}

pub fn handle_luma(app: &App, req: &Request, rest: &str) -> Response {
    if !authorized(app, req) {
        return luma_error(401, "Invalid API key provided");
    }
    let base = app.base_url();
    let now = Instant::now();
    match (req.method.as_str(), rest) {
        ("POST", "/generations" | "/generations/video") => {
            let body: Value = match serde_json::from_slice(&req.body) {
                Ok(v) => v,
                Err(_) => return luma_error(400, "Invalid JSON body"),
            };
            match validate(app, Protocol::Luma, &body) {
                Ok(new) => Response::json(
                    201,
                    &generation(&base, &app.create(new, format!("luma {body}")), now),
                ),
                Err(m) => luma_error(400, &m),
            }
        }
        ("GET", "/generations") => {
            let limit = req
                .query("limit")
                .and_then(|v| v.parse().ok())
                .unwrap_or(10usize)
                .min(100);
            let offset = req
                .query("offset")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0usize);
            let s = app.lock();
            let all: Vec<&Job> = s
                .jobs
                .order
                .iter()
                .rev()
                .filter_map(|id| s.jobs.by_id.get(id))
                .filter(|j| j.protocol == Protocol::Luma)
                .collect();
            let page: Vec<Value> = all
                .iter()
                .skip(offset)
                .take(limit)
                .map(|j| generation(&base, j, now))
                .collect();
            Response::json(
                200,
                &json!({ "generations": page, "count": page.len(), "has_more": offset + limit < all.len(), "limit": limit, "offset": offset }),
            )
        }
        (method, path) => match (method, path.strip_prefix("/generations/")) {
            ("GET", Some(id)) => match app.job(id).filter(|j| j.protocol == Protocol::Luma) {
                Some(job) => Response::json(200, &generation(&base, &job, now)),
                None => luma_error(404, "Generation not found"),
            },
            ("DELETE", Some(id)) => {
                let mut s = app.lock();
                let ours = s
                    .jobs
                    .by_id
                    .get(id)
                    .is_some_and(|j| j.protocol == Protocol::Luma);
                if ours && s.jobs.remove(id) {
                    Response::empty(204)
                } else {
                    luma_error(404, "Generation not found")
                }
            }
            _ => luma_error(404, "Not Found"),
        },
    }
}
