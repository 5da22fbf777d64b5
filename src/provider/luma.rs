//! Luma Dream Machine API v1, the canonical protocol (also spoken by the gateway).

use crate::model::{Map, Value};

use super::http::encode_component;
use super::parse::{as_text, object, required_id, text};
use super::{Body, Capabilities, HttpRequest, Method, ProviderKind};
use crate::model::{ExtendRequest, GenerateRequest, Generation, Keyframe, Keyframes, State};

pub const BASE_URL: &str = "https://api.lumalabs.ai/dream-machine/v1";
/// Sent when the caller names no model, since the server requires one.
pub const DEFAULT_MODEL: &str = "ray-2";

pub const CAPABILITIES: Capabilities = Capabilities {
    backward: true,
    interpolate: true,
    generation_keyframes: true,
    image_extend: true,
    loop_on_extend: true,
    data_urls: false,
    prompt_len: Some((3, 5000)),
    prompt_always_required: false,
    long_poll: false,
    callbacks: true,
    concepts: true,
    batch: None,
};

pub fn auth(key: &str) -> String {
    format!("Bearer {key}")
}

pub fn create(base: &str, key: &str, req: &GenerateRequest) -> HttpRequest {
    let model = req.model.as_deref().unwrap_or(DEFAULT_MODEL);
    let body = body(Some(model), req);
    HttpRequest::new(Method::Post, format!("{base}/generations/video"), auth(key)).json(body)
}

pub fn extend(base: &str, key: &str, req: &ExtendRequest) -> HttpRequest {
    create(base, key, &as_generate(req))
}

pub fn get(base: &str, key: &str, id: &str) -> HttpRequest {
    let url = format!("{base}/generations/{}", encode_component(id));
    HttpRequest::new(Method::Get, url, auth(key))
}

pub fn list(base: &str, key: &str, limit: u32, offset: u32) -> HttpRequest {
    let url = format!("{base}/generations?limit={limit}&offset={offset}");
    HttpRequest::new(Method::Get, url, auth(key))
}

pub fn delete(base: &str, key: &str, id: &str) -> HttpRequest {
    let url = format!("{base}/generations/{}", encode_component(id));
    HttpRequest::new(Method::Delete, url, auth(key))
}

/// An extension as the generate request with the keyframe pattern that expresses it.
pub fn as_generate(req: &ExtendRequest) -> GenerateRequest {
    GenerateRequest {
        prompt: Some(req.prompt.clone()),
        aspect_ratio: req.aspect_ratio.clone(),
        loop_video: req.loop_video,
        model: req.model.clone(),
        callback_url: req.callback_url.clone(),
        expand_prompt: req.expand_prompt,
        keyframes: Some(req.keyframes()),
        concepts: req.concepts.clone(),
        ..GenerateRequest::default()
    }
}

/// The snake_case body shared by luma and aimlapi.
pub fn body(model: Option<&str>, req: &GenerateRequest) -> Value {
    let mut b = Map::new();
    if let Some(m) = model {
        b.insert("model", Value::from(m));
    }
    if let Some(p) = &req.prompt {
        b.insert("prompt", Value::from(p));
    }
    if let Some(a) = &req.aspect_ratio {
        b.insert("aspect_ratio", Value::from(a.as_str()));
    }
    if let Some(l) = req.loop_video {
        b.insert("loop", Value::from(l));
    }
    if let Some(k) = &req.keyframes {
        b.insert("keyframes", keyframes(k));
    }
    for (key, value) in [
        ("callback_url", &req.callback_url),
        ("resolution", &req.resolution),
        ("duration", &req.duration),
    ] {
        if let Some(v) = value {
            b.insert(key, Value::from(v));
        }
    }
    if let Some(list) = &req.concepts {
        let keys = list
            .iter()
            .map(|c| Value::object([("key", c.key.as_str().into())]));
        b.insert("concepts", Value::Array(keys.collect()));
    }
    Value::Object(b)
}

fn keyframes(k: &Keyframes) -> Value {
    let mut m = Map::new();
    for (name, frame) in [("frame0", &k.frame0), ("frame1", &k.frame1)] {
        if let Some(f) = frame {
            m.insert(name, keyframe(f));
        }
    }
    Value::Object(m)
}

/// A keyframe as Luma's wire writes it.
fn keyframe(f: &Keyframe) -> Value {
    match f {
        Keyframe::Image { url } => Value::object([("type", "image".into()), ("url", url.into())]),
        Keyframe::Generation { id } => {
            Value::object([("type", "generation".into()), ("id", id.into())])
        }
    }
}

pub fn state(s: Option<&str>, has_video: bool) -> State {
    match s {
        Some("queued") => State::Queued,
        Some("completed") => State::Completed,
        Some("failed") => State::Failed,
        // An unknown state is still running; `raw` keeps what the server said.
        Some(_) => State::Dreaming,
        None if has_video => State::Completed,
        None => State::Queued,
    }
}

/// A Luma Generation object (luma, aimlapi and the gateway all answer these).
pub fn generation(kind: ProviderKind, value: Value) -> Result<Generation, String> {
    object(&value)?;
    let id = required_id(&value, "id")?;
    let assets = value.get("assets").cloned().unwrap_or(Value::Null);
    let video_url = text(&assets, "video");
    let mut g = Generation::new(
        id,
        kind,
        state(
            value.get("state").and_then(Value::as_str),
            video_url.is_some(),
        ),
    );
    g.video_url = video_url;
    g.thumbnail_url = text(&assets, "image");
    g.progress_video_url = text(&assets, "progress_video");
    g.failure_reason = value.get("failure_reason").and_then(as_text);
    g.created_at = text(&value, "created_at");
    g.raw = value;
    Ok(g)
}

/// A list answer: a bare array, or an object with `generations` (luma list, aimlapi batch).
pub fn generations(kind: ProviderKind, value: Value) -> Result<Vec<Generation>, String> {
    let items = match value {
        Value::Array(items) => items,
        Value::Object(mut m) => match m.remove("generations") {
            Some(Value::Array(items)) => items,
            _ => return Err("expected `generations` to be an array".into()),
        },
        _ => return Err("expected an array of generations".into()),
    };
    items.into_iter().map(|v| generation(kind, v)).collect()
}

/// `{"detail": ...}` where detail may be a string or any JSON value.
pub fn error_message(body: &Body) -> Option<String> {
    let v = body.json()?;
    match v.get("detail") {
        Some(Value::Object(d)) => d
            .get("reason")
            .and_then(as_text)
            .or_else(|| as_text(&v["detail"])),
        Some(d) => as_text(d),
        None => v.get("message").and_then(as_text),
    }
}
