//! The Luma-compatible routes, under `/dream-machine/v1` or at the root.

use super::Reject;
use crate::model::State;

/// Most ids one batch get may ask for.
pub const MAX_BATCH: usize = 50;

#[derive(Clone, Debug, PartialEq)]
pub enum Route {
    Healthz,
    Preflight,
    /// What the upstream accepts, so clients refuse before sending.
    Capabilities,
    Create,
    Get {
        id: String,
        wait: Option<State>,
    },
    Batch {
        ids: Vec<String>,
    },
    List {
        limit: usize,
        offset: usize,
    },
    Delete {
        id: String,
    },
    /// An upstream's callback: the generation and its per-generation secret.
    Callback {
        id: String,
        secret: String,
    },
}

fn number(
    query: &[(String, String)],
    key: &str,
    default: usize,
    max: usize,
) -> Result<usize, Reject> {
    match query.iter().find(|(k, _)| k == key) {
        None => Ok(default),
        Some((_, v)) => v
            .parse::<usize>()
            .ok()
            .filter(|n| *n <= max)
            .ok_or_else(|| Reject::new(400, format!("{key} must be a number from 0 to {max}"))),
    }
}

/// `query` is already percent-decoded.
pub fn route(method: &str, path: &str, query: &[(String, String)]) -> Result<Route, Reject> {
    if method == "OPTIONS" {
        return Ok(Route::Preflight);
    }
    let full = path;
    let path = path.strip_prefix("/dream-machine/v1").unwrap_or(path);
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let param = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    match (method, segments.as_slice()) {
        ("GET", ["healthz"]) => Ok(Route::Healthz),
        ("GET", ["capabilities"]) => Ok(Route::Capabilities),
        ("POST", ["generations"] | ["generations", "video"]) => Ok(Route::Create),
        ("GET", ["generations"]) => match param("ids") {
            Some(ids) => {
                let ids: Vec<String> = ids
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect();
                if ids.is_empty() || ids.len() > MAX_BATCH {
                    return Err(Reject::new(
                        400,
                        format!("ids must list 1 to {MAX_BATCH} generation ids"),
                    ));
                }
                Ok(Route::Batch { ids })
            }
            None => Ok(Route::List {
                limit: number(query, "limit", 10, 100)?,
                offset: number(query, "offset", 0, 100_000)?,
            }),
        },
        ("GET", ["generations", id]) if !id.is_empty() => {
            let wait = match param("wait") {
                None => None,
                Some("completed") => Some(State::Completed),
                Some("dreaming") => Some(State::Dreaming),
                Some(other) => {
                    return Err(Reject::new(
                        400,
                        format!("wait must be dreaming or completed, not {other}"),
                    ))
                }
            };
            Ok(Route::Get {
                id: id.to_string(),
                wait,
            })
        }
        ("DELETE", ["generations", id]) if !id.is_empty() => {
            Ok(Route::Delete { id: id.to_string() })
        }
        ("POST", ["callbacks", id, secret]) if !id.is_empty() && !secret.is_empty() => {
            Ok(Route::Callback {
                id: id.to_string(),
                secret: secret.to_string(),
            })
        }
        // Luma's other routes (upscale, audio, image, concepts, camera motions) and anything
        // else: a 404 whose detail names the route, so an SDK call says what is missing.
        _ => Err(Reject::new(
            404,
            format!(
                "The gateway does not serve {method} {}",
                full.chars().take(200).collect::<String>()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn luma_paths_with_or_without_the_prefix() {
        for prefix in ["", "/dream-machine/v1"] {
            assert_eq!(
                route("POST", &format!("{prefix}/generations/video"), &[]),
                Ok(Route::Create)
            );
            assert_eq!(
                route("POST", &format!("{prefix}/generations"), &[]),
                Ok(Route::Create)
            );
            assert_eq!(
                route(
                    "GET",
                    &format!("{prefix}/generations/abc"),
                    &q(&[("wait", "completed")])
                ),
                Ok(Route::Get {
                    id: "abc".into(),
                    wait: Some(State::Completed)
                })
            );
            assert_eq!(
                route(
                    "GET",
                    &format!("{prefix}/generations"),
                    &q(&[("ids", "a,b")])
                ),
                Ok(Route::Batch {
                    ids: vec!["a".into(), "b".into()]
                })
            );
            assert_eq!(
                route(
                    "GET",
                    &format!("{prefix}/generations"),
                    &q(&[("limit", "5")])
                ),
                Ok(Route::List {
                    limit: 5,
                    offset: 0
                })
            );
            assert_eq!(
                route("DELETE", &format!("{prefix}/generations/abc"), &[]),
                Ok(Route::Delete { id: "abc".into() })
            );
        }
        assert_eq!(route("GET", "/healthz", &[]), Ok(Route::Healthz));
        assert_eq!(
            route("GET", "/dream-machine/v1/capabilities", &[]),
            Ok(Route::Capabilities)
        );
        assert_eq!(
            route("POST", "/callbacks/g1/s3cret", &[]),
            Ok(Route::Callback {
                id: "g1".into(),
                secret: "s3cret".into()
            })
        );
    }

    #[test]
    fn bad_input_is_a_4xx_with_a_detail() {
        let many = vec!["x"; MAX_BATCH + 1].join(",");
        for (m, p, query) in [
            ("GET", "/generations/abc", q(&[("wait", "forever")])),
            ("GET", "/generations", q(&[("ids", "")])),
            ("GET", "/generations", q(&[("ids", many.as_str())])),
            ("GET", "/generations", q(&[("limit", "-1")])),
            ("PUT", "/generations/abc", vec![]),
            ("GET", "/admin", vec![]),
            ("POST", "/callbacks/only-id", vec![]),
        ] {
            let r = route(m, p, &query).unwrap_err();
            assert!(
                (400..500).contains(&r.status) && !r.detail.is_empty(),
                "{m} {p}: {r:?}"
            );
        }
    }

    #[test]
    fn routes_it_does_not_serve_are_named_in_a_404() {
        for (method, path) in [
            ("GET", "/dream-machine/v1/generations/concepts/list"),
            ("POST", "/generations/abc/upscale"),
            ("POST", "/generations/abc/audio"),
            ("PUT", "/generations/abc"),
            ("GET", "/nothing"),
        ] {
            let e = route(method, path, &[]).unwrap_err();
            assert_eq!(e.status, 404, "{method} {path}");
            assert!(e.detail.contains(method), "{}", e.detail);
        }
        let e = route("GET", "/generations/concepts/list", &[]).unwrap_err();
        assert!(
            e.detail.ends_with("/generations/concepts/list"),
            "{}",
            e.detail
        );
    }
}
