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
use serde_json::Value;

use crate::client::api::wire::BulkCounts;
use crate::client::api::{Answer, ApiError};
use crate::client::exchange::{Exchange, Reply};
use crate::client::routes::{self, Kind, Way};
use crate::model::action::Action;
use crate::model::outcome::Outcome;
use crate::pipeline::input::InputRow;
use crate::pipeline::plan::Sending;
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
fn item_body(route: Action, sending: &Sending) -> Value {
    let mut body = serde_json::to_value(&sending.draft).expect("a draft serializes");
    let fields = body.as_object_mut().expect("a draft is an object");
    fields.remove("upsert");
    if route == Action::Update {
        fields.insert("technicalName".into(), sending.key.technical_name().into());
    }
    body
}

/// Sends a batch; one outcome per row, in the batch's order.
pub(crate) async fn send_batch(
    sender: &Sender<'_>,
    route: Action,
    rows: Vec<(InputRow, Sending)>,
) -> Vec<(InputRow, Outcome)> {
    let mut outcomes = Vec::with_capacity(rows.len());
    if !sender.client().routes().bulk_works(route) {
        for (row, sending) in rows {
            let outcome = sender.send(&sending).await;
            sender.count_now(&outcome);
            outcomes.push((row, outcome));
        }
        return outcomes;
    }
    let mut noted = Vec::with_capacity(rows.len());
    for (row, sending) in rows {
        // Not one row goes once the run stops (or the journal cannot take it).
        if sender.stopped().is_none() && sender.note_sent(sending.row, sending.action) {
            noted.push((row, sending));
        } else {
            let o = sender.skipped(row.row);
            outcomes.push((row, o));
        }
    }
    let bodies: Vec<Value> = noted.iter().map(|(_, s)| item_body(route, s)).collect();
    let items = noted
        .iter()
        .zip(&bodies)
        .map(|((_, sending), body)| Item {
            sending,
            body,
            attempts: 0,
        })
        .collect();
    let sent = post(sender, route, items).await;
    outcomes.extend(noted.into_iter().map(|(r, _)| r).zip(sent));
    outcomes
}

fn done(item: &Item<'_>, status: Option<u16>) -> Outcome {
    let mut o = item.sending.outcome(item.sending.action.done());
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
    async fn look_up(&mut self, sender: &Sender<'_>, exchange: &Exchange<'_>) {
        let mut still = Vec::new();
        for i in std::mem::take(&mut self.open) {
            let item = &self.items[i];
            self.settled[i] = match sender.find(&item.sending.key).await {
                Ok(Some(found)) => {
                    let mut o = done(item, None);
                    o.source_id = Some(found.id);
                    o.location = found.location;
                    Some(o)
                }
                Ok(None) => {
                    still.push(i);
                    None
                }
                Err(e) => Some(sender.failed_lookup(item.row(), item.attempts, e, exchange)),
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
fn proven(answer: &Answer, route: Action, sent: usize) -> bool {
    answer
        .json::<BulkCounts>()
        .is_ok_and(|c| c.accounts_for(sent) && (route == Action::Update || c.updated == 0))
}

/// What to do after reading a bulk answer.
enum Then {
    /// Go on: send what is still open, if anything.
    Next,
    /// The batch's outcome is unknown: look its items up first.
    LookUp,
}

/// Sends `items` as one request, splitting it on a 400.
fn post<'a>(
    sender: &'a Sender<'a>,
    route: Action,
    items: Vec<Item<'a>>,
) -> BoxFuture<'a, Vec<Outcome>> {
    async move {
        let bulk = routes::route(Kind::Source, Way::Bulk(route), sender.version_id());
        let url = sender.client().url(&bulk.path, &[]);
        let mut exchange = sender.exchange(bulk.method, url);
        let mut batch = Batch::new(items);
        let mut then = Then::Next;
        loop {
            if let Then::LookUp = then {
                batch.look_up(sender, &exchange).await;
            }
            if batch.open.is_empty() {
                return batch.outcomes();
            }
            let body: Vec<&Value> = batch.open.iter().map(|&i| batch.items[i].body).collect();
            let before = exchange.attempts();
            let reply = exchange.attempt(Some(&body)).await;
            for &i in &batch.open {
                batch.items[i].attempts += exchange.attempts() - before;
            }
            then = match reply {
                Reply::Answered(a) => read(sender, &mut exchange, route, &mut batch, a).await,
                // The create route is all or nothing: what exists now, that attempt made.
                Reply::Again {
                    may_have_acted: true,
                } if route == Action::Create => Then::LookUp,
                Reply::Again { .. } => Then::Next,
                Reply::Over(over) => {
                    let created = route == Action::Create;
                    batch.settle_open(|item| {
                        sender.ended(item.row(), item.attempts, &over, created)
                    });
                    Then::Next
                }
            };
        }
    }
    .boxed()
}

/// Reads a bulk answer (a 2xx or a refusal) and settles what it settles.
async fn read<'a>(
    sender: &'a Sender<'a>,
    exchange: &mut Exchange<'_>,
    route: Action,
    batch: &mut Batch<'a>,
    answer: Answer,
) -> Then {
    let sent = batch.open.len();
    if answer.status.is_success() && proven(&answer, route, sent) {
        exchange.accepted();
        batch.settle_open(|item| done(item, Some(answer.status.as_u16())));
        return Then::Next;
    }
    if answer.status.is_success() {
        // Counts that do not account for the batch prove nothing: as if lost.
        let said = String::from_utf8_lossy(&answer.body)
            .chars()
            .take(200)
            .collect();
        return match exchange.retry(ApiError::Decode(said), None).await {
            Reply::Over(over) => {
                batch.settle_open(|item| sender.ended(item.row(), item.attempts, &over, false));
                Then::Next
            }
            _ if route == Action::Create => Then::LookUp,
            _ => Then::Next,
        };
    }
    if routes::is_missing(answer.status.as_u16()) {
        sender.client().routes().bulk_missing(route);
        // Nothing was done: one request per row from now on.
        for i in std::mem::take(&mut batch.open) {
            let mut o = sender.send(batch.items[i].sending).await;
            o.attempts += batch.items[i].attempts;
            sender.count_now(&o);
            batch.settled[i] = Some(o);
        }
        return Then::Next;
    }
    let e = answer.error();
    exchange.refused(&e);
    // Alone, or refused alike as the run stops: the refusal is the outcome.
    if sent == 1 || sender.stopped().is_some() {
        batch.settle_open(|item| sender.rejected(item.row(), item.attempts, e.clone()));
        return Then::Next;
    }
    // One bad item refuses the batch: nothing was done. Halve it.
    let (left, right) = batch.halves();
    let mut outcomes = post(sender, route, left).await;
    outcomes.extend(post(sender, route, right).await);
    let mut outcomes = outcomes.into_iter();
    batch.settle_open(|_| outcomes.next().expect("one outcome per item"));
    Then::Next
}
