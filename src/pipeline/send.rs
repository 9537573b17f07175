//! Sending one row: `POST /sources/{versionId}` under the limiter, with
//! retries, the tags it needs created first, and the run's stop reason.
//!
//! Invariant: a row is never sent twice into a duplicate. When a POST's
//! outcome is unknown (no answer after sending, or a retry answered "already
//! exists"), the source is looked up by its exact technical name before any
//! resend.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use reqwest::{Method, StatusCode};
use tokio::sync::OnceCell;

use crate::client::api::wire::{Created, SourceItem};
use crate::client::api::{ApiError, BulkRoute as Route, Client};
use crate::client::breaker::{Breaker, Verdict};
use crate::exit::Stop;
use crate::pipeline::directory::{Existing, Target, with_source};
use crate::pipeline::journal::{Event, Journal};
use crate::pipeline::plan::Sending;
use crate::pipeline::report::{Outcome, RowResult};

/// The creation of one missing tag, awaited by every row that needs it.
type TagMaker = Arc<OnceCell<Result<(), String>>>;

/// The concurrent part: sending one row, with retries and look-ups.
pub struct Sender<'a> {
    client: &'a Client,
    version_id: String,
    journal: &'a Journal,
    stop: Mutex<Option<Stop>>,
    breaker: Mutex<Breaker>,
    /// The tenant answered a bulk route (create, update) with 404, 405 or 501.
    no_bulk: [AtomicBool; 2],
    /// One creation per missing tag (lower case), shared by the rows that need it.
    tag_makers: Mutex<HashMap<String, TagMaker>>,
    created_tags: Mutex<Vec<String>>,
}

impl<'a> Sender<'a> {
    pub fn new(client: &'a Client, target: &Target, journal: &'a Journal) -> Sender<'a> {
        Sender {
            client,
            version_id: target.version_id.clone(),
            journal,
            stop: Mutex::new(None),
            breaker: Mutex::default(),
            no_bulk: Default::default(),
            tag_makers: Mutex::default(),
            created_tags: Mutex::default(),
        }
    }

    /// Stops the run for `why` (the first reason wins).
    pub fn halt(&self, why: Stop) {
        let mut stop = self.stop.lock().expect("stop lock");
        if stop.is_none() {
            tracing::warn!("stopping: {why}");
            *stop = Some(why);
        }
        drop(stop);
        self.client.pace().halt();
    }

    /// Counts how a request ended; stops the run when the breaker trips.
    pub(crate) fn judge(&self, verdict: Verdict<'_>) {
        let tripped = self.breaker.lock().expect("breaker lock").record(verdict);
        if let Some(stop) = tripped {
            self.halt(stop);
        }
    }

    /// Counts a refusal (a 4xx answer) with the breaker.
    pub(crate) fn judge_refusal(&self, e: &ApiError) {
        if let ApiError::Http { status, message } = e {
            self.judge(Verdict::Refused {
                status: *status,
                message,
            });
        }
    }

    /// The tenant has the bulk route for `route`, as far as we know.
    pub(crate) fn bulk_route_works(&self, route: Route) -> bool {
        !self.no_bulk[route as usize].load(Ordering::Relaxed)
    }

    /// Notes that the tenant lacks the bulk route for `route` (said once).
    /// Always true, for use in a match guard.
    pub(crate) fn bulk_route_missing(&self, route: Route) -> bool {
        if !self.no_bulk[route as usize].swap(true, Ordering::Relaxed) {
            tracing::warn!(
                "the API has no bulk {} route here: going on one request per row",
                match route {
                    Route::Create => "create",
                    Route::Update => "edit",
                }
            );
        }
        true
    }

    /// The tags this run created.
    pub fn created_tags(&self) -> Vec<String> {
        self.created_tags.lock().expect("tags lock").clone()
    }

    /// Creates the tags a row needs, each once for the whole run.
    async fn ensure_tags(&self, tags: &[String]) -> Result<(), String> {
        for tag in tags {
            let maker = {
                let mut makers = self.tag_makers.lock().expect("tags lock");
                makers.entry(tag.to_lowercase()).or_default().clone()
            };
            maker.get_or_init(|| self.create_tag(tag)).await.clone()?;
        }
        Ok(())
    }

    async fn create_tag(&self, tag: &str) -> Result<(), String> {
        let body = serde_json::json!({ "label": tag });
        let url = self.client.url("/tags", &[]);
        match self
            .client
            .send_with_retries(Method::POST, url, Some(&body), self.client.writes())
            .await
        {
            Ok(a) if a.status.is_success() => {
                tracing::info!("created tag '{tag}'");
                self.created_tags
                    .lock()
                    .expect("tags lock")
                    .push(tag.to_owned());
                Ok(())
            }
            // Someone made it meanwhile (or an answer was lost): it exists, which is what we want.
            Ok(a) if matches!(a.error(), ApiError::Http { message, .. } if message.contains("already exists")) => {
                Ok(())
            }
            Ok(a) => Err(format!("could not create tag '{tag}': {}", a.error())),
            Err(ApiError::Stopped(stop)) => {
                if stop != Stop::Halted {
                    self.halt(stop.clone());
                }
                Err(format!("could not create tag '{tag}': {stop}"))
            }
            Err(e) => Err(format!("could not create tag '{tag}': {e}")),
        }
    }

    pub(crate) fn client(&self) -> &Client {
        self.client
    }

    pub(crate) fn version_id(&self) -> &str {
        &self.version_id
    }

    pub(crate) fn journal(&self) -> &Journal {
        self.journal
    }

    pub fn stopped(&self) -> Option<Stop> {
        self.stop.lock().expect("stop lock").clone()
    }

    pub(crate) fn skipped(&self, row: u64) -> Outcome {
        let why = self
            .stopped()
            .map_or_else(|| "the run stopped".to_owned(), |s| s.to_string());
        Outcome::new(row, RowResult::Skipped)
            .with_error("not attempted", format!("not attempted: {why}"))
    }

    /// The source with exactly this technical name, if any (the API's
    /// filter may match partially).
    pub(crate) async fn find(&self, technical_name: &str) -> Result<Option<Existing>, ApiError> {
        let query = [
            ("versionId", self.version_id.as_str()),
            ("technicalName", technical_name),
        ];
        let found: Vec<SourceItem> = self.client.get_all("/sources", &query).await?;
        Ok(found
            .into_iter()
            .find(|s| s.technical_key() == technical_name)
            .map(Existing::from))
    }

    /// Sends one row by `POST /sources/{versionId}` (with `upsert` when it
    /// may update). Rows of one technical name are kept in file order by the
    /// caller (`batch.rs`).
    pub(crate) async fn send(&self, sending: &Sending) -> anyhow::Result<Outcome> {
        let Sending {
            row,
            ref draft,
            exists,
            ref new_tags,
            ..
        } = *sending;
        if let Err(message) = self.ensure_tags(new_tags).await {
            return Ok(
                Outcome::new(row, RowResult::Failed).with_error("tags: could not create", message)
            );
        }
        let done = if exists {
            RowResult::Updated
        } else {
            RowResult::Created
        };
        let url = self
            .client
            .url(&format!("/sources/{}", self.version_id), &[]);
        let mut attempts = 0u32;
        let mut retries = 0u32;
        // An earlier attempt may have reached the server and created the source.
        let mut maybe_created = false;
        loop {
            if maybe_created && !draft.upsert {
                match self.find(draft.technical_key()).await {
                    Ok(Some(found)) => {
                        let mut o = with_source(Outcome::new(row, RowResult::Created), &found);
                        o.attempts = attempts;
                        return Ok(o);
                    }
                    // The earlier attempt did not create it: a later "already exists" is someone else's.
                    Ok(None) => maybe_created = false,
                    Err(e) => return Ok(self.failed_lookup(row, attempts, e)),
                }
            }
            self.journal.record(&Event::Sent {
                row,
                existed: exists,
            })?;
            attempts += 1;
            let failure = match self
                .client
                .attempt(Method::POST, url.clone(), Some(draft))
                .await
            {
                Ok(a) if a.status.is_success() => {
                    self.judge(Verdict::Accepted);
                    let mut o = sending.outcome(done);
                    o.http_status = Some(a.status.as_u16());
                    o.attempts = attempts;
                    match a.json::<Created>() {
                        Ok(c) => {
                            o.location = c.location;
                            o.source_id = Some(c.id);
                        }
                        Err(e) => o.error = Some(format!("the API's answer had no id: {e}")),
                    }
                    return Ok(o);
                }
                Ok(a) if a.status == StatusCode::TOO_MANY_REQUESTS => {
                    // Refused before any work: the pause is under way; go again after it.
                    attempts -= 1;
                    continue;
                }
                Ok(a) if a.status == StatusCode::UNAUTHORIZED => {
                    self.halt(Stop::Unauthorized);
                    return Ok(self.rejected(row, attempts, a.error()));
                }
                Ok(a) if a.status.is_client_error() => {
                    let e = a.error();
                    let exists_now = matches!(&e, ApiError::Http { message, .. } if message.contains("already exists"));
                    if exists_now
                        && attempts > 1
                        && !draft.upsert
                        && retries < self.client.writes().retries
                    {
                        // Our own earlier attempt created it: find it rather than fail.
                        maybe_created = true;
                        retries += 1;
                        continue;
                    }
                    self.judge_refusal(&e);
                    return Ok(self.rejected(row, attempts, e));
                }
                Ok(a) => (a.error(), a.retry_after),
                Err(ApiError::Stopped(stop)) => {
                    attempts -= 1;
                    if stop != Stop::Halted {
                        self.halt(stop);
                    }
                    return Ok(if attempts == 0 {
                        self.skipped(row)
                    } else {
                        self.interrupted(row, attempts, maybe_created)
                    });
                }
                Err(e) => {
                    maybe_created |= e.may_have_reached_server();
                    (e, None)
                }
            };
            // Server errors are worth another attempt, too: a 5xx may also
            // have come after the write, which the "already exists" path covers.
            let (error, retry_after) = failure;
            if !error.is_transient() {
                // A refused certificate: another attempt would be refused alike.
                return Ok(self.rejected(row, attempts, error));
            }
            if retries >= self.client.writes().retries {
                self.judge(Verdict::Unavailable);
                return Ok(self.exhausted(row, attempts, error));
            }
            retries += 1;
            self.wait_before_retry(retries, retry_after, format!("row {row}: {error}"))
                .await;
        }
    }

    /// The outcome of a row whose retries ran out (counted by the breaker
    /// once per request: call it once per batch).
    pub(crate) fn exhausted(&self, row: u64, attempts: u32, error: ApiError) -> Outcome {
        let mut o = self.rejected(row, attempts, error);
        o.error = o.error.map(|m| format!("{m} (after {attempts} attempts)"));
        o
    }

    /// Counts retry number `retry` and waits its backoff (or the `Retry-After`).
    pub(crate) async fn wait_before_retry(
        &self,
        retry: u32,
        retry_after: Option<std::time::Duration>,
        what: String,
    ) {
        self.client
            .pace()
            .counters
            .retries
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tracing::debug!("{what}; retry {retry}");
        // A stopping run does not wait out back-offs.
        tokio::select! {
            _ = tokio::time::sleep(self.client.writes().backoff(retry, retry_after)) => {}
            _ = self.client.pace().halted() => {}
        }
    }

    pub(crate) fn rejected(&self, row: u64, attempts: u32, e: ApiError) -> Outcome {
        let kind = match &e {
            ApiError::Http { status, .. } if *status < 500 => {
                format!("rejected by the API (HTTP {status})")
            }
            ApiError::Http { status, .. } => format!("HTTP {status} after retries"),
            ApiError::Transport { .. } => "no answer after retries".to_owned(),
            other => other.to_string(),
        };
        let mut o = Outcome::new(row, RowResult::Failed).with_error(kind, e.to_string());
        o.http_status = e.status();
        o.attempts = attempts;
        o
    }

    pub(crate) fn failed_lookup(&self, row: u64, attempts: u32, e: ApiError) -> Outcome {
        if e.is_transient() {
            self.judge(Verdict::Unavailable);
        }
        let mut o = self.rejected(row, attempts, e.clone());
        o.error = Some(format!(
            "sent, but whether it was created is unknown: the look-up failed ({e})"
        ));
        o
    }

    pub(crate) fn interrupted(&self, row: u64, attempts: u32, maybe_created: bool) -> Outcome {
        let why = self
            .stopped()
            .map_or_else(|| "stopped".to_owned(), |s| s.to_string());
        let message = if maybe_created {
            format!(
                "{why} before a retry; the source may have been created: check before importing again"
            )
        } else {
            format!("{why} before a retry")
        };
        let mut o =
            Outcome::new(row, RowResult::Failed).with_error("stopped before a retry", message);
        o.attempts = attempts;
        o
    }
}
