//! The Luma web-app shape resold by api.gpt.ge and others: `user_prompt`, an extend path per
//! task, `pending|processing` states and an `estimate_wait_seconds` hint.

use crate::model::{Map, Value};

use super::body::{image_url, insert_opt};
use super::http::encode_component;
use super::luma::auth;
use super::parse::{as_text, number, object, required_id, text};
use super::{Capabilities, HttpRequest, Method, ProviderKind};
use crate::model::{ExtendRequest, GenerateRequest, Generation, State};

pub const BASE_URL: &str = "https://api.gpt.ge";

pub const CAPABILITIES: Capabilities = Capabilities {
    backward: false,
    interpolate: false,
    generation_keyframes: false,
    image_extend: true,
    loop_on_extend: false,
    data_urls: true,
    prompt_len: None,
    prompt_always_required: true,
    long_poll: false,
    callbacks: true,
    concepts: false,
    batch: None,
};

pub fn create(base: &str, key: &str, req: &GenerateRequest) -> HttpRequest {
    let mut b = Map::new();
    insert_opt(&mut b, "user_prompt", req.prompt.as_deref());
    insert_opt(
        &mut b,
        "aspect_ratio",
        req.aspect_ratio.as_ref().map(|a| a.as_str()),
    );
    insert_opt(&mut b, "expand_prompt", req.expand_prompt);
    insert_opt(&mut b, "loop", req.loop_video);
    let frames = req.keyframes.clone().unwrap_or_default();
    insert_opt(&mut b, "image_url", image_url(&frames.frame0));
    insert_opt(&mut b, "image_end_url", image_url(&frames.frame1));
    insert_opt(&mut b, "notify_hook", req.callback_url.as_deref());
    let url = format!("{base}/luma/generations");
    HttpRequest::new(Method::Post, url, auth(key)).json(Value::Object(b))
}

/// Forward only: the image, if any, is the end keyframe.
pub fn extend(base: &str, key: &str, req: &ExtendRequest) -> HttpRequest {
    let mut b = Map::new();
    b.insert("user_prompt", Value::from(&req.prompt));
    insert_opt(&mut b, "expand_prompt", req.expand_prompt);
    insert_opt(&mut b, "image_url", req.reference_image.as_deref());
    insert_opt(&mut b, "image_end_url", req.image.as_deref());
    insert_opt(&mut b, "notify_hook", req.callback_url.as_deref());
    let url = format!(
        "{base}/luma/generations/{}/extend",
        encode_component(&req.generation_id)
    );
    HttpRequest::new(Method::Post, url, auth(key)).json(Value::Object(b))
}

pub fn get(base: &str, key: &str, id: &str) -> HttpRequest {
    let url = format!("{base}/luma/generations/{}", encode_component(id));
    HttpRequest::new(Method::Get, url, auth(key))
}

pub fn state(s: Option<&str>, has_video: bool) -> State {
    match s {
        Some("pending") => State::Queued,
        Some("completed") => State::Completed,
        Some("failed") => State::Failed,
        Some(_) => State::Dreaming,
        None if has_video => State::Completed,
        None => State::Queued,
    }
}

/// `thumbnail` comes as a URL string or as an object with `url`.
fn url_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        obj @ Value::Object(_) => text(obj, "url"),
        _ => None,
    }
}

pub fn generation(value: Value) -> Result<Generation, String> {
    object(&value)?;
    let id = required_id(&value, "id")?;
    let video_url = url_of(value.get("video"));
    let mut g = Generation::new(
        id,
        ProviderKind::Gptge,
        state(
            value.get("state").and_then(Value::as_str),
            video_url.is_some(),
        ),
    );
    g.video_url = video_url;
    g.thumbnail_url = url_of(value.get("thumbnail"));
    g.failure_reason = value.get("failure_reason").and_then(as_text);
    g.created_at = text(&value, "created_at");
    g.estimate_wait_seconds = number(&value, "estimate_wait_seconds").filter(|s| *s >= 0.0);
    g.raw = value;
    Ok(g)
}
