//! `verifyWebhook` for apps receiving the gateway's Standard Webhooks events.

use js_sys::{Function, Object, JSON};
use wasm_bindgen::prelude::*;

use super::js::prop;
use super::js_error;
use crate::error::{Error, ErrorCode};
use crate::provider::ProviderKind;

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

/// Verifies the delivery and returns its parsed JSON body; throws `unauthorized` otherwise.
#[wasm_bindgen(js_name = verifyWebhook)]
pub fn verify_webhook(
    secret: &str,
    body: &str,
    headers: JsValue,
    now_seconds: Option<f64>,
) -> Result<JsValue, JsValue> {
    let fail = |m: String| {
        js_error(&Error::new(
            ErrorCode::Unauthorized,
            ProviderKind::Gateway,
            m,
        ))
    };
    let found: Vec<(String, String)> = NAMES
        .iter()
        .filter_map(|n| header(&headers, n).map(|v| (n.to_string(), v)))
        .collect();
    let now = now_seconds.unwrap_or_else(|| js_sys::Date::now() / 1000.0) as i64;
    crate::webhook::verify(secret, &found, body.as_bytes(), now)
        .map_err(|e| fail(format!("webhook rejected: {e}")))?;
    JSON::parse(body).map_err(|_| fail("webhook body is not JSON".into()))
}
