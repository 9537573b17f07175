//! Bulk mode (`--batch-size N`, 100 by default): rows that create a source
//! go up to N per `POST /sources/bulk/{versionId}`, rows that update one up
//! to N per `PUT /sources/bulk/{versionId}` (keyed by technical name), under
//! the same limiter, retries and 429 pause as single rows. The bulk routes
//! answer counts, not ids, and refuse a whole batch for one bad item: on a
//! 400 the batch is split in halves and each half sent again, down to single
//! rows, so that only the offending rows fail, each with its own message.
//!
//! No duplicate: the create route is atomic, so after an attempt whose
//! outcome is unknown (no answer, a 5xx, or counts that do not account for
//! the batch) either every item exists or none does. Each is looked up by
//! exact technical name before anything is sent again; those found are
//! `created`, the rest go on. An edit is idempotent: one whose outcome is
//! unknown is simply sent again. Ids of created rows are filled in after the
//! run from one listing (see `run.rs`); updated rows have theirs from the
//! listing at the start.
//!
//! A tenant without a bulk route (404, 405, 501) gets one request per row
//! from then on, said once.

use futures::FutureExt;
use futures::future::BoxFuture;
use reqwest::StatusCode;
use serde_json::Value;

use crate::client::api::wire::BulkCounts;
use crate::client::api::{ApiError, BulkRoute as Route};
use crate::client::breaker::Verdict;
use crate::exit::Stop;
use crate::pipeline::input::InputRow;
use crate::pipeline::journal::Event;
use crate::pipeline::plan::Sending;
use crate::pipeline::report::{Outcome, RowResult};
use crate::pipeline::send::Sender;

/// One row of a batch, and the requests that carried it.
struct Item<'a> {
    sending: &'a Sending,
    body: &'a Value,
    attempts: u32,
}

impl Item<'_> {
    fn row(&self) -> u64 {
        self.sending.row
    }
}

/// The body of one item on `route`: the row's fields, keyed by technical
/// name for an edit, never with `upsert` (the route says what to do).
fn item_body(route: Route, sending: &Sending) -> Value {
    let mut body = serde_json::to_value(&sending.draft).expect("a draft serializes");
    let fields = body.as_object_mut().expect("a draft is an object");
    fields.remove("upsert");
    if route == Route::Update {
        fields.insert("technicalName".into(), sending.draft.technical_key().into());
    }
    body
}

/// Sends a batch; one outcome per row, in the batch's order.
pub async fn send_batch(
    sender: &Sender<'_>,
    route: Route,
    rows: Vec<(InputRow, Sending)>,
) -> anyhow::Result<Vec<(InputRow, Outcome)>> {
    if sender.stopped().is_some() {
        return Ok(rows
            .into_iter()
            .map(|(r, _)| {
                let o = sender.skipped(r.row);
                (r, o)
            })
            .collect());
    }
    if !sender.bulk_route_works(route) {
        let mut outcomes = Vec::with_capacity(rows.len());
        for (row, sending) in rows {
            let outcome = sender.send(&sending).await?;
            outcomes.push((row, outcome));
        }
        return Ok(outcomes);
    }
    for (_, sending) in &rows {
        sender.journal().record(&Event::Sent {
            row: sending.row,
            existed: route == Route::Update,
        })?;
    }
    let bodies: Vec<Value> = rows.iter().map(|(_, s)| item_body(route, s)).collect();
    let items = rows
        .iter()
        .zip(&bodies)
        .map(|((_, sending), body)| Item {
            sending,
            body,
            attempts: 0,
        })
        .collect();
    let outcomes = post(sender, route, items).await?;
    Ok(rows.into_iter().map(|(r, _)| r).zip(outcomes).collect())
}

fn done(route: Route, item: &Item<'_>, status: Option<u16>) -> Outcome {
    let result = match route {
        Route::Create => RowResult::Created,
        Route::Update => RowResult::Updated,
    };
    let mut o = item.sending.outcome(result);
    o.http_status = status;
    o.attempts = item.attempts;
    o
}

/// A batch on its way: the items, their outcomes once settled, and which
/// are still open (by position).
struct Batch<'a> {
    items: Vec<Item<'a>>,
    settled: Vec<Option<Outcome>>,
    open: Vec<usize>,
}

impl<'a> Batch<'a> {
    fn new(items: Vec<Item<'a>>) -> Batch<'a> {
        Batch {
            settled: items.iter().map(|_| None).collect(),
            open: (0..items.len()).collect(),
            items,
        }
    }

    /// Settles every open item with `outcome`.
    fn settle_open(&mut self, mut outcome: impl FnMut(&Item<'a>) -> Outcome) {
        for i in std::mem::take(&mut self.open) {
            self.settled[i] = Some(outcome(&self.items[i]));
        }
    }

    /// After an attempt whose outcome is unknown: all or nothing, so
    /// whatever exists now was made by that attempt.
    async fn look_up(&mut self, sender: &Sender<'_>, route: Route) {
        let mut still = Vec::new();
        for i in std::mem::take(&mut self.open) {
            let item = &self.items[i];
            self.settled[i] = match sender.find(item.sending.draft.technical_key()).await {
                Ok(Some(found)) => {
                    let mut o = done(route, item, None);
                    o.source_id = Some(found.id);
                    o.location = found.location;
                    Some(o)
                }
                Ok(None) => {
                    still.push(i);
                    None
                }
                Err(e) => Some(sender.failed_lookup(item.row(), item.attempts, e)),
            };
        }
        self.open = still;
    }

    /// The open items in two halves, to be sent apart.
    fn halves(&self) -> (Vec<Item<'a>>, Vec<Item<'a>>) {
        let mut left: Vec<Item<'a>> = self
            .open
            .iter()
            .map(|&i| Item {
                sending: self.items[i].sending,
                body: self.items[i].body,
                attempts: self.items[i].attempts,
            })
            .collect();
        let right = left.split_off(left.len() / 2);
        (left, right)
    }

    fn outcomes(self) -> Vec<Outcome> {
        self.settled
            .into_iter()
            .map(|o| o.expect("settled"))
            .collect()
    }
}

/// Whether a 2xx bulk answer proves the batch done: counts that account
/// for every item, and for a create, nothing updated.
fn proven(answer: &crate::client::api::Answer, route: Route, sent: usize) -> bool {
    answer
        .json::<BulkCounts>()
        .is_ok_and(|c| c.accounts_for(sent) && (route == Route::Update || c.updated == 0))
}

/// Sends `items` as one request, splitting it on a 400.
fn post<'a>(
    sender: &'a Sender<'a>,
    route: Route,
    items: Vec<Item<'a>>,
) -> BoxFuture<'a, anyhow::Result<Vec<Outcome>>> {
    async move {
        let client = sender.client();
        let url = client.url(&format!("/sources/bulk/{}", sender.version_id()), &[]);
        let mut batch = Batch::new(items);
        let mut maybe_created = false;
        let mut retries = 0;
        loop {
            if maybe_created {
                batch.look_up(sender, route).await;
                maybe_created = false;
            }
            if batch.open.is_empty() {
                return Ok(batch.outcomes());
            }
            let body: Vec<&Value> = batch.open.iter().map(|&i| batch.items[i].body).collect();
            for &i in &batch.open {
                batch.items[i].attempts += 1;
            }
            let sent = batch.open.len();
            let failure = match client
                .attempt(route.method(), url.clone(), Some(&body))
                .await
            {
                Ok(a) if a.status.is_success() && proven(&a, route, sent) => {
                    sender.judge(Verdict::Accepted);
                    batch.settle_open(|item| done(route, item, Some(a.status.as_u16())));
                    continue;
                }
                Ok(a) if a.status.is_success() => {
                    // Counts that do not account for the batch prove nothing: as if lost.
                    maybe_created = route == Route::Create;
                    let said = String::from_utf8_lossy(&a.body).chars().take(200).collect();
                    (ApiError::Decode(said), None)
                }
                Ok(a) if a.status == StatusCode::TOO_MANY_REQUESTS => {
                    for &i in &batch.open {
                        batch.items[i].attempts -= 1;
                    }
                    continue;
                }
                Ok(a) if a.status == StatusCode::UNAUTHORIZED => {
                    sender.halt(Stop::Unauthorized);
                    batch.settle_open(|item| sender.rejected(item.row(), item.attempts, a.error()));
                    continue;
                }
                Ok(a) if route_missing(a.status) && sender.bulk_route_missing(route) => {
                    // Nothing was done: one request per row from now on.
                    for i in std::mem::take(&mut batch.open) {
                        let mut o = sender.send(batch.items[i].sending).await?;
                        o.attempts += batch.items[i].attempts;
                        batch.settled[i] = Some(o);
                    }
                    continue;
                }
                Ok(a) if a.status.is_client_error() => {
                    let e = a.error();
                    sender.judge_refusal(&e);
                    // Alone, or refused alike as the run stops: the refusal is the outcome.
                    if sent == 1 || sender.stopped().is_some() {
                        batch.settle_open(|item| {
                            sender.rejected(item.row(), item.attempts, e.clone())
                        });
                        continue;
                    }
                    // One bad item refuses the batch: nothing was done. Halve it.
                    let (left, right) = batch.halves();
                    let mut outcomes = post(sender, route, left).await?;
                    outcomes.extend(post(sender, route, right).await?);
                    let mut outcomes = outcomes.into_iter();
                    batch.settle_open(|_| outcomes.next().expect("one outcome per item"));
                    continue;
                }
                // A 5xx may come after the write: treat it as unknown.
                Ok(a) => {
                    maybe_created = route == Route::Create;
                    (a.error(), a.retry_after)
                }
                Err(ApiError::Stopped(stop)) => {
                    if stop != Stop::Halted {
                        sender.halt(stop);
                    }
                    batch.settle_open(|item| match item.attempts - 1 {
                        0 => sender.skipped(item.row()),
                        n => sender.interrupted(item.row(), n, route == Route::Create),
                    });
                    continue;
                }
                Err(e) => {
                    maybe_created |= route == Route::Create && e.may_have_reached_server();
                    (e, None)
                }
            };
            let (error, retry_after) = failure;
            let transient = error.is_transient() || matches!(error, ApiError::Decode(_));
            if retries >= client.writes().retries || !transient {
                if transient {
                    sender.judge(Verdict::Unavailable);
                }
                batch
                    .settle_open(|item| sender.exhausted(item.row(), item.attempts, error.clone()));
                continue;
            }
            retries += 1;
            let what = format!("batch of {sent}: {error}");
            sender.wait_before_retry(retries, retry_after, what).await;
        }
    }
    .boxed()
}

/// The tenant has no such route.
fn route_missing(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED | StatusCode::NOT_IMPLEMENTED
    )
}
