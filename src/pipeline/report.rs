//! The results report: one record per input row, in input order, with what
//! happened to it, followed by the row's own cells under their original
//! headers (so that a report can be fixed in Excel and fed back). Rows
//! complete out of order; a small reorder buffer writes them in order, so
//! memory is bounded by the rows in flight, not by the file.
//!
//! The report is written to a temporary file beside its destination and
//! moved into place at the end (atomic rename); until then the journal
//! (`journal.rs`) is the record of what was done.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::files::workbook;
use serde::{Deserialize, Serialize};

/// The columns every report starts with.
pub const COLUMNS: [&str; 8] = [
    "row",
    "result",
    "source_id",
    "location",
    "http_status",
    "attempts",
    "error",
    "changes",
];

/// How many of `headers` are a report's own columns: all of `COLUMNS`, or
/// all but `changes` for a report written before that column existed.
pub fn report_columns(headers: &[String]) -> Option<usize> {
    let starts = |n: usize| headers.len() >= n && headers[..n] == COLUMNS[..n];
    if starts(COLUMNS.len()) {
        Some(COLUMNS.len())
    } else {
        starts(COLUMNS.len() - 1).then_some(COLUMNS.len() - 1)
    }
}

/// What happened to a row (for `check`: what would happen).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RowResult {
    Created,
    Updated,
    Unchanged,
    /// Not sent: the row itself is wrong.
    Invalid,
    /// Rejected by the API, or retries exhausted.
    Failed,
    /// Not attempted (the run stopped first).
    Skipped,
    /// `check`: the row would create its source.
    WouldCreate,
    /// `check`: the source exists and the row would update it.
    WouldUpdate,
    /// `check`: the source exists and `run` would fail the row "already exists".
    Conflict,
}

impl RowResult {
    pub const ALL: [RowResult; 9] = [
        RowResult::Created,
        RowResult::Updated,
        RowResult::Unchanged,
        RowResult::Invalid,
        RowResult::Failed,
        RowResult::Skipped,
        RowResult::WouldCreate,
        RowResult::WouldUpdate,
        RowResult::Conflict,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RowResult::Created => "created",
            RowResult::Updated => "updated",
            RowResult::Unchanged => "unchanged",
            RowResult::Invalid => "invalid",
            RowResult::Failed => "failed",
            RowResult::Skipped => "skipped",
            RowResult::WouldCreate => "would-create",
            RowResult::WouldUpdate => "would-update",
            RowResult::Conflict => "conflict",
        }
    }

    pub fn parse(text: &str) -> Option<RowResult> {
        RowResult::ALL
            .into_iter()
            .find(|r| r.as_str() == text.trim())
    }

    /// The row is done: nothing to do again.
    pub fn is_done(self) -> bool {
        matches!(
            self,
            RowResult::Created | RowResult::Updated | RowResult::Unchanged
        )
    }

    /// A run (or a check's prediction of one) would end well for the row.
    pub fn is_success(self) -> bool {
        self.is_done() || matches!(self, RowResult::WouldCreate | RowResult::WouldUpdate)
    }
}

impl fmt::Display for RowResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of one row: the report's fixed columns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub row: u64,
    pub result: RowResult,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    #[serde(default)]
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What an update changed (or would change): `status: A -> B; tags: +X`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<String>,
    /// For the summary's grouping: the error without its value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_kind: Option<String>,
}

impl Outcome {
    pub fn new(row: u64, result: RowResult) -> Outcome {
        Outcome {
            row,
            result,
            source_id: None,
            location: None,
            http_status: None,
            attempts: 0,
            error: None,
            changes: None,
            error_kind: None,
        }
    }

    /// Reads the fixed columns of a report record back (`COLUMNS` order).
    pub fn from_cells(cells: &[&str]) -> Result<Outcome, String> {
        let (fixed, changes) = match cells {
            [fixed @ .., changes] if cells.len() == COLUMNS.len() => (fixed, *changes),
            fixed => (fixed, ""),
        };
        let [
            row,
            result,
            source_id,
            location,
            http_status,
            attempts,
            error,
        ] = fixed
        else {
            return Err(format!("expected the {} report columns", COLUMNS.len()));
        };
        let text = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        Ok(Outcome {
            row: row
                .trim()
                .parse()
                .map_err(|_| format!("row: '{row}' is not a row number"))?,
            result: RowResult::parse(result)
                .ok_or_else(|| format!("result: '{result}' is not a result"))?,
            source_id: text(source_id),
            location: text(location),
            http_status: match http_status.trim() {
                "" => None,
                s => Some(
                    s.parse()
                        .map_err(|_| format!("http_status: '{s}' is not a status"))?,
                ),
            },
            attempts: match attempts.trim() {
                "" => 0,
                s => s
                    .parse()
                    .map_err(|_| format!("attempts: '{s}' is not a number"))?,
            },
            error: text(error),
            changes: text(changes),
            error_kind: None,
        })
    }

    pub fn with_error(mut self, kind: impl Into<String>, message: impl Into<String>) -> Outcome {
        self.error_kind = Some(kind.into());
        self.error = Some(message.into());
        self
    }
}

/// Cells that Excel would run as a formula start with one of these.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Writes a cell so that Excel shows it as text: a leading apostrophe before
/// a formula-like start, and before a leading apostrophe (so that `unescape`
/// always gives back the exact value).
pub fn escape(value: &str) -> std::borrow::Cow<'_, str> {
    if value.starts_with(FORMULA_STARTS) || value.starts_with('\'') {
        format!("'{value}").into()
    } else {
        value.into()
    }
}

/// Undoes exactly `escape`: one leading apostrophe goes when a formula-like
/// start or another apostrophe follows it, and only then, so that reports,
/// exports and hand-made files all read back as written ("'abc" stays).
pub fn unescape(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) || rest.starts_with('\'') => rest,
        _ => cell,
    }
}

/// Writes report records in input order, whatever order they complete in.
pub struct ReportWriter<W: Write> {
    csv: csv::Writer<W>,
    next_seq: u64,
    waiting: BTreeMap<u64, (Outcome, Vec<String>)>,
}

impl<W: Write> ReportWriter<W> {
    /// `delimiter` and `bom` follow the input, so that the report opens in
    /// the same Excel the input came from.
    pub fn new(
        mut out: W,
        headers: &[String],
        delimiter: u8,
        bom: bool,
    ) -> anyhow::Result<ReportWriter<W>> {
        if bom {
            out.write_all(b"\xEF\xBB\xBF")?;
        }
        let mut csv = csv::WriterBuilder::new()
            .flexible(true)
            .delimiter(delimiter)
            .from_writer(out);
        let header: Vec<std::borrow::Cow<'_, str>> = COLUMNS
            .iter()
            .map(|c| (*c).into())
            .chain(headers.iter().map(|h| escape(h)))
            .collect();
        csv.write_record(header.iter().map(|h| h.as_ref()))?;
        Ok(ReportWriter {
            csv,
            next_seq: 0,
            waiting: BTreeMap::new(),
        })
    }

    /// Takes the outcome of the row with sequence number `seq`.
    pub fn push(&mut self, seq: u64, outcome: Outcome, cells: Vec<String>) -> anyhow::Result<()> {
        self.waiting.insert(seq, (outcome, cells));
        while let Some((outcome, cells)) = self.waiting.remove(&self.next_seq) {
            self.write(&outcome, &cells)?;
            self.next_seq += 1;
        }
        Ok(())
    }

    fn write(&mut self, o: &Outcome, cells: &[String]) -> anyhow::Result<()> {
        let fixed = [
            o.row.to_string(),
            o.result.as_str().to_owned(),
            o.source_id.clone().unwrap_or_default(),
            o.location.clone().unwrap_or_default(),
            o.http_status.map(|s| s.to_string()).unwrap_or_default(),
            o.attempts.to_string(),
            o.error.clone().unwrap_or_default(),
            o.changes.clone().unwrap_or_default(),
        ];
        let record: Vec<std::borrow::Cow<'_, str>> =
            fixed.iter().chain(cells).map(|c| escape(c)).collect();
        self.csv.write_record(record.iter().map(|c| c.as_ref()))?;
        Ok(())
    }

    /// Flushes and hands back the writer. Every pushed row must have been written.
    pub fn finish(mut self) -> anyhow::Result<W> {
        anyhow::ensure!(
            self.waiting.is_empty(),
            "internal: rows missing before row {}",
            self.next_seq + 2
        );
        self.csv.flush()?;
        self.csv
            .into_inner()
            .map_err(|e| anyhow::anyhow!("writing the report: {}", e.error()))
    }
}

/// A report being written next to its destination, moved into place by `persist`.
/// A report whose path ends in `.xlsx` is written as CSV all the same while
/// the run goes (journal, id fill-in and resume work alike), and turned into
/// a workbook when it is put in place.
pub struct PendingReport {
    pub writer: ReportWriter<std::io::BufWriter<tempfile::NamedTempFile>>,
    path: PathBuf,
    delimiter: u8,
}

impl PendingReport {
    pub fn create(
        path: &Path,
        headers: &[String],
        delimiter: u8,
        bom: bool,
    ) -> anyhow::Result<PendingReport> {
        let dir = crate::files::atomic::folder_of(path);
        let tmp = tempfile::Builder::new()
            .prefix(".dg-import-report.")
            .suffix(".tmp")
            .tempfile_in(dir)
            .with_context(|| format!("creating the report in {}", dir.display()))?;
        Ok(PendingReport {
            writer: ReportWriter::new(std::io::BufWriter::new(tmp), headers, delimiter, bom)?,
            path: path.to_owned(),
            delimiter,
        })
    }

    /// The report as written so far, in its temporary file (which goes when dropped).
    pub fn into_temp(self) -> anyhow::Result<tempfile::NamedTempFile> {
        let tmp = self
            .writer
            .finish()?
            .into_inner()
            .map_err(|e| e.into_error())?;
        Ok(tmp)
    }

    /// Replaces the destination atomically.
    pub fn persist(self) -> anyhow::Result<()> {
        let tmp = self
            .writer
            .finish()?
            .into_inner()
            .map_err(|e| e.into_error())?;
        tmp.as_file().sync_all()?;
        if workbook::is_workbook(&self.path) {
            let (_, rows) = read_back(tmp.path(), self.delimiter)?;
            match workbook_fits(rows) {
                Ok(()) => {
                    let (headers, rows) = read_back(tmp.path(), self.delimiter)?;
                    return write_workbook(&self.path, &headers, rows);
                }
                Err(why) => {
                    // Never cut, never lost: the report goes beside, as CSV.
                    let beside = self.path.with_extension("csv");
                    tracing::warn!(
                        "the report cannot be a workbook ({why:#}): written as CSV to {}",
                        beside.display()
                    );
                    tmp.persist(&beside)
                        .with_context(|| format!("writing the report {}", beside.display()))?;
                    return Ok(());
                }
            }
        }
        tmp.persist(&self.path)
            .with_context(|| format!("writing the report {}", self.path.display()))?;
        Ok(())
    }
}

/// A CSV report's header, and its rows as they are read, as the values
/// they stand for.
type Rows = Box<dyn Iterator<Item = anyhow::Result<Vec<String>>>>;

fn read_back(path: &Path, delimiter: u8) -> anyhow::Result<(Vec<String>, Rows)> {
    let csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_path(path)?;
    let mut records = csv.into_records();
    let cells = |r: csv::StringRecord| -> Vec<String> {
        r.iter().map(|c| unescape(c).to_owned()).collect()
    };
    let mut headers = match records.next() {
        Some(record) => cells(record?),
        None => vec![],
    };
    if let Some(first) = headers.first_mut()
        && let Some(rest) = first.strip_prefix('\u{FEFF}')
    {
        *first = rest.to_owned();
    }
    let rows = records.map(move |r| Ok(cells(r?)));
    Ok((headers, Box::new(rows)))
}

/// Why rows cannot be a workbook, if they cannot.
fn workbook_fits(rows: Rows) -> anyhow::Result<()> {
    const MAX_ROWS: usize = 1_048_575;
    for (i, row) in rows.enumerate() {
        let row = row?;
        anyhow::ensure!(i < MAX_ROWS, "more rows than a sheet holds");
        if row.iter().any(|c| !workbook::fits(c)) {
            anyhow::bail!(
                "row {} holds a value longer than a cell holds ({} characters)",
                row.first().map_or("?", String::as_str),
                workbook::CELL_LIMIT
            );
        }
    }
    Ok(())
}

/// The fill of a `result` cell: done green, would-be blue, not done red,
/// left for later amber.
fn result_colour(value: &str) -> Option<u32> {
    match RowResult::parse(value)? {
        RowResult::Created | RowResult::Updated | RowResult::Unchanged => Some(0xC6EFCE),
        RowResult::WouldCreate | RowResult::WouldUpdate => Some(0xBDD7EE),
        RowResult::Invalid | RowResult::Failed => Some(0xFFC7CE),
        RowResult::Skipped | RowResult::Conflict => Some(0xFFEB9C),
    }
}

/// A workbook report: the report's columns, then the input's, the `result`
/// cell coloured, `error` and `changes` wide and wrapped.
pub fn write_workbook(
    path: &Path,
    headers: &[String],
    rows: impl Iterator<Item = anyhow::Result<Vec<String>>>,
) -> anyhow::Result<()> {
    let look = workbook::Look {
        widths: vec![
            (0, 7.0),
            (1, 14.0),
            (2, 20.0),
            (3, 20.0),
            (4, 8.0),
            (5, 8.0),
            (6, 60.0),
            (7, 40.0),
        ],
        wrapped: vec![6, 7],
        coloured: Some((1, result_colour)),
    };
    workbook::write(path, "report", headers, rows, &look)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_completing_out_of_order_are_written_in_input_order() {
        let mut w =
            ReportWriter::new(Vec::new(), &["name".into(), "owners".into()], b',', false).unwrap();
        let mut second = Outcome::new(3, RowResult::Invalid)
            .with_error("owners: unknown user", "owners: unknown user 'x'");
        second.attempts = 0;
        let mut first = Outcome::new(2, RowResult::Created);
        first.source_id = Some("id-1".into());
        first.location = Some("sources/v/id-1".into());
        first.http_status = Some(201);
        first.attempts = 2;
        w.push(1, second, vec!["b".into(), "x".into()]).unwrap();
        w.push(0, first, vec!["a".into(), "a@x.io;b@x.io".into()])
            .unwrap();
        let text = String::from_utf8(w.finish().unwrap()).unwrap();
        assert_eq!(
            text,
            "row,result,source_id,location,http_status,attempts,error,changes,name,owners\n\
             2,created,id-1,sources/v/id-1,201,2,,,a,a@x.io;b@x.io\n\
             3,invalid,,,,0,owners: unknown user 'x',,b,x\n"
        );
    }

    #[test]
    fn an_outcome_reads_back_from_the_cells_it_was_written_as() {
        let cells = ["7", "would-update", "id", "sources/v/id", "", "0", "x, y"];
        let o = Outcome::from_cells(&cells).unwrap();
        assert_eq!(
            (o.row, o.result, o.http_status, o.attempts),
            (7, RowResult::WouldUpdate, None, 0)
        );
        assert_eq!(o.error.as_deref(), Some("x, y"));
        assert!(Outcome::from_cells(&["x", "created", "", "", "", "", ""]).is_err());
        assert!(Outcome::from_cells(&["2", "done", "", "", "", "", ""]).is_err());
        // A report from before the `changes` column reads as one without changes.
        let cells = ["7", "updated", "id", "", "200", "1", "", "status: A -> B"];
        let o = Outcome::from_cells(&cells).unwrap();
        assert_eq!(o.changes.as_deref(), Some("status: A -> B"));
        assert_eq!(
            report_columns(
                &COLUMNS[..7]
                    .iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
            ),
            Some(7)
        );
    }

    #[test]
    fn a_workbook_report_too_large_for_a_cell_is_written_beside_as_csv_never_cut() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.report.xlsx");
        let headers = ["name".to_owned()];
        let write = |value: String| {
            let mut pending = PendingReport::create(&path, &headers, b',', true).unwrap();
            pending
                .writer
                .push(0, Outcome::new(2, RowResult::Created), vec![value])
                .unwrap();
            pending.persist().unwrap();
        };
        write("=fits".into());
        assert!(path.exists() && !dir.path().join("in.report.csv").exists());
        std::fs::remove_file(&path).unwrap();
        write("x".repeat(workbook::CELL_LIMIT + 1));
        assert!(!path.exists());
        let beside = std::fs::read_to_string(dir.path().join("in.report.csv")).unwrap();
        assert!(beside.contains(&"x".repeat(workbook::CELL_LIMIT + 1)));
    }

    #[test]
    fn cells_excel_would_run_are_written_as_text_and_read_back_exactly() {
        for value in [
            "=1+1", "+33 6", "-5", "@SUM(A1)", "\tx", "'quoted", "''twice", "plain", "",
        ] {
            assert_eq!(unescape(&escape(value)), value, "{value:?}");
        }
        assert_eq!(escape("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        // A hand-made apostrophe that no guard explains is kept.
        assert_eq!(unescape("'abc"), "'abc");
        assert_eq!(unescape("'"), "'");
        assert_eq!(unescape("''abc"), "'abc");
        let mut w = ReportWriter::new(Vec::new(), &["name".into()], b';', true).unwrap();
        w.push(0, Outcome::new(2, RowResult::Created), vec!["=cmd".into()])
            .unwrap();
        let bytes = w.finish().unwrap();
        assert_eq!(bytes, "\u{FEFF}row;result;source_id;location;http_status;attempts;error;changes;name\n2;created;;;;0;;;'=cmd\n".as_bytes());
    }

    #[test]
    fn a_report_with_a_missing_row_is_not_finished() {
        let mut w = ReportWriter::new(Vec::new(), &[], b',', false).unwrap();
        w.push(1, Outcome::new(3, RowResult::Created), vec![])
            .unwrap();
        assert!(w.finish().is_err());
    }
}
