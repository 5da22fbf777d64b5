//! The gateway's decisions, pure: configuration, routing, callers, CORS, the per-generation
//! record, and the translation of Luma requests for the configured upstream. The Worker around
//! it (worker/src/index.js: Durable Objects, fetch, alarms) only wires these to Workers, through
//! the wasm exports in `crate::wasm::gateway`.

mod config;
pub mod limits;
mod record;
mod route;
mod shard;
mod translate;
mod watch;

pub use config::Config;
pub use record::Record;
pub use route::{route, Route};
pub use shard::{callback_secret, merge, new_id, sha256_hex, shard_name, shard_of};
pub use translate::{upstream_request, Translated, UpstreamRequest, UpstreamRules};
pub use watch::{
    job_key, remaining as expected_remaining_ms, step as watch_step, Next, Step, Watch, GIVE_UP_MS,
};

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
    // The scheme is case-insensitive (RFC 9110); the token is not.
    let token = authorization
        .and_then(|h| {
            h.get(..7)
                .filter(|s| s.eq_ignore_ascii_case("bearer "))
                .map(|_| &h[7..])
        })
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

/// The caller and its shard count (`shards[i]` belongs to `tokens[i]`; 1 when missing).
pub fn caller_shards(
    authorization: Option<&str>,
    tokens: &[String],
    shards: &[u32],
) -> Result<(String, u32, usize), Reject> {
    let id = caller(authorization, tokens)?;
    let token = authorization.unwrap_or_default()[7..].trim();
    // Every token is compared again, so the answer's timing does not tell which one matched.
    let (n, index) = tokens.iter().enumerate().fold((1, 0), |found, (i, t)| {
        if constant_time_eq(t.as_bytes(), token.as_bytes()) {
            (shards.get(i).copied().unwrap_or(1), i)
        } else {
            found
        }
    });
    Ok((id, n, index))
}

/// CORS headers for `origin` when it is allowed; none otherwise (the browser then refuses).
pub fn cors(origin: Option<&str>, allowed: &[String]) -> Vec<(String, String)> {
    match origin {
        Some(o) if allowed.iter().any(|a| a == o || a == "*") => vec![
            ("access-control-allow-origin".into(), o.into()),
            // Our client sends an Idempotency-Key on creates; it reads Retry-After on a 429; a page
            // may show x-expected-remaining-ms.
            (
                "access-control-allow-headers".into(),
                "authorization, content-type, idempotency-key".into(),
            ),
            (
                "access-control-expose-headers".into(),
                "retry-after, retry-after-ms, x-request-id, x-should-retry, x-expected-remaining-ms".into(),
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
        assert_eq!(caller(Some("bearer tok-a"), &tokens).unwrap(), a);
        assert_eq!(caller(Some("BEARER tok-a"), &tokens).unwrap(), a);
        assert!(caller(Some("Bearer TOK-A"), &tokens).is_err());
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
    fn backend_tokens_get_their_shards() {
        let tokens = vec!["tok-a".to_string(), "tok-b".to_string()];
        let (a, n, i) = caller_shards(Some("Bearer tok-b"), &tokens, &[1, 8]).unwrap();
        assert_eq!(
            (a, n, i),
            (caller(Some("Bearer tok-b"), &tokens).unwrap(), 8, 1)
        );
        assert_eq!(
            caller_shards(Some("Bearer tok-a"), &tokens, &[1, 8])
                .unwrap()
                .1,
            1
        );
        assert_eq!(
            caller_shards(Some("Bearer tok-c"), &tokens, &[1, 8])
                .unwrap_err()
                .status,
            401
        );
    }

    #[test]
    fn cors_only_for_allowed_origins() {
        let allowed = vec!["https://app.example".to_string()];
        assert_eq!(
            cors(Some("https://app.example"), &allowed)[0].1,
            "https://app.example"
        );
        let exposed = &cors(Some("https://app.example"), &allowed)[2];
        assert_eq!(exposed.0, "access-control-expose-headers");
        assert!(
            exposed.1.contains("x-expected-remaining-ms"),
            "a page may read it"
        );
        assert!(cors(Some("https://evil.example"), &allowed).is_empty());
        assert!(cors(None, &allowed).is_empty());
        assert!(Reject::new(404, "Not found")
            .body()
            .contains("\"detail\":\"Not found\""));
    }
}
