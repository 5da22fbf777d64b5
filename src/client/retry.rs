//! The one retry rule for every provider, as pure functions of what happened.

use crate::poll::retry_after_ms;
pub use crate::provider::retryable_status;
use crate::provider::HttpResponse;

use super::{TransportError, TransportErrorKind};

pub const MAX_RETRY_AFTER_MS: u64 = 60_000;
/// A Retry-After of 0 s, or a date in the past, still waits this long.
pub const MIN_RETRY_AFTER_MS: u64 = 250;
const BASE_BACKOFF_MS: u64 = 500;
const MAX_BACKOFF_MS: u64 = 8_000;

/// The delay before retry number `attempt + 1`, or `None` to stop. A billable request (a
/// create) is retried only when it provably never reached the server or the server said 429.
pub fn retry_delay(
    outcome: &Result<HttpResponse, TransportError>,
    billable: bool,
    attempt: u32,
    max_retries: u32,
    now_unix_ms: u64,
    jitter: f64,
) -> Option<u64> {
    if attempt >= max_retries {
        return None;
    }
    match outcome {
        Ok(resp) if retryable_status(resp.status) && (!billable || resp.status == 429) => {
            let asked = retry_after_ms(&resp.headers, now_unix_ms)
                .map(|ms| ms.clamp(MIN_RETRY_AFTER_MS, MAX_RETRY_AFTER_MS));
            Some(asked.unwrap_or_else(|| backoff_ms(attempt, jitter)))
        }
        Ok(_) => None,
        Err(e) => match e.kind {
            TransportErrorKind::Connect => Some(backoff_ms(attempt, jitter)),
            TransportErrorKind::Timeout | TransportErrorKind::Other if !billable => {
                Some(backoff_ms(attempt, jitter))
            }
            _ => None,
        },
    }
}

/// 0.5 s doubling to 8 s, less up to a quarter at random so clients do not retry in step.
pub fn backoff_ms(attempt: u32, jitter: f64) -> u64 {
    let full = BASE_BACKOFF_MS
        .saturating_mul(1u64 << attempt.min(16))
        .min(MAX_BACKOFF_MS);
    (full as f64 * (1.0 - 0.25 * jitter.clamp(0.0, 1.0))) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::poll::Rng;

    fn status(s: u16) -> Result<HttpResponse, TransportError> {
        Ok(HttpResponse::new(s, ""))
    }

    fn transport(kind: TransportErrorKind) -> Result<HttpResponse, TransportError> {
        Err(TransportError {
            kind,
            message: String::new(),
        })
    }

    #[test]
    fn statuses_retried_for_reads() {
        for s in [408, 409, 429, 500, 502, 503, 504] {
            assert!(
                retry_delay(&status(s), false, 0, 2, 0, 0.0).is_some(),
                "{s}"
            );
        }
        for s in [200, 201, 400, 401, 403, 404, 422] {
            assert_eq!(retry_delay(&status(s), false, 0, 2, 0, 0.0), None, "{s}");
        }
    }

    #[test]
    fn creates_retried_only_when_provably_unsent_or_429() {
        assert!(retry_delay(&status(429), true, 0, 2, 0, 0.0).is_some());
        assert!(retry_delay(&transport(TransportErrorKind::Connect), true, 0, 2, 0, 0.0).is_some());
        for s in [408, 409, 500, 502, 503] {
            assert_eq!(retry_delay(&status(s), true, 0, 2, 0, 0.0), None, "{s}");
        }
        for k in [
            TransportErrorKind::Timeout,
            TransportErrorKind::Other,
            TransportErrorKind::Aborted,
        ] {
            assert_eq!(
                retry_delay(&transport(k), true, 0, 2, 0, 0.0),
                None,
                "{k:?}"
            );
        }
    }

    #[test]
    fn max_retries_is_respected() {
        assert_eq!(retry_delay(&status(503), false, 2, 2, 0, 0.0), None);
        assert_eq!(retry_delay(&status(503), false, 0, 0, 0, 0.0), None);
    }

    #[test]
    fn retry_after_wins_and_is_capped() {
        let r = |h: &str, v: &str| Ok(HttpResponse::new(429, "").with_header(h, v));
        assert_eq!(
            retry_delay(&r("retry-after", "3"), false, 0, 2, 0, 0.9),
            Some(3_000)
        );
        assert_eq!(
            retry_delay(&r("retry-after-ms", "250"), false, 0, 2, 0, 0.9),
            Some(250)
        );
        assert_eq!(
            retry_delay(&r("retry-after", "3600"), false, 0, 2, 0, 0.9),
            Some(60_000)
        );
        let now = 1_700_000_000_000;
        let date = "Tue, 14 Nov 2023 22:13:25 GMT"; // now + 5 s
        assert_eq!(
            retry_delay(&r("retry-after", date), false, 0, 2, now, 0.0),
            Some(5_000)
        );
    }

    #[test]
    fn backoff_doubles_from_half_a_second_to_eight_with_jitter() {
        assert_eq!(backoff_ms(0, 0.0), 500);
        assert_eq!(backoff_ms(1, 0.0), 1_000);
        assert_eq!(backoff_ms(4, 0.0), 8_000);
        assert_eq!(backoff_ms(30, 0.0), 8_000);
        assert_eq!(backoff_ms(0, 1.0), 375);
        let mut rng = Rng::new(1);
        for _ in 0..1000 {
            let j = rng.next_f64();
            assert!((0.0..1.0).contains(&j));
            assert!((375..=500).contains(&backoff_ms(0, j)));
        }
    }
}
