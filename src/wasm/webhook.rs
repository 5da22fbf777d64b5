//! `verifyWebhook` for apps receiving the gateway's Standard Webhooks events (the
//! `luma-extend/webhooks` entry: HMAC-SHA256 is server-side work, kept out of the browser build).

use js_sys::{Function, Object, JSON};
use wasm_bindgen::prelude::*;

use super::error::js_error;
use super::js::prop;
use crate::error::{Error, ErrorCode};
use crate::model::ProviderKind;

const NAMES: [&str; 3] = ["webhook-id", "webhook-timestamp", "webhook-signature"];

/// A header from a `Headers` object or a plain record, names matched case-insensitively.
fn header(headers: &JsValue, name: &str) -> Option<String> {
    if let Some(get) = prop(headers, "get").and_then(|f| f.dyn_into::<Function>().ok()) {
        return get
            .call1(headers, &JsValue::from_str(name))
            .ok()?
            .as_string();
    }
    let key = Object::keys(headers.dyn_ref::<Object>()?)
        .iter()
        .filter_map(|k| k.as_string())
        .find(|k| k.eq_ignore_ascii_case(name))?;
    prop(headers, &key)?.as_string()
}

/// Verifies the delivery and returns its body as the JS engine parses it; throws
/// `unauthorized` otherwise (and `invalid_request` for arguments of the wrong type).
#[wasm_bindgen(js_name = verifyWebhook)]
pub fn verify_webhook(
    secret: JsValue,
    body: JsValue,
    headers: JsValue,
    now_seconds: JsValue,
) -> Result<JsValue, JsValue> {
    let error = |code, m: String| js_error(&Error::new(code, ProviderKind::Gateway, m));
    let (Some(secret), Some(body)) = (secret.as_string(), body.as_string()) else {
        let m = "verifyWebhook(secret, body, headers): secret and body must be strings";
        return Err(error(ErrorCode::InvalidRequest, m.into()));
    };
    if !headers.is_object() {
        let m = "verifyWebhook: headers must be a Headers object or a record";
        return Err(error(ErrorCode::InvalidRequest, m.into()));
    }
    let found: Vec<(String, String)> = NAMES
        .iter()
        .filter_map(|n| header(&headers, n).map(|v| (n.to_string(), v)))
        .collect();
    let now = now_seconds
        .as_f64()
        .unwrap_or_else(|| js_sys::Date::now() / 1000.0) as i64;
    crate::webhook::verify(&secret, &found, body.as_bytes(), now)
        .map_err(|e| error(ErrorCode::Unauthorized, format!("webhook rejected: {e}")))?;
    JSON::parse(&body)
        .map_err(|_| error(ErrorCode::Unauthorized, "webhook body is not JSON".into()))
}
