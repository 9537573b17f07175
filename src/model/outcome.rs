//! What happened to a row (for `check`, what would happen): its result and
//! the fixed columns every report starts with, as the journal, the report
//! and a rerun all read them.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The columns every sources report starts with.
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

/// The columns a dictionary's report starts with: a sources report's, with
/// the object each row describes after `result` and its id under `id`.
pub(crate) const DICTIONARY_COLUMNS: [&str; 10] = [
    "row",
    "result",
    "object_kind",
    "object_path",
    "id",
    "location",
    "http_status",
    "attempts",
    "error",
    "changes",
];

/// Which report's own columns a file starts with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReportColumns {
    /// `COLUMNS`.
    Sources,
    /// `COLUMNS` but `changes`: a report written before that column existed.
    SourcesBeforeChanges,
    /// `DICTIONARY_COLUMNS`.
    Dictionary,
}

impl ReportColumns {
    /// The report columns `headers` start with, if they are a report's.
    pub(crate) fn of(headers: &[String]) -> Option<ReportColumns> {
        [Self::Dictionary, Self::Sources, Self::SourcesBeforeChanges]
            .into_iter()
            .find(|c| {
                let names = c.names();
                headers.len() >= names.len() && headers[..names.len()] == *names
            })
    }

    pub(crate) fn names(self) -> &'static [&'static str] {
        match self {
            Self::Sources => &COLUMNS,
            Self::SourcesBeforeChanges => &COLUMNS[..COLUMNS.len() - 1],
            Self::Dictionary => &DICTIONARY_COLUMNS,
        }
    }
}

/// How many of `headers` are a report's own columns (`ReportColumns`).
pub(crate) fn report_columns(headers: &[String]) -> Option<usize> {
    ReportColumns::of(headers).map(|c| c.names().len())
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
    /// The object's id: a source's, or in a dictionary's report the node's
    /// (its `id` column).
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
    /// For the summary's grouping: each of the row's errors without its
    /// value (a row with three errors counts in three groups).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) error_kinds: Vec<ErrorKind>,
}

/// What kind of error a row met, without the value: what the summary counts
/// rows by (`owners: unknown user`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ErrorKind {
    /// The column it is about, as the file names it; `None`: the row as a whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) column: Option<String>,
    pub(crate) problem: Problem,
}

impl ErrorKind {
    pub(crate) fn of(column: &str, problem: Problem) -> ErrorKind {
        ErrorKind {
            column: Some(column.to_owned()),
            problem,
        }
    }

    pub(crate) fn row(problem: Problem) -> ErrorKind {
        ErrorKind {
            column: None,
            problem,
        }
    }
}

/// The problems a row can have, each in words without its value.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Problem {
    Missing,
    UnknownSourceType,
    UnknownStatus,
    NotYesNo,
    UnknownUser,
    UnknownTag,
    /// Several values, not separated by the list separator.
    ListSeparator,
    /// Not of the attribute's type: what it expected ("a number").
    NotA(String),
    QuoteNeverClosed,
    QuoteInside,
    TooManyCells,
    NotUtf8,
    DuplicateTechnicalName,
    /// A technical name that matches an existing one but for case or
    /// Unicode form (`--strict-names`).
    NearDuplicateTechnicalName,
    AlreadyExists,
    NotAttempted,
    TagsNotCreated,
    /// Refused by the API with this 4xx.
    Rejected(u16),
    /// This 5xx, after the retries.
    ServerError(u16),
    NoAnswer,
    StoppedBeforeRetry,
    /// Anything else, in words.
    Other(String),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Missing => f.write_str("missing"),
            Problem::UnknownSourceType => f.write_str("unknown source type"),
            Problem::UnknownStatus => f.write_str("unknown status"),
            Problem::NotYesNo => f.write_str("not a yes/no value"),
            Problem::UnknownUser => f.write_str("unknown user"),
            Problem::UnknownTag => f.write_str("unknown tag"),
            Problem::ListSeparator => {
                f.write_str("several values, not separated by the list separator")
            }
            Problem::NotA(expected) => write!(f, "not {expected}"),
            Problem::QuoteNeverClosed => f.write_str("quote never closed"),
            Problem::QuoteInside => f.write_str("quote inside a value"),
            Problem::TooManyCells => f.write_str("too many cells"),
            Problem::NotUtf8 => f.write_str("not valid UTF-8"),
            Problem::DuplicateTechnicalName => f.write_str("duplicate technical name"),
            Problem::NearDuplicateTechnicalName => {
                f.write_str("technical name differs from an existing one only in case or accents")
            }
            Problem::AlreadyExists => f.write_str("already exists"),
            Problem::NotAttempted => f.write_str("not attempted"),
            Problem::TagsNotCreated => f.write_str("could not create"),
            Problem::Rejected(status) => write!(f, "rejected by the API (HTTP {status})"),
            Problem::ServerError(status) => write!(f, "HTTP {status} after retries"),
            Problem::NoAnswer => f.write_str("no answer after retries"),
            Problem::StoppedBeforeRetry => f.write_str("stopped before a retry"),
            Problem::Other(text) => f.write_str(text),
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(column) => write!(f, "{column}: {}", self.problem),
            None => write!(f, "{}", self.problem),
        }
    }
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
            error_kinds: vec![],
        }
    }

    /// Reads the fixed columns of a report record back (`COLUMNS` order, or
    /// `DICTIONARY_COLUMNS`: the object a row describes is its cells', read
    /// again from them).
    pub(crate) fn from_cells(cells: &[&str]) -> Result<Outcome, String> {
        let sources_order;
        let cells = match cells {
            [row, result, _kind, _path, rest @ ..] if cells.len() == DICTIONARY_COLUMNS.len() => {
                sources_order = [&[*row, *result][..], rest].concat();
                &sources_order[..]
            }
            cells => cells,
        };
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
            error_kinds: vec![],
        })
    }

    /// The row's error, of one kind.
    pub(crate) fn with_error(self, kind: ErrorKind, message: impl Into<String>) -> Outcome {
        self.with_errors(vec![kind], message)
    }

    /// The row's errors: their kinds (each counted once), and the message
    /// that says them all.
    pub(crate) fn with_errors(
        mut self,
        mut kinds: Vec<ErrorKind>,
        message: impl Into<String>,
    ) -> Outcome {
        let mut seen = std::collections::HashSet::new();
        kinds.retain(|k| seen.insert(k.clone()));
        self.error_kinds = kinds;
        self.error = Some(message.into());
        self
    }
}
