//! `LumaError`: a JS `Error` subclass carrying the core error's fields (code, status,
//! retryable, mayHaveBeenCreated, issues, generation...), so JS can branch on `code`.

use wasm_bindgen::prelude::*;

use super::values::to_js;
use crate::error::{Error, ErrorCode};
use crate::model::{Issue, ProviderKind};

// One class per realm, under a registered symbol, so the client's build and the webhooks
// build (two wasm instances) throw errors that pass the same `instanceof LumaError`.
#[wasm_bindgen(inline_js = "
const key = Symbol.for('luma-extend.LumaError');
export function lumaErrorClass() {
  return (globalThis[key] ??= class LumaError extends Error {
    constructor(message, props) { super(message); this.name = 'LumaError'; Object.assign(this, props); }
  });
}
export function makeLumaError(message, props) { return new (lumaErrorClass())(message, props); }
")]
extern "C" {
    #[wasm_bindgen(js_name = makeLumaError)]
    fn make_luma_error(message: &str, props: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = lumaErrorClass)]
    pub fn luma_error_class() -> JsValue;
}

pub fn js_error(e: &Error) -> JsValue {
    make_luma_error(&e.message, &to_js(e))
}

/// A wrong argument or option, as `invalid_request` with its issues.
pub fn invalid(kind: ProviderKind, issues: Vec<Issue>) -> Error {
    let mut e = Error::from_issues(kind, issues);
    e.code = ErrorCode::InvalidRequest;
    e
}
