//! The user's files, handled with care: atomic replacement (and the
//! previous one kept), the files `beside` a report named once, the report's lock, workbooks, the formula guard on
//! cells, one `table` writer for every report, list and export, and calls into a library contained when damaged bytes could make
//! it panic.

pub mod atomic;
pub mod beside;
pub mod contain;
pub mod formula;
pub mod lock;
pub mod output;
pub mod table;
pub mod workbook;

/// The UTF-8 byte-order mark a CSV file for Excel starts with (reports,
/// retired lists, exports alike).
pub(crate) const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
