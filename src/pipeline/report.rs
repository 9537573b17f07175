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
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::files::formula::unescape;
use crate::files::table::{Book, Csv, CsvTable, TableFormat};
use crate::files::workbook;
use crate::model::outcome::{Outcome, ReportColumns, RowResult};

/// Writes report records in input order, whatever order they complete in.
pub struct ReportWriter<W: Write> {
    csv: CsvTable<W>,
    columns: ReportColumns,
    next_seq: u64,
    waiting: BTreeMap<u64, (Outcome, Vec<String>)>,
}

/// What a dictionary's report says of the object a row describes: its
/// kind (`field`) and its path (`\source\schema\table\column`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Object {
    pub(crate) kind: String,
    pub(crate) path: String,
}

impl<W: Write> ReportWriter<W> {
    /// `delimiter` and `bom` follow the input, so that the report opens in
    /// the same Excel the input came from.
    pub fn new(
        out: W,
        headers: &[String],
        delimiter: u8,
        bom: bool,
    ) -> anyhow::Result<ReportWriter<W>> {
        Self::with_columns(out, ReportColumns::Sources, headers, Csv { delimiter, bom })
    }

    /// A report whose own columns are `columns`' (a dictionary's report
    /// names each row's object).
    pub(crate) fn with_columns(
        out: W,
        columns: ReportColumns,
        headers: &[String],
        csv: Csv,
    ) -> anyhow::Result<ReportWriter<W>> {
        let header: Vec<String> = (columns.names().iter().map(|c| (*c).to_owned()))
            .chain(headers.iter().cloned())
            .collect();
        let csv = CsvTable::start(out, csv, &header)?;
        Ok(ReportWriter {
            csv,
            columns,
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

    /// Takes the outcome of a dictionary's row, with the object it describes
    /// (rows come in file order).
    pub(crate) fn push_object(
        &mut self,
        seq: u64,
        outcome: Outcome,
        object: Object,
        cells: Vec<String>,
    ) -> anyhow::Result<()> {
        let cells = [vec![object.kind, object.path], cells].concat();
        self.push(seq, outcome, cells)
    }

    fn write(&mut self, o: &Outcome, cells: &[String]) -> anyhow::Result<()> {
        // A dictionary's row carries its object's kind and path first.
        let (object, cells) = match self.columns {
            ReportColumns::Dictionary if cells.len() >= 2 => cells.split_at(2),
            _ => (&[][..], cells),
        };
        let fixed = [o.row.to_string(), o.result.as_str().to_owned()]
            .into_iter()
            .chain(object.iter().cloned())
            .chain([
                o.source_id.clone().unwrap_or_default(),
                o.location.clone().unwrap_or_default(),
                o.http_status.map(|s| s.to_string()).unwrap_or_default(),
                o.attempts.to_string(),
                o.error.clone().unwrap_or_default(),
                o.changes.clone().unwrap_or_default(),
            ]);
        let fixed: Vec<String> = fixed.collect();
        let record: Vec<&str> = fixed.iter().chain(cells).map(String::as_str).collect();
        self.csv.row(&record)
    }

    /// Flushes and hands back the writer. Every pushed row must have been written.
    pub fn finish(self) -> anyhow::Result<W> {
        anyhow::ensure!(
            self.waiting.is_empty(),
            "internal: rows missing before row {}",
            self.next_seq + 2
        );
        self.csv.finish()
    }
}

/// A report being written next to its destination, moved into place by `persist`.
/// A report whose path ends in `.xlsx` is written as CSV all the same while
/// the run goes (journal, id fill-in and resume work alike), and turned into
/// a workbook when it is put in place.
pub(crate) struct PendingReport {
    pub(crate) writer: ReportWriter<std::io::BufWriter<tempfile::NamedTempFile>>,
    path: PathBuf,
    delimiter: u8,
}

impl PendingReport {
    pub(crate) fn create(
        path: &Path,
        headers: &[String],
        delimiter: u8,
        bom: bool,
    ) -> anyhow::Result<PendingReport> {
        Self::with_columns(
            path,
            ReportColumns::Sources,
            headers,
            Csv { delimiter, bom },
        )
    }

    /// A report whose own columns are `columns`'.
    pub(crate) fn with_columns(
        path: &Path,
        columns: ReportColumns,
        headers: &[String],
        csv: Csv,
    ) -> anyhow::Result<PendingReport> {
        // A check's report may go to the null device: its rows, kept
        // meanwhile for the id fill, go to the system's scratch folder.
        let tmp = match crate::files::atomic::is_null(path) {
            true => tempfile::NamedTempFile::new()?,
            false => crate::files::atomic::scratch_for(path, ".dg-import-report.")?,
        };
        Ok(PendingReport {
            writer: ReportWriter::with_columns(
                std::io::BufWriter::new(tmp),
                columns,
                headers,
                csv,
            )?,
            path: path.to_owned(),
            delimiter: csv.delimiter,
        })
    }

    /// The report as written so far, in its temporary file (which goes when dropped).
    pub(crate) fn into_temp(self) -> anyhow::Result<tempfile::NamedTempFile> {
        let tmp = self
            .writer
            .finish()?
            .into_inner()
            .map_err(|e| e.into_error())?;
        Ok(tmp)
    }

    /// Replaces the destination atomically.
    pub(crate) fn persist(self) -> anyhow::Result<()> {
        let tmp = self
            .writer
            .finish()?
            .into_inner()
            .map_err(|e| e.into_error())?;
        if crate::files::atomic::is_null(&self.path) {
            return Ok(());
        }
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
                    return crate::files::atomic::persist(tmp, &beside);
                }
            }
        }
        crate::files::atomic::persist(tmp, &self.path)
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
pub(crate) fn write_workbook(
    path: &Path,
    headers: &[String],
    mut rows: impl Iterator<Item = anyhow::Result<Vec<String>>>,
) -> anyhow::Result<()> {
    let at = |name: &str| headers.iter().position(|h| h == name);
    let widths = [
        ("row", 7.0),
        ("result", 14.0),
        ("object_kind", 10.0),
        ("object_path", 40.0),
        ("source_id", 20.0),
        ("id", 20.0),
        ("location", 20.0),
        ("http_status", 8.0),
        ("attempts", 8.0),
        ("error", 60.0),
        ("changes", 40.0),
    ];
    let look = workbook::Look {
        widths: (widths.iter())
            .filter_map(|(name, width)| Some((at(name)? as u16, *width)))
            .collect(),
        wrapped: ["error", "changes"]
            .iter()
            .filter_map(|c| at(c))
            .map(|i| i as u16)
            .collect(),
        coloured: at("result").map(|i| (i as u16, result_colour as fn(&str) -> Option<u32>)),
    };
    let book = Book {
        sheet: "report",
        look,
    };
    TableFormat::Workbook(book).write(path, headers, &mut rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::formula::escape;
    use crate::model::outcome::{COLUMNS, DICTIONARY_COLUMNS, report_columns};

    #[test]
    fn rows_completing_out_of_order_are_written_in_input_order() {
        let mut w =
            ReportWriter::new(Vec::new(), &["name".into(), "owners".into()], b',', false).unwrap();
        let mut second = Outcome::new(3, RowResult::Invalid).with_error(
            crate::model::outcome::ErrorKind::of(
                "owners",
                crate::model::outcome::Problem::UnknownUser,
            ),
            "owners: unknown user 'x'",
        );
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
    fn a_dictionary_report_names_each_rows_object_and_reads_back_as_its_outcome() {
        let csv = Csv {
            delimiter: b',',
            bom: false,
        };
        let columns = ReportColumns::Dictionary;
        let mut w =
            ReportWriter::with_columns(Vec::new(), columns, &["column".into()], csv).unwrap();
        let mut o = Outcome::new(2, RowResult::Updated);
        o.source_id = Some("f-1".into());
        o.attempts = 1;
        o.changes = Some("size: 10 -> 20".into());
        let object = Object {
            kind: "field".into(),
            path: r"\dwh\sales\orders\id".into(),
        };
        w.push_object(0, o, object, vec!["id".into()]).unwrap();
        let text = String::from_utf8(w.finish().unwrap()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "row,result,object_kind,object_path,id,location,http_status,attempts,error,changes,column"
        );
        assert_eq!(
            lines[1],
            r"2,updated,field,\dwh\sales\orders\id,f-1,,,1,,size: 10 -> 20,id"
        );
        let headers: Vec<String> = lines[0].split(',').map(str::to_owned).collect();
        assert_eq!(report_columns(&headers), Some(DICTIONARY_COLUMNS.len()));
        assert_eq!(ReportColumns::of(&headers), Some(ReportColumns::Dictionary));
        let cells: Vec<&str> = lines[1].split(',').take(DICTIONARY_COLUMNS.len()).collect();
        let back = Outcome::from_cells(&cells).unwrap();
        assert_eq!(
            (
                back.row,
                back.result,
                back.source_id.as_deref(),
                back.attempts
            ),
            (2, RowResult::Updated, Some("f-1"), 1)
        );
        assert_eq!(back.changes.as_deref(), Some("size: 10 -> 20"));
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
