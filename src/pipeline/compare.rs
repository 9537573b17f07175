//! What a row would change on the server: its draft against the source's
//! current values (from a listing with `includeAttributes=true`), field by
//! field, for the fields the row sets (and, with `--empty-cells clear`, the
//! fields it empties). Emails and tags compare as sets, ignoring case and
//! order; text compares trimmed, with line endings made alike; custom
//! attributes compare as their format types them (`attributes.rs`).
//!
//! Invariant: a row is `unchanged` only when every field it sets is known
//! and equal. A listing without attributes knows nothing (`Current` is then
//! never built), and such rows are always sent.

use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};

use crate::client::api::wire::SourceItem;
use crate::model::source::SourceDraft;
use crate::pipeline::attributes::{self, Definitions, normal};

/// The read-only attributes a listing carries, never compared.
const READ_ONLY: &[&str] = &["creationTime", "lastModificationTime", "technologyCode"];

/// One copy of each value that many sources share (emails, tags, statuses):
/// a listing of 100,000 sources names a few hundred of them.
#[derive(Debug, Default)]
pub(crate) struct Interner(Mutex<HashSet<Arc<str>>>);

impl Interner {
    fn get(&self, text: String) -> Arc<str> {
        let mut pool = self.0.lock().expect("interner lock");
        match pool.get(text.as_str()) {
            Some(shared) => shared.clone(),
            None => {
                let shared: Arc<str> = text.into();
                pool.insert(shared.clone());
                shared
            }
        }
    }

    fn all(&self, texts: Vec<String>) -> Vec<Arc<str>> {
        texts.into_iter().map(|t| self.get(t)).collect()
    }
}

/// A source's current values, as listed.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Current {
    pub(crate) name: String,
    pub(crate) source_type: Option<Arc<str>>,
    pub(crate) status: Option<Arc<str>>,
    pub(crate) owners: Vec<Arc<str>>,
    pub(crate) stewards: Vec<Arc<str>>,
    pub(crate) tags: Vec<Arc<str>>,
    pub(crate) summary: Option<String>,
    pub(crate) description: Option<String>,
    /// Custom attributes by display name, as listed (set ones only).
    pub(crate) custom: Custom,
}

/// A listed custom attribute's value, kept small: a listing of 100,000
/// sources holds a few attribute names and a few hundred distinct values,
/// each kept once (in the `Interner`).
#[derive(Clone, Debug, PartialEq)]
enum Held {
    Text(Arc<str>),
    Bool(bool),
    Number(serde_json::Number),
    List(Box<[Arc<str>]>),
    /// Anything else (an object), as listed.
    Other(Box<Value>),
}

impl Held {
    fn of(value: &Value, pool: &Interner) -> Held {
        match value {
            Value::String(s) => Held::Text(pool.get(s.clone())),
            Value::Bool(b) => Held::Bool(*b),
            Value::Number(n) => Held::Number(n.clone()),
            Value::Array(_) => Held::List(pool.all(people(value)).into_boxed_slice()),
            other => Held::Other(Box::new(other.clone())),
        }
    }

    fn value(&self) -> Value {
        match self {
            Held::Text(t) => Value::String(t.to_string()),
            Held::Bool(b) => Value::Bool(*b),
            Held::Number(n) => Value::Number(n.clone()),
            Held::List(items) => items.iter().map(|i| Value::String(i.to_string())).collect(),
            Held::Other(v) => (**v).clone(),
        }
    }
}

/// The custom attributes a source holds, by display name (a few per source:
/// a short list, not a map).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Custom(Vec<(Arc<str>, Held)>);

impl Custom {
    /// The value of an attribute, as listed (lists of user objects as emails).
    pub(crate) fn get(&self, name: &str) -> Option<Value> {
        self.0
            .iter()
            .find(|(n, _)| n.as_ref() == name)
            .map(|(_, v)| v.value())
    }

    pub(crate) fn contains(&self, name: &str) -> bool {
        self.0.iter().any(|(n, _)| n.as_ref() == name)
    }

    /// The names of the attributes set.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(n, _)| n.as_ref())
    }
}

impl Current {
    /// `None` when the item carries no `attributes`: nothing is known then.
    /// Values many sources share are kept once, in `pool`.
    pub(crate) fn from_listed(item: &SourceItem, pool: &Interner) -> Option<Current> {
        let attributes = item.attributes.as_ref()?;
        let mut current = Current {
            name: item.name.clone(),
            source_type: item.source_type.clone().map(|t| pool.get(t)),
            ..Current::default()
        };
        for (key, value) in attributes {
            match key.as_str() {
                "status" => current.status = text(value).map(|s| pool.get(s)),
                "summary" => current.summary = text(value),
                "description" => current.description = text(value),
                "owners" => current.owners = pool.all(people(value)),
                "stewards" => current.stewards = pool.all(people(value)),
                "tags" => current.tags = pool.all(texts(value)),
                k if READ_ONLY.contains(&k) => {}
                _ => {
                    if text(value).is_some() {
                        let held = Held::of(value, pool);
                        current.custom.0.push((pool.get(key.clone()), held));
                    }
                }
            }
        }
        current.custom.0.shrink_to_fit();
        Some(current)
    }
}

/// A value as text; unset (`null`, `""`, `[]`) is `None`.
fn text(value: &Value) -> Option<String> {
    let t = match value {
        Value::Null => return None,
        Value::String(s) => s.clone(),
        Value::Array(items) if items.is_empty() => return None,
        Value::Array(items) => items.iter().filter_map(text).collect::<Vec<_>>().join(";"),
        other => other.to_string(),
    };
    (!t.trim().is_empty()).then_some(t)
}

fn texts(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items.iter().filter_map(text).collect(),
        other => text(other).into_iter().collect(),
    }
}

/// Emails, listed as strings or as user objects that carry `email`.
fn people(value: &Value) -> Vec<String> {
    let email = |v: &Value| match v {
        Value::Object(user) => user.get("email").and_then(text),
        other => text(other),
    };
    match value {
        Value::Array(items) => items.iter().filter_map(email).collect(),
        other => email(other).into_iter().collect(),
    }
}

fn same_text(row: Option<&str>, server: Option<&str>) -> bool {
    row.map(normal).unwrap_or_default() == server.map(normal).unwrap_or_default()
}

fn folded(items: &[impl AsRef<str>]) -> BTreeSet<String> {
    items
        .iter()
        .map(|i| i.as_ref().trim().to_lowercase())
        .collect()
}

/// The items of `items` (once each, ignoring case) that `other` lacks.
fn missing_from(items: &[impl AsRef<str>], other: &BTreeSet<String>) -> Vec<String> {
    let mut seen = BTreeSet::new();
    items
        .iter()
        .map(AsRef::as_ref)
        .filter(|i| {
            let key = i.trim().to_lowercase();
            !other.contains(&key) && seen.insert(key)
        })
        .map(str::to_owned)
        .collect()
}

/// One field a row changes.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Change {
    /// A short value: `status: Proposed -> Validated`.
    Value {
        field: String,
        from: Option<String>,
        to: Option<String>,
    },
    /// A list: `tags: +PII -CRM`.
    List {
        field: String,
        added: Vec<String>,
        removed: Vec<String>,
    },
    /// A long text: `description changed`.
    Text { field: String, cleared: bool },
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let or_empty = |v: &Option<String>| v.clone().unwrap_or_else(|| "(empty)".into());
        match self {
            Change::Value { field, from, to } => {
                write!(f, "{field}: {} -> {}", or_empty(from), or_empty(to))
            }
            Change::List {
                field,
                added,
                removed,
            } => {
                let signed: Vec<String> = added
                    .iter()
                    .map(|a| format!("+{a}"))
                    .chain(removed.iter().map(|r| format!("-{r}")))
                    .collect();
                write!(f, "{field}: {}", signed.join(" "))
            }
            Change::Text { field, cleared } => {
                write!(
                    f,
                    "{field} {}",
                    if *cleared { "cleared" } else { "changed" }
                )
            }
        }
    }
}

/// The report's `changes` cell: ASCII, `; ` between fields.
pub(crate) fn describe(changes: &[Change]) -> String {
    changes
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// What `draft` changes on a source that holds `current`; custom attributes
/// compare as their `definitions` type them (as listed when unknown).
pub(crate) fn changes(
    draft: &SourceDraft,
    current: &Current,
    definitions: Option<&Definitions>,
) -> Vec<Change> {
    let mut out = Vec::new();
    let cleared = |field: &str| draft.cleared.contains_key(field);
    value(
        &mut out,
        "name",
        Some(draft.name.clone()),
        Some(current.name.clone()),
    );
    // A listing without the type tells nothing about it.
    if current.source_type.is_some() {
        value(
            &mut out,
            "type",
            Some(draft.source_type.to_string()),
            current.source_type.as_deref().map(str::to_owned),
        );
    }
    if draft.status.is_some() || cleared("status") {
        value(
            &mut out,
            "status",
            draft.status.map(|s| s.to_string()),
            current.status.as_deref().map(str::to_owned),
        );
    }
    for (field, row, server) in [
        ("owners", &draft.owners, &current.owners),
        ("stewards", &draft.stewards, &current.stewards),
        ("tags", &draft.tags, &current.tags),
    ] {
        if row.is_empty() && !cleared(field) {
            continue;
        }
        // In the order each side lists them.
        let (in_row, on_server) = (folded(row), folded(server));
        let added = missing_from(row, &on_server);
        let removed = missing_from(server, &in_row);
        if !added.is_empty() || !removed.is_empty() {
            out.push(Change::List {
                field: field.into(),
                added,
                removed,
            });
        }
    }
    for (field, row, server) in [
        ("summary", &draft.summary, &current.summary),
        ("description", &draft.description, &current.description),
    ] {
        if (row.is_some() || cleared(field)) && !same_text(row.as_deref(), server.as_deref()) {
            out.push(Change::Text {
                field: field.into(),
                cleared: row.is_none(),
            });
        }
    }
    custom_changes(&mut out, draft, current, definitions);
    out
}

/// The changes of custom attributes, each compared as its definition types
/// it: a short value shows both sides, a long one only that it changed.
fn custom_changes(
    out: &mut Vec<Change>,
    draft: &SourceDraft,
    current: &Current,
    definitions: Option<&Definitions>,
) {
    let custom: BTreeSet<&String> = draft
        .attributes
        .keys()
        .chain(draft.cleared.keys().filter(|k| current.custom.contains(k)))
        .collect();
    let short = |v: &Option<String>| {
        v.as_ref()
            .is_none_or(|t| t.len() <= 40 && !t.contains('\n'))
    };
    for name in custom {
        let format = definitions.and_then(|d| d.get(name)).map(|d| d.format);
        let unset = Value::Null;
        let row = draft.attributes.get(name).unwrap_or(&unset);
        let server = current.custom.get(name);
        let server = server.as_ref().unwrap_or(&unset);
        if attributes::same(format, row, server) {
            continue;
        }
        let (to, from) = (
            attributes::cell(format, row, ';'),
            attributes::cell(format, server, ';'),
        );
        let field = name.clone();
        out.push(match short(&to) && short(&from) {
            true => Change::Value { field, from, to },
            false => Change::Text {
                field,
                cleared: to.is_none(),
            },
        });
    }
}

/// A short value's change, if it differs.
fn value(out: &mut Vec<Change>, field: &str, row: Option<String>, server: Option<String>) {
    if !same_text(row.as_deref(), server.as_deref()) {
        out.push(Change::Value {
            field: field.into(),
            from: server,
            to: row,
        });
    }
}

/// The value that empties a field on the wire: `[]` for lists, else `""`.
pub(crate) fn empty_value(field: &str) -> Value {
    match field {
        "owners" | "stewards" | "tags" => Value::Array(vec![]),
        _ => Value::String(String::new()),
    }
}

/// A map of cleared fields, for a draft.
pub(crate) fn cleared(fields: impl IntoIterator<Item = String>) -> Map<String, Value> {
    fields
        .into_iter()
        .map(|f| {
            let v = empty_value(&f);
            (f, v)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::source::{SourceType, Status};

    fn listed(attributes: Value) -> SourceItem {
        serde_json::from_value(serde_json::json!({
            "id": "1", "name": "Lake", "technicalName": "lake", "type": "NoSql",
            "attributes": attributes
        }))
        .unwrap()
    }

    impl Current {
        fn from_listed_alone(item: &SourceItem) -> Option<Current> {
            Current::from_listed(item, &Interner::default())
        }
    }

    fn draft() -> SourceDraft {
        SourceDraft {
            name: "Lake".into(),
            source_type: SourceType::NoSql,
            status: Some(Status::Validated),
            owners: vec!["John.Doe@example.com".into()],
            stewards: vec![],
            tags: vec!["pii".into(), "GDPR".into()],
            summary: Some("  Raw data\r\nof sales ".into()),
            description: None,
            technical_name: Some("lake".into()),
            upsert: true,
            attributes: std::collections::BTreeMap::from([(
                "Data Domain".into(),
                "Finance".into(),
            )]),
            cleared: Map::new(),
        }
    }

    #[test]
    fn equal_values_in_other_case_order_and_line_endings_change_nothing() {
        let current = Current::from_listed_alone(&listed(serde_json::json!({
            "status": "Validated",
            "owners": [{"email": "john.doe@EXAMPLE.com", "userId": "u1"}],
            "stewards": [],
            "tags": ["GDPR", "PII", "gdpr"],
            "summary": "Raw data\nof sales",
            "description": "kept as it is: the row does not set it",
            "Data Domain": "Finance",
            "creationTime": "2026-01-01T00:00:00Z"
        })))
        .unwrap();
        assert_eq!(changes(&draft(), &current, None), vec![]);
    }

    #[test]
    fn each_difference_is_named_in_ascii() {
        let current = Current::from_listed_alone(&listed(serde_json::json!({
            "status": "Proposed",
            "owners": ["john.doe@example.com"],
            "tags": ["GDPR", "CRM"],
            "summary": "old",
            "Data Domain": null
        })))
        .unwrap();
        assert_eq!(
            describe(&changes(&draft(), &current, None)),
            "status: Proposed -> Validated; tags: +pii -CRM; summary changed; \
             Data Domain: (empty) -> Finance"
        );
    }

    #[test]
    fn with_empty_cells_clear_an_empty_cell_empties_what_the_server_holds() {
        let mut d = draft();
        d.cleared = cleared(["description".to_owned(), "stewards".to_owned()]);
        let current = Current::from_listed_alone(&listed(serde_json::json!({
            "status": "Validated", "owners": ["john.doe@example.com"], "tags": ["GDPR", "PII"],
            "summary": "Raw data\nof sales", "Data Domain": "Finance",
            "description": "to go", "stewards": ["jane.doe@example.com"]
        })))
        .unwrap();
        assert_eq!(
            describe(&changes(&d, &current, None)),
            "stewards: -jane.doe@example.com; description cleared"
        );
        let body = serde_json::to_value(&d).unwrap();
        assert_eq!(body["description"], "");
        assert_eq!(body["stewards"], serde_json::json!([]));
    }

    #[test]
    fn a_listing_without_attributes_knows_nothing() {
        let mut item = listed(Value::Null);
        item.attributes = None;
        assert_eq!(Current::from_listed(&item, &Interner::default()), None);
    }
}
