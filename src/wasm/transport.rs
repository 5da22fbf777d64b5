//! The Transport on `fetch`: the caller's injected one, or the global. A per-request timeout and
//! the caller's AbortSignal are both handed to fetch, so an abort cancels the request itself.

use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::js::{prop, set};
use crate::client::{Transport, TransportError, TransportErrorKind};
use crate::provider::{HttpRequest, HttpResponse};

#[derive(Clone)]
pub struct FetchTransport {
    pub fetch: Function,
    pub timeout_ms: Option<f64>,
    pub signal: Option<JsValue>,
}

impl FetchTransport {
    /// The signal fetch gets: the caller's, the timeout's, or both combined.
    fn signal(&self) -> Option<JsValue> {
        let global = js_sys::global();
        let abort_signal = prop(&global, "AbortSignal")?;
        let timeout = self.timeout_ms.and_then(|ms| {
            let f = prop(&abort_signal, "timeout")?
                .dyn_into::<Function>()
                .ok()?;
            f.call1(&abort_signal, &JsValue::from_f64(ms)).ok()
        });
        match (self.signal.clone(), timeout) {
            (Some(a), Some(b)) => {
                let any = prop(&abort_signal, "any")?.dyn_into::<Function>().ok()?;
                any.call1(&abort_signal, &Array::of2(&a, &b)).ok()
            }
            (a, b) => a.or(b),
        }
    }

    fn init(&self, req: &HttpRequest) -> Object {
        let init = Object::new();
        set(&init, "method", &JsValue::from_str(req.method.as_str()));
        let headers = Object::new();
        for (k, v) in &req.headers {
            set(&headers, k, &JsValue::from_str(v));
        }
        set(&init, "headers", &headers);
        if let Some(body) = &req.body {
            set(&init, "body", &JsValue::from_str(&body.to_string()));
        }
        if let Some(signal) = self.signal() {
            set(&init, "signal", &signal);
        }
        init
    }
}

fn classify(err: JsValue) -> TransportError {
    let name = prop(&err, "name")
        .and_then(|n| n.as_string())
        .unwrap_or_default();
    let message = prop(&err, "message")
        .and_then(|m| m.as_string())
        .unwrap_or_else(|| format!("{err:?}"));
    let kind = match name.as_str() {
        "AbortError" => TransportErrorKind::Aborted,
        "TimeoutError" => TransportErrorKind::Timeout,
        // fetch cannot tell a refused connection from one dropped after sending, so a failed
        // fetch counts as possibly delivered: safe for billable creates.
        _ => TransportErrorKind::Other,
    };
    TransportError { kind, message }
}

async fn call(f: &Function, this: &JsValue, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let promise = match args {
        [] => f.call0(this)?,
        [a] => f.call1(this, a)?,
        [a, b, ..] => f.call2(this, a, b)?,
    };
    JsFuture::from(Promise::resolve(&promise)).await
}

fn method(obj: &JsValue, name: &str) -> Result<Function, JsValue> {
    prop(obj, name)
        .and_then(|f| f.dyn_into::<Function>().ok())
        .ok_or_else(|| JsValue::from_str(&format!("the fetch response has no {name}()")))
}

impl Transport for FetchTransport {
    async fn send(&self, req: HttpRequest) -> Result<HttpResponse, TransportError> {
        let url = JsValue::from_str(&req.url);
        let init = self.init(&req);
        let resp = call(&self.fetch, &JsValue::UNDEFINED, &[url, init.into()])
            .await
            .map_err(classify)?;
        let status = prop(&resp, "status")
            .and_then(|s| s.as_f64())
            .unwrap_or(0.0) as u16;
        let mut headers = Vec::new();
        if let Some(h) = prop(&resp, "headers") {
            let get = method(&h, "get").map_err(classify)?;
            for name in ["retry-after", "retry-after-ms", "content-type"] {
                if let Some(v) = get
                    .call1(&h, &JsValue::from_str(name))
                    .ok()
                    .and_then(|v| v.as_string())
                {
                    headers.push((name.to_string(), v));
                }
            }
        }
        let text = call(&method(&resp, "text").map_err(classify)?, &resp, &[])
            .await
            .map_err(classify)?;
        let body = text.as_string().unwrap_or_default().into_bytes();
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}

/// The caller's `fetch`, else the global one (called unbound, as fetch expects).
pub fn resolve_fetch(injected: Option<JsValue>) -> Result<Function, String> {
    let f = injected.or_else(|| Reflect::get(&js_sys::global(), &JsValue::from_str("fetch")).ok());
    f.and_then(|f| f.dyn_into::<Function>().ok())
        .ok_or_else(|| "no fetch: pass options.fetch".to_string())
}
