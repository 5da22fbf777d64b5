//! The option bags of the JS API, read through serde-wasm-bindgen and checked against their
//! documented bounds; a wrong one is an issue naming it.

use js_sys::Function;
use serde::Deserialize;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::AbortSignal;

use super::error::invalid;
use super::values::{issue, read, read_options};
use crate::error::Error;
use crate::model::{Issue, ProviderKind};
use crate::poll::JobLengths;

/// `maxRetries` above this would let one call hammer a server for minutes.
pub const MAX_RETRIES: u32 = 10;
/// `typicalJobMs` bounds: a second to a day.
pub const TYPICAL_JOB_MS: (f64, f64) = (1_000.0, 86_400_000.0);
/// `list()` page size bounds.
pub const LIST_LIMIT: (u32, u32) = (1, 100);

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawClientOptions {
    #[serde(default)]
    provider: Option<String>,
    #[serde(default)]
    api_key: Option<String>,
    #[serde(default)]
    base_url: Option<String>,
    #[serde(default)]
    timeout_ms: Option<f64>,
    #[serde(default)]
    max_retries: Option<f64>,
    #[serde(default)]
    typical_job_ms: Option<f64>,
    #[serde(default)]
    poll_model: Option<String>,
    #[serde(default, with = "serde_wasm_bindgen::preserve")]
    fetch: JsValue,
}

/// The constructor's options, checked.
pub struct ClientConfig {
    pub kind: ProviderKind,
    pub api_key: String,
    pub base_url: Option<String>,
    pub timeout_ms: Option<f64>,
    pub max_retries: u32,
    pub typical_job_ms: Option<u64>,
    /// What an earlier client learned of job lengths (`exportPollModel()`).
    pub poll_model: JobLengths,
    pub fetch: Option<Function>,
}

impl ClientConfig {
    pub fn read(options: &JsValue) -> Result<ClientConfig, Error> {
        let fail = |issues| invalid(ProviderKind::Luma, issues);
        let raw: RawClientOptions = read(options, "options").map_err(fail)?;
        let name = raw.provider.as_deref().unwrap_or("luma");
        let Some(kind) = ProviderKind::parse(name) else {
            let names: Vec<&str> = ProviderKind::ALL.iter().map(|k| k.as_str()).collect();
            let message = format!("`{name}` is not one of {}", names.join(", "));
            return Err(fail(vec![issue("options.provider", "one_of", message)]));
        };
        let mut issues = Vec::new();
        let api_key = raw.api_key.filter(|k| !k.is_empty());
        if api_key.is_none() {
            issues.push(required("options.apiKey"));
        }
        if kind == ProviderKind::Gateway && raw.base_url.is_none() {
            let message = "options.baseUrl is required for the gateway provider".to_string();
            issues.push(issue("options.baseUrl", "required", message));
        }
        let timeout_ms = duration(raw.timeout_ms, "options.timeoutMs", &mut issues);
        let max_retries = match raw.max_retries {
            None => 2,
            Some(n) if n.fract() == 0.0 && (0.0..=MAX_RETRIES as f64).contains(&n) => n as u32,
            Some(_) => {
                let message = format!("options.maxRetries must be a whole number 0..{MAX_RETRIES}");
                issues.push(issue("options.maxRetries", "range", message));
                0
            }
        };
        let typical_job_ms = match raw.typical_job_ms {
            None => None,
            Some(ms) if (TYPICAL_JOB_MS.0..=TYPICAL_JOB_MS.1).contains(&ms) => Some(ms as u64),
            Some(_) => {
                let message = "options.typicalJobMs must be 1000..86400000 (1 s to 24 h)".into();
                issues.push(issue("options.typicalJobMs", "range", message));
                None
            }
        };
        let poll_model = match raw.poll_model.as_deref().map(JobLengths::decode) {
            None => JobLengths::new(),
            Some(Ok(model)) => model,
            Some(Err(message)) => {
                let message =
                    format!("options.pollModel is not a model exportPollModel() wrote: {message}");
                issues.push(issue("options.pollModel", "format", message));
                JobLengths::new()
            }
        };
        let fetch = function(raw.fetch, "options.fetch", &mut issues);
        if !issues.is_empty() {
            return Err(invalid(kind, issues));
        }
        Ok(ClientConfig {
            kind,
            api_key: api_key.unwrap_or_default(),
            base_url: raw.base_url,
            timeout_ms,
            max_retries,
            typical_job_ms,
            poll_model,
            fetch,
        })
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCallOptions {
    #[serde(default, with = "serde_wasm_bindgen::preserve")]
    signal: JsValue,
    #[serde(default)]
    timeout_ms: Option<f64>,
}

/// `{ signal, timeoutMs }` of generate, extend, get, getMany, list and delete.
pub struct CallOptions {
    pub signal: Option<AbortSignal>,
    /// The whole call's budget, retries included; `None` for none (or `Infinity`).
    pub timeout_ms: Option<f64>,
}

impl CallOptions {
    pub fn read(options: &JsValue) -> Result<CallOptions, Vec<Issue>> {
        let raw: RawCallOptions = read_options(options, "options")?;
        let mut issues = Vec::new();
        let call = CallOptions::check(raw.signal, raw.timeout_ms, &mut issues);
        done(call, issues)
    }

    fn check(signal: JsValue, timeout_ms: Option<f64>, issues: &mut Vec<Issue>) -> CallOptions {
        let timeout_ms = duration(timeout_ms, "options.timeoutMs", issues);
        let signal = match signal {
            s if s.is_undefined() || s.is_null() => None,
            s => match s.dyn_into::<AbortSignal>() {
                Ok(s) => Some(s),
                Err(_) => {
                    let message = "options.signal must be an AbortSignal".to_string();
                    issues.push(issue("options.signal", "type", message));
                    None
                }
            },
        };
        CallOptions { signal, timeout_ms }
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawWaitOptions {
    #[serde(default, with = "serde_wasm_bindgen::preserve")]
    signal: JsValue,
    #[serde(default)]
    timeout_ms: Option<f64>,
    #[serde(default, with = "serde_wasm_bindgen::preserve")]
    on_progress: JsValue,
}

/// `{ signal, timeoutMs, onProgress }` of wait, waitAll and watch.
pub struct WaitCallOptions {
    pub call: CallOptions,
    pub on_progress: Option<Function>,
}

impl WaitCallOptions {
    pub fn read(options: &JsValue) -> Result<WaitCallOptions, Vec<Issue>> {
        let raw: RawWaitOptions = read_options(options, "options")?;
        let mut issues = Vec::new();
        let on_progress = function(raw.on_progress, "options.onProgress", &mut issues);
        let call = CallOptions::check(raw.signal, raw.timeout_ms, &mut issues);
        done(WaitCallOptions { call, on_progress }, issues)
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawListOptions {
    #[serde(default)]
    limit: Option<f64>,
    #[serde(default)]
    offset: Option<f64>,
    #[serde(default, with = "serde_wasm_bindgen::preserve")]
    signal: JsValue,
    #[serde(default)]
    timeout_ms: Option<f64>,
}

/// `list()`'s page: `limit` 1..100 (default 10), `offset` ≥ 0 (default 0).
pub struct ListOptions {
    pub limit: u32,
    pub offset: u32,
    pub call: CallOptions,
}

impl ListOptions {
    pub fn read(options: &JsValue) -> Result<ListOptions, Vec<Issue>> {
        let raw: RawListOptions = read_options(options, "options")?;
        let mut issues = Vec::new();
        let whole = |v: f64, lo: u32, hi: u32| v.fract() == 0.0 && v >= lo as f64 && v <= hi as f64;
        let limit = raw.limit.unwrap_or(10.0);
        if !whole(limit, LIST_LIMIT.0, LIST_LIMIT.1) {
            let message = format!(
                "options.limit must be a whole number {}..{}",
                LIST_LIMIT.0, LIST_LIMIT.1
            );
            issues.push(issue("options.limit", "range", message));
        }
        let offset = raw.offset.unwrap_or(0.0);
        if !whole(offset, 0, u32::MAX) {
            let message = "options.offset must be a whole number ≥ 0".to_string();
            issues.push(issue("options.offset", "range", message));
        }
        let call = CallOptions::check(raw.signal, raw.timeout_ms, &mut issues);
        let (limit, offset) = (limit as u32, offset as u32);
        done(
            ListOptions {
                limit,
                offset,
                call,
            },
            issues,
        )
    }
}

fn done<T>(value: T, issues: Vec<Issue>) -> Result<T, Vec<Issue>> {
    if issues.is_empty() {
        Ok(value)
    } else {
        Err(issues)
    }
}

/// A duration in ms: positive; `Infinity` means none.
fn duration(value: Option<f64>, field: &str, issues: &mut Vec<Issue>) -> Option<f64> {
    match value {
        None => None,
        Some(ms) if ms == f64::INFINITY => None,
        Some(ms) if ms > 0.0 && ms.is_finite() => Some(ms),
        Some(_) => {
            let message =
                format!("{field} must be a positive number of milliseconds (Infinity for none)");
            issues.push(issue(field, "range", message));
            None
        }
    }
}

fn function(value: JsValue, field: &str, issues: &mut Vec<Issue>) -> Option<Function> {
    if value.is_undefined() || value.is_null() {
        return None;
    }
    match value.dyn_into::<Function>() {
        Ok(f) => Some(f),
        Err(_) => {
            issues.push(issue(field, "type", format!("{field} must be a function")));
            None
        }
    }
}

fn required(field: &str) -> Issue {
    issue(field, "required", format!("{field} is required"))
}
