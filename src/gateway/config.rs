//! The Worker's vars and secrets, checked once: a misconfigured gateway refuses to serve.

use crate::provider::ProviderKind;

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub upstream: ProviderKind,
    pub upstream_base_url: Option<String>,
    pub upstream_api_key: String,
    /// The model a reseller upstream (apiframe, gptge) makes: they let nobody choose.
    pub upstream_model: String,
    pub client_tokens: Vec<String>,
    /// Shards per token, in `client_tokens`' order (`token:N` in CLIENT_TOKENS; 1 by default).
    pub token_shards: Vec<u32>,
    /// Per-caller limits, in `client_tokens`' order (`CALLER_LIMITS`).
    pub token_limits: Vec<super::limits::Limits>,
    /// Records older than this are deleted by their shard's alarm (fractions allowed, for tests).
    pub retention_days: f64,
    /// Creates per second one shard admits before answering 429.
    pub shard_creates_per_s: u32,
    pub allowed_origins: Vec<String>,
    pub app_webhook: Option<(String, String)>,
}

/// The setting `name` parsed and within `ok`, or `default` when unset; else an error naming
/// the setting and its `rule`.
fn setting<T: std::str::FromStr>(
    get: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: T,
    ok: impl Fn(&T) -> bool,
    rule: &str,
) -> Result<T, String> {
    match get(name).filter(|v| !v.trim().is_empty()) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<T>()
            .ok()
            .filter(ok)
            .ok_or_else(|| format!("{name} must be {rule}")),
    }
}

fn list(v: Option<String>) -> Vec<String> {
    v.unwrap_or_default()
        .split([',', ' ', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

impl Config {
    /// From the Worker's environment; the error names the variable, never a secret's value.
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<Config, String> {
        let upstream = get("UPSTREAM").unwrap_or_default();
        let upstream = ProviderKind::parse(&upstream)
            .filter(|k| *k != ProviderKind::Gateway)
            .ok_or("UPSTREAM must be one of luma, luma-agents, aimlapi, apiframe, gptge")?;
        let upstream_api_key = get("UPSTREAM_API_KEY")
            .filter(|k| !k.is_empty())
            .ok_or("UPSTREAM_API_KEY (a secret) is not set")?;
        let mut client_tokens = Vec::new();
        let mut token_shards = Vec::new();
        for entry in list(get("CLIENT_TOKENS")) {
            // `token:N` gives a backend token N shards; the error never repeats the token.
            let (token, shards) = match entry.rsplit_once(':') {
                Some((t, n)) if n.chars().all(|c| c.is_ascii_digit()) => {
                    let n = n.parse::<u32>().ok().filter(|n| (1..=64).contains(n));
                    (
                        t.to_string(),
                        n.ok_or("CLIENT_TOKENS: a shard count (after ':') must be 1 to 64")?,
                    )
                }
                _ => (entry, 1),
            };
            client_tokens.push(token);
            token_shards.push(shards);
        }
        if client_tokens.is_empty() {
            return Err("CLIENT_TOKENS (a secret) is not set: no token, no service".into());
        }
        let app_webhook = match (
            get("APP_WEBHOOK_URL").filter(|u| !u.is_empty()),
            get("APP_WEBHOOK_SECRET"),
        ) {
            (None, _) => None,
            (Some(url), Some(secret)) if secret.starts_with("whsec_") => Some((url, secret)),
            (Some(_), _) => {
                return Err(
                    "APP_WEBHOOK_SECRET must be a whsec_ secret when APP_WEBHOOK_URL is set".into(),
                )
            }
        };
        let token_limits = super::limits::parse(get("CALLER_LIMITS").as_deref(), &client_tokens)?;
        let upstream_model = match get("UPSTREAM_MODEL").filter(|m| !m.trim().is_empty()) {
            None => crate::provider::gateway::DEFAULT_RESELLER_MODEL.to_string(),
            Some(m) if matches!(upstream, ProviderKind::Apiframe | ProviderKind::Gptge) => {
                m.trim().to_string()
            }
            Some(_) => {
                return Err(
                    "UPSTREAM_MODEL applies to apiframe and gptge only: the others take the model a create names".into(),
                )
            }
        };
        Ok(Config {
            upstream_model,
            token_limits,
            upstream,
            upstream_base_url: get("UPSTREAM_BASE_URL").filter(|u| !u.is_empty()),
            upstream_api_key,
            client_tokens,
            token_shards,
            retention_days: setting(
                &get,
                "RETENTION_DAYS",
                30.0,
                |d| *d > 0.0 && *d <= 3650.0,
                "a number of days above 0, at most 3650",
            )?,
            shard_creates_per_s: setting(
                &get,
                "SHARD_CREATES_PER_S",
                100,
                |n| (1..=10_000).contains(n),
                "a whole number from 1 to 10000",
            )?,
            allowed_origins: list(get("ALLOWED_ORIGINS")),
            app_webhook,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let owned: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| owned.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    }

    #[test]
    fn reads_and_checks_the_environment() {
        let c = Config::from_vars(vars(&[
            ("UPSTREAM", "apiframe"),
            ("UPSTREAM_API_KEY", "sk-upstream"),
            ("CLIENT_TOKENS", "a, b"),
            ("ALLOWED_ORIGINS", "https://x.test"),
        ]))
        .unwrap();
        assert_eq!(
            (c.upstream, c.client_tokens.len(), c.allowed_origins.len()),
            (ProviderKind::Apiframe, 2, 1)
        );
        assert_eq!(c.upstream_model, "ray-2", "a reseller's model by default");
        let reseller = |upstream, model| {
            Config::from_vars(vars(&[
                ("UPSTREAM", upstream),
                ("UPSTREAM_API_KEY", "sk-upstream"),
                ("CLIENT_TOKENS", "a"),
                ("UPSTREAM_MODEL", model),
            ]))
        };
        assert_eq!(
            reseller("gptge", "ray-flash-2").unwrap().upstream_model,
            "ray-flash-2"
        );
        let e = reseller("luma", "ray-flash-2").unwrap_err();
        assert!(e.starts_with("UPSTREAM_MODEL"), "{e}");
        let c = Config::from_vars(vars(&[
            ("UPSTREAM", "luma"),
            ("UPSTREAM_API_KEY", "sk-upstream"),
            ("CLIENT_TOKENS", "browser, backend:8"),
            ("RETENTION_DAYS", "7"),
        ]))
        .unwrap();
        assert_eq!(c.client_tokens, ["browser", "backend"]);
        assert_eq!(c.token_shards, [1, 8]);
        assert_eq!((c.retention_days, c.shard_creates_per_s), (7.0, 100));
        for (name, value) in [
            ("RETENTION_DAYS", "0"),
            ("RETENTION_DAYS", "x"),
            ("SHARD_CREATES_PER_S", "-1"),
        ] {
            let e = Config::from_vars(vars(&[
                ("UPSTREAM", "luma"),
                ("UPSTREAM_API_KEY", "sk-upstream"),
                ("CLIENT_TOKENS", "a"),
                (name, value),
            ]))
            .unwrap_err();
            assert!(e.starts_with(name), "{e}");
        }
        let e = Config::from_vars(vars(&[
            ("UPSTREAM", "luma"),
            ("UPSTREAM_API_KEY", "sk-upstream"),
            ("CLIENT_TOKENS", "secret-token:99"),
        ]))
        .unwrap_err();
        assert!(e.contains("1 to 64") && !e.contains("secret-token"), "{e}");
        for broken in [
            vec![
                ("UPSTREAM", "openai"),
                ("UPSTREAM_API_KEY", "sk-upstream"),
                ("CLIENT_TOKENS", "a"),
            ],
            vec![("UPSTREAM", "luma"), ("CLIENT_TOKENS", "a")],
            vec![("UPSTREAM", "luma"), ("UPSTREAM_API_KEY", "sk-upstream")],
            vec![
                ("UPSTREAM", "luma"),
                ("UPSTREAM_API_KEY", "sk-upstream"),
                ("CLIENT_TOKENS", "a"),
                ("APP_WEBHOOK_URL", "https://app.test/hook"),
            ],
        ] {
            let e = Config::from_vars(vars(&broken)).unwrap_err();
            assert!(
                !e.contains("sk-upstream"),
                "a secret never appears in an error: {e}"
            );
        }
    }
}
