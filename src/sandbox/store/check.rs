//! The rules that decide whether a source body is valid, as the contract
//! states them: known keys, types, the enums, users and tags the tenant
//! has, custom attributes by their definitions, mandatory ones on create.

use serde_json::{Map, Value};

use super::*;
use crate::model::source::{SourceType, Status};

/// Whether a create must carry the mandatory custom attributes (seed
/// sources may predate them).
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Mandatory {
    Checked,
    Waived,
}

/// Why a write was refused: a 4xx with a message naming the field.
#[derive(Debug, PartialEq)]
pub(crate) struct Refusal {
    pub(crate) status: u16,
    pub(crate) message: String,
}

pub(super) fn refuse(message: impl Into<String>) -> Refusal {
    Refusal {
        status: 400,
        message: message.into(),
    }
}

/// What a valid body turned into, before it touches the store.
pub(crate) struct Checked {
    pub(crate) source: StoredSource,
    pub(crate) upsert: bool,
    /// The keys the body carried, for partial updates.
    pub(crate) present: Vec<String>,
}

pub(super) const KNOWN_KEYS: &[&str] = &[
    "name",
    "type",
    "status",
    "owners",
    "stewards",
    "tags",
    "summary",
    "description",
    "technicalName",
    "upsert",
];

impl Store {
    /// Validates one source body as the API does: every field named in the
    /// message when it is wrong. Emails and tags compare case-insensitively
    /// (the contract says so); what the client sent is what is stored.
    pub(crate) fn check_source(&self, version_id: &str, body: &Value) -> Result<Checked, Refusal> {
        let Some(obj) = body.as_object() else {
            return Err(refuse("the body must be a JSON object"));
        };
        let text = |key: &str| text_field(obj, key);
        let list = |key: &str| list_field(obj, key);
        let name = text("name")?
            .filter(|n| !n.trim().is_empty())
            .ok_or_else(|| refuse("name: required"))?;
        let source_type = text("type")?.ok_or_else(|| refuse("type: required"))?;
        let status = text("status")?;
        check_enums(&source_type, status.as_deref())?;
        let owners = list("owners")?;
        let stewards = list("stewards")?;
        for (key, emails) in [("owners", &owners), ("stewards", &stewards)] {
            if let Some(unknown) = emails.iter().find(|e| self.user_email(e).is_none()) {
                return Err(refuse(format!("{key}: unknown user '{unknown}'")));
            }
        }
        let tags = list("tags")?;
        if let Some(unknown) = tags.iter().find(|t| !self.tag_exists(t)) {
            return Err(refuse(format!("tags: unknown tag '{unknown}'")));
        }
        let technical_name = match text("technicalName")? {
            Some(t) if t.trim().is_empty() => {
                return Err(refuse("technicalName: must not be empty"));
            }
            Some(t) => t,
            None => name.clone(),
        };
        let upsert = match obj.get("upsert") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(other) => return Err(refuse(format!("upsert: expected a boolean, got {other}"))),
        };
        let mut attributes = Map::new();
        for (key, value) in obj
            .iter()
            .filter(|(k, _)| !KNOWN_KEYS.contains(&k.as_str()))
        {
            self.check_attribute(key, value)?;
            attributes.insert(key.clone(), value.clone());
        }
        Ok(Checked {
            source: StoredSource {
                id: String::new(),
                version_id: version_id.to_owned(),
                name,
                technical_name,
                source_type,
                status,
                owners,
                stewards,
                tags,
                summary: text("summary")?,
                description: text("description")?,
                attributes,
            },
            upsert,
            present: obj.keys().cloned().collect(),
        })
    }

    /// A custom attribute's value, typed as the contract's table says; an
    /// unknown attribute is refused. `null` (and `[]` for lists) unsets it.
    pub(super) fn check_attribute(&self, key: &str, value: &Value) -> Result<(), Refusal> {
        let found = self.indexed().attributes.get(key);
        let Some(def) = found.map(|at| &self.attributes[at]) else {
            return Err(refuse(format!("'{key}': unknown attribute")));
        };
        self.check_value(def, key, value)
    }

    /// A value of the custom attribute `def`, typed as its format says.
    pub(crate) fn check_value(
        &self,
        def: &AttributeDef,
        key: &str,
        value: &Value,
    ) -> Result<(), Refusal> {
        let wrong = |expected: &str| {
            refuse(format!(
                "'{key}': {value} is not {expected} (format {})",
                def.format
            ))
        };
        let strings = |v: &Value| -> Option<Vec<String>> {
            v.as_array()?
                .iter()
                .map(|i| i.as_str().map(str::to_owned))
                .collect()
        };
        let listed = |v: &str| def.values.iter().any(|x| x == v);
        match (def.format.as_str(), value) {
            (_, Value::Null) => Ok(()),
            ("Boolean", Value::Bool(_)) | ("Number", Value::Number(_)) => Ok(()),
            ("Boolean", _) => Err(wrong("true or false")),
            ("Number", _) => Err(wrong("a number")),
            ("Date", Value::String(d))
                if d.len() == 10 && chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok() =>
            {
                Ok(())
            }
            ("Date", _) => Err(wrong("a date \"YYYY-MM-DD\"")),
            ("ValueList", Value::String(v)) if listed(v) => Ok(()),
            ("ValueList", _) => Err(wrong("one of the listed values")),
            ("MultiValueList", v) if strings(v).is_some_and(|l| l.iter().all(|i| listed(i))) => {
                Ok(())
            }
            ("MultiValueList", _) => Err(wrong("an array of the listed values")),
            ("UserReference" | "PersonReference", v)
                if strings(v).is_some_and(|l| l.iter().all(|e| self.user_email(e).is_some())) =>
            {
                Ok(())
            }
            ("UserReference" | "PersonReference", _) => Err(wrong("an array of user emails")),
            ("ManagedTag", v)
                if strings(v).is_some_and(|l| l.iter().all(|t| self.tag_exists(t))) =>
            {
                Ok(())
            }
            ("ManagedTag", _) => Err(wrong("an array of existing tags")),
            (_, Value::String(_)) => Ok(()),
            _ => Err(wrong("a string")),
        }
    }

    /// A new source lacking a mandatory custom attribute is refused.
    pub(super) fn check_mandatory(&self, source: &StoredSource) -> Result<(), Refusal> {
        let set = |name: &str| match source.attributes.get(name) {
            None | Some(Value::Null) => false,
            Some(Value::String(s)) => !s.is_empty(),
            Some(Value::Array(a)) => !a.is_empty(),
            Some(_) => true,
        };
        match self
            .attributes
            .iter()
            .find(|d| d.is_mandatory && !set(&d.name))
        {
            Some(d) => Err(refuse(format!("'{}': required on a new source", d.name))),
            None => Ok(()),
        }
    }
}

/// A string field of a body (absent or `null`: none).
pub(super) fn text_field(obj: &Map<String, Value>, key: &str) -> Result<Option<String>, Refusal> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(refuse(format!("{key}: expected a string, got {other}"))),
    }
}

/// A field of a body that is an array of strings (absent or `null`: empty).
pub(super) fn list_field(obj: &Map<String, Value>, key: &str) -> Result<Vec<String>, Refusal> {
    let wrong = |v: &Value| refuse(format!("{key}: expected an array of strings, got {v}"));
    match obj.get(key) {
        None | Some(Value::Null) => Ok(vec![]),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| i.as_str().map(str::to_owned).ok_or_else(|| wrong(i)))
            .collect(),
        Some(other) => Err(wrong(other)),
    }
}

/// The source type and the status, each one of the contract's values.
pub(super) fn check_enums(source_type: &str, status: Option<&str>) -> Result<(), Refusal> {
    if SourceType::from_api(source_type).is_none() {
        return Err(refuse(format!(
            "type: '{source_type}' is not a source type (expected {})",
            SourceType::expected()
        )));
    }
    if let Some(s) = status
        && Status::from_api(s).is_none()
    {
        return Err(refuse(format!(
            "status: '{s}' is not a status (expected {})",
            Status::expected()
        )));
    }
    Ok(())
}
