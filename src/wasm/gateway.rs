//! The gateway's decisions for the Worker's few lines of JS (see worker/src/index.js).

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Object};
use wasm_bindgen::prelude::*;

use super::js::{from_js, set, to_js};
use crate::gateway::{self, Config, Record, Reject, Route};
use crate::model::Generation;
use crate::poll::{JobKey, JobLengths};
use crate::provider::{Provider, ProviderKind};

fn reject(r: Reject) -> JsValue {
    let o = Object::new();
    set(&o, "status", &JsValue::from(r.status));
    set(&o, "detail", &JsValue::from_str(&r.detail));
    o.into()
}

/// The checked configuration, or a message naming what is missing (never a secret).
#[wasm_bindgen(js_name = gatewayConfig)]
pub fn gateway_config(env: JsValue) -> Result<JsValue, JsValue> {
    let c = Config::from_vars(|k| super::js::prop(&env, k).and_then(|v| v.as_string()))
        .map_err(|e| JsValue::from_str(&e))?;
    let o = Object::new();
    set(&o, "upstream", &JsValue::from_str(c.upstream.as_str()));
    set(
        &o,
        "baseUrl",
        &c.upstream_base_url
            .map_or(JsValue::UNDEFINED, |u| JsValue::from_str(&u)),
    );
    set(
        &o,
        "tokens",
        &c.client_tokens
            .iter()
            .map(|t| JsValue::from_str(t))
            .collect::<Array>(),
    );
    set(
        &o,
        "shards",
        &c.token_shards
            .iter()
            .map(|n| JsValue::from(*n))
            .collect::<Array>(),
    );
    set(
        &o,
        "limits",
        &c.token_limits.iter().map(to_js).collect::<Array>(),
    );
    set(&o, "upstreamModel", &JsValue::from_str(&c.upstream_model));
    set(&o, "retentionDays", &JsValue::from(c.retention_days));
    set(
        &o,
        "shardCreatesPerS",
        &JsValue::from(c.shard_creates_per_s),
    );
    set(
        &o,
        "origins",
        &c.allowed_origins
            .iter()
            .map(|t| JsValue::from_str(t))
            .collect::<Array>(),
    );
    if let Some((url, secret)) = c.app_webhook {
        set(&o, "appWebhookUrl", &JsValue::from_str(&url));
        set(&o, "appWebhookSecret", &JsValue::from_str(&secret));
    }
    Ok(o.into())
}

#[wasm_bindgen(js_name = gatewayRoute)]
pub fn gateway_route(method: &str, path: &str, search: &str) -> Result<JsValue, JsValue> {
    let query: Vec<(String, String)> = search
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect();
    let o = Object::new();
    let kind = |k: &str| set(&o, "kind", &JsValue::from_str(k));
    match gateway::route(method, path, &query).map_err(reject)? {
        Route::Healthz => kind("healthz"),
        Route::Preflight => kind("preflight"),
        Route::Capabilities => kind("capabilities"),
        Route::Create => kind("create"),
        Route::Get { id, wait } => {
            kind("get");
            set(&o, "id", &JsValue::from_str(&id));
            set(
                &o,
                "wait",
                &wait.map_or(JsValue::UNDEFINED, |s| JsValue::from_str(s.as_str())),
            );
        }
        Route::Batch { ids } => {
            kind("batch");
            set(
                &o,
                "ids",
                &ids.iter().map(|i| JsValue::from_str(i)).collect::<Array>(),
            );
        }
        Route::List { limit, offset } => {
            kind("list");
            set(&o, "limit", &JsValue::from(limit as u32));
            set(&o, "offset", &JsValue::from(offset as u32));
        }
        Route::Delete { id } => {
            kind("delete");
            set(&o, "id", &JsValue::from_str(&id));
        }
        Route::Callback { id, secret } => {
            kind("callback");
            set(&o, "id", &JsValue::from_str(&id));
            set(&o, "secret", &JsValue::from_str(&secret));
        }
    }
    Ok(o.into())
}

fn decode(s: &str) -> String {
    js_sys::decode_uri_component(&s.replace('+', " "))
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_else(|| s.to_string())
}

#[wasm_bindgen(js_name = gatewayCaller)]
/// `{id, shards, limits}`: the caller behind the bearer token, how many shards it writes to,
/// and its limits (from `gatewayConfig`'s `limits`, in the tokens' order).
pub fn gateway_caller(
    authorization: Option<String>,
    tokens: Vec<String>,
    shards: Vec<u32>,
    limits: Array,
) -> Result<JsValue, JsValue> {
    let (id, n, index) =
        gateway::caller_shards(authorization.as_deref(), &tokens, &shards).map_err(reject)?;
    let o = Object::new();
    set(&o, "id", &JsValue::from_str(&id));
    set(&o, "shards", &JsValue::from(n));
    set(&o, "limits", &limits.get(index as u32));
    Ok(o.into())
}

/// `[retryAfterSeconds, which]` when a create would pass the caller's limits, else undefined.
#[wasm_bindgen(js_name = gatewayLimitRefusal)]
pub fn gateway_limit_refusal(limits: JsValue, shards: u32, usage: Array, now_ms: f64) -> JsValue {
    let Ok(limits) = from_js::<gateway::limits::Limits>(&limits) else {
        return JsValue::UNDEFINED;
    };
    let n = |i: u32| usage.get(i).as_f64().unwrap_or(0.0) as u64;
    let seen = gateway::limits::Usage {
        minute: n(0) as u32,
        oldest_in_minute_ms: n(1),
        day: n(2) as u32,
        oldest_in_day_ms: n(3),
        running: n(4) as u32,
    };
    match gateway::limits::refuse(&limits, shards, &seen, now_ms as u64) {
        Some((wait, which)) => {
            Array::of2(&JsValue::from(wait as f64), &JsValue::from_str(which)).into()
        }
        None => JsValue::UNDEFINED,
    }
}

#[wasm_bindgen(js_name = gatewayCors)]
pub fn gateway_cors(origin: Option<String>, allowed: Vec<String>) -> JsValue {
    let pairs = gateway::cors(origin.as_deref(), &allowed);
    pairs
        .iter()
        .map(|(k, v)| Array::of2(&JsValue::from_str(k), &JsValue::from_str(v)))
        .collect::<Array>()
        .into()
}

/// The body of `GET /capabilities`: what the upstream accepts.
#[wasm_bindgen(js_name = gatewayCapabilities)]
pub fn gateway_capabilities(upstream: &str, upstream_model: &str) -> Result<String, JsValue> {
    let kind =
        ProviderKind::parse(upstream).ok_or_else(|| reject(Reject::new(500, "bad upstream")))?;
    Ok(gateway::UpstreamRules::new(kind, upstream_model)
        .to_value()
        .to_string())
}

/// `{kind: "generate" | "extend", request, parent, echo}` for the upstream, or a rejection.
/// `ids` maps the caller's gateway ids to upstream ids.
#[wasm_bindgen(js_name = gatewayTranslate)]
pub fn gateway_translate(
    body: &str,
    upstream: &str,
    ids: JsValue,
    max_bytes: u32,
    upstream_model: &str,
) -> Result<JsValue, JsValue> {
    let kind =
        ProviderKind::parse(upstream).ok_or_else(|| reject(Reject::new(500, "bad upstream")))?;
    let rules = gateway::UpstreamRules::new(kind, upstream_model);
    let lookup = |id: &str| super::js::prop(&ids, id).and_then(|v| v.as_string());
    let t = gateway::upstream_request(body.as_bytes(), max_bytes as usize, &rules, lookup)
        .map_err(reject)?;
    let o = Object::new();
    match t.request {
        gateway::UpstreamRequest::Generate(r) => {
            set(&o, "kind", &JsValue::from_str("generate"));
            set(&o, "request", &to_js(&r));
        }
        gateway::UpstreamRequest::Extend(r) => {
            set(&o, "kind", &JsValue::from_str("extend"));
            set(&o, "request", &to_js(&r));
        }
    }
    set(
        &o,
        "parent",
        &t.parent.map_or(JsValue::NULL, |p| JsValue::from_str(&p)),
    );
    set(&o, "echo", &to_js(&t.echo));
    Ok(o.into())
}

/// The gateway ids referenced by a Luma create body's keyframes, to look up before translating.
#[wasm_bindgen(js_name = gatewayKeyframeIds)]
pub fn gateway_keyframe_ids(body: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    ["frame0", "frame1"]
        .iter()
        .filter_map(|f| v.get("keyframes")?.get(f))
        .filter(|k| k.get("type").and_then(|t| t.as_str()) == Some("generation"))
        .filter_map(|k| k.get("id")?.as_str().map(String::from))
        .collect()
}

#[wasm_bindgen(js_name = recordApply)]
pub fn record_apply(record: JsValue, generation: JsValue) -> Result<JsValue, JsValue> {
    let mut r: Record = from_js(&record).map_err(|e| JsValue::from_str(&e))?;
    let g: Generation = from_js(&generation).map_err(|e| JsValue::from_str(&e))?;
    let changed = r.apply(g);
    let o = Object::new();
    set(&o, "record", &to_js(&r));
    set(&o, "changed", &JsValue::from_bool(changed));
    set(&o, "terminal", &JsValue::from_bool(r.state().is_terminal()));
    Ok(o.into())
}

#[wasm_bindgen(js_name = recordLuma)]
pub fn record_luma(record: JsValue) -> Result<JsValue, JsValue> {
    let r: Record = from_js(&record).map_err(|e| JsValue::from_str(&e))?;
    Ok(to_js(&r.to_luma()))
}

/// One step of a job's watch by its shard (see `gateway::watch_step`): `{at, saved, learned}`,
/// `at` a time (ms), or -1 (terminal: none), or -2 (past the 24-hour limit: end it as failed);
/// `saved` to pass back at the next step; `learned` `[kind, from, to]` for the gateway's model
/// when the job completed. `model`: the learned model's text, needed only without `saved`.
#[wasm_bindgen(js_name = recordWatch)]
#[allow(clippy::too_many_arguments)]
pub fn record_watch(
    record: JsValue,
    created_ms: f64,
    heard_ms: Option<f64>,
    now_ms: f64,
    typical_job_ms: Option<f64>,
    callbacks: bool,
    saved: Option<String>,
    model: Option<String>,
    observed: bool,
) -> Result<JsValue, JsValue> {
    let r: Record = from_js(&record).map_err(|e| JsValue::from_str(&e))?;
    let lengths = model.and_then(learned);
    let w = gateway::Watch {
        created_ms: created_ms as u64,
        heard_ms: heard_ms.map(|h| h as u64),
        now_ms: now_ms as u64,
        typical_job_ms: typical_job_ms.map(|t| t as u64),
        callbacks,
    };
    let step = gateway::watch_step(&r, &w, saved.as_deref(), lengths.as_deref(), observed);
    let at = match step.next {
        gateway::Next::PollAt(t) => t as f64,
        gateway::Next::Done => -1.0,
        gateway::Next::GiveUp => -2.0,
    };
    let o = Object::new();
    set(&o, "at", &JsValue::from(at));
    set(&o, "saved", &JsValue::from_str(&step.saved));
    if let Some((key, from, to)) = step.learned {
        let learned = Array::of3(
            &JsValue::from_str(&key.encode()),
            &JsValue::from(from as f64),
            &JsValue::from(to as f64),
        );
        set(&o, "learned", &learned);
    }
    Ok(o.into())
}

thread_local! {
    /// The model last read, decoded: the same text comes with every job until a job of the
    /// shard completes, and its plans are kept inside it (see `JobLengths::plan`).
    static MODEL: RefCell<Option<(String, Rc<JobLengths>)>> = const { RefCell::new(None) };
}

/// The model `text`, decoded once per text; `None` (plan cold) when it does not read: the
/// gateway's own store wrote it.
fn learned(text: String) -> Option<Rc<JobLengths>> {
    MODEL.with_borrow_mut(|cached| {
        if let Some((_, lengths)) = cached.as_ref().filter(|(t, _)| *t == text) {
            return Some(lengths.clone());
        }
        let lengths = Rc::new(JobLengths::decode(&text).ok()?);
        *cached = Some((text, lengths.clone()));
        Some(lengths)
    })
}

/// The time (ms) a running job is expected to take still, from what its last watch step
/// kept; undefined when the gateway has not learned its kind's lengths.
#[wasm_bindgen(js_name = recordExpectedRemaining)]
pub fn record_expected_remaining(saved: &str, created_ms: f64, now_ms: f64) -> Option<f64> {
    gateway::expected_remaining_ms(saved, created_ms as u64, now_ms as u64).map(|ms| ms as f64)
}

/// The learned model (`lx1;…`, or nothing yet) with completed jobs `[[kind, from, to], ...]`
/// recorded; reports that do not read are skipped (they come from the gateway's own shards).
#[wasm_bindgen(js_name = lengthsRecord)]
pub fn lengths_record(model: Option<String>, reports: JsValue) -> String {
    let mut lengths = model
        .and_then(|m| JobLengths::decode(&m).ok())
        .unwrap_or_default();
    let reports: Vec<(String, f64, f64)> = from_js(&reports).unwrap_or_default();
    for (key, from, to) in reports {
        if let Ok(key) = JobKey::decode(&key) {
            lengths.record(&key, from.max(0.0) as u64, to.max(0.0) as u64);
        }
    }
    lengths.encode()
}

/// SHA-256 of `text` as lowercase hex: an Idempotency-Key's shard and a create body's
/// fingerprint, computed in place rather than through two awaited `crypto.subtle` calls.
#[wasm_bindgen(js_name = gatewaySha256)]
pub fn gateway_sha256(text: &str) -> String {
    gateway::sha256_hex(text)
}

/// The name of the caller's shard `i`.
#[wasm_bindgen(js_name = gatewayShardName)]
pub fn gateway_shard_name(caller: &str, i: u32) -> String {
    gateway::shard_name(caller, i)
}

/// A new gateway id in `shard`, from 10 random bytes.
#[wasm_bindgen(js_name = gatewayNewId)]
pub fn gateway_new_id(shard: &str, random: &[u8]) -> Result<String, JsValue> {
    let r: &[u8; 10] = random
        .get(..10)
        .and_then(|r| r.try_into().ok())
        .ok_or_else(|| JsValue::from_str("gatewayNewId needs 10 random bytes"))?;
    Ok(gateway::new_id(shard, r))
}

/// The shard holding `id`, or undefined when it is no id of this gateway.
#[wasm_bindgen(js_name = gatewayShardOf)]
pub fn gateway_shard_of(id: &str) -> Option<String> {
    gateway::shard_of(id).map(String::from)
}

#[wasm_bindgen(js_name = gatewayCallbackSecret)]
pub fn gateway_callback_secret(key: &str, id: &str) -> String {
    gateway::callback_secret(key, id)
}

/// `{ids, has_more}`: the caller's list page from its shards' pages (`[[created_ms, id], ...]`).
#[wasm_bindgen(js_name = gatewayMerge)]
pub fn gateway_merge(pages: JsValue, offset: u32, limit: u32) -> Result<JsValue, JsValue> {
    let pages: Vec<Vec<(f64, String)>> = from_js(&pages).map_err(|e| JsValue::from_str(&e))?;
    let (ids, more) = gateway::merge(pages, offset as usize, limit as usize);
    let o = Object::new();
    set(
        &o,
        "ids",
        &ids.iter().map(|i| JsValue::from_str(i)).collect::<Array>(),
    );
    set(&o, "has_more", &JsValue::from_bool(more));
    Ok(o.into())
}

#[wasm_bindgen(js_name = secretsEqual)]
pub fn secrets_equal(a: &str, b: &str) -> bool {
    crate::webhook::constant_time_eq(a.as_bytes(), b.as_bytes())
}

/// Standard Webhooks headers for an event the gateway sends to the app.
#[wasm_bindgen(js_name = signWebhook)]
pub fn sign_webhook(
    secret: &str,
    msg_id: &str,
    timestamp_s: f64,
    body: &str,
) -> Result<JsValue, JsValue> {
    let h = crate::webhook::headers(secret, msg_id, timestamp_s as i64, body.as_bytes())
        .map_err(|e| JsValue::from_str(&e.to_string()))?;
    Ok(h.iter()
        .map(|(k, v)| Array::of2(&JsValue::from_str(k), &JsValue::from_str(v)))
        .collect::<Array>()
        .into())
}

/// The upstream's delete call (`{method, url, headers}`), where the protocol has one (luma).
#[wasm_bindgen(js_name = upstreamDeleteRequest)]
pub fn upstream_delete_request(
    upstream: &str,
    base_url: Option<String>,
    key: &str,
    id: &str,
) -> JsValue {
    match ProviderKind::parse(upstream) {
        Some(ProviderKind::Luma) => {
            let p = Provider::new(ProviderKind::Luma, key, base_url.as_deref());
            to_js(&crate::provider::luma::delete(&p.base_url, key, id))
        }
        _ => JsValue::NULL,
    }
}
