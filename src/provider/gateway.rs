//! This project's gateway: the Luma protocol plus `?wait=` long-poll and `?ids=` batch get.

use crate::model::{
    validate_extend, validate_generate, Direction, ExtendRequest, GenerateRequest, Generation,
    Issue, Keyframe, State, Value,
};

use super::http::encode_component;
use super::luma::{auth, body};
use super::{Capabilities, HttpRequest, Method, ProviderKind};

pub const CAPABILITIES: Capabilities = Capabilities {
    long_poll: true,
    batch: Some((2, 50)),
    ..super::luma::CAPABILITIES
};

/// A create names a model only when the caller chose one: the gateway knows its upstream's.
pub fn create(base: &str, key: &str, req: &GenerateRequest) -> HttpRequest {
    let body = body(req.model.as_deref(), req);
    HttpRequest::new(Method::Post, format!("{base}/generations/video"), auth(key)).json(body)
}

pub fn extend(base: &str, key: &str, req: &ExtendRequest) -> HttpRequest {
    create(base, key, &super::luma::as_generate(req))
}

/// The model APIFRAME and gpt.ge are taken to make unless the gateway is told otherwise
/// (`UPSTREAM_MODEL`): Luma's default video model. Neither lets a caller choose.
pub const DEFAULT_RESELLER_MODEL: &str = "ray-2";

/// What a gateway's upstream accepts (its `GET /capabilities`): the gateway refuses the rest
/// before sending, and our client, once it has read them, before it sends to the gateway.
#[derive(Clone, Debug, PartialEq)]
pub struct UpstreamRules {
    pub kind: ProviderKind,
    /// The models a create may name; `None`: any, the upstream decides.
    pub models: Option<Vec<String>>,
}

/// Where the route lives, beside `/generations`.
pub fn capabilities_request(base: &str, key: &str) -> HttpRequest {
    HttpRequest::new(Method::Get, format!("{base}/capabilities"), auth(key))
}

impl UpstreamRules {
    /// `model`: the model a reseller upstream runs (they do not let callers choose).
    pub fn new(kind: ProviderKind, model: &str) -> UpstreamRules {
        let models = match kind {
            ProviderKind::Luma | ProviderKind::Aimlapi | ProviderKind::Gateway => None,
            ProviderKind::LumaAgents => Some(vec![super::luma_agents::DEFAULT_MODEL.to_string()]),
            ProviderKind::Apiframe | ProviderKind::Gptge => Some(vec![model.to_string()]),
        };
        UpstreamRules { kind, models }
    }

    /// The body of `GET /capabilities`.
    pub fn to_value(&self) -> Value {
        let c = self.kind.capabilities();
        let models = match &self.models {
            Some(list) => Value::from(list.as_slice()),
            None => Value::Null,
        };
        Value::object([
            ("upstream", self.kind.as_str().into()),
            ("models", models),
            ("backward", c.backward.into()),
            ("interpolate", c.interpolate.into()),
            ("image_extend", c.image_extend.into()),
            ("loop_on_extend", c.loop_on_extend.into()),
            ("concepts", c.concepts.into()),
        ])
    }

    /// Read from a gateway's answer; `None` when it names no upstream this build knows.
    pub fn from_value(v: &Value) -> Option<UpstreamRules> {
        let kind = ProviderKind::parse(v.get("upstream")?.as_str()?)
            .filter(|k| *k != ProviderKind::Gateway)?;
        let models = match v.get("models")? {
            Value::Null => None,
            list => Some(
                list.as_array()?
                    .iter()
                    .map(|m| m.as_str().map(String::from))
                    .collect::<Option<Vec<_>>>()?,
            ),
        };
        Some(UpstreamRules { kind, models })
    }

    /// Checks `model` against the upstream's list, and drops it where the upstream takes none.
    fn model(&self, model: Option<String>) -> Result<Option<String>, Issue> {
        if let (Some(m), Some(list)) = (&model, &self.models) {
            if !list.contains(m) {
                return Err(Issue {
                    field: "model".into(),
                    rule: "one_of".into(),
                    message: format!(
                        "this gateway's upstream ({}) makes {} only, not `{m}`",
                        self.kind.as_str(),
                        list.join(", ")
                    ),
                });
            }
        }
        let named = self.kind.capabilities().generation_keyframes;
        Ok(model.filter(|_| named))
    }

    /// What the gateway sends upstream for a Luma-style create, or every problem with it.
    /// Upstreams without generation keyframes get the extension the pattern expresses.
    pub fn generate(&self, mut req: GenerateRequest) -> Result<Upstream, Vec<Issue>> {
        let keyframes = self.kind.capabilities().generation_keyframes;
        if let Some(ext) = as_extension(&req).filter(|_| !keyframes) {
            let lost = [("resolution", &req.resolution), ("duration", &req.duration)];
            let issues: Vec<Issue> = lost
                .into_iter()
                .filter(|(_, v)| v.is_some())
                .map(|(field, _)| Issue {
                    field: field.into(),
                    rule: "unsupported".into(),
                    message: format!("{} does not support choosing `{field}`", self.kind.as_str()),
                })
                .collect();
            return match issues.is_empty() {
                true => self.extend(ext),
                false => Err(issues),
            };
        }
        req.model = self.model(req.model).map_err(|i| vec![i])?;
        checked(validate_generate(&req, self.kind), Upstream::Generate(req))
    }

    pub fn extend(&self, mut req: ExtendRequest) -> Result<Upstream, Vec<Issue>> {
        req.model = self.model(req.model).map_err(|i| vec![i])?;
        checked(validate_extend(&req, self.kind), Upstream::Extend(req))
    }
}

fn checked(issues: Vec<Issue>, request: Upstream) -> Result<Upstream, Vec<Issue>> {
    if issues.is_empty() {
        Ok(request)
    } else {
        Err(issues)
    }
}

/// A create as the upstream gets it.
#[derive(Clone, Debug, PartialEq)]
pub enum Upstream {
    Generate(GenerateRequest),
    Extend(ExtendRequest),
}

/// A keyframe pattern with one generation end is an extension (the reverse of
/// `luma::as_generate`), so upstreams without keyframes can make it.
fn as_extension(req: &GenerateRequest) -> Option<ExtendRequest> {
    let frames = req.keyframes.clone().unwrap_or_default();
    let image = |f: &Option<Keyframe>| match f {
        Some(Keyframe::Image { url }) => Some(url.clone()),
        _ => None,
    };
    let (generation_id, direction, image) = match (&frames.frame0, &frames.frame1) {
        (Some(Keyframe::Generation { id }), other)
            if !matches!(other, Some(Keyframe::Generation { .. })) =>
        {
            (id.clone(), Direction::Forward, image(other))
        }
        (other, Some(Keyframe::Generation { id }))
            if !matches!(other, Some(Keyframe::Generation { .. })) =>
        {
            (id.clone(), Direction::Backward, image(other))
        }
        _ => return None,
    };
    Some(ExtendRequest {
        generation_id,
        prompt: req.prompt.clone().unwrap_or_default(),
        direction: Some(direction),
        image,
        aspect_ratio: req.aspect_ratio.clone(),
        loop_video: req.loop_video,
        model: req.model.clone(),
        concepts: req.concepts.clone(),
        ..ExtendRequest::default()
    })
}

pub fn get(base: &str, key: &str, id: &str, wait_for: Option<State>) -> HttpRequest {
    let mut url = format!("{base}/generations/{}", encode_component(id));
    if let Some(s) = wait_for {
        url.push_str(&format!("?wait={s}"));
    }
    HttpRequest::new(Method::Get, url, auth(key))
}

pub fn get_many(base: &str, key: &str, ids: &[String]) -> HttpRequest {
    let list: Vec<String> = ids.iter().map(|id| encode_component(id)).collect();
    let url = format!("{base}/generations?ids={}", list.join(","));
    HttpRequest::new(Method::Get, url, auth(key))
}

pub fn generation(value: Value) -> Result<Generation, String> {
    super::luma::generation(ProviderKind::Gateway, value)
}

pub fn generations(value: Value) -> Result<Vec<Generation>, String> {
    super::luma::generations(ProviderKind::Gateway, value)
}
