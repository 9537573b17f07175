//! `check` and `run` of a dictionary file (one row per field, or
//! DataGalaxy's Path/Type): every row read and checked against the tenant
//! (its types and the children each accepts, its users and tags, the
//! file's own duplicates) and compared with the dictionary it holds; `check`
//! reports what a write would do (create, update what changes, leave
//! unchanged), `run` writes the nodes that are new or differ, in bulktrees
//! (`pipeline::dictionary::{plan, write}`), and reports what it did.

use std::time::Instant;

use crate::cli::config::ImportConfig;
use crate::client::session::Session;
use crate::commands::signals::Interrupt;
use crate::exit::{self, usage};
use crate::files::lock::ReportLock;
use crate::model::action::Action;
use crate::model::outcome::{ErrorKind, Outcome, Problem, RowResult};
use crate::pipeline::dictionary::check::Checker;
use crate::pipeline::dictionary::columns::{self, Shape, shape_of};
use crate::pipeline::dictionary::listing;
use crate::pipeline::dictionary::plan::{self, Plan};
use crate::pipeline::dictionary::rows::{Layout, Options};
use crate::pipeline::dictionary::tree::Tree;
use crate::pipeline::dictionary::types::Types;
use crate::pipeline::dictionary::write::Writes;
use crate::pipeline::directory::{self, Directory};
use crate::pipeline::input::{ExtraColumns, Notation, Records};
use crate::pipeline::report::PendingReport;
use crate::pipeline::summary::{Summary, Tally, Totals};

/// Whether the input of a `check` is a dictionary (by its header).
pub(crate) fn is_dictionary(config: &ImportConfig) -> anyhow::Result<bool> {
    let Some(path) = config.job.input() else {
        return Ok(false);
    };
    match config.input.kind {
        Some(kind) => Ok(kind == crate::pipeline::input::FileKind::Dictionary),
        None => {
            let records = Records::open(path, &config.input)?;
            Ok(shape_of(records.headers()) != Shape::Sources)
        }
    }
}

pub(crate) async fn execute(config: &ImportConfig, interrupt: &Interrupt) -> anyhow::Result<u8> {
    let started = Instant::now();
    let path = config
        .job
        .input()
        .ok_or_else(|| usage("a dictionary is read from a file"))?;
    if config.job.resume() {
        return Err(usage(
            "a dictionary's run keeps no journal to resume yet: run it again without \
             --resume (a bulktree sent again changes nothing; what an interrupted run \
             wrote then reports as unchanged); nothing was sent",
        ));
    }
    let records = Records::open(path, &config.input)?;
    // The header is judged before any request.
    let layout = Layout::of(records.headers());
    let warnings = columns_left(records.name(), &layout, config.input.headers.extra)?;
    let _lock = match crate::files::atomic::is_null(&config.report) {
        true => None,
        false => Some(ReportLock::acquire(&config.report)?),
    };
    let session = Session::open(&config.endpoint).await?;
    let read = Read {
        records,
        layout,
        warnings,
    };
    let code = against(config, &session, interrupt, read, started).await;
    session.close().await?;
    code
}

/// The file as opened, and what its header said.
struct Read {
    records: Records,
    layout: Layout,
    warnings: Vec<String>,
}

/// The check proper, on an open session (closed by the caller, whatever
/// comes of it).
async fn against(
    config: &ImportConfig,
    session: &Session,
    interrupt: &Interrupt,
    read: Read,
    started: Instant,
) -> anyhow::Result<u8> {
    let Read {
        mut records,
        layout,
        warnings,
    } = read;
    let (pace, client) = session.connect(&config.reach)?;
    let setup = async {
        let (ws, version) = (config.workspace.as_deref(), config.version.as_deref());
        let target = directory::locate(&client, ws, version).await?;
        let directory = Directory::load(&client, &target, false, None).await?;
        let types = Types::load(&client).await?;
        let held = listing::list(&client, &target, |_| true).await?;
        anyhow::Ok((target, directory, types, held.tree))
    };
    let (target, directory, types, held) = tokio::select! {
        found = setup => found?,
        _ = interrupt.cancelled() => return Err(interrupt.stop().into()),
    };
    let (mut outcomes, file) =
        check_rows(config, &mut records, (&layout, &directory, &types, &held))?;
    crate::voice::say(
        "INFO",
        &format!("dictionary: {}", what_was_read(&file)),
        None,
    );
    let writes = matches!(config.job, crate::cli::config::Task::Run { .. });
    if writes {
        let wrote = Wrote {
            client: &client,
            target: &target,
            file: &file,
            held: &held,
        };
        write(config, wrote, &mut outcomes, interrupt).await?;
    }
    let tally = write_report(config, &records, &outcomes)?;
    let mut totals = Totals::new(
        if writes { "run" } else { "check" },
        records.name(),
        &config.report,
        started,
        Some(&pace),
    );
    totals.common.warnings = warnings;
    let mut summary = Summary::new(tally, totals);
    let code = match all_done(&summary) {
        true => exit::SUCCESS,
        false => exit::SOME_ROWS_NOT_DONE,
    };
    summary.totals.common.exit_code = code;
    let fields = serde_json::to_value(&summary).ok();
    let fields = fields.map(|s| serde_json::json!({ "summary": s }));
    crate::voice::say("INFO", &summary.to_string(), fields);
    crate::pipeline::summary::write_if_asked(config.summary_json.as_deref(), &summary);
    // A run stopped by a signal says so in its exit code, its report written.
    if interrupt.is_cancelled() {
        return Err(interrupt.stop().into());
    }
    Ok(code)
}

/// `2 sources, 3 containers, 24 structures, 165 fields`.
fn what_was_read(file: &Tree) -> String {
    let counts = file.counts();
    let said: Vec<String> = (columns::Level::ALL.iter())
        .map(|level| format!("{} {}s", counts.get(level).unwrap_or(&0), level.word()))
        .collect();
    said.join(", ")
}

/// No row that `run` would refuse (rows of system schemas passed over aside).
fn all_done(summary: &Summary) -> bool {
    let bad = ["invalid", "failed", "conflict"];
    bad.iter()
        .all(|r| summary.results.get(r).copied().unwrap_or(0) == 0)
}

/// The columns a dictionary does not read: an export's own, passed over
/// with a warning; the others as `--extra-columns` says (stop, by default).
fn columns_left(name: &str, layout: &Layout, extra: ExtraColumns) -> anyhow::Result<Vec<String>> {
    let mut warnings = Vec::new();
    if !layout.passed_over.is_empty() {
        let columns = layout.passed_over.join(", ");
        warnings.push(format!(
            "columns a dictionary does not hold, passed over: {columns}"
        ));
    }
    if !layout.unknown.is_empty() {
        let named: Vec<String> = (layout.unknown.iter())
            .map(|h| match columns::closest(h) {
                Some(c) => format!("'{h}' (did you mean '{c}'?)"),
                None => format!("'{h}'"),
            })
            .collect();
        if extra == ExtraColumns::Error {
            return Err(usage(format!(
                "{name}: {} not a column of a dictionary: rename it, or pass \
                 --extra-columns ignore to pass it over; nothing was sent",
                named.join(", ")
            )));
        }
        warnings.push(format!(
            "columns passed over (custom attributes of dictionary objects are not read yet): {}",
            named.join(", ")
        ));
    }
    for warning in &warnings {
        tracing::warn!("{warning}");
    }
    Ok(warnings)
}

/// Reads and checks every row, in file order: each row's outcome, and the
/// tree the rows describe.
fn check_rows(
    config: &ImportConfig,
    records: &mut Records,
    (layout, directory, types, held): (&Layout, &Directory, &Types, &Tree),
) -> anyhow::Result<(Vec<Outcome>, Tree)> {
    let headers = records.headers().to_vec();
    let path_and_type = shape_of(&headers) == Shape::PathAndType;
    let options = Options {
        list_separator: Some(
            Notation::of(records.dialect().delimiter, config.input.list_separator).list_separator,
        ),
        ..config.input.dictionary.clone()
    };
    let mut checker = Checker {
        directory,
        types,
        held,
        if_exists: config.if_exists,
        file: Tree::default(),
    };
    let mut outcomes = Vec::new();
    while let Some((row, cells)) = records.next_row()? {
        let read = match path_and_type {
            true => Some(layout.read_path_type(&cells)),
            false => layout.read(&cells, &options).transpose(),
        };
        outcomes.push(match read {
            Some(read) => checker.row(row, read),
            None => Outcome::new(row, RowResult::Skipped).with_error(
                ErrorKind::row(Problem::Other("a system schema".into())),
                "a system schema, passed over",
            ),
        });
    }
    Ok((outcomes, checker.file))
}

/// What a run writes to, and compares with.
struct Wrote<'a> {
    client: &'a crate::client::api::Client,
    target: &'a crate::pipeline::directory::Target,
    file: &'a Tree,
    held: &'a Tree,
}

/// The nodes the check found new or changed, written; each row's outcome
/// turned from what a write would do into what it did.
async fn write(
    config: &ImportConfig,
    wrote: Wrote<'_>,
    outcomes: &mut [Outcome],
    interrupt: &Interrupt,
) -> anyhow::Result<()> {
    let planned: std::collections::HashMap<u64, Action> = (outcomes.iter())
        .filter_map(|o| match o.result {
            RowResult::WouldCreate => Some((o.row, Action::Create)),
            RowResult::WouldUpdate => Some((o.row, Action::Update)),
            _ => None,
        })
        .collect();
    let plan = Plan::new(wrote.file, wrote.held, |row| planned.get(&row).copied());
    let mut writes = Writes {
        client: wrote.client,
        target: wrote.target,
        file: wrote.file,
        held: wrote.held,
        plan: &plan,
        done: Default::default(),
        unsure: Vec::new(),
    };
    let size = config.tree_size.unwrap_or(plan::TREE_SIZE);
    tokio::select! {
        _ = writes.all(size) => {}
        _ = interrupt.cancelled() => {}
    }
    if !writes.unsure.is_empty() {
        let after = listing::list(wrote.client, wrote.target, |_| true).await?;
        writes.settle(&after.tree);
    }
    for o in outcomes.iter_mut().filter(|o| planned.contains_key(&o.row)) {
        match writes.done.remove(&o.row) {
            Some(done) => {
                o.result = done.result;
                o.http_status = done.http_status;
                o.attempts = done.attempts;
                if let Some(error) = done.error {
                    let kind = match done.http_status {
                        Some(s) if s >= 500 => Problem::ServerError(s),
                        Some(s) => Problem::Rejected(s),
                        None => Problem::NoAnswer,
                    };
                    *o = std::mem::replace(o, Outcome::new(0, RowResult::Failed))
                        .with_error(ErrorKind::row(kind), error);
                }
            }
            None => {
                *o = Outcome::new(o.row, RowResult::Skipped).with_error(
                    ErrorKind::row(Problem::NotAttempted),
                    "not sent: the run stopped first",
                );
            }
        }
    }
    Ok(())
}

/// The report, every row with its cells as the file has them (read again,
/// so that a million rows' cells are never held), in file order.
fn write_report(
    config: &ImportConfig,
    records: &Records,
    outcomes: &[Outcome],
) -> anyhow::Result<Tally> {
    let path = config
        .job
        .input()
        .expect("a dictionary is read from a file");
    let mut again = Records::open(path, &config.input)?;
    let headers = records.headers().to_vec();
    let dialect = records.dialect();
    let bom = dialect.bom || config.excel_report;
    let mut report = PendingReport::create(&config.report, &headers, dialect.delimiter, bom)?;
    let mut tally = Tally::default();
    for (seq, outcome) in outcomes.iter().enumerate() {
        let Some((_, cells)) = again.next_row()? else {
            break;
        };
        tally.add(outcome);
        report.writer.push(seq as u64, outcome.clone(), cells)?;
    }
    crate::files::atomic::keep_previous(&config.report)?;
    report.persist()?;
    Ok(tally)
}
