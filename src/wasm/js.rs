//! Small helpers on JS objects for the gateway's bindings: properties, and values through
//! serde-wasm-bindgen (the same conversions as the client's boundary).

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

pub use super::values::to_js;

/// A property of a JS object, `None` when missing, null or undefined.
pub fn prop(obj: &JsValue, key: &str) -> Option<JsValue> {
    if !obj.is_object() {
        return None;
    }
    Reflect::get(obj, &JsValue::from_str(key))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

pub fn set(obj: &Object, key: &str, value: &JsValue) {
    // Setting a property on a fresh plain object cannot fail.
    let _ = Reflect::set(obj, &JsValue::from_str(key), value);
}

/// Plain data from JS into serde.
pub fn from_js<T: serde::de::DeserializeOwned>(value: &JsValue) -> Result<T, String> {
    serde_wasm_bindgen::from_value(value.clone()).map_err(|e| e.to_string())
}
