//! gpt.ge over real HTTP: user_prompt, the extend path of the seed, estimates.

mod common;

use common::Emulator;
use serde_json::json;

#[test]
fn generate_get_extend_like_the_seed() {
    let e = Emulator::with_args(&["--admin", "--job-ms", "800"]);
    let r = e.bearer("POST", "/luma/generations", Some(&json!({ "user_prompt": "cat dance", "aspect_ratio": "16:9", "image_url": "data:image/png;base64,iVBORw0KGgo=" }).to_string()));
    assert_eq!(r.status, 200);
    let t = r.json();
    assert_eq!(
        (
            t["state"].as_str(),
            t["liked"].is_null(),
            t["video"].is_null()
        ),
        (Some("pending"), true, true)
    );
    assert!(t["estimate_wait_seconds"].as_f64().unwrap() > 0.0);
    let id = t["id"].as_str().unwrap().to_string();
    let done = e.completed(&format!("/luma/generations/{id}"));
    assert!(done["video"]["url"].as_str().unwrap().ends_with(".mp4"));
    assert!(done["estimate_wait_seconds"].is_null());
    // Seed 003's body.
    let seed = json!({ "user_prompt": "add cat", "expand_prompt": true, "image_url": "https://example.com/reference.png", "image_end_url": "https://example.com/keyframe.png", "notify_hook": "https://example.com/hook" });
    let ext = e.bearer(
        "POST",
        &format!("/luma/generations/{id}/extend"),
        Some(&seed.to_string()),
    );
    assert_eq!(ext.status, 200);
    assert_eq!(ext.json()["prompt"], "add cat");
}

#[test]
fn errors_in_gptge_shapes() {
    let e = Emulator::start();
    assert_eq!(
        e.call("GET", "/luma/generations/x", &[], None).json(),
        json!({ "detail": "Invalid token" })
    );
    let r = e.bearer("POST", "/luma/generations", Some("{}"));
    assert_eq!(
        (r.status, r.json()["detail"]["reason"].as_str()),
        (400, Some("user_prompt is required"))
    );
    assert_eq!(
        e.bearer(
            "POST",
            "/luma/generations/unknown/extend",
            Some(r#"{"user_prompt":"more"}"#)
        )
        .status,
        404
    );
    assert_eq!(
        e.bearer("GET", "/luma/generations/unknown", None).status,
        404
    );
}
