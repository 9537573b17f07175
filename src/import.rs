//! The pipeline that joins the stages: each row is planned in file order
//! (what was done before, validation and resolution, duplicates, the
//! existing sources), then sent concurrently (`send.rs`, or `bulk.rs` in
//! batches) and its outcome recorded in the journal and the report.
//!
//! Invariants:
//! - a row failure is data (an `Outcome`), never an early return; only
//!   failures of the whole run (journal or report unwritable) are errors;
//! - once the run halts (Ctrl-C, 401, breaker, `--max-wait`), no new row is
//!   started: the rest are `skipped`;
//! - the breaker (`breaker.rs`, fed by the senders) stops the run when
//!   requests keep failing for one reason.

use std::collections::HashMap;
use std::io::Write;

use futures::StreamExt;

use crate::cli::IfExists;
use crate::directory::{Directory, Existing, Rules, with_source};
use crate::input::{Field, HeaderMap, InputRow};
use crate::journal::Event;
use crate::progress::Progress;
use crate::report::{Outcome, ReportWriter, RowResult};
use crate::send::Sender;
use crate::source::{RowError, SourceDraft, fingerprint};
use crate::summary::Tally;

/// What a row will do, decided in file order before it starts.
enum Plan {
    Ready(Outcome),
    /// The source exists and the row would fail "already exists".
    Conflict(u64, Existing),
    Send {
        row: u64,
        draft: SourceDraft,
        /// The source exists (or an earlier row of this file made it): the result is `updated`.
        exists: bool,
        /// Tags to create first (`--create-missing-tags`).
        new_tags: Vec<String>,
    },
}

/// What earlier runs into this report already did: outcomes kept in the
/// journal of an interrupted run, and rows whose request went out without a
/// recorded answer (with whether their source existed then).
#[derive(Debug, Default)]
pub struct Prior {
    pub done: HashMap<u64, Outcome>,
    pub sent: HashMap<u64, bool>,
}

impl Prior {
    pub fn from_journal(events: Vec<Event>) -> Prior {
        let mut prior = Prior::default();
        for event in events {
            match event {
                Event::Sent { row, existed } => {
                    prior.sent.insert(row, existed);
                }
                Event::Done(outcome) => {
                    prior.done.insert(outcome.row, outcome);
                }
            }
        }
        prior.sent.retain(|row, _| !prior.done.contains_key(row));
        prior
    }
}

/// The sequential part: what was done before, validation, duplicates, and
/// the `--if-exists` policy.
struct Planner<'a> {
    directory: &'a Directory,
    header: &'a HeaderMap,
    if_exists: IfExists,
    rules: Rules,
    prior: Prior,
    /// Fingerprint of each technical name seen → its first row.
    seen: HashMap<u64, u64>,
}

fn invalid(row: u64, errors: &[RowError]) -> Outcome {
    let message = errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ");
    let kind = errors.first().map(RowError::kind).unwrap_or_default();
    Outcome::new(row, RowResult::Invalid).with_error(kind, message)
}

impl Planner<'_> {
    fn plan(&mut self, input: &InputRow) -> Plan {
        let row = input.row;
        // Done before (this run's journal, or the report a rerun reads): carried over as it is.
        let carried = self
            .prior
            .done
            .remove(&row)
            .or_else(|| input.previous.clone().filter(|p| p.result.is_done()));
        if let Some(outcome) = carried {
            if let Some(key) = self
                .header
                .cell(&input.cells, Field::TechnicalName)
                .or(self.header.cell(&input.cells, Field::Name))
            {
                self.seen.entry(fingerprint(key)).or_insert(row);
            }
            return Plan::Ready(outcome);
        }
        let (mut draft, new_tags) = match self.directory.resolve(self.header, input, self.rules) {
            Ok(resolved) => (resolved.draft, resolved.new_tags),
            Err(errors) => return Plan::Ready(invalid(row, &errors)),
        };
        let upsert = draft.upsert || self.if_exists == IfExists::Update;
        let key = draft.technical_key().to_owned();
        let earlier = match self.seen.get(&fingerprint(&key)) {
            Some(first_row) if !upsert => {
                let dup = RowError::Duplicate {
                    first_row: *first_row,
                    technical_name: key,
                };
                return Plan::Ready(invalid(row, &[dup]));
            }
            Some(_) => true,
            None => {
                self.seen.insert(fingerprint(&key), row);
                false
            }
        };
        // Sent before without a known outcome: by the journal, or by a report's attempts.
        let sent_before: Option<bool> = self.prior.sent.remove(&row).or_else(|| {
            input
                .previous
                .as_ref()
                // A clean refusal (4xx) created nothing; no answer or a 5xx may have.
                .filter(|p| p.attempts > 0 && p.http_status.is_none_or(|s| s >= 500))
                .map(|_| false)
        });
        let existing = self.directory.existing(&key);
        if upsert {
            draft.upsert = true;
            let exists = match sent_before {
                Some(existed_then) => existed_then,
                None => earlier || existing.is_some(),
            };
            return Plan::Send {
                row,
                draft,
                exists,
                new_tags,
            };
        }
        match (existing, sent_before) {
            // It was sent without an answer when it did not exist: it exists now because of us.
            (Some(e), Some(false)) => {
                tracing::debug!("row {row}: found after an earlier attempt without an answer");
                Plan::Ready(with_source(Outcome::new(row, RowResult::Created), e))
            }
            (Some(e), _) if self.if_exists == IfExists::Skip => {
                Plan::Ready(with_source(Outcome::new(row, RowResult::Unchanged), e))
            }
            (Some(e), _) => Plan::Conflict(row, e.clone()),
            (None, _) => Plan::Send {
                row,
                draft,
                exists: false,
                new_tags,
            },
        }
    }
}

/// Sending rows, or only saying what would happen to them (`check`).
pub enum Mode<'a> {
    Send(&'a Sender<'a>),
    Check,
}

/// Everything one import needs, resolved.
pub struct Job<'a> {
    pub mode: Mode<'a>,
    pub directory: &'a Directory,
    pub header: &'a HeaderMap,
    pub if_exists: IfExists,
    pub rules: Rules,
    pub concurrency: usize,
    pub prior: Prior,
    /// Rows per bulk request (1: one request per row).
    pub batch_size: usize,
    /// Rows expected (0 when unknown): sizes the duplicate detection at once,
    /// rather than growing it, which holds two tables for a moment.
    pub expected_rows: usize,
}

fn conflict(row: u64, existing: &Existing, mode: &Mode<'_>) -> Outcome {
    let result = match mode {
        Mode::Send(_) => RowResult::Failed,
        Mode::Check => RowResult::Conflict,
    };
    let message = format!("already exists (source {})", existing.id);
    with_source(
        Outcome::new(row, result).with_error("already exists", message),
        existing,
    )
}

/// Imports (or checks) the rows, recording each outcome as it completes.
pub async fn import<W: Write>(
    job: Job<'_>,
    rows: impl Iterator<Item = anyhow::Result<InputRow>>,
    report: &mut ReportWriter<W>,
    progress: &Progress,
) -> anyhow::Result<Tally> {
    let mode = &job.mode;
    let sender = match mode {
        Mode::Send(sender) => Some(*sender),
        Mode::Check => None,
    };
    let planner = Planner {
        directory: job.directory,
        header: job.header,
        if_exists: job.if_exists,
        rules: job.rules,
        prior: job.prior,
        seen: HashMap::with_capacity(job.expected_rows),
    };
    let batch_size = if sender.is_some() {
        job.batch_size.max(1)
    } else {
        1
    };
    let units = Units {
        rows,
        planner,
        sender,
        batch_size,
        pending: Vec::new(),
    };
    let started = futures::stream::iter(units).map(|unit| async move {
        let outcomes = match (unit?, sender) {
            (Unit::One(one), _) => {
                let (row, plan) = *one;
                let outcome = match (plan, sender) {
                    (Plan::Ready(o), _) => o,
                    (Plan::Conflict(number, existing), _) => conflict(number, &existing, mode),
                    (
                        Plan::Send {
                            row,
                            draft,
                            exists,
                            new_tags,
                        },
                        Some(s),
                    ) => s.send(row, &draft, exists, &new_tags).await?,
                    (Plan::Send { row, exists, .. }, None) => Outcome::new(
                        row,
                        if exists {
                            RowResult::WouldUpdate
                        } else {
                            RowResult::WouldCreate
                        },
                    ),
                };
                vec![(row, outcome)]
            }
            (Unit::Batch(items), Some(s)) => crate::bulk::send_batch(s, items).await?,
            (Unit::Batch(_), None) => unreachable!("check mode never batches"),
        };
        anyhow::Ok(outcomes)
    });
    let mut completed = started.buffer_unordered(job.concurrency);
    let mut tally = Tally::default();
    while let Some(done) = completed.next().await {
        for (row, outcome) in done? {
            if let Some(sender) = sender {
                sender.journal().record(&Event::Done(outcome.clone()))?;
            }
            tally.add(&outcome);
            progress.row_done(outcome.result.is_success());
            report.push(row.seq, outcome, row.cells)?;
        }
    }
    Ok(tally)
}

/// A unit of work: one row, or a batch of rows that create.
enum Unit {
    One(Box<(InputRow, Plan)>),
    Batch(Vec<(InputRow, SourceDraft)>),
}

/// Plans rows in file order and groups those that create into batches
/// (`--batch-size`); every other row goes on its own, at once.
struct Units<'a, I> {
    rows: I,
    planner: Planner<'a>,
    sender: Option<&'a Sender<'a>>,
    batch_size: usize,
    pending: Vec<(InputRow, SourceDraft)>,
}

impl<I: Iterator<Item = anyhow::Result<InputRow>>> Iterator for Units<'_, I> {
    type Item = anyhow::Result<Unit>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let Some(row) = self.rows.next() else {
                let rest = std::mem::take(&mut self.pending);
                return (!rest.is_empty()).then_some(Ok(Unit::Batch(rest)));
            };
            let row = match row {
                Ok(row) => row,
                Err(e) => return Some(Err(e)),
            };
            let plan = match self.sender {
                Some(s) if s.stopped().is_some() => Plan::Ready(s.skipped(row.row)),
                _ => self.planner.plan(&row),
            };
            match plan {
                // Batched: a create with nothing to do first (an upsert or a
                // missing tag goes alone, as the bulk route cannot say).
                Plan::Send {
                    draft,
                    exists: false,
                    new_tags,
                    ..
                } if self.batch_size > 1 && !draft.upsert && new_tags.is_empty() => {
                    self.pending.push((row, draft));
                    if self.pending.len() >= self.batch_size {
                        return Some(Ok(Unit::Batch(std::mem::take(&mut self.pending))));
                    }
                }
                plan => return Some(Ok(Unit::One(Box::new((row, plan))))),
            }
        }
    }
}
