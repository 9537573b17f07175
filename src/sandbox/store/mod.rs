//! The sandbox's data: workspaces, versions, users, tags and sources, and
//! the queries on them. Built from a user-editable `seed` (fresh ids each
//! start) or from a saved state file (ids kept); what a body must be is
//! `check`'s, what changes the data `write`'s.

mod check;
pub(crate) mod dictionary;
mod seed;
pub(crate) mod tree;
pub(crate) mod types;
mod write;

use check::refuse;
pub(crate) use check::{Mandatory, Refusal};
pub use dictionary::{NodeKind, StoredNode};
use seed::new_id;
pub use seed::{BUILT_IN_SEED, Seed};
pub(crate) use seed::{SeedSource, SeedUser, SeedWorkspace};
pub(crate) use write::Written;

use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::sandbox::index::{Index, Keyed, Names};
use crate::sandbox::variant::Variant;

/// Everything the sandbox holds; also the format of `--state` files.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Store {
    pub workspaces: Vec<Workspace>,
    pub(crate) users: Vec<User>,
    pub(crate) tags: Vec<Tag>,
    /// The custom attributes of sources.
    #[serde(default)]
    pub(crate) attributes: Vec<AttributeDef>,
    pub sources: Vec<StoredSource>,
    /// The containers, structures and fields under the sources, with the
    /// custom attributes of each kind.
    #[serde(default)]
    pub dictionary: dictionary::Dictionary,
    /// What lookups go by (`index.rs`); never saved.
    #[serde(skip)]
    index: std::cell::RefCell<Indexes>,
}

/// The store's indexes: its sources, and its small lists by name.
#[derive(Clone, Debug)]
struct Indexes {
    sources: Index,
    users: Names,
    tags: Names,
    attributes: Names,
}

impl Default for Indexes {
    fn default() -> Indexes {
        Indexes {
            sources: Index::default(),
            users: Names::folded(),
            tags: Names::folded(),
            attributes: Names::default(),
        }
    }
}

impl Keyed for StoredSource {
    fn version_id(&self) -> &str {
        &self.version_id
    }
    fn technical_name(&self) -> &str {
        &self.technical_name
    }
    fn id(&self) -> &str {
        &self.id
    }
}

/// A custom attribute of sources, as `GET /attributes` lists it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct AttributeDef {
    pub(crate) name: String,
    /// `Text`, `Boolean`, `Number`, `Date`, `ValueList`, `MultiValueList`,
    /// `UserReference`, `ManagedTag`...
    pub(crate) format: String,
    #[serde(default)]
    pub(crate) description: Option<String>,
    #[serde(default)]
    pub(crate) is_mandatory: bool,
    /// The allowed values of `ValueList` and `MultiValueList`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) values: Vec<String>,
    /// The kind of dictionary object it belongs to (none: sources).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) kind: Option<dictionary::NodeKind>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Workspace {
    pub id: String,
    pub name: String,
    pub(crate) description: Option<String>,
    pub(crate) versioning: bool,
    pub versions: Vec<Version>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Version {
    pub id: String,
    pub name: String,
    pub(crate) is_default: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct User {
    pub(crate) user_id: String,
    pub(crate) first_name: String,
    pub(crate) last_name: String,
    pub(crate) email: String,
    pub(crate) license_level: String,
    /// `owner`, `steward`: what `?role=` filters on.
    pub(crate) roles: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Tag {
    pub(crate) label: String,
    pub(crate) description: Option<String>,
    pub(crate) color: Option<String>,
    #[serde(default = "yes")]
    pub(crate) is_active: bool,
}

fn yes() -> bool {
    true
}

/// A source as the sandbox keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredSource {
    pub id: String,
    pub version_id: String,
    pub name: String,
    pub technical_name: String,
    #[serde(rename = "type")]
    pub source_type: String,
    pub status: Option<String>,
    pub owners: Vec<String>,
    pub stewards: Vec<String>,
    pub tags: Vec<String>,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub attributes: Map<String, Value>,
}

impl StoredSource {
    pub fn location(&self) -> String {
        format!("sources/{}/{}", self.version_id, self.id)
    }

    /// The source as a create body would carry it.
    pub fn as_body(&self) -> Map<String, Value> {
        let mut body = self.attributes.clone();
        body.insert("name".into(), self.name.clone().into());
        body.insert("type".into(), self.source_type.clone().into());
        body.insert("technicalName".into(), self.technical_name.clone().into());
        body.insert("owners".into(), self.owners.clone().into());
        body.insert("stewards".into(), self.stewards.clone().into());
        body.insert("tags".into(), self.tags.clone().into());
        for (key, value) in [
            ("status", &self.status),
            ("summary", &self.summary),
            ("description", &self.description),
        ] {
            if let Some(v) = value {
                body.insert(key.into(), v.clone().into());
            }
        }
        body
    }
}

impl Store {
    pub(crate) fn load(path: &Path) -> anyhow::Result<Store> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("parsing state {}", path.display()))
    }

    /// Writes the state atomically, so a crash never leaves half a file.
    pub(crate) fn save(&self, path: &Path) -> anyhow::Result<()> {
        crate::files::atomic::write_json(path, self)
    }

    pub(crate) fn version_exists(&self, version_id: &str) -> bool {
        self.workspaces
            .iter()
            .any(|w| w.versions.iter().any(|v| v.id == version_id))
    }

    fn find_version(&self, workspace: &str, version: Option<&str>) -> Option<String> {
        let ws = self
            .workspaces
            .iter()
            .find(|w| w.name.eq_ignore_ascii_case(workspace))?;
        ws.versions
            .iter()
            .find(|v| match version {
                Some(name) => v.name == name,
                None => v.is_default,
            })
            .map(|v| v.id.clone())
    }

    /// The indexes, caught up with what was added since they last looked.
    fn indexed(&self) -> std::cell::Ref<'_, Indexes> {
        let mut index = self.index.borrow_mut();
        index.sources.sync(&self.sources);
        (index.users).sync(self.users.iter().map(|u| u.email.as_str()));
        (index.tags).sync(self.tags.iter().map(|t| t.label.as_str()));
        (index.attributes).sync(self.attributes.iter().map(|a| a.name.as_str()));
        drop(index);
        self.index.borrow()
    }

    fn user_email(&self, email: &str) -> Option<&str> {
        let at = self.indexed().users.get(email)?;
        Some(self.users[at].email.as_str())
    }

    fn tag_exists(&self, label: &str) -> bool {
        self.indexed().tags.get(label).is_some()
    }

    /// The place of the source of `version_id` with this technical name.
    fn position(&self, version_id: &str, technical_name: &str) -> Option<usize> {
        (self.indexed().sources).source(&self.sources, version_id, technical_name)
    }

    pub(crate) fn find_source(
        &self,
        version_id: &str,
        technical_name: &str,
    ) -> Option<&StoredSource> {
        let at = self.position(version_id, technical_name)?;
        Some(&self.sources[at])
    }

    /// The source of `version_id` with this id.
    pub(crate) fn source_by_id(&self, version_id: &str, id: &str) -> Option<&StoredSource> {
        let at = (self.indexed().sources).source_by_id(&self.sources, version_id, id)?;
        Some(&self.sources[at])
    }

    /// A version's sources, in the order they were made.
    pub(crate) fn version_sources(&self, version_id: &str) -> Vec<&StoredSource> {
        let index = self.indexed();
        let places = index.sources.version(version_id);
        places
            .iter()
            .map(|&at| &self.sources[at as usize])
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn store() -> (Store, String) {
        let store = Seed::parse(BUILT_IN_SEED).unwrap().into_store().unwrap();
        let version = store.workspaces[0].versions[0].id.clone();
        (store, version)
    }

    #[test]
    fn the_built_in_seed_has_the_documented_workspace_users_tags_and_sources() {
        let (store, _) = store();
        assert_eq!(store.workspaces[0].name, "My Workspace");
        assert_eq!(store.workspaces[0].versions[0].name, "v1");
        assert!(store.users.len() >= 20);
        assert!(
            store
                .users
                .iter()
                .any(|u| u.email == "john.doe@example.com")
        );
        assert!(
            store
                .users
                .iter()
                .any(|u| u.email != u.email.to_lowercase())
        );
        for tag in ["GDPR", "CRM", "Marketing", "Finance", "PII"] {
            assert!(store.tag_exists(tag), "{tag}");
        }
        assert!(store.sources.len() >= 3);
    }

    #[test]
    fn a_seed_source_may_carry_its_dictionary_and_a_bad_node_refuses_the_seed() {
        let seed = |column_type: &str| {
            json!({"workspaces": [{"name": "W", "versions": ["v1"]}], "users": [], "tags": [],
                "attributes": [{"name": "Sensitivity", "format": "Text", "kind": "Field"}],
                "sources": [{"workspace": "W", "name": "crm", "type": "Relational",
                  "children": [{"name": "sales", "type": "Model", "children": [
                    {"name": "orders", "type": "Table", "children": [
                      {"name": "id", "type": column_type, "Sensitivity": "low"}]}]}]}]})
            .to_string()
        };
        let store = Seed::parse(&seed("Column")).unwrap().into_store().unwrap();
        let types: Vec<&str> = (store.dictionary.nodes.iter())
            .map(|n| n.node_type.as_str())
            .collect();
        assert_eq!(types, ["Model", "Table", "Column"]);
        assert!(
            store.attributes.is_empty(),
            "the field's attribute is the dictionary's"
        );
        let refused = Seed::parse(&seed("Colum"))
            .unwrap()
            .into_store()
            .unwrap_err();
        assert!(
            format!("{refused}").contains("\\crm\\sales\\orders\\id: type 'Colum'"),
            "{refused}"
        );
    }

    #[test]
    fn a_seed_without_a_workspace_is_refused_saying_so() {
        let mut seed: serde_json::Value = serde_json::from_str(BUILT_IN_SEED).unwrap();
        seed["workspaces"] = json!([]);
        seed["sources"] = json!([]);
        let err = Seed::parse(&seed.to_string())
            .unwrap()
            .into_store()
            .unwrap_err();
        assert!(
            err.to_string().contains("the seed has no workspace"),
            "{err}"
        );
    }

    #[test]
    fn a_second_create_is_refused_and_an_upsert_updates_only_the_fields_given() {
        let (mut store, v) = store();
        let body = json!({"name": "Lake", "type": "NoSql", "tags": ["gdpr"], "summary": "first"});
        let Written::Created(first) = store.upsert_source(&v, &body).unwrap() else {
            panic!()
        };
        assert_eq!(first.technical_name, "Lake");
        let again = store.upsert_source(&v, &body).unwrap_err();
        assert!(again.message.contains("already exists"), "{again:?}");
        let update = json!({"name": "Lake", "type": "NoSql", "description": "d", "upsert": true});
        let Written::Updated(updated) = store.upsert_source(&v, &update).unwrap() else {
            panic!()
        };
        assert_eq!(updated.id, first.id);
        assert_eq!(updated.summary.as_deref(), Some("first"));
        assert_eq!(updated.description.as_deref(), Some("d"));
    }

    #[test]
    fn invalid_bodies_are_refused_with_the_field_named() {
        let (store, v) = store();
        let cases = [
            (json!({"type": "NoSql"}), "name: required"),
            (json!({"name": "x", "type": "nosql"}), "type: 'nosql'"),
            (
                json!({"name": "x", "type": "NoSql", "status": "Done"}),
                "status: 'Done'",
            ),
            (
                json!({"name": "x", "type": "NoSql", "owners": ["nobody@x.io"]}),
                "owners: unknown user",
            ),
            (
                json!({"name": "x", "type": "NoSql", "stewards": "a"}),
                "stewards: expected an array",
            ),
            (
                json!({"name": "x", "type": "NoSql", "tags": ["Nope"]}),
                "tags: unknown tag 'Nope'",
            ),
            (
                json!({"name": "x", "type": "NoSql", "Data Domian": "Finance"}),
                "'Data Domian': unknown attribute",
            ),
            (
                json!({"name": "x", "type": "NoSql", "Data Domain": "finance"}),
                "'Data Domain': \"finance\" is not one of the listed values",
            ),
            (
                json!({"name": "x", "type": "NoSql", "Contains PII": "Yes"}),
                "'Contains PII': \"Yes\" is not true or false",
            ),
            (
                json!({"name": "x", "type": "NoSql", "Retention Years": "5"}),
                "'Retention Years': \"5\" is not a number",
            ),
            (
                json!({"name": "x", "type": "NoSql", "Last Review": "2026-3-1"}),
                "'Last Review': \"2026-3-1\" is not a date",
            ),
            (
                json!({"name": "x", "type": "NoSql", "Regions": "EMEA"}),
                "'Regions': \"EMEA\" is not an array of the listed values",
            ),
            (
                json!({"name": "x", "type": "NoSql", "Data Custodians": ["nobody@x.io"]}),
                "'Data Custodians': [\"nobody@x.io\"] is not an array of user emails",
            ),
        ];
        let typed = json!({"name": "x", "type": "NoSql", "Data Domain": "Finance",
            "Contains PII": false, "Retention Years": 2.5, "Last Review": "2026-03-01",
            "Regions": ["EMEA"], "Data Custodians": ["JOHN.DOE@example.com"],
            "Compliance Tags": ["gdpr"], "Business Notes": "free"});
        assert!(store.check_source(&v, &typed).is_ok());
        for (body, expected) in cases {
            let err = store.check_source(&v, &body).err().expect("refused");
            assert!(err.message.contains(expected), "{body}: {}", err.message);
        }
    }

    #[test]
    fn a_bulk_request_with_one_bad_item_creates_nothing() {
        let (mut store, v) = store();
        let before = store.sources.len();
        let items = [
            json!({"name": "a", "type": "NoSql"}),
            json!({"name": "b", "type": "Graph"}),
        ];
        let err = store.create_bulk(&v, &items).unwrap_err();
        assert!(err.message.starts_with("item 2: type"), "{}", err.message);
        assert_eq!(store.sources.len(), before);
        let dup = [
            json!({"name": "a", "type": "NoSql"}),
            json!({"name": "a", "type": "NoSql"}),
        ];
        assert!(
            store
                .create_bulk(&v, &dup)
                .unwrap_err()
                .message
                .contains("item 2")
        );
        assert_eq!(store.create_bulk(&v, &items[..1]).unwrap(), 1);
        assert_eq!(store.sources.len(), before + 1);
    }
}
