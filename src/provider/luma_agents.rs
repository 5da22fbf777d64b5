//! Luma's Agents API (ray-3.2), the API Luma now sells its video models through. One create call
//! carries everything: an extension is an earlier generation in `video.start_frame` (forward) or
//! `video.end_frame` (backward). Wire facts from the official `luma-agents` SDK's types.

use super::body::insert_opt;
use super::http::encode_component;
use super::parse::{self, object, required_id, text};
use super::{luma, Body, Capabilities, HttpRequest, HttpResponse, Method, ProviderKind};
use crate::error::{Error, ErrorCode};
use crate::model::{
    split_data_url, ExtendRequest, GenerateRequest, Generation, Keyframe, Map, Value,
};

pub const BASE_URL: &str = "https://agents.lumalabs.ai/v1";
/// The Agents API's one video model; `type: "video"` needs it named.
pub const DEFAULT_MODEL: &str = "ray-3.2";

/// Dream Machine's extension table (forward, backward, to an image, interpolate), and:
pub const CAPABILITIES: Capabilities = Capabilities {
    // A frame may be inline base64 `data` with its `media_type`.
    data_urls: true,
    // The SDK states no bounds; the server's are unknown, so only emptiness is checked.
    prompt_len: None,
    // `prompt: Required[str]` in GenerationCreateParams.
    prompt_always_required: true,
    // No callback field in the create params: the caller (or the gateway's alarm) polls.
    callbacks: false,
    // GenerationCreateParams has no concepts.
    concepts: false,
    ..luma::CAPABILITIES
};

pub fn create(base: &str, key: &str, req: &GenerateRequest) -> HttpRequest {
    HttpRequest::new(Method::Post, format!("{base}/generations"), luma::auth(key)).json(body(req))
}

/// An extension is a create whose frames name the parent (the Dream Machine keyframe table,
/// with `frame0` as `start_frame` and `frame1` as `end_frame`).
pub fn extend(base: &str, key: &str, req: &ExtendRequest) -> HttpRequest {
    create(base, key, &luma::as_generate(req))
}

pub fn get(base: &str, key: &str, id: &str) -> HttpRequest {
    let url = format!("{base}/generations/{}", encode_component(id));
    HttpRequest::new(Method::Get, url, luma::auth(key))
}

fn body(req: &GenerateRequest) -> Value {
    let mut b = Map::new();
    b.insert("type", "video");
    b.insert("model", req.model.as_deref().unwrap_or(DEFAULT_MODEL));
    insert_opt(&mut b, "prompt", req.prompt.as_ref());
    insert_opt(
        &mut b,
        "aspect_ratio",
        req.aspect_ratio.as_ref().map(|a| a.as_str()),
    );
    let mut video = Map::new();
    insert_opt(&mut video, "duration", req.duration.as_ref());
    insert_opt(&mut video, "resolution", req.resolution.as_ref());
    insert_opt(&mut video, "loop", req.loop_video);
    if let Some(k) = &req.keyframes {
        insert_opt(&mut video, "start_frame", k.frame0.as_ref().map(media_ref));
        insert_opt(&mut video, "end_frame", k.frame1.as_ref().map(media_ref));
    }
    if !video.is_empty() {
        b.insert("video", video);
    }
    Value::Object(b)
}

/// A media reference holds exactly one of `url`, `data` (+ `media_type`), `generation_id`.
fn media_ref(frame: &Keyframe) -> Value {
    match frame {
        Keyframe::Generation { id } => Value::object([("generation_id", id.into())]),
        Keyframe::Image { url } => match split_data_url(url) {
            Some((media_type, data)) => {
                Value::object([("data", data.into()), ("media_type", media_type.into())])
            }
            None => Value::object([("url", url.into())]),
        },
    }
}

/// A Generation: `{id, created_at, model, type, state, failure_code, failure_reason, output}`.
pub fn generation(value: Value) -> Result<Generation, String> {
    object(&value)?;
    let id = required_id(&value, "id")?;
    let outputs = value.get("output").and_then(Value::as_array);
    let output_url = |kind: &str| {
        outputs?
            .iter()
            .find(|o| o.get("type").and_then(Value::as_str) == Some(kind))
            .and_then(|o| text(o, "url"))
    };
    let video_url = output_url("video");
    // `processing` is not a Dream Machine name, so it lands on dreaming, which is what it means.
    let state = luma::state(
        value.get("state").and_then(Value::as_str),
        video_url.is_some(),
    );
    let mut g = Generation::new(id, ProviderKind::LumaAgents, state);
    g.thumbnail_url = output_url("image");
    g.video_url = video_url;
    g.failure_reason = failure_reason(
        value.get("failure_code").and_then(Value::as_str),
        value.get("failure_reason").and_then(parse::as_text),
    );
    g.created_at = text(&value, "created_at");
    g.raw = value;
    Ok(g)
}

/// What each `failure_code` means for the caller and what to do about it (Luma's error guide).
pub const FAILURE_CODES: [(&str, &str); 9] = [
    (
        "content_moderated",
        "content moderated: the prompt or an input image broke Luma's content guidelines; change them",
    ),
    (
        "generation_failed",
        "the model failed while generating; sending the same request again may succeed",
    ),
    (
        "budget_exhausted",
        "budget exhausted: the account ran out of credits during the generation; add credits, then send it again",
    ),
    (
        "output_not_found",
        "the finished output could not be retrieved; sending the same request again may succeed",
    ),
    ("image_too_large", "an input image is too large; resize or compress it"),
    (
        "unsupported_format",
        "an input file is in a format Luma does not accept; convert it",
    ),
    (
        "corrupt_input",
        "an input file could not be decoded; re-encode or replace it",
    ),
    (
        "invalid_request",
        "Luma rejected the request after accepting it; change the request",
    ),
    (
        "rate_limited",
        "rate limited while running; send it again later",
    ),
];

/// The reason a failed generation reports: the code's meaning first, then Luma's own words.
pub fn failure_reason(code: Option<&str>, reason: Option<String>) -> Option<String> {
    let meaning = code.and_then(|c| FAILURE_CODES.iter().find(|(k, _)| *k == c));
    match (code, meaning, reason) {
        (Some(c), Some((_, m)), Some(r)) => Some(format!("{m} ({c}: {r})")),
        (Some(c), Some((_, m)), None) => Some(format!("{m} ({c})")),
        (Some(c), None, Some(r)) => Some(format!("{c}: {r}")),
        (Some(c), None, None) => Some(c.to_string()),
        (None, _, reason) => reason,
    }
}

/// A non-2xx answer. Luma's error guide: "branch on the status code, then read `detail`".
pub fn error(resp: &HttpResponse) -> Error {
    let kind = ProviderKind::LumaAgents;
    let message = detail(&resp.body);
    if resp.status == 402 {
        // Insufficient credits: no retry helps, and the key (its account) is what must change.
        let said = message.map(|m| format!(" ({m})")).unwrap_or_default();
        let text = format!("insufficient credits: add credits to the Luma account{said}");
        return Error::new(ErrorCode::Unauthorized, kind, text).with_status(402);
    }
    parse::status_error(kind, resp, message)
}

/// `detail` as text; a list of validation errors (`[{loc, msg}]`) as `loc: msg; ...`.
fn detail(body: &Body) -> Option<String> {
    let v = body.json()?;
    let Some(Value::Array(items)) = v.get("detail") else {
        return luma::error_message(body);
    };
    let parts: Vec<String> = items
        .iter()
        .map(|item| {
            let msg = item.get("msg").and_then(parse::as_text);
            let loc = item.get("loc").and_then(Value::as_array).map(|l| {
                let names: Vec<String> = l.iter().filter_map(parse::as_text).collect();
                names.join(".")
            });
            match (loc, msg) {
                (Some(l), Some(m)) => format!("{l}: {m}"),
                (_, Some(m)) => m,
                _ => item.to_string(),
            }
        })
        .collect();
    Some(parts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reason_leads_with_what_the_code_means() {
        let r = failure_reason(Some("content_moderated"), Some("Prompt flagged".into())).unwrap();
        assert!(
            r.starts_with("content moderated:")
                && r.ends_with("(content_moderated: Prompt flagged)")
        );
        assert_eq!(
            failure_reason(None, Some("Job failed".into())).as_deref(),
            Some("Job failed")
        );
        assert_eq!(
            failure_reason(Some("new_code"), None).as_deref(),
            Some("new_code")
        );
        assert_eq!(failure_reason(None, None), None);
    }
}
