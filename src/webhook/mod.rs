//! Webhooks: Standard Webhooks signatures (what the gateway sends to apps, and what apps
//! verify), and APIFRAME's shared-secret header. Time is an input; comparisons are constant-time.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far a webhook's timestamp may be from now, either way.
pub const TOLERANCE_S: i64 = 300;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WebhookError {
    /// The secret is not `whsec_` followed by base64.
    BadSecret,
    MissingHeader(&'static str),
    BadTimestamp,
    /// The timestamp is outside the tolerance: too old (a replay) or too far ahead.
    Expired,
    NoMatchingSignature,
}

impl std::fmt::Display for WebhookError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WebhookError::BadSecret => {
                f.write_str("the secret must be `whsec_` followed by base64")
            }
            WebhookError::MissingHeader(h) => write!(f, "the {h} header is missing"),
            WebhookError::BadTimestamp => {
                f.write_str("webhook-timestamp is not a number of seconds")
            }
            WebhookError::Expired => {
                f.write_str("webhook-timestamp is more than 5 minutes from now")
            }
            WebhookError::NoMatchingSignature => f.write_str("no signature matches"),
        }
    }
}

impl std::error::Error for WebhookError {}

fn mac(
    secret: &str,
    msg_id: &str,
    timestamp: &str,
    body: &[u8],
) -> Result<Hmac<Sha256>, WebhookError> {
    let key = B64
        .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
        .ok()
        .filter(|k| !k.is_empty())
        .ok_or(WebhookError::BadSecret)?;
    let mut m = Hmac::<Sha256>::new_from_slice(&key).map_err(|_| WebhookError::BadSecret)?;
    m.update(msg_id.as_bytes());
    m.update(b".");
    m.update(timestamp.as_bytes());
    m.update(b".");
    m.update(body);
    Ok(m)
}

/// The `webhook-signature` value: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`.
pub fn sign(
    secret: &str,
    msg_id: &str,
    timestamp_s: i64,
    body: &[u8],
) -> Result<String, WebhookError> {
    let tag = mac(secret, msg_id, &timestamp_s.to_string(), body)?
        .finalize()
        .into_bytes();
    Ok(format!("v1,{}", B64.encode(tag)))
}

/// The three headers of a signed delivery.
pub fn headers(
    secret: &str,
    msg_id: &str,
    timestamp_s: i64,
    body: &[u8],
) -> Result<Vec<(String, String)>, WebhookError> {
    Ok(vec![
        ("webhook-id".into(), msg_id.into()),
        ("webhook-timestamp".into(), timestamp_s.to_string()),
        (
            "webhook-signature".into(),
            sign(secret, msg_id, timestamp_s, body)?,
        ),
    ])
}

/// Verifies a delivery from its headers (names case-insensitive). Accepts any one of several
/// space-separated `v1,` signatures, so senders can rotate secrets.
pub fn verify(
    secret: &str,
    headers: &[(String, String)],
    body: &[u8],
    now_s: i64,
) -> Result<(), WebhookError> {
    let get = |name: &'static str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .ok_or(WebhookError::MissingHeader(name))
    };
    verify_signature(
        secret,
        get("webhook-id")?,
        get("webhook-timestamp")?,
        get("webhook-signature")?,
        body,
        now_s,
    )
}

/// Verifies a delivery from the values of its `webhook-id`, `webhook-timestamp` and
/// `webhook-signature` headers. Signatures of other versions than `v1` are ignored.
pub fn verify_signature(
    secret: &str,
    msg_id: &str,
    timestamp_header: &str,
    signature_header: &str,
    body: &[u8],
    now_s: i64,
) -> Result<(), WebhookError> {
    let (id, timestamp) = (msg_id.trim(), timestamp_header.trim());
    let ts: i64 = timestamp.parse().map_err(|_| WebhookError::BadTimestamp)?;
    if now_s.abs_diff(ts) > TOLERANCE_S as u64 {
        return Err(WebhookError::Expired);
    }
    let expected = mac(secret, id, timestamp, body)?;
    let matches = signature_header
        .split_ascii_whitespace()
        .filter_map(|s| s.strip_prefix("v1,"))
        .filter_map(|s| B64.decode(s).ok())
        .any(|sig| expected.clone().verify_slice(&sig).is_ok());
    matches
        .then_some(())
        .ok_or(WebhookError::NoMatchingSignature)
}

/// APIFRAME echoes the `webhook_secret` it was given in `x-webhook-secret`. An empty expected
/// secret accepts nothing.
pub fn verify_apiframe(expected_secret: &str, received: Option<&str>) -> bool {
    !expected_secret.is_empty()
        && received.is_some_and(|r| constant_time_eq(expected_secret.as_bytes(), r.as_bytes()))
}

/// Equal-length inputs are compared without an early exit; lengths are not secret.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    // The Standard Webhooks specification's published example.
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TS: i64 = 1614265330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SIG: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn hs(id: &str, ts: i64, sig: &str) -> Vec<(String, String)> {
        vec![
            ("Webhook-Id".into(), id.into()),
            ("webhook-timestamp".into(), ts.to_string()),
            ("webhook-signature".into(), sig.into()),
        ]
    }

    #[test]
    fn signs_the_specification_example() {
        assert_eq!(sign(SECRET, ID, TS, BODY).unwrap(), SIG);
    }

    #[test]
    fn verifies_and_rejects_tampering() {
        assert_eq!(verify(SECRET, &hs(ID, TS, SIG), BODY, TS), Ok(()));
        assert_eq!(
            verify(SECRET, &hs(ID, TS, SIG), br#"{"test": 2432232315}"#, TS),
            Err(WebhookError::NoMatchingSignature)
        );
        assert_eq!(
            verify(SECRET, &hs("msg_other", TS, SIG), BODY, TS),
            Err(WebhookError::NoMatchingSignature)
        );
        assert_eq!(
            verify(SECRET, &hs(ID, TS + 1, SIG), BODY, TS),
            Err(WebhookError::NoMatchingSignature)
        );
        assert_eq!(
            verify("whsec_AAAAAAAAAAAAAAAAAAAAAAAA", &hs(ID, TS, SIG), BODY, TS),
            Err(WebhookError::NoMatchingSignature)
        );
    }

    #[test]
    fn tolerance_is_five_minutes_either_way() {
        assert_eq!(verify(SECRET, &hs(ID, TS, SIG), BODY, TS + 300), Ok(()));
        assert_eq!(verify(SECRET, &hs(ID, TS, SIG), BODY, TS - 300), Ok(()));
        assert_eq!(
            verify(SECRET, &hs(ID, TS, SIG), BODY, TS + 301),
            Err(WebhookError::Expired)
        );
        assert_eq!(
            verify(SECRET, &hs(ID, TS, SIG), BODY, TS - 301),
            Err(WebhookError::Expired)
        );
    }

    #[test]
    fn any_of_several_signatures_may_match() {
        let several = format!("v1,bm90IGl0 v2,whatever {SIG}");
        assert_eq!(verify(SECRET, &hs(ID, TS, &several), BODY, TS), Ok(()));
        assert_eq!(
            verify(SECRET, &hs(ID, TS, "v1,bm90IGl0 v1a,xyz"), BODY, TS),
            Err(WebhookError::NoMatchingSignature)
        );
    }

    #[test]
    fn bad_input_is_a_clear_error() {
        assert_eq!(
            verify("whsec_***", &hs(ID, TS, SIG), BODY, TS),
            Err(WebhookError::BadSecret)
        );
        assert_eq!(
            verify(SECRET, &hs(ID, TS, SIG)[..2], BODY, TS),
            Err(WebhookError::MissingHeader("webhook-signature"))
        );
        let mut h = hs(ID, TS, SIG);
        h[1].1 = "yesterday".into();
        assert_eq!(
            verify(SECRET, &h, BODY, TS),
            Err(WebhookError::BadTimestamp)
        );
        assert!(WebhookError::Expired.to_string().contains("5 minutes"));
    }

    #[test]
    fn verifies_from_the_header_values() {
        assert_eq!(
            verify_signature(SECRET, ID, "1614265330", SIG, BODY, TS),
            Ok(())
        );
        let rotated = format!("v1,bm90IGl0  {SIG}\t");
        assert_eq!(
            verify_signature(SECRET, ID, " 1614265330 ", &rotated, BODY, TS + 299),
            Ok(())
        );
        assert_eq!(
            verify_signature(SECRET, ID, "1614265330", "", BODY, TS),
            Err(WebhookError::NoMatchingSignature)
        );
        assert_eq!(
            verify_signature(SECRET, ID, "1614265330", "v1,!!notbase64", BODY, TS),
            Err(WebhookError::NoMatchingSignature)
        );
        // A signature made for another timestamp does not verify under this one.
        let later = sign(SECRET, ID, TS + 10, BODY).unwrap();
        assert_eq!(
            verify_signature(SECRET, ID, "1614265330", &later, BODY, TS),
            Err(WebhookError::NoMatchingSignature)
        );
    }

    #[test]
    fn headers_round_trip_and_secrets_without_prefix() {
        let hs = headers(SECRET, ID, TS, BODY).unwrap();
        let names: Vec<&str> = hs.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            ["webhook-id", "webhook-timestamp", "webhook-signature"]
        );
        assert_eq!(hs[2].1, SIG);
        assert_eq!(verify(SECRET, &hs, BODY, TS), Ok(()));
        let bare = SECRET.strip_prefix("whsec_").unwrap();
        assert_eq!(sign(bare, ID, TS, BODY).unwrap(), SIG);
        assert_eq!(sign("whsec_", ID, TS, BODY), Err(WebhookError::BadSecret));
        for e in [
            WebhookError::BadSecret,
            WebhookError::MissingHeader("webhook-id"),
            WebhookError::BadTimestamp,
            WebhookError::Expired,
            WebhookError::NoMatchingSignature,
        ] {
            assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn constant_time_eq_compares_whole_inputs() {
        assert!(constant_time_eq(b"", b""));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(!verify_apiframe("", Some("")));
    }

    #[test]
    fn apiframe_shared_secret() {
        assert!(verify_apiframe("abc123", Some("abc123")));
        assert!(!verify_apiframe("abc123", Some("abc124")));
        assert!(!verify_apiframe("abc123", Some("abc12")));
        assert!(!verify_apiframe("abc123", None));
    }
}
