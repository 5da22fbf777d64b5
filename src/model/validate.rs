//! Validation against a provider's capabilities. Returns every problem at once, each naming the
//! field (as the caller spelled it, camelCase) and the rule it broke.

use serde::{Deserialize, Serialize};

use super::syntax::{check_url, is_uuid};
use super::validate_agents::{self as agents, vocabulary};
use super::{AspectRatio, Concept, Direction, ExtendRequest, GenerateRequest, Keyframe, Keyframes};
use crate::provider::{Capabilities, ProviderKind};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issue {
    pub field: String,
    /// `required`, `min_length`, `max_length`, `one_of`, `uuid`, `url_scheme`, `loop`,
    /// `unsupported`.
    pub rule: String,
    pub message: String,
}

pub(super) fn issue(field: &str, rule: &str, message: impl Into<String>) -> Issue {
    Issue {
        field: field.into(),
        rule: rule.into(),
        message: message.into(),
    }
}

fn unsupported(kind: ProviderKind, field: &str, what: &str) -> Issue {
    issue(
        field,
        "unsupported",
        format!("{} does not support {what}", kind.as_str()),
    )
}

pub fn validate_generate(req: &GenerateRequest, kind: ProviderKind) -> Vec<Issue> {
    let caps = kind.capabilities();
    let frames = req.keyframes.clone().unwrap_or_default();
    let has_image = [&frames.frame0, &frames.frame1]
        .iter()
        .any(|f| matches!(f, Some(Keyframe::Image { .. })));
    let mut out = Vec::new();
    check_prompt(
        &mut out,
        req.prompt.as_deref(),
        caps.prompt_always_required || !has_image,
        caps,
    );
    check_aspect(&mut out, kind, req.aspect_ratio.as_ref());
    if let Some(k) = &req.keyframes {
        check_keyframes(&mut out, k, kind, req.loop_video == Some(true));
    }
    let words = vocabulary(kind);
    check_luma_only(&mut out, kind, "model", req.model.as_deref(), words.models);
    let closed = [
        ("resolution", req.resolution.as_deref(), words.resolutions),
        ("duration", req.duration.as_deref(), words.durations),
    ];
    for (field, value, allowed) in closed {
        check_luma_only(&mut out, kind, field, value, Some(allowed));
    }
    if kind == ProviderKind::LumaAgents {
        agents::check_generate(&mut out, req);
    }
    check_expand(&mut out, kind, req.expand_prompt);
    check_concepts(&mut out, kind, req.concepts.as_deref());
    check_callback(
        &mut out,
        kind,
        req.callback_url.as_deref(),
        req.callback_secret.as_deref(),
    );
    out
}

pub fn validate_extend(req: &ExtendRequest, kind: ProviderKind) -> Vec<Issue> {
    let caps = kind.capabilities();
    let mut out = Vec::new();
    if req.generation_id.trim().is_empty() {
        out.push(issue(
            "generationId",
            "required",
            "generationId is required",
        ));
    } else if caps.generation_keyframes && !is_uuid(&req.generation_id) {
        out.push(issue(
            "generationId",
            "uuid",
            format!(
                "{} puts the id in a keyframe, so it must be a UUID",
                kind.as_str()
            ),
        ));
    }
    check_prompt(&mut out, Some(&req.prompt), true, caps);
    if req.direction() == Direction::Backward && !caps.backward {
        out.push(unsupported(
            kind,
            "direction",
            "backward extension (prepending before a clip)",
        ));
    }
    if let Some(url) = &req.image {
        if caps.image_extend {
            out.extend(check_url("image", url, caps.data_urls));
            if kind == ProviderKind::LumaAgents {
                agents::check_extend_image(&mut out, url);
            }
        } else {
            out.push(unsupported(kind, "image", "extending towards an image"));
        }
    }
    if req.loop_video == Some(true) {
        if !caps.loop_on_extend {
            out.push(unsupported(kind, "loop", "loop on an extension"));
        } else if let Some(m) = loop_problem(&req.keyframes()) {
            out.push(issue("loop", "loop", m));
        }
    }
    if kind == ProviderKind::Gptge && req.aspect_ratio.is_some() {
        out.push(unsupported(
            kind,
            "aspectRatio",
            "an aspect ratio on an extension (it keeps the parent's)",
        ));
    } else {
        check_aspect(&mut out, kind, req.aspect_ratio.as_ref());
    }
    let models = vocabulary(kind).models;
    check_luma_only(&mut out, kind, "model", req.model.as_deref(), models);
    if let Some(url) = &req.reference_image {
        if kind.capabilities().generation_keyframes {
            out.push(unsupported(
                kind,
                "referenceImage",
                "a reference image; use image for the end or start frame",
            ));
        } else {
            out.extend(check_url(
                "referenceImage",
                url,
                kind.capabilities().data_urls,
            ));
        }
    }
    check_expand(&mut out, kind, req.expand_prompt);
    check_concepts(&mut out, kind, req.concepts.as_deref());
    check_callback(
        &mut out,
        kind,
        req.callback_url.as_deref(),
        req.callback_secret.as_deref(),
    );
    out
}

fn check_callback(
    out: &mut Vec<Issue>,
    kind: ProviderKind,
    url: Option<&str>,
    secret: Option<&str>,
) {
    if url.is_some() && !kind.capabilities().callbacks {
        out.push(unsupported(
            kind,
            "callbackUrl",
            "callbacks; wait or watch the generation instead",
        ));
    } else if let Some(url) = url {
        out.extend(check_url("callbackUrl", url, false));
    }
    if secret.is_some() && kind != ProviderKind::Apiframe {
        out.push(unsupported(
            kind,
            "callbackSecret",
            "a callback secret header; put a secret in callbackUrl instead",
        ));
    } else if secret.is_some() && url.is_none() {
        out.push(issue(
            "callbackSecret",
            "required",
            "callbackSecret needs a callbackUrl",
        ));
    }
}

fn check_prompt(out: &mut Vec<Issue>, prompt: Option<&str>, required: bool, caps: Capabilities) {
    let Some(p) = prompt.filter(|p| !p.trim().is_empty()) else {
        if required {
            out.push(issue("prompt", "required", "prompt is required"));
        }
        return;
    };
    if let Some((min, max)) = caps.prompt_len {
        let n = p.chars().count();
        if n < min {
            out.push(issue(
                "prompt",
                "min_length",
                format!("prompt is too short: {n} characters, minimum is {min}"),
            ));
        } else if n > max {
            out.push(issue(
                "prompt",
                "max_length",
                format!("prompt is too long: {n} characters, maximum is {max}"),
            ));
        }
    }
}

fn check_aspect(out: &mut Vec<Issue>, kind: ProviderKind, aspect: Option<&AspectRatio>) {
    let valid = vocabulary(kind).aspect_ratios;
    if let Some(s) = aspect
        .map(AspectRatio::as_str)
        .filter(|s| !valid.contains(s))
    {
        let valid = valid.join(", ");
        out.push(issue(
            "aspectRatio",
            "one_of",
            format!("`{s}` is not an aspect ratio; use one of {valid}"),
        ));
    }
}

/// Fields only the Luma-shaped protocols carry; `allowed` lists their valid values if closed.
fn check_luma_only(
    out: &mut Vec<Issue>,
    kind: ProviderKind,
    field: &str,
    value: Option<&str>,
    allowed: Option<&[&str]>,
) {
    let Some(v) = value else { return };
    if !kind.capabilities().generation_keyframes {
        out.push(unsupported(kind, field, &format!("choosing `{field}`")));
    } else if v.trim().is_empty() {
        out.push(issue(
            field,
            "required",
            format!("{field} must not be empty"),
        ));
    } else if let Some(list) = allowed.filter(|l| !l.contains(&v)) {
        out.push(issue(
            field,
            "one_of",
            format!(
                "`{v}` is not a valid {field}; use one of {}",
                list.join(", ")
            ),
        ));
    }
}

fn check_concepts(out: &mut Vec<Issue>, kind: ProviderKind, concepts: Option<&[Concept]>) {
    let Some(list) = concepts else { return };
    if !kind.capabilities().concepts {
        out.push(unsupported(kind, "concepts", "concepts"));
    } else if list.iter().any(|c| c.key.trim().is_empty()) {
        out.push(issue(
            "concepts",
            "required",
            "each concept needs a non-empty key",
        ));
    }
}

fn check_expand(out: &mut Vec<Issue>, kind: ProviderKind, expand: Option<bool>) {
    if expand.is_some() && kind.capabilities().generation_keyframes {
        out.push(unsupported(kind, "expandPrompt", "expandPrompt"));
    }
}

fn check_keyframes(out: &mut Vec<Issue>, k: &Keyframes, kind: ProviderKind, looped: bool) {
    let caps = kind.capabilities();
    if k.frame0.is_none() && k.frame1.is_none() {
        out.push(issue(
            "keyframes",
            "required",
            "No keyframes provided: give frame0, frame1 or leave keyframes out",
        ));
        return;
    }
    for (name, frame) in [("frame0", &k.frame0), ("frame1", &k.frame1)] {
        match frame {
            Some(Keyframe::Image { url }) => out.extend(check_url(
                &format!("keyframes.{name}.url"),
                url,
                caps.data_urls,
            )),
            Some(Keyframe::Generation { id }) if !caps.generation_keyframes => {
                out.push(unsupported(
                    kind,
                    &format!("keyframes.{name}"),
                    "generation keyframes; use extend",
                ));
            }
            Some(Keyframe::Generation { id }) if !is_uuid(id) => {
                out.push(issue(
                    &format!("keyframes.{name}.id"),
                    "uuid",
                    format!("`{id}` is not a UUID"),
                ));
            }
            _ => {}
        }
    }
    let is_gen = |f: &Option<Keyframe>| matches!(f, Some(Keyframe::Generation { .. }));
    let is_img = |f: &Option<Keyframe>| matches!(f, Some(Keyframe::Image { .. }));
    if caps.generation_keyframes {
        if is_gen(&k.frame0) && is_gen(&k.frame1) && !caps.interpolate {
            out.push(unsupported(
                kind,
                "keyframes",
                "interpolation between two videos",
            ));
        } else if is_gen(&k.frame1) && !is_gen(&k.frame0) && !caps.backward {
            out.push(unsupported(kind, "keyframes.frame1", "backward extension"));
        } else if (is_img(&k.frame0) && is_gen(&k.frame1) || is_gen(&k.frame0) && is_img(&k.frame1))
            && !caps.image_extend
        {
            out.push(unsupported(kind, "keyframes", "extending towards an image"));
        }
    }
    if looped {
        if let Some(m) = loop_problem(k) {
            out.push(issue("loop", "loop", m));
        }
    }
}

/// The keyframe table's loop rule, with the server's own messages.
fn loop_problem(k: &Keyframes) -> Option<&'static str> {
    use Keyframe::{Generation as G, Image as I};
    match (&k.frame0, &k.frame1) {
        (_, None) => None,
        (None, Some(G { .. })) => Some("Loop is not supported for extend reverse"),
        (Some(G { .. }), Some(I { .. })) => {
            Some("Loop is not supported for interpolate video to image")
        }
        (Some(I { .. }), Some(G { .. })) => {
            Some("Loop is not supported for interpolate image to video")
        }
        (Some(G { .. }), Some(G { .. })) => {
            Some("Loop is not supported for interpolate between two videos")
        }
        _ => Some("Loop is not supported for keyframes"),
    }
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
