use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Aspect ratios every protocol accepts. Anything else is kept as `Other` so that validation
/// can report it by field instead of failing to deserialize (the seed examples send `19:9`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AspectRatio {
    Square,
    Wide,
    Tall,
    Classic,
    ClassicTall,
    Cinema,
    CinemaTall,
    Other(String),
}

impl AspectRatio {
    pub const VALID: [&'static str; 7] = ["1:1", "16:9", "9:16", "4:3", "3:4", "21:9", "9:21"];

    pub fn parse(s: &str) -> AspectRatio {
        match s {
            "1:1" => AspectRatio::Square,
            "16:9" => AspectRatio::Wide,
            "9:16" => AspectRatio::Tall,
            "4:3" => AspectRatio::Classic,
            "3:4" => AspectRatio::ClassicTall,
            "21:9" => AspectRatio::Cinema,
            "9:21" => AspectRatio::CinemaTall,
            other => AspectRatio::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            AspectRatio::Square => "1:1",
            AspectRatio::Wide => "16:9",
            AspectRatio::Tall => "9:16",
            AspectRatio::Classic => "4:3",
            AspectRatio::ClassicTall => "3:4",
            AspectRatio::Cinema => "21:9",
            AspectRatio::CinemaTall => "9:21",
            AspectRatio::Other(s) => s,
        }
    }

    pub fn is_valid(&self) -> bool {
        !matches!(self, AspectRatio::Other(_))
    }
}

impl Serialize for AspectRatio {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for AspectRatio {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(AspectRatio::parse(&String::deserialize(d)?))
    }
}

/// A keyframe: an image by URL, or an earlier generation by id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Keyframe {
    Image { url: String },
    Generation { id: String },
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keyframes {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame0: Option<Keyframe>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame1: Option<Keyframe>,
}

/// One of Luma's camera concepts (`GET /generations/concepts/list` names them), e.g.
/// `{ "key": "dolly_zoom" }`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Concept {
    pub key: String,
}

/// A new generation: text to video, image to video, or an explicit keyframe pattern.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GenerateRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aspect_ratio: Option<AspectRatio>,
    #[serde(default, rename = "loop", skip_serializing_if = "Option::is_none")]
    pub loop_video: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
    /// APIFRAME only: echoed back in the `x-webhook-secret` header of its callbacks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expand_prompt: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyframes: Option<Keyframes>,
    /// Luma (and a gateway in front of it) only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concepts: Option<Vec<Concept>>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Append after the clip.
    #[default]
    Forward,
    /// Prepend before the clip.
    Backward,
}

/// Extend an existing generation forward or backward, optionally towards an image.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExtendRequest {
    pub generation_id: String,
    pub prompt: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    /// End frame for a forward extension, start frame for a backward one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// APIFRAME and gptge only: a reference image for the new segment (their `image_url`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aspect_ratio: Option<AspectRatio>,
    #[serde(default, rename = "loop", skip_serializing_if = "Option::is_none")]
    pub loop_video: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
    /// APIFRAME only: echoed back in the `x-webhook-secret` header of its callbacks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expand_prompt: Option<bool>,
    /// Luma (and a gateway in front of it) only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concepts: Option<Vec<Concept>>,
}

impl ExtendRequest {
    pub fn direction(&self) -> Direction {
        self.direction.unwrap_or_default()
    }

    /// The Luma keyframe pattern that expresses this extension (see protocols.md).
    pub fn keyframes(&self) -> Keyframes {
        let parent = Some(Keyframe::Generation {
            id: self.generation_id.clone(),
        });
        let image = self.image.clone().map(|url| Keyframe::Image { url });
        match self.direction() {
            Direction::Forward => Keyframes {
                frame0: parent,
                frame1: image,
            },
            Direction::Backward => Keyframes {
                frame0: image,
                frame1: parent,
            },
        }
    }
}
