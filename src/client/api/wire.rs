//! The API's JSON, as the importer reads it: lenient where the contract
//! names variations (tag text as `name` or `label`, optional paging fields,
//! three shapes of error body).

use serde::Deserialize;

/// The paging envelope of every list endpoint.
#[derive(Debug, Deserialize)]
pub(crate) struct Page<T> {
    #[serde(default = "one")]
    pub(crate) pages: u64,
    #[serde(default = "Vec::new")]
    pub(crate) results: Vec<T>,
}

fn one() -> u64 {
    1
}

#[derive(Debug, Deserialize)]
pub(crate) struct Workspaces {
    #[serde(default)]
    pub(crate) projects: Vec<Project>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Project {
    pub(crate) id: String,
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) is_versioning_enabled: bool,
    #[serde(default)]
    pub(crate) default_version_id: Option<String>,
    #[serde(default)]
    pub(crate) default_version_name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct VersionItem {
    pub(crate) version_id: String,
    pub(crate) version_name: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct UserItem {
    pub(crate) email: String,
}

/// A tag's text is `name` in the getting-started guide, `label` in the reference.
#[derive(Debug, Deserialize)]
pub(crate) struct TagItem {
    #[serde(default)]
    pub(crate) name: Option<String>,
    #[serde(default)]
    pub(crate) label: Option<String>,
}

impl TagItem {
    pub(crate) fn text(self) -> Option<String> {
        self.name.or(self.label)
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SourceItem {
    pub(crate) id: String,
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) technical_name: Option<String>,
    #[serde(default)]
    pub(crate) location: Option<String>,
    #[serde(default, rename = "type")]
    pub(crate) source_type: Option<String>,
    /// With `includeAttributes=true`, if the tenant honours it.
    #[serde(default)]
    pub(crate) attributes: Option<serde_json::Map<String, serde_json::Value>>,
}

impl SourceItem {
    /// The technical name defaults to the name.
    pub(crate) fn technical_key(&self) -> &str {
        self.technical_name.as_deref().unwrap_or(&self.name)
    }
}

/// The answer of a bulk route: counts, no ids.
#[derive(Debug, Deserialize)]
pub(crate) struct BulkCounts {
    #[serde(default)]
    pub(crate) total: u64,
    #[serde(default)]
    pub(crate) created: u64,
    #[serde(default)]
    pub(crate) updated: u64,
    #[serde(default)]
    pub(crate) unchanged: u64,
}

impl BulkCounts {
    /// The answer accounts for exactly the `sent` items (else it proves nothing).
    pub(crate) fn accounts_for(&self, sent: usize) -> bool {
        self.total == sent as u64 && self.created + self.updated + self.unchanged == sent as u64
    }
}

/// The answer to a create or an upsert.
#[derive(Debug, Deserialize)]
pub(crate) struct Created {
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) location: Option<String>,
}

/// The message of an error body: `{"error": {"message"}}`, `{"error": "..."}`,
/// `{"message": "..."}`, or plain text; nothing useful from HTML or an empty body.
pub(crate) fn error_message(body: &[u8]) -> Option<String> {
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
        let found = match value.get("error") {
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            Some(e) => e.get("message").and_then(|m| m.as_str()).map(str::to_owned),
            None => value
                .get("message")
                .and_then(|m| m.as_str())
                .map(str::to_owned),
        };
        return found.or_else(|| Some(value.to_string()));
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() || text.starts_with('<') {
        return None;
    }
    Some(text.chars().take(300).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_error_body_yields_its_message() {
        assert_eq!(
            error_message(br#"{"error": {"message": "owners: unknown", "status": 400}}"#)
                .as_deref(),
            Some("owners: unknown")
        );
        assert_eq!(
            error_message(br#"{"error": "bad type"}"#).as_deref(),
            Some("bad type")
        );
        assert_eq!(error_message(b"<html><body>502</body></html>"), None);
        assert_eq!(error_message(b""), None);
        assert_eq!(
            error_message(b"upstream timed out").as_deref(),
            Some("upstream timed out")
        );
    }

    #[test]
    fn tag_text_is_read_from_name_or_label() {
        let a: TagItem = serde_json::from_str(r#"{"name": "GDPR"}"#).unwrap();
        let b: TagItem = serde_json::from_str(r##"{"label": "PII", "color": "#fff"}"##).unwrap();
        assert_eq!(
            (a.text(), b.text()),
            (Some("GDPR".into()), Some("PII".into()))
        );
    }
}
