//! The JS boundary: `LumaClient`, `LumaError` (and `verifyWebhook` in builds with webhooks), as
//! thin adapters over the client on the web platform (`crate::web`). Arguments are read and
//! checked at the call, synchronously; every failure reaches JS as a `LumaError`; nothing here
//! panics or traps on anything JS can pass.

mod error;
#[cfg(feature = "gateway")]
mod gateway;
pub mod js;
mod options;
mod values;
mod watch;
#[cfg(feature = "webhooks")]
mod webhook;

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;

use js_sys::{Array, Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;
use web_sys::{AbortController, AbortSignal};

use self::error::{invalid, js_error};
use self::options::{CallOptions, ClientConfig, ListOptions, WaitCallOptions};
use self::values::{issue, read, to_js};
pub use self::watch::Watch;
use crate::client::{race, Client, ClientOptions, Either, Known, Started, Upstream, WaitOptions};
use crate::error::{Error, ErrorCode};
use crate::model::{ExtendRequest, GenerateRequest, Generation, Issue, ProviderKind};
use crate::poll::JobLengths;
use crate::provider::Provider;
use crate::web::{sleep, Aborted, FetchTransport, WebClient, WebTimer};

/// The `LumaError` class, for `instanceof` checks.
#[wasm_bindgen(js_name = lumaErrorClass)]
pub fn luma_error_class() -> JsValue {
    error::luma_error_class()
}

#[wasm_bindgen]
pub struct LumaClient {
    provider: Provider,
    fetch: Option<Function>,
    timeout_ms: Option<f64>,
    options: ClientOptions,
    known: Rc<RefCell<Known>>,
    lengths: Rc<RefCell<JobLengths>>,
    started: Rc<RefCell<Started>>,
    /// What the gateway said its upstream can make, asked once per client.
    upstream: Rc<RefCell<Upstream>>,
}

/// What one call needs after it has returned its Promise: its own client, its signal and
/// its deadline.
struct Call {
    client: WebClient,
    signal: Option<AbortSignal>,
    deadline_ms: Option<u64>,
}

#[wasm_bindgen]
impl LumaClient {
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<LumaClient, JsValue> {
        let config = ClientConfig::read(&options).map_err(|e| js_error(&e))?;
        Ok(LumaClient {
            provider: Provider::new(config.kind, config.api_key, config.base_url.as_deref()),
            fetch: config.fetch,
            timeout_ms: config.timeout_ms,
            options: ClientOptions {
                max_retries: config.max_retries,
                seed: js_sys::Math::random().to_bits(),
                typical_job_ms: config.typical_job_ms,
            },
            known: Rc::default(),
            lengths: Rc::new(RefCell::new(config.poll_model)),
            started: Rc::default(),
            upstream: Rc::default(),
        })
    }

    /// What this client has learned of how long jobs take, as text to keep (localStorage, KV)
    /// and hand to a later client as `pollModel`.
    #[wasm_bindgen(js_name = exportPollModel)]
    pub fn export_poll_model(&self) -> String {
        self.lengths.borrow().encode()
    }

    /// Starts a generation. Resolves with it as first answered (usually `queued`).
    pub fn generate(&self, request: JsValue, options: JsValue) -> Promise {
        let checked = read::<GenerateRequest>(&request, "request")
            .map_err(|issues| invalid(self.kind(), issues))
            .and_then(|req| self.provider.validate_generate(&req).map(|()| req));
        self.start(
            checked,
            CallOptions::read(&options),
            |call, req| async move { call.client.generate(&req).await.map(|g| to_js(&g)) },
        )
    }

    /// Extends a completed generation forward (append) or backward (prepend).
    pub fn extend(&self, request: JsValue, options: JsValue) -> Promise {
        let checked = read::<ExtendRequest>(&request, "request")
            .map_err(|issues| invalid(self.kind(), issues))
            .and_then(|req| self.provider.validate_extend(&req).map(|()| req));
        self.start(
            checked,
            CallOptions::read(&options),
            |call, req| async move { call.client.extend(&req).await.map(|g| to_js(&g)) },
        )
    }

    pub fn get(&self, id: JsValue, options: JsValue) -> Promise {
        let checked = self.id(&id);
        self.start(
            checked,
            CallOptions::read(&options),
            |call, id| async move { call.client.get(&id).await.map(|g| to_js(&g)) },
        )
    }

    #[wasm_bindgen(js_name = getMany)]
    pub fn get_many(&self, ids: JsValue, options: JsValue) -> Promise {
        let checked = self.ids(&ids);
        self.start(
            checked,
            CallOptions::read(&options),
            |call, ids| async move { call.client.get_many(&ids).await.map(|g| list(&g)) },
        )
    }

    /// A page of generations, newest first (luma and the gateway).
    pub fn list(&self, options: JsValue) -> Promise {
        let (page, call) = match ListOptions::read(&options) {
            Ok(o) => (Ok((o.limit, o.offset)), Ok(o.call)),
            Err(issues) => (Err(invalid(self.kind(), issues)), Err(Vec::new())),
        };
        self.start(page, call, |call, (limit, offset)| async move {
            call.client.list(limit, offset).await.map(|g| list(&g))
        })
    }

    /// Deletes a generation (luma and the gateway). Resolves with nothing.
    pub fn delete(&self, id: JsValue, options: JsValue) -> Promise {
        let checked = self.id(&id);
        self.start(
            checked,
            CallOptions::read(&options),
            |call, id| async move { call.client.delete(&id).await.map(|()| JsValue::UNDEFINED) },
        )
    }

    /// Resolves when completed; rejects `generation_failed`, `timeout` or `aborted`.
    pub fn wait(&self, id: JsValue, options: JsValue) -> Promise {
        let checked = self.id(&id);
        let (opts, on_progress) = split(WaitCallOptions::read(&options));
        self.start(checked, opts, |call, id| async move {
            let mut notify = progress(on_progress);
            let opts = wait_options(&call);
            call.client
                .wait(&id, opts, &mut notify)
                .await
                .map(|g| to_js(&g))
        })
    }

    #[wasm_bindgen(js_name = waitAll)]
    pub fn wait_all(&self, ids: JsValue, options: JsValue) -> Promise {
        let checked = self.ids(&ids);
        let (opts, on_progress) = split(WaitCallOptions::read(&options));
        self.start(checked, opts, |call, ids| async move {
            let mut notify = progress(on_progress);
            let opts = wait_options(&call);
            call.client
                .wait_all(&ids, opts, &mut notify)
                .await
                .map(|g| list(&g))
        })
    }

    /// Every state change of `id` as an async iterator, ending after the terminal one. A
    /// failed generation is yielded, not thrown; network errors, timeouts and aborts are thrown.
    pub fn watch(&self, id: JsValue, options: JsValue) -> Result<Watch, JsValue> {
        let kind = self.kind();
        let id = self.id(&id).map_err(|e| js_error(&e))?;
        let opts =
            WaitCallOptions::read(&options).map_err(|issues| js_error(&invalid(kind, issues)))?;
        let stop = AbortController::new().map_err(|_| {
            js_error(&Error::new(
                ErrorCode::InvalidRequest,
                kind,
                "no AbortController",
            ))
        })?;
        let own = stop.signal();
        let call = self.call(opts.call.signal.clone(), opts.call.timeout_ms);
        let (watch, feed) = Watch::new(stop);
        wasm_bindgen_futures::spawn_local(async move {
            let mut user = progress(opts.on_progress);
            let sink = feed.clone();
            let mut notify = move |g: &Generation| {
                user(g);
                sink.push(Ok(to_js(g)));
            };
            let work = call.client.wait(&id, wait_options(&call), &mut notify);
            let stopped = race(
                Aborted::new(call.signal.clone()).wait(),
                Aborted::new(Some(own)).wait(),
            );
            let outcome = match race(work, stopped).await {
                Either::Left(r) => r.map(|_| ()),
                Either::Right(_) => Err(aborted(kind)),
            };
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

impl LumaClient {
    fn kind(&self) -> ProviderKind {
        self.provider.kind
    }

    fn call(&self, signal: Option<AbortSignal>, timeout_ms: Option<f64>) -> Call {
        let transport = FetchTransport {
            fetch: self.fetch.clone(),
            timeout_ms: self.timeout_ms,
        };
        // Each call its own seed: its jitter, and the Idempotency-Key it mints, are its own.
        let options = ClientOptions {
            seed: js_sys::Math::random().to_bits(),
            ..self.options.clone()
        };
        let client = Client::with_known(
            self.provider.clone(),
            transport,
            WebTimer,
            options,
            self.known.clone(),
        )
        .with_learning(self.lengths.clone(), self.started.clone())
        .with_upstream(self.upstream.clone());
        let deadline_ms = timeout_ms.map(|t| (js_sys::Date::now() + t) as u64);
        Call {
            client,
            signal,
            deadline_ms,
        }
    }

    /// A non-empty string argument, or `invalid_request` naming it.
    fn id(&self, value: &JsValue) -> Result<String, Error> {
        match value.as_string() {
            Some(s) if !s.is_empty() => Ok(s),
            _ => Err(invalid(
                self.kind(),
                vec![issue("id", "type", "id must be a non-empty string".into())],
            )),
        }
    }

    /// An array of non-empty strings.
    fn ids(&self, value: &JsValue) -> Result<Vec<String>, Error> {
        let bad = || {
            let message = "ids must be an array of non-empty strings".to_string();
            invalid(self.kind(), vec![issue("ids", "type", message)])
        };
        if !Array::is_array(value) {
            return Err(bad());
        }
        Array::from(value)
            .iter()
            .map(|v| v.as_string().filter(|s| !s.is_empty()).ok_or_else(bad))
            .collect()
    }

    /// A call whose arguments and options were checked now, at the call; its work runs in a
    /// Promise, bounded by the options' signal and `timeoutMs`.
    fn start<A, F, W>(
        &self,
        checked: Result<A, Error>,
        options: Result<CallOptions, Vec<Issue>>,
        work: W,
    ) -> Promise
    where
        F: Future<Output = Result<JsValue, Error>> + 'static,
        W: FnOnce(Call, A) -> F,
    {
        let kind = self.kind();
        let options = options.map_err(|issues| invalid(kind, issues));
        match (checked, options) {
            (Ok(arg), Ok(opts)) => {
                let call = self.call(opts.signal, opts.timeout_ms);
                let (signal, deadline) = (call.signal.clone(), call.deadline_ms);
                run(kind, signal, deadline, Box::pin(work(call, arg)))
            }
            (Err(e), _) | (_, Err(e)) => Promise::reject(&js_error(&e)),
        }
    }
}

fn split(
    opts: Result<WaitCallOptions, Vec<Issue>>,
) -> (Result<CallOptions, Vec<Issue>>, Option<Function>) {
    match opts {
        Ok(o) => (Ok(o.call), o.on_progress),
        Err(issues) => (Err(issues), None),
    }
}

fn wait_options(call: &Call) -> WaitOptions {
    WaitOptions {
        deadline_ms: call.deadline_ms,
        seed: None,
    }
}

fn list(gs: &[Generation]) -> JsValue {
    gs.iter().map(to_js).collect::<Array>().into()
}

/// The caller's onProgress, shielded: a throwing callback must not break the wait.
fn progress(f: Option<Function>) -> impl FnMut(&Generation) {
    move |g| {
        if let Some(f) = &f {
            let _ = f.call1(&JsValue::UNDEFINED, &to_js(g));
        }
    }
}

fn aborted(kind: ProviderKind) -> Error {
    Error::new(ErrorCode::Aborted, kind, "aborted by the caller's signal")
}

/// The work as a Promise that rejects with a `LumaError`: `aborted` the moment `signal`
/// fires, `timeout` at `deadline_ms` (a wait reports its own deadline first, with the state it
/// saw). Either drops the work, which aborts its request in flight and clears its timers.
/// One instance for every method (boxed work), rather than one per method's future type.
type Work = std::pin::Pin<Box<dyn Future<Output = Result<JsValue, Error>>>>;

fn run(
    kind: ProviderKind,
    signal: Option<AbortSignal>,
    deadline_ms: Option<u64>,
    work: Work,
) -> Promise {
    future_to_promise(async move {
        let deadline = async {
            match deadline_ms {
                // A little after the deadline, so a wait's own timeout (with its state) wins.
                Some(at) => sleep((at + 50).saturating_sub(js_sys::Date::now() as u64)).await,
                None => std::future::pending().await,
            }
        };
        let stop = race(Aborted::new(signal).wait(), deadline);
        let outcome = match race(work, stop).await {
            Either::Left(r) => r,
            Either::Right(Either::Left(())) => Err(aborted(kind)),
            Either::Right(Either::Right(())) => Err(Error::new(
                ErrorCode::Timeout,
                kind,
                "the call did not finish within its timeoutMs",
            )),
        };
        outcome.map_err(|e| js_error(&e))
    })
}
