//! Sending one row: `POST /sources/{versionId}` under the limiter, with
//! retries, the tags it needs created first, and the run's stop reason.
//!
//! Invariant: a row is never sent twice into a duplicate. When a POST's
//! outcome is unknown (no answer after sending, or a retry answered "already
//! exists"), the source is looked up by its exact technical name before any
//! resend.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use reqwest::Method;
use tokio::sync::OnceCell;

use crate::client::api::wire::{Created, SourceItem};
use crate::client::api::{Answer, ApiError, Client};
use crate::client::breaker::Breaker;
use crate::client::exchange::{Exchange, Over, Reply, says_exists};
use crate::client::routes::{self, Kind, Way};
use crate::exit::Stop;
use crate::model::action::Action;
use crate::model::key::Key;
use crate::model::outcome::{ErrorKind, Outcome, Problem, RowResult};
use crate::pipeline::directory::{Existing, Target, with_source};
use crate::pipeline::journal::{Event, Journal, Sent};
use crate::pipeline::plan::Sending;
use crate::pipeline::progress::Progress;

/// The creation of one missing tag, awaited by every row that needs it.
type TagMaker = Arc<OnceCell<Result<(), String>>>;

/// The concurrent part: sending one row, with retries and look-ups.
pub(crate) struct Sender<'a> {
    client: &'a Client,
    version_id: String,
    journal: &'a Journal,
    /// Counts how the requests of rows end (`exchange.rs` judges).
    breaker: Mutex<Breaker>,
    /// The first local failure (the journal or the report unwritable):
    /// the run stops on it and ends with exit 4.
    local_failure: Mutex<Option<anyhow::Error>>,
    /// One creation per missing tag (lower case), shared by the rows that need it.
    tag_makers: Mutex<HashMap<String, TagMaker>>,
    created_tags: Mutex<Vec<String>>,
    /// The progress, for the rows of a batch sent one by one (a tenant
    /// without the bulk route): each counted as it ends, not with its batch.
    progress: Option<&'a Progress>,
    counted: Mutex<std::collections::HashSet<u64>>,
}

impl<'a> Sender<'a> {
    pub(crate) fn new(client: &'a Client, target: &Target, journal: &'a Journal) -> Sender<'a> {
        Sender {
            client,
            version_id: target.version_id.clone(),
            journal,
            breaker: Mutex::default(),
            local_failure: Mutex::default(),
            tag_makers: Mutex::default(),
            created_tags: Mutex::default(),
            progress: None,
            counted: Mutex::default(),
        }
    }

    /// Counts on `progress` the rows it sends one by one inside a batch.
    pub(crate) fn counting(mut self, progress: &'a Progress) -> Sender<'a> {
        self.progress = Some(progress);
        self
    }

    /// A row of a batch that went on its own is done: counted now.
    pub(crate) fn count_now(&self, outcome: &Outcome) {
        if let Some(progress) = self.progress {
            progress.row_done(outcome.result.is_success());
            self.counted.lock().expect("counted").insert(outcome.row);
        }
    }

    /// Whether the row was counted already (`count_now`); forgets it.
    pub(crate) fn counted_already(&self, row: u64) -> bool {
        self.counted.lock().expect("counted").remove(&row)
    }

    /// The exchange of one request of a row (or a batch): the breaker counts it.
    pub(crate) fn exchange(&self, method: Method, url: reqwest::Url) -> Exchange<'_> {
        Exchange::new(self.client, method, url, self.client.writes()).counted(&self.breaker)
    }

    /// Stops the run for a local failure once writes have begun: no new
    /// row starts, answers in flight are awaited and recorded where they
    /// can be; the run then ends with this error (exit 4).
    pub(crate) fn fail_locally(&self, e: anyhow::Error) {
        let mut first = self.local_failure.lock().expect("failure lock");
        if first.is_none() {
            *first = Some(e);
        }
        drop(first);
        self.client.halt().stop(Stop::LocalFailure);
    }

    /// The local failure that stopped the run, if one did.
    pub(crate) fn local_failure(&self) -> Option<anyhow::Error> {
        self.local_failure.lock().expect("failure lock").take()
    }

    /// Records that `row` is about to be sent; false (the run stopping)
    /// when the journal cannot take it, and then it must not be sent.
    pub(crate) fn note_sent(&self, row: u64, action: Action) -> bool {
        match self.journal.record(&Event::Sent(Sent { row, action })) {
            Ok(()) => true,
            Err(e) => {
                self.fail_locally(e);
                false
            }
        }
    }

    /// The tags this run created.
    pub(crate) fn created_tags(&self) -> Vec<String> {
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
            Ok(a) if says_exists(&a.error()) => Ok(()),
            Ok(a) => Err(format!("could not create tag '{tag}': {}", a.error())),
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

    pub(crate) fn stopped(&self) -> Option<Stop> {
        self.client.halt().stopped()
    }

    pub(crate) fn skipped(&self, row: u64) -> Outcome {
        let why = self
            .stopped()
            .map_or_else(|| "the run stopped".to_owned(), |s| s.to_string());
        Outcome::new(row, RowResult::Skipped).with_error(
            ErrorKind::row(Problem::NotAttempted),
            format!("not attempted: {why}"),
        )
    }

    /// The source with exactly this key, if any (the API's filter may
    /// match partially).
    pub(crate) async fn find(&self, key: &Key) -> Result<Option<Existing>, ApiError> {
        let technical_name = key.technical_name();
        let query = [
            ("versionId", self.version_id.as_str()),
            ("technicalName", technical_name),
        ];
        let listing = Kind::Source.listing();
        let found: Vec<SourceItem> = self.client.get_all(listing, &query).await?;
        Ok(found
            .into_iter()
            .find(|s| s.technical_key() == technical_name)
            .map(Existing::from))
    }

    /// Sends one row by `POST /sources/{versionId}` (with `upsert` when it
    /// may update). Rows of one technical name are kept in file order by the
    /// caller (`batch.rs`).
    pub(crate) async fn send(&self, sending: &Sending) -> Outcome {
        let Sending { row, ref draft, .. } = *sending;
        if let Err(message) = self.ensure_tags(&sending.new_tags).await {
            return Outcome::new(row, RowResult::Failed)
                .with_error(ErrorKind::of("tags", Problem::TagsNotCreated), message);
        }
        let route = routes::route(Kind::Source, Way::One, &self.version_id);
        let url = self.client.url(&route.path, &[]);
        let mut exchange = self.exchange(Method::POST, url);
        // An earlier attempt may have reached the server and created the source.
        let mut maybe_created = false;
        loop {
            if maybe_created && !draft.upsert {
                match self.find(&sending.key).await {
                    Ok(Some(found)) => {
                        let mut o = with_source(Outcome::new(row, RowResult::Created), &found);
                        o.attempts = exchange.attempts();
                        return o;
                    }
                    // The earlier attempt did not create it: a later "already exists" is someone else's.
                    Ok(None) => maybe_created = false,
                    Err(e) => return self.failed_lookup(row, exchange.attempts(), e, &exchange),
                }
            }
            if !self.note_sent(row, sending.action) {
                return self.skipped(row);
            }
            match exchange.attempt(Some(draft)).await {
                Reply::Answered(a) if a.status.is_success() => {
                    exchange.accepted();
                    return sent(sending, &a, exchange.attempts());
                }
                Reply::Answered(a) => {
                    let e = a.error();
                    // Our own earlier attempt may have created it: find it rather than fail.
                    let ours = says_exists(&e) && exchange.attempts() > 1 && !draft.upsert;
                    if ours && exchange.spend_retry() {
                        maybe_created = true;
                        continue;
                    }
                    exchange.refused(&e);
                    return self.rejected(row, exchange.attempts(), e);
                }
                Reply::Again { may_have_acted } => maybe_created |= may_have_acted,
                Reply::Over(over) => {
                    return self.ended(row, exchange.attempts(), &over, maybe_created);
                }
            }
        }
    }

    /// The outcome of a row whose exchange ended without an answer to read.
    pub(crate) fn ended(
        &self,
        row: u64,
        attempts: u32,
        over: &Over,
        maybe_created: bool,
    ) -> Outcome {
        match over {
            Over::Stopped(_) if attempts == 0 => self.skipped(row),
            Over::Stopped(_) => self.interrupted(row, attempts, maybe_created),
            Over::Unauthorized(e) | Over::Failed(e) => self.rejected(row, attempts, e.clone()),
        }
    }

    pub(crate) fn rejected(&self, row: u64, attempts: u32, e: ApiError) -> Outcome {
        let problem = match &e {
            ApiError::Http { status, .. } if *status < 500 => Problem::Rejected(*status),
            ApiError::Http { status, .. } => Problem::ServerError(*status),
            ApiError::Transport { .. } => Problem::NoAnswer,
            other => Problem::Other(other.to_string()),
        };
        let kind = ErrorKind::row(problem);
        let mut o = Outcome::new(row, RowResult::Failed).with_error(kind, e.to_string());
        o.http_status = e.status();
        o.attempts = attempts;
        o
    }

    /// A create whose outcome is unknown and whose look-up failed.
    pub(crate) fn failed_lookup(
        &self,
        row: u64,
        attempts: u32,
        e: ApiError,
        exchange: &Exchange<'_>,
    ) -> Outcome {
        if e.is_transient() {
            exchange.unavailable();
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
        let mut o = Outcome::new(row, RowResult::Failed)
            .with_error(ErrorKind::row(Problem::StoppedBeforeRetry), message);
        o.attempts = attempts;
        o
    }
}

/// The outcome of a row the API accepted.
fn sent(sending: &Sending, answer: &Answer, attempts: u32) -> Outcome {
    let mut o = sending.outcome(sending.action.done());
    o.http_status = Some(answer.status.as_u16());
    o.attempts = attempts;
    match answer.json::<Created>() {
        Ok(c) => {
            o.location = c.location;
            o.source_id = Some(c.id);
        }
        Err(e) => o.error = Some(format!("the API's answer had no id: {e}")),
    }
    o
}
