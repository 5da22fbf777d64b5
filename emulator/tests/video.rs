//! Real videos: an extension's MP4 is the parent's plus one segment, served with Range and CORS.

mod common;

use common::{mp4_media_seconds, mp4_samples, mp4_seconds, Emulator};
use serde_json::{json, Value};

fn video(e: &Emulator, g: &Value) -> Vec<u8> {
    let url = g["assets"]["video"].as_str().unwrap();
    let r = e.call("GET", url.trim_start_matches(&e.url), &[], None);
    assert_eq!(
        (r.status, r.header("content-type")),
        (200, Some("video/mp4"))
    );
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    r.body
}

#[test]
fn extensions_grow_by_one_segment_each_way() {
    let e = Emulator::start();
    let parent = e.luma_completed(json!({ "model": "ray-2", "prompt": "A jellyfish" }));
    let p = video(&e, &parent);
    let pid = parent["id"].clone();
    let fwd = video(
        &e,
        &e.luma_completed(json!({ "model": "ray-2", "prompt": "after", "keyframes": { "frame0": { "type": "generation", "id": pid } } }),
        ),
    );
    let back = video(
        &e,
        &e.luma_completed(json!({ "model": "ray-2", "prompt": "before", "keyframes": { "frame1": { "type": "generation", "id": pid } } }),
        ),
    );
    assert!((mp4_seconds(&p) - 1.0).abs() < 0.01, "{}", mp4_seconds(&p));
    for v in [&fwd, &back] {
        assert!(
            (mp4_seconds(v) - (mp4_seconds(&p) + 1.0)).abs() < 0.01,
            "parent plus one segment: {}",
            mp4_seconds(v)
        );
        assert!((mp4_media_seconds(v) - mp4_seconds(v)).abs() < 0.01);
        assert_eq!(mp4_samples(v), mp4_samples(&p) + 24);
        assert_eq!(&v[4..8], b"ftyp");
        let top: Vec<&[u8]> = top_boxes(v);
        assert_eq!(top, [&b"ftyp"[..], b"moov", b"mdat"]);
    }
    // Forward: the parent's bytes come first; backward: last.
    // (Mid-mdat bytes: each segment opens with the same encoder SEI, so the start is not unique.)
    let mdat = &p[p.windows(4).position(|w| w == b"mdat").unwrap() + 4..];
    let probe = &mdat[mdat.len() / 2..][..64];
    let find = |v: &[u8]| v.windows(64).position(|w| w == probe).unwrap();
    assert!(find(&fwd) < find(&back));
    // Decodable by a real decoder when one is installed (ffmpeg on dev machines).
    if let Ok(ffprobe) = std::process::Command::new("ffprobe")
        .arg("-version")
        .output()
    {
        if ffprobe.status.success() {
            let path =
                std::env::temp_dir().join(format!("luma-emulator-{}.mp4", std::process::id()));
            std::fs::write(&path, &fwd).unwrap();
            let out = std::process::Command::new("ffmpeg")
                .args(["-v", "error", "-i"])
                .arg(&path)
                .args(["-f", "null", "-"])
                .output()
                .unwrap();
            assert!(
                out.status.success() && out.stderr.is_empty(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

/// The types of the top-level boxes, which must cover the file exactly.
fn top_boxes(v: &[u8]) -> Vec<&[u8]> {
    let mut at = 0;
    let mut out = Vec::new();
    while at < v.len() {
        let size = u32::from_be_bytes(v[at..at + 4].try_into().unwrap()) as usize;
        out.push(&v[at + 4..at + 8]);
        at += size;
    }
    assert_eq!(at, v.len());
    out
}

#[test]
fn thumbnails_of_completed_generations() {
    let e = Emulator::start();
    let g = e.luma_completed(json!({ "model": "ray-2", "prompt": "A jellyfish" }));
    let url = g["assets"]["image"].as_str().unwrap();
    let r = e.call("GET", url.trim_start_matches(&e.url), &[], None);
    assert_eq!(
        (r.status, r.header("content-type")),
        (200, Some("image/jpeg"))
    );
    assert_eq!(&r.body[..2], [0xff, 0xd8]);
    let t = e
        .bearer(
            "POST",
            "/luma/generations",
            Some(r#"{"user_prompt":"cat dance"}"#),
        )
        .json();
    assert!(t["thumbnail"].is_null(), "none while pending");
    let id = t["id"].as_str().unwrap().to_string();
    let done = e.completed(&format!("/luma/generations/{id}"));
    assert!(done["thumbnail"].as_str().unwrap().ends_with(".jpg"));
}

#[test]
fn range_requests_and_previews() {
    let e = Emulator::start();
    let g = e.luma_completed(json!({ "model": "ray-2", "prompt": "A jellyfish" }));
    let path = g["assets"]["video"]
        .as_str()
        .unwrap()
        .trim_start_matches(&e.url)
        .to_string();
    let whole = e.call("GET", &path, &[], None).body;
    let part = e.call("GET", &path, &[("range", "bytes=10-19")], None);
    assert_eq!(part.status, 206);
    assert_eq!(part.body, whole[10..20]);
    assert_eq!(
        part.header("content-range"),
        Some(format!("bytes 10-19/{}", whole.len()).as_str())
    );
    assert_eq!(
        e.call("GET", &path, &[("range", "bytes=-5")], None).body,
        whole[whole.len() - 5..]
    );
    assert_eq!(
        e.call(
            "GET",
            &path,
            &[("range", &format!("bytes={}-", whole.len() + 5))],
            None
        )
        .status,
        416
    );
    let preflight = e.call(
        "OPTIONS",
        &path,
        &[
            ("origin", "http://127.0.0.1:1"),
            ("access-control-request-method", "GET"),
        ],
        None,
    );
    assert_eq!(preflight.status, 204);
    assert!(preflight
        .header("access-control-allow-headers")
        .unwrap()
        .contains("authorization"));
    assert_eq!(e.call("GET", "/videos/unknown.mp4", &[], None).status, 404);
}
