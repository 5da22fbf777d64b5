use serde::{Deserialize, Serialize};

use super::{ProviderKind, State, Value};

/// The canonical, Luma-shaped view of a job on any provider. `raw` keeps the provider's own
/// JSON untouched, so nothing the adapter did not understand is lost.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Generation {
    /// Opaque, byte-for-byte as the provider gave it.
    pub id: String,
    pub provider: ProviderKind,
    pub state: State,
    /// 0..1 where the provider tells.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_url: Option<String>,
    /// A low-resolution preview while dreaming, where the protocol has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress_video_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimate_wait_seconds: Option<f64>,
    #[serde(default)]
    pub raw: Value,
}

impl Generation {
    /// A generation known only by id, as APIFRAME answers a create.
    pub fn new(id: impl Into<String>, provider: ProviderKind, state: State) -> Generation {
        Generation {
            id: id.into(),
            provider,
            state,
            progress: None,
            video_url: None,
            progress_video_url: None,
            thumbnail_url: None,
            failure_reason: None,
            created_at: None,
            estimate_wait_seconds: None,
            raw: Value::Null,
        }
    }
}
