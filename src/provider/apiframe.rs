//! APIFRAME: its own create bodies answered with a task id, POST fetches, a 2..20 batch fetch,
//! string percentages, and a key sent without `Bearer`.

use crate::model::{Map, Value};

use super::body::{image_url, insert_opt};
use super::parse::{as_text, number, object, required_id, text};
use super::{Body, Capabilities, HttpRequest, Method, ProviderKind};
use crate::model::{ExtendRequest, GenerateRequest, Generation, State};

pub const BASE_URL: &str = "https://api.apiframe.pro";

pub const CAPABILITIES: Capabilities = Capabilities {
    backward: false,
    interpolate: false,
    generation_keyframes: false,
    image_extend: true,
    loop_on_extend: false,
    data_urls: false,
    prompt_len: None,
    prompt_always_required: true,
    long_poll: false,
    callbacks: true,
    concepts: false,
    batch: Some((2, 20)),
};

fn post(base: &str, key: &str, path: &str, body: Value) -> HttpRequest {
    HttpRequest::new(Method::Post, format!("{base}{path}"), key.to_string()).json(body)
}

pub fn create(base: &str, key: &str, req: &GenerateRequest) -> HttpRequest {
    let mut b = Map::new();
    insert_opt(&mut b, "prompt", req.prompt.as_deref());
    let frames = req.keyframes.clone().unwrap_or_default();
    insert_opt(&mut b, "image_url", image_url(&frames.frame0));
    insert_opt(&mut b, "end_image_url", image_url(&frames.frame1));
    insert_opt(&mut b, "enhance_prompt", req.expand_prompt);
    insert_opt(
        &mut b,
        "aspect_ratio",
        req.aspect_ratio.as_ref().map(|a| a.as_str()),
    );
    insert_opt(&mut b, "loop", req.loop_video);
    insert_opt(&mut b, "webhook_url", req.callback_url.as_deref());
    insert_opt(&mut b, "webhook_secret", req.callback_secret.as_deref());
    post(base, key, "/luma-imagine", Value::Object(b))
}

/// Forward only: the image, if any, is the end frame.
pub fn extend(base: &str, key: &str, req: &ExtendRequest) -> HttpRequest {
    let mut b = Map::new();
    b.insert("parent_task_id", Value::from(&req.generation_id));
    b.insert("prompt", Value::from(&req.prompt));
    insert_opt(&mut b, "image_url", req.reference_image.as_deref());
    insert_opt(&mut b, "end_image_url", req.image.as_deref());
    insert_opt(&mut b, "enhance_prompt", req.expand_prompt);
    insert_opt(
        &mut b,
        "aspect_ratio",
        req.aspect_ratio.as_ref().map(|a| a.as_str()),
    );
    insert_opt(&mut b, "webhook_url", req.callback_url.as_deref());
    insert_opt(&mut b, "webhook_secret", req.callback_secret.as_deref());
    post(base, key, "/luma-extend", Value::Object(b))
}

pub fn get(base: &str, key: &str, id: &str) -> HttpRequest {
    post(
        base,
        key,
        "/fetch",
        Value::object([("task_id", Value::from(id))]),
    )
}

pub fn get_many(base: &str, key: &str, ids: &[String]) -> HttpRequest {
    post(
        base,
        key,
        "/fetch-many",
        Value::object([("task_ids", Value::from(ids))]),
    )
}

pub fn state(status: Option<&str>, has_video: bool) -> State {
    if has_video {
        return State::Completed;
    }
    match status {
        Some("pending" | "staged" | "retry" | "retrying") => State::Queued,
        Some("finished" | "completed") => State::Completed,
        Some("failed") => State::Failed,
        // A create answers only `{task_id}`: the job exists and has not started.
        None => State::Queued,
        Some(_) => State::Dreaming,
    }
}

/// A task result, or a create's `{task_id}`.
pub fn generation(value: Value) -> Result<Generation, String> {
    object(&value)?;
    let id = required_id(&value, "task_id")?;
    let video_url = text(&value, "video_url").filter(|u| !u.is_empty());
    let status = value.get("status").and_then(Value::as_str);
    let mut g = Generation::new(
        id,
        ProviderKind::Apiframe,
        state(status, video_url.is_some()),
    );
    g.progress = match g.state {
        State::Completed => Some(1.0),
        _ => number(&value, "percentage").map(|p| (p / 100.0).clamp(0.0, 1.0)),
    };
    g.video_url = video_url;
    if g.state == State::Failed {
        g.failure_reason = value
            .get("message")
            .and_then(as_text)
            .or_else(|| text(&value, "error"));
    }
    g.raw = value;
    Ok(g)
}

/// `{"tasks": [...]}` from fetch-many.
pub fn generations(value: Value) -> Result<Vec<Generation>, String> {
    match value.get("tasks") {
        Some(Value::Array(items)) => items.iter().cloned().map(generation).collect(),
        _ => Err("expected `tasks` to be an array".into()),
    }
}

/// 400 answers `{"errors":[{"msg": ...}]}`; 401 and 500 answer `{}`.
pub fn error_message(body: &Body) -> Option<String> {
    let v = body.json()?;
    let msgs: Vec<String> = v
        .get("errors")?
        .as_array()?
        .iter()
        .filter_map(|e| e.get("msg").and_then(as_text))
        .collect();
    (!msgs.is_empty()).then(|| msgs.join("; "))
}
