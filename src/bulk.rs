//! Bulk mode (`--batch-size N`): rows that create a source go up to N per
//! `POST /sources/bulk/{versionId}`, under the same limiter, retries and 429
//! pause as single rows. The bulk route answers counts, not ids, and refuses
//! a whole batch for one bad item: on a 400 the batch is split in halves and
//! each half sent again, down to single rows, so that only the offending rows
//! fail, each with its own message. Requests are spent on splitting only where
//! a batch failed.
//!
//! No duplicate: the route is atomic, so after an attempt whose outcome is
//! unknown (no answer, a 5xx) either every item exists or none does. Each is
//! looked up by exact technical name before anything is sent again; those
//! found are `created`, the rest go on. Ids are filled in after the run from
//! one listing of the version's sources (see `run.rs`).

use futures::FutureExt;
use futures::future::BoxFuture;
use reqwest::{Method, StatusCode};

use crate::api::ApiError;
use crate::breaker::Verdict;
use crate::exit::Stop;
use crate::input::InputRow;
use crate::journal::Event;
use crate::report::{Outcome, RowResult};
use crate::send::Sender;
use crate::source::SourceDraft;

/// One row of a batch, and the requests that carried it.
struct Item<'a> {
    row: u64,
    draft: &'a SourceDraft,
    attempts: u32,
}

/// Sends a batch; one outcome per row, in the batch's order.
pub async fn send_batch(
    sender: &Sender<'_>,
    rows: Vec<(InputRow, SourceDraft)>,
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
    for (row, _) in &rows {
        sender.journal().record(&Event::Sent {
            row: row.row,
            existed: false,
        })?;
    }
    let items = rows
        .iter()
        .map(|(r, d)| Item {
            row: r.row,
            draft: d,
            attempts: 0,
        })
        .collect();
    let outcomes = post(sender, items).await?;
    Ok(rows.into_iter().map(|(r, _)| r).zip(outcomes).collect())
}

fn created(item: &Item<'_>, status: Option<u16>) -> Outcome {
    let mut o = Outcome::new(item.row, RowResult::Created);
    o.http_status = status;
    o.attempts = item.attempts;
    o
}

/// Sends `items` as one request, splitting it on a 400.
fn post<'a>(
    sender: &'a Sender<'a>,
    mut items: Vec<Item<'a>>,
) -> BoxFuture<'a, anyhow::Result<Vec<Outcome>>> {
    async move {
        let client = sender.client();
        let url = client.url(&format!("/sources/bulk/{}", sender.version_id()), &[]);
        // Outcomes settled by a look-up, by position in `items` as it came.
        let mut settled: Vec<Option<Outcome>> = items.iter().map(|_| None).collect();
        let mut open: Vec<usize> = (0..items.len()).collect();
        let mut maybe_created = false;
        let mut retries = 0;
        loop {
            if maybe_created {
                // All or nothing: whatever exists now was made by that attempt.
                let mut still = Vec::new();
                for &i in &open {
                    match sender.find(items[i].draft.technical_key()).await {
                        Ok(Some(found)) => {
                            let mut o = created(&items[i], None);
                            o.source_id = Some(found.id);
                            o.location = found.location;
                            settled[i] = Some(o);
                        }
                        Ok(None) => still.push(i),
                        Err(e) => {
                            settled[i] =
                                Some(sender.failed_lookup(items[i].row, items[i].attempts, e))
                        }
                    }
                }
                open = still;
                maybe_created = false;
            }
            if open.is_empty() {
                return Ok(settled.into_iter().map(|o| o.expect("settled")).collect());
            }
            let body: Vec<&SourceDraft> = open.iter().map(|&i| items[i].draft).collect();
            for &i in &open {
                items[i].attempts += 1;
            }
            let failure = match client.attempt(Method::POST, url.clone(), Some(&body)).await {
                Ok(a) if a.status.is_success() => {
                    sender.judge(Verdict::Accepted);
                    for &i in &open {
                        settled[i] = Some(created(&items[i], Some(a.status.as_u16())));
                    }
                    open.clear();
                    continue;
                }
                Ok(a) if a.status == StatusCode::TOO_MANY_REQUESTS => {
                    for &i in &open {
                        items[i].attempts -= 1;
                    }
                    continue;
                }
                Ok(a) if a.status == StatusCode::UNAUTHORIZED => {
                    sender.halt(Stop::Unauthorized);
                    for &i in &open {
                        settled[i] =
                            Some(sender.rejected(items[i].row, items[i].attempts, a.error()));
                    }
                    open.clear();
                    continue;
                }
                Ok(a) if a.status.is_client_error() && open.len() == 1 => {
                    let i = open[0];
                    let e = a.error();
                    sender.judge_refusal(&e);
                    settled[i] = Some(sender.rejected(items[i].row, items[i].attempts, e));
                    open.clear();
                    continue;
                }
                Ok(a) if a.status.is_client_error() => {
                    sender.judge_refusal(&a.error());
                    if sender.stopped().is_some() {
                        // Every request is refused alike: halving would only spend more.
                        let e = a.error();
                        for &i in &open {
                            let item = &items[i];
                            settled[i] = Some(sender.rejected(item.row, item.attempts, e.clone()));
                        }
                        open.clear();
                        continue;
                    }
                    // One bad item refuses the batch: nothing was created. Halve it.
                    let mut halves: Vec<Item<'a>> = Vec::new();
                    for &i in &open {
                        halves.push(Item {
                            row: items[i].row,
                            draft: items[i].draft,
                            attempts: items[i].attempts,
                        });
                    }
                    let right = halves.split_off(halves.len() / 2);
                    let mut outcomes = post(sender, halves).await?;
                    outcomes.extend(post(sender, right).await?);
                    for (&i, o) in open.iter().zip(outcomes) {
                        settled[i] = Some(o);
                    }
                    open.clear();
                    continue;
                }
                // A 5xx may come after the write: treat it as unknown.
                Ok(a) => {
                    maybe_created = true;
                    (a.error(), a.retry_after)
                }
                Err(ApiError::Stopped(stop)) => {
                    if stop != Stop::Halted {
                        sender.halt(stop);
                    }
                    for &i in &open {
                        items[i].attempts -= 1;
                        let item = &items[i];
                        settled[i] = Some(if item.attempts == 0 {
                            sender.skipped(item.row)
                        } else {
                            sender.interrupted(item.row, item.attempts, true)
                        });
                    }
                    open.clear();
                    continue;
                }
                Err(e) => {
                    maybe_created |= e.may_have_reached_server();
                    (e, None)
                }
            };
            let (error, retry_after) = failure;
            if retries >= client.writes().retries || !error.is_transient() {
                if error.is_transient() {
                    sender.judge(Verdict::Unavailable);
                }
                for &i in &open {
                    settled[i] =
                        Some(sender.exhausted(items[i].row, items[i].attempts, error.clone()));
                }
                open.clear();
                continue;
            }
            retries += 1;
            let what = format!("batch of {}: {error}", open.len());
            sender.wait_before_retry(retries, retry_after, what).await;
        }
    }
    .boxed()
}
