//! Bounded fuzzing (proptest; `PROPTEST_CASES` sets how many inputs): no parser and no
//! validation panics on any input, and what parses keeps its id byte-for-byte.

use luma_extend::provider::HttpResponse;
use luma_extend::{ExtendRequest, GenerateRequest, Provider, ProviderKind};
use proptest::prelude::*;
use serde_json::{Map, Value};

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        prop_oneof![
            ".*",
            Just("queued".to_string()),
            Just("completed".to_string()),
            Just("failed".to_string()),
            Just("processing".to_string()),
            Just("40".to_string()),
        ]
        .prop_map(Value::String),
    ];
    let keys = prop_oneof![
        Just("id".to_string()),
        Just("task_id".to_string()),
        Just("state".to_string()),
        Just("status".to_string()),
        Just("assets".to_string()),
        Just("video".to_string()),
        Just("video_url".to_string()),
        Just("percentage".to_string()),
        Just("estimate_wait_seconds".to_string()),
        Just("failure_reason".to_string()),
        Just("generations".to_string()),
        Just("tasks".to_string()),
        Just("detail".to_string()),
        Just("errors".to_string()),
        Just("message".to_string()),
        Just("msg".to_string()),
        "[a-z_]{1,8}",
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((keys.clone(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn status() -> impl Strategy<Value = u16> {
    prop_oneof![
        Just(200u16),
        Just(201),
        Just(400),
        Just(401),
        Just(404),
        Just(429),
        Just(500),
        0u16..1000
    ]
}

fn parse_everything(body: Vec<u8>, status: u16) {
    for kind in ProviderKind::ALL {
        let p = Provider::new(kind, "k", None);
        let resp = HttpResponse::new(status, body.clone());
        if let Ok(g) = p.parse_generation(&resp) {
            assert!(!g.id.is_empty());
            if let Some(pr) = g.progress {
                assert!((0.0..=1.0).contains(&pr), "progress {pr}");
            }
        }
        let _ = p.parse_many(&resp);
        let e = p.parse_error(&resp);
        assert!(!e.message.is_empty());
    }
}

proptest! {
    #[test]
    fn parsers_survive_arbitrary_bytes(body in prop::collection::vec(any::<u8>(), 0..512), status in status()) {
        parse_everything(body, status);
    }

    #[test]
    fn parsers_survive_arbitrary_json(v in any_json(), status in status()) {
        parse_everything(serde_json::to_vec(&v).unwrap(), status);
    }

    #[test]
    fn validation_survives_arbitrary_requests(v in any_json(), prompt in ".{0,40}", url in ".{0,40}", id in ".{0,40}") {
        let mut generate = serde_json::json!({
            "prompt": prompt, "aspectRatio": url, "callbackUrl": url,
            "keyframes": { "frame0": { "type": "image", "url": url }, "frame1": { "type": "generation", "id": id } },
        });
        if let Value::Object(extra) = &v {
            for (k, x) in extra { generate[k] = x.clone(); }
        }
        let extend = serde_json::json!({ "generationId": id, "prompt": prompt, "image": url, "referenceImage": url, "direction": "backward", "loop": true });
        for kind in ProviderKind::ALL {
            let p = Provider::new(kind, "k", None);
            if let Ok(req) = serde_json::from_value::<GenerateRequest>(generate.clone()) {
                if let Err(e) = p.create(&req) {
                    prop_assert!(!e.issues.is_empty());
                    prop_assert!(e.issues.iter().all(|i| !i.field.is_empty() && !i.rule.is_empty()));
                }
            }
            if let Ok(req) = serde_json::from_value::<ExtendRequest>(extend.clone()) {
                let _ = p.extend(&req);
            }
        }
    }
}
