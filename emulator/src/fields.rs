//! Strict checks of JSON request fields, for the Agents API: every refusal is an HTTP status and
//! a `detail` naming the field (`at` is the path prefix, such as `video.`).

use serde_json::{Map, Value};

/// An error answer: the status and `detail`.
pub type Refusal = (u16, String);

pub fn refuse<T>(status: u16, detail: impl Into<String>) -> Result<T, Refusal> {
    Err((status, detail.into()))
}

pub fn present(obj: &Map<String, Value>, key: &str) -> bool {
    obj.get(key).is_some_and(|v| !v.is_null())
}

pub fn known(obj: &Map<String, Value>, fields: &[&str], at: &str) -> Result<(), Refusal> {
    match obj.keys().find(|k| !fields.contains(&k.as_str())) {
        Some(k) => refuse(400, format!("{at}{k}: unknown field")),
        None => Ok(()),
    }
}

/// A string enum field, if present and not null.
pub fn one_of<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    allowed: &[&str],
    at: &str,
) -> Result<Option<&'a str>, Refusal> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if allowed.contains(&s.as_str()) => Ok(Some(s)),
        Some(other) => refuse(
            400,
            format!("{at}{key}: {other} is not one of {}", allowed.join(", ")),
        ),
    }
}

pub fn typed(
    obj: &Map<String, Value>,
    key: &str,
    ok: fn(&Value) -> bool,
    what: &str,
    at: &str,
) -> Result<(), Refusal> {
    match obj.get(key) {
        Some(v) if !v.is_null() && !ok(v) => refuse(400, format!("{at}{key}: must be {what}")),
        _ => Ok(()),
    }
}

pub fn is_base64(s: &str) -> bool {
    let body = s.trim_end_matches('=');
    !s.is_empty()
        && s.len().is_multiple_of(4)
        && s.len() - body.len() <= 2
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}
