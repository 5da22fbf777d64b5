//! Create and extend Luma Dream Machine videos through whichever provider the user pays for.
//!
//! The crate is a pure core (no I/O, no clock) plus a thin async client:
//! - [`model`]: requests, the canonical [`Generation`], states, validation.
//! - [`provider`]: each provider's wire protocol as plain HTTP data in and out.
//! - [`poll`]: when to ask again, as a state machine with time as an input.
//! - [`client`]: the async client over a [`client::Transport`], with one retry rule.
//! - `web` (wasm32): the client on gloo-net and the platform's timers, for Rust wasm apps.
//! - `wasm` (wasm32): the npm package's JS boundary, a thin adapter over `web`.
//! - `webhook` (feature `webhooks`): Standard Webhooks signing and verification, and APIFRAME's
//!   shared secret.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod client;
pub mod error;
#[cfg(feature = "gateway")]
pub mod gateway;
pub mod model;
pub mod poll;
pub mod provider;
#[cfg(target_arch = "wasm32")]
pub mod wasm;
#[cfg(target_arch = "wasm32")]
pub mod web;
#[cfg(feature = "webhooks")]
pub mod webhook;

pub use error::{Error, ErrorCode};
pub use model::{
    AspectRatio, Direction, ExtendRequest, GenerateRequest, Generation, Issue, Keyframe, Keyframes,
    State,
};
pub use provider::{Provider, ProviderKind};
