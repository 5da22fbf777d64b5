//! Luma's Agents API under /v1 over real HTTP: create, get, extension both ways with videos that
//! grow, strict validation in its error shape, every failure code, faults.

mod common;

use common::{mp4_seconds, Emulator};
use serde_json::{json, Value};

fn create(e: &Emulator, body: &Value) -> common::Resp {
    e.bearer("POST", "/v1/generations", Some(&body.to_string()))
}

fn video_body(prompt: &str, video: Value) -> Value {
    json!({ "type": "video", "model": "ray-3.2", "prompt": prompt, "video": video })
}

/// Creates, then polls until the state is terminal.
fn finished(e: &Emulator, body: &Value) -> Value {
    let r = create(e, body);
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let id = r.json()["id"].as_str().unwrap().to_string();
    e.until_done(
        || {
            e.bearer("GET", &format!("/v1/generations/{id}"), None)
                .json()
        },
        |g| g["state"] == "completed" || g["state"] == "failed",
    )
}

fn seconds(e: &Emulator, g: &Value) -> f64 {
    assert_eq!(g["output"][0]["type"], "video", "{g}");
    let url = g["output"][0]["url"].as_str().unwrap();
    let r = e.call("GET", url.trim_start_matches(&e.url), &[], None);
    assert_eq!(r.header("content-type"), Some("video/mp4"));
    mp4_seconds(&r.body)
}

#[test]
fn the_generation_has_the_sdk_shape_and_processing_state() {
    let e = Emulator::with_args(&["--admin", "--job-ms", "1500"]);
    let r = create(
        &e,
        &video_body("A slow dolly shot", json!({ "duration": "5s" })),
    );
    assert_eq!(r.status, 201);
    let g = r.json();
    let keys: Vec<&str> = g.as_object().unwrap().keys().map(String::as_str).collect();
    let mut want = [
        "created_at",
        "failure_code",
        "failure_reason",
        "id",
        "model",
        "output",
        "state",
        "type",
    ];
    want.sort();
    assert_eq!(keys, want);
    assert_eq!(
        (&g["state"], &g["type"], &g["model"], &g["output"]),
        (
            &json!("queued"),
            &json!("video"),
            &json!("ray-3.2"),
            &Value::Null
        )
    );
    let id = g["id"].as_str().unwrap();
    let seen = e.until_done(
        || {
            e.bearer("GET", &format!("/v1/generations/{id}"), None)
                .json()
        },
        |g| g["state"] != "queued",
    );
    assert_eq!(
        seen["state"], "processing",
        "Dream Machine's dreaming is processing here"
    );
}

#[test]
fn extensions_grow_forward_backward_to_an_image_and_between_two() {
    let e = Emulator::start();
    let a = finished(&e, &video_body("A jellyfish", json!({})));
    let b = finished(&e, &video_body("A reef", json!({})));
    let one = seconds(&e, &a);
    assert!((one - 1.0).abs() < 0.01, "{one}");
    let (ida, idb) = (a["id"].clone(), b["id"].clone());
    let cases = [
        (
            "forward",
            json!({ "start_frame": { "generation_id": ida } }),
            2.0,
        ),
        (
            "backward",
            json!({ "end_frame": { "generation_id": ida } }),
            2.0,
        ),
        (
            "forward to an image",
            json!({ "start_frame": { "generation_id": ida }, "end_frame": { "url": "https://example.com/end.jpg" } }),
            2.0,
        ),
        (
            "interpolate",
            json!({ "start_frame": { "generation_id": ida }, "end_frame": { "generation_id": idb } }),
            3.0,
        ),
        (
            "inline image start",
            json!({ "start_frame": { "data": "iVBORw0KGgo=", "media_type": "image/png" } }),
            1.0,
        ),
    ];
    for (name, video, want) in cases {
        let g = finished(&e, &video_body(name, video));
        assert_eq!(g["state"], "completed", "{name}: {g}");
        let got = seconds(&e, &g);
        assert!((got - want).abs() < 0.01, "{name}: {got} s, want {want}");
    }
    // A chain keeps growing: extend the extension.
    let fwd = finished(
        &e,
        &video_body("more", json!({ "start_frame": { "generation_id": ida } })),
    );
    let again = finished(
        &e,
        &video_body(
            "more still",
            json!({ "start_frame": { "generation_id": fwd["id"] } }),
        ),
    );
    assert!((seconds(&e, &again) - 3.0).abs() < 0.01);
}

#[test]
fn validation_is_strict_and_answers_in_the_detail_shape() {
    let e = Emulator::with_args(&["--admin", "--job-ms", "60000"]);
    let running = create(&e, &video_body("still running", json!({}))).json()["id"].clone();
    let ok = || video_body("A cat", json!({}));
    let with = |k: &str, v: Value| {
        let mut b = ok();
        b[k] = v;
        b
    };
    let cases: Vec<(Value, u16, &str)> = vec![
        (with("bogus", json!(1)), 400, "bogus: unknown field"),
        (with("prompt", Value::Null), 400, "prompt: field required"),
        (
            json!({ "type": "video", "model": "ray-3.2" }),
            400,
            "prompt: field required",
        ),
        (with("prompt", json!("  ")), 400, "prompt"),
        (with("prompt", json!(7)), 400, "prompt: must be a string"),
        (with("aspect_ratio", json!("9:21")), 400, "aspect_ratio"),
        (with("type", json!("movie")), 400, "type"),
        (with("type", json!("image")), 400, "type=video only"),
        (with("model", json!("ray-2")), 400, "model"),
        (with("model", json!("uni-1")), 400, "use ray-3.2"),
        (with("model", Value::Null), 400, "model: field required"),
        (
            with("style", json!("manga")),
            400,
            "style: not valid for type=video",
        ),
        (
            with("web_search", json!("yes")),
            400,
            "web_search: must be a boolean",
        ),
        (
            video_body("x", json!({ "duration": "9s" })),
            400,
            "video.duration",
        ),
        (
            video_body("x", json!({ "resolution": "4k" })),
            400,
            "video.resolution",
        ),
        (
            video_body("x", json!({ "frames": 3 })),
            400,
            "video.frames: unknown field",
        ),
        (
            video_body("x", json!({ "loop": "yes" })),
            400,
            "video.loop: must be a boolean",
        ),
        (video_body("x", json!({ "edit": {} })), 400, "video.edit"),
        (video_body("x", json!({ "hdr": true })), 403, "HDR"),
        (
            video_body(
                "x",
                json!({ "start_frame": { "uri": "https://a.test/x.jpg" } }),
            ),
            400,
            "video.start_frame.uri: unknown field",
        ),
        (
            video_body("x", json!({ "loop": true, "duration": "10s" })),
            422,
            "video.loop: not supported with duration=10s",
        ),
        (
            video_body(
                "x",
                json!({ "duration": "10s", "start_frame": { "url": "https://a.test/x.jpg" } }),
            ),
            422,
            "10s",
        ),
        (
            video_body(
                "x",
                json!({ "loop": true, "end_frame": { "url": "https://a.test/x.jpg" } }),
            ),
            422,
            "end_frame",
        ),
        (
            video_body("x", json!({ "start_frame": {} })),
            422,
            "exactly one of",
        ),
        (
            video_body(
                "x",
                json!({ "start_frame": { "url": "https://a.test/x.jpg", "generation_id": running } }),
            ),
            422,
            "exactly one of",
        ),
        (
            video_body(
                "x",
                json!({ "start_frame": { "url": "http://a.test/x.jpg" } }),
            ),
            422,
            "https",
        ),
        (
            video_body("x", json!({ "start_frame": { "data": "iVBORw0KGgo=" } })),
            422,
            "media_type: required",
        ),
        (
            video_body(
                "x",
                json!({ "start_frame": { "data": "not base64!", "media_type": "image/png" } }),
            ),
            422,
            "base64",
        ),
        (
            video_body(
                "x",
                json!({ "start_frame": { "data": "AAAA", "media_type": "video/mp4" } }),
            ),
            422,
            "not an image type",
        ),
        (
            video_body("x", json!({ "start_frame": { "file_id": "f1" } })),
            422,
            "file f1 not found",
        ),
        (
            video_body(
                "x",
                json!({ "start_frame": { "generation_id": "7c6a9e55-3b0f-4e7e-9d41-2f1c8a0b5d10" } }),
            ),
            422,
            "not found",
        ),
        (
            video_body("x", json!({ "end_frame": { "generation_id": running } })),
            422,
            "must be completed",
        ),
    ];
    for (body, status, contains) in cases {
        let r = create(&e, &body);
        let detail = r.json()["detail"].as_str().unwrap_or_default().to_string();
        assert_eq!(r.status, status, "{body} -> {detail}");
        assert!(
            detail.contains(contains),
            "{body}: `{detail}` lacks `{contains}`"
        );
    }
    let raw = e.bearer("POST", "/v1/generations", Some("{not json"));
    assert_eq!(
        (raw.status, raw.json()["detail"].clone()),
        (400, json!("Invalid JSON body"))
    );
    // Everything above was refused before a job existed.
    assert_eq!(e.counters()["creates_accepted"], 1);
}

#[test]
fn every_failure_code_is_reachable_by_its_name_in_the_prompt() {
    let e = Emulator::start();
    let codes = [
        "content_moderated",
        "generation_failed",
        "budget_exhausted",
        "output_not_found",
        "image_too_large",
        "unsupported_format",
        "corrupt_input",
        "invalid_request",
        "rate_limited",
    ];
    for code in codes {
        let g = finished(&e, &video_body(&format!("please {code} now"), json!({})));
        assert_eq!(
            (&g["state"], &g["failure_code"]),
            (&json!("failed"), &json!(code))
        );
        assert!(!g["failure_reason"].as_str().unwrap().is_empty());
        assert_eq!(g["output"], Value::Null);
    }
    let g = finished(&e, &video_body("Contains blacklisted words", json!({})));
    assert_eq!(g["failure_code"], "content_moderated");
    let g = finished(&e, &video_body("unreadable frames", json!({})));
    assert_eq!(g["failure_code"], "corrupt_input");
    let ok = finished(&e, &video_body("A calm sea", json!({})));
    assert_eq!(
        (&ok["failure_code"], &ok["failure_reason"]),
        (&Value::Null, &Value::Null)
    );
}

#[test]
fn auth_not_found_and_faults() {
    let e = Emulator::start();
    let body = video_body("A cat", json!({})).to_string();
    for auth in [
        vec![],
        vec![("authorization", "Bearer wrong")],
        vec![("authorization", common::KEY)],
    ] {
        let r = e.call("POST", "/v1/generations", &auth, Some(&body));
        assert_eq!(
            (r.status, r.json()["detail"].clone()),
            (401, json!("Invalid API key"))
        );
    }
    let missing = e.bearer(
        "GET",
        "/v1/generations/7c6a9e55-3b0f-4e7e-9d41-2f1c8a0b5d10",
        None,
    );
    assert_eq!(
        (missing.status, missing.json()["detail"].clone()),
        (404, json!("Generation not found"))
    );
    // Another protocol's job is not a generation here.
    let luma = e.luma_completed(json!({ "model": "ray-2", "prompt": "Dream Machine" }));
    let other = e.bearer(
        "GET",
        &format!("/v1/generations/{}", luma["id"].as_str().unwrap()),
        None,
    );
    assert_eq!(other.status, 404);
    for path in ["/v1/files", "/v1/generations"] {
        assert_eq!(e.bearer("GET", path, None).status, 404, "{path}");
    }
    e.admin("faults", json!({ "rate_429": 1.0, "retry_after_s": 7 }));
    let r = create(&e, &video_body("A cat", json!({})));
    assert_eq!((r.status, r.header("retry-after")), (429, Some("7")));
    assert!(r.json()["detail"].as_str().unwrap().contains("429"));
}
