//! Which protocol a client speaks. The protocols themselves live in `crate::provider`.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    #[default]
    Luma,
    Aimlapi,
    Apiframe,
    Gptge,
    Gateway,
}

impl ProviderKind {
    pub const ALL: [ProviderKind; 5] = [
        ProviderKind::Luma,
        ProviderKind::Aimlapi,
        ProviderKind::Apiframe,
        ProviderKind::Gptge,
        ProviderKind::Gateway,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Luma => "luma",
            ProviderKind::Aimlapi => "aimlapi",
            ProviderKind::Apiframe => "apiframe",
            ProviderKind::Gptge => "gptge",
            ProviderKind::Gateway => "gateway",
        }
    }

    pub fn parse(s: &str) -> Option<ProviderKind> {
        ProviderKind::ALL.into_iter().find(|p| p.as_str() == s)
    }
}
