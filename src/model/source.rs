//! The domain: a data source as the API spells it, and the lenient reading of
//! what people type for its type and status ("No SQL", "in revision").
//!
//! Invariant: a `SourceDraft` only ever holds values the API accepts as they
//! are (enum spellings of the wire, emails and tags as the API listed them).

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::model::key::Key;
use crate::model::outcome::{ErrorKind, Problem};

/// Folds a word for lenient comparison: lower case, without spaces, `_` or `-`.
pub(crate) fn fold(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub(crate) enum $name { $($variant),+ }

        impl $name {
            pub(crate) const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The exact spelling the API uses on the wire.
            pub(crate) fn as_api(self) -> &'static str {
                match self { $($name::$variant => stringify!($variant)),+ }
            }

            /// The exact wire spelling only (what the server accepts).
            pub(crate) fn from_api(text: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_api() == text)
            }

            /// What a person may type: any case, spaces, `_` and `-` ignored.
            pub(crate) fn parse_lenient(text: &str) -> Option<Self> {
                let folded = fold(text);
                Self::ALL.iter().copied().find(|v| fold(v.as_api()) == folded)
            }

            /// "A, B or C", for error messages.
            pub(crate) fn expected() -> String {
                let names: Vec<&str> = Self::ALL.iter().map(|v| v.as_api()).collect();
                let (last, rest) = names.split_last().expect("non-empty enum");
                format!("{} or {}", rest.join(", "), last)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_api())
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_api())
            }
        }
    };
}

wire_enum!(
    /// The kind of a source (`type` on the wire).
    SourceType { Relational, NonRelational, NoSql, TagBase }
);

wire_enum!(
    /// The life-cycle status of a catalog object.
    Status { Proposed, InRevision, InValidation, Validated, Obsolete }
);

/// A row that passed validation and resolution: the body of
/// `POST /sources/{versionId}` (and an item of the bulk route).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SourceDraft {
    pub(crate) name: String,
    #[serde(rename = "type")]
    pub(crate) source_type: SourceType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) status: Option<Status>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) owners: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) stewards: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) tags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) technical_name: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub(crate) upsert: bool,
    /// Custom attributes, keyed by their display name, typed as on the wire.
    #[serde(flatten)]
    pub(crate) attributes: BTreeMap<String, serde_json::Value>,
    /// Fields the row empties (`--empty-cells clear`), with the value that
    /// empties them on the wire (`""` or `[]`); never set in the fields above.
    #[serde(flatten)]
    pub(crate) cleared: serde_json::Map<String, serde_json::Value>,
}

impl SourceDraft {
    /// The key the API identifies a source by: its technical name, which
    /// defaults to its name.
    pub(crate) fn technical_key(&self) -> &str {
        self.technical_name.as_deref().unwrap_or(&self.name)
    }

    /// The source's key in the run.
    pub(crate) fn key(&self) -> Key {
        Key::source(self.technical_key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_and_statuses_are_read_leniently_and_written_in_the_api_spelling() {
        assert_eq!(SourceType::parse_lenient("No SQL"), Some(SourceType::NoSql));
        assert_eq!(SourceType::parse_lenient("nosql"), Some(SourceType::NoSql));
        assert_eq!(
            SourceType::parse_lenient("non-relational"),
            Some(SourceType::NonRelational)
        );
        assert_eq!(
            Status::parse_lenient("in revision"),
            Some(Status::InRevision)
        );
        assert_eq!(SourceType::parse_lenient("Graph"), None);
        assert_eq!(SourceType::from_api("nosql"), None);
        assert_eq!(
            SourceType::expected(),
            "Relational, NonRelational, NoSql or TagBase"
        );
    }

    #[test]
    fn a_draft_leaves_unset_fields_out_of_the_body() {
        let draft = SourceDraft {
            name: "Sales".into(),
            source_type: SourceType::NoSql,
            status: None,
            owners: vec!["a@x.io".into()],
            stewards: vec![],
            tags: vec![],
            summary: None,
            description: None,
            technical_name: None,
            upsert: false,
            attributes: BTreeMap::from([("Data Domain".into(), "Finance".into())]),
            cleared: serde_json::Map::new(),
        };
        let body = serde_json::to_value(&draft).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"name": "Sales", "type": "NoSql", "owners": ["a@x.io"],
                               "Data Domain": "Finance"})
        );
        assert_eq!(draft.technical_key(), "Sales");
    }
}

/// " — did you mean X?" when there is an X.
fn hint(suggestion: &Option<String>) -> String {
    suggestion
        .as_ref()
        .map(|s| format!(" — did you mean {s}?"))
        .unwrap_or_default()
}

/// What an unclosed quote took in.
fn swallowed_text(lines: u64) -> String {
    match lines {
        0 => "the cell runs to the end of the file".to_owned(),
        1 => "the cell takes in the 1 line after it, to the end of the file".to_owned(),
        n => format!("the cell takes in the {n} lines after it, to the end of the file"),
    }
}

/// Why a row cannot be sent: every message names the column and the value,
/// and the closest known value when one is close enough.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RowError {
    #[error("{column}: required, but the cell is empty")]
    Missing { column: String },
    #[error(
        "{column}: unknown source type '{value}' (expected {}){}",
        SourceType::expected(),
        hint(suggestion)
    )]
    BadType {
        column: String,
        value: String,
        suggestion: Option<String>,
    },
    #[error(
        "{column}: unknown status '{value}' (expected {}){}",
        Status::expected(),
        hint(suggestion)
    )]
    BadStatus {
        column: String,
        value: String,
        suggestion: Option<String>,
    },
    #[error("{column}: '{value}' is not a yes/no value (true, false, yes, no, 1, 0)")]
    BadUpsert { column: String, value: String },
    #[error("{column}: unknown user '{value}'{}", hint(suggestion))]
    UnknownUser {
        column: String,
        value: String,
        suggestion: Option<String>,
    },
    #[error(
        "{column}: '{value}' holds several values: lists are separated by '{separator}' \
         (--list-separator sets another)"
    )]
    ListSeparator {
        column: String,
        value: String,
        separator: char,
    },
    #[error("{column}: unknown tag '{value}'{}", hint(suggestion))]
    UnknownTag {
        column: String,
        value: String,
        suggestion: Option<String>,
    },
    #[error("{column}: '{value}' is not {expected}{}", hint(suggestion))]
    BadAttribute {
        column: String,
        value: String,
        expected: &'static str,
        suggestion: Option<String>,
    },
    #[error(
        "{column}: the tenant requires this attribute on a new source, and the row leaves it empty"
    )]
    MissingAttribute { column: String },
    #[error(
        "{column}: a quote opened on line {line} is never closed, so {} (close the quote, \
         or double it as \"\" to keep it as text)",
        swallowed_text(*swallowed)
    )]
    UnclosedQuote {
        column: String,
        line: u64,
        swallowed: u64,
    },
    #[error("{column}: a quote inside a value must be doubled, or the whole value quoted")]
    StrayQuote { column: String },
    #[error("expected {expected} cells, found {found}")]
    TooManyCells { expected: usize, found: usize },
    #[error(
        "{column}: the cell is not valid UTF-8: pass --encoding (e.g. windows-1252) if the file is in another encoding"
    )]
    NotUtf8 { column: String },
    #[error("duplicate of row {first_row} (same technical name '{technical_name}')")]
    Duplicate {
        first_row: u64,
        technical_name: String,
    },
    #[error(
        "{column}: '{value}' differs from {other} only in case or Unicode form: \
         it would be a second source (write it as the other is written to update that one)"
    )]
    NearDuplicate {
        column: String,
        value: String,
        /// "the existing source 'x'" or "row 5's 'x'".
        other: String,
    },
}

impl RowError {
    /// The error without its value, to group rows in the summary
    /// ("owners: unknown user").
    pub(crate) fn kind(&self) -> ErrorKind {
        let of = ErrorKind::of;
        match self {
            RowError::Missing { column } => of(column, Problem::Missing),
            RowError::BadType { column, .. } => of(column, Problem::UnknownSourceType),
            RowError::BadStatus { column, .. } => of(column, Problem::UnknownStatus),
            RowError::BadUpsert { column, .. } => of(column, Problem::NotYesNo),
            RowError::UnknownUser { column, .. } => of(column, Problem::UnknownUser),
            RowError::UnknownTag { column, .. } => of(column, Problem::UnknownTag),
            RowError::ListSeparator { column, .. } => of(column, Problem::ListSeparator),
            RowError::BadAttribute {
                column, expected, ..
            } => of(column, Problem::NotA((*expected).to_owned())),
            RowError::MissingAttribute { column } => of(column, Problem::Missing),
            RowError::UnclosedQuote { column, .. } => of(column, Problem::QuoteNeverClosed),
            RowError::StrayQuote { column } => of(column, Problem::QuoteInside),
            RowError::TooManyCells { .. } => ErrorKind::row(Problem::TooManyCells),
            RowError::NotUtf8 { column } => of(column, Problem::NotUtf8),
            RowError::Duplicate { .. } => ErrorKind::row(Problem::DuplicateTechnicalName),
            RowError::NearDuplicate { column, .. } => {
                of(column, Problem::NearDuplicateTechnicalName)
            }
        }
    }
}
