//! What the gateway keeps per generation (a row in its caller's shard), and how callers see it.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::model::{Generation, State};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The gateway's own id (a UUID), the only one callers see.
    pub id: String,
    pub upstream_id: String,
    /// The caller that created it; nobody else may see it.
    pub owner: String,
    pub parent: Option<String>,
    pub created_at: String,
    /// The caller's request, echoed as Luma does.
    pub request: Value,
    /// The upstream's last answer.
    pub generation: Generation,
}

impl Record {
    pub fn state(&self) -> State {
        self.generation.state
    }

    /// Takes a fresh upstream answer if it moves the generation on; late or repeated answers
    /// that would move it back are ignored. Returns whether anything changed.
    pub fn apply(&mut self, fresh: Generation) -> bool {
        let old = &self.generation;
        if !old.state.can_move_to(fresh.state) {
            return false;
        }
        let changed = old.state != fresh.state
            || old.video_url != fresh.video_url
            || old.progress != fresh.progress;
        self.generation = Generation {
            id: self.upstream_id.clone(),
            ..fresh
        };
        changed
    }

    /// The Luma-shaped Generation, under the gateway's id, whatever the upstream.
    pub fn to_luma(&self) -> Value {
        let g = &self.generation;
        json!({
            "id": self.id,
            "generation_type": "video",
            "state": g.state.as_str(),
            "failure_reason": g.failure_reason,
            "created_at": self.created_at,
            "assets": { "video": g.video_url, "image": g.thumbnail_url, "progress_video": g.progress_video_url },
            "model": self.request.get("model").cloned().unwrap_or(json!("ray-2")),
            "request": self.request,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::ProviderKind;

    fn record() -> Record {
        Record {
            id: "gw-1".into(),
            upstream_id: "task:42".into(),
            owner: "caller".into(),
            parent: None,
            created_at: "2026-11-24T00:00:00Z".into(),
            request: json!({ "prompt": "A jellyfish" }),
            generation: Generation::new("task:42", ProviderKind::Apiframe, State::Queued),
        }
    }

    #[test]
    fn state_only_moves_forward() {
        let mut r = record();
        assert!(r.apply(Generation::new(
            "task:42",
            ProviderKind::Apiframe,
            State::Dreaming
        )));
        assert!(!r.apply(Generation::new(
            "task:42",
            ProviderKind::Apiframe,
            State::Queued
        )));
        let mut done = Generation::new("task:42", ProviderKind::Apiframe, State::Completed);
        done.video_url = Some("https://v/x.mp4".into());
        assert!(r.apply(done));
        assert!(!r.apply(Generation::new(
            "task:42",
            ProviderKind::Apiframe,
            State::Failed
        )));
        assert_eq!(r.state(), State::Completed);
    }

    #[test]
    fn callers_see_luma_shapes_under_the_gateway_id() {
        let mut r = record();
        let mut done = Generation::new("task:42", ProviderKind::Apiframe, State::Completed);
        done.video_url = Some("https://v/x.mp4".into());
        r.apply(done);
        let v = r.to_luma();
        assert_eq!(
            (
                v["id"].as_str(),
                v["state"].as_str(),
                v["assets"]["video"].as_str()
            ),
            (Some("gw-1"), Some("completed"), Some("https://v/x.mp4"))
        );
        assert!(
            !v.to_string().contains("task:42"),
            "the upstream id stays inside"
        );
        let parsed = crate::provider::luma::generation(
            ProviderKind::Gateway,
            serde_json::from_value(v).unwrap(),
        )
        .unwrap();
        assert_eq!(parsed.state, State::Completed);
    }
}
