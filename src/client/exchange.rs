//! One exchange with the API: what an answer means, and what to do next,
//! decided here once for every request the program sends (set-up reads,
//! listing pages, look-ups, rows, batches, tags, retirements, export).
//!
//! An attempt passes the pace first (`Client::attempt`); its result is then
//! classified: a 2xx or a refusal goes back to the caller to read; a 429
//! goes again once the pause the pace started is over, without counting; a
//! 5xx or no answer goes again after a backoff (`Retry-After` when longer)
//! while the retry budget lasts; a host that does not resolve gets a few
//! tries a second apart; a 401, a signal or `--max-wait` stops the run.
//! The breaker counts the requests of rows (`counted`), and trips here.
//!
//! What is particular stays with the caller, which reads `Reply`: a create
//! looks its source up before it is resent, a refused batch is halved.

use std::sync::Mutex;
use std::time::Duration;

use reqwest::{Method, StatusCode, Url};
use serde::Serialize;

use crate::client::api::{Answer, ApiError, Client};
use crate::client::breaker::{Breaker, Verdict};
use crate::client::retry::Policy;
use crate::exit::Stop;

/// Attempts at a host name that does not resolve, a second apart, before
/// it is taken for a setting to fix.
const UNRESOLVED_RETRIES: u32 = 3;

/// What one attempt means.
#[derive(Debug)]
enum Meaning {
    /// A 2xx, or a refusal (a 4xx other than 401 and 429).
    Answer(Answer),
    /// A 429: refused before any work; the pace has paused the run.
    Paused,
    /// A 401: the token was refused.
    Unauthorized(ApiError),
    /// A 5xx or no answer: worth another attempt.
    Transient {
        error: ApiError,
        retry_after: Option<Duration>,
    },
    /// The host name does not resolve (maybe a passing resolver hiccup).
    Unresolved(ApiError),
    /// Not sent: the run stops.
    Stopped(Stop),
    /// No other attempt would fare better (a refused certificate).
    Final(ApiError),
}

fn classify(result: Result<Answer, ApiError>) -> Meaning {
    match result {
        Ok(a) if a.status == StatusCode::TOO_MANY_REQUESTS => Meaning::Paused,
        Ok(a) if a.status == StatusCode::UNAUTHORIZED => Meaning::Unauthorized(a.error()),
        Ok(a) if a.status.is_server_error() => Meaning::Transient {
            error: a.error(),
            retry_after: a.retry_after,
        },
        Ok(a) => Meaning::Answer(a),
        Err(ApiError::Stopped(stop)) => Meaning::Stopped(stop),
        Err(e @ ApiError::Unresolved(_)) => Meaning::Unresolved(e),
        Err(e) if e.is_transient() => Meaning::Transient {
            error: e,
            retry_after: None,
        },
        Err(e) => Meaning::Final(e),
    }
}

/// Whether an attempt that failed so may have done its work on the server
/// before failing, decided here once for rows, batches and reruns: no
/// answer after the request may have left, a 5xx (a server may fail after
/// its write), or a 2xx whose body proves nothing, may have; a refusal (a
/// 4xx, a 429), a request never sent, a refused certificate or a host that
/// does not resolve did nothing.
pub(crate) fn may_have_acted(failure: &ApiError) -> bool {
    match failure {
        ApiError::Http { status, .. } => *status >= 500,
        ApiError::Transport { maybe_sent, .. } => *maybe_sent,
        ApiError::Decode(_) => true,
        ApiError::Stopped(_) | ApiError::Tls(_) | ApiError::Unresolved(_) => false,
    }
}

/// The same of a row's last attempt as a report recorded it: its HTTP
/// status, none when no answer came (which may have left).
pub(crate) fn recorded_may_have_acted(status: Option<u16>) -> bool {
    status.is_none_or(|s| s >= 500)
}

/// A refusal saying that the object exists already: how the API answers
/// a create of a name it holds (its message is all that says so).
pub(crate) fn says_exists(e: &ApiError) -> bool {
    matches!(e, ApiError::Http { status: 400..=499, message } if message.contains("already exists"))
}

/// What the caller does next.
#[derive(Debug)]
pub(crate) enum Reply {
    /// A 2xx, or a refusal (a 4xx other than 401 and 429): the caller reads it.
    Answered(Answer),
    /// Go again: the backoff has been waited, or a 429's pause is under
    /// way; with whether the failed attempt may have acted (`may_have_acted`).
    Again { may_have_acted: bool },
    /// No further attempt.
    Over(Over),
}

/// Why an exchange ended without an answer to read.
#[derive(Debug)]
pub(crate) enum Over {
    /// The run stops (a signal, `--max-wait`, the breaker, a spent budget):
    /// this attempt was not sent.
    Stopped(Stop),
    /// The token was refused (401): the run stops; this is the answer.
    Unauthorized(ApiError),
    /// The retries are spent (said in the error), or no retry would help.
    Failed(ApiError),
}

impl Over {
    pub(crate) fn into_error(self) -> ApiError {
        match self {
            Over::Stopped(stop) => stop.into(),
            Over::Unauthorized(_) => Stop::Unauthorized.into(),
            Over::Failed(e) => e,
        }
    }
}

/// One request and its attempts.
pub(crate) struct Exchange<'c> {
    client: &'c Client,
    method: Method,
    url: Url,
    policy: Policy,
    breaker: Option<&'c Mutex<Breaker>>,
    attempts: u32,
    retries: u32,
    unresolved: u32,
}

impl<'c> Exchange<'c> {
    pub(crate) fn new(
        client: &'c Client,
        method: Method,
        url: Url,
        policy: Policy,
    ) -> Exchange<'c> {
        Exchange {
            client,
            method,
            url,
            policy,
            breaker: None,
            attempts: 0,
            retries: 0,
            unresolved: 0,
        }
    }

    /// The breaker counts how this request ends (rows and batches).
    pub(crate) fn counted(mut self, breaker: &'c Mutex<Breaker>) -> Exchange<'c> {
        self.breaker = Some(breaker);
        self
    }

    /// Attempts that reached the server or may have (a 429 did no work and
    /// is not counted, nor an attempt the stopping run never sent).
    pub(crate) fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Sends the request once more and says what comes next.
    pub(crate) async fn attempt<B: Serialize + ?Sized>(&mut self, body: Option<&B>) -> Reply {
        let result = (self.client)
            .attempt(self.method.clone(), self.url.clone(), body)
            .await;
        let meaning = classify(result);
        if !matches!(meaning, Meaning::Paused | Meaning::Stopped(_)) {
            self.attempts += 1;
        }
        match meaning {
            Meaning::Answer(a) => Reply::Answered(a),
            Meaning::Paused => Reply::Again {
                may_have_acted: false,
            },
            Meaning::Unauthorized(e) => {
                self.client.halt().stop(Stop::Unauthorized);
                Reply::Over(Over::Unauthorized(e))
            }
            Meaning::Transient { error, retry_after } => self.retry(error, retry_after).await,
            Meaning::Unresolved(e) if self.unresolved < UNRESOLVED_RETRIES => {
                self.unresolved += 1;
                tracing::debug!(
                    "{} {}: {e}; retry {}",
                    self.method,
                    self.url,
                    self.unresolved
                );
                self.back_off(Duration::from_secs(1)).await;
                Reply::Again {
                    may_have_acted: may_have_acted(&e),
                }
            }
            Meaning::Unresolved(e) | Meaning::Final(e) => Reply::Over(Over::Failed(e)),
            Meaning::Stopped(stop) => {
                self.client.halt().stop(stop.clone());
                Reply::Over(Over::Stopped(stop))
            }
        }
    }

    /// Another attempt after `error`, when the retry budget allows (the
    /// caller may also judge a 2xx a failure: counts that prove nothing).
    pub(crate) async fn retry(&mut self, error: ApiError, retry_after: Option<Duration>) -> Reply {
        // A listing page that times out is asked again smaller instead.
        if error.timed_out() && !self.policy.retry_timeouts {
            return Reply::Over(Over::Failed(error));
        }
        if self.retries >= self.policy.retries {
            self.judge(Verdict::Unavailable);
            return Reply::Over(Over::Failed(error.after_attempts(self.attempts)));
        }
        self.retries += 1;
        let pace = self.client.pace();
        pace.counters.note_failure(error.kind());
        tracing::debug!(
            "{} {}: {error}; retry {}",
            self.method,
            self.url,
            self.retries
        );
        self.back_off(self.policy.backoff(self.retries, retry_after))
            .await;
        Reply::Again {
            may_have_acted: may_have_acted(&error),
        }
    }

    /// Spends one retry without waiting (a create answered "already
    /// exists" after a lost answer: looked up rather than resent). False
    /// when none is left.
    pub(crate) fn spend_retry(&mut self) -> bool {
        let left = self.retries < self.policy.retries;
        self.retries += u32::from(left);
        left
    }

    /// The caller read the answer as done.
    pub(crate) fn accepted(&self) {
        self.judge(Verdict::Accepted);
    }

    /// The caller read the answer as a refusal of the request.
    pub(crate) fn refused(&self, e: &ApiError) {
        if let ApiError::Http { status, message } = e {
            self.judge(Verdict::Refused {
                status: *status,
                message,
            });
        }
    }

    /// A look-up this request needed failed after its retries.
    pub(crate) fn unavailable(&self) {
        self.judge(Verdict::Unavailable);
    }

    /// Counts how the request ended; stops the run when the breaker trips.
    fn judge(&self, verdict: Verdict<'_>) {
        let Some(breaker) = self.breaker else { return };
        let tripped = breaker.lock().expect("breaker lock").record(verdict);
        if let Some(stop) = tripped {
            self.client.halt().stop(stop);
        }
    }

    /// Waits `wait`, or less when the run stops: a stopping run does not
    /// wait out back-offs.
    async fn back_off(&self, wait: Duration) {
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = self.client.halt().halted() => {}
        }
    }
}

impl Client {
    /// A request repeated until it has an answer to read (a 2xx or a
    /// refusal), for requests that are safe to repeat: reads, and writes
    /// whose repetition is harmless.
    pub(crate) async fn send_with_retries<B: Serialize + ?Sized>(
        &self,
        method: Method,
        url: Url,
        body: Option<&B>,
        policy: Policy,
    ) -> Result<Answer, ApiError> {
        let mut exchange = Exchange::new(self, method, url, policy);
        loop {
            match exchange.attempt(body).await {
                Reply::Answered(a) => return Ok(a),
                Reply::Again { .. } => continue,
                Reply::Over(over) => return Err(over.into_error()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16) -> Answer {
        Answer {
            status: StatusCode::from_u16(status).unwrap(),
            body: bytes::Bytes::from_static(br#"{"error":{"message":"no"}}"#),
            retry_after: None,
            remaining: None,
            content_type: None,
        }
    }

    fn transport(maybe_sent: bool, timed_out: bool) -> ApiError {
        ApiError::Transport {
            message: "no answer".into(),
            maybe_sent,
            timed_out,
        }
    }

    #[test]
    fn every_answer_and_failure_has_one_meaning() {
        assert!(matches!(classify(Ok(answer(200))), Meaning::Answer(_)));
        assert!(matches!(classify(Ok(answer(201))), Meaning::Answer(_)));
        assert!(matches!(classify(Ok(answer(400))), Meaning::Answer(_)));
        assert!(matches!(classify(Ok(answer(403))), Meaning::Answer(_)));
        assert!(matches!(classify(Ok(answer(404))), Meaning::Answer(_)));
        assert!(matches!(classify(Ok(answer(429))), Meaning::Paused));
        assert!(matches!(
            classify(Ok(answer(401))),
            Meaning::Unauthorized(ApiError::Http { status: 401, .. })
        ));
        for status in [500, 502, 503, 504] {
            assert!(matches!(
                classify(Ok(answer(status))),
                Meaning::Transient { .. }
            ));
        }
        assert!(matches!(
            classify(Err(transport(true, true))),
            Meaning::Transient { .. }
        ));
        assert!(matches!(
            classify(Err(Stop::Interrupted.into())),
            Meaning::Stopped(Stop::Interrupted)
        ));
        assert!(matches!(
            classify(Err(ApiError::Unresolved("x".into()))),
            Meaning::Unresolved(_)
        ));
        assert!(matches!(
            classify(Err(ApiError::Tls("refused".into()))),
            Meaning::Final(_)
        ));
    }

    #[test]
    fn whether_an_attempt_may_have_acted_is_decided_for_every_way_it_can_fail() {
        let http = |status: u16| ApiError::Http {
            status,
            message: "x".into(),
        };
        for status in [500, 502, 503, 504] {
            assert!(may_have_acted(&http(status)), "{status}");
            assert!(recorded_may_have_acted(Some(status)), "{status}");
        }
        for status in [400, 403, 404, 409, 422, 429] {
            assert!(!may_have_acted(&http(status)), "{status}");
            assert!(!recorded_may_have_acted(Some(status)), "{status}");
        }
        assert!(may_have_acted(&transport(true, false)));
        assert!(may_have_acted(&transport(true, true)));
        assert!(!may_have_acted(&transport(false, false)));
        assert!(recorded_may_have_acted(None));
        assert!(may_have_acted(&ApiError::Decode("{}".into())));
        assert!(!may_have_acted(&Stop::Interrupted.into()));
        assert!(!may_have_acted(&ApiError::Tls("refused".into())));
        assert!(!may_have_acted(&ApiError::Unresolved("x".into())));
    }

    #[test]
    fn only_a_refusal_that_says_so_means_the_object_exists() {
        let said = |status: u16, message: &str| ApiError::Http {
            status,
            message: message.into(),
        };
        assert!(says_exists(&said(400, "a source 'crm' already exists")));
        assert!(says_exists(&said(409, "already exists")));
        assert!(!says_exists(&said(400, "type is required")));
        assert!(!says_exists(&said(503, "already exists")));
        assert!(!says_exists(&transport(true, false)));
    }

    #[test]
    fn a_5xx_keeps_its_retry_after_for_the_backoff() {
        let mut a = answer(503);
        a.retry_after = Some(Duration::from_secs(7));
        let Meaning::Transient { retry_after, error } = classify(Ok(a)) else {
            panic!("a 503 is transient");
        };
        assert_eq!(retry_after, Some(Duration::from_secs(7)));
        assert_eq!(error.status(), Some(503));
    }

    #[test]
    fn an_exchange_that_ends_gives_the_error_its_caller_would_have_seen() {
        assert!(matches!(
            Over::Unauthorized(answer(401).error()).into_error(),
            ApiError::Stopped(Stop::Unauthorized)
        ));
        assert!(matches!(
            Over::Stopped(Stop::Interrupted).into_error(),
            ApiError::Stopped(Stop::Interrupted)
        ));
        assert!(matches!(
            Over::Failed(answer(503).error()).into_error(),
            ApiError::Http { status: 503, .. }
        ));
    }
}
