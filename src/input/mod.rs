//! Reading rows: a CSV file (or stdin) streamed record by record, never
//! loaded whole. Each record becomes an `InputRow` numbered as a person sees
//! it in a spreadsheet (header = 1, first data row = 2; records are counted,
//! not lines, since a quoted cell may hold line breaks). Rows with no content
//! are passed over; a row's shape problems travel with it as data.

pub mod header;

use std::fs::File;
use std::io::Read;
use std::path::Path;

use anyhow::Context;

use crate::exit::usage;
use crate::report::{COLUMNS, Outcome};
use crate::source::RowError;
pub use header::{Field, HeaderMap};

/// One data row as read.
#[derive(Clone, Debug, PartialEq)]
pub struct InputRow {
    /// 0, 1, 2... over the rows that are reported (blank rows have none).
    pub seq: u64,
    /// The spreadsheet row number.
    pub row: u64,
    /// One cell per header, as in the file (not trimmed).
    pub cells: Vec<String>,
    /// A problem with the row's shape or bytes, found while reading.
    pub defect: Option<RowError>,
    /// When reading a report: the outcome it recorded for this row.
    pub previous: Option<Outcome>,
}

/// What a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// Rows of sources, under a header.
    Plain,
    /// A report: the `COLUMNS`, then the rows' own columns. Row numbers are
    /// those the report gives (the original spreadsheet's).
    Report,
}

/// A streaming reader of the rows of a CSV input.
pub struct CsvInput {
    reader: csv::Reader<Box<dyn Read + Send>>,
    layout: Layout,
    /// Leading columns that are not the row's own (a report's outcome).
    skip: usize,
    header: HeaderMap,
    record: csv::ByteRecord,
    seq: u64,
    name: String,
}

/// A short name of the input for messages.
pub fn display_name(path: Option<&Path>) -> String {
    path.map_or_else(|| "standard input".to_owned(), |p| p.display().to_string())
}

fn reader_of(path: Option<&Path>) -> anyhow::Result<Box<dyn Read + Send>> {
    Ok(match path {
        Some(p) => {
            Box::new(File::open(p).map_err(|e| usage(format!("reading {}: {e}", p.display())))?)
        }
        None => Box::new(std::io::stdin()),
    })
}

fn csv_reader(source: Box<dyn Read + Send>) -> csv::Reader<Box<dyn Read + Send>> {
    // Headers are read by hand (to number rows and check them ourselves);
    // rows may be ragged (checked per row, never a crash).
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(source)
}

impl CsvInput {
    pub fn open(path: Option<&Path>, layout: Layout) -> anyhow::Result<CsvInput> {
        let name = display_name(path);
        let mut reader = csv_reader(reader_of(path)?);
        let mut first = csv::ByteRecord::new();
        let has_header = reader
            .read_byte_record(&mut first)
            .with_context(|| format!("reading {name}"))?;
        if !has_header {
            return Err(usage(format!("{name} is empty: expected a header row")));
        }
        let headers = first
            .iter()
            .enumerate()
            .map(|(i, h)| {
                String::from_utf8(h.to_vec())
                    .map(|h| h.trim().to_owned())
                    .map_err(|_| {
                        usage(format!(
                            "{name}: header of column {} is not valid UTF-8",
                            i + 1
                        ))
                    })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let skip = match layout {
            Layout::Plain => 0,
            Layout::Report => {
                if headers.len() < COLUMNS.len() || headers[..COLUMNS.len()] != COLUMNS {
                    return Err(usage(format!(
                        "{name} is not a dg-import report: it should start with the columns {}",
                        COLUMNS.join(",")
                    )));
                }
                COLUMNS.len()
            }
        };
        let header = HeaderMap::new(headers[skip..].to_vec())
            .with_context(|| format!("reading the header of {name}"))?;
        Ok(CsvInput {
            reader,
            layout,
            skip,
            header,
            record: csv::ByteRecord::new(),
            seq: 0,
            name,
        })
    }

    pub fn header(&self) -> &HeaderMap {
        &self.header
    }

    /// Data rows with content in a CSV input (a quick pass, for the progress bar).
    pub fn count(path: &Path) -> anyhow::Result<u64> {
        let mut reader = csv_reader(reader_of(Some(path))?);
        let mut record = csv::ByteRecord::new();
        let mut rows = 0u64;
        while reader.read_byte_record(&mut record)? {
            if record.iter().any(|c| !c.trim_ascii().is_empty()) {
                rows += 1;
            }
        }
        Ok(rows.saturating_sub(1))
    }

    fn next_row(&mut self) -> anyhow::Result<Option<InputRow>> {
        loop {
            let more = self
                .reader
                .read_byte_record(&mut self.record)
                .with_context(|| format!("reading {}", self.name))?;
            if !more {
                return Ok(None);
            }
            if self.record.iter().all(|c| c.trim_ascii().is_empty()) {
                continue;
            }
            let mut row = self.record.position().map_or(0, |p| p.record()) + 1;
            let previous = match self.layout {
                Layout::Plain => None,
                Layout::Report => {
                    let fixed: Vec<&str> = (0..self.skip)
                        .map(|i| {
                            self.record
                                .get(i)
                                .map_or("", |c| std::str::from_utf8(c).unwrap_or(""))
                        })
                        .collect();
                    let outcome = Outcome::from_cells(&fixed).map_err(|e| {
                        usage(format!(
                            "{}, line {}: {e}",
                            self.name,
                            self.record.position().map_or(0, |p| p.line())
                        ))
                    })?;
                    row = outcome.row;
                    Some(outcome)
                }
            };
            let own: Vec<&[u8]> = self.record.iter().skip(self.skip).collect();
            let width = self.header.headers().len();
            let mut defect = None;
            let last_filled = own
                .iter()
                .rposition(|c| !c.trim_ascii().is_empty())
                .map_or(0, |i| i + 1);
            if last_filled > width {
                defect = Some(RowError::TooManyCells {
                    expected: width,
                    found: own.len(),
                });
            }
            let mut cells: Vec<String> = Vec::with_capacity(width.max(own.len()));
            for (i, bytes) in own.iter().enumerate() {
                match std::str::from_utf8(bytes) {
                    Ok(text) => cells.push(text.to_owned()),
                    Err(_) => {
                        let column = self
                            .header
                            .headers()
                            .get(i)
                            .cloned()
                            .unwrap_or_else(|| format!("column {}", i + 1));
                        defect.get_or_insert(RowError::NotUtf8 { column });
                        cells.push(String::from_utf8_lossy(bytes).into_owned());
                    }
                }
            }
            // Missing trailing cells are empty; extra empty ones are dropped
            // (extra filled ones are kept, to be reported as they were).
            cells.resize(
                if defect.is_some() {
                    cells.len().max(width)
                } else {
                    width
                },
                String::new(),
            );
            let seq = self.seq;
            self.seq += 1;
            return Ok(Some(InputRow {
                seq,
                row,
                cells,
                defect,
                previous,
            }));
        }
    }
}

impl Iterator for CsvInput {
    type Item = anyhow::Result<InputRow>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_row().transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn rows(text: &[u8]) -> (CsvInput, Vec<InputRow>) {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(text).unwrap();
        let mut input = CsvInput::open(Some(file.path()), Layout::Plain).unwrap();
        let rows = input.by_ref().collect::<anyhow::Result<Vec<_>>>().unwrap();
        (input, rows)
    }

    #[test]
    fn rows_are_numbered_as_a_spreadsheet_shows_them_even_with_line_breaks_in_cells() {
        let (_, rows) = rows(b"\xEF\xBB\xBFname,type\n\"two\nlines\",NoSql\nb,Relational\n");
        assert_eq!(rows.iter().map(|r| r.row).collect::<Vec<_>>(), [2, 3]);
        assert_eq!(rows[0].cells, ["two\nlines", "NoSql"]);
    }

    #[test]
    fn the_utf8_byte_order_mark_does_not_stick_to_the_first_header() {
        let (input, _) = rows(b"\xEF\xBB\xBFname,type\na,NoSql\n");
        assert_eq!(input.header().index(Field::Name), Some(0));
    }

    #[test]
    fn ragged_rows_are_padded_or_flagged_never_shifted() {
        let (_, rows) = rows(b"name,type,tags\na,NoSql\nb,NoSql,,\nc,NoSql,GDPR,x,y\n");
        assert_eq!(rows[0].cells, ["a", "NoSql", ""]);
        assert_eq!(rows[0].defect, None);
        assert_eq!(rows[1].cells, ["b", "NoSql", ""]);
        assert_eq!(
            rows[2].defect,
            Some(RowError::TooManyCells {
                expected: 3,
                found: 5
            })
        );
    }

    #[test]
    fn a_report_reads_back_with_its_row_numbers_and_previous_outcomes() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(
            b"row,result,source_id,location,http_status,attempts,error,Name,Type\n\
                         7,failed,,,503,6,boom,a,NoSql\n9,created,id,loc,201,1,,b,NoSql\n",
        )
        .unwrap();
        let input = CsvInput::open(Some(file.path()), Layout::Report).unwrap();
        assert_eq!(input.header().index(Field::Type), Some(1));
        let rows: Vec<InputRow> = input.map(Result::unwrap).collect();
        assert_eq!((rows[0].row, rows[1].row), (7, 9));
        assert_eq!(rows[0].cells, ["a", "NoSql"]);
        let previous = rows[0].previous.as_ref().unwrap();
        assert_eq!(
            (previous.result, previous.attempts),
            (crate::report::RowResult::Failed, 6)
        );
    }

    #[test]
    fn a_file_that_is_not_a_report_is_refused_as_one() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(b"name,type\na,NoSql\n").unwrap();
        let err = CsvInput::open(Some(file.path()), Layout::Report)
            .err()
            .unwrap();
        assert!(
            err.to_string().contains("is not a dg-import report"),
            "{err}"
        );
    }

    #[test]
    fn blank_rows_are_passed_over_and_bad_bytes_flag_the_row() {
        let (_, rows) = rows(b"name,type\n,\na\xE9,NoSql\n");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].row, 3);
        assert_eq!(
            rows[0].defect,
            Some(RowError::NotUtf8 {
                column: "name".into()
            })
        );
    }
}
