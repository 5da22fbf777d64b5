//! APIFRAME: task ids, POST fetches, string percentages, a key without `Bearer`, `{}` errors.

use std::time::Instant;

use serde_json::{json, Map, Value};

use crate::app::{App, NewJob};
use crate::check::{aspect_problem, image_url_ok, parent};
use crate::http::{Request, Response};
use crate::jobs::{Callback, Job, Phase, Protocol};

pub fn result(base: &str, job: &Job, now: Instant) -> Value {
    let task_type = if job.extend { "luma-ext" } else { "luma" };
    match job.phase(now) {
        Phase::Queued => json!({ "task_id": job.id, "task_type": task_type, "status": "pending" }),
        Phase::Dreaming => {
            let pct = (job.progress(now) * 100.0).floor() as u32;
            json!({ "task_id": job.id, "task_type": task_type, "status": "processing", "percentage": pct.to_string() })
        }
        Phase::Completed => {
            json!({ "task_id": job.id, "task_type": task_type, "video_url": format!("{base}/videos/{}.mp4", job.id) })
        }
        Phase::Failed => {
            json!({ "task_id": job.id, "task_type": task_type, "status": "failed", "message": job.failure })
        }
    }
}

fn bad(msg: &str) -> Response {
    Response::json(400, &json!({ "errors": [{ "msg": msg }] }))
}

fn string_field<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!("{key} must be a string")),
    }
}

fn validate(app: &App, obj: &Map<String, Value>, extend: bool) -> Result<NewJob, String> {
    let prompt = string_field(obj, "prompt")?
        .filter(|p| !p.trim().is_empty())
        .ok_or("prompt is required")?;
    if let Some(m) = aspect_problem(obj.get("aspect_ratio")) {
        return Err(m);
    }
    for key in ["image_url", "end_image_url", "webhook_url"] {
        if let Some(url) = string_field(obj, key)? {
            if key != "webhook_url" && !image_url_ok(url, false) {
                return Err(format!("{key} must be an https URL"));
            }
        }
    }
    let mut before = Vec::new();
    if extend {
        if obj.contains_key("loop") {
            return Err("loop is not supported when extending".into());
        }
        let id = string_field(obj, "parent_task_id")?.ok_or("parent_task_id is required")?;
        before = parent(app, Protocol::Apiframe, id)?.segments;
    } else if !matches!(
        obj.get("loop"),
        None | Some(Value::Null) | Some(Value::Bool(_))
    ) {
        return Err("loop must be a boolean".into());
    }
    let callback = string_field(obj, "webhook_url")?.map(|url| Callback {
        url: url.into(),
        secret: string_field(obj, "webhook_secret")
            .ok()
            .flatten()
            .map(String::from),
    });
    Ok(NewJob {
        failure: None,
        protocol: Protocol::Apiframe,
        prompt: prompt.into(),
        segments_before: before,
        segments_after: Vec::new(),
        request: Value::Object(obj.clone()),
        callback,
        extend,
    })
}

pub fn handle(app: &App, req: &Request) -> Response {
    if req.header("authorization") != Some(app.lock().options.api_key.as_str()) {
        return Response::json(401, &json!({}));
    }
    let base = app.base_url();
    let now = Instant::now();
    if (req.method.as_str(), req.path.as_str()) == ("GET", "/account") {
        let count = app
            .lock()
            .jobs
            .by_id
            .values()
            .filter(|j| j.protocol == Protocol::Apiframe)
            .count();
        return Response::json(
            200,
            &json!({ "email": "emulator@localhost", "plan": "emulator", "credits": 10_000 - count, "tasks": count }),
        );
    }
    if req.method != "POST" {
        return Response::json(404, &json!({ "errors": [{ "msg": "Not found" }] }));
    }
    let body: Value = match serde_json::from_slice(&req.body) {
        Ok(v @ Value::Object(_)) => v,
        _ => return bad("Invalid request"),
    };
    let obj = body.as_object().cloned().unwrap_or_default();
    match req.path.as_str() {
        "/luma-imagine" | "/luma-extend" => match validate(app, &obj, req.path == "/luma-extend") {
            Ok(new) => Response::json(
                200,
                &json!({ "task_id": app.create(new, format!("apiframe {} {body}", req.path)).id }),
            ),
            Err(m) => bad(&m),
        },
        "/fetch" => match obj
            .get("task_id")
            .and_then(Value::as_str)
            .and_then(|id| app.job(id))
            .filter(|j| j.protocol == Protocol::Apiframe)
        {
            Some(job) => Response::json(200, &result(&base, &job, now)),
            None => Response::json(404, &json!({ "errors": [{ "msg": "Task not found" }] })),
        },
        "/fetch-many" => {
            let ids: Vec<&str> = obj
                .get("task_ids")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if !(2..=20).contains(&ids.len()) {
                return bad("task_ids must hold between 2 and 20 task ids");
            }
            let tasks: Vec<Value> = ids
                .iter()
                .filter_map(|id| app.job(id))
                .filter(|j| j.protocol == Protocol::Apiframe)
                .map(|j| result(&base, &j, now))
                .collect();
            Response::json(200, &json!({ "tasks": tasks }))
        }
        _ => Response::json(404, &json!({ "errors": [{ "msg": "Not found" }] })),
    }
}
