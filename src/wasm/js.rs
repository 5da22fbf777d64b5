//! Bindings to the few JS globals the boundary needs, and JSON conversion both ways.
//! Globals (not `window.*`) so the same code runs in windows, workers, Node and workerd.

use js_sys::{Object, Reflect, JSON};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = "
export class LumaError extends Error {
  constructor(message, props) { super(message); this.name = 'LumaError'; Object.assign(this, props); }
}
export function makeLumaError(message, props) { return new LumaError(message, props); }
export function lumaErrorClass() { return LumaError; }
")]
extern "C" {
    #[wasm_bindgen(js_name = makeLumaError)]
    pub fn make_luma_error(message: &str, props: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = lumaErrorClass)]
    pub fn luma_error_class() -> JsValue;
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    pub fn set_timeout(callback: &js_sys::Function, ms: f64) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    pub fn clear_timeout(id: &JsValue);
}

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

/// Plain data from JS into serde, through JSON so functions and signals are left out.
pub fn from_js<T: serde::de::DeserializeOwned>(value: &JsValue) -> Result<T, String> {
    let text =
        JSON::stringify(value).map_err(|_| "the value cannot be turned into JSON".to_string())?;
    let text = text.as_string().ok_or("expected an object")?;
    serde_json::from_str(&text).map_err(|e| e.to_string())
}

pub fn to_js<T: serde::Serialize>(value: &T) -> JsValue {
    serde_json::to_string(value)
        .ok()
        .and_then(|s| JSON::parse(&s).ok())
        .unwrap_or(JsValue::NULL)
}
