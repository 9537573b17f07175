//! Which failures are worth another attempt, and how long to wait first:
//! exponential backoff with full jitter, never shorter than a `Retry-After`.

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderValue;

const BASE: Duration = Duration::from_millis(250);
const CAP: Duration = Duration::from_secs(30);

/// The wait before retry number `retry` (1 for the first retry).
pub fn backoff(retry: u32, retry_after: Option<Duration>) -> Duration {
    let ceiling = BASE
        .saturating_mul(1u32 << retry.saturating_sub(1).min(16))
        .min(CAP);
    // Full jitter: spread retries so that failed requests do not come back together.
    let jittered = ceiling.mul_f64(0.5 + fastrand::f64() / 2.0);
    jittered.max(retry_after.unwrap_or_default())
}

/// `Retry-After`: seconds, or an HTTP date.
pub fn parse_retry_after(value: &HeaderValue) -> Option<Duration> {
    let text = value.to_str().ok()?.trim();
    if let Ok(secs) = text.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(text).ok()?;
    Some(at.duration_since(SystemTime::now()).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stays_within_its_cap() {
        for retry in 1..40 {
            let d = backoff(retry, None);
            let ceiling = BASE.saturating_mul(1 << (retry - 1).min(16)).min(CAP);
            assert!(d <= ceiling && d >= ceiling / 2, "retry {retry}: {d:?}");
        }
        assert_eq!(
            backoff(1, Some(Duration::from_secs(7))),
            Duration::from_secs(7)
        );
    }

    #[test]
    fn retry_after_is_read_in_seconds_or_as_an_http_date() {
        assert_eq!(
            parse_retry_after(&HeaderValue::from_static("42")),
            Some(Duration::from_secs(42))
        );
        let later = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(90));
        let d = parse_retry_after(&HeaderValue::from_str(&later).unwrap()).unwrap();
        assert!(
            d > Duration::from_secs(85) && d <= Duration::from_secs(90),
            "{d:?}"
        );
        let past = httpdate::fmt_http_date(SystemTime::now() - Duration::from_secs(90));
        assert_eq!(
            parse_retry_after(&HeaderValue::from_str(&past).unwrap()),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after(&HeaderValue::from_static("soon")), None);
    }
}
