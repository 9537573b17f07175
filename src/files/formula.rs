//! The formula guard: a cell that a spreadsheet would run as a formula is
//! written with a leading apostrophe, and read back without it, so that
//! reports and exports open safely in Excel and import back as written.

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
