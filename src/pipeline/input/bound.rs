//! A workbook is read within a bound, whatever its bytes claim: every part
//! of a zip-based workbook (.xlsx, .xlsm, .ods) is inflated once, as a
//! stream that counts and keeps nothing, and one that inflates past the
//! bound is refused naming the file and the part; a sheet whose cells span
//! more than the bound allows (a stray cell at XFD1048576 spans 17 billion)
//! is refused before the reader lays its grid out. So a 2 MB file holding
//! gigabytes of XML costs at most the bound's time, never its memory, and
//! no input makes the process abort on an allocation.

use std::io::{Read, Seek};
use std::path::Path;

use crate::exit::usage;

/// The default bound on a part's inflated size, in MiB (`--max-part-mb`).
pub(crate) const DEFAULT_MAX_PART_MB: u64 = 512;

/// What a cell of a laid-out sheet costs the reader, in bytes.
const CELL_BYTES: u64 = 32;

/// The bound, from `--max-part-mb`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Bound {
    pub(crate) part_bytes: u64,
}

impl Bound {
    pub(crate) fn of_mb(mb: Option<u64>) -> Bound {
        Bound {
            part_bytes: mb.unwrap_or(DEFAULT_MAX_PART_MB).saturating_mul(1 << 20),
        }
    }

    /// The cells a sheet may span: as many as the bound's bytes hold.
    pub(crate) fn cells(&self) -> u64 {
        self.part_bytes / CELL_BYTES
    }

    fn mb(&self) -> u64 {
        self.part_bytes >> 20
    }
}

/// Inflates every part of the zip archive at `path`, counting, and refuses
/// the first that exceeds the bound. A damaged archive is left for the
/// workbook reader to name.
pub(crate) fn check_parts(path: &Path, bound: Bound) -> anyhow::Result<()> {
    let Ok(file) = std::fs::File::open(path) else {
        return Ok(());
    };
    let Ok(mut archive) = zip::ZipArchive::new(std::io::BufReader::new(file)) else {
        return Ok(());
    };
    for i in 0..archive.len() {
        let Ok(part) = archive.by_index(i) else {
            continue;
        };
        let name = part.name().map(|n| n.into_owned()).unwrap_or_default();
        // One byte past the bound is enough to know.
        let inflated = std::io::copy(&mut part.take(bound.part_bytes + 1), &mut std::io::sink());
        if inflated.is_ok_and(|n| n > bound.part_bytes) {
            return Err(usage(format!(
                "{}: its part '{name}' inflates to more than {} MiB (damaged, or made to \
                 exhaust memory); if it is \
                 genuine, pass --max-part-mb with a larger bound, or save the sheet as \
                 CSV; nothing was sent",
                path.display(),
                bound.mb()
            )));
        }
    }
    Ok(())
}

/// The rows and columns an xlsx sheet's cells span, found by streaming its
/// cells (values and formulas) without laying them out; refused when that
/// grid would exceed the bound.
pub(crate) fn check_span<RS: Read + Seek>(
    book: &mut calamine::Xlsx<RS>,
    file: &Path,
    sheet: &str,
    bound: Bound,
) -> anyhow::Result<()> {
    let Ok(mut cells) = book.worksheet_cells_reader(sheet) else {
        return Ok(());
    };
    let (mut first, mut last) = ((u32::MAX, u32::MAX), (0u32, 0u32));
    let mut any = false;
    while let Ok(Some(cell)) = cells.next_cell_with_formula() {
        let (row, col) = cell.pos;
        any = true;
        first = (first.0.min(row), first.1.min(col));
        last = (last.0.max(row), last.1.max(col));
    }
    if !any {
        return Ok(());
    }
    let span = u64::from(last.0 - first.0 + 1) * u64::from(last.1 - first.1 + 1);
    if span <= bound.cells() {
        return Ok(());
    }
    let corner = |(row, col): (u32, u32)| crate::pipeline::input::sheet::cell_name(row, col);
    Err(usage(format!(
        "{}: sheet '{sheet}' spans {}:{} ({span} cells, more than the {} MiB bound lays \
         out): delete the stray cells far from the data (Ctrl+End shows the last one), \
         pass --max-part-mb with a larger bound, or save the sheet as CSV; nothing was sent",
        file.display(),
        corner(first),
        corner(last),
        bound.mb()
    )))
}

/// The grid an .ods file's sheets would be laid out in, read from its
/// `content.xml` (rows and cells repeated by attribute count as many):
/// refused when a sheet's grid would exceed the bound.
pub(crate) fn check_ods_span(path: &Path, bound: Bound) -> anyhow::Result<()> {
    let Ok(file) = std::fs::File::open(path) else {
        return Ok(());
    };
    let Ok(mut archive) = zip::ZipArchive::new(std::io::BufReader::new(file)) else {
        return Ok(());
    };
    let Ok(content) = archive.by_name("content.xml") else {
        return Ok(());
    };
    let mut reader = quick_xml::Reader::from_reader(std::io::BufReader::new(content));
    let mut grid = OdsGrid::default();
    let mut buf = Vec::new();
    while let Ok(event) = reader.read_event_into(&mut buf) {
        match event {
            quick_xml::events::Event::Eof => break,
            quick_xml::events::Event::Start(e) => grid.open(&e),
            quick_xml::events::Event::Empty(e) => grid.open_empty(&e),
            quick_xml::events::Event::End(e) => grid.close(e.name().as_ref()),
            _ => {}
        }
        if let Some((sheet, span)) = grid.over(bound.cells()) {
            return Err(usage(format!(
                "{}: sheet '{sheet}' spans {span} cells once its repeated rows and columns \
                 are laid out, more than the {} MiB bound holds: delete the rows and \
                 columns past the data, pass --max-part-mb with a larger bound, or save \
                 the sheet as CSV; nothing was sent",
                path.display(),
                bound.mb()
            )));
        }
        buf.clear();
    }
    Ok(())
}

/// Where an .ods sheet's content ends, as its XML goes by.
#[derive(Default)]
struct OdsGrid {
    sheet: String,
    /// Rows so far, repeats counted, and those up to the last with content.
    rows: u64,
    used_rows: u64,
    /// The current row: its repeat count, its columns so far, its last used one.
    repeat: u64,
    cols: u64,
    used_cols: u64,
    widest: u64,
}

fn repeated(e: &quick_xml::events::BytesStart<'_>, attribute: &str) -> u64 {
    (e.try_get_attribute(attribute).ok().flatten())
        .and_then(|a| a.value.parse().ok())
        .unwrap_or(1)
}

impl OdsGrid {
    fn open(&mut self, e: &quick_xml::events::BytesStart<'_>) {
        match e.name().as_ref() {
            "table:table" => {
                let name = e.try_get_attribute("table:name").ok().flatten();
                *self = OdsGrid {
                    sheet: name.map(|a| a.value.into_owned()).unwrap_or_default(),
                    ..OdsGrid::default()
                };
            }
            "table:table-row" => {
                self.repeat = repeated(e, "table:number-rows-repeated");
                (self.cols, self.used_cols) = (0, 0);
            }
            "table:table-cell" | "table:covered-table-cell" => {
                self.cols += repeated(e, "table:number-columns-repeated");
                // A cell with content: a value type, or text inside (Start).
                self.used_cols = self.cols;
            }
            _ => {}
        }
    }

    /// An empty element: a cell without text is used only if it holds a value.
    fn open_empty(&mut self, e: &quick_xml::events::BytesStart<'_>) {
        match e.name().as_ref() {
            "table:table-cell" | "table:covered-table-cell" => {
                self.cols += repeated(e, "table:number-columns-repeated");
                if e.try_get_attribute("office:value-type")
                    .ok()
                    .flatten()
                    .is_some()
                {
                    self.used_cols = self.cols;
                }
            }
            "table:table-row" => self.rows += repeated(e, "table:number-rows-repeated"),
            _ => {}
        }
    }

    fn close(&mut self, name: &str) {
        if name == "table:table-row" {
            self.rows += self.repeat;
            if self.used_cols > 0 {
                self.used_rows = self.rows;
                self.widest = self.widest.max(self.used_cols);
            }
        }
    }

    /// The sheet and its span, once it exceeds `cells`.
    fn over(&self, cells: u64) -> Option<(&str, u64)> {
        let span = self.used_rows.saturating_mul(self.widest);
        (span > cells).then_some((self.sheet.as_str(), span))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A zip archive with one part of `size` zero bytes (deflated to little).
    fn zip_with(dir: &Path, part: &str, size: usize) -> std::path::PathBuf {
        let path = dir.join("book.xlsx");
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file(part, options).unwrap();
        let chunk = vec![b' '; 1 << 20];
        for _ in 0..size / chunk.len() {
            zip.write_all(&chunk).unwrap();
        }
        zip.finish().unwrap();
        path
    }

    #[test]
    fn a_part_that_inflates_past_the_bound_is_refused_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = zip_with(dir.path(), "xl/worksheets/sheet1.xml", 3 << 20);
        assert!(
            std::fs::metadata(&path).unwrap().len() < 64 * 1024,
            "small on disk"
        );
        let err = check_parts(&path, Bound::of_mb(Some(2))).unwrap_err();
        assert_eq!(crate::exit::code_of_error(&err), crate::exit::USAGE);
        let said = err.to_string();
        assert!(said.contains("'xl/worksheets/sheet1.xml'"), "{said}");
        assert!(
            said.contains("more than 2 MiB") && said.contains("--max-part-mb"),
            "{said}"
        );
        assert!(check_parts(&path, Bound::of_mb(Some(4))).is_ok());
    }
}
