//! A Luma create body, as any Luma client sends it, turned into the request for the upstream:
//! gateway ids in keyframes become upstream ids, and extension patterns become extensions.

use serde::Deserialize;

use super::Reject;
use crate::model::{AspectRatio, Concept, GenerateRequest, Issue, Keyframe, Keyframes};
pub use crate::provider::gateway::{Upstream as UpstreamRequest, UpstreamRules};

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
    /// Forwarded where the upstream has concepts (luma), refused elsewhere.
    concepts: Option<Vec<Concept>>,
}

/// A create body, translated for the upstream.
#[derive(Debug)]
pub struct Translated {
    pub request: UpstreamRequest,
    /// The caller's generation the body names, if any.
    pub parent: Option<String>,
    /// What the gateway stores and echoes as the generation's `request`.
    pub echo: serde_json::Value,
}

/// Parses once, maps ids with `upstream_id_of` (gateway id → upstream id, for the caller's own
/// generations only) and checks against the upstream's rules before anything is sent.
pub fn upstream_request(
    body: &[u8],
    max_bytes: usize,
    upstream: &UpstreamRules,
    upstream_id_of: impl Fn(&str) -> Option<String>,
) -> Result<Translated, Reject> {
    if body.len() > max_bytes {
        return Err(Reject::new(
            413,
            format!("The request body is over {max_bytes} bytes"),
        ));
    }
    let b: LumaBody = serde_json::from_slice(body)
        .map_err(|e| Reject::new(400, format!("Invalid request body: {e}")))?;
    if b.callback_url.is_some() {
        return Err(Reject::new(
            400,
            "callback_url is not supported through the gateway: it calls the upstream back itself; \
             subscribe to its events with APP_WEBHOOK_URL instead",
        ));
    }
    let echo = echo(&b);
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
    let request = GenerateRequest {
        prompt: b.prompt,
        aspect_ratio: b.aspect_ratio,
        loop_video: b.loop_video,
        model: b.model,
        resolution: b.resolution,
        duration: b.duration,
        keyframes: (frames.frame0.is_some() || frames.frame1.is_some()).then_some(frames),
        concepts: b.concepts,
        ..GenerateRequest::default()
    };
    let request = upstream
        .generate(request)
        .map_err(|issues| refusal(&issues))?;
    Ok(Translated {
        request,
        parent,
        echo,
    })
}

/// Every problem in one 400, each led by the field in the body's own (snake_case) spelling.
fn refusal(issues: &[Issue]) -> Reject {
    let snake = |f: &str| match f {
        "aspectRatio" => "aspect_ratio".to_string(),
        other => other.to_string(),
    };
    let parts: Vec<String> = issues
        .iter()
        .map(|i| format!("{}: {}", snake(&i.field), i.message))
        .collect();
    Reject::new(400, parts.join("; "))
}

/// What the gateway stores and echoes as the generation's `request`: the body's known fields,
/// as parsed, never the raw body (an unknown field could hold anything).
fn echo(b: &LumaBody) -> serde_json::Value {
    let mut o = serde_json::Map::new();
    let mut put = |k: &str, v: serde_json::Value| {
        if !v.is_null() {
            o.insert(k.into(), v);
        }
    };
    put("generation_type", "video".into());
    put("prompt", b.prompt.clone().into());
    put("model", b.model.clone().into());
    put(
        "aspect_ratio",
        serde_json::to_value(&b.aspect_ratio).unwrap_or_default(),
    );
    put("loop", b.loop_video.into());
    put(
        "keyframes",
        serde_json::to_value(&b.keyframes).unwrap_or_default(),
    );
    put("resolution", b.resolution.clone().into());
    put("duration", b.duration.clone().into());
    put(
        "concepts",
        serde_json::to_value(&b.concepts).unwrap_or_default(),
    );
    o.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Direction;
    use crate::provider::ProviderKind;

    const GW: &str = "0f3ea4aa-10e7-4dae-af0b-263ab4ac45f9";

    fn translate(
        kind: ProviderKind,
        body: serde_json::Value,
    ) -> Result<(UpstreamRequest, Option<String>), Reject> {
        let p = UpstreamRules::new(kind, "ray-2");
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
            .map(|t| (t.request, t.parent))
    }

    #[test]
    fn keyframe_patterns_carry_upstream_ids_and_become_extensions_where_needed() {
        let up = "755f9bbb-d99b-4880-992b-f05244ddba61";
        // Upstreams with keyframes get the pattern itself, with the upstream's id in it.
        let back = serde_json::json!({ "model": "ray-2", "prompt": "before", "resolution": "720p", "keyframes": { "frame1": { "type": "generation", "id": GW } } });
        match translate(ProviderKind::Aimlapi, back).unwrap() {
            (UpstreamRequest::Generate(g), Some(parent)) => {
                let frame1 = g.keyframes.and_then(|k| k.frame1);
                assert_eq!(frame1, Some(Keyframe::Generation { id: up.into() }));
                assert_eq!(
                    (parent.as_str(), g.resolution.as_deref()),
                    (GW, Some("720p"))
                );
            }
            other => panic!("{other:?}"),
        }
        // The others get the extension the pattern expresses.
        let fwd = serde_json::json!({ "prompt": "after", "keyframes": { "frame0": { "type": "generation", "id": GW }, "frame1": { "type": "image", "url": "https://x.test/a.png" } } });
        match translate(ProviderKind::Apiframe, fwd).unwrap() {
            (UpstreamRequest::Extend(e), _) => assert_eq!(
                (e.generation_id.as_str(), e.direction, e.image.as_deref()),
                (
                    "task-7",
                    Some(Direction::Forward),
                    Some("https://x.test/a.png")
                )
            ),
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
        let p = UpstreamRules::new(ProviderKind::Luma, "ray-2");
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
        let ids = |id: &str| (id == GW).then(|| "755f9bbb-d99b-4880-992b-f05244ddba61".to_string());
        let rules = UpstreamRules::new(ProviderKind::Luma, "ray-2");
        let e = upstream_request(body.to_string().as_bytes(), 64 * 1024, &rules, ids)
            .unwrap()
            .echo;
        assert_eq!(e["prompt"], "A jellyfish");
        assert_eq!(e["aspect_ratio"], "16:9");
        assert_eq!(e["keyframes"]["frame0"]["id"], GW);
        assert!(e.get("junk").is_none());
        assert!(e.get("loop").is_none());
    }

    #[test]
    fn fields_it_cannot_honour_are_refused_by_name() {
        let hook =
            serde_json::json!({ "prompt": "A jellyfish", "callback_url": "https://app.test/hook" });
        for kind in [ProviderKind::Luma, ProviderKind::Apiframe] {
            let e = translate(kind, hook.clone()).unwrap_err();
            assert_eq!(e.status, 400);
            assert!(e.detail.starts_with("callback_url"), "{}", e.detail);
        }
        // Concepts go to luma as sent, and are refused by name where the upstream has none.
        let concepts =
            serde_json::json!({ "prompt": "A jellyfish", "concepts": [{ "key": "dolly_zoom" }] });
        match translate(ProviderKind::Luma, concepts.clone()).unwrap() {
            (UpstreamRequest::Generate(g), _) => assert_eq!(
                g.concepts,
                Some(vec![Concept {
                    key: "dolly_zoom".into()
                }])
            ),
            other => panic!("{other:?}"),
        }
        for kind in [
            ProviderKind::LumaAgents,
            ProviderKind::Aimlapi,
            ProviderKind::Apiframe,
            ProviderKind::Gptge,
        ] {
            let e = translate(kind, concepts.clone()).unwrap_err();
            assert!(e.detail.starts_with("concepts:"), "{kind:?}: {}", e.detail);
        }
    }

    #[test]
    fn a_model_the_upstream_does_not_make_is_refused_before_sending() {
        let asks = |kind, model: &str| {
            translate(
                kind,
                serde_json::json!({ "prompt": "A jellyfish", "model": model }),
            )
        };
        // Resellers make their one model (UPSTREAM_MODEL); it is not sent, as they take none.
        match asks(ProviderKind::Apiframe, "ray-2").unwrap() {
            (UpstreamRequest::Generate(g), _) => assert_eq!(g.model, None),
            other => panic!("{other:?}"),
        }
        for (kind, model) in [
            (ProviderKind::Apiframe, "ray-flash-2"),
            (ProviderKind::Gptge, "ray-9"),
            (ProviderKind::LumaAgents, "ray-2"),
        ] {
            let e = asks(kind, model).unwrap_err();
            assert_eq!(e.status, 400);
            assert!(
                e.detail.starts_with("model:") && e.detail.contains(model),
                "{}",
                e.detail
            );
        }
        match asks(ProviderKind::LumaAgents, "ray-3.2").unwrap() {
            (UpstreamRequest::Generate(g), _) => assert_eq!(g.model.as_deref(), Some("ray-3.2")),
            other => panic!("{other:?}"),
        }
        // Luma decides itself which names it knows: the model goes as sent.
        match asks(ProviderKind::Luma, "ray-flash-2").unwrap() {
            (UpstreamRequest::Generate(g), _) => {
                assert_eq!(g.model.as_deref(), Some("ray-flash-2"))
            }
            other => panic!("{other:?}"),
        }
        // A pattern an apiframe extension cannot carry is refused, not dropped.
        let sized = serde_json::json!({ "prompt": "more", "resolution": "720p", "keyframes": { "frame0": { "type": "generation", "id": GW } } });
        let e = translate(ProviderKind::Apiframe, sized).unwrap_err();
        assert!(e.detail.starts_with("resolution:"), "{}", e.detail);
    }
}
