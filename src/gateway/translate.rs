//! A Luma create body, as any Luma client sends it, turned into the request for the upstream:
//! gateway ids in keyframes become upstream ids, and extension patterns become extensions.

use serde::Deserialize;

use super::Reject;
use crate::model::{AspectRatio, Direction, ExtendRequest, GenerateRequest, Keyframe, Keyframes};
use crate::provider::{Provider, ProviderKind};

#[derive(Clone, Debug, PartialEq)]
pub enum UpstreamRequest {
    Generate(GenerateRequest),
    Extend(ExtendRequest),
}

/// Luma's create body; unknown fields are ignored, as Luma does.
#[derive(Deserialize)]
struct LumaBody {
    prompt: Option<String>,
    model: Option<String>,
    aspect_ratio: Option<AspectRatio>,
    #[serde(rename = "loop")]
    loop_video: Option<bool>,
    keyframes: Option<Keyframes>,
    resolution: Option<String>,
    duration: Option<String>,
    /// Refused: the gateway gives the upstream its own callback URL (see APP_WEBHOOK_URL).
    callback_url: Option<serde::de::IgnoredAny>,
    /// Refused: not forwarded to any upstream yet.
    concepts: Option<serde::de::IgnoredAny>,
}

/// Parses, maps ids with `upstream_id_of` (gateway id → upstream id, for the caller's own
/// generations only) and validates for the upstream. Returns the request and the parent.
pub fn upstream_request(
    body: &[u8],
    max_bytes: usize,
    upstream: &Provider,
    upstream_id_of: impl Fn(&str) -> Option<String>,
) -> Result<(UpstreamRequest, Option<String>), Reject> {
    if body.len() > max_bytes {
        return Err(Reject::new(
            413,
            format!("The request body is over {max_bytes} bytes"),
        ));
    }
    let mut b: LumaBody = serde_json::from_slice(body)
        .map_err(|e| Reject::new(400, format!("Invalid request body: {e}")))?;
    if b.callback_url.is_some() {
        return Err(Reject::new(
            400,
            "callback_url is not supported through the gateway: it calls the upstream back itself; \
             subscribe to its events with APP_WEBHOOK_URL instead",
        ));
    }
    if b.concepts.is_some() {
        return Err(Reject::new(
            400,
            "concepts is not supported through the gateway",
        ));
    }
    // Luma clients always name a model; upstreams that pick their own just ignore it, and the
    // Agents API's one video model is not a Dream Machine name (`ray-2` means nothing there).
    if !upstream.capabilities().generation_keyframes || upstream.kind == ProviderKind::LumaAgents {
        b.model = None;
    }
    let mut frames = b.keyframes.unwrap_or_default();
    let mut parent = None;
    for frame in [&mut frames.frame0, &mut frames.frame1]
        .into_iter()
        .flatten()
    {
        if let Keyframe::Generation { id } = frame {
            let upstream = upstream_id_of(id)
                .ok_or_else(|| Reject::new(400, format!("Generation {id} not found")))?;
            parent.get_or_insert(id.clone());
            *id = upstream;
        }
    }
    let image = |f: &Option<Keyframe>| match f {
        Some(Keyframe::Image { url }) => Some(url.clone()),
        _ => None,
    };
    let extension = match (&frames.frame0, &frames.frame1) {
        (Some(Keyframe::Generation { id }), other)
            if !matches!(other, Some(Keyframe::Generation { .. })) =>
        {
            Some((id.clone(), Direction::Forward, image(other)))
        }
        (other, Some(Keyframe::Generation { id }))
            if !matches!(other, Some(Keyframe::Generation { .. })) =>
        {
            Some((id.clone(), Direction::Backward, image(other)))
        }
        _ => None,
    };
    let request = match extension {
        Some((generation_id, direction, image)) => UpstreamRequest::Extend(ExtendRequest {
            generation_id,
            prompt: b.prompt.unwrap_or_default(),
            direction: Some(direction),
            image,
            aspect_ratio: b.aspect_ratio,
            loop_video: b.loop_video,
            model: b.model,
            ..ExtendRequest::default()
        }),
        None => UpstreamRequest::Generate(GenerateRequest {
            prompt: b.prompt,
            aspect_ratio: b.aspect_ratio,
            loop_video: b.loop_video,
            model: b.model,
            resolution: b.resolution,
            duration: b.duration,
            keyframes: (frames.frame0.is_some() || frames.frame1.is_some()).then_some(frames),
            ..GenerateRequest::default()
        }),
    };
    let checked = match &request {
        UpstreamRequest::Generate(r) => upstream.validate_generate(r),
        UpstreamRequest::Extend(r) => upstream.validate_extend(r),
    };
    checked.map_err(|e| Reject::new(400, e.message))?;
    Ok((request, parent))
}

/// What the gateway stores and echoes as the generation's `request`: the body's known fields,
/// as parsed and checked, never the raw body (an unknown field could hold anything).
pub fn echo(body: &[u8]) -> serde_json::Value {
    let Ok(b) = serde_json::from_slice::<LumaBody>(body) else {
        return serde_json::Value::Null;
    };
    let mut o = serde_json::Map::new();
    let mut put = |k: &str, v: serde_json::Value| {
        if !v.is_null() {
            o.insert(k.into(), v);
        }
    };
    put("generation_type", "video".into());
    put("prompt", b.prompt.into());
    put("model", b.model.into());
    put(
        "aspect_ratio",
        serde_json::to_value(b.aspect_ratio).unwrap_or_default(),
    );
    put("loop", b.loop_video.into());
    put(
        "keyframes",
        serde_json::to_value(b.keyframes).unwrap_or_default(),
    );
    put("resolution", b.resolution.into());
    put("duration", b.duration.into());
    o.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GW: &str = "0f3ea4aa-10e7-4dae-af0b-263ab4ac45f9";

    fn translate(
        kind: ProviderKind,
        body: serde_json::Value,
    ) -> Result<(UpstreamRequest, Option<String>), Reject> {
        let p = Provider::new(kind, "k", None);
        let ids = |id: &str| {
            (id == GW).then(|| {
                if kind == ProviderKind::Apiframe {
                    "task-7".to_string()
                } else {
                    "755f9bbb-d99b-4880-992b-f05244ddba61".to_string()
                }
            })
        };
        upstream_request(body.to_string().as_bytes(), 64 * 1024, &p, ids)
    }

    #[test]
    fn keyframe_patterns_become_extensions_with_upstream_ids() {
        let back = serde_json::json!({ "model": "ray-2", "prompt": "before", "keyframes": { "frame1": { "type": "generation", "id": GW } } });
        match translate(ProviderKind::Aimlapi, back).unwrap() {
            (UpstreamRequest::Extend(e), Some(parent)) => {
                assert_eq!(
                    (e.generation_id.as_str(), e.direction, parent.as_str()),
                    (
                        "755f9bbb-d99b-4880-992b-f05244ddba61",
                        Some(Direction::Backward),
                        GW
                    )
                );
            }
            other => panic!("{other:?}"),
        }
        let fwd = serde_json::json!({ "prompt": "after", "keyframes": { "frame0": { "type": "generation", "id": GW }, "frame1": { "type": "image", "url": "https://x.test/a.png" } } });
        match translate(ProviderKind::Apiframe, fwd).unwrap() {
            (UpstreamRequest::Extend(e), _) => assert_eq!(
                (e.generation_id.as_str(), e.image.as_deref()),
                ("task-7", Some("https://x.test/a.png"))
            ),
            other => panic!("{other:?}"),
        }
        // Dream Machine's model name goes no further than the gateway for the Agents API.
        let agents_back = serde_json::json!({ "model": "ray-2", "prompt": "before", "keyframes": { "frame1": { "type": "generation", "id": GW } } });
        match translate(ProviderKind::LumaAgents, agents_back).unwrap() {
            (UpstreamRequest::Extend(e), _) => {
                assert_eq!((e.direction, e.model), (Some(Direction::Backward), None))
            }
            other => panic!("{other:?}"),
        }
        let text = serde_json::json!({ "model": "ray-2", "prompt": "A jellyfish", "aspect_ratio": "16:9", "extra": 1 });
        assert!(matches!(
            translate(ProviderKind::Gptge, text),
            Ok((UpstreamRequest::Generate(_), None))
        ));
    }

    #[test]
    fn what_the_upstream_cannot_do_is_refused_with_a_detail() {
        let back = serde_json::json!({ "prompt": "before", "keyframes": { "frame1": { "type": "generation", "id": GW } } });
        let r = translate(ProviderKind::Gptge, back).unwrap_err();
        assert_eq!(r.status, 400);
        assert!(r.detail.contains("backward"), "{}", r.detail);
        let ghost = serde_json::json!({ "prompt": "more", "keyframes": { "frame0": { "type": "generation", "id": "someone-elses" } } });
        assert_eq!(
            translate(ProviderKind::Luma, ghost).unwrap_err().detail,
            "Generation someone-elses not found"
        );
        assert_eq!(
            translate(
                ProviderKind::Luma,
                serde_json::json!({ "prompt": "x".repeat(70_000) })
            )
            .unwrap_err()
            .status,
            413
        );
        let p = Provider::new(ProviderKind::Luma, "k", None);
        assert_eq!(
            upstream_request(b"{not json", 1024, &p, |_| None)
                .unwrap_err()
                .status,
            400
        );
        assert_eq!(
            translate(
                ProviderKind::Luma,
                serde_json::json!({ "prompt": "hi", "aspect_ratio": "19:9" })
            )
            .unwrap_err()
            .status,
            400
        );
    }

    #[test]
    fn the_echo_keeps_known_fields_only() {
        let body = serde_json::json!({
            "prompt": "A jellyfish", "model": "ray-2", "aspect_ratio": "16:9", "junk": [[[1]]],
            "keyframes": { "frame0": { "type": "generation", "id": GW } },
        });
        let e = echo(body.to_string().as_bytes());
        assert_eq!(e["prompt"], "A jellyfish");
        assert_eq!(e["aspect_ratio"], "16:9");
        assert_eq!(e["keyframes"]["frame0"]["id"], GW);
        assert!(e.get("junk").is_none());
        assert!(e.get("loop").is_none());
    }

    #[test]
    fn fields_it_cannot_honour_are_refused_by_name() {
        for (field, value) in [
            ("callback_url", serde_json::json!("https://app.test/hook")),
            ("concepts", serde_json::json!([{ "key": "dolly_zoom" }])),
        ] {
            let mut body = serde_json::json!({ "prompt": "A jellyfish" });
            body[field] = value;
            for kind in [ProviderKind::Luma, ProviderKind::Apiframe] {
                let e = translate(kind, body.clone()).unwrap_err();
                assert_eq!(e.status, 400);
                assert!(e.detail.starts_with(field), "{}", e.detail);
            }
        }
    }
}
