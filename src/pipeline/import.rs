//! The pipeline that joins the stages: each row is planned in file order
//! (`plan.rs`), grouped into units of work (`batch.rs`), sent concurrently
//! (`send.rs`, or `bulk.rs` in batches) and its outcome recorded in the
//! journal and the report.
//!
//! Invariants:
//! - a row failure is data (an `Outcome`), never an early return; a
//!   failure of the whole run (the journal or the report unwritable) stops
//!   it like the breaker, and it ends in that error (exit 4);
//! - once the run halts (Ctrl-C, 401, breaker, `--max-wait`), no new row is
//!   started: the rest are `skipped`;
//! - the breaker (`breaker.rs`, fed by the senders) stops the run when
//!   requests keep failing for one reason.

use std::collections::HashMap;
use std::io::Write;

use futures::StreamExt;

use crate::exit::Stop;
use crate::model::if_exists::IfExists;
use crate::model::outcome::{ErrorKind, Outcome, Problem, RowResult};
use crate::pipeline::batch::{Units, Work};
use crate::pipeline::bulk;
use crate::pipeline::directory::{Directory, Existing, Rules, with_source};
use crate::pipeline::input::{HeaderMap, InputRow};
use crate::pipeline::journal::Event;
use crate::pipeline::plan::{Plan, Planner, Prior};
use crate::pipeline::progress::Progress;
use crate::pipeline::report::ReportWriter;
use crate::pipeline::send::Sender;
use crate::pipeline::summary::Tally;

/// Sending rows, or only saying what would happen to them (`check`).
pub(crate) enum Mode<'a> {
    Send(&'a Sender<'a>),
    Check,
}

/// Everything one import needs, resolved.
pub(crate) struct Settings<'a> {
    pub(crate) mode: Mode<'a>,
    pub(crate) directory: &'a Directory,
    pub(crate) header: &'a HeaderMap,
    pub(crate) if_exists: IfExists,
    /// `--strict-names`.
    pub(crate) strict_names: bool,
    pub(crate) rules: Rules,
    pub(crate) concurrency: usize,
    pub(crate) prior: Prior,
    /// Rows per bulk request (1: one request per row).
    pub(crate) batch_size: usize,
    /// Rows expected (0 when unknown): sizes the duplicate detection at once,
    /// rather than growing it, which holds two tables for a moment.
    pub(crate) expected_rows: usize,
}

fn conflict(row: u64, existing: &Existing, mode: &Mode<'_>) -> Outcome {
    let result = match mode {
        Mode::Send(_) => RowResult::Failed,
        Mode::Check => RowResult::Conflict,
    };
    let message = format!("already exists (source {})", existing.id);
    with_source(
        Outcome::new(row, result).with_error(ErrorKind::row(Problem::AlreadyExists), message),
        existing,
    )
}

/// A row is done: on the progress, unless its batch's fallback counted it.
fn count(progress: &Progress, sender: Option<&Sender<'_>>, outcome: &Outcome) {
    if !sender.is_some_and(|s| s.counted_already(outcome.row)) {
        progress.row_done(outcome.result.is_success());
    }
}

/// Imports (or checks) the rows, recording each outcome as it completes.
pub(crate) async fn import<W: Write>(
    settings: Settings<'_>,
    rows: impl Iterator<Item = anyhow::Result<InputRow>>,
    report: &mut ReportWriter<W>,
    progress: &Progress,
) -> anyhow::Result<Tally> {
    let mode = &settings.mode;
    let sender = match mode {
        Mode::Send(sender) => Some(*sender),
        Mode::Check => None,
    };
    let planner = Planner {
        directory: settings.directory,
        header: settings.header,
        if_exists: settings.if_exists,
        rules: settings.rules,
        prior: settings.prior,
        seen: HashMap::with_capacity(settings.expected_rows),
        seen_folded: HashMap::new(),
        strict_names: settings.strict_names,
    };
    let batch_size = if sender.is_some() {
        settings.batch_size.max(1)
    } else {
        1
    };
    let units = Units::new(rows, planner, sender, batch_size);
    let started = futures::stream::iter(units).map(|unit| async move {
        let unit = unit?;
        let _done = unit.done.drop_guard();
        for earlier in &unit.after {
            earlier.cancelled().await;
        }
        let outcomes = match (unit.work, sender) {
            (Work::One(one), _) => {
                let (row, plan) = *one;
                let outcome = match (plan, sender) {
                    (Plan::Carried(o), _) => return anyhow::Ok(vec![(row, o, true)]),
                    (Plan::Ready(o), _) => o,
                    (Plan::Conflict(number, existing), _) => conflict(number, &existing, mode),
                    (Plan::Send(sending), Some(s)) => s.send(&sending).await,
                    (Plan::Send(sending), None) => sending.outcome(sending.action.would()),
                };
                vec![(row, outcome, false)]
            }
            (Work::Batch(route, items), Some(s)) => {
                let sent = bulk::send_batch(s, route, items).await;
                sent.into_iter().map(|(row, o)| (row, o, false)).collect()
            }
            (Work::Batch(..), None) => unreachable!("check mode never batches"),
        };
        anyhow::Ok(outcomes)
    });
    let mut completed = started.buffer_unordered(settings.concurrency);
    let mut tally = Tally::default();
    while let Some(done) = completed.next().await {
        for (row, outcome, carried) in done? {
            match carried {
                true => tally.carry(&outcome),
                false => tally.add(&outcome),
            }
            count(progress, sender, &outcome);
            let recorded = record(sender, report, row, outcome);
            match (recorded, sender) {
                (Ok(()), _) => {}
                // Stop like the breaker: no new row, the rows in flight awaited.
                (Err(e), Some(sender)) => sender.fail_locally(e),
                (Err(e), None) => return Err(e),
            }
        }
    }
    match sender.and_then(Sender::local_failure) {
        Some(e) => Err(e.context(Stop::LocalFailure)),
        None => Ok(tally),
    }
}

/// Records a row's outcome in the journal (when sending) and the report.
fn record<W: Write>(
    sender: Option<&Sender<'_>>,
    report: &mut ReportWriter<W>,
    row: InputRow,
    outcome: Outcome,
) -> anyhow::Result<()> {
    if let Some(sender) = sender {
        sender.journal().record(&Event::Done(outcome.clone()))?;
    }
    report.push(row.seq, outcome, row.cells)
}
