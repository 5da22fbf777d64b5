//! AI/ML API's Luma endpoints: Luma's bodies and Generations, its own paths, a long-poll fetch
//! and a batch fetch.

use crate::model::Value;

use super::http::encode_component;
use super::luma::{as_generate, auth, body};
use super::parse::as_text;
use super::{Body, Capabilities, HttpRequest, Method};
use crate::model::{ExtendRequest, GenerateRequest, State};

pub const BASE_URL: &str = "https://api.aimlapi.com";
const ONE: &str = "/v2/generate/video/luma-ai/generation";
const MANY: &str = "/v2/generate/video/luma-ai/generations";

pub const CAPABILITIES: Capabilities = Capabilities {
    prompt_always_required: true,
    long_poll: true,
    batch: Some((2, 20)),
    // AI/ML API's create documents no `concepts`.
    concepts: false,
    ..super::luma::CAPABILITIES
};

pub fn create(base: &str, key: &str, req: &GenerateRequest) -> HttpRequest {
    // The server defaults the model itself; send one only when the caller chose it.
    let body = body(req.model.as_deref(), req);
    HttpRequest::new(Method::Post, format!("{base}{ONE}"), auth(key)).json(body)
}

pub fn extend(base: &str, key: &str, req: &ExtendRequest) -> HttpRequest {
    create(base, key, &as_generate(req))
}

/// The server holds this until the generation reaches `wait_for` or a later state, up to 30 s.
/// Waiting for `failed` is not allowed, so that is sent as `completed` (failed comes later).
pub fn get(base: &str, key: &str, id: &str, wait_for: Option<State>) -> HttpRequest {
    let mut url = format!("{base}{ONE}?generation_id={}", encode_component(id));
    if let Some(s) = wait_for {
        let wanted = if s == State::Failed {
            State::Completed
        } else {
            s
        };
        url.push_str(&format!("&state={wanted}"));
    }
    HttpRequest::new(Method::Get, url, auth(key))
}

pub fn get_many(base: &str, key: &str, ids: &[String]) -> HttpRequest {
    let query: Vec<String> = ids
        .iter()
        .map(|id| format!("generation_ids%5B%5D={}", encode_component(id)))
        .collect();
    HttpRequest::new(
        Method::Get,
        format!("{base}{MANY}?{}", query.join("&")),
        auth(key),
    )
}

/// `{message, path, requestId, statusCode, timestamp}`; message may be a list of strings.
pub fn error_message(body: &Body) -> Option<String> {
    let v = body.json()?;
    match v.get("message")? {
        Value::Array(items) => Some(
            items
                .iter()
                .filter_map(as_text)
                .collect::<Vec<_>>()
                .join("; "),
        ),
        m => as_text(m),
    }
}
