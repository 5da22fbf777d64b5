//! The value sets each protocol accepts, and the rules only Luma's Agents API has. The Agents
//! facts come from the official `luma-agents` SDK's types (its `Literal`s and field docs).

use super::validate::{issue, Issue};
use super::{split_data_url, ProviderKind};
use super::{GenerateRequest, Keyframe, Keyframes};

/// The closed sets a protocol validates against.
pub(super) struct Vocabulary {
    pub aspect_ratios: &'static [&'static str],
    pub resolutions: &'static [&'static str],
    pub durations: &'static [&'static str],
    /// `None`: any model name (the server decides).
    pub models: Option<&'static [&'static str]>,
}

const DREAM_MACHINE: Vocabulary = Vocabulary {
    aspect_ratios: &super::AspectRatio::VALID,
    resolutions: &["540p", "720p", "1080p", "4k"],
    durations: &["5s", "9s"],
    models: None,
};

/// `GenerationCreateParams.aspect_ratio`, `VideoResolution`, `VideoDuration`; `ray-3.2` is the
/// only video model (`uni-1` and `uni-1-max` make images).
const AGENTS: Vocabulary = Vocabulary {
    aspect_ratios: &[
        "3:1", "2:1", "21:9", "16:9", "4:3", "3:2", "1:1", "3:4", "2:3", "9:16", "1:2", "1:3",
    ],
    resolutions: &["360p", "540p", "720p", "1080p"],
    durations: &["5s", "10s"],
    models: Some(&["ray-3.2"]),
};

pub(super) fn vocabulary(kind: ProviderKind) -> &'static Vocabulary {
    match kind {
        ProviderKind::LumaAgents => &AGENTS,
        _ => &DREAM_MACHINE,
    }
}

/// The Agents API's rules on combinations: `loop` is "not supported with duration=10s", and
/// 10 s is for frame-free requests (the SDK sets the multi-keyframe surface apart as the one that
/// "supports ... 10s durations", unlike start_frame/end_frame).
pub(super) fn check_generate(out: &mut Vec<Issue>, req: &GenerateRequest) {
    let frames = req.keyframes.clone().unwrap_or_default();
    if req.duration.as_deref() == Some("10s") {
        if req.loop_video == Some(true) {
            out.push(issue(
                "loop",
                "loop",
                "loop is not supported with duration 10s; use 5s",
            ));
        }
        if frames.frame0.is_some() || frames.frame1.is_some() {
            out.push(issue(
                "duration",
                "unsupported",
                "luma-agents does not support duration 10s with a start or end frame; use 5s",
            ));
        }
    }
    check_images(out, &frames, "keyframes.frame0.url", "keyframes.frame1.url");
}

/// An image given to an extension (its other frame).
pub(super) fn check_extend_image(out: &mut Vec<Issue>, url: &str) {
    out.extend(data_url_problem("image", url));
}

fn check_images(out: &mut Vec<Issue>, k: &Keyframes, field0: &str, field1: &str) {
    for (field, frame) in [(field0, &k.frame0), (field1, &k.frame1)] {
        if let Some(Keyframe::Image { url }) = frame {
            out.extend(data_url_problem(field, url));
        }
    }
}

/// Inline images travel as `data` + `media_type`, so a data: URL must be base64 and say it is
/// an image.
fn data_url_problem(field: &str, url: &str) -> Option<Issue> {
    if !url
        .get(..5)
        .is_some_and(|p| p.eq_ignore_ascii_case("data:"))
    {
        return None;
    }
    match split_data_url(url) {
        Some((media_type, data)) if media_type.starts_with("image/") && !data.is_empty() => None,
        _ => Some(issue(
            field,
            "url_scheme",
            "a data: URL must look like data:image/<type>;base64,<data>",
        )),
    }
}
