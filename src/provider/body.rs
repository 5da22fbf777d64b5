//! Helpers for building the flat JSON bodies of APIFRAME and gptge.

use serde_json::{json, Map, Value};

use crate::model::Keyframe;

pub fn insert_opt<T: serde::Serialize>(b: &mut Map<String, Value>, key: &str, v: Option<T>) {
    if let Some(v) = v {
        b.insert(key.into(), json!(v));
    }
}

/// The URL of an image keyframe; generation keyframes have none.
pub fn image_url(frame: &Option<Keyframe>) -> Option<&str> {
    match frame {
        Some(Keyframe::Image { url }) => Some(url),
        _ => None,
    }
}
