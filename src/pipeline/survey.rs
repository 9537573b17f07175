//! The first pass over a file, before any request (not for standard input,
//! which can be read once): how many rows it holds (the progress bar's
//! total), a quote never closed refused, and for `--retire-missing` the key
//! of every row (what is in the file, so that what is not can be retired).

use std::collections::HashSet;
use std::path::Path;

use crate::exit::usage;
use crate::model::key::Print;
use crate::model::source::RowError;
use crate::pipeline::input::{self, Input, InputOptions, Layout};

/// What the first pass found.
#[derive(Debug, Default)]
pub(crate) struct Survey {
    pub(crate) rows: u64,
    /// The prints of the rows' keys, when asked for.
    pub(crate) keys: HashSet<Print>,
}

/// Reads `path` through, as the run will; `keys`: collect every row's key.
pub(crate) fn survey(
    path: &Path,
    layout: Layout,
    options: &InputOptions,
    keys: bool,
) -> anyhow::Result<Survey> {
    let rows = Input::open(Some(path), layout, options)?;
    let header = rows.header().clone();
    let mut survey = Survey::default();
    for row in rows {
        let row = row?;
        survey.rows += 1;
        // A quote never closed ate the rest of the file: no row after it was read.
        if let Some(defect @ RowError::UnclosedQuote { .. }) = &row.defect {
            return Err(usage(format!(
                "{}, row {}: {defect}; nothing was sent",
                input::display_name(path.into()),
                row.row
            )));
        }
        if keys && let Some(key) = header.key(&row.cells) {
            survey.keys.insert(key.print());
        }
    }
    Ok(survey)
}
