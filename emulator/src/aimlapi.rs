//! AI/ML API's resale of Luma: the same bodies and Generations under its own paths and error
//! shape, with the long-poll fetch and the batch fetch.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::app::App;
use crate::http::{Request, Response};
use crate::jobs::{Phase, Protocol};
use crate::luma::{authorized, generation, validate};

pub fn aimlapi_error(req: &Request, status: u16, message: &str) -> Response {
    let body = json!({
        "message": message, "path": req.path, "requestId": format!("req-{:x}", crate::app::unix_ms()),
        "statusCode": status, "timestamp": crate::jobs::rfc3339(crate::app::unix_ms()),
    });
    Response::json(status, &body)
}

fn wanted_state(req: &Request) -> Result<Option<Phase>, String> {
    match req.query("state").or_else(|| req.query("status")) {
        None | Some("") => Ok(None),
        Some("queued") => Ok(Some(Phase::Queued)),
        Some("dreaming") => Ok(Some(Phase::Dreaming)),
        Some("completed") => Ok(Some(Phase::Completed)),
        Some("failed") => Err("It is not possible to wait for the failed state".into()),
        Some(other) => Err(format!(
            "Invalid state {other}: one of queued, dreaming, completed"
        )),
    }
}

/// Holds until every job reached `wanted` (or a later state), or the long-poll limit passes.
async fn hold(app: &App, ids: &[String], wanted: Option<Phase>) {
    let Some(wanted) = wanted else { return };
    let limit = Duration::from_millis(app.lock().long_poll_ms);
    let start = Instant::now();
    while start.elapsed() < limit {
        let reached = ids.iter().all(|id| {
            app.job(id)
                .is_none_or(|j| j.phase(Instant::now()) >= wanted)
        });
        if reached {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

pub async fn handle(app: &App, req: &Request) -> Response {
    if !authorized(app, req) {
        return aimlapi_error(req, 401, "Invalid API key");
    }
    let base = app.base_url();
    match (req.method.as_str(), req.path.as_str()) {
        ("POST", "/v2/generate/video/luma-ai/generation") => {
            let body: Value = match serde_json::from_slice(&req.body) {
                Ok(v) => v,
                Err(_) => return aimlapi_error(req, 400, "Invalid JSON body"),
            };
            match validate(app, Protocol::Aimlapi, &body) {
                Ok(new) => Response::json(
                    201,
                    &generation(
                        &base,
                        &app.create(new, format!("aimlapi {body}")),
                        Instant::now(),
                    ),
                ),
                Err(m) => aimlapi_error(req, 400, &m),
            }
        }
        ("GET", "/v2/generate/video/luma-ai/generation") => {
            let Some(id) = req.query("generation_id").filter(|v| !v.is_empty()) else {
                return aimlapi_error(req, 400, "generation_id is required");
            };
            let wanted = match wanted_state(req) {
                Ok(w) => w,
                Err(m) => return aimlapi_error(req, 400, &m),
            };
            let id = id.to_string();
            hold(app, std::slice::from_ref(&id), wanted).await;
            match app.job(&id).filter(|j| j.protocol == Protocol::Aimlapi) {
                Some(job) => Response::json(200, &generation(&base, &job, Instant::now())),
                None => aimlapi_error(req, 404, "Generation not found"),
            }
        }
        ("GET", "/v2/generate/video/luma-ai/generations") => {
            let mut ids: Vec<String> = req
                .query_all("generation_ids[]")
                .into_iter()
                .map(String::from)
                .collect();
            ids.extend(
                req.query_all("generation_ids")
                    .into_iter()
                    .flat_map(|v| v.split(','))
                    .filter(|v| !v.is_empty())
                    .map(String::from),
            );
            if ids.is_empty() {
                return aimlapi_error(req, 400, "generation_ids is required");
            }
            let wanted = match wanted_state(req) {
                Ok(w) => w,
                Err(m) => return aimlapi_error(req, 400, &m),
            };
            hold(app, &ids, wanted).await;
            let now = Instant::now();
            let found: Vec<Value> = ids
                .iter()
                .filter_map(|id| app.job(id))
                .filter(|j| j.protocol == Protocol::Aimlapi)
                .map(|j| generation(&base, &j, now))
                .collect();
            Response::json(200, &Value::Array(found))
        }
        _ => aimlapi_error(req, 404, "Cannot find the route"),
    }
}
