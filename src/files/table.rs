//! Every table written beside the input (the report, the retired list, an
//! export) goes through one seam: a `TableFormat` per kind of file, chosen from
//! the path once (`TableFormat::for_path`), each writing a header and rows
//! atomically; and one CSV writer (`CsvTable`) that starts with the
//! byte-order mark when asked, separates by the input's delimiter and
//! guards every cell against formulas, for the file and for a stream (the
//! report as a run goes, an export to standard output).

use std::io::Write;
use std::path::Path;

use crate::files::workbook::{self, Look};

/// Rows of text, read as they come.
pub(crate) type Rows<'a> = &'a mut dyn Iterator<Item = anyhow::Result<Vec<String>>>;

/// How a CSV table is written: the input's delimiter, and the byte-order
/// mark Excel needs to read accents (when the input had one, or asked).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Csv {
    pub(crate) delimiter: u8,
    pub(crate) bom: bool,
}

/// A workbook's one sheet: its name and its look.
pub(crate) struct Book<'a> {
    pub(crate) sheet: &'a str,
    pub(crate) look: Look,
}

/// The kind of file a table is written as.
pub(crate) enum TableFormat<'a> {
    Csv(Csv),
    Workbook(Book<'a>),
}

impl<'a> TableFormat<'a> {
    /// A workbook for a path that ends in `.xlsx`, else CSV.
    pub(crate) fn for_path(path: &Path, csv: Csv, book: Book<'a>) -> TableFormat<'a> {
        match workbook::is_workbook(path) {
            true => TableFormat::Workbook(book),
            false => TableFormat::Csv(csv),
        }
    }

    /// Writes the table to `path`, atomically (the old file, if any, kept
    /// aside by the caller).
    pub(crate) fn write(
        &self,
        path: &Path,
        headers: &[String],
        rows: Rows<'_>,
    ) -> anyhow::Result<()> {
        match self {
            TableFormat::Csv(csv) => crate::files::atomic::write_with(path, |out| {
                let mut table = CsvTable::start(out, *csv, headers)?;
                for row in rows {
                    table.row(&row?)?;
                }
                table.finish().map(drop)
            }),
            TableFormat::Workbook(book) => {
                workbook::write(path, book.sheet, headers, rows, &book.look)
            }
        }
    }
}

/// The CSV writer of every table.
pub(crate) struct CsvTable<W: Write> {
    csv: csv::Writer<W>,
}

impl<W: Write> CsvTable<W> {
    /// Starts the table on `out`: the mark when asked, then the header.
    pub(crate) fn start(mut out: W, style: Csv, headers: &[String]) -> anyhow::Result<CsvTable<W>> {
        if style.bom {
            out.write_all(crate::files::UTF8_BOM)?;
        }
        let csv = csv::WriterBuilder::new()
            .flexible(true)
            .delimiter(style.delimiter)
            .from_writer(out);
        let mut table = CsvTable { csv };
        table.row(headers)?;
        Ok(table)
    }

    /// One row, every cell guarded (`files::formula`).
    pub(crate) fn row<S: AsRef<str>>(&mut self, cells: &[S]) -> anyhow::Result<()> {
        let guarded = cells
            .iter()
            .map(|c| crate::files::formula::escape(c.as_ref()));
        let guarded: Vec<std::borrow::Cow<'_, str>> = guarded.collect();
        self.csv
            .write_record(guarded.iter().map(|c| c.as_bytes()))?;
        Ok(())
    }

    /// Flushes and hands back what it wrote to.
    pub(crate) fn finish(mut self) -> anyhow::Result<W> {
        self.csv.flush()?;
        (self.csv.into_inner()).map_err(|e| anyhow::anyhow!("writing a table: {}", e.error()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csv_table_starts_with_the_mark_when_asked_and_guards_every_cell() {
        let headers = ["name".to_owned(), "=cmd".to_owned()];
        let style = Csv {
            delimiter: b';',
            bom: true,
        };
        let mut table = CsvTable::start(Vec::new(), style, &headers).unwrap();
        table.row(&["a;b", "+1"]).unwrap();
        let bytes = table.finish().unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(text, "\u{FEFF}name;'=cmd\n\"a;b\";'+1\n");
    }

    #[test]
    fn the_format_follows_the_path_and_the_file_is_written_whole() {
        let dir = tempfile::tempdir().unwrap();
        let csv = Csv {
            delimiter: b',',
            bom: false,
        };
        let book = || Book {
            sheet: "t",
            look: Look::default(),
        };
        let headers = ["a".to_owned()];
        let path = dir.path().join("t.csv");
        let format = TableFormat::for_path(&path, csv, book());
        assert!(matches!(format, TableFormat::Csv(_)));
        let mut rows = vec![Ok(vec!["1".to_owned()])].into_iter();
        format.write(&path, &headers, &mut rows).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a\n1\n");
        let sheet = dir.path().join("t.xlsx");
        assert!(matches!(
            TableFormat::for_path(&sheet, csv, book()),
            TableFormat::Workbook(_)
        ));
    }
}
