//! The Worker's vars and secrets, checked once: a misconfigured gateway refuses to serve.

use crate::provider::ProviderKind;

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub upstream: ProviderKind,
    pub upstream_base_url: Option<String>,
    pub upstream_api_key: String,
    pub client_tokens: Vec<String>,
    pub allowed_origins: Vec<String>,
    pub app_webhook: Option<(String, String)>,
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
        let client_tokens = list(get("CLIENT_TOKENS"));
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
        Ok(Config {
            upstream,
            upstream_base_url: get("UPSTREAM_BASE_URL").filter(|u| !u.is_empty()),
            upstream_api_key,
            client_tokens,
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
