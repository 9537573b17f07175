//! Workbooks the importer writes (exports, reports): one sheet, every cell
//! written as text so that nothing is reinterpreted (no formula guard is
//! needed, and none is added), the header row bold, frozen and filtered, the
//! file replaced atomically. Rows are streamed (rust_xlsxwriter's constant
//! memory mode), never held whole. A cell holds at most 32,767 characters: longer
//! values are refused by the caller, never cut.

use std::path::Path;

use anyhow::Context;
use rust_xlsxwriter::{Color, Format, FormatAlign, Workbook};

/// The most characters an Excel cell holds.
pub(crate) const CELL_LIMIT: usize = 32_767;

/// Whether a path names a workbook the importer writes (`.xlsx`).
pub(crate) fn is_workbook(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"))
}

/// Whether a value fits in one cell.
pub(crate) fn fits(value: &str) -> bool {
    value.len() <= CELL_LIMIT || value.chars().count() <= CELL_LIMIT
}

/// The fill of a cell, by its value (`0xRRGGBB`).
pub(crate) type Colour = fn(&str) -> Option<u32>;

/// The look of a table: column widths, wrapped columns, and a colour for
/// each cell of one column, by its value.
#[derive(Default)]
pub(crate) struct Look {
    /// (column, width in characters).
    pub(crate) widths: Vec<(u16, f64)>,
    pub(crate) wrapped: Vec<u16>,
    /// The column whose cells are coloured, and the fill of each value.
    pub(crate) coloured: Option<(u16, Colour)>,
}

/// Writes `headers` and `rows` as the one sheet of a workbook at `path`,
/// atomically. Rows stream to a temporary file as they come (constant
/// memory): a workbook of 100,000 rows is never held whole.
pub(crate) fn write(
    path: &Path,
    sheet: &str,
    headers: &[String],
    rows: impl Iterator<Item = anyhow::Result<Vec<String>>>,
    look: &Look,
) -> anyhow::Result<()> {
    let mut workbook = Workbook::new();
    workbook.set_tempdir(crate::files::atomic::folder_of(path))?;
    let text = Format::new().set_num_format("@");
    let bold = text.clone().set_bold();
    let wrapped = text.clone().set_text_wrap().set_align(FormatAlign::Top);
    let ws = workbook.add_worksheet_with_constant_memory()?;
    ws.set_name(sheet.chars().take(31).collect::<String>())?;
    let columns = u16::try_from(headers.len()).context("too many columns for a workbook")?;
    for col in 0..columns.max(1) {
        let width = look.widths.iter().find(|(c, _)| *c == col).map(|(_, w)| *w);
        ws.set_column_width(col, width.unwrap_or(16.0))?;
    }
    ws.set_freeze_panes(1, 0)?;
    for (c, header) in headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, header, &bold)?;
    }
    let mut last = 0;
    for (r, row) in rows.enumerate() {
        let row = row?;
        last = u32::try_from(r + 1).context("too many rows for a workbook")?;
        for (c, value) in row.iter().enumerate() {
            let c = u16::try_from(c).context("too many columns for a workbook")?;
            let fill = look
                .coloured
                .filter(|(col, _)| *col == c)
                .and_then(|(_, colour)| colour(value));
            let coloured;
            let format = match fill {
                Some(rgb) => {
                    coloured = text.clone().set_background_color(Color::RGB(rgb));
                    &coloured
                }
                None if look.wrapped.contains(&c) => &wrapped,
                None => &text,
            };
            ws.write_string_with_format(last, c, value, format)?;
        }
    }
    if columns > 0 {
        ws.autofilter(0, 0, last, columns - 1)?;
    }
    crate::files::atomic::write_with(path, |out| {
        workbook
            .save_to_writer(out)
            .with_context(|| format!("writing {}", path.display()))
    })
}
