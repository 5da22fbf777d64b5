//! The Luma protocol over real HTTP: creates, gets, lists, deletes, every validation rule.

mod common;

use common::Emulator;
use serde_json::{json, Value};

const V1: &str = "/dream-machine/v1";

fn create(e: &Emulator, body: Value) -> common::Resp {
    e.bearer(
        "POST",
        &format!("{V1}/generations/video"),
        Some(&body.to_string()),
    )
}

fn completed(e: &Emulator, prompt: &str) -> Value {
    e.luma_completed(json!({ "model": "ray-2", "prompt": prompt }))
}

#[test]
fn create_get_list_delete() {
    let e = Emulator::start();
    let r = create(
        &e,
        json!({ "model": "ray-2", "prompt": "A teddy bear in sunglasses", "aspect_ratio": "16:9", "loop": true }),
    );
    assert_eq!(r.status, 201);
    let g = r.json();
    assert_eq!(g["state"], "queued");
    assert_eq!(g["request"]["aspect_ratio"], "16:9");
    let id = g["id"].as_str().unwrap().to_string();
    let done = e.completed(&format!("{V1}/generations/{id}"));
    assert!(done["assets"]["video"]
        .as_str()
        .unwrap()
        .starts_with(&e.url));
    // The older create path takes the same body.
    assert_eq!(
        e.bearer(
            "POST",
            &format!("{V1}/generations"),
            Some(&json!({ "model": "ray-flash-2", "prompt": "Another one" }).to_string())
        )
        .status,
        201
    );
    let list = e
        .bearer("GET", &format!("{V1}/generations?limit=1&offset=0"), None)
        .json();
    assert_eq!(
        (list["count"].as_u64(), list["has_more"].as_bool()),
        (Some(1), Some(true))
    );
    assert_eq!(
        e.bearer("DELETE", &format!("{V1}/generations/{id}"), None)
            .status,
        204
    );
    assert_eq!(
        e.bearer("GET", &format!("{V1}/generations/{id}"), None)
            .status,
        404
    );
    assert_eq!(
        e.bearer("GET", &format!("{V1}/generations/{id}"), None)
            .json()["detail"],
        "Generation not found"
    );
}

#[test]
fn auth_is_a_bearer_key() {
    let e = Emulator::start();
    for auth in [
        vec![],
        vec![("authorization", "Bearer wrong")],
        vec![("authorization", common::KEY)],
    ] {
        let r = e.call("GET", &format!("{V1}/generations"), &auth, None);
        assert_eq!(r.status, 401);
        assert!(r.json()["detail"].is_string());
    }
}

#[test]
fn every_validation_rule_answers_400_with_the_services_message() {
    let e = Emulator::start();
    let parent = completed(&e, "A parent clip");
    let pid = parent["id"].as_str().unwrap();
    let img = json!({ "type": "image", "url": "https://example.com/a.png" });
    let gen = json!({ "type": "generation", "id": pid });
    let cases = [
        (json!({ "prompt": "no model" }), "Model is required"),
        (
            json!({ "model": "ray-9", "prompt": "bad model" }),
            "Invalid model",
        ),
        (json!({ "model": "ray-2" }), "Prompt is required"),
        (
            json!({ "model": "ray-2", "prompt": "hi" }),
            "Prompt is too short, minimum length is 3 characters",
        ),
        (
            json!({ "model": "ray-2", "prompt": "x".repeat(5001) }),
            "Prompt is too long, maximum length is 5000 characters",
        ),
        (
            json!({ "model": "ray-2", "prompt": "A jellyfish", "aspect_ratio": "19:9" }),
            "Invalid aspect ratio",
        ),
        (
            json!({ "model": "ray-2", "prompt": "A jellyfish", "keyframes": {} }),
            "No keyframes provided",
        ),
        (
            json!({ "model": "ray-2", "prompt": "back", "loop": true, "keyframes": { "frame1": gen } }),
            "Loop is not supported for extend reverse",
        ),
        (
            json!({ "model": "ray-2", "prompt": "to img", "loop": true, "keyframes": { "frame0": gen, "frame1": img } }),
            "Loop is not supported for interpolate video to image",
        ),
        (
            json!({ "model": "ray-2", "prompt": "from img", "loop": true, "keyframes": { "frame0": img, "frame1": gen } }),
            "Loop is not supported for interpolate image to video",
        ),
        (
            json!({ "model": "ray-2", "prompt": "bridge", "loop": true, "keyframes": { "frame0": gen, "frame1": gen } }),
            "Loop is not supported for interpolate between two videos",
        ),
        (
            json!({ "model": "ray-2", "prompt": "two imgs", "loop": true, "keyframes": { "frame0": img, "frame1": img } }),
            "Loop is not supported for keyframes",
        ),
        (
            json!({ "model": "ray-2", "prompt": "http img", "keyframes": { "frame0": { "type": "image", "url": "http://example.com/a.png" } } }),
            "Invalid image URL",
        ),
        (
            json!({ "model": "ray-2", "prompt": "ghost", "keyframes": { "frame0": { "type": "generation", "id": "0f3ea4aa-10e7-4dae-af0b-263ab4ac45f9" } } }),
            "not found",
        ),
        (
            json!({ "model": "ray-2", "prompt": "res", "resolution": "8k" }),
            "Invalid resolution",
        ),
    ];
    for (body, message) in cases {
        let r = create(&e, body.clone());
        assert_eq!(r.status, 400, "{body}");
        let detail = r.json()["detail"].as_str().unwrap().to_string();
        assert!(detail.contains(message), "{body}: {detail}");
    }
    // An image keyframe stands in for the prompt; loopback http is allowed.
    let ok = json!({ "model": "ray-2", "keyframes": { "frame0": { "type": "image", "url": "http://127.0.0.1:9/a.png" } } });
    assert_eq!(create(&e, ok).status, 201);
}

#[test]
fn the_parent_must_be_completed() {
    let e = Emulator::with_args(&["--admin", "--job-ms", "5000"]);
    let id = create(&e, json!({ "model": "ray-2", "prompt": "Still dreaming" })).json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = create(
        &e,
        json!({ "model": "ray-2", "prompt": "Too soon", "keyframes": { "frame0": { "type": "generation", "id": id } } }),
    );
    assert_eq!(r.status, 400);
    assert!(r.json()["detail"]
        .as_str()
        .unwrap()
        .contains("must be completed"));
}

#[test]
fn moderated_prompts_fail_after_acceptance() {
    let e = Emulator::start();
    let r = create(
        &e,
        json!({ "model": "ray-2", "prompt": "A blacklisted scene" }),
    );
    assert_eq!(r.status, 201);
    let id = r.json()["id"].as_str().unwrap().to_string();
    let g = e.until_done(
        || {
            e.bearer("GET", &format!("{V1}/generations/{id}"), None)
                .json()
        },
        |g| g["state"] == "failed" || g["state"] == "completed",
    );
    assert_eq!(
        (g["state"].as_str(), g["failure_reason"].as_str()),
        (Some("failed"), Some("Contains blacklisted words"))
    );
}

#[test]
fn chunked_bodies_and_expect_continue() {
    let e = Emulator::start();
    let body = json!({ "model": "ray-2", "prompt": "A jellyfish, sent in chunks" }).to_string();
    let (a, b) = body.split_at(10);
    let chunked = format!(
        "POST {V1}/generations/video HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {}\r\nconnection: close\r\ntransfer-encoding: chunked\r\n\r\n{:x}\r\n{a}\r\n{:x};ext=1\r\n{b}\r\n0\r\n\r\n",
        common::KEY,
        a.len(),
        b.len()
    );
    let r = e.raw(chunked.as_bytes()).unwrap();
    assert_eq!(
        (r.status, r.json()["request"]["prompt"].as_str()),
        (201, Some("A jellyfish, sent in chunks"))
    );
    let long = json!({ "model": "ray-2", "prompt": "x".repeat(2000) }).to_string();
    let expect = format!(
        "POST {V1}/generations/video HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {}\r\nconnection: close\r\nexpect: 100-continue\r\ncontent-length: {}\r\n\r\n{long}",
        common::KEY,
        long.len()
    );
    assert_eq!(e.raw(expect.as_bytes()).unwrap().status, 201);
    let bad = "POST /dream-machine/v1/generations HTTP/1.1\r\ncontent-length: many\r\n\r\n";
    assert_eq!(e.raw(bad.as_bytes()).unwrap().status, 400);
}
