//! This project's gateway: the Luma protocol plus `?wait=` long-poll and `?ids=` batch get.

use crate::model::Value;

use super::http::encode_component;
use super::luma::auth;
use super::{Capabilities, HttpRequest, Method, ProviderKind};
use crate::model::{Generation, State};

pub const CAPABILITIES: Capabilities = Capabilities {
    long_poll: true,
    batch: Some((2, 50)),
    ..super::luma::CAPABILITIES
};

pub fn get(base: &str, key: &str, id: &str, wait_for: Option<State>) -> HttpRequest {
    let mut url = format!("{base}/generations/{}", encode_component(id));
    if let Some(s) = wait_for {
        url.push_str(&format!("?wait={s}"));
    }
    HttpRequest::new(Method::Get, url, auth(key))
}

pub fn get_many(base: &str, key: &str, ids: &[String]) -> HttpRequest {
    let list: Vec<String> = ids.iter().map(|id| encode_component(id)).collect();
    let url = format!("{base}/generations?ids={}", list.join(","));
    HttpRequest::new(Method::Get, url, auth(key))
}

pub fn generation(value: Value) -> Result<Generation, String> {
    super::luma::generation(ProviderKind::Gateway, value)
}

pub fn generations(value: Value) -> Result<Vec<Generation>, String> {
    super::luma::generations(ProviderKind::Gateway, value)
}
