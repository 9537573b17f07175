//! Spreadsheets (.xlsx, .xlsm, .xls, .ods) through calamine: the first sheet,
//! or `--sheet NAME`. Cells become text as a person reads them: whole numbers
//! without `.0`, other numbers in their shortest decimal form, dates as ISO
//! `YYYY-MM-DD`, booleans `true`/`false`, formulas as their cached value. Row
//! numbers are the sheet's. A sheet is read whole: the format bounds it.

use std::path::Path;

use calamine::{Data, Reader, open_workbook_auto};

use super::{RawCell, Record, RecordSource};
use crate::exit::usage;

/// The extensions read as spreadsheets.
pub const EXTENSIONS: [&str; 4] = ["xlsx", "xlsm", "xls", "ods"];

pub fn is_spreadsheet(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

pub struct SheetRecords {
    rows: std::vec::IntoIter<(u64, Vec<RawCell>)>,
}

impl SheetRecords {
    pub fn open(path: &Path, sheet: Option<&str>) -> anyhow::Result<SheetRecords> {
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
        let range = book
            .worksheet_range(&chosen)
            .map_err(|e| usage(format!("reading sheet '{chosen}' of {name}: {e}")))?;
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

/// A cell as a person reads it.
pub fn text(cell: &Data) -> String {
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
}
