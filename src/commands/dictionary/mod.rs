//! `check` and `run` of a dictionary file (one row per field, or
//! DataGalaxy's Path/Type): every row read and checked against the tenant
//! (its types and the children each accepts, its users and tags, the
//! file's own duplicates) and compared with the dictionary it holds; `check`
//! reports what a write would do (create, update what changes, leave
//! unchanged), `run` writes the nodes that are new or differ, in bulktrees
//! (`write`), and reports what it did. A run keeps a journal beside its
//! report, as for sources, that `--resume` finishes; `rerun` of its report
//! goes again over the rows not done. The report names each row's object
//! (`report`).

mod report;
mod retire;
mod write;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

use crate::cli::config::{ImportConfig, Task};
use crate::client::api::Client;
use crate::client::exchange::recorded_may_have_acted;
use crate::client::session::Session;
use crate::commands::resume::{InputFacts, prior_work, start_journal};
use crate::commands::signals::Interrupt;
use crate::exit::{self, Stop, usage};
use crate::files::beside::Beside;
use crate::files::lock::ReportLock;
use crate::files::table::Csv;
use crate::model::action::Action;
use crate::model::outcome::ReportColumns;
use crate::model::outcome::{ErrorKind, Outcome, Problem, RowResult};
use crate::model::outcomes::Outcomes;
use crate::pipeline::dictionary::check::Checker;
use crate::pipeline::dictionary::columns::{self, Level, Shape, shape_of};
use crate::pipeline::dictionary::custom::{Binding, Customs};
use crate::pipeline::dictionary::listing;
use crate::pipeline::dictionary::retire::Retiring;
use crate::pipeline::dictionary::rows::{Layout, NodeRow, Options};
use crate::pipeline::dictionary::tree::Tree;
use crate::pipeline::dictionary::types::Types;
use crate::pipeline::directory::{self, Directory, Rules, Target};
use crate::pipeline::input::{Entry, Notation, Records};
use crate::pipeline::plan::Prior;
use crate::pipeline::record::{self, RunRecord};
use crate::pipeline::summary::{Encoding, Summary, Totals};
use report::{Reported, write_report};
use write::{Written, Wrote};

/// Whether the input of a `check` or a `run` is a dictionary (by its
/// header), or the report a `rerun` reads a dictionary's (by its columns).
pub(crate) fn is_dictionary(config: &ImportConfig) -> anyhow::Result<bool> {
    let Some(path) = config.job.input() else {
        return Ok(false);
    };
    if let Some(kind) = config.input.kind {
        return Ok(kind == crate::pipeline::input::FileKind::Dictionary);
    }
    let records = Records::open(path, &config.input)?;
    Ok(match config.job {
        Task::Rerun { .. } => {
            ReportColumns::of(records.headers()) == Some(ReportColumns::Dictionary)
        }
        _ => shape_of(records.headers()) != Shape::Sources,
    })
}

pub(crate) async fn execute(config: &ImportConfig, interrupt: &Interrupt) -> anyhow::Result<u8> {
    let started = Instant::now();
    let path = config
        .job
        .input()
        .ok_or_else(|| usage("a dictionary is read from a file"))?;
    let records = open_records(config, path)?;
    // The header is judged before any request, its own columns once the
    // tenant's attributes are known.
    let layout = Layout::of(records.headers());
    let warnings = columns_passed_over(&layout);
    let _lock = match crate::files::atomic::is_null(&config.report) {
        true => None,
        false => Some(ReportLock::acquire(&config.report)?),
    };
    let hash = record::sha256_of(path)?;
    let (prior, resuming) = prior_work(config, Some(&hash), false)?;
    let facts = InputFacts {
        name: crate::pipeline::input::display_name(Some(path)),
        hash: Some(hash),
        encoding: (records.dialect().detected).map(|e| Encoding {
            name: e.name().to_owned(),
            detected: true,
        }),
    };
    let session = Session::open(&config.endpoint).await?;
    let read = Read {
        records,
        layout,
        warnings,
        facts,
        prior,
        resuming,
    };
    let code = against(config, &session, interrupt, read, started).await;
    session.close().await?;
    code
}

/// The file as opened, what its header said, and what an earlier run into
/// the report left.
struct Read {
    records: Records,
    layout: Layout,
    warnings: Vec<String>,
    facts: InputFacts,
    prior: Prior,
    resuming: bool,
}

/// What the tenant holds, read before any row, and the file's own columns
/// bound to its custom attributes.
struct Tenant {
    target: Target,
    directory: Directory,
    types: Types,
    binding: Binding,
    held: Tree,
    /// What binding the file's own columns said.
    warnings: Vec<String>,
}

/// Where to write and what is there. Ctrl-C here ends the command at once.
async fn set_up(
    client: &Client,
    config: &ImportConfig,
    interrupt: &Interrupt,
    (layout, file): (&Layout, &str),
) -> anyhow::Result<Tenant> {
    let setup = async {
        // A column the tenant does not define is refused after these reads
        // alone, before the workspace or its dictionary is listed.
        let customs = Customs::load(client).await?;
        let extra = config.input.headers.extra;
        let (binding, warnings) = Binding::bind(&customs, &layout.unknown, extra, file)?;
        let (ws, version) = (config.workspace.as_deref(), config.version.as_deref());
        let target = directory::locate(client, ws, version).await?;
        // A tag scope matches the sources by their tags.
        let tags = (config.retire.as_ref()).is_some_and(|(scope, _)| scope.needs_attributes());
        let directory = Directory::load(client, &target, tags, None).await?;
        let types = Types::load(client).await?;
        for warning in &warnings {
            tracing::warn!("{warning}");
        }
        let custom = |level, name: &str| binding.format(level, name);
        let held = listing::list(client, &target, |_| true, &custom)
            .await?
            .tree;
        anyhow::Ok(Tenant {
            target,
            directory,
            types,
            binding,
            held,
            warnings,
        })
    };
    tokio::select! {
        found = setup => found,
        _ = interrupt.cancelled() => Err(interrupt.stop().into()),
    }
}

/// The check proper, and for `run` the writes, on an open session (closed
/// by the caller, whatever comes of it).
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
        facts,
        prior,
        resuming,
    } = read;
    let (pace, client) = session.connect(&config.reach)?;
    let tenant = set_up(&client, config, interrupt, (&layout, records.name())).await?;
    let checked = check_rows(config, &mut records, (&layout, &tenant), prior)?;
    let (file, mut outcomes) = (&checked.file, checked.outcomes);
    let what = format!("dictionary: {}", what_was_read(file));
    crate::voice::say("INFO", &what, None);
    let retirement = retire::plan(config, retire::Seen::of(&tenant, file, &checked.named))?;
    let retirees = retirement.retirees.clone();
    let journal = start_journal(
        config,
        &session.url,
        &tenant.target,
        &facts,
        resuming,
        retirees,
    )?;
    let custom = |level, name: &str| tenant.binding.format(level, name);
    let writes = !matches!(config.job, Task::Check { .. });
    let mut retiring = retiring_of(writes, &retirement, &tenant.held);
    let wrote = Wrote {
        client: &client,
        target: &tenant.target,
        file,
        held: &tenant.held,
        custom: &custom,
        journal: journal.as_ref(),
        sent_before: &checked.sent_before,
        retiring: retiring.as_mut(),
    };
    let written = write_rows(config, wrote, &mut outcomes, interrupt).await?;
    // Stopped early, the set is --resume's (`finish` says what rode along).
    let retiring = (retirement.retirees, retiring);
    let reach = (&client, &tenant.target, &tenant.held);
    let notation = (report_csv(config, &records), interrupt);
    let local = |e| local_failure(e, writes);
    let retired = (retire::finish(config, reach, retiring, notation).await).map_err(local)?;
    let reported = Reported {
        file,
        ids: written.after.as_ref().unwrap_or(&tenant.held),
        held: &tenant.held,
        layout: &layout,
        options: &options_of(config, &records),
    };
    let (tally, objects) =
        write_report(config, &records, &outcomes, &checked.carried, reported).map_err(local)?;
    if let (Some(journal), true) = (journal, written.complete) {
        journal.remove()?;
    }
    let left = left_behind(config, &written, &facts, writes);
    let bound = tenant.warnings.clone();
    let warnings = [warnings, bound, retirement.warnings, checked.warnings, left].concat();
    let mut totals = Totals::new(
        config.job.name(),
        records.name(),
        &config.report,
        started,
        Some(&pace),
    );
    (totals.common.warnings, totals.objects) = (warnings, objects);
    (totals.retired, totals.retire_failed) = (retired.retired, retired.failed);
    totals.retire_scope_matched = retirement.scope_matched;
    let summary = Summary::new(tally, totals);
    end(config, &client, interrupt, summary, writes)
}

/// What a run retires, as trees that may ride along the rows' (`None`: a
/// check, or nothing to retire).
fn retiring_of(writes: bool, retirement: &retire::Retirement, held: &Tree) -> Option<Retiring> {
    (retirement.retirees.as_ref())
        .filter(|r| writes && !r.is_empty())
        .map(|r| Retiring::of(held, r))
}

/// Once writes have begun, a file that cannot be written is exit 4.
fn local_failure(e: anyhow::Error, writes: bool) -> anyhow::Error {
    match writes {
        true => e.context(Stop::LocalFailure),
        false => e,
    }
}

/// For `run` and `rerun`, the nodes found new or changed written (a
/// `check` writes nothing).
async fn write_rows(
    config: &ImportConfig,
    wrote: Wrote<'_>,
    outcomes: &mut Outcomes,
    interrupt: &Interrupt,
) -> anyhow::Result<Written> {
    if matches!(config.job, Task::Check { .. }) {
        return Ok(Written {
            complete: true,
            after: None,
            ids_not_listed: 0,
        });
    }
    write::write(wrote, config.tree_size, outcomes, interrupt)
        .await
        .map_err(|e| e.context(Stop::LocalFailure))
}

/// The report's notation: the file's delimiter, a byte-order mark when it
/// had one or `--excel-report` asks.
fn report_csv(config: &ImportConfig, records: &Records) -> Csv {
    let dialect = records.dialect();
    Csv {
        delimiter: dialect.delimiter,
        bom: dialect.bom || config.excel_report,
    }
}

/// The run's exit code, from its stop or its rows, said and recorded.
fn end(
    config: &ImportConfig,
    client: &Client,
    interrupt: &Interrupt,
    mut summary: Summary,
    writes: bool,
) -> anyhow::Result<u8> {
    let stopped = client
        .halt()
        .stopped()
        .filter(|_| !interrupt.is_cancelled());
    summary.totals.common.stopped = stopped.as_ref().map(ToString::to_string);
    let all = all_done(&summary) && summary.totals.retire_failed == 0;
    let code = match (stopped, all) {
        (Some(stop), _) => stop.exit_code(),
        (None, true) => exit::SUCCESS,
        (None, false) => exit::SOME_ROWS_NOT_DONE,
    };
    summary.totals.common.exit_code = code;
    conclude(config, &summary, writes, interrupt)
}

/// What the writes left for later, said: ids not listed, rows left for a
/// `--resume`.
fn left_behind(
    config: &ImportConfig,
    written: &Written,
    facts: &InputFacts,
    writes: bool,
) -> Vec<String> {
    let mut said = Vec::new();
    if written.ids_not_listed > 0 {
        said.push(ids_left(config, written.ids_not_listed));
    }
    if writes && !written.complete {
        said.push(left_for_resume(config, facts));
    }
    said
}

/// What a run that stopped before every row was done tells the user.
fn left_for_resume(config: &ImportConfig, facts: &InputFacts) -> String {
    let report = config.report.display();
    let again = match config.job {
        Task::Rerun { .. } => format!("dg-import rerun {} --report {report} --resume", facts.name),
        _ => format!("dg-import run {} --report {report} --resume", facts.name),
    };
    let said = format!(
        "the run stopped before every row was done: `{again}` finishes it (its journal, {}, \
         says what was sent)",
        Beside::Journal.of(&config.report).display()
    );
    tracing::warn!("{said}");
    said
}

/// What a run that did not list the ids of the nodes it created tells the user.
fn ids_left(config: &ImportConfig, created: u64) -> String {
    let input = config.job.input().map(|p| p.display().to_string());
    let said = format!(
        "the ids of the {created} objects created are not in the report (listing the \
         dictionary again would have cost more requests than the writes did): \
         `dg-import check {} --report FILE` writes a report with every id, sending nothing",
        input.unwrap_or_default()
    );
    tracing::warn!("{said}");
    said
}

/// The report is in place: the run record says how the run ended (for
/// `--resume`), the summary is said and written.
fn conclude(
    config: &ImportConfig,
    summary: &Summary,
    writes: bool,
    interrupt: &Interrupt,
) -> anyhow::Result<u8> {
    let code = match interrupt.is_cancelled() {
        true => interrupt.stop().exit_code(),
        false => summary.exit_code(),
    };
    if writes {
        RunRecord::mark_done(&Beside::Record.of(&config.report), code)
            .map_err(|e| e.context(Stop::LocalFailure))?;
    }
    let fields = serde_json::to_value(summary).ok();
    let fields = fields.map(|s| serde_json::json!({ "summary": s }));
    crate::voice::say("INFO", &summary.to_string(), fields);
    crate::pipeline::summary::write_if_asked(config.summary_json.as_deref(), summary);
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

/// The columns an export carries that a dictionary does not hold: passed
/// over, with a warning (the file's own are bound to custom attributes).
fn columns_passed_over(layout: &Layout) -> Vec<String> {
    if layout.passed_over.is_empty() {
        return vec![];
    }
    let columns = layout.passed_over.join(", ");
    let said = format!("columns a dictionary does not hold, passed over: {columns}");
    tracing::warn!("{said}");
    vec![said]
}

/// Every row checked, and what the run goes on from.
struct Checked {
    /// Every row's outcome, in file order.
    outcomes: Outcomes,
    /// The tree the rows describe.
    file: Tree,
    /// With `--retire-missing`, the objects of the rows that did not enter
    /// it (refused, or a system schema's): never retired for it.
    named: Tree,
    /// Rows an interrupted run into this report did, their outcomes kept.
    carried: HashSet<u64>,
    /// Rows it sent without a known result, with what they did.
    sent_before: HashMap<u64, Action>,
    /// What the rows said once for all (the types the table does not know).
    warnings: Vec<String>,
}

/// Reads and checks every row, in file order; a row an interrupted run
/// into this report did (its journal), or that the report a rerun reads
/// says was done, keeps the outcome it had. A row a report says was sent
/// without a known result is compared as an update: what the tenant now
/// holds says whether it was applied.
fn check_rows(
    config: &ImportConfig,
    records: &mut Records,
    (layout, tenant): (&Layout, &Tenant),
    mut prior: Prior,
) -> anyhow::Result<Checked> {
    let headers = records.headers().to_vec();
    let path_and_type = shape_of(&headers) == Shape::PathAndType;
    let options = options_of(config, records);
    let mut checker = Checker {
        directory: &tenant.directory,
        types: &tenant.types,
        custom: (&tenant.binding, rules_of(config, records)),
        held: &tenant.held,
        if_exists: config.if_exists,
        sent_before: std::mem::take(&mut prior.sent),
        file: Tree::default(),
        type_columns: Level::ALL.map(|level| layout.type_column(level)),
    };
    let (mut outcomes, mut carried) = (Outcomes::default(), HashSet::new());
    let mut noted = Noted {
        named: config.retire.is_some().then(Tree::default),
        ..Noted::default()
    };
    while let Some(Entry {
        row,
        cells,
        previous,
    }) = records.next_entry()?
    {
        let previous = previous.filter(|_| !prior.other_target);
        let done_before = (prior.done.remove(&row).filter(|_| !prior.other_target))
            .or_else(|| previous.clone().filter(|p| p.result.is_done()));
        if let Some(p) =
            previous.filter(|p| p.attempts > 0 && recorded_may_have_acted(p.http_status))
        {
            checker.sent_before.entry(p.row).or_insert(Action::Create);
        }
        let read = match path_and_type {
            true => Some(layout.read_path_type(&cells)),
            false => layout.read(&cells, &options).transpose(),
        };
        noted.read(row, &read);
        let checked = match read {
            Some(read) => checker.row(row, read),
            None => Outcome::new(row, RowResult::Skipped).with_error(
                ErrorKind::row(Problem::Other("a system schema".into())),
                "a system schema, passed over",
            ),
        };
        if matches!(checked.result, RowResult::Invalid | RowResult::Skipped) {
            noted.outside(row, || layout.steps(&cells, &options));
        }
        outcomes.push(match done_before {
            Some(done) => {
                carried.insert(row);
                done
            }
            None => checked,
        });
    }
    checker.refuse_bare_parents(&mut outcomes);
    Ok(Checked {
        outcomes,
        file: checker.file,
        warnings: noted.warnings(),
        named: noted.named.unwrap_or_default(),
        carried,
        sent_before: checker.sent_before,
    })
}

/// What rows leave beside their outcomes: the database types the type
/// table does not know (their first rows, and how many), and with
/// `--retire-missing` the objects of the rows that did not enter the tree.
#[derive(Default)]
struct Noted {
    unknown_types: BTreeMap<String, (Vec<u64>, usize)>,
    named: Option<Tree>,
}

impl Noted {
    fn read<E>(&mut self, row: u64, read: &Option<Result<NodeRow, E>>) {
        if let Some(Ok(NodeRow {
            unknown_type: Some(t),
            ..
        })) = read
        {
            let (first, count) = self.unknown_types.entry(t.clone()).or_default();
            if first.len() < 5 {
                first.push(row);
            }
            *count += 1;
        }
    }

    /// A row that did not enter the tree still names its object.
    fn outside(
        &mut self,
        row: u64,
        steps: impl FnOnce() -> Vec<crate::pipeline::dictionary::rows::Step>,
    ) {
        let Some(named) = &mut self.named else {
            return;
        };
        let path = steps();
        if !path.is_empty() {
            let _ = named.add(
                row,
                NodeRow {
                    path,
                    ..NodeRow::default()
                },
            );
        }
    }

    fn warnings(&self) -> Vec<String> {
        (self.unknown_types.iter())
            .map(|(t, (first, count))| unknown_type(t, first, *count))
            .collect()
    }
}

/// A database type the type table does not know, said once for its rows.
fn unknown_type(data_type: &str, first: &[u64], count: usize) -> String {
    let rows: Vec<String> = first.iter().map(u64::to_string).collect();
    let more = match count > first.len() {
        true => format!(" and {} more", count - first.len()),
        false => String::new(),
    };
    let noun = if count == 1 { "row" } else { "rows" };
    let said = format!(
        "data type '{data_type}' ({noun} {}{more}) has no columnDataType in the type \
         table: left unset, the type as written kept in technicalComments",
        rows.join(", ")
    );
    tracing::warn!("{said}");
    said
}

/// The file a dictionary's command reads: the rows of the report a
/// rerun goes again, or the file.
fn open_records(config: &ImportConfig, path: &std::path::Path) -> anyhow::Result<Records> {
    match config.job {
        Task::Rerun { .. } => Records::report(path, &config.input),
        _ => Records::open(path, &config.input),
    }
}

/// How custom attributes' cells are typed: lists split as the file's
/// notation does, `2,5` a number in a file delimited by `;`.
fn rules_of(config: &ImportConfig, records: &Records) -> Rules {
    let notation = Notation::of(records.dialect().delimiter, config.input.list_separator);
    Rules {
        list_separator: notation.list_separator,
        create_missing_tags: false,
        clear_empty_cells: false,
        decimal_comma: notation.decimal_comma,
    }
}

/// How the rows are read beyond their header: as the flags say, their
/// lists split as the file's notation does.
fn options_of(config: &ImportConfig, records: &Records) -> Options {
    let notation = Notation::of(records.dialect().delimiter, config.input.list_separator);
    Options {
        list_separator: Some(notation.list_separator),
        ..config.input.dictionary.clone()
    }
}
