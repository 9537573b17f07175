//! What happened to a row (for `check`, what would happen): its result and
//! the fixed columns every report starts with, as the journal, the report
//! and a rerun all read them.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The columns every report starts with.
pub(crate) const COLUMNS: [&str; 8] = [
    "row",
    "result",
    "source_id",
    "location",
    "http_status",
    "attempts",
    "error",
    "changes",
];

/// How many of `headers` are a report's own columns: all of `COLUMNS`, or
/// all but `changes` for a report written before that column existed.
pub(crate) fn report_columns(headers: &[String]) -> Option<usize> {
    let starts = |n: usize| headers.len() >= n && headers[..n] == COLUMNS[..n];
    if starts(COLUMNS.len()) {
        Some(COLUMNS.len())
    } else {
        starts(COLUMNS.len() - 1).then_some(COLUMNS.len() - 1)
    }
}

/// What happened to a row (for `check`: what would happen).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RowResult {
    Created,
    Updated,
    Unchanged,
    /// Not sent: the row itself is wrong.
    Invalid,
    /// Rejected by the API, or retries exhausted.
    Failed,
    /// Not attempted (the run stopped first).
    Skipped,
    /// `check`: the row would create its source.
    WouldCreate,
    /// `check`: the source exists and the row would update it.
    WouldUpdate,
    /// `check`: the source exists and `run` would fail the row "already exists".
    Conflict,
}

impl RowResult {
    pub(crate) const ALL: [RowResult; 9] = [
        RowResult::Created,
        RowResult::Updated,
        RowResult::Unchanged,
        RowResult::Invalid,
        RowResult::Failed,
        RowResult::Skipped,
        RowResult::WouldCreate,
        RowResult::WouldUpdate,
        RowResult::Conflict,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RowResult::Created => "created",
            RowResult::Updated => "updated",
            RowResult::Unchanged => "unchanged",
            RowResult::Invalid => "invalid",
            RowResult::Failed => "failed",
            RowResult::Skipped => "skipped",
            RowResult::WouldCreate => "would-create",
            RowResult::WouldUpdate => "would-update",
            RowResult::Conflict => "conflict",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<RowResult> {
        RowResult::ALL
            .into_iter()
            .find(|r| r.as_str() == text.trim())
    }

    /// The row is done: nothing to do again.
    pub(crate) fn is_done(self) -> bool {
        matches!(
            self,
            RowResult::Created | RowResult::Updated | RowResult::Unchanged
        )
    }

    /// A run (or a check's prediction of one) would end well for the row.
    pub(crate) fn is_success(self) -> bool {
        self.is_done() || matches!(self, RowResult::WouldCreate | RowResult::WouldUpdate)
    }
}

impl fmt::Display for RowResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of one row: the report's fixed columns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub(crate) row: u64,
    pub(crate) result: RowResult,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) source_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) http_status: Option<u16>,
    #[serde(default)]
    pub(crate) attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<String>,
    /// What an update changed (or would change): `status: A -> B; tags: +X`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) changes: Option<String>,
    /// For the summary's grouping: the error without its value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) error_kind: Option<String>,
}

impl Outcome {
    pub fn new(row: u64, result: RowResult) -> Outcome {
        Outcome {
            row,
            result,
            source_id: None,
            location: None,
            http_status: None,
            attempts: 0,
            error: None,
            changes: None,
            error_kind: None,
        }
    }

    /// Reads the fixed columns of a report record back (`COLUMNS` order).
    pub(crate) fn from_cells(cells: &[&str]) -> Result<Outcome, String> {
        let (fixed, changes) = match cells {
            [fixed @ .., changes] if cells.len() == COLUMNS.len() => (fixed, *changes),
            fixed => (fixed, ""),
        };
        let [
            row,
            result,
            source_id,
            location,
            http_status,
            attempts,
            error,
        ] = fixed
        else {
            return Err(format!("expected the {} report columns", COLUMNS.len()));
        };
        let text = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        Ok(Outcome {
            row: row
                .trim()
                .parse()
                .map_err(|_| format!("row: '{row}' is not a row number"))?,
            result: RowResult::parse(result)
                .ok_or_else(|| format!("result: '{result}' is not a result"))?,
            source_id: text(source_id),
            location: text(location),
            http_status: match http_status.trim() {
                "" => None,
                s => Some(
                    s.parse()
                        .map_err(|_| format!("http_status: '{s}' is not a status"))?,
                ),
            },
            attempts: match attempts.trim() {
                "" => 0,
                s => s
                    .parse()
                    .map_err(|_| format!("attempts: '{s}' is not a number"))?,
            },
            error: text(error),
            changes: text(changes),
            error_kind: None,
        })
    }

    pub(crate) fn with_error(
        mut self,
        kind: impl Into<String>,
        message: impl Into<String>,
    ) -> Outcome {
        self.error_kind = Some(kind.into());
        self.error = Some(message.into());
        self
    }
}
