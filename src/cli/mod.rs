//! What the user typed: clap's view of the command line, nothing resolved.
//! Every flag's doc comment is its `--help` text. `config.rs` turns this into
//! what the program will do.

pub mod config;
pub mod doctor;
pub mod job;
pub mod logs;

use std::net::IpAddr;
use std::num::{NonZeroU32, NonZeroUsize};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::model::if_exists::IfExists;
use crate::pipeline::input::ExtraColumns;
use crate::sandbox::Variant;

/// `0.3.0 (a1b2c3d 2026-11-30, x86_64-unknown-linux-musl)`: the version,
/// the commit and its date, and the target (`build.rs`).
pub(crate) const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("DG_IMPORT_BUILD"),
    ")"
);

/// The exit-code table (`exit.rs`; README "Exit codes"), as `--help` and
/// the man page say it.
pub(crate) const EXIT_CODES: &str = "\
Exit codes:
  0    every row created, updated or unchanged (doctor: no check failed)
  1    finished; some rows invalid, failed or skipped (doctor: a check failed)
  2    usage or configuration error, before any write: fix the command or the file
  3    stopped by the API (401, the breaker, --max-wait, set-up reads failing)
  4    stopped by a local error after writes began: fix it, then --resume
  129  hung up (SIGHUP), 130 interrupted (Ctrl-C), 143 terminated (SIGTERM):
       the report is written; --resume finishes the run";

#[derive(Debug, Parser)]
#[command(
    name = "dg-import",
    version = VERSION,
    about = "Bulk import of data sources into DataGalaxy",
    after_help = EXIT_CODES
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// More log detail (-v: debug, -vv: trace). RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Import the sources of a CSV file or a spreadsheet (`-`: CSV on standard input).
    #[command(after_help = EXIT_CODES)]
    Run(RunArgs),
    /// Attempt again the rows of a report that are not created, updated or unchanged.
    #[command(after_help = EXIT_CODES)]
    Rerun(RerunArgs),
    /// Dry run: what `run` would do with each row, without any write.
    #[command(after_help = EXIT_CODES)]
    Check(CheckArgs),
    /// Serve a local DataGalaxy-compatible API until Ctrl-C.
    Sandbox(SandboxArgs),
    /// Write the sources of a version as a file `run` reads back: CSV or a workbook.
    #[command(after_help = EXIT_CODES)]
    Export(ExportArgs),
    /// Check each link from here to the tenant, in order, and say what the
    /// tenant does where the API varies (reads only, unless --write-probe).
    #[command(after_help = EXIT_CODES)]
    Doctor(DoctorArgs),
    /// Print a shell completion script (see the README for where it goes).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: Shell,
    },
    /// Print the man page (roff), every command included.
    #[command(hide = true)]
    Manpage,
}

/// Shells `completions` writes for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

impl Shell {
    /// The completion script of the whole command line.
    pub(crate) fn script(self) -> String {
        use clap::CommandFactory;
        use clap_complete::Shell as S;
        let shell = match self {
            Shell::Bash => S::Bash,
            Shell::Zsh => S::Zsh,
            Shell::Fish => S::Fish,
            Shell::Powershell => S::PowerShell,
        };
        let mut out = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), "dg-import", &mut out);
        let script = String::from_utf8(out).expect("completion scripts are UTF-8");
        match self {
            // clap_complete 4.6 spells the state of a hyphenated binary two
            // ways in bash: its loop sets `dg__import__subcmd__run`, its case
            // arms read `dg__subcmd__import__subcmd__run`, so nothing after a
            // command completes (clap-rs/clap#6421). One spelling it is.
            Shell::Bash => script.replace("dg__subcmd__import", "dg__import"),
            _ => script,
        }
    }
}

/// The man page (roff): the program, then a section per command with its
/// synopsis, description and options.
pub(crate) fn manpage() -> std::io::Result<String> {
    use clap::CommandFactory;
    use std::io::Write;
    let cli = Cli::command();
    let man = clap_mangen::Man::new(cli.clone());
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    man.render_subcommands_section(&mut out)?;
    writeln!(out, ".SH \"EXIT STATUS\"")?;
    for line in EXIT_CODES.lines().skip(1) {
        writeln!(out, ".br\n{}", line.trim_start())?;
    }
    for command in cli.get_subcommands().filter(|c| !c.is_hide_set()) {
        let name = format!("dg-import {}", command.get_name());
        writeln!(out, ".SH \"{}\"", name.to_uppercase())?;
        let page = clap_mangen::Man::new(command.clone().name(name.clone()).bin_name(&name));
        let mut part = Vec::new();
        page.render_synopsis_section(&mut part)?;
        page.render_description_section(&mut part)?;
        page.render_options_section(&mut part)?;
        // Its sections become subsections of the command's.
        let part = String::from_utf8_lossy(&part).replace(".SH ", ".SS ");
        out.extend_from_slice(part.as_bytes());
    }
    man.render_version_section(&mut out)?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// `run`: import a file.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The file to import: CSV, or a spreadsheet (.xlsx, .xlsm, .xls,
    /// .ods); `-` reads CSV from standard input.
    pub input: Option<PathBuf>,
    /// Finish the last command into the report (this run, or a rerun of it)
    /// if it was interrupted: rows already done are not sent again, rows sent
    /// without a recorded answer are looked up first.
    #[arg(long, conflicts_with = "force")]
    pub(crate) resume: bool,
    #[command(flatten)]
    pub(crate) import: ImportArgs,
    #[command(flatten)]
    pub(crate) pacing: PacingArgs,
}

/// `rerun`: go again over the rows of a report that are not done.
#[derive(Debug, Args)]
pub struct RerunArgs {
    /// A report written by `run`, `rerun` or `check` (its cells may have been fixed since).
    pub previous: Option<PathBuf>,
    /// Finish the last command into the report if it was interrupted.
    #[arg(long, conflicts_with = "force")]
    pub(crate) resume: bool,
    #[command(flatten)]
    pub(crate) import: ImportArgs,
    #[command(flatten)]
    pub(crate) pacing: PacingArgs,
}

/// `check`: every lookup and validation of `run`, and no write.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The file to check: CSV, or a spreadsheet (.xlsx, .xlsm, .xls,
    /// .ods); `-` reads CSV from standard input.
    pub input: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) import: ImportArgs,
    /// Its reads go at this pace (it sends no write).
    #[command(flatten)]
    pub(crate) pace: PaceArgs,
}

/// `export`: the catalog as a spreadsheet to edit and import again.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// A job file (TOML): every long option as a key of the same name.
    #[arg(long, value_name = "JOB.toml")]
    pub config: Option<PathBuf>,
    /// Where to write: a name ending in .xlsx writes a workbook, anything
    /// else CSV; `-` (the default) writes CSV to standard output.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Only these sources: technicalName:GLOB (e.g. technicalName:crm_*) or tag:NAME.
    #[arg(long, value_name = "SCOPE")]
    pub(crate) scope: Option<String>,
    /// What to export: the sources, or the dictionary under them
    /// (containers, structures and fields).
    #[arg(long, value_enum, default_value_t = ExportKind::Sources)]
    pub(crate) kind: ExportKind,
    /// The shape of a dictionary export: one row per field (`flat`, the
    /// default), or DataGalaxy's own Path/Type (`datagalaxy`).
    #[arg(long, value_enum)]
    pub(crate) format: Option<crate::pipeline::dictionary::export::Format>,
    /// Delimiter of a CSV export (default `,`; `;` for Excel where the
    /// decimal separator is a comma). `tab` for a tab.
    #[arg(long, value_parser = parse_delimiter)]
    pub(crate) delimiter: Option<char>,
    #[command(flatten)]
    pub(crate) connection: ConnectionArgs,
    #[command(flatten)]
    pub(crate) pace: PaceArgs,
    /// Write the summary as JSON to this file.
    #[arg(long, value_name = "PATH")]
    pub(crate) summary_json: Option<PathBuf>,
    /// No progress bar: a plain log line every 10 seconds.
    #[arg(short, long)]
    pub(crate) quiet: bool,
}

/// What `export` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportKind {
    Sources,
    Dictionary,
}

/// `doctor`: first contact with a tenant.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// A job file (TOML) of `run`: its connection settings and input are
    /// used; its other keys (if-exists, retire-missing, ...) are ignored.
    #[arg(long, value_name = "JOB.toml")]
    pub config: Option<PathBuf>,
    /// A file to read as `check` would, its header only (no per-row look-ups).
    pub input: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) reading: InputArgs,
    #[command(flatten)]
    pub(crate) connection: ConnectionArgs,
    #[command(flatten)]
    pub(crate) pace: PaceArgs,
    /// Also try the writes: creates ONE scratch source
    /// `dg-import-doctor-<UTC time>`, sends it again as an upsert, edits it
    /// through the bulk route, asks the bulk create route with nothing in
    /// it, then sets the scratch source Obsolete. Nothing is deleted.
    #[arg(long)]
    pub(crate) write_probe: bool,
    /// Do not ask before the write probe (needed without a terminal).
    #[arg(long, requires = "write_probe")]
    pub(crate) yes: bool,
    /// Print one JSON object on standard output instead of the lines.
    #[arg(long)]
    pub(crate) json: bool,
}

/// The flags `run`, `rerun` and `check` share.
#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// A job file (TOML): every long option as a key of the same name, and
    /// `input`; what is typed on the command line wins over it.
    #[arg(long, value_name = "JOB.toml")]
    pub(crate) config: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) reading: InputArgs,
    #[command(flatten)]
    pub(crate) connection: ConnectionArgs,
    #[command(flatten)]
    pub(crate) rows: RowArgs,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ConnectionArgs {
    /// Base URL of the API, e.g. https://acme.api.datagalaxy.com/v2
    /// [env: DATAGALAXY_URL]
    #[arg(long)]
    pub(crate) url: Option<String>,
    /// File holding the API token (else DATAGALAXY_TOKEN). There is no
    /// --token flag on purpose: it would land in shell history and `ps`.
    #[arg(long, value_name = "PATH")]
    pub(crate) token_file: Option<PathBuf>,
    /// Extra CA certificate (PEM) to trust, e.g. a corporate proxy's.
    #[arg(long, value_name = "FILE")]
    pub(crate) ca_cert: Option<PathBuf>,
    /// Workspace name (any case) or id. Needed when there are several.
    #[arg(long)]
    pub(crate) workspace: Option<String>,
    /// Version name of a versioned workspace (default: its default version).
    #[arg(long)]
    pub(crate) version: Option<String>,
    /// Talk to a sandbox started in-process instead of the API (no URL or
    /// token needed; DATAGALAXY_URL and DATAGALAXY_TOKEN are then ignored).
    #[arg(long, conflicts_with_all = ["url", "token_file"])]
    pub(crate) sandbox: bool,
    /// The seed of that sandbox (default: the built-in one, as samples/sandbox-seed.json).
    #[arg(long, value_name = "FILE", requires = "sandbox")]
    pub(crate) sandbox_seed: Option<PathBuf>,
}

/// Options that shape what a row does.
#[derive(Debug, Args)]
pub(crate) struct RowArgs {
    /// What to do when a source with the row's technical name already exists
    /// [default: fail; a rerun or resume keeps the run's choice].
    #[arg(long, value_enum)]
    pub(crate) if_exists: Option<IfExists>,
    /// Same as --if-exists update.
    #[arg(long)]
    pub(crate) upsert: bool,
    /// A technical name that differs from an existing source's (or an
    /// earlier row's) only in case or Unicode form is an error, not a warning.
    #[arg(long)]
    pub(crate) strict_names: bool,
    /// Create the tags that no known tag explains (POST /tags) instead of
    /// failing their rows; needs the right to create tags.
    #[arg(long)]
    pub(crate) create_missing_tags: bool,
    /// What an empty cell means for a source that exists: keep its field as
    /// it is (default), or clear it (sent as "" or []; name and type stay required).
    #[arg(long, value_enum)]
    pub(crate) empty_cells: Option<EmptyCells>,
    /// After the rows, set `Obsolete` every existing source of this scope
    /// that no row names: technicalName:GLOB (e.g. technicalName:crm_*) or
    /// tag:NAME. Nothing is ever deleted.
    #[arg(long, value_name = "SCOPE")]
    pub(crate) retire_missing: Option<String>,
    /// Most sources --retire-missing may retire: a count or a percentage of
    /// the scope [default: 10%, and at least 1 source].
    #[arg(long, value_name = "N|P%", requires = "retire_missing")]
    pub(crate) max_retire: Option<String>,
}

/// What an empty cell means when a row updates a source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum EmptyCells {
    /// The field stays as it is.
    Keep,
    /// The field must be empty.
    Clear,
}

/// How to read the input file.
#[derive(Debug, Args)]
pub(crate) struct InputArgs {
    /// Sheet of a spreadsheet input (.xlsx, .xlsm, .xls, .ods); default: the first.
    #[arg(long)]
    pub(crate) sheet: Option<String>,
    /// Encoding of a CSV input: any WHATWG label, e.g. windows-1252,
    /// iso-8859-15, utf-16le [default: UTF-8, or the legacy encoding detected
    /// when the file's first MiB holds no UTF-8 at all; UTF-16 with a BOM].
    #[arg(long)]
    pub(crate) encoding: Option<String>,
    /// CSV delimiter (default: Excel's `sep=` line, else the most frequent of
    /// , ; tab | in the header line). `tab` for a tab.
    #[arg(long, value_parser = parse_delimiter)]
    pub(crate) delimiter: Option<char>,
    /// Separator of the emails and tags in one cell (default `;`, or `,`
    /// when the file's delimiter is `;`).
    #[arg(long)]
    pub(crate) list_separator: Option<char>,
    /// A column whose header is no field name: "Header in file=field" (repeatable).
    #[arg(long = "map", value_name = "HEADER=FIELD")]
    pub(crate) map: Vec<String>,
    /// Columns that are no field: stop (error, the default), leave them out
    /// (ignore), or send them as custom attributes named by their header.
    #[arg(long, value_enum)]
    pub(crate) extra_columns: Option<ExtraColumns>,
    /// Bound on what one part of a workbook (.xlsx, .xlsm, .ods) inflates
    /// to, in MiB; a part or a sheet over it is refused [default: 512].
    #[arg(long, value_name = "MiB", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) max_part_mb: Option<u64>,
    /// What the file describes [default: told from its header: a field or
    /// column column, or Path and Type, make a dictionary].
    #[arg(long, value_enum)]
    pub(crate) kind: Option<crate::pipeline::input::FileKind>,
    /// A dictionary's source (a technical name), for a file without a
    /// source column or to replace the one it has (MySQL's is always `def`).
    #[arg(long, value_name = "NAME")]
    pub(crate) source: Option<String>,
    /// The type of --source [default: Relational].
    #[arg(long, value_name = "TYPE", requires = "source")]
    pub(crate) source_type: Option<String>,
    /// Read the rows of system schemas too (pg_catalog, information_schema,
    /// sys, performance_schema, mysql), passed over by default.
    #[arg(long)]
    pub(crate) include_system_schemas: bool,
}

/// A count of 1 or more; a 0 is refused naming the range.
fn at_least_one() -> impl clap::builder::TypedValueParser<Value = NonZeroU32> {
    use clap::builder::TypedValueParser;
    clap::value_parser!(u32)
        .range(1..)
        .map(|n| NonZeroU32::new(n).expect("at least 1"))
}

/// Requests in flight: 1 to 4096.
fn in_flight() -> impl clap::builder::TypedValueParser<Value = NonZeroUsize> {
    use clap::builder::TypedValueParser;
    clap::value_parser!(u64)
        .range(1..=4096)
        .map(|n| NonZeroUsize::new(n as usize).expect("at least 1"))
}

/// A request timeout: a second or more (below it, no listing page answers).
fn parse_timeout(text: &str) -> Result<Duration, String> {
    let timeout = humantime::parse_duration(text).map_err(|e| e.to_string())?;
    if timeout < Duration::from_secs(1) {
        return Err(format!("{text} is too short: a timeout is at least 1s"));
    }
    Ok(timeout)
}

fn parse_delimiter(text: &str) -> Result<char, String> {
    match text {
        "tab" | "\\t" | "\t" => Ok('\t'),
        _ => {
            let mut chars = text.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) if c.is_ascii() => Ok(c),
                _ => Err(format!("'{text}' is not one ASCII character (or `tab`)")),
            }
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct PacingArgs {
    /// Requests in flight at once, 1..4096 (default: the rate, between 8
    /// and 256, so that a second of latency never holds the pace back).
    #[arg(long, value_parser = in_flight())]
    pub(crate) concurrency: Option<NonZeroUsize>,
    /// Sources per request (1..100): rows that create a source go in batches
    /// through the bulk create route, rows that update one through the bulk
    /// edit route; 1 sends one request per row.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u16).range(1..=100))]
    pub(crate) batch_size: u16,
    /// A dictionary's nodes written per bulktree (1..249999, default 20000),
    /// each with the chain of its parents: a lost answer costs one resend
    /// of this many.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..250_000))]
    pub(crate) tree_size: Option<u32>,
    #[command(flatten)]
    pub(crate) pace: PaceArgs,
}

/// The pace and patience of every request, for every command that talks to the API.
#[derive(Debug, Args)]
pub(crate) struct PaceArgs {
    /// Requests per second, at least 1, never exceeded in any second (older
    /// tenants: 2 or 4).
    #[arg(long, default_value = "8", value_parser = at_least_one())]
    pub(crate) rate: NonZeroU32,
    /// Requests per hour, at least 1, never exceeded in any hour (older
    /// tenants: 7200 or 14400).
    #[arg(long, default_value = "28800", value_parser = at_least_one())]
    pub(crate) hourly_limit: NonZeroU32,
    /// Retries of a request after a 5xx, timeout or connection error.
    #[arg(long, default_value_t = 5)]
    pub(crate) max_retries: u32,
    /// Longest total pause for 429s before the run stops (e.g. 20m, 90s).
    #[arg(long, value_parser = humantime::parse_duration, default_value = "20m")]
    pub(crate) max_wait: Duration,
    /// Timeout of one HTTP request, at least 1s (e.g. 30s).
    #[arg(long, value_parser = parse_timeout, default_value = "30s")]
    pub(crate) timeout: Duration,
    /// Length of the run's "hour" in seconds: only for rehearsals against a
    /// sandbox started with a short --hour-secs (give the same one).
    #[arg(long, default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) hour_secs: u64,
}

#[derive(Debug, Args)]
pub(crate) struct OutputArgs {
    /// Results report (default: <input stem>.report.csv in the current
    /// directory; `check`: <input stem>.check.csv; `rerun`: the report it reads).
    #[arg(long, value_name = "PATH")]
    pub(crate) report: Option<PathBuf>,
    /// Write the end-of-run summary as JSON to this file.
    #[arg(long, value_name = "PATH")]
    pub(crate) summary_json: Option<PathBuf>,
    /// No progress bar: a plain log line every 10 seconds.
    #[arg(short, long)]
    pub(crate) quiet: bool,
    /// Start over even though an unfinished run left its journal beside the report.
    #[arg(long)]
    pub(crate) force: bool,
    /// Rerun or resume against another URL, workspace or version than the
    /// run record's: nothing the record says was done is carried over.
    #[arg(long)]
    pub(crate) other_target: bool,
    /// Start the report with a UTF-8 byte-order mark, for Excel (always for
    /// spreadsheet inputs and inputs that had one).
    #[arg(long)]
    pub(crate) excel_report: bool,
}

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Port to listen on (0: any free port).
    #[arg(long, default_value_t = 8080)]
    pub(crate) port: u16,
    /// The token clients must send as `Authorization: Bearer <token>`.
    #[arg(long, default_value = "sandbox-token")]
    pub(crate) token: String,
    /// Seed file (default: the built-in one, as samples/sandbox-seed.json).
    #[arg(long, value_name = "FILE")]
    pub(crate) seed: Option<PathBuf>,
    /// Load this state at start (if it exists) and save it on shutdown.
    #[arg(long, value_name = "FILE")]
    pub(crate) state: Option<PathBuf>,
    /// Requests per second before each extra one is delayed by 500 ms.
    #[arg(long, default_value_t = 8)]
    pub(crate) rate: u32,
    /// Requests per hour before the caller is blocked (every request then gets 429).
    #[arg(long, default_value_t = 28_800)]
    pub(crate) hourly_limit: u32,
    /// Length of the sandbox's "hour" in seconds (shorter for rehearsals and tests).
    #[arg(long, default_value_t = 3600)]
    pub(crate) hour_secs: u64,
    /// Length of a block in seconds.
    #[arg(long, default_value_t = 900)]
    pub(crate) block_secs: u64,
    /// Added service time per request in milliseconds (spread ±50%).
    #[arg(long, default_value_t = 0)]
    pub(crate) latency_ms: u64,
    /// Fraction of requests that fail: half answered 503, half dropped unanswered.
    #[arg(long, default_value_t = 0.0)]
    pub(crate) fail_rate: f64,
    /// Only requests whose path starts with this fail (e.g. /v2/attributes).
    #[arg(long, value_name = "PATH")]
    pub(crate) fail_only: Option<String>,
    /// A bulktree carrying the node of this path (`\shop\sales\orders`) is
    /// refused with a 400 naming it, as a tenant refuses what no check sees.
    #[arg(long, value_name = "PATH")]
    pub(crate) refuse_node: Option<String>,
    /// Fraction of writes applied and then dropped unanswered.
    #[arg(long, default_value_t = 0.0)]
    pub(crate) drop_after_commit_rate: f64,
    /// The seed the faults are drawn from, with each request's method, path,
    /// technical names and attempt: the same seed fails the same requests
    /// (random when not given; printed at start).
    #[arg(long, value_name = "N")]
    pub(crate) fault_seed: Option<u64>,
    /// An API variation to turn on (repeatable).
    #[arg(long, value_enum)]
    pub(crate) variant: Vec<Variant>,
    #[command(flatten)]
    pub(crate) mirror: MirrorArgs,
}

/// `sandbox --mirror`: serve a copy of a tenant.
#[derive(Clone, Debug, Args)]
pub(crate) struct MirrorArgs {
    /// Copy the tenant the connection settings name (DATAGALAXY_URL,
    /// DATAGALAXY_TOKEN or --token-file; read only), then serve the copy:
    /// its workspace and versions, users, tags and attribute definitions,
    /// answering in the tenant's ways where the API varies.
    #[arg(long, conflicts_with = "seed")]
    pub(crate) mirror: bool,
    /// The tenant's API URL (else DATAGALAXY_URL).
    #[arg(long, requires = "mirror")]
    pub(crate) url: Option<String>,
    /// File holding the tenant's token (else DATAGALAXY_TOKEN).
    #[arg(long, value_name = "PATH", requires = "mirror")]
    pub(crate) token_file: Option<PathBuf>,
    /// Extra CA certificate (PEM) to trust when reading the tenant.
    #[arg(long, value_name = "FILE", requires = "mirror")]
    pub(crate) ca_cert: Option<PathBuf>,
    /// The tenant's workspace (name or id) to copy.
    #[arg(long, requires = "mirror")]
    pub(crate) workspace: Option<String>,
    /// The version whose users and sources are copied (default: the default one).
    #[arg(long, requires = "mirror")]
    pub(crate) version: Option<String>,
    /// Copy the version's sources too, with their attributes.
    #[arg(long, requires = "mirror")]
    pub(crate) with_sources: bool,
    /// Copy the version's dictionary too (containers, structures and fields
    /// under the sources, with their attributes); implies --with-sources.
    #[arg(long, requires = "mirror")]
    pub(crate) with_dictionary: bool,
    /// Also write the copy as a seed file (no URL or token in it), for
    /// `sandbox --seed` and `--sandbox --sandbox-seed` later, offline.
    #[arg(long, value_name = "FILE", requires = "mirror")]
    pub(crate) save_seed: Option<PathBuf>,
    /// Requests per second when reading the tenant (the sandbox's own --rate
    /// and --hourly-limit are the limits it serves).
    #[arg(long, default_value = "8", value_parser = at_least_one())]
    pub(crate) mirror_rate: NonZeroU32,
}
