//! The JS boundary: `LumaClient`, `LumaError` and `verifyWebhook`, as thin adapters over the
//! pure core. Every failure reaches JS as a `LumaError`; nothing here panics on outside data.

mod abort;
#[cfg(feature = "gateway")]
mod gateway;
pub mod js;
mod timer;
mod transport;
mod watch;
mod webhook;

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use self::abort::Aborted;
use self::js::{from_js, prop, to_js};
use self::timer::JsTimer;
use self::transport::{resolve_fetch, FetchTransport};
pub use self::watch::Watch;
use crate::client::{race, Either};
use crate::client::{Client, ClientOptions, WaitOptions};
use crate::error::{Error, ErrorCode};
use crate::model::{ExtendRequest, GenerateRequest, Generation};
use crate::provider::{Provider, ProviderKind};

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Options {
    #[serde(default)]
    provider: Option<String>,
    #[serde(default)]
    api_key: Option<String>,
    #[serde(default)]
    base_url: Option<String>,
    #[serde(default)]
    timeout_ms: Option<f64>,
    #[serde(default)]
    max_retries: Option<u32>,
    #[serde(default)]
    typical_job_ms: Option<f64>,
}

fn js_error(e: &Error) -> JsValue {
    js::make_luma_error(&e.message, &to_js(e))
}

fn invalid(provider: ProviderKind, message: String) -> JsValue {
    js_error(&Error::new(ErrorCode::InvalidRequest, provider, message))
}

/// The `LumaError` class, for `instanceof` checks.
#[wasm_bindgen(js_name = lumaErrorClass)]
pub fn luma_error_class() -> JsValue {
    js::luma_error_class()
}

#[wasm_bindgen]
pub struct LumaClient {
    provider: Provider,
    fetch: Function,
    timeout_ms: Option<f64>,
    options: ClientOptions,
    known: Rc<RefCell<crate::client::Known>>,
}

struct Call {
    client: Client<FetchTransport, JsTimer>,
    signal: Option<JsValue>,
    deadline_ms: Option<u64>,
    on_progress: Option<Function>,
}

#[wasm_bindgen]
impl LumaClient {
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<LumaClient, JsValue> {
        let opts: Options =
            from_js(&options).map_err(|e| invalid(ProviderKind::Luma, format!("options: {e}")))?;
        let name = opts.provider.as_deref().unwrap_or("luma");
        let kind = ProviderKind::parse(name).ok_or_else(|| {
            invalid(ProviderKind::Luma, format!("options.provider: `{name}` is not one of luma, aimlapi, apiframe, gptge, gateway"))
        })?;
        let key = opts
            .api_key
            .filter(|k| !k.is_empty())
            .ok_or_else(|| invalid(kind, "options.apiKey is required".into()))?;
        if kind == ProviderKind::Gateway && opts.base_url.is_none() {
            return Err(invalid(
                kind,
                "options.baseUrl is required for the gateway provider".into(),
            ));
        }
        let fetch = resolve_fetch(prop(&options, "fetch")).map_err(|e| invalid(kind, e))?;
        let options = ClientOptions {
            max_retries: opts.max_retries.unwrap_or(2),
            seed: js_sys::Math::random().to_bits(),
            typical_job_ms: opts
                .typical_job_ms
                .filter(|ms| *ms > 0.0)
                .map(|ms| ms as u64),
        };
        Ok(LumaClient {
            provider: Provider::new(kind, key, opts.base_url.as_deref()),
            fetch,
            timeout_ms: opts.timeout_ms.filter(|t| *t > 0.0),
            options,
            known: Rc::default(),
        })
    }

    fn call(&self, wait: &JsValue) -> Call {
        self.call_with_signal(wait, prop(wait, "signal"))
    }

    fn call_with_signal(&self, wait: &JsValue, signal: Option<JsValue>) -> Call {
        let transport = FetchTransport {
            fetch: self.fetch.clone(),
            timeout_ms: self.timeout_ms,
            signal: signal.clone(),
        };
        let client = Client::with_known(
            self.provider.clone(),
            transport,
            JsTimer,
            self.options.clone(),
            self.known.clone(),
        );
        let deadline_ms = prop(wait, "timeoutMs")
            .and_then(|t| t.as_f64())
            .map(|t| (js_sys::Date::now() + t.max(0.0)) as u64);
        let on_progress = prop(wait, "onProgress").and_then(|f| f.dyn_into::<Function>().ok());
        Call {
            client,
            signal,
            deadline_ms,
            on_progress,
        }
    }

    /// Starts a generation. Resolves with it as first answered (usually `queued`).
    pub fn generate(&self, request: JsValue) -> Promise {
        let kind = self.provider.kind;
        let call = self.call(&JsValue::UNDEFINED);
        run(call.signal.clone(), kind, async move {
            let req: GenerateRequest = from_js(&request).map_err(|e| request_error(kind, e))?;
            call.client.generate(&req).await.map(|g| to_js(&g))
        })
    }

    /// Extends a completed generation forward (append) or backward (prepend).
    pub fn extend(&self, request: JsValue) -> Promise {
        let kind = self.provider.kind;
        let call = self.call(&JsValue::UNDEFINED);
        run(call.signal.clone(), kind, async move {
            let req: ExtendRequest = from_js(&request).map_err(|e| request_error(kind, e))?;
            call.client.extend(&req).await.map(|g| to_js(&g))
        })
    }

    pub fn get(&self, id: String) -> Promise {
        let call = self.call(&JsValue::UNDEFINED);
        run(None, self.provider.kind, async move {
            call.client.get(&id).await.map(|g| to_js(&g))
        })
    }

    #[wasm_bindgen(js_name = getMany)]
    pub fn get_many(&self, ids: Vec<String>) -> Promise {
        let call = self.call(&JsValue::UNDEFINED);
        run(None, self.provider.kind, async move {
            call.client.get_many(&ids).await.map(|g| list(&g))
        })
    }

    /// Resolves when completed; rejects `generation_failed`, `timeout` or `aborted`.
    pub fn wait(&self, id: String, options: JsValue) -> Promise {
        let call = self.call(&options);
        run(call.signal.clone(), self.provider.kind, async move {
            let opts = WaitOptions {
                deadline_ms: call.deadline_ms,
                seed: None,
            };
            let mut notify = progress(call.on_progress);
            call.client
                .wait(&id, opts, &mut notify)
                .await
                .map(|g| to_js(&g))
        })
    }

    #[wasm_bindgen(js_name = waitAll)]
    pub fn wait_all(&self, ids: Vec<String>, options: JsValue) -> Promise {
        let call = self.call(&options);
        run(call.signal.clone(), self.provider.kind, async move {
            let opts = WaitOptions {
                deadline_ms: call.deadline_ms,
                seed: None,
            };
            let mut notify = progress(call.on_progress);
            call.client
                .wait_all(&ids, opts, &mut notify)
                .await
                .map(|g| list(&g))
        })
    }
}

#[wasm_bindgen]
impl LumaClient {
    /// Every state change of `id` as an async iterator, ending after the terminal one. A
    /// failed generation is yielded, not thrown; network errors, timeouts and aborts are thrown.
    pub fn watch(&self, id: String, options: JsValue) -> Result<Watch, JsValue> {
        let kind = self.provider.kind;
        let (stop, own_signal) = abort_controller()
            .ok_or_else(|| invalid(kind, "AbortController is not available".into()))?;
        let signal = match prop(&options, "signal") {
            Some(user) => any_signal(&user, &own_signal).unwrap_or(own_signal),
            None => own_signal,
        };
        let call = self.call_with_signal(&options, Some(signal.clone()));
        let (watch, feed) = Watch::new(stop);
        wasm_bindgen_futures::spawn_local(async move {
            let opts = WaitOptions {
                deadline_ms: call.deadline_ms,
                seed: None,
            };
            let mut user = progress(call.on_progress);
            let sink = feed.clone();
            let mut notify = move |g: &Generation| {
                user(g);
                sink.push(Ok(to_js(g)));
            };
            let outcome = guarded(Some(signal), kind, async {
                call.client
                    .wait(&id, opts, &mut notify)
                    .await
                    .map(|g| to_js(&g))
            })
            .await;
            if let Err(e) = outcome {
                if e.code != ErrorCode::GenerationFailed {
                    feed.push(Err(js_error(&e)));
                }
            }
            feed.finish();
        });
        Ok(watch)
    }
}

/// A fresh AbortController's `abort` (bound) and its signal.
fn abort_controller() -> Option<(Function, JsValue)> {
    let ctor = prop(&js_sys::global(), "AbortController")?
        .dyn_into::<Function>()
        .ok()?;
    let controller = js_sys::Reflect::construct(&ctor, &Array::new()).ok()?;
    let abort = prop(&controller, "abort")?
        .dyn_into::<Function>()
        .ok()?
        .bind0(&controller);
    Some((abort, prop(&controller, "signal")?))
}

/// `AbortSignal.any([a, b])`, where the runtime has it.
fn any_signal(a: &JsValue, b: &JsValue) -> Option<JsValue> {
    let class = prop(&js_sys::global(), "AbortSignal")?;
    let any = prop(&class, "any")?.dyn_into::<Function>().ok()?;
    any.call1(&class, &Array::of2(a, b)).ok()
}

fn list(gs: &[Generation]) -> JsValue {
    gs.iter().map(to_js).collect::<Array>().into()
}

fn request_error(kind: ProviderKind, message: String) -> Error {
    Error::new(
        ErrorCode::InvalidRequest,
        kind,
        format!("request: {message}"),
    )
}

/// The caller's onProgress, shielded: a throwing callback must not break the wait.
fn progress(f: Option<Function>) -> impl FnMut(&Generation) {
    move |g| {
        if let Some(f) = &f {
            let _ = f.call1(&JsValue::UNDEFINED, &to_js(g));
        }
    }
}

/// Runs `work` until it ends or `signal` fires, whichever comes first; an abort drops `work`,
/// which clears its timers.
async fn guarded<F>(signal: Option<JsValue>, kind: ProviderKind, work: F) -> Result<JsValue, Error>
where
    F: std::future::Future<Output = Result<JsValue, Error>>,
{
    match signal {
        None => work.await,
        Some(s) => match race(work, Aborted::new(s).wait()).await {
            Either::Left(r) => r,
            Either::Right(()) => Err(Error::new(
                ErrorCode::Aborted,
                kind,
                "aborted by the caller's signal",
            )),
        },
    }
}

/// A call as a Promise that rejects with a `LumaError`, `aborted` the moment `signal` fires.
fn run<F>(signal: Option<JsValue>, kind: ProviderKind, work: F) -> Promise
where
    F: std::future::Future<Output = Result<JsValue, Error>> + 'static,
{
    future_to_promise(async move { guarded(signal, kind, work).await.map_err(|e| js_error(&e)) })
}
