//! The breaker: stops a run whose requests keep failing for one and the same
//! reason, which is then the tenant's or the file's fault, not the rows'.
//!
//! It counts requests as they are answered, not rows: one row, one batch or
//! one half of a batch is one request, so bulk mode trips as soon as row by
//! row, and one failed batch of 100 rows counts once. A refusal (4xx) counts
//! by its status and message text: messages that carry a row's own values
//! (an existing technical name, an unknown email) differ from one request to
//! the next and never trip it. A server that is down answers 5xx and drops
//! connections in turn: after retries, those are one reason.

use crate::exit::Stop;

/// Requests in a row failing for one reason before the run stops.
pub(crate) const THRESHOLD: usize = 20;

/// How one request (with its retries) ended, as the breaker sees it.
#[derive(Debug)]
pub(crate) enum Verdict<'a> {
    /// Accepted.
    Accepted,
    /// Refused with a 4xx (not 401 or 429) and this message.
    Refused { status: u16, message: &'a str },
    /// 5xx or no answer, retries exhausted.
    Unavailable,
}

#[derive(Debug, Default)]
pub(crate) struct Breaker {
    reason: Option<String>,
    count: usize,
}

impl Breaker {
    /// Counts a request; `Some` when the breaker trips.
    pub(crate) fn record(&mut self, verdict: Verdict<'_>) -> Option<Stop> {
        let reason = match verdict {
            Verdict::Accepted => {
                *self = Breaker::default();
                return None;
            }
            Verdict::Refused { status, message } => format!("HTTP {status}: {message}"),
            Verdict::Unavailable => "the API kept failing (5xx or no answer) after retries".into(),
        };
        if self.reason.as_ref() == Some(&reason) {
            self.count += 1;
        } else {
            self.reason = Some(reason);
            self.count = 1;
        }
        (self.count >= THRESHOLD).then(|| Stop::Breaker {
            count: self.count,
            reason: self.reason.clone().unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(message: &str) -> Verdict<'_> {
        Verdict::Refused {
            status: 400,
            message,
        }
    }

    #[test]
    fn twenty_requests_in_a_row_refused_with_one_message_trip_it() {
        let mut b = Breaker::default();
        for _ in 0..19 {
            assert_eq!(
                b.record(refused("This workspace version is read-only")),
                None
            );
        }
        let stop = b.record(refused("This workspace version is read-only"));
        assert!(
            matches!(&stop, Some(Stop::Breaker { count: 20, reason }) if reason.contains("read-only")),
            "{stop:?}"
        );
    }

    #[test]
    fn refusals_that_carry_each_rows_own_values_never_trip_it() {
        let mut b = Breaker::default();
        for i in 0..100 {
            let message = format!("owners: unknown user 'u{i}@example.com'");
            assert_eq!(b.record(refused(&message)), None);
        }
    }

    #[test]
    fn an_accepted_request_or_another_reason_starts_the_count_again() {
        let mut b = Breaker::default();
        for _ in 0..19 {
            b.record(Verdict::Unavailable);
        }
        b.record(Verdict::Accepted);
        for _ in 0..19 {
            assert_eq!(b.record(Verdict::Unavailable), None);
        }
        assert_eq!(b.record(refused("x")), None);
        assert_eq!(b.record(Verdict::Unavailable), None);
        for _ in 0..18 {
            b.record(Verdict::Unavailable);
        }
        assert!(b.record(Verdict::Unavailable).is_some());
    }
}
