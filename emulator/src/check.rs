//! Validation rules shared by the protocols, with the messages the real services send.

use serde_json::Value;

use crate::app::App;
use crate::jobs::{Job, Phase, Protocol};

pub const ASPECT_RATIOS: [&str; 7] = ["1:1", "16:9", "9:16", "4:3", "3:4", "21:9", "9:21"];

/// https anywhere, http only to loopback, data: where the protocol takes it.
pub fn image_url_ok(url: &str, allow_data: bool) -> bool {
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("data:") {
        return allow_data;
    }
    let rest = match (
        lower.strip_prefix("https://"),
        lower.strip_prefix("http://"),
    ) {
        (Some(r), _) => return !r.is_empty(),
        (None, Some(r)) => r,
        _ => return false,
    };
    let host = rest
        .split(['/', '?', '#'])
        .next()
        .unwrap_or("")
        .rsplit('@')
        .next()
        .unwrap_or("");
    let host = host.strip_prefix('[').map_or_else(
        || host.split(':').next().unwrap_or(""),
        |h| h.split(']').next().unwrap_or(""),
    );
    host == "localhost"
        || host == "::1"
        || (host.starts_with("127.") && host.split('.').count() == 4)
}

/// Luma's prompt rule; `required` unless an image keyframe stands in.
pub fn prompt_problem(prompt: Option<&Value>, required: bool) -> Option<String> {
    match prompt {
        None | Some(Value::Null) if required => Some("Prompt is required".into()),
        None | Some(Value::Null) => None,
        Some(Value::String(p)) => {
            let n = p.chars().count();
            if n == 0 && required {
                Some("Prompt is required".into())
            } else if n > 0 && n < 3 {
                Some("Prompt is too short, minimum length is 3 characters".into())
            } else if n > 5000 {
                Some("Prompt is too long, maximum length is 5000 characters".into())
            } else {
                None
            }
        }
        Some(_) => Some("Prompt must be a string".into()),
    }
}

pub fn aspect_problem(v: Option<&Value>) -> Option<String> {
    match v {
        None | Some(Value::Null) => None,
        Some(Value::String(a)) if ASPECT_RATIOS.contains(&a.as_str()) => None,
        Some(other) => Some(format!(
            "Invalid aspect ratio {other}: must be one of {}",
            ASPECT_RATIOS.join(", ")
        )),
    }
}

#[derive(Clone, Debug)]
pub enum Frame {
    Image(String),
    Generation(String),
}

/// frame0 and frame1 of a keyframes object.
pub type Frames = (Option<Frame>, Option<Frame>);

pub fn frames(v: Option<&Value>) -> Result<Option<Frames>, String> {
    let Some(k) = v.filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let obj = k.as_object().ok_or("keyframes must be an object")?;
    let one = |name: &str| -> Result<Option<Frame>, String> {
        let Some(f) = obj.get(name).filter(|v| !v.is_null()) else {
            return Ok(None);
        };
        match (f.get("type").and_then(Value::as_str), f.get("url").and_then(Value::as_str), f.get("id").and_then(Value::as_str)) {
            (Some("image"), Some(url), _) => Ok(Some(Frame::Image(url.into()))),
            (Some("generation"), _, Some(id)) => Ok(Some(Frame::Generation(id.into()))),
            _ => Err(format!("Invalid keyframe {name}: expected {{type: image, url}} or {{type: generation, id}}")),
        }
    };
    let pair = (one("frame0")?, one("frame1")?);
    if pair.0.is_none() && pair.1.is_none() {
        return Err("No keyframes provided".into());
    }
    Ok(Some(pair))
}

pub fn loop_problem(f: &Frames) -> Option<&'static str> {
    use Frame::{Generation as G, Image as I};
    match f {
        (_, None) => None,
        (None, Some(G(_))) => Some("Loop is not supported for extend reverse"),
        (Some(G(_)), Some(I(_))) => Some("Loop is not supported for interpolate video to image"),
        (Some(I(_)), Some(G(_))) => Some("Loop is not supported for interpolate image to video"),
        (Some(G(_)), Some(G(_))) => {
            Some("Loop is not supported for interpolate between two videos")
        }
        _ => Some("Loop is not supported for keyframes"),
    }
}

/// A parent must exist under the same protocol and be completed.
pub fn parent(app: &App, protocol: Protocol, id: &str) -> Result<Job, String> {
    let job = app
        .job(id)
        .filter(|j| j.protocol == protocol)
        .ok_or_else(|| format!("Generation {id} not found"))?;
    match job.phase(std::time::Instant::now()) {
        Phase::Completed => Ok(job),
        p => Err(format!(
            "Generation {id} is {} and cannot be extended; it must be completed",
            p.luma()
        )),
    }
}
