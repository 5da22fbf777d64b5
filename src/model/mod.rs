//! Requests, the canonical generation, states and validation. Pure: no I/O, no clock.

mod generation;
pub mod json;
mod provider_kind;
mod request;
mod state;
mod syntax;
mod time;
mod validate;
mod validate_agents;

pub use generation::Generation;
pub use json::{Map, Value};
pub use provider_kind::ProviderKind;
pub use request::{
    AspectRatio, Concept, Direction, ExtendRequest, GenerateRequest, Keyframe, Keyframes,
};
pub use state::State;
pub use syntax::{is_uuid, split_data_url};
pub use time::parse_rfc3339_ms;
pub use validate::{validate_extend, validate_generate, Issue};
