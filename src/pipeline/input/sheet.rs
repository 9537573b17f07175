//! Spreadsheets (.xlsx, .xlsm, .xls, .ods) through calamine: the first sheet,
//! or `--sheet NAME`. Cells become text as a person reads them: whole numbers
//! without `.0`, other numbers in their shortest decimal form, dates as ISO
//! `YYYY-MM-DD`, booleans `true`/`false`, formulas as their cached value. Row
//! numbers are the sheet's. A sheet is read whole: the format bounds it.

use std::path::Path;

use calamine::{Data, Reader, Sheets, open_workbook_auto};

use super::bound::{self, Bound};
use super::{RawCell, Record, RecordSource};
use crate::exit::usage;

/// The extensions read as spreadsheets.
pub(crate) const EXTENSIONS: [&str; 4] = ["xlsx", "xlsm", "xls", "ods"];

pub(crate) fn is_spreadsheet(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

pub(crate) struct SheetRecords {
    rows: std::vec::IntoIter<(u64, Vec<RawCell>)>,
}

/// What a workbook's bytes are, told by their first ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ByteFormat {
    /// A zip archive: .xlsx, .xlsm, .ods.
    Zip,
    /// An OLE2 compound file: .xls (Excel 97-2003).
    Ole,
}

impl ByteFormat {
    pub(crate) fn of(head: &[u8]) -> Option<ByteFormat> {
        if head.starts_with(b"PK\x03\x04") {
            Some(ByteFormat::Zip)
        } else if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
            Some(ByteFormat::Ole)
        } else {
            None
        }
    }
}

/// A workbook's bytes start with a zip archive (.xlsx, .xlsm, .ods) or an
/// OLE2 compound file (.xls); anything else was given the wrong name.
fn refuse_other_bytes(path: &Path) -> anyhow::Result<ByteFormat> {
    let name = path.display();
    let mut head = [0u8; 8];
    let read = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
        .map_err(|e| usage(format!("reading {name}: {e}")))?;
    let head = &head[..read];
    if let Some(format) = ByteFormat::of(head) {
        return Ok(format);
    }
    let looks = match head.is_empty() {
        true => "it is empty".to_owned(),
        false if head.contains(&0) => "its bytes are no workbook format".to_owned(),
        false => "its bytes are text: if it is CSV (or tab-separated), rename it .csv".to_owned(),
    };
    Err(usage(format!(
        "{name} is not a workbook, whatever its name says: {looks}"
    )))
}

impl SheetRecords {
    pub(crate) fn open(
        path: &Path,
        sheet: Option<&str>,
        bound: Bound,
    ) -> anyhow::Result<SheetRecords> {
        if refuse_other_bytes(path)? == ByteFormat::Zip {
            bound::check_parts(path, bound)?;
            bound::check_ods_span(path, bound)?;
        }
        // The spreadsheet library may panic on damaged bytes: an error, not a crash.
        let damaged = || {
            format!(
                "{} is damaged: its workbook cannot be read (open it in its program and save it again)",
                path.display()
            )
        };
        crate::files::contain::contained(damaged, || SheetRecords::read(path, sheet, bound))
    }

    fn read(path: &Path, sheet: Option<&str>, bound: Bound) -> anyhow::Result<SheetRecords> {
        let name = path.display();
        let mut book =
            open_workbook_auto(path).map_err(|e| usage(format!("reading {name}: {e}")))?;
        let names = book.sheet_names();
        let chosen = match sheet {
            Some(wanted) => names
                .iter()
                .find(|n| n.eq_ignore_ascii_case(wanted))
                .cloned()
                .ok_or_else(|| {
                    usage(format!(
                        "{name} has no sheet '{wanted}'; it has: {}",
                        names.join(", ")
                    ))
                })?,
            None => names
                .first()
                .cloned()
                .ok_or_else(|| usage(format!("{name} has no sheet")))?,
        };
        if let Sheets::Xlsx(xlsx) = &mut book {
            bound::check_span(xlsx, path, &chosen, bound)?;
        }
        let range = book
            .worksheet_range(&chosen)
            .map_err(|e| usage(format!("reading sheet '{chosen}' of {name}: {e}")))?;
        if range
            .used_cells()
            .all(|(_, _, c)| text(c).trim().is_empty())
        {
            return Err(empty_sheet(
                &mut book,
                &chosen,
                sheet.is_some(),
                path,
                bound,
            ));
        }
        warn_uncomputed_formulas(&mut book, &chosen, &range);
        let first_row = range.start().map_or(0, |(r, _)| u64::from(r));
        let first_col = range.start().map_or(0, |(_, c)| c as usize);
        let rows: Vec<(u64, Vec<RawCell>)> = range
            .rows()
            .enumerate()
            .map(|(i, cells)| {
                // Columns left of the used range are empty, not missing.
                let mut row: Vec<RawCell> = vec![RawCell::Text(String::new()); first_col];
                row.extend(cells.iter().map(|c| RawCell::Text(text(c))));
                (first_row + i as u64 + 1, row)
            })
            .collect();
        Ok(SheetRecords {
            rows: rows.into_iter(),
        })
    }
}

impl RecordSource for SheetRecords {
    fn next_record(&mut self) -> anyhow::Result<Option<Record>> {
        Ok(self.rows.next().map(|(row, cells)| Record {
            row,
            cells,
            quotes: None,
        }))
    }
}

/// The sheet chosen holds nothing: say which sheets hold data.
/// (Sheets too large to lay out are not looked into.)
fn empty_sheet<RS: std::io::Read + std::io::Seek>(
    book: &mut Sheets<RS>,
    chosen: &str,
    named: bool,
    path: &Path,
    bound: Bound,
) -> anyhow::Error {
    let name = path.display();
    let full: Vec<String> = (book.sheet_names().into_iter())
        .filter(|n| n != chosen)
        .filter(|n| {
            if let Sheets::Xlsx(xlsx) = &mut *book
                && bound::check_span(xlsx, path, n, bound).is_err()
            {
                return false;
            }
            book.worksheet_range(n)
                .is_ok_and(|r| r.used_cells().any(|(_, _, c)| !text(c).trim().is_empty()))
        })
        .collect();
    let which = if named { "sheet" } else { "first sheet" };
    let data = match full.as_slice() {
        [] => "no sheet of it holds data".to_owned(),
        [one] => format!("the data is on sheet '{one}': pass --sheet \"{one}\""),
        several => format!(
            "sheets holding data: {}; pass --sheet NAME",
            several
                .iter()
                .map(|n| format!("'{n}'"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    usage(format!("{name}: its {which} '{chosen}' is empty; {data}"))
}

/// Formulas saved without their computed value (by a program that does not
/// calculate) read as empty cells: a warning names them.
fn warn_uncomputed_formulas<R: Reader<RS>, RS: std::io::Read + std::io::Seek>(
    book: &mut R,
    sheet: &str,
    values: &calamine::Range<Data>,
) {
    let Ok(formulas) = book.worksheet_formula(sheet) else {
        return;
    };
    let uncomputed: Vec<String> = (formulas.used_cells())
        .filter(|(_, _, f)| !f.is_empty())
        .map(|(r, c, _)| {
            let (row, col) = (
                r as u32 + formulas.start().map_or(0, |s| s.0),
                c as u32 + formulas.start().map_or(0, |s| s.1),
            );
            (row, col)
        })
        .filter(|(row, col)| {
            values
                .get_value((*row, *col))
                .is_none_or(|v| text(v).is_empty())
        })
        .map(|(row, col)| cell_name(row, col))
        .collect();
    if !uncomputed.is_empty() {
        let shown: Vec<&str> = uncomputed.iter().take(10).map(String::as_str).collect();
        let more = match uncomputed.len() {
            n if n > 10 => format!(" and {} more", n - 10),
            _ => String::new(),
        };
        tracing::warn!(
            "sheet '{sheet}': {} formula cell(s) were saved without a computed value and \
             read as empty: {}{more} (open and save the file in Excel to compute them)",
            uncomputed.len(),
            shown.join(", ")
        );
    }
}

/// `A1`-style name of a 0-based cell.
pub(crate) fn cell_name(row: u32, col: u32) -> String {
    let mut letters = String::new();
    let mut n = col + 1;
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.insert(0, (b'A' + rem as u8) as char);
        n = (n - 1) / 26;
    }
    format!("{letters}{}", row + 1)
}

/// A cell as a person reads it.
pub(crate) fn text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number(*f),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(at) if at.time() == chrono::NaiveTime::MIN => {
                at.date().format("%Y-%m-%d").to_string()
            }
            Some(at) => at.format("%Y-%m-%dT%H:%M:%S").to_string(),
            None => number(dt.as_f64()),
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// Whole numbers without `.0`; others in their shortest round-trip form.
fn number(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_a_person_writes_them() {
        assert_eq!(number(42.0), "42");
        assert_eq!(number(-3.0), "-3");
        assert_eq!(number(0.1), "0.1");
        assert_eq!(number(1234.5), "1234.5");
        assert_eq!(text(&Data::Bool(true)), "true");
    }

    #[test]
    fn cells_are_named_as_a_spreadsheet_names_them() {
        assert_eq!(cell_name(0, 0), "A1");
        assert_eq!(cell_name(2, 25), "Z3");
        assert_eq!(cell_name(9, 26), "AA10");
        assert_eq!(cell_name(0, 701), "ZZ1");
    }
}
