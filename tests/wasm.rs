//! The JS-facing client in a real JS engine (Node, or headless Chromium with
//! WASM_BINDGEN_USE_BROWSER=1) against the emulator at LUMA_EMULATOR_URL (build time).
#![cfg(target_arch = "wasm32")]

use js_sys::{Object, Promise, Reflect};
use luma_extend::wasm::LumaClient;
use serde_json::{json, Value};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

const EMULATOR: &str = match option_env!("LUMA_EMULATOR_URL") {
    Some(u) => u,
    None => "http://127.0.0.1:9",
};

fn js(v: Value) -> JsValue {
    js_sys::JSON::parse(&v.to_string()).unwrap()
}

fn rust(v: &JsValue) -> Value {
    serde_json::from_str(&js_sys::JSON::stringify(v).unwrap().as_string().unwrap()).unwrap()
}

fn get(v: &JsValue, k: &str) -> JsValue {
    Reflect::get(v, &k.into()).unwrap()
}

async fn fetch_json(method: &str, path: &str, body: Option<Value>) -> Value {
    let init = Object::new();
    Reflect::set(&init, &"method".into(), &method.into()).unwrap();
    if let Some(b) = body {
        Reflect::set(&init, &"body".into(), &b.to_string().into()).unwrap();
        let h = js(json!({ "content-type": "application/json" }));
        Reflect::set(&init, &"headers".into(), &h).unwrap();
    }
    let fetch: js_sys::Function = get(&js_sys::global(), "fetch").dyn_into().unwrap();
    let p: Promise = fetch
        .call2(
            &JsValue::UNDEFINED,
            &format!("{EMULATOR}{path}").into(),
            &init,
        )
        .unwrap()
        .dyn_into()
        .unwrap();
    let resp = JsFuture::from(p).await.unwrap();
    let text: Promise = get(&resp, "text")
        .dyn_into::<js_sys::Function>()
        .unwrap()
        .call0(&resp)
        .unwrap()
        .dyn_into()
        .unwrap();
    let text = JsFuture::from(text).await.unwrap().as_string().unwrap();
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Fast jobs and no faults; returns the counters before the test.
async fn reset() -> Value {
    fetch_json("POST", "/__emulator/reset", None).await;
    fetch_json(
        "POST",
        "/__emulator/config",
        Some(json!({ "job_ms": 300, "long_poll_ms": 2000 })),
    )
    .await;
    fetch_json("GET", "/__emulator/counters", None).await
}

async fn faults(f: Value) {
    fetch_json("POST", "/__emulator/faults", Some(f)).await;
}

async fn counters() -> Value {
    fetch_json("GET", "/__emulator/counters", None).await
}

fn client(provider: &str) -> LumaClient {
    let base = match provider {
        "luma" => format!("{EMULATOR}/dream-machine/v1"),
        "luma-agents" => format!("{EMULATOR}/v1"),
        _ => EMULATOR.to_string(),
    };
    LumaClient::new(js(
        json!({ "provider": provider, "apiKey": "test-key", "baseUrl": base, "maxRetries": 3, "typicalJobMs": 1000 }),
    ))
    .unwrap()
}

async fn ok(p: Promise) -> Value {
    match JsFuture::from(p).await {
        Ok(v) => rust(&v),
        Err(e) => panic!("rejected: {:?}", rust(&e)),
    }
}

async fn err(p: Promise) -> (String, JsValue) {
    let e = JsFuture::from(p).await.expect_err("expected a rejection");
    assert!(e.is_instance_of::<js_sys::Error>(), "a real Error instance");
    assert_eq!(get(&e, "name").as_string().as_deref(), Some("LumaError"));
    (get(&e, "code").as_string().unwrap(), e)
}

async fn generate_and_wait(c: &LumaClient, prompt: &str) -> Value {
    let g = ok(c.generate(
        js(json!({ "prompt": prompt, "aspectRatio": "16:9" })),
        JsValue::UNDEFINED,
    ))
    .await;
    ok(c.wait(g["id"].as_str().unwrap().into(), JsValue::UNDEFINED)).await
}

async fn generate_wait_extend(provider: &str, backward: bool) {
    reset().await;
    let c = client(provider);
    let parent = generate_and_wait(&c, "A jellyfish in the ocean").await;
    assert_eq!(parent["state"], "completed");
    assert!(parent["videoUrl"]
        .as_str()
        .unwrap()
        .starts_with("http://127.0.0.1"));
    let mut seen = Vec::new();
    let direction = if backward { "backward" } else { "forward" };
    let ext = ok(c.extend(js(
        json!({ "generationId": parent["id"], "prompt": "It swims away", "direction": direction }),
    ), JsValue::UNDEFINED))
    .await;
    let on_progress =
        wasm_bindgen::closure::Closure::<dyn FnMut(JsValue)>::new(move |g: JsValue| {
            seen.push(rust(&g)["state"].as_str().unwrap().to_string());
        });
    let opts = Object::new();
    Reflect::set(&opts, &"onProgress".into(), on_progress.as_ref()).unwrap();
    let done = ok(c.wait(ext["id"].as_str().unwrap().into(), opts.into())).await;
    assert_eq!(done["state"], "completed");
    assert_ne!(done["videoUrl"], parent["videoUrl"]);
    let both = ok(c.get_many(js(json!([parent["id"], ext["id"]])), JsValue::UNDEFINED)).await;
    assert_eq!(both[0]["id"], parent["id"]);
    assert_eq!(both[1]["id"], ext["id"]);
    assert_eq!(both[1]["state"], "completed");
}

async fn backward_is_unsupported_and_sends_nothing(provider: &str) {
    reset().await;
    let c = client(provider);
    let before = counters().await;
    let (code, e) = err(c.extend(js(json!({ "generationId": "0f3ea4aa-10e7-4dae-af0b-263ab4ac45f9", "prompt": "before", "direction": "backward" })), JsValue::UNDEFINED)).await;
    assert_eq!(code, "unsupported");
    assert_eq!(rust(&get(&e, "issues"))[0]["field"], "direction");
    assert_eq!(
        counters().await["requests"],
        before["requests"],
        "nothing was sent"
    );
}

async fn moderated_prompt_fails_with_reason(provider: &str) {
    reset().await;
    let c = client(provider);
    let g = ok(c.generate(
        js(json!({ "prompt": "a blacklisted scene" })),
        JsValue::UNDEFINED,
    ))
    .await;
    let (code, e) = err(c.wait(g["id"].as_str().unwrap().into(), JsValue::UNDEFINED)).await;
    assert_eq!(code, "generation_failed");
    let reason = rust(&get(&e, "generation"))["failureReason"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        !reason.is_empty(),
        "failure reason surfaced: {:?}",
        rust(&e)
    );
}

async fn retries_429_and_5xx(provider: &str) {
    reset().await;
    let c = client(provider);
    // Creates are retried on 429 only; reads on 429 and 5xx. Faults are seeded and this
    // sequence of requests is fixed, so the same faults are injected on every run.
    faults(json!({ "seed": 7, "rate_429": 0.5, "retry_after_s": 0 })).await;
    let g = ok(c.generate(
        js(json!({ "prompt": "A jellyfish in the ocean" })),
        JsValue::UNDEFINED,
    ))
    .await;
    let id: String = g["id"].as_str().unwrap().into();
    faults(json!({ "seed": 8, "rate_429": 0.2, "retry_after_s": 0, "rate_500": 0.1, "rate_502": 0.1, "rate_503": 0.1 })).await;
    for _ in 0..6 {
        assert_eq!(
            ok(c.get(id.clone().into(), JsValue::UNDEFINED)).await["id"],
            g["id"]
        );
    }
    faults(json!({})).await;
    let done = ok(c.wait(id.into(), JsValue::UNDEFINED)).await;
    assert_eq!(done["state"], "completed");
    let n = counters().await;
    let injected: u64 = n["faults_injected"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(Value::as_u64)
        .sum();
    assert!(
        injected >= 3 && n["faults_injected"]["429"].as_u64() > Some(0),
        "{n}"
    );
    assert_eq!(n["duplicate_creates"], 0);
    assert_eq!(n["creates_accepted"], 1);
}

/// A client and a freshly created job that will not finish during the test.
async fn slow_job(provider: &str) -> (LumaClient, Value) {
    reset().await;
    fetch_json(
        "POST",
        "/__emulator/config",
        Some(json!({ "job_ms": 60000 })),
    )
    .await;
    let c = client(provider);
    let g = ok(c.generate(
        js(json!({ "prompt": "A very slow jellyfish" })),
        JsValue::UNDEFINED,
    ))
    .await;
    (c, g)
}

/// Aborts while the client sleeps between checks, and while a (slow) request is in flight.
async fn abort_during_sleep_and_request(provider: &str, long_poll: bool) {
    // Long-poll is always in a request; the first round then aborts one that holds.
    let (c, g) = slow_job(provider).await;
    for in_request in [false, true] {
        if in_request {
            faults(json!({ "seed": 1, "rate_slow": 1.0, "slow_ms": 10000 })).await;
        }
        let controller = web_abort_controller();
        let opts = Object::new();
        Reflect::set(&opts, &"signal".into(), &get(&controller, "signal")).unwrap();
        let p = c.wait(g["id"].as_str().unwrap().into(), opts.into());
        // The first check comes 200 ms after submit (typicalJobMs 1000); long-poll asks at once.
        sleep(if long_poll { 100 } else { 300 }).await;
        let aborted_at = js_sys::Date::now();
        get(&controller, "abort")
            .dyn_into::<js_sys::Function>()
            .unwrap()
            .call0(&controller)
            .unwrap();
        let (code, _) = err(p).await;
        assert_eq!(code, "aborted");
        assert!(js_sys::Date::now() - aborted_at < 500.0, "rejected at once");
    }
    faults(json!({})).await;
}

async fn deadline_rejects_with_timeout(provider: &str) {
    let (c, g) = slow_job(provider).await;
    let (code, _) = err(c.wait(
        g["id"].as_str().unwrap().into(),
        js(json!({ "timeoutMs": 400 })),
    ))
    .await;
    assert_eq!(code, "timeout");
}

fn web_abort_controller() -> JsValue {
    let ctor: js_sys::Function = get(&js_sys::global(), "AbortController")
        .dyn_into()
        .unwrap();
    Reflect::construct(&ctor, &js_sys::Array::new()).unwrap()
}

async fn sleep(ms: i32) {
    let p = Promise::new(&mut |resolve, _| {
        let set: js_sys::Function = get(&js_sys::global(), "setTimeout").dyn_into().unwrap();
        set.call2(&JsValue::UNDEFINED, &resolve, &ms.into())
            .unwrap();
    });
    JsFuture::from(p).await.unwrap();
}

macro_rules! per_provider {
    ($($name:ident: $provider:literal, backward: $back:literal;)*) => {$(
        mod $name {
            use super::*;
            #[wasm_bindgen_test]
            async fn generate_wait_extend_forward() { generate_wait_extend($provider, false).await }
            #[wasm_bindgen_test]
            async fn extend_backward() {
                if $back { generate_wait_extend($provider, true).await } else { backward_is_unsupported_and_sends_nothing($provider).await }
            }
            #[wasm_bindgen_test]
            async fn moderated_prompt() { moderated_prompt_fails_with_reason($provider).await }
            #[wasm_bindgen_test]
            async fn retries() { retries_429_and_5xx($provider).await }
            #[wasm_bindgen_test]
            async fn abort() { abort_during_sleep_and_request($provider, $provider == "aimlapi").await }
            #[wasm_bindgen_test]
            async fn deadline() { deadline_rejects_with_timeout($provider).await }
        }
    )*};
}

per_provider! {
    luma: "luma", backward: true;
    aimlapi: "aimlapi", backward: true;
    apiframe: "apiframe", backward: false;
    gptge: "gptge", backward: false;
    luma_agents: "luma-agents", backward: true;
}

#[wasm_bindgen_test]
async fn invalid_request_names_every_field_and_sends_nothing() {
    reset().await;
    let before = counters().await;
    let c = client("luma");
    let (code, e) = err(c.generate(
        js(json!({ "prompt": "hi", "aspectRatio": "19:9" })),
        JsValue::UNDEFINED,
    ))
    .await;
    assert_eq!(code, "invalid_request");
    let issues = rust(&get(&e, "issues"));
    let fields: Vec<&str> = issues
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["prompt", "aspectRatio"]);
    assert_eq!(counters().await["requests"], before["requests"]);
}

#[wasm_bindgen_test]
fn bad_options_throw_a_luma_error() {
    let e = match LumaClient::new(js(json!({ "provider": "openai", "apiKey": "k" }))) {
        Ok(_) => panic!("accepted an unknown provider"),
        Err(e) => e,
    };
    assert_eq!(
        get(&e, "code").as_string().as_deref(),
        Some("invalid_request")
    );
    assert!(get(&e, "message").as_string().unwrap().contains("openai"));
}
