//! What the program will do: the command line resolved against the
//! environment and files, with defaults applied and everything validated
//! before any request. Problems here are usage errors (exit 2).

use std::collections::BTreeSet;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cli::{
    CheckArgs, ConnectionArgs, EmptyCells, ExportArgs, ImportArgs, InputArgs, PaceArgs, PacingArgs,
    RerunArgs, RowArgs, RunArgs, SandboxArgs,
};
use crate::client::api::Token;
use crate::client::base_url::parse_base_url;
use crate::client::pace::PaceConfig;
use crate::client::session::{Endpoint, Reach};
use crate::exit::usage;
use crate::files::beside::Beside;
use crate::files::output::Allow;
use crate::model::if_exists::IfExists;
use crate::pipeline::input::{HeaderOptions, InputOptions};
use crate::pipeline::record::RunRecord;
use crate::pipeline::retire::MaxRetire;
use crate::pipeline::scope::Scope;
use crate::sandbox::SandboxConfig;

pub(crate) const TOKEN_ENV: &str = "DATAGALAXY_TOKEN";
pub(crate) const URL_ENV: &str = "DATAGALAXY_URL";
/// The default concurrency follows `--rate` (a second of latency never holds
/// the pace back) up to this: rows in flight are rows in memory.
const MAX_DEFAULT_CONCURRENCY: usize = 256;

/// Which import command (`run`, `rerun`, `check`), and what it reads.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Task {
    /// `run`: `input` is `None` for standard input.
    Run {
        input: Option<PathBuf>,
        resume: bool,
    },
    /// `rerun`: the rows of a previous report.
    Rerun { previous: PathBuf, resume: bool },
    /// `check`: no write.
    Check { input: Option<PathBuf> },
}

impl Task {
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Task::Run { .. } => "run",
            Task::Rerun { .. } => "rerun",
            Task::Check { .. } => "check",
        }
    }

    /// The file the rows come from (`None`: standard input).
    pub(crate) fn input(&self) -> Option<&Path> {
        match self {
            Task::Run { input, .. } | Task::Check { input } => input.as_deref(),
            Task::Rerun { previous, .. } => Some(previous),
        }
    }

    pub(crate) fn resume(&self) -> bool {
        matches!(
            self,
            Task::Run { resume: true, .. } | Task::Rerun { resume: true, .. }
        )
    }
}

#[derive(Debug)]
pub(crate) struct ImportConfig {
    pub(crate) job: Task,
    pub(crate) endpoint: Endpoint,
    pub(crate) workspace: Option<String>,
    pub(crate) version: Option<String>,
    pub(crate) report: PathBuf,
    pub(crate) summary_json: Option<PathBuf>,
    pub(crate) if_exists: IfExists,
    pub(crate) concurrency: NonZeroUsize,
    pub(crate) reach: Reach,
    pub(crate) quiet: bool,
    pub(crate) force: bool,
    pub(crate) input: InputOptions,
    pub(crate) create_missing_tags: bool,
    /// `--empty-cells clear`: an empty cell empties its field.
    pub(crate) clear_empty_cells: bool,
    /// `--retire-missing`, with its `--max-retire`.
    pub(crate) retire: Option<(Scope, Option<MaxRetire>)>,
    /// The set a run of this report already decided to retire (rerun, resume).
    pub(crate) recorded_retire: Option<Vec<crate::pipeline::retire::Retiree>>,
    pub(crate) excel_report: bool,
    /// Sources per bulk request (1: one request per row).
    pub(crate) batch_size: usize,
    /// `--tree-size`: a dictionary's nodes per bulktree.
    pub(crate) tree_size: Option<usize>,
    /// `--strict-names`.
    pub(crate) strict_names: bool,
    /// What the run record and the report say was done holds here (false
    /// with `--other-target` against another target: nothing is carried).
    pub(crate) carry: bool,
}

impl ImportConfig {
    pub(crate) fn from_run(
        args: RunArgs,
        env: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<ImportConfig> {
        let input = input_file(args.input)?;
        ImportConfig::resolve(
            Task::Run {
                input,
                resume: args.resume,
            },
            args.import,
            args.pacing,
            env,
        )
    }

    pub(crate) fn from_rerun(
        args: RerunArgs,
        env: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<ImportConfig> {
        let previous = args
            .previous
            .ok_or_else(|| usage("no report to rerun: name it, or give `input` in the job file"))?;
        refuse_special_input(&previous)?;
        ImportConfig::resolve(
            Task::Rerun {
                previous,
                resume: args.resume,
            },
            args.import,
            args.pacing,
            env,
        )
    }

    pub(crate) fn from_check(
        args: CheckArgs,
        env: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<ImportConfig> {
        let input = input_file(args.input)?;
        // A check sends no write: batches and writes in flight mean nothing to it.
        let pacing = PacingArgs {
            concurrency: None,
            batch_size: 100,
            tree_size: None,
            pace: args.pace,
        };
        ImportConfig::resolve(Task::Check { input }, args.import, pacing, env)
    }

    /// Flags first; then, for a rerun or a resume, what the run record of
    /// the report says; then the defaults.
    pub(crate) fn resolve(
        job: Task,
        flags: ImportArgs,
        pacing: PacingArgs,
        env: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<ImportConfig> {
        let ImportArgs {
            config: _,
            reading: input,
            connection,
            rows,
            output,
        } = flags;
        if let Some(given) = &output.report {
            refuse_report_name(given)?;
        }
        let report = report_path(output.report.as_deref(), &job);
        let recorded = recorded_for(&job, &report)?;
        let job = resumed_job(job, recorded.as_ref());
        // A check never writes where a run writes, even from the run's job file.
        let summary_json = match &job {
            Task::Check { .. } => output.summary_json.as_deref().map(check_path),
            _ => output.summary_json.clone(),
        };
        let recorded_url = recorded.as_ref().map(|r| r.url.clone());
        let endpoint = endpoint_of(&connection, recorded_url, &env)?;
        // What the record says was done is true of its own target only.
        let carry = match &recorded {
            Some(r) => same_target(r, &endpoint, &connection, output.other_target)?,
            None => true,
        };
        // The recorded workspace and version make sense only on the recorded server.
        let same_server = recorded.as_ref().filter(|_| !connection.sandbox && carry);
        let if_exists = match rows.upsert {
            true => IfExists::Update,
            false => (rows.if_exists.or(recorded.as_ref().map(|r| r.if_exists)))
                .unwrap_or(IfExists::Fail),
        };
        let input = input_options(input, &job, recorded.as_ref())?;
        let create_missing_tags =
            rows.create_missing_tags || recorded.as_ref().is_some_and(|r| r.create_missing_tags);
        let retire = retire_options(&rows, &job)?;
        // A rerun or a resume finishes the retirement its run decided.
        let recorded_retire = (recorded.as_ref())
            .filter(|_| carry && (job.resume() || matches!(job, Task::Rerun { .. })))
            .and_then(|r| r.retire.clone());
        let clear_empty_cells = match rows.empty_cells {
            Some(choice) => choice == EmptyCells::Clear,
            None => recorded.as_ref().is_some_and(|r| r.clear_empty_cells),
        };
        let config = ImportConfig {
            workspace: connection
                .workspace
                .or_else(|| same_server.map(|r| r.target.workspace_id.clone())),
            version: connection
                .version
                .or_else(|| same_server.map(|r| r.target.version_name.clone())),
            job,
            endpoint,
            report,
            summary_json,
            if_exists,
            concurrency: concurrency_of(&pacing),
            reach: pacing.pace.reach(),
            quiet: output.quiet,
            force: output.force,
            input,
            create_missing_tags,
            clear_empty_cells,
            retire,
            recorded_retire,
            excel_report: output.excel_report,
            batch_size: usize::from(pacing.batch_size),
            tree_size: pacing.tree_size.map(|n| n as usize),
            strict_names: rows.strict_names,
            carry,
        };
        refuse_outputs_over_input(&config.job, &config.outputs())?;
        Ok(config)
    }
}

/// The run record a rerun or a resume continues: a rerun goes where its
/// report's run went; a resume where it was going. A resume of standard
/// input is refused: it cannot be compared with what the run read.
fn recorded_for(job: &Task, report: &Path) -> anyhow::Result<Option<RunRecord>> {
    match job {
        Task::Rerun { previous, .. } => RunRecord::read(&Beside::Record.of(previous)),
        Task::Run {
            input: None,
            resume: true,
        } => Err(usage(
            "--resume cannot read standard input: what it continues must be \
             compared with the file the interrupted run read; name that file",
        )),
        Task::Run { resume: true, .. } => RunRecord::read(&Beside::Record.of(report)),
        _ => Ok(None),
    }
}

/// Whether a rerun or resume goes where the run it continues went: the
/// same URL (normalised), workspace and version. Another target is refused
/// (exit 2, naming both) unless `--other-target`, which carries nothing
/// over; in-process sandboxes are each new, so one continues another's
/// record. `Ok(true)`: what the record says was done holds.
fn same_target(
    recorded: &RunRecord,
    endpoint: &Endpoint,
    connection: &ConnectionArgs,
    other_target: bool,
) -> anyhow::Result<bool> {
    let here = match endpoint {
        // A record written before records said so: a loopback URL.
        Endpoint::Sandbox { .. } if recorded.sandbox || was_loopback(&recorded.url) => {
            return Ok(true);
        }
        Endpoint::Sandbox { .. } => "an in-process sandbox (--sandbox)".to_owned(),
        Endpoint::Api { url, .. } => url.to_string(),
    };
    let there = match recorded.sandbox {
        true => "an in-process sandbox (--sandbox)".to_owned(),
        false => recorded.url.clone(),
    };
    let same_url = match (reqwest::Url::parse(&here), parse_base_url(&there)) {
        (Ok(a), Ok(b)) => a == b,
        _ => here == there,
    };
    let t = &recorded.target;
    let workspace = connection
        .workspace
        .as_deref()
        .filter(|w| *w != t.workspace_id && !w.eq_ignore_ascii_case(&t.workspace_name));
    let version =
        (connection.version.as_deref()).filter(|v| !v.eq_ignore_ascii_case(&t.version_name));
    let differs = match (same_url, workspace, version) {
        (false, _, _) => format!("{here}, but the run record names {there}"),
        (true, Some(w), _) => format!(
            "workspace '{w}', but the run record names '{}' ({})",
            t.workspace_name, t.workspace_id
        ),
        (true, None, Some(v)) => format!(
            "version '{v}', but the run record names '{}'",
            t.version_name
        ),
        (true, None, None) => return Ok(!other_target),
    };
    match other_target {
        true => {
            tracing::warn!("--other-target: {differs}; nothing it did is carried over");
            Ok(false)
        }
        false => Err(usage(format!(
            "this command would go to {differs}: what that run did there is not done \
             here. Point it at the same target, or pass --other-target to send every row \
             again to this one; nothing was sent"
        ))),
    }
}

fn was_loopback(url: &str) -> bool {
    reqwest::Url::parse(url).is_ok_and(|u| crate::client::base_url::is_loopback(&u))
}

/// `--concurrency`, else the rate (between 8 and 256): a second of latency
/// never holds the pace back.
fn concurrency_of(pacing: &PacingArgs) -> NonZeroUsize {
    pacing.concurrency.unwrap_or_else(|| {
        NonZeroUsize::new((pacing.pace.rate.get() as usize).clamp(8, MAX_DEFAULT_CONCURRENCY))
            .expect("non-zero")
    })
}

/// `--resume` continues the last run recorded beside the report, whichever
/// command it was: `run FILE --resume` after a `rerun` resumes the rerun.
fn resumed_job(job: Task, recorded: Option<&RunRecord>) -> Task {
    let Some(last) = recorded.filter(|_| job.resume()) else {
        return job;
    };
    let switched = match (&job, last.command.as_str()) {
        (Task::Run { .. }, "rerun") => Task::Rerun {
            previous: PathBuf::from(&last.input),
            resume: true,
        },
        (Task::Rerun { .. }, "run") if last.input_sha256.is_some() => Task::Run {
            input: Some(PathBuf::from(&last.input)),
            resume: true,
        },
        _ => return job,
    };
    tracing::info!(
        "the last command into this report was `{}` of {}: --resume continues that one",
        last.command,
        last.input
    );
    switched
}

/// Where requests go: the in-process sandbox, or the API (its URL from the
/// flags, the environment or the run record; its token from a file or the
/// environment, never from a flag).
fn endpoint_of(
    connection: &ConnectionArgs,
    recorded_url: Option<String>,
    env: &impl Fn(&str) -> Option<String>,
) -> anyhow::Result<Endpoint> {
    if connection.sandbox {
        for name in [URL_ENV, TOKEN_ENV] {
            if env(name).is_some() {
                tracing::debug!("--sandbox: {name} is set in the environment and ignored");
            }
        }
        return Ok(Endpoint::Sandbox {
            seed: connection.sandbox_seed.clone(),
        });
    }
    let url = (connection.url.clone())
        .or_else(|| env(URL_ENV))
        .or(recorded_url)
        .ok_or_else(|| usage("no API URL: set DATAGALAXY_URL or pass --url (or try --sandbox)"))?;
    let token = token_of(connection.token_file.as_ref(), env).map_err(usage)?;
    if let Some(ca) = &connection.ca_cert
        && !ca.is_file()
    {
        return Err(usage(format!("--ca-cert {}: no such file", ca.display())));
    }
    Ok(Endpoint::Api {
        url: parse_base_url(&url)?,
        token,
        ca_cert: connection.ca_cert.clone(),
    })
}

/// The token from `--token-file`, else the environment; or why there is
/// none (run refuses with it, doctor reports it).
pub(crate) fn token_of(
    file: Option<&PathBuf>,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Token, String> {
    match file {
        Some(path) => Token::read_file(path),
        None => match env(TOKEN_ENV) {
            Some(text) => Token::parse(&text, &format!("the environment variable {TOKEN_ENV}")),
            None => Err(format!("no token: set {TOKEN_ENV} or pass --token-file")),
        },
    }
}

impl PaceArgs {
    pub(crate) fn reach(&self) -> Reach {
        Reach {
            pace: PaceConfig {
                rate: self.rate,
                hourly_limit: self.hourly_limit,
                max_wait: self.max_wait,
            },
            hour: Duration::from_secs(self.hour_secs.max(1)),
            timeout: self.timeout,
            max_retries: self.max_retries,
        }
    }
}

/// `export`, resolved.
#[derive(Debug)]
pub(crate) struct ExportConfig {
    pub(crate) endpoint: Endpoint,
    pub(crate) workspace: Option<String>,
    pub(crate) version: Option<String>,
    /// `None`: standard output.
    pub(crate) output: Option<PathBuf>,
    pub(crate) scope: Option<Scope>,
    /// `Some`: the dictionary, in this shape; `None`: the sources.
    pub(crate) dictionary: Option<crate::pipeline::dictionary::export::Format>,
    pub(crate) delimiter: u8,
    pub(crate) reach: Reach,
    pub(crate) quiet: bool,
    pub(crate) summary_json: Option<PathBuf>,
}

impl ExportConfig {
    pub(crate) fn resolve(
        args: ExportArgs,
        env: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<ExportConfig> {
        let endpoint = endpoint_of(&args.connection, None, &env)?;
        let scope = (args.scope.as_deref().map(Scope::parse))
            .transpose()
            .map_err(|e| usage(format!("--scope {e}")))?;
        let output = args.output.filter(|p| p.as_os_str() != "-");
        if let Some(path) = &output {
            refuse_unwritable_extension("-o", path)?;
        }
        let workbook = output
            .as_deref()
            .is_some_and(crate::files::workbook::is_workbook);
        if workbook && args.delimiter.is_some() {
            return Err(usage("--delimiter is for a CSV export, not a workbook"));
        }
        use crate::pipeline::dictionary::export::Format;
        let dictionary = match (args.kind, args.format) {
            (crate::cli::ExportKind::Dictionary, format) => Some(format.unwrap_or(Format::Flat)),
            (crate::cli::ExportKind::Sources, None) => None,
            (crate::cli::ExportKind::Sources, Some(_)) => {
                return Err(usage(
                    "--format is the shape of a dictionary export: add --kind dictionary",
                ));
            }
        };
        if dictionary.is_some() && scope.as_ref().is_some_and(Scope::needs_attributes) {
            return Err(usage(
                "--kind dictionary takes --scope technicalName:GLOB (a tag scope is for sources)",
            ));
        }
        Ok(ExportConfig {
            endpoint,
            workspace: args.connection.workspace,
            version: args.connection.version,
            output,
            scope,
            dictionary,
            delimiter: args.delimiter.map_or(b',', |d| d as u8),
            reach: args.pace.reach(),
            quiet: args.quiet,
            summary_json: args.summary_json,
        })
    }
}

/// What a report or `export -o` can be: CSV (`.csv`, `.tsv`, `.txt`, or no
/// extension) or a workbook (`.xlsx`); anything else would be CSV under a
/// name that says otherwise. Decided once, for both (`flag` names the option).
fn refuse_unwritable_extension(flag: &str, path: &Path) -> anyhow::Result<()> {
    let Some(ext) = path.extension() else {
        return Ok(());
    };
    let ext = ext.to_string_lossy().to_lowercase();
    if ["csv", "tsv", "txt", "xlsx"].contains(&ext.as_str()) {
        return Ok(());
    }
    Err(usage(format!(
        "{flag} {}: writes CSV (.csv, .tsv, .txt) or a workbook (.xlsx), not .{ext}; \
         nothing was sent",
        path.display()
    )))
}

/// A report is CSV or a workbook in a file: a folder (or a name ending in a
/// separator), or a name that says another format, is refused before a
/// check turns it into its `.check` name.
fn refuse_report_name(given: &Path) -> anyhow::Result<()> {
    let text = given.to_string_lossy();
    if given.is_dir() || text.ends_with(std::path::MAIN_SEPARATOR) || text.ends_with('/') {
        return Err(usage(format!(
            "--report {text}: is a folder, not a file: name the report's file \
             (e.g. {}); nothing was sent",
            Path::new(text.trim_end_matches(['/', std::path::MAIN_SEPARATOR]))
                .join("sources.report.csv")
                .display()
        )));
    }
    refuse_unwritable_extension("--report", given)
}

/// The input flags, over what the run record says. A rerun reads a report
/// (always UTF-8, in the input's delimiter): it keeps the options that shape
/// rows, not those of the original file's bytes.
pub(crate) fn input_options(
    args: InputArgs,
    job: &Task,
    recorded: Option<&RunRecord>,
) -> anyhow::Result<InputOptions> {
    let map = HeaderOptions::parse_map(&args.map)?;
    let before = recorded
        .map(|r| r.input_options.clone())
        .unwrap_or_default();
    let same_file = matches!(job, Task::Run { resume: true, .. });
    Ok(InputOptions {
        encoding: args
            .encoding
            .or(if same_file { before.encoding } else { None }),
        delimiter: args
            .delimiter
            .or(if same_file { before.delimiter } else { None }),
        sheet: args.sheet.or(if same_file { before.sheet } else { None }),
        list_separator: args.list_separator.or(before.list_separator),
        headers: HeaderOptions {
            map: if map.is_empty() {
                before.headers.map
            } else {
                map
            },
            extra: args.extra_columns.unwrap_or(before.headers.extra),
        },
        max_part_mb: args.max_part_mb.or(before.max_part_mb),
        kind: args.kind.or(before.kind),
        dictionary: crate::pipeline::dictionary::rows::Options {
            source: args.source.or(before.dictionary.source),
            source_type: args.source_type.or(before.dictionary.source_type),
            system_schemas: args.include_system_schemas || before.dictionary.system_schemas,
            list_separator: None,
        },
    })
}

/// `--retire-missing` and `--max-retire`, checked.
fn retire_options(
    rows: &RowArgs,
    job: &Task,
) -> anyhow::Result<Option<(Scope, Option<MaxRetire>)>> {
    let Some(scope) = &rows.retire_missing else {
        return Ok(None);
    };
    if job.input().is_none() {
        return Err(usage(
            "--retire-missing needs every technical name of the file before the first \
             write: it cannot read standard input",
        ));
    }
    let scope = Scope::parse(scope).map_err(|e| usage(format!("--retire-missing {e}")))?;
    let max = (rows.max_retire.as_deref().map(MaxRetire::parse))
        .transpose()
        .map_err(|e| usage(format!("--max-retire {e}")))?;
    Ok(Some((scope, max)))
}

/// The input file, `None` for standard input (`-`).
fn input_file(input: Option<PathBuf>) -> anyhow::Result<Option<PathBuf>> {
    let input = input.ok_or_else(|| {
        usage("no input file: name it (`-` for standard input), or give `input` in the job file")
    })?;
    if input.as_os_str() == "-" {
        return Ok(None);
    }
    refuse_special_input(&input)?;
    Ok(Some(input))
}

/// A named file is read more than once (its rows counted, its hash taken,
/// then its rows): a pipe or a device would give each reader other bytes,
/// or none. Such input goes through standard input; a folder is no input.
fn refuse_special_input(path: &Path) -> anyhow::Result<()> {
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(());
    };
    let what = match meta.file_type() {
        t if t.is_file() => return Ok(()),
        t if t.is_dir() => {
            return Err(usage(format!(
                "{}: is a folder: name the file to read",
                path.display()
            )));
        }
        _ => "is not a regular file (a pipe or a device)",
    };
    Err(usage(format!(
        "{}: {what}: it is read more than once (to count its rows and check it has not \
         changed), so pipe it to standard input instead: ... | dg-import run -",
        path.display()
    )))
}

/// The report: `--report`, else beside the input's name (a rerun: the
/// report it reads); a check's is always a `.check` one.
fn report_path(given: Option<&Path>, job: &Task) -> PathBuf {
    match (given, job) {
        (Some(path), Task::Check { .. }) => check_path(path),
        (Some(path), _) => path.to_owned(),
        (None, Task::Rerun { previous, .. }) => previous.clone(),
        (None, Task::Check { input }) => default_report(input.as_deref(), "check"),
        (None, Task::Run { input, .. }) => default_report(input.as_deref(), "report"),
    }
}

/// What a check writes instead of `path`: `x.report.csv` → `x.check.csv`,
/// `x.json` → `x.check.json` (`x.check.csv` stays itself).
fn check_path(path: &Path) -> PathBuf {
    if path.as_os_str() == "-" || crate::files::atomic::is_null(path) {
        return path.to_owned();
    }
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    let lower = stem.to_lowercase();
    if lower.ends_with(".check") || lower == "check" {
        return path.to_owned();
    }
    let stem = match lower.strip_suffix(".report") {
        Some(kept) => &stem[..kept.len()],
        None => &stem,
    };
    let name = match path.extension() {
        Some(ext) => format!("{stem}.check.{}", ext.to_string_lossy()),
        None => format!("{stem}.check"),
    };
    path.with_file_name(name)
}

/// An output of a command: what it is (for messages), where, and what else
/// than a file it may be.
pub(crate) struct Output {
    pub(crate) what: &'static str,
    pub(crate) path: PathBuf,
    pub(crate) allow: Allow,
}

/// Every file a run, rerun or check writes: the report and the files beside
/// it, the retired list when it retires, the summary. A check writes no
/// journal and no run record; its report may be `/dev/null` (and then takes
/// no lock), a run's may not (its journal and record go beside it).
pub(crate) fn outputs(
    job: &Task,
    report: &Path,
    summary: Option<&Path>,
    retiring: bool,
) -> Vec<Output> {
    let out = |what, path: PathBuf, allow| Output { what, path, allow };
    let checking = matches!(job, Task::Check { .. });
    let mut outputs = vec![];
    if let Some(summary) = summary {
        outputs.push(out("--summary-json", summary.to_owned(), Allow::ANY));
    }
    let report_allow = match checking {
        true => Allow {
            stdout: false,
            null: true,
        },
        false => Allow::FILE,
    };
    outputs.push(out("the report", report.to_owned(), report_allow));
    if checking && crate::files::atomic::is_null(report) {
        return outputs;
    }
    let mut beside = vec![Beside::Previous, Beside::Lock];
    if !checking {
        beside.extend([Beside::Journal, Beside::Record]);
    }
    for b in beside {
        outputs.push(out(b.what(), b.of(report), Allow::FILE));
    }
    if retiring {
        let retired = Beside::Retired.of(report);
        let prev = crate::files::beside::previous(&retired);
        outputs.push(out("the previous retired list", prev, Allow::FILE));
        outputs.push(out(Beside::Retired.what(), retired, Allow::FILE));
    }
    outputs
}

impl ImportConfig {
    /// What this command writes (`outputs`).
    pub(crate) fn outputs(&self) -> Vec<Output> {
        let retiring = self.retire.is_some() || self.recorded_retire.is_some();
        outputs(
            &self.job,
            &self.report,
            self.summary_json.as_deref(),
            retiring,
        )
    }
}

/// Every file a command writes, the report's companions included, is
/// refused when it is the input file itself (a rerun's report replaces its
/// input by design: the one it replaces is kept as `.prev`).
fn refuse_outputs_over_input(job: &Task, outputs: &[Output]) -> anyhow::Result<()> {
    let Some(input) = job.input() else {
        return Ok(());
    };
    for output in outputs {
        let rerun_report = matches!(job, Task::Rerun { .. }) && output.what == "the report";
        if !rerun_report && crate::files::atomic::same_file(&output.path, input) {
            return Err(usage(format!(
                "{} would be written over the input file {}: name another --report or \
                 --summary-json; nothing was sent",
                output.what,
                input.display()
            )));
        }
    }
    Ok(())
}

/// `<input stem>.<kind>.csv` in the current directory (`stdin.<kind>.csv`
/// for `-`); a workbook, `<stem>.<kind>.xlsx`, for a spreadsheet input.
fn default_report(input: Option<&Path>, kind: &str) -> PathBuf {
    let stem = input
        .and_then(|p| p.file_stem())
        .map_or_else(|| "stdin".to_owned(), |s| s.to_string_lossy().into_owned());
    let ext = match input.is_some_and(crate::pipeline::input::sheet::is_spreadsheet) {
        true => "xlsx",
        false => "csv",
    };
    PathBuf::from(format!("{stem}.{kind}.{ext}"))
}

impl SandboxArgs {
    pub(crate) fn into_config(self) -> anyhow::Result<SandboxConfig> {
        for (flag, value) in [
            ("--fail-rate", self.fail_rate),
            ("--drop-after-commit-rate", self.drop_after_commit_rate),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(usage(format!("{flag} {value}: must be between 0 and 1")));
            }
        }
        if self.rate == 0 || self.hourly_limit == 0 || self.hour_secs == 0 {
            return Err(usage(
                "--rate, --hourly-limit and --hour-secs must be at least 1",
            ));
        }
        let seed = crate::sandbox::store::Seed::text_of(self.seed.as_deref())?;
        Ok(SandboxConfig {
            host: self.host,
            port: self.port,
            token: self.token,
            seed,
            state_file: self.state,
            rate: self.rate,
            hourly_limit: self.hourly_limit,
            hour: Duration::from_secs(self.hour_secs),
            block: Duration::from_secs(self.block_secs),
            latency: Duration::from_millis(self.latency_ms),
            fail_rate: self.fail_rate,
            fail_only: self.fail_only,
            refuse_node: self.refuse_node,
            drop_after_commit_rate: self.drop_after_commit_rate,
            fault_seed: self.fault_seed.unwrap_or_else(|| fastrand::u64(..)),
            variants: self.variant.into_iter().collect::<BTreeSet<_>>(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_check_writes_beside_the_runs_files_never_over_them() {
        for (given, check) in [
            ("out/nightly.report.csv", "out/nightly.check.csv"),
            ("nightly.REPORT.xlsx", "nightly.check.xlsx"),
            ("nightly.summary.json", "nightly.summary.check.json"),
            ("sources.check.csv", "sources.check.csv"),
            ("plain", "plain.check"),
        ] {
            assert_eq!(
                check_path(Path::new(given)),
                PathBuf::from(check),
                "{given}"
            );
        }
    }

    #[test]
    fn the_default_report_sits_in_the_current_directory_named_after_the_input() {
        assert_eq!(
            default_report(Some(Path::new("/data/sources.csv")), "report"),
            PathBuf::from("sources.report.csv")
        );
        assert_eq!(
            default_report(None, "check"),
            PathBuf::from("stdin.check.csv")
        );
        assert_eq!(
            default_report(Some(Path::new("in/Sources.ODS")), "check"),
            PathBuf::from("Sources.check.xlsx")
        );
    }
}
