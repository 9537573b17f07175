//! `dg-import export`: the sources of a version (or of a scope) as a file
//! `run` reads back, one row each, sorted by technical name so that two
//! exports diff cleanly: the importer's own columns, then one column per
//! custom attribute that any exported source has, in the order of the
//! definitions. CSV (guarded against formulas, with a BOM for Excel when it
//! is a file) or a workbook; the file is replaced atomically.
//!
//! The law: exporting, then `run --if-exists update` of the unedited file,
//! sends nothing. It holds for sources whose users and tags the tenant still
//! knows and whose list values hold no list separator; the others are named
//! in a warning.

mod dictionary;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::time::Instant;

use serde::Serialize;
use serde_json::Value;

use crate::cli::config::ExportConfig;
use crate::client::session::Session;
use crate::commands::signals::Interrupt;
use crate::exit::{self, usage};
use crate::files::table::{Book, Csv, CsvTable, Rows, TableFormat};
use crate::files::workbook;
use crate::pipeline::attributes::{self, Format};
use crate::pipeline::compare::Current;
use crate::pipeline::directory::{self, Directory};
use crate::pipeline::input::{Field, Notation};
use crate::pipeline::progress::Progress;
use crate::pipeline::summary::Common;

/// The importer's own columns, in the order `run` documents them: every
/// field but `upsert` (an export is of sources, not of instructions).
pub(crate) fn own_columns() -> impl Iterator<Item = &'static str> {
    (Field::ALL.into_iter())
        .filter(|f| *f != Field::Upsert)
        .map(Field::name)
}

/// How many sources a warning names before "and N more".
const NAMED: usize = 10;

/// What `export` did, printed and written as JSON (`--summary-json`).
/// Its `warnings` are the sources that would not read back unchanged, by
/// reason; `stopped` why it stopped (nothing was written then).
#[derive(Debug, Serialize)]
pub(crate) struct ExportSummary {
    #[serde(flatten)]
    pub(crate) common: Common,
    pub(crate) output: String,
    pub(crate) sources: usize,
    pub(crate) attribute_columns: Vec<String>,
    /// A dictionary export: its containers, structures and fields.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) objects: BTreeMap<String, usize>,
}

/// The exported table: its headers, the sources in row order, and what
/// would not read back. Rows are made one at a time as they are written.
#[derive(Debug)]
pub(crate) struct Table<'a> {
    pub(crate) headers: Vec<String>,
    /// (technical name, what it holds), sorted.
    sources: Vec<(&'a str, &'a Current)>,
    columns: Vec<(String, Option<Format>)>,
    /// Joins list values.
    separator: char,
    pub(crate) warnings: Vec<String>,
}

impl Table<'_> {
    pub(crate) fn len(&self) -> usize {
        self.sources.len()
    }

    pub(crate) fn attribute_columns(&self) -> Vec<String> {
        self.columns.iter().map(|(n, _)| n.clone()).collect()
    }

    /// Each source's technical name and row, in order.
    pub(crate) fn rows(&self) -> impl Iterator<Item = (&str, Vec<String>)> {
        self.sources
            .iter()
            .map(|(key, current)| (*key, self.row(key, current)))
    }

    fn row(&self, key: &str, current: &Current) -> Vec<String> {
        let joined = |items: &[std::sync::Arc<str>]| {
            let items: Vec<&str> = items.iter().map(|i| i.as_ref()).collect();
            items.join(&self.separator.to_string())
        };
        let mut row = vec![
            current.name.clone(),
            current
                .source_type
                .as_deref()
                .unwrap_or_default()
                .to_owned(),
            current.status.as_deref().unwrap_or_default().to_owned(),
            joined(&current.owners),
            joined(&current.stewards),
            joined(&current.tags),
            current.summary.clone().unwrap_or_default(),
            current.description.clone().unwrap_or_default(),
            key.to_owned(),
        ];
        for (name, format) in &self.columns {
            let value = current.custom.get(name).unwrap_or(Value::Null);
            row.push(attributes::cell(*format, &value, self.separator).unwrap_or_default());
        }
        row
    }
}

pub(crate) async fn execute(config: ExportConfig, interrupt: Interrupt) -> anyhow::Result<u8> {
    check_outputs(&config)?;
    let session = Session::open(&config.endpoint).await?;
    let code = export(&config, &session, &interrupt).await;
    session.close().await?;
    code
}

/// Lists and writes; the summary goes out (`--summary-json`) even when the
/// export stops, as a scheduler reads it either way.
async fn export(
    config: &ExportConfig,
    session: &Session,
    interrupt: &Interrupt,
) -> anyhow::Result<u8> {
    let started = Instant::now();
    let (pace, client) = session.connect(&config.reach)?;
    let done = match config.dictionary {
        Some(format) => dictionary::list_and_write(config, format, &client, &pace, interrupt).await,
        None => list_and_write(config, &client, &pace, interrupt).await,
    };
    let mut summary = ExportSummary {
        common: Common::new("export", started, Some(&pace)),
        output: String::new(),
        sources: 0,
        attribute_columns: vec![],
        objects: BTreeMap::new(),
    };
    match &done {
        Ok(written) => {
            summary.output = written.output.clone();
            summary.sources = written.sources;
            summary.attribute_columns = written.attribute_columns.clone();
            summary.common.warnings = written.warnings.clone();
            summary.objects = written.objects.clone();
            // A reader that closed the pipe early is done with it: nothing to say.
            if written.output != CLOSED {
                crate::voice::say("INFO", &said(&summary, written), None);
            }
        }
        Err(e) => {
            summary.common.stopped_by(e);
        }
    }
    // A failure now leaves the export as done (and its exit code), and is said.
    crate::pipeline::summary::write_if_asked(config.summary_json.as_deref(), &summary);
    done.map(|_| exit::SUCCESS)
}

/// What an export says it did.
fn said(summary: &ExportSummary, written: &Exported) -> String {
    let what = match summary.objects.is_empty() {
        true => format!(
            "{} sources with {} custom attribute columns",
            summary.sources,
            summary.attribute_columns.len()
        ),
        false => {
            let objects: Vec<String> = (["containers", "structures", "fields"].iter())
                .map(|kind| format!("{} {kind}", summary.objects.get(*kind).unwrap_or(&0)))
                .collect();
            format!(
                "the dictionary of {} sources ({})",
                summary.sources,
                objects.join(", ")
            )
        }
    };
    format!(
        "exported {what} of '{}' version '{}' to {} ({} requests, {:.1}s)",
        written.target.workspace_name,
        written.target.version_name,
        summary.output,
        summary.common.requests,
        summary.common.elapsed.as_secs_f64()
    )
}

/// The summary's path and the export's, checked before the first request;
/// standard output takes one of them at most.
fn check_outputs(config: &ExportConfig) -> anyhow::Result<()> {
    use crate::files::output::{Allow, check};
    if let Some(path) = &config.summary_json {
        if path.as_os_str() == "-" && config.output.is_none() {
            return Err(usage(
                "--summary-json - and the export both go to standard output: \
                 name a file for one of them (-o FILE)",
            ));
        }
        check("--summary-json", path, Allow::ANY)?;
    }
    if let Some(path) = &config.output {
        check("-o", path, Allow::ANY)?;
    }
    Ok(())
}

/// The output of an export whose reader closed the pipe early.
const CLOSED: &str = "standard output (closed early by its reader)";

/// A write to a pipe whose reader is gone: not an error, as `cat` and `rg`
/// have it.
fn closed_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        let io = cause
            .downcast_ref::<std::io::Error>()
            .map(std::io::Error::kind);
        let csv = match cause.downcast_ref::<csv::Error>().map(csv::Error::kind) {
            Some(csv::ErrorKind::Io(io)) => Some(io.kind()),
            _ => None,
        };
        io.or(csv) == Some(std::io::ErrorKind::BrokenPipe)
    })
}

/// What an export wrote.
struct Exported {
    target: directory::Target,
    output: String,
    sources: usize,
    attribute_columns: Vec<String>,
    warnings: Vec<String>,
    /// A dictionary's objects by kind (`containers`...); empty for sources.
    objects: BTreeMap<String, usize>,
}

async fn list_and_write(
    config: &ExportConfig,
    client: &crate::client::api::Client,
    pace: &std::sync::Arc<crate::client::pace::Pace>,
    interrupt: &Interrupt,
) -> anyhow::Result<Exported> {
    let progress = Progress::start(None, config.quiet, pace.clone());
    let listing = async {
        let ws = config.workspace.as_deref();
        let target = directory::locate(client, ws, config.version.as_deref()).await?;
        let directory = Directory::load(client, &target, true, Some(&progress)).await?;
        anyhow::Ok((target, directory))
    };
    let found = tokio::select! {
        found = listing => found,
        _ = interrupt.cancelled() => Err(interrupt.stop().into()),
    };
    progress.finish();
    let (target, directory) = found?;
    if directory.counts().2 > 0 && !directory.attributes_known {
        return Err(usage(
            "the API listed the sources without their attributes (it ignored \
             includeAttributes): an export would lose their values",
        ));
    }
    let separator = Notation::of(config.delimiter, None).list_separator;
    let mut table = tabulate(&directory, config.scope.as_ref(), separator);
    if let Some(scope) = &config.scope {
        let said = scope.warnings(&directory, table.len());
        let said = said.into_iter().map(|w| format!("--scope: {w}"));
        table.warnings.splice(0..0, said);
    }
    for warning in &table.warnings {
        tracing::warn!("{warning}");
    }
    if config.output.as_deref().is_some_and(workbook::is_workbook) {
        refuse_long_cells(&table)?;
    }
    let look = workbook::Look {
        widths: vec![(0, 28.0), (6, 40.0), (7, 48.0), (8, 28.0)],
        ..Default::default()
    };
    let book = Book {
        sheet: &target.version_name,
        look,
    };
    let mut rows = table.rows().map(|(_, row)| Ok(row));
    let output = write_out(config, &table.headers, &mut rows, book)?;
    Ok(Exported {
        output,
        sources: table.len(),
        attribute_columns: table.attribute_columns(),
        warnings: table.warnings.clone(),
        target,
        objects: BTreeMap::new(),
    })
}

/// The users a source names (owners, stewards, and in attributes of users)
/// and every value it holds in a list.
fn users_and_lists(
    current: &Current,
    columns: &[(String, Option<Format>)],
) -> (Vec<String>, Vec<String>) {
    let people = || current.owners.iter().chain(&current.stewards);
    let mut users: Vec<String> = people().map(|e| e.to_string()).collect();
    let mut lists: Vec<String> = (people().chain(&current.tags))
        .map(|i| i.to_string())
        .collect();
    for (name, format) in columns {
        let Some(Value::Array(items)) = current.custom.get(name) else {
            continue;
        };
        let texts = items.iter().filter_map(|i| i.as_str().map(str::to_owned));
        match format {
            Some(Format::Users) => users.extend(texts),
            Some(f) if f.is_list() || *f == Format::ValueList => lists.extend(texts),
            _ => {}
        }
    }
    (users, lists)
}

/// The sources of `directory` in `scope`, sorted by technical name, and
/// the warnings about those that would not read back. `separator` joins
/// list values (the one `run` splits on for the file).
pub(crate) fn tabulate<'a>(
    directory: &'a Directory,
    scope: Option<&crate::pipeline::scope::Scope>,
    separator: char,
) -> Table<'a> {
    let mut sources: Vec<(&str, &Current)> = directory
        .sources()
        .filter_map(|(key, e)| Some((key.technical_name(), e.current.as_deref()?)))
        .filter(|(key, current)| scope.is_none_or(|s| s.matches(key, Some(current))))
        .collect();
    // Ignoring case first, as a person scans the file; then exactly.
    sources.sort_by(|a, b| {
        let folded = |k: &str| k.to_lowercase();
        folded(a.0).cmp(&folded(b.0)).then_with(|| a.0.cmp(b.0))
    });
    let columns = attribute_columns(directory, sources.iter().map(|(_, c)| *c));
    let mut unknown = Named::default();
    let mut split = Named::default();
    let mut untyped = Named::default();
    for (key, current) in &sources {
        let (users, lists) = users_and_lists(current, &columns);
        if users.iter().any(|e| !directory.knows_user(e))
            || current.tags.iter().any(|t| !directory.knows_tag(t))
        {
            unknown.add(key);
        }
        if lists.iter().chain(&users).any(|i| i.contains(separator)) {
            split.add(key);
        }
        if current.source_type.is_none() {
            untyped.add(key);
        }
    }
    let mut warnings = Vec::new();
    unknown.warn(
        &mut warnings,
        "hold owners, stewards or tags the tenant no longer lists (an import of them would be invalid)",
    );
    split.warn(
        &mut warnings,
        &format!("hold a list value with a '{separator}' in it (it would read back as two)"),
    );
    untyped.warn(
        &mut warnings,
        "were listed without their type (their rows need one to be imported)",
    );
    for (name, _) in &columns {
        if let Some(field) = Field::from_header(name) {
            warnings.push(format!(
                "the custom attribute '{name}' has a name the importer reads as the field {}: \
                 its column would be imported as that field, not as the attribute",
                field.name()
            ));
        }
    }
    let mut headers: Vec<String> = own_columns().map(str::to_owned).collect();
    headers.extend(columns.iter().map(|(n, _)| n.clone()));
    Table {
        headers,
        sources,
        columns,
        separator,
        warnings,
    }
}

/// The custom attributes any of `sources` has, in the order of the
/// definitions. Keys a listing carries that the tenant does not define as
/// custom attributes of sources (system ones it lists beside them) are left
/// out; when it would not list its definitions, every such key is taken, by
/// name.
fn attribute_columns<'a>(
    directory: &Directory,
    sources: impl Iterator<Item = &'a Current>,
) -> Vec<(String, Option<Format>)> {
    let defined =
        |name: &str| (directory.definitions.as_ref()).is_none_or(|d| d.get(name).is_some());
    let set: BTreeSet<&str> = sources
        .flat_map(|c| c.custom.names())
        .filter(|n| defined(n))
        .collect();
    let mut columns: Vec<(String, Option<Format>)> = set
        .into_iter()
        .map(|name| {
            (
                name.to_owned(),
                directory.definition(name).map(|d| d.format),
            )
        })
        .collect();
    let position = |name: &str| {
        (directory.definitions.as_ref())
            .and_then(|d| d.position(name))
            .unwrap_or(usize::MAX)
    };
    columns.sort_by_key(|(name, _)| position(name));
    columns
}

/// Technical names for a warning: the first few, and how many in all.
#[derive(Default)]
struct Named {
    count: usize,
    first: Vec<String>,
}

impl Named {
    fn add(&mut self, key: &str) {
        if self.first.last().is_some_and(|k| k == key) {
            return;
        }
        self.count += 1;
        if self.first.len() < NAMED {
            self.first.push(key.to_owned());
        }
    }

    fn warn(&self, warnings: &mut Vec<String>, why: &str) {
        if self.count == 0 {
            return;
        }
        let more = match self.count - self.first.len() {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        warnings.push(format!(
            "{} sources {why}: {}{more}",
            self.count,
            self.first.join(", ")
        ));
    }
}

/// Writes the table where `-o` says: a workbook or a CSV file (with a
/// byte-order mark, for Excel), atomically, or CSV on standard output (no
/// mark; a reader that closes the pipe early ends it quietly). Says where.
fn write_out(
    config: &ExportConfig,
    headers: &[String],
    rows: Rows<'_>,
    book: Book<'_>,
) -> anyhow::Result<String> {
    let Some(path) = &config.output else {
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        let style = Csv {
            delimiter: config.delimiter,
            bom: false,
        };
        let wrote = CsvTable::start(&mut out, style, headers).and_then(|mut csv| {
            for row in rows {
                csv.row(&row?)?;
            }
            csv.finish().map(drop)
        });
        return match wrote.and_then(|()| Ok(out.flush()?)) {
            // `export -o - | head`: the reader had what it wanted.
            Err(e) if closed_pipe(&e) => Ok(CLOSED.into()),
            wrote => wrote.map(|()| "standard output".into()),
        };
    };
    let csv = Csv {
        delimiter: config.delimiter,
        bom: true,
    };
    TableFormat::for_path(path, csv, book).write(path, headers, rows)?;
    Ok(path.display().to_string())
}

/// A workbook is refused whole (nothing written) when a value is longer
/// than a cell holds.
fn refuse_long_cells(table: &Table) -> anyhow::Result<()> {
    let too_long: Vec<&str> = table
        .rows()
        .filter(|(_, row)| row.iter().any(|c| !workbook::fits(c)))
        .map(|(key, _)| key)
        .collect();
    if too_long.is_empty() {
        return Ok(());
    }
    Err(usage(format!(
        "{} sources hold a value longer than an Excel cell holds ({} characters): {}; \
         nothing was written: export them to CSV instead (--output FILE.csv)",
        too_long.len(),
        workbook::CELL_LIMIT,
        too_long.join(", ")
    )))
}
