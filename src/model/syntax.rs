//! The syntax checks validation shares: URLs by scheme and host, UUIDs, base64 data URLs.

use super::validate::{issue, Issue};

/// https anywhere; http only to loopback hosts (local development); data: where accepted.
pub(super) fn check_url(field: &str, url: &str, allow_data: bool) -> Option<Issue> {
    let lower = url.trim().to_ascii_lowercase();
    if lower.starts_with("data:") {
        return (!allow_data).then(|| {
            issue(
                field,
                "url_scheme",
                "data: URLs are not accepted by this provider; use an https URL",
            )
        });
    }
    let (secure, rest) = if let Some(r) = lower.strip_prefix("https://") {
        (true, r)
    } else if let Some(r) = lower.strip_prefix("http://") {
        (false, r)
    } else {
        return Some(issue(
            field,
            "url_scheme",
            format!(
                "must be an https URL{}",
                if allow_data { " or a data: URL" } else { "" }
            ),
        ));
    };
    let host = host_of(rest);
    if host.is_empty() {
        return Some(issue(field, "url_scheme", "the URL has no host"));
    }
    if !secure && !is_loopback(host) {
        return Some(issue(
            field,
            "url_scheme",
            "http is allowed only for loopback hosts; use https",
        ));
    }
    None
}

fn host_of(rest: &str) -> &str {
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or("");
    if let Some(v6) = host_port.strip_prefix('[') {
        return v6.split(']').next().unwrap_or("");
    }
    host_port.split(':').next().unwrap_or("")
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host == "::1"
        || host
            .strip_prefix("127.")
            .is_some_and(|r| r.split('.').count() == 3)
}

/// The 8-4-4-4-12 hexadecimal form.
pub fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// `data:<media type>;base64,<data>` as (media type, data); `None` for anything else.
pub fn split_data_url(url: &str) -> Option<(&str, &str)> {
    let scheme = url.get(..5)?;
    if !scheme.eq_ignore_ascii_case("data:") {
        return None;
    }
    let (meta, data) = url[5..].split_once(',')?;
    let media_type = meta.strip_suffix(";base64")?;
    (!media_type.is_empty()).then_some((media_type, data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_urls_split_only_in_base64_form() {
        let png = "data:image/png;base64,iVBORw0KGgo=";
        assert_eq!(split_data_url(png), Some(("image/png", "iVBORw0KGgo=")));
        assert_eq!(
            split_data_url("DATA:image/jpeg;base64,/9j/"),
            Some(("image/jpeg", "/9j/"))
        );
        for not in [
            "data:image/png,raw",
            "data:;base64,AA",
            "https://x.test/a.png",
            "data:",
            "dat",
        ] {
            assert_eq!(split_data_url(not), None, "{not}");
        }
    }
}
