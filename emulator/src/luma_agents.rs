//! Luma's Agents API under `/v1` (so an SDK's base URL is `<emulator>/v1`): `POST /generations`
//! for `type: "video"` with `ray-3.2`, `GET /generations/{id}`. Field names, enums and rules come
//! from the official `luma-agents` SDK's types; errors are `{"detail": "..."}` as Luma's error
//! guide describes: 400 for the schema, 422 for combinations and bad media, 403 for HDR.

use std::time::Instant;

use serde_json::{json, Map, Value};

use crate::app::{App, NewJob};
use crate::check::{image_url_ok, parent};
use crate::fields::{is_base64, known, one_of, present, refuse, typed, Refusal};
use crate::http::{Request, Response};
use crate::jobs::{Job, Phase, Protocol};

const TOP_FIELDS: [&str; 12] = [
    "prompt",
    "aspect_ratio",
    "image_ref",
    "layering",
    "model",
    "output_format",
    "source",
    "style",
    "type",
    "user_id",
    "video",
    "web_search",
];
/// Fields of other generation types: known to the API, refused for `type: "video"`.
const NOT_FOR_VIDEO: [&str; 5] = ["image_ref", "layering", "output_format", "source", "style"];
const TYPES: [&str; 6] = [
    "image",
    "image_edit",
    "video",
    "video_edit",
    "video_reframe",
    "layering",
];
const MODELS: [&str; 3] = ["uni-1", "uni-1-max", "ray-3.2"];
const ASPECT_RATIOS: [&str; 12] = [
    "3:1", "2:1", "21:9", "16:9", "4:3", "3:2", "1:1", "3:4", "2:3", "9:16", "1:2", "1:3",
];
const VIDEO_FIELDS: [&str; 11] = [
    "duration",
    "edit",
    "end_frame",
    "exr_export",
    "hdr",
    "keyframe_indexes",
    "keyframes",
    "loop",
    "resolution",
    "source_position",
    "start_frame",
];
const REF_FIELDS: [&str; 5] = ["data", "file_id", "generation_id", "media_type", "url"];

/// A prompt containing a failure code fails with it; the Dream Machine moderation words map to
/// their nearest code. The reasons are unique, so a job's reason names its code.
const FAILURES: [(&str, &str, &str); 12] = [
    (
        "content_moderated",
        "content_moderated",
        "Prompt or input image violated content guidelines",
    ),
    (
        "blacklisted",
        "content_moderated",
        "Prompt contains blacklisted words",
    ),
    (
        "nsfw",
        "content_moderated",
        "Prompt failed advanced moderation",
    ),
    (
        "unreadable",
        "corrupt_input",
        "Input frames could not be read",
    ),
    (
        "generation_failed",
        "generation_failed",
        "Internal model error during generation",
    ),
    (
        "budget_exhausted",
        "budget_exhausted",
        "Credits ran out mid-generation",
    ),
    (
        "output_not_found",
        "output_not_found",
        "Generated output could not be retrieved",
    ),
    (
        "image_too_large",
        "image_too_large",
        "An input image exceeded the size limit",
    ),
    (
        "unsupported_format",
        "unsupported_format",
        "An input media file was in an unsupported format",
    ),
    (
        "corrupt_input",
        "corrupt_input",
        "An input media file could not be decoded",
    ),
    (
        "invalid_request",
        "invalid_request",
        "The request was rejected during processing",
    ),
    (
        "rate_limited",
        "rate_limited",
        "Concurrency limit reached during processing",
    ),
];

fn error(status: u16, detail: &str) -> Response {
    Response::json(status, &json!({ "detail": detail }))
}

pub fn generation(base: &str, job: &Job, now: Instant) -> Value {
    let phase = job.phase(now);
    let state = match phase {
        Phase::Dreaming => "processing",
        p => p.luma(),
    };
    let failed = phase == Phase::Failed;
    let code = job
        .failure
        .filter(|_| failed)
        .and_then(|r| FAILURES.iter().find(|f| f.2 == r))
        .map(|f| f.1);
    let output = (phase == Phase::Completed)
        .then(|| json!([{ "type": "video", "url": format!("{base}/videos/{}.mp4", job.id) }]));
    json!({
        "id": job.id, "created_at": job.created_at, "model": "ray-3.2", "type": "video",
        "state": state, "failure_code": code,
        "failure_reason": if failed { json!(job.failure) } else { Value::Null },
        "output": output,
    })
}

pub fn handle(app: &App, req: &Request, rest: &str) -> Response {
    if req.header("authorization") != Some(&format!("Bearer {}", app.lock().options.api_key)) {
        return error(401, "Invalid API key");
    }
    let base = app.base_url();
    match (req.method.as_str(), rest) {
        ("POST", "/generations") => {
            let Ok(body) = serde_json::from_slice::<Value>(&req.body) else {
                return error(400, "Invalid JSON body");
            };
            match validate(app, &body) {
                Ok(new) => {
                    let job = app.create(new, format!("luma-agents {body}"));
                    Response::json(201, &generation(&base, &job, Instant::now()))
                }
                Err((status, detail)) => error(status, &detail),
            }
        }
        ("GET", path) => match path.strip_prefix("/generations/") {
            Some(id) => match app.job(id).filter(|j| j.protocol == Protocol::LumaAgents) {
                Some(job) => Response::json(200, &generation(&base, &job, Instant::now())),
                None => error(404, "Generation not found"),
            },
            None => error(404, "Not Found"),
        },
        _ => error(404, "Not Found"),
    }
}

fn validate(app: &App, body: &Value) -> Result<NewJob, Refusal> {
    let Some(obj) = body.as_object() else {
        return refuse(400, "The request body must be a JSON object");
    };
    known(obj, &TOP_FIELDS, "")?;
    let ty = one_of(obj, "type", &TYPES, "")?;
    if ty != Some("video") {
        return refuse(
            400,
            "type: the emulator serves type=video only (model ray-3.2)",
        );
    }
    match one_of(obj, "model", &MODELS, "")? {
        Some("ray-3.2") => {}
        Some(m) => {
            return refuse(
                400,
                format!("model: {m} cannot make type=video; use ray-3.2"),
            )
        }
        None => return refuse(400, "model: field required for type=video (ray-3.2)"),
    }
    let prompt = match obj.get("prompt") {
        Some(Value::String(p)) if !p.trim().is_empty() => p.clone(),
        None | Some(Value::Null) => return refuse(400, "prompt: field required"),
        Some(Value::String(_)) => return refuse(400, "prompt: must not be empty"),
        Some(_) => return refuse(400, "prompt: must be a string"),
    };
    one_of(obj, "aspect_ratio", &ASPECT_RATIOS, "")?;
    if let Some(f) = NOT_FOR_VIDEO.iter().find(|f| present(obj, f)) {
        return refuse(400, format!("{f}: not valid for type=video"));
    }
    typed(obj, "user_id", Value::is_string, "a string", "")?;
    typed(obj, "web_search", Value::is_boolean, "a boolean", "")?;
    let empty = Map::new();
    let video = match obj.get("video") {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(v)) => v,
        Some(_) => return refuse(400, "video: must be an object"),
    };
    let (before, after) = check_video(app, video)?;
    Ok(NewJob {
        protocol: Protocol::LumaAgents,
        failure: failure(&prompt),
        prompt,
        extend: !before.is_empty() || !after.is_empty(),
        segments_before: before,
        segments_after: after,
        request: body.clone(),
        callback: None,
    })
}

/// The `video` options; answers the parent segments before and after the new one.
fn check_video(app: &App, v: &Map<String, Value>) -> Result<(Vec<usize>, Vec<usize>), Refusal> {
    known(v, &VIDEO_FIELDS, "video.")?;
    let ten = one_of(v, "duration", &["5s", "10s"], "video.")? == Some("10s");
    one_of(
        v,
        "resolution",
        &["360p", "540p", "720p", "1080p"],
        "video.",
    )?;
    for flag in ["loop", "hdr", "exr_export"] {
        typed(v, flag, Value::is_boolean, "a boolean", "video.")?;
    }
    let on = |k: &str| v.get(k) == Some(&Value::Bool(true));
    if on("hdr") {
        return refuse(403, "video.hdr: this account has no HDR access");
    }
    if on("exr_export") {
        return refuse(422, "video.exr_export: requires hdr=true");
    }
    if let Some(f) = ["edit", "source_position"].iter().find(|f| present(v, f)) {
        return refuse(
            400,
            format!("video.{f}: only valid for video_edit or video_reframe"),
        );
    }
    if let Some(f) = ["keyframes", "keyframe_indexes"]
        .iter()
        .find(|f| present(v, f))
    {
        return refuse(
            400,
            format!("video.{f}: not served by the emulator; use start_frame and end_frame"),
        );
    }
    let start = media_ref(app, v.get("start_frame"), "video.start_frame")?;
    let end = media_ref(app, v.get("end_frame"), "video.end_frame")?;
    let framed = start.is_some() || end.is_some();
    if on("loop") && ten {
        return refuse(422, "video.loop: not supported with duration=10s");
    }
    if ten && framed {
        return refuse(
            422,
            "video.duration: 10s is not supported with start_frame or end_frame; use 5s",
        );
    }
    if on("loop") && end.is_some() {
        return refuse(422, "video.loop: not supported with an end_frame");
    }
    Ok((start.unwrap_or_default(), end.unwrap_or_default()))
}

/// A media reference at a frame position: `Some(parent segments)` (empty for an image), or
/// `None` when absent.
fn media_ref(app: &App, v: Option<&Value>, at: &str) -> Result<Option<Vec<usize>>, Refusal> {
    let obj = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(o)) => o,
        Some(_) => return refuse(400, format!("{at}: must be an object")),
    };
    let prefix = format!("{at}.");
    known(obj, &REF_FIELDS, &prefix)?;
    for f in REF_FIELDS {
        typed(obj, f, Value::is_string, "a string", &prefix)?;
    }
    let text = |k: &str| obj.get(k).and_then(Value::as_str);
    let given: Vec<&str> = ["url", "data", "generation_id", "file_id"]
        .into_iter()
        .filter(|k| text(k).is_some())
        .collect();
    if given.len() != 1 {
        return refuse(
            422,
            format!("{at}: provide exactly one of url, data, generation_id, file_id"),
        );
    }
    if let Some(mt) = text("media_type").filter(|mt| !mt.starts_with("image/")) {
        return refuse(422, format!("{at}.media_type: {mt} is not an image type"));
    }
    match (given[0], text(given[0]).unwrap_or_default()) {
        ("url", url) if !image_url_ok(url, false) => {
            refuse(422, format!("{at}.url: must be a public https URL"))
        }
        ("data", _) if text("media_type").is_none() => {
            refuse(422, format!("{at}.media_type: required with data"))
        }
        ("data", data) if !is_base64(data) => refuse(422, format!("{at}.data: not valid base64")),
        ("file_id", id) => refuse(422, format!("{at}.file_id: file {id} not found")),
        ("generation_id", id) => match parent(app, Protocol::LumaAgents, id) {
            Ok(job) => Ok(Some(job.segments)),
            Err(m) => refuse(422, format!("{at}.generation_id: {m}")),
        },
        _ => Ok(Some(Vec::new())),
    }
}

fn failure(prompt: &str) -> Option<&'static str> {
    let p = prompt.to_lowercase();
    FAILURES.iter().find(|f| p.contains(f.0)).map(|f| f.2)
}
