//! Helpers for building the flat JSON bodies of APIFRAME and gptge.

use crate::model::{Keyframe, Map, Value};

pub fn insert_opt<T: Into<Value>>(b: &mut Map, key: &str, v: Option<T>) {
    if let Some(v) = v {
        b.insert(key, v.into());
    }
}

/// The URL of an image keyframe; generation keyframes have none.
pub fn image_url(frame: &Option<Keyframe>) -> Option<&str> {
    match frame {
        Some(Keyframe::Image { url }) => Some(url),
        _ => None,
    }
}
