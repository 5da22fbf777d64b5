//! The [`Transport`] on gloo-net. Every request is built with `gloo_net::http::RequestBuilder`
//! and read through `gloo_net::http::Response`; it goes out through gloo-net's own `send()` on
//! the global `fetch`, or, where the caller injected a `fetch`, as the same `web_sys::Request`
//! handed to it. Each request has its own `AbortController`: a timeout, or dropping the call,
//! aborts the request itself.

use gloo_net::http::{Method as GlooMethod, Request, RequestBuilder, Response};
use js_sys::{Function, Promise, Reflect};
#[cfg(not(feature = "gateway"))]
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::AbortController;

use super::timer::sleep;
use crate::client::{race, Either, Transport, TransportError, TransportErrorKind};
use crate::model::Value;
use crate::provider::{Body, HttpRequest, HttpResponse, Method};

/// Headers the client reads from answers.
const READ_HEADERS: [&str; 3] = ["retry-after", "retry-after-ms", "content-type"];

#[derive(Clone, Debug, Default)]
pub struct FetchTransport {
    /// The caller's `fetch`; `None` sends through gloo-net on the global one.
    pub fetch: Option<Function>,
    /// Per request, covering the answer's body too.
    pub timeout_ms: Option<f64>,
}

impl FetchTransport {
    pub fn new() -> FetchTransport {
        FetchTransport::default()
    }

    async fn exchange(&self, request: Request) -> Result<HttpResponse, TransportError> {
        let response = match &self.fetch {
            None => request.send().await.map_err(gloo_error)?,
            Some(f) => call_fetch(f, request.into()).await?,
        };
        read(response).await
    }
}

impl Transport for FetchTransport {
    async fn send(&self, req: HttpRequest) -> Result<HttpResponse, TransportError> {
        let controller = AbortController::new().map_err(|e| js_error(&e))?;
        let request = build(&req, &controller)?;
        let mut abort_on_drop = AbortOnDrop(Some(controller));
        let timeout = async {
            match self.timeout_ms.filter(|t| t.is_finite()) {
                Some(ms) => sleep(ms.max(0.0) as u64).await,
                None => std::future::pending().await,
            }
        };
        match race(self.exchange(request), timeout).await {
            Either::Left(outcome) => {
                // Answered and read: nothing left to cancel (an abort would still build and
                // dispatch its error for nothing).
                abort_on_drop.0 = None;
                outcome
            }
            Either::Right(()) => Err(TransportError {
                kind: TransportErrorKind::Timeout,
                message: format!(
                    "no answer within {} ms",
                    self.timeout_ms.unwrap_or_default() as u64
                ),
            }),
        }
    }
}

/// Aborts the request when the send ends unfinished (timed out, or dropped because the caller
/// aborted); a request answered and read is disarmed first.
struct AbortOnDrop(Option<AbortController>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(c) = &self.0 {
            c.abort();
        }
    }
}

fn build(req: &HttpRequest, controller: &AbortController) -> Result<Request, TransportError> {
    let method = match req.method {
        Method::Get => GlooMethod::GET,
        Method::Post => GlooMethod::POST,
        Method::Delete => GlooMethod::DELETE,
    };
    let mut builder = RequestBuilder::new(&req.url)
        .method(method)
        .abort_signal(Some(&controller.signal()));
    for (k, v) in &req.headers {
        builder = builder.header(k, v);
    }
    let built = match &req.body {
        Some(body) => builder.body(json_text(body)?),
        None => builder.build(),
    };
    built.map_err(gloo_error)
}

/// A body as JSON text, written by serde_json where the build has it (the gateway's), without
/// making it a JS value first.
#[cfg(feature = "gateway")]
fn json_text(body: &Value) -> Result<JsValue, TransportError> {
    serde_json::to_string(body)
        .map(|t| JsValue::from_str(&t))
        .map_err(|e| TransportError {
            kind: TransportErrorKind::Connect,
            message: format!("the request body could not be written: {e}"),
        })
}

/// A body as JSON text, written by the JS engine from the value serde-wasm-bindgen made.
#[cfg(not(feature = "gateway"))]
fn json_text(body: &Value) -> Result<JsValue, TransportError> {
    let fail = |m: String| TransportError {
        kind: TransportErrorKind::Connect,
        message: format!("the request body could not be written: {m}"),
    };
    let value = body
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| fail(e.to_string()))?;
    js_sys::JSON::stringify(&value)
        .map(JsValue::from)
        .map_err(|_| fail("JSON.stringify refused it".into()))
}

/// The caller's fetch with the built request; its answer wrapped back for gloo-net to read.
async fn call_fetch(f: &Function, request: web_sys::Request) -> Result<Response, TransportError> {
    let returned = f
        .call1(&JsValue::UNDEFINED, &request)
        .map_err(|e| fetch_error(&e))?;
    let answer = JsFuture::from(Promise::resolve(&returned))
        .await
        .map_err(|e| fetch_error(&e))?;
    let response = answer
        .dyn_into::<web_sys::Response>()
        .map_err(|_| TransportError {
            kind: TransportErrorKind::Other,
            message: "the injected fetch did not resolve to a Response".into(),
        })?;
    Ok(Response::from(response))
}

/// Status, the headers the client uses, and the body: JSON parsed by the JS engine, or the
/// text of anything that is not JSON (for the tolerant readers and error messages).
async fn read(response: Response) -> Result<HttpResponse, TransportError> {
    let status = response.status();
    let found = response.headers();
    let headers = READ_HEADERS
        .iter()
        .filter_map(|name| found.get(name).map(|v| (name.to_string(), v)))
        .collect();
    let text = response.text().await.map_err(gloo_error)?;
    Ok(HttpResponse {
        status,
        headers,
        body: parse(text),
    })
}

/// The answer's text parsed by serde_json where the build has it (the gateway's), rather than by
/// the JS engine and then walked value by value into Rust.
#[cfg(feature = "gateway")]
fn parse(text: String) -> Body {
    Body::from_bytes(text.as_bytes())
}

#[cfg(not(feature = "gateway"))]
fn parse(text: String) -> Body {
    match js_sys::JSON::parse(&text) {
        Ok(parsed) => match serde_wasm_bindgen::from_value::<Value>(parsed) {
            Ok(v) => Body::Json(v),
            Err(_) => Body::Text(text),
        },
        Err(_) => Body::Text(text),
    }
}

fn gloo_error(e: gloo_net::Error) -> TransportError {
    match e {
        gloo_net::Error::JsError(e) => classify(&e.name, e.message),
        other => TransportError {
            kind: TransportErrorKind::Other,
            message: other.to_string(),
        },
    }
}

fn js_error(e: &JsValue) -> TransportError {
    TransportError {
        kind: TransportErrorKind::Other,
        message: text_prop(e, "message").unwrap_or_else(|| "fetch failed".into()),
    }
}

/// A rejection from the caller's fetch. Node's fetch says, in `cause.code`, when a connection
/// was refused or the name did not resolve: nothing was sent, so even a create may be retried.
/// Browsers never say, so there every failed fetch counts as possibly delivered.
fn fetch_error(e: &JsValue) -> TransportError {
    let name = text_prop(e, "name").unwrap_or_default();
    let message = text_prop(e, "message").unwrap_or_else(|| "fetch failed".into());
    let cause = Reflect::get(e, &"cause".into()).unwrap_or(JsValue::UNDEFINED);
    let code = text_prop(&cause, "code").unwrap_or_default();
    if matches!(code.as_str(), "ECONNREFUSED" | "ENOTFOUND" | "EAI_AGAIN") {
        return TransportError {
            kind: TransportErrorKind::Connect,
            message: format!("{message} ({code})"),
        };
    }
    classify(&name, message)
}

fn classify(name: &str, message: String) -> TransportError {
    let kind = match name {
        "AbortError" => TransportErrorKind::Aborted,
        "TimeoutError" => TransportErrorKind::Timeout,
        _ => TransportErrorKind::Other,
    };
    TransportError { kind, message }
}

fn text_prop(obj: &JsValue, key: &str) -> Option<String> {
    if !obj.is_object() {
        return None;
    }
    Reflect::get(obj, &JsValue::from_str(key)).ok()?.as_string()
}
