//! Which failures are worth another attempt, and how long to wait first:
//! exponential backoff with equal jitter (half the ceiling, plus a random
//! half), never shorter than a `Retry-After`.

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderValue;

const BASE: Duration = Duration::from_millis(250);
const CAP: Duration = Duration::from_secs(30);
/// Reads are always safe to repeat, so they get at least this many retries...
const READ_RETRIES: u32 = 9;
/// ...with waits capped here: a dead server is given up in about half a minute.
const READ_CAP: Duration = Duration::from_secs(5);

/// How many times, and how patiently, one kind of request is tried again.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Policy {
    pub(crate) retries: u32,
    cap: Duration,
    /// A timeout is worth another attempt (listings split pages instead).
    pub(crate) retry_timeouts: bool,
}

impl Policy {
    /// Writes of rows and tags: `--max-retries`.
    pub(crate) fn writes(max_retries: u32) -> Policy {
        Policy {
            retries: max_retries,
            cap: CAP,
            retry_timeouts: true,
        }
    }

    /// Every GET: set-up reads, listings, look-ups. `--max-retries` is about
    /// the writes; a read is retried at least `READ_RETRIES` times.
    pub(crate) fn reads(max_retries: u32) -> Policy {
        Policy {
            retries: max_retries.max(READ_RETRIES),
            cap: READ_CAP,
            retry_timeouts: true,
        }
    }

    /// The wait before retry number `retry` (1 for the first retry).
    pub(crate) fn backoff(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let ceiling = BASE
            .saturating_mul(1u32 << retry.saturating_sub(1).min(16))
            .min(self.cap);
        // Equal jitter: spread retries so that failed requests do not come back
        // together, yet never wait less than half the ceiling.
        let jittered = ceiling.mul_f64(0.5 + fastrand::f64() / 2.0);
        jittered.max(retry_after.unwrap_or_default().min(CAP))
    }
}

/// `Retry-After`: seconds, or an HTTP date. A date is read against the
/// answer's own `Date` header when it has one, so that a server whose clock
/// differs from ours still means what it says; else against our clock.
pub(crate) fn parse_retry_after(
    value: &HeaderValue,
    date: Option<&HeaderValue>,
) -> Option<Duration> {
    let text = value.to_str().ok()?.trim();
    if let Ok(secs) = text.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(text).ok()?;
    let now = date
        .and_then(|d| d.to_str().ok())
        .and_then(|d| httpdate::parse_http_date(d.trim()).ok())
        .unwrap_or_else(SystemTime::now);
    Some(at.duration_since(now).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stays_within_its_cap() {
        let writes = Policy::writes(5);
        for retry in 1..40 {
            let d = writes.backoff(retry, None);
            let ceiling = BASE.saturating_mul(1 << (retry - 1).min(16)).min(CAP);
            assert!(d <= ceiling && d >= ceiling / 2, "retry {retry}: {d:?}");
        }
        assert_eq!(
            writes.backoff(1, Some(Duration::from_secs(7))),
            Duration::from_secs(7)
        );
    }

    #[test]
    fn reads_get_at_least_nine_retries_that_give_up_within_half_a_minute() {
        assert_eq!(Policy::reads(0).retries, 9);
        assert_eq!(Policy::reads(12).retries, 12);
        assert_eq!(Policy::writes(0).retries, 0);
        let reads = Policy::reads(0);
        let worst: Duration = (1..=reads.retries).map(|r| reads.backoff(r, None)).sum();
        assert!(worst <= Duration::from_secs(30), "{worst:?}");
        assert!((1..40).all(|r| reads.backoff(r, None) <= READ_CAP));
    }

    #[test]
    fn retry_after_is_read_in_seconds_or_as_an_http_date() {
        let header = |t: &str| HeaderValue::from_str(t).unwrap();
        assert_eq!(
            parse_retry_after(&header("42"), None),
            Some(Duration::from_secs(42))
        );
        let later = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(90));
        let d = parse_retry_after(&header(&later), None).unwrap();
        assert!(
            d > Duration::from_secs(85) && d <= Duration::from_secs(90),
            "{d:?}"
        );
        let past = httpdate::fmt_http_date(SystemTime::now() - Duration::from_secs(90));
        assert_eq!(
            parse_retry_after(&header(&past), None),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after(&header("soon"), None), None);
    }

    #[test]
    fn a_retry_after_date_is_read_against_the_answers_own_date() {
        // The server's clock is an hour behind ours: its date still means 3 s.
        let server_now = SystemTime::now() - Duration::from_secs(3600);
        let date = HeaderValue::from_str(&httpdate::fmt_http_date(server_now)).unwrap();
        let until = HeaderValue::from_str(&httpdate::fmt_http_date(
            server_now + Duration::from_secs(3),
        ))
        .unwrap();
        assert_eq!(
            parse_retry_after(&until, Some(&date)),
            Some(Duration::from_secs(3))
        );
    }
}
