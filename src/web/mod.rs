//! The client on the web platform, for Rust apps compiled to wasm32 (Leptos, Yew, Dioxus, a
//! Worker in Rust): gloo-net for HTTP, `setTimeout` for sleeps, `AbortSignal` for cancelling.
//! The npm package's `LumaClient` is a thin JS adapter over the same pieces (`crate::wasm`).
//!
//! ```no_run
//! use luma_extend::client::{ClientOptions, WaitOptions};
//! use luma_extend::web::WebClient;
//! use luma_extend::{GenerateRequest, Provider, ProviderKind};
//!
//! async fn make_clip(token: &str) -> Result<String, luma_extend::Error> {
//!     let provider = Provider::new(
//!         ProviderKind::Gateway,
//!         token,
//!         Some("https://gateway.example.workers.dev/dream-machine/v1"),
//!     );
//!     let client = WebClient::web(provider, ClientOptions::default());
//!     let request = GenerateRequest {
//!         prompt: Some("A jellyfish drifting through a neon reef".into()),
//!         ..Default::default()
//!     };
//!     let created = client.generate(&request).await?;
//!     let done = client
//!         .wait(&created.id, WaitOptions::default(), &mut |g| log(&g.state.to_string()))
//!         .await?;
//!     Ok(done.video_url.unwrap_or_default())
//! }
//! # fn log(_: &str) {}
//! ```

mod abort;
mod timer;
mod transport;

pub use abort::Aborted;
pub use timer::{sleep, WebTimer};
pub use transport::FetchTransport;

use crate::client::{Client, ClientOptions};
use crate::provider::Provider;

/// The client with gloo-net on the global `fetch` and the platform's timers.
pub type WebClient = Client<FetchTransport, WebTimer>;

impl WebClient {
    /// A client that sends through gloo-net on the global `fetch`, with no per-request timeout.
    pub fn web(provider: Provider, options: ClientOptions) -> WebClient {
        Client::new(provider, FetchTransport::new(), WebTimer, options)
    }
}
