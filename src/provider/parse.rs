//! Tolerant readers shared by the protocol modules: every field may be missing, null or of an
//! unexpected type, and none of that may panic.

use crate::model::{Map, Value};

use super::{code_for_status, Body, HttpResponse, ProviderKind};
use crate::error::{Error, ErrorCode};

pub fn json_body(kind: ProviderKind, resp: &HttpResponse) -> Result<Value, Error> {
    match &resp.body {
        Body::Json(v) => Ok(v.clone()),
        Body::Text(t) => {
            let start: String = t.chars().take(60).collect();
            let message = format!("the body is not JSON: “{start}”");
            Err(bad_response(kind, resp, message))
        }
    }
}

pub fn bad_response(kind: ProviderKind, resp: &HttpResponse, message: String) -> Error {
    Error::new(ErrorCode::BadResponse, kind, message).with_status(resp.status)
}

pub fn status_error(kind: ProviderKind, resp: &HttpResponse, message: Option<String>) -> Error {
    let code = code_for_status(resp.status);
    let text = message
        .filter(|m| !m.trim().is_empty())
        .unwrap_or_else(|| format!("HTTP {}", resp.status));
    let mut e = Error::new(code, kind, text).with_status(resp.status);
    e.retryable = super::retryable_status(resp.status);
    e
}

/// A string field; numbers are accepted as their text since some providers send either.
pub fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => Some(s.clone()),
        n @ Value::Number(_) => Some(n.to_string()),
        _ => None,
    }
}

/// A number field; numeric strings are accepted (APIFRAME's percentage is a string).
pub fn number(v: &Value, key: &str) -> Option<f64> {
    let n = match v.get(key)? {
        Value::Number(n) => Some(*n),
        Value::String(s) => s.trim().trim_end_matches('%').parse::<f64>().ok(),
        _ => None,
    }?;
    n.is_finite().then_some(n)
}

/// Any JSON value as message text: strings as they are, anything else as compact JSON.
pub fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

pub fn object(value: &Value) -> Result<&Map, String> {
    value
        .as_object()
        .ok_or_else(|| "expected a JSON object".to_string())
}

pub fn required_id(v: &Value, key: &str) -> Result<String, String> {
    text(v, key)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| format!("missing `{key}`"))
}
