//! Reading rows: a CSV file or stdin (streamed, never loaded whole; see
//! `csv.rs` for the dialects) or a spreadsheet (`sheet.rs`). Each record
//! becomes an `InputRow` numbered as a person sees it in a spreadsheet
//! (header = 1, first data row = 2). Rows with no content are passed over; a
//! row's shape and byte problems travel with it as data.

pub(crate) mod bound;
pub mod csv;
pub mod header;
pub mod mysql;
pub mod quotes;
pub mod sheet;

use std::fs::File;
use std::io::Read;
use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::exit::usage;
use crate::files::formula::unescape;
use crate::model::outcome::{COLUMNS, DICTIONARY_COLUMNS, Outcome, report_columns};
use crate::model::source::RowError;
pub(crate) use header::{AttributeColumn, ExtraColumns, Field, HeaderMap, HeaderOptions};
use quotes::QuoteFault;

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
    pub(crate) defect: Option<RowError>,
    /// When reading a report: the outcome it recorded for this row.
    pub(crate) previous: Option<Outcome>,
}

/// What a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// Rows of sources, under a header.
    Plain,
    /// A report: the `COLUMNS`, then the rows' own columns, cells escaped
    /// against formulas. Row numbers are those the report gives.
    Report,
}

/// How the input was written, so that its report can be written alike.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Dialect {
    pub(crate) delimiter: u8,
    /// The file started with a byte-order mark (or is a spreadsheet).
    pub(crate) bom: bool,
    /// The legacy encoding the file was found in, without `--encoding`.
    pub(crate) detected: Option<&'static encoding_rs::Encoding>,
}

/// A cell as read: text, or bytes that are not UTF-8.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum RawCell {
    Text(String),
    Bytes(Vec<u8>),
}

/// One record as read.
pub(crate) struct Record {
    /// The spreadsheet row number.
    pub(crate) row: u64,
    pub(crate) cells: Vec<RawCell>,
    /// A quote that went wrong (CSV only); an unclosed one's line is the file's.
    pub(crate) quotes: Option<QuoteFault>,
}

/// Where records come from.
pub(crate) trait RecordSource: Send {
    fn next_record(&mut self) -> anyhow::Result<Option<Record>>;
}

/// How to read the input; recorded for reruns and resumes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InputOptions {
    /// A WHATWG encoding label for CSV (`None`: UTF-8, or UTF-16 with a BOM).
    pub(crate) encoding: Option<String>,
    pub(crate) delimiter: Option<char>,
    /// The separator of owners, stewards and tags (default `;`, or `,` when
    /// the file's own delimiter is `;`).
    pub(crate) list_separator: Option<char>,
    pub(crate) sheet: Option<String>,
    pub(crate) headers: HeaderOptions,
    /// `--max-part-mb`: the bound on a workbook part's inflated size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) max_part_mb: Option<u64>,
    /// `--kind`: what the file describes, when its header is not to say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) kind: Option<FileKind>,
    /// How a dictionary's rows are read (`--source` ...).
    #[serde(
        default,
        skip_serializing_if = "crate::pipeline::dictionary::rows::Options::is_default"
    )]
    pub(crate) dictionary: crate::pipeline::dictionary::rows::Options,
}

/// What a file describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    Sources,
    Dictionary,
}

/// A short name of the input for messages.
pub(crate) fn display_name(path: Option<&Path>) -> String {
    path.map_or_else(|| "standard input".to_owned(), |p| p.display().to_string())
}

/// The rows of an input.
/// A dictionary is recognised from its header, and said to be one, with
/// the columns read for each level: this release imports sources only.
fn refuse_dictionary(name: &str, headers: &[String], kind: Option<FileKind>) -> anyhow::Result<()> {
    use crate::pipeline::dictionary::columns::{Shape, shape_of};
    use crate::pipeline::dictionary::rows::Layout;
    let what = match shape_of(headers) {
        Shape::Sources if kind == Some(FileKind::Dictionary) => {
            "a dictionary (--kind dictionary)".into()
        }
        Shape::Sources => return Ok(()),
        Shape::PerField => format!(
            "a data dictionary, one row per field ({})",
            Layout::of(headers).levels()
        ),
        Shape::PathAndType => "a dictionary in DataGalaxy's format (columns Path and Type)".into(),
    };
    Err(usage(format!(
        "{name} is {what}, where a file of sources (name and type columns) was \
         expected: `run`, `check` and `rerun` read a dictionary as one unless \
         `--kind sources` says otherwise; nothing was sent"
    )))
}

/// How a file writes lists and numbers: two decisions, each with its own
/// reason, both read from the file's delimiter unless a flag says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Notation {
    /// What separates a list's items (`--list-separator`): `;`, or `,` in a
    /// file whose cells are separated by `;` (a list is never split on the
    /// file's own delimiter).
    pub(crate) list_separator: char,
    /// `2,5` is a number: the file is what a spreadsheet writes where the
    /// comma is the decimal mark, which is why it separates cells by `;`.
    pub(crate) decimal_comma: bool,
}

impl Notation {
    pub(crate) fn of(delimiter: u8, list_separator: Option<char>) -> Notation {
        let default_separator = match delimiter {
            b';' => ',',
            _ => ';',
        };
        Notation {
            list_separator: list_separator.unwrap_or(default_separator),
            decimal_comma: delimiter == b';',
        }
    }
}

pub struct Input {
    source: Box<dyn RecordSource>,
    layout: Layout,
    /// CSV: cells may carry the formula guard of `files::formula`, undone
    /// on reading (a workbook's cells never do).
    guarded: bool,
    /// Leading columns that are not the row's own (a report's outcome).
    skip: usize,
    header: HeaderMap,
    dialect: Dialect,
    notation: Notation,
    seq: u64,
    name: String,
}

/// A file opened to its header: where its records come from, how it was
/// written, its header as text.
struct Opened {
    source: Box<dyn RecordSource>,
    dialect: Dialect,
    guarded: bool,
    headers: Vec<String>,
    name: String,
}

/// A file's rows under its header, whatever they describe (what a
/// dictionary is read from): every dialect, encoding and spreadsheet the
/// sources' reader takes, and what `mysql -B` writes (`mysql.rs`).
pub struct Records {
    opened: Opened,
    /// `mysql -B` output: `NULL` and backslash escapes decoded.
    batch: bool,
    /// A report's own columns, before the rows' (none for a file).
    skip: usize,
}

/// A row of `Records`: its number as a person sees it (in a report, the
/// row of the file it came from), its cells, and what a report recorded of
/// it.
pub struct Entry {
    pub row: u64,
    pub cells: Vec<String>,
    pub previous: Option<Outcome>,
}

impl Records {
    pub fn open(path: &Path, options: &InputOptions) -> anyhow::Result<Records> {
        let opened = Opened::open(Some(path), options)?;
        let batch = mysql::is_batch_header(&opened.headers.join("\t"));
        Ok(Records {
            opened,
            batch,
            skip: 0,
        })
    }

    /// A report's rows, under the file's own header (what a rerun reads).
    pub fn report(path: &Path, options: &InputOptions) -> anyhow::Result<Records> {
        let mut records = Records::open(path, options)?;
        let name = &records.opened.name;
        records.skip = report_columns(&records.opened.headers).ok_or_else(|| {
            usage(format!(
                "{name} is not a dg-import report: it should start with the columns {}",
                DICTIONARY_COLUMNS.join(",")
            ))
        })?;
        Ok(records)
    }

    /// Whether the file starts with a report's own columns.
    pub fn is_report(path: &Path, options: &InputOptions) -> anyhow::Result<bool> {
        let records = Records::open(path, options)?;
        Ok(report_columns(&records.opened.headers).is_some())
    }

    pub fn headers(&self) -> &[String] {
        &self.opened.headers[self.skip..]
    }

    pub(crate) fn dialect(&self) -> Dialect {
        self.opened.dialect
    }

    pub fn name(&self) -> &str {
        &self.opened.name
    }

    /// The next row that is not blank: its number as a person sees it, and
    /// its cells as text (bytes that are not UTF-8 read as they can be).
    pub fn next_row(&mut self) -> anyhow::Result<Option<(u64, Vec<String>)>> {
        Ok(self.next_entry()?.map(|e| (e.row, e.cells)))
    }

    /// The next row that is not blank, with what a report recorded of it.
    pub fn next_entry(&mut self) -> anyhow::Result<Option<Entry>> {
        loop {
            let Some(record) = self.opened.source.next_record()? else {
                return Ok(None);
            };
            if record.cells.iter().all(blank) {
                continue;
            }
            let guarded = self.opened.guarded;
            let mut cells: Vec<String> = (record.cells.into_iter())
                .map(|cell| match cell {
                    RawCell::Text(t) if self.batch => mysql::decode(&t),
                    RawCell::Text(t) if guarded => unescape(&t).to_owned(),
                    RawCell::Text(t) => t,
                    RawCell::Bytes(b) => String::from_utf8_lossy(&b).into_owned(),
                })
                .collect();
            if self.skip == 0 {
                return Ok(Some(Entry {
                    row: record.row,
                    cells,
                    previous: None,
                }));
            }
            cells.resize(cells.len().max(self.skip), String::new());
            let own = cells.split_off(self.skip);
            let fixed: Vec<&str> = cells.iter().map(String::as_str).collect();
            let previous = Outcome::from_cells(&fixed)
                .map_err(|e| usage(format!("{}, row {}: {e}", self.name(), record.row)))?;
            return Ok(Some(Entry {
                row: previous.row,
                cells: own,
                previous: Some(previous),
            }));
        }
    }
}

impl Opened {
    /// The file's records and its header row, checked.
    fn open(path: Option<&Path>, options: &InputOptions) -> anyhow::Result<Opened> {
        let name = display_name(path);
        let guarded = !path.is_some_and(sheet::is_spreadsheet);
        let (mut source, dialect): (Box<dyn RecordSource>, Dialect) = match path {
            Some(p) if sheet::is_spreadsheet(p) => {
                let bound = bound::Bound::of_mb(options.max_part_mb);
                let records = sheet::SheetRecords::open(p, options.sheet.as_deref(), bound)?;
                (
                    Box::new(records),
                    Dialect {
                        delimiter: b',',
                        bom: true,
                        detected: None,
                    },
                )
            }
            _ => {
                let (records, dialect) = open_csv(path, &name, options)?;
                (Box::new(records), dialect)
            }
        };
        let Some(first) = source.next_record()? else {
            return Err(usage(format!("{name} is empty: expected a header row")));
        };
        if let Some(fault) = first.quotes {
            let header = quote_error(fault, |i| format!("column {}", i + 1));
            return Err(usage(format!("{name}, the header row: {header}")));
        }
        let headers = first
            .cells
            .into_iter()
            .enumerate()
            .map(|(i, cell)| match cell {
                RawCell::Text(h) if guarded => Ok(unescape(h.trim()).to_owned()),
                RawCell::Text(h) => Ok(h.trim().to_owned()),
                RawCell::Bytes(_) => Err(usage(format!(
                    "{name}: the header of column {} is not valid UTF-8: pass --encoding (e.g. windows-1252)",
                    i + 1
                ))),
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Opened {
            source,
            dialect,
            guarded,
            headers,
            name,
        })
    }
}

impl Input {
    pub fn open(
        path: Option<&Path>,
        layout: Layout,
        options: &InputOptions,
    ) -> anyhow::Result<Input> {
        let Opened {
            source,
            dialect,
            guarded,
            headers,
            name,
        } = Opened::open(path, options)?;
        let skip = match layout {
            Layout::Plain => 0,
            Layout::Report => report_columns(&headers).ok_or_else(|| {
                usage(format!(
                    "{name} is not a dg-import report: it should start with the columns {}",
                    COLUMNS.join(",")
                ))
            })?,
        };
        if options.kind != Some(FileKind::Sources) {
            refuse_dictionary(&name, &headers[skip..], options.kind)?;
        }
        let header = HeaderMap::new(headers[skip..].to_vec(), &options.headers)
            .with_context(|| format!("reading the header of {name}"))?;
        let notation = Notation::of(dialect.delimiter, options.list_separator);
        Ok(Input {
            source,
            layout,
            guarded,
            skip,
            header,
            dialect,
            notation,
            seq: 0,
            name,
        })
    }

    pub(crate) fn header(&self) -> &HeaderMap {
        &self.header
    }

    /// Decides the columns that name no field (see `HeaderMap::bind`).
    pub(crate) fn bind(
        &mut self,
        definitions: Option<&crate::pipeline::attributes::Definitions>,
        extra: ExtraColumns,
    ) -> anyhow::Result<Vec<String>> {
        let name = &self.name;
        self.header
            .bind(definitions, extra)
            .with_context(|| format!("reading the header of {name}"))
    }

    pub(crate) fn dialect(&self) -> Dialect {
        self.dialect
    }

    pub(crate) fn notation(&self) -> Notation {
        self.notation
    }

    /// A report's leading cells: the outcome it recorded for the row.
    fn outcome_of(
        &self,
        cells: &mut impl Iterator<Item = RawCell>,
        row: u64,
    ) -> anyhow::Result<Outcome> {
        let fixed: Vec<String> = (cells.take(self.skip))
            .map(|c| match c {
                RawCell::Text(t) if self.guarded => unescape(&t).to_owned(),
                RawCell::Text(t) => t,
                RawCell::Bytes(b) => String::from_utf8_lossy(&b).into_owned(),
            })
            .collect();
        let fixed: Vec<&str> = fixed.iter().map(String::as_str).collect();
        Outcome::from_cells(&fixed).map_err(|e| usage(format!("{}, row {}: {e}", self.name, row)))
    }

    fn next_row(&mut self) -> anyhow::Result<Option<InputRow>> {
        loop {
            let Some(Record {
                mut row,
                cells,
                quotes,
            }) = self.source.next_record()?
            else {
                return Ok(None);
            };
            if cells.iter().all(blank) {
                continue;
            }
            let mut cells = cells.into_iter();
            let previous = match self.layout {
                Layout::Plain => None,
                Layout::Report => {
                    let outcome = self.outcome_of(&mut cells, row)?;
                    row = outcome.row;
                    Some(outcome)
                }
            };
            let own: Vec<RawCell> = cells.collect();
            let width = self.header.headers().len();
            let skip = self.skip;
            let mut defect = quotes.map(|fault| {
                quote_error(fault, |i| match i.checked_sub(skip) {
                    Some(own) => (self.header.headers().get(own).cloned())
                        .unwrap_or_else(|| format!("column {}", i + 1)),
                    None => crate::model::outcome::COLUMNS[i].to_owned(),
                })
            });
            let last_filled = own.iter().rposition(|c| !blank(c)).map_or(0, |i| i + 1);
            if last_filled > width {
                defect = Some(RowError::TooManyCells {
                    expected: width,
                    found: last_filled,
                });
            }
            let mut texts: Vec<String> = Vec::with_capacity(width.max(own.len()));
            for (i, cell) in own.into_iter().enumerate() {
                match cell {
                    RawCell::Text(t) if self.guarded => texts.push(unescape(&t).to_owned()),
                    RawCell::Text(t) => texts.push(t),
                    RawCell::Bytes(b) => {
                        let column = self
                            .header
                            .headers()
                            .get(i)
                            .cloned()
                            .unwrap_or_else(|| format!("column {}", i + 1));
                        defect.get_or_insert(RowError::NotUtf8 { column });
                        texts.push(String::from_utf8_lossy(&b).into_owned());
                    }
                }
            }
            // Missing trailing cells are empty; extra empty ones are dropped
            // (extra filled ones are kept, to be reported as they were).
            texts.resize(
                if defect.is_some() {
                    texts.len().max(width)
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
                cells: texts,
                defect,
                previous,
            }));
        }
    }
}

/// A cell with nothing but spaces.
fn blank(cell: &RawCell) -> bool {
    match cell {
        RawCell::Text(t) => t.trim().is_empty(),
        RawCell::Bytes(b) => b.trim_ascii().is_empty(),
    }
}

/// A CSV file (or standard input) in the encoding and delimiter asked, or
/// as its bytes say.
fn open_csv(
    path: Option<&Path>,
    name: &str,
    options: &InputOptions,
) -> anyhow::Result<(csv::CsvRecords, Dialect)> {
    let encoding = match &options.encoding {
        Some(label) => Some(
            encoding_rs::Encoding::for_label(label.as_bytes()).ok_or_else(|| {
                usage(format!(
                    "--encoding {label}: not an encoding label (try windows-1252, utf-16le)"
                ))
            })?,
        ),
        None => None,
    };
    let delimiter = options.delimiter.map(|d| d as u8);
    let raw: Box<dyn Read + Send> = match path {
        Some(p) => {
            Box::new(File::open(p).map_err(|e| usage(format!("reading {}: {e}", p.display())))?)
        }
        None => Box::new(std::io::stdin()),
    };
    let (records, dialect) = csv::CsvRecords::open(raw, name.to_owned(), encoding, delimiter)?;
    Ok((records, dialect))
}

/// A quote fault as a row's error, its column named by `column`.
fn quote_error(fault: QuoteFault, column: impl Fn(usize) -> String) -> RowError {
    match fault {
        QuoteFault::Unclosed {
            column: i,
            line,
            swallowed,
        } => RowError::UnclosedQuote {
            column: column(i),
            line,
            swallowed,
        },
        QuoteFault::Stray { column: i } => RowError::StrayQuote { column: column(i) },
    }
}

impl Iterator for Input {
    type Item = anyhow::Result<InputRow>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_row().transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn read(bytes: &[u8], options: &InputOptions) -> (Input, Vec<InputRow>) {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(bytes).unwrap();
        let mut input = Input::open(Some(file.path()), Layout::Plain, options).unwrap();
        let rows = input.by_ref().collect::<anyhow::Result<Vec<_>>>().unwrap();
        (input, rows)
    }

    fn rows(bytes: &[u8]) -> (Input, Vec<InputRow>) {
        read(bytes, &InputOptions::default())
    }

    #[test]
    fn rows_are_numbered_as_a_spreadsheet_shows_them_line_breaks_and_blank_lines_included() {
        let (_, rows) = rows(b"name,type\n\"two\nlines\",NoSql\n\nb,Relational\n,\nc,NoSql\n");
        assert_eq!(rows.iter().map(|r| r.row).collect::<Vec<_>>(), [2, 4, 6]);
        assert_eq!(rows[0].cells, ["two\nlines", "NoSql"]);
    }

    #[test]
    fn the_utf8_byte_order_mark_does_not_stick_to_the_first_header() {
        let (input, _) = rows(b"\xEF\xBB\xBFname,type\na,NoSql\n");
        assert_eq!(input.header().index(Field::Name), Some(0));
        assert!(input.dialect().bom);
    }

    #[test]
    fn excel_for_windows_files_read_with_their_delimiter_encoding_and_line_ends() {
        let bytes = b"name;type;tags\r\nCaf\xE9 cr\xE8me;NoSql;GDPR,PII\r\n";
        let options = InputOptions {
            encoding: Some("windows-1252".into()),
            ..Default::default()
        };
        let (input, rows) = read(bytes, &options);
        assert_eq!(input.dialect().delimiter, b';');
        assert_eq!(input.notation().list_separator, ',');
        assert_eq!(rows[0].cells, ["Café crème", "NoSql", "GDPR,PII"]);
        assert_eq!(rows[0].defect, None);
    }

    #[test]
    fn a_stray_byte_in_a_utf8_file_flags_its_row_only() {
        let (input, rows) =
            rows(b"name;type\r\nCaf\xE9;NoSql\r\nplain;NoSql\r\nCaf\xC3\xA9;NoSql\r\n");
        assert_eq!(input.dialect().detected, None);
        assert_eq!(rows[2].cells[0], "Café");
        assert_eq!(
            rows[0].defect,
            Some(RowError::NotUtf8 {
                column: "name".into()
            })
        );
        assert_eq!(rows[1].defect, None);
    }

    #[test]
    fn a_legacy_file_without_an_encoding_is_read_in_the_encoding_detected() {
        let (input, rows) = rows(b"name;type\r\nCaf\xE9 cr\xE8me br\xFBl\xE9e;NoSql\r\n");
        assert_eq!(input.dialect().detected, Some(encoding_rs::WINDOWS_1252));
        assert!(input.dialect().bom, "its report is UTF-8 with a BOM");
        assert_eq!(rows[0].cells[0], "Café crème brûlée");
        assert_eq!(rows[0].defect, None);
    }

    #[test]
    fn utf16_with_a_byte_order_mark_is_decoded() {
        let text = "name\ttype\r\nÉté\tNoSql\r\n";
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let (input, rows) = rows(&bytes);
        assert_eq!(input.dialect().delimiter, b'\t');
        assert_eq!(rows[0].cells, ["Été", "NoSql"]);
    }

    #[test]
    fn excels_sep_line_sets_the_delimiter_and_is_not_a_row() {
        let (input, rows) = rows(b"sep=|\r\nname|type\r\na|NoSql\r\n");
        assert_eq!(input.dialect().delimiter, b'|');
        assert_eq!(
            (rows[0].row, rows[0].cells.clone()),
            (2, vec!["a".to_string(), "NoSql".into()])
        );
    }

    #[test]
    fn lone_carriage_returns_end_rows() {
        let (_, rows) = rows(b"name,type\ra,NoSql\rb,NoSql\r");
        assert_eq!(
            rows.iter().map(|r| r.cells[0].as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
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
    fn a_report_reads_back_with_its_row_numbers_previous_outcomes_and_unescaped_cells() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(
            b"row,result,source_id,location,http_status,attempts,error,Name,Type\n\
              7,failed,,,503,6,boom,'=SUM(A1),NoSql\n9,created,id,loc,201,1,,b,NoSql\n",
        )
        .unwrap();
        let input =
            Input::open(Some(file.path()), Layout::Report, &InputOptions::default()).unwrap();
        assert_eq!(input.header().index(Field::Type), Some(1));
        let rows: Vec<InputRow> = input.map(Result::unwrap).collect();
        assert_eq!((rows[0].row, rows[1].row), (7, 9));
        assert_eq!(rows[0].cells, ["=SUM(A1)", "NoSql"]);
        let previous = rows[0].previous.as_ref().unwrap();
        assert_eq!(
            (previous.result, previous.attempts),
            (crate::model::outcome::RowResult::Failed, 6)
        );
    }

    #[test]
    fn a_file_that_is_not_a_report_is_refused_as_one() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(b"name,type\na,NoSql\n").unwrap();
        let err = Input::open(Some(file.path()), Layout::Report, &InputOptions::default())
            .err()
            .unwrap();
        assert!(
            err.to_string().contains("is not a dg-import report"),
            "{err}"
        );
    }
}
