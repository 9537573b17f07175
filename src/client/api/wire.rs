//! The API's JSON, as the importer reads it: lenient where the contract
//! names variations (tag text as `name` or `label`, optional paging fields,
//! three shapes of error body).

use serde::Deserialize;

/// The paging envelope of every list endpoint.
#[derive(Debug, Deserialize)]
pub struct Page<T> {
    #[serde(default = "one")]
    pub pages: u64,
    #[serde(default = "Vec::new")]
    pub results: Vec<T>,
}

fn one() -> u64 {
    1
}

#[derive(Debug, Deserialize)]
pub struct Workspaces {
    #[serde(default)]
    pub projects: Vec<Project>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub is_versioning_enabled: bool,
    #[serde(default)]
    pub default_version_id: Option<String>,
    #[serde(default)]
    pub default_version_name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionItem {
    pub version_id: String,
    pub version_name: String,
    #[serde(default)]
    pub is_default_version: bool,
}

#[derive(Debug, Deserialize)]
pub struct UserItem {
    pub email: String,
}

/// A tag's text is `name` in the getting-started guide, `label` in the reference.
#[derive(Debug, Deserialize)]
pub struct TagItem {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub label: Option<String>,
}

impl TagItem {
    pub fn text(self) -> Option<String> {
        self.name.or(self.label)
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceItem {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub technical_name: Option<String>,
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default, rename = "type")]
    pub source_type: Option<String>,
    /// With `includeAttributes=true`, if the tenant honours it.
    #[serde(default)]
    pub attributes: Option<serde_json::Map<String, serde_json::Value>>,
}

impl SourceItem {
    /// The technical name defaults to the name.
    pub fn technical_key(&self) -> &str {
        self.technical_name.as_deref().unwrap_or(&self.name)
    }
}

/// The answer of a bulk route: counts, no ids.
#[derive(Debug, Deserialize)]
pub struct BulkCounts {
    #[serde(default)]
    pub total: u64,
    #[serde(default)]
    pub created: u64,
    #[serde(default)]
    pub updated: u64,
    #[serde(default)]
    pub unchanged: u64,
}

impl BulkCounts {
    /// The answer accounts for exactly the `sent` items (else it proves nothing).
    pub fn accounts_for(&self, sent: usize) -> bool {
        self.total == sent as u64 && self.created + self.updated + self.unchanged == sent as u64
    }
}

/// The answer to a create or an upsert.
#[derive(Debug, Deserialize)]
pub struct Created {
    pub id: String,
    #[serde(default)]
    pub location: Option<String>,
}

/// The message of an error body: `{"error": {"message"}}`, `{"error": "..."}`,
/// `{"message": "..."}`, or plain text; nothing useful from HTML or an empty body.
pub fn error_message(body: &[u8]) -> Option<String> {
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
