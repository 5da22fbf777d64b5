//! The gateway's decisions, pure: configuration, routing, callers, CORS, the per-generation
//! record, and the translation of Luma requests for the configured upstream. The Worker around
//! it (worker/src/index.js: Durable Objects, fetch, alarms) only wires these to Workers, through
//! the wasm exports in `crate::wasm::gateway`.

mod config;
mod record;
mod route;
mod translate;

pub use config::Config;
pub use record::Record;
pub use route::{route, Route};
pub use translate::{upstream_request, UpstreamRequest};

use serde_json::json;

use crate::webhook::constant_time_eq;

/// A refusal, answered in Luma's error shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reject {
    pub status: u16,
    pub detail: String,
}

impl Reject {
    pub fn new(status: u16, detail: impl Into<String>) -> Reject {
        Reject {
            status,
            detail: detail.into(),
        }
    }

    pub fn body(&self) -> String {
        json!({ "detail": self.detail }).to_string()
    }
}

/// The caller behind a bearer token, as an opaque id that never reveals the token.
pub fn caller(authorization: Option<&str>, tokens: &[String]) -> Result<String, Reject> {
    let token = authorization
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Reject::new(401, "Missing bearer token"))?;
    // Every configured token is compared, so timing does not tell which one came close.
    let known = tokens.iter().fold(false, |acc, t| {
        acc | constant_time_eq(t.as_bytes(), token.as_bytes())
    });
    if !known {
        return Err(Reject::new(401, "Invalid client token"));
    }
    use sha2::Digest;
    let digest = sha2::Sha256::digest(token.as_bytes());
    Ok(digest.iter().take(12).map(|b| format!("{b:02x}")).collect())
}

/// CORS headers for `origin` when it is allowed; none otherwise (the browser then refuses).
pub fn cors(origin: Option<&str>, allowed: &[String]) -> Vec<(String, String)> {
    match origin {
        Some(o) if allowed.iter().any(|a| a == o || a == "*") => vec![
            ("access-control-allow-origin".into(), o.into()),
            // Our client sends an Idempotency-Key on creates; it reads Retry-After on a 429.
            (
                "access-control-allow-headers".into(),
                "authorization, content-type, idempotency-key".into(),
            ),
            (
                "access-control-expose-headers".into(),
                "retry-after, retry-after-ms, x-request-id, x-should-retry".into(),
            ),
            (
                "access-control-allow-methods".into(),
                "GET, POST, DELETE, OPTIONS".into(),
            ),
            ("vary".into(), "origin".into()),
        ],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callers_need_a_configured_bearer_token() {
        let tokens = vec!["tok-a".to_string(), "tok-b".to_string()];
        let a = caller(Some("Bearer tok-a"), &tokens).unwrap();
        assert_eq!(a.len(), 24);
        assert_ne!(a, caller(Some("Bearer tok-b"), &tokens).unwrap());
        assert!(!a.contains("tok"));
        for bad in [
            None,
            Some("tok-a"),
            Some("Bearer "),
            Some("Bearer tok-c"),
            Some("Basic tok-a"),
        ] {
            assert_eq!(caller(bad, &tokens).unwrap_err().status, 401, "{bad:?}");
        }
        assert_eq!(
            caller(Some("Bearer tok-a"), &[]).unwrap_err().status,
            401,
            "no tokens, no service"
        );
    }

    #[test]
    fn cors_only_for_allowed_origins() {
        let allowed = vec!["https://app.example".to_string()];
        assert_eq!(
            cors(Some("https://app.example"), &allowed)[0].1,
            "https://app.example"
        );
        assert!(cors(Some("https://evil.example"), &allowed).is_empty());
        assert!(cors(None, &allowed).is_empty());
        assert!(Reject::new(404, "Not found")
            .body()
            .contains("\"detail\":\"Not found\""));
    }
}
