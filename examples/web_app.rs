//! A Rust wasm app (the shape a Leptos, Yew or Dioxus component would call) that makes a clip
//! and extends it backward through a gateway, with the crate's own web client: gloo-net for
//! HTTP, the platform's timers for polling. Build: `cargo build --example web_app --target
//! wasm32-unknown-unknown` (make test does).

#[cfg(target_arch = "wasm32")]
mod app {
    use luma_extend::client::{ClientOptions, WaitOptions};
    use luma_extend::web::WebClient;
    use luma_extend::{Direction, Error, ExtendRequest, GenerateRequest, Provider, ProviderKind};

    /// The clip, then the same clip with a new opening, as video URLs.
    pub async fn clip_with_prologue(gateway: &str, token: &str) -> Result<Vec<String>, Error> {
        let provider = Provider::new(ProviderKind::Gateway, token, Some(gateway));
        let client = WebClient::web(provider, ClientOptions::default());
        let mut log = |g: &luma_extend::Generation| show(&format!("{} {}", g.id, g.state));
        let first = client
            .generate(&GenerateRequest {
                prompt: Some("A jellyfish drifting through a neon reef".into()),
                ..Default::default()
            })
            .await?;
        let first = client
            .wait(&first.id, WaitOptions::default(), &mut log)
            .await?;
        let before = client
            .extend(&ExtendRequest {
                generation_id: first.id.clone(),
                prompt: "It rises from the deep".into(),
                direction: Some(Direction::Backward),
                ..Default::default()
            })
            .await?;
        let chain = client
            .wait(&before.id, WaitOptions::default(), &mut log)
            .await?;
        Ok([first, chain]
            .into_iter()
            .filter_map(|g| g.video_url)
            .collect())
    }

    fn show(line: &str) {
        // A real app would render this; the example keeps to the crate's own dependencies.
        let _ = line;
    }
}

#[cfg(target_arch = "wasm32")]
pub use app::clip_with_prologue;

fn main() {}
