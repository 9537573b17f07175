//! `run`, `rerun` and `check`: from a resolved `ImportConfig` to a written
//! report, a summary and an exit code. Order matters: the report is locked
//! and the input's header checked before any request; the lookups are done
//! before any write; the run record is written before the journal; the
//! report replaces its destination only once every row is in it.

use std::collections::HashSet;
use std::time::Instant;

use crate::commands::resume::{InputFacts, finished_already, prior_work, start_journal};
use crate::commands::signals::{self, Interrupt};

use crate::cli::config::{ImportConfig, Task};
use crate::client::api::Client;
use crate::client::pace::Pace;
use crate::client::session::Session;
use crate::exit::{self, Stop, usage};
use crate::files::beside::Beside;
use crate::files::lock::ReportLock;
use crate::model::if_exists::IfExists;
use crate::model::key::{Key, Print};
use crate::model::source::Status;
use crate::pipeline::directory::{self, Directory, Rules};
use crate::pipeline::ids;
use crate::pipeline::import::{self, Mode, Settings};
use crate::pipeline::input::{self, Field, HeaderMap, Input, Layout};
use crate::pipeline::journal::Journal;
use crate::pipeline::plan::Prior;
use crate::pipeline::progress::Progress;
use crate::pipeline::record::{self, RunRecord};
use crate::pipeline::report::PendingReport;
use crate::pipeline::retire::{self, RetireResult, Retiree};
use crate::pipeline::send::Sender;
use crate::pipeline::summary::{Encoding, Summary, Tally, Totals};
use crate::pipeline::survey::survey;

/// Runs the command; `interrupt` goes off on the first Ctrl-C, SIGTERM or
/// SIGHUP. Returns the exit code.
pub(crate) async fn execute(config: ImportConfig, interrupt: Interrupt) -> anyhow::Result<u8> {
    let started = Instant::now();
    let mut seen = Seen::default();
    let result = steps(&config, interrupt, &mut seen).await;
    // A scheduler reads the summary on every exit, refusals included (but
    // for the refusal of the summary's own path).
    if let (Err(e), true) = (&result, seen.summary_writable) {
        let mut totals = totals(&config, started, seen.pace.as_deref());
        totals.common.stopped_by(e);
        totals.encoding = seen.encoding.clone();
        write_summary_json(&config, &Summary::new(Tally::default(), totals));
    }
    result
}

/// What a command had got to when it failed, for its summary.
#[derive(Default)]
struct Seen {
    /// The limiter, once requests could go (it counts them).
    pace: Option<std::sync::Arc<Pace>>,
    encoding: Option<Encoding>,
    /// The summary's path was not refused: it can be written.
    summary_writable: bool,
}

async fn steps(config: &ImportConfig, interrupt: Interrupt, seen: &mut Seen) -> anyhow::Result<u8> {
    // Every output is checked before anything is written: the summary's
    // first, since it is written on the other refusals.
    for output in config.outputs() {
        crate::files::output::check(output.what, &output.path, output.allow)?;
        seen.summary_writable = true;
    }
    if let Some((code, said)) = finished_already(config)? {
        crate::voice::say("INFO", &said, None);
        let mut totals = totals(config, Instant::now(), None);
        totals.common.exit_code = code;
        totals.common.warnings = vec![said];
        write_summary_json(config, &Summary::new(Tally::default(), totals));
        return Ok(code);
    }
    // A dictionary is checked, written and rerun in its own room.
    if crate::commands::dictionary::is_dictionary(config)? {
        return crate::commands::dictionary::execute(config, &interrupt).await;
    }
    let session = Session::open(&config.endpoint).await?;
    let code = import_into(config, &session, interrupt, seen).await;
    session.close().await?;
    code
}

/// The summary's totals as the limiter counted them since `started`.
fn totals(config: &ImportConfig, started: Instant, pace: Option<&Pace>) -> Totals {
    let input = input::display_name(config.job.input());
    Totals::new(config.job.name(), &input, &config.report, started, pace)
}

/// Writes the summary when asked (`summary::write_if_asked`).
fn write_summary_json(config: &ImportConfig, summary: &Summary) {
    crate::pipeline::summary::write_if_asked(config.summary_json.as_deref(), summary);
}

/// The input, opened and checked before any request.
struct Opened {
    rows: Input,
    facts: InputFacts,
    /// Rows in the file (for the progress bar), not known for stdin.
    total: Option<u64>,
    /// With `--retire-missing`: the prints of the file's keys.
    names: HashSet<Print>,
    prior: Prior,
    resuming: bool,
}

fn layout(config: &ImportConfig) -> Layout {
    match config.job {
        Task::Rerun { .. } => Layout::Report,
        _ => Layout::Plain,
    }
}

fn open_input(config: &ImportConfig) -> anyhow::Result<Opened> {
    let path = config.job.input();
    let layout = layout(config);
    // The header is checked before any request.
    let rows = Input::open(path, layout, &config.input)?;
    let encoding = encoding_of(config, &rows);
    // A first pass, but for stdin: the total, and the keys to retire by.
    let retiring = config.retire.is_some();
    let first = (path.map(|p| survey(p, layout, &config.input, retiring))).transpose()?;
    let total = first.as_ref().map(|s| s.rows);
    let names = first.map(|s| s.keys).unwrap_or_default();
    let hash = path.map(record::sha256_of).transpose()?;
    let (prior, resuming) = prior_work(config, hash.as_deref(), true)?;
    Ok(Opened {
        rows,
        facts: InputFacts {
            name: input::display_name(path),
            hash,
            encoding,
        },
        total,
        names,
        prior,
        resuming,
    })
}

/// What a CSV input was read as: `--encoding`, else what its bytes said.
fn encoding_of(config: &ImportConfig, rows: &Input) -> Option<Encoding> {
    let given = config.input.encoding.as_deref();
    let given = given.and_then(|label| encoding_rs::Encoding::for_label(label.as_bytes()));
    let name = |e: &'static encoding_rs::Encoding| e.name().to_owned();
    match (given, rows.dialect().detected) {
        (Some(e), _) => Some(Encoding {
            name: name(e),
            detected: false,
        }),
        (None, Some(e)) => {
            tracing::info!(
                "{} is not UTF-8: reading it as {} (detected; --encoding LABEL reads it as another)",
                input::display_name(config.job.input()),
                e.name()
            );
            Some(Encoding {
                name: name(e),
                detected: true,
            })
        }
        (None, None) => None,
    }
}

/// What is to be retired after the rows, decided before any write.
#[derive(Default)]
struct Retirement {
    /// `None`: nothing is retired by this command.
    retirees: Option<Vec<Retiree>>,
    /// How many existing sources `--retire-missing`'s scope matched now.
    scope_matched: Option<u64>,
    /// What the user should know of the scope (also in the summary).
    warnings: Vec<String>,
}

/// The sources to retire: the set a run of this report recorded (those not
/// `Obsolete` yet), or the set `--retire-missing` decides now. Refused before
/// any write when a tag scope meets a listing without attributes.
fn plan_retirement(
    config: &ImportConfig,
    directory: &Directory,
    names: &HashSet<Print>,
) -> anyhow::Result<Retirement> {
    if let Some(recorded) = &config.recorded_retire {
        let obsolete = |r: &Retiree| {
            let current = directory
                .existing(&Key::source(&r.technical_name))
                .and_then(|e| e.current.as_deref());
            current.is_some_and(|c| c.status.as_deref() == Some(Status::Obsolete.as_api()))
        };
        return Ok(Retirement {
            retirees: Some(recorded.iter().filter(|r| !obsolete(r)).cloned().collect()),
            ..Retirement::default()
        });
    }
    let Some((scope, max)) = &config.retire else {
        return Ok(Retirement::default());
    };
    if scope.needs_attributes() && directory.counts().2 > 0 && !directory.attributes_known {
        return Err(usage(
            "--retire-missing tag:... needs the sources' tags, and the API listed them \
             without attributes: use a technicalName: scope",
        ));
    }
    let decision = retire::decide(directory, scope, names, *max)?;
    let warnings: Vec<String> = (scope.warnings(directory, decision.in_scope).into_iter())
        .map(|w| format!("--retire-missing: {w}, so nothing is retired"))
        .collect();
    for warning in &warnings {
        tracing::warn!("{warning}");
    }
    Ok(Retirement {
        retirees: Some(decision.retirees),
        scope_matched: Some(decision.in_scope as u64),
        warnings,
    })
}

/// Whether rows are compared with what the server holds: when they may
/// update a source, or sources may be retired.
fn compares(config: &ImportConfig, header: &HeaderMap) -> bool {
    config.if_exists == IfExists::Update
        || header.index(Field::Upsert).is_some()
        || config.retire.is_some()
        || config.recorded_retire.is_some()
}

/// Where to import and what is there. Ctrl-C here ends the command at once.
/// `compare`: the listing asks for what each source holds.
/// The columns that name no field are then bound to the custom attributes
/// the tenant lists (a column that is neither stops here, before any write).
async fn set_up(
    config: &ImportConfig,
    client: &Client,
    interrupt: &Interrupt,
    compare: bool,
    rows: &mut Input,
) -> anyhow::Result<(directory::Target, Directory)> {
    let setup = async {
        let target = directory::locate(
            client,
            config.workspace.as_deref(),
            config.version.as_deref(),
        )
        .await?;
        let directory = Directory::load(client, &target, compare, None).await?;
        anyhow::Ok((target, directory))
    };
    let (target, directory) = tokio::select! {
        found = setup => found?,
        _ = interrupt.cancelled() => return Err(interrupt.stop().into()),
    };
    for warning in rows.bind(directory.definitions.as_ref(), config.input.headers.extra)? {
        tracing::warn!("{warning}");
    }
    let (users, tags, sources) = directory.counts();
    let action = match config.job {
        Task::Check { .. } => "checking against",
        Task::Run { .. } => "importing into",
        Task::Rerun { .. } => "rerunning into",
    };
    tracing::info!(
        "{action} '{}' version '{}': {users} users, {tags} tags, {sources} sources already there",
        target.workspace_name,
        target.version_name
    );
    if compare && sources > 0 && !directory.attributes_known {
        tracing::warn!(
            "the API listed the sources without their attributes: rows of existing \
             sources are sent as updates, none can be found unchanged"
        );
    }
    Ok((target, directory))
}

async fn import_into(
    config: &ImportConfig,
    session: &Session,
    interrupt: Interrupt,
    seen: &mut Seen,
) -> anyhow::Result<u8> {
    let started = Instant::now();
    // A check into the null device has no report to guard.
    let _lock = match crate::files::atomic::is_null(&config.report) {
        true => None,
        false => Some(ReportLock::acquire(&config.report)?),
    };
    let Opened {
        mut rows,
        facts,
        total,
        names,
        prior,
        resuming,
    } = open_input(config)?;
    seen.encoding = facts.encoding.clone();
    let checking = matches!(config.job, Task::Check { .. });
    let (pace, client) = session.connect(&config.reach)?;
    seen.pace = Some(pace.clone());
    let compare = compares(config, rows.header());
    let (target, directory) = set_up(config, &client, &interrupt, compare, &mut rows).await?;
    let retirement = plan_retirement(config, &directory, &names)?;
    let retire = retirement.retirees.clone();
    let journal = start_journal(config, &session.url, &target, &facts, resuming, retire)?;
    let delimiter = rows.dialect().delimiter;
    let bom = rows.dialect().bom || config.excel_report;
    let header = rows.header().clone();
    let mut report = PendingReport::create(&config.report, header.headers(), delimiter, bom)?;
    let progress = Progress::start(total, config.quiet, pace.clone());
    let sender = (journal.as_ref()).map(|j| Sender::new(&client, &target, j).counting(&progress));
    let mode = sender.as_ref().map_or(Mode::Check, Mode::Send);
    let settings = settings(config, mode, &directory, &header, &rows, prior, total);
    let tally = tokio::select! {
        tally = import::import(settings, rows, &mut report.writer, &progress) => tally,
        _ = signals::drain_on(&interrupt, client.halt()) => unreachable!("pending forever"),
    };
    let tally = tally.map_err(|e| after_writes(e, !checking))?;
    let created_tags = sender
        .as_ref()
        .map(Sender::created_tags)
        .unwrap_or_default();
    drop(sender);
    progress.finish();
    let stopped = client.halt().stopped().filter(|_| !checking);
    let written = Written {
        report,
        journal,
        header: &header,
        delimiter,
        bom,
        retirees: retirement.retirees,
    };
    let interrupted = interrupt.is_cancelled().then(|| interrupt.stop());
    let ending = Ending {
        tally: &tally,
        stopped: stopped.as_ref(),
        interrupted: interrupted.as_ref(),
    };
    let finished = (finish(config, &client, &target, written, ending).await)
        .map_err(|e| after_writes(e, !checking))?;
    let mut totals = Totals {
        retired: finished.retired,
        retire_failed: finished.retire_failed,
        created_tags,
        encoding: facts.encoding,
        attribute_columns: attribute_columns(&header),
        retire_scope_matched: retirement.scope_matched,
        ..totals(config, started, Some(&pace))
    };
    totals.common.exit_code = finished.code;
    let unfinished = stopped.is_some() && !tally.all_succeeded();
    totals.common.warnings = [retirement.warnings, left_for_rerun(config, unfinished)].concat();
    totals.common.stopped = stopped.map(|s| s.to_string());
    conclude(config, Summary::new(tally, totals))
}

/// What a run stopped early (`unfinished`) tells the user: its report holds
/// every row's result, so a rerun of it sends the rows not done and keeps
/// the others (nothing, when the report went to the null device).
fn left_for_rerun(config: &ImportConfig, unfinished: bool) -> Vec<String> {
    if !unfinished || crate::files::atomic::is_null(&config.report) {
        return vec![];
    }
    let said = format!(
        "the run stopped before every row was done: `dg-import rerun {}` sends the rows not \
         done, and keeps those done",
        config.report.display()
    );
    tracing::warn!("{said}");
    vec![said]
}

/// The run is over and its report in place: the run record says so (for
/// `--resume`), and the summary is printed and written.
/// A run record that cannot be marked done is a local failure after
/// writes (exit 4), said in the summary; the report is in place all the same.
fn conclude(config: &ImportConfig, mut summary: Summary) -> anyhow::Result<u8> {
    let record = Beside::Record.of(&config.report);
    if !matches!(config.job, Task::Check { .. })
        && let Err(e) = RunRecord::mark_done(&record, summary.exit_code())
    {
        let common = &mut summary.totals.common;
        let e = e.context(Stop::LocalFailure);
        common.exit_code = Stop::LocalFailure.exit_code();
        common.stopped = Some(format!("{e:#}"));
    }
    let fields = serde_json::to_value(&summary).ok();
    crate::voice::say(
        "INFO",
        &summary.to_string(),
        fields.map(|s| serde_json::json!({ "summary": s })),
    );
    write_summary_json(config, &summary);
    Ok(summary.exit_code())
}

/// An error once writes have begun (`writing`) that no stop explains is a
/// local one (a file that cannot be written, a full disk): exit 4, and the
/// journal kept for `--resume`.
fn after_writes(e: anyhow::Error, writing: bool) -> anyhow::Error {
    match writing && e.downcast_ref::<Stop>().is_none() {
        true => e.context(Stop::LocalFailure),
        false => e,
    }
}

/// What the import of these rows needs.
fn settings<'a>(
    config: &ImportConfig,
    mode: Mode<'a>,
    directory: &'a Directory,
    header: &'a HeaderMap,
    rows: &Input,
    prior: Prior,
    total: Option<u64>,
) -> Settings<'a> {
    Settings {
        mode,
        directory,
        header,
        if_exists: config.if_exists,
        strict_names: config.strict_names,
        rules: rules(config, rows),
        concurrency: config.concurrency.get(),
        prior,
        batch_size: config.batch_size,
        expected_rows: total.unwrap_or(0) as usize,
    }
}

/// How cells become a source, for this input and these flags.
fn rules(config: &ImportConfig, rows: &Input) -> Rules {
    Rules {
        list_separator: rows.notation().list_separator,
        create_missing_tags: config.create_missing_tags,
        clear_empty_cells: config.clear_empty_cells,
        decimal_comma: rows.notation().decimal_comma,
    }
}

/// The columns taken as custom attributes, for the summary: the header,
/// and the attribute's name when it differs.
fn attribute_columns(header: &HeaderMap) -> Vec<String> {
    let columns = header.attribute_columns().iter();
    columns
        .map(|a| match header.header(a.index) {
            h if h == a.name => a.name.clone(),
            h => format!("{h} ({})", a.name),
        })
        .collect()
}

/// What the rows were written to.
struct Written<'a> {
    report: PendingReport,
    journal: Option<Journal>,
    header: &'a HeaderMap,
    delimiter: u8,
    bom: bool,
    /// The sources to retire after the rows, if asked.
    retirees: Option<Vec<Retiree>>,
}

/// How the rows went.
struct Ending<'a> {
    tally: &'a Tally,
    /// What stopped the run early, if anything did.
    stopped: Option<&'a Stop>,
    /// The signal that stopped a `check`.
    interrupted: Option<&'a Stop>,
}

/// The exit code, and the sources retired (or that would be) and failed.
struct Finished {
    code: u8,
    retired: u64,
    retire_failed: u64,
}

/// Retires what left the file, unless the run stopped early; fills the ids
/// bulk creates did not answer, puts the report in place and removes the
/// journal.
async fn finish(
    config: &ImportConfig,
    client: &Client,
    target: &directory::Target,
    written: Written<'_>,
    ending: Ending<'_>,
) -> anyhow::Result<Finished> {
    let Written {
        mut report,
        journal,
        header,
        delimiter,
        bom,
        retirees,
    } = written;
    let Ending {
        tally,
        stopped,
        interrupted,
    } = ending;
    let checking = matches!(config.job, Task::Check { .. });
    let retired = match retirees.filter(|_| stopped.is_none() && interrupted.is_none()) {
        None => None,
        Some(set) if checking => Some(retire::would_retire(set)),
        Some(set) => {
            let version = &target.version_id;
            Some(retire::retire(client, version, set, config.batch_size).await)
        }
    };
    if let Some(list) = &retired {
        let path = Beside::Retired.of(&config.report);
        crate::files::atomic::keep_previous(&path)?;
        retire::write_list(&path, list, delimiter, bom)?;
    }
    let failed = (retired.iter().flatten())
        .filter(|r| r.result == RetireResult::Failed)
        .count() as u64;
    let listed = retired.as_ref().map_or(0, |r| r.len() as u64);
    if tally.created_without_id > 0 {
        let to = ids::Rewrite {
            path: &config.report,
            header,
            headers: config.input.headers.clone(),
            delimiter,
            bom,
        };
        report = ids::fill(client, target, report, to).await?;
    }
    // Nothing replaces a report without keeping the one it replaces.
    crate::files::atomic::keep_previous(&config.report)?;
    report.persist()?;
    if let Some(journal) = journal {
        journal.remove()?;
    }
    let code = match stopped {
        Some(stop) => stop.exit_code(),
        None if checking && interrupted.is_some() => interrupted.map_or(0, Stop::exit_code),
        None if tally.all_succeeded() && failed == 0 => exit::SUCCESS,
        None => exit::SOME_ROWS_NOT_DONE,
    };
    Ok(Finished {
        code,
        retired: listed - failed,
        retire_failed: failed,
    })
}
