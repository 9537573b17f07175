//! The sandbox's data: workspaces, versions, users, tags and sources. Built
//! from a user-editable seed (fresh ids each start) or from a saved state
//! file (ids kept), and the rules that decide whether a source body is valid.

use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::model::source::{SourceType, Status};
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

/// The seed file (`samples/sandbox-seed.json`): what a person edits, or
/// what `sandbox --mirror --save-seed` copied from a tenant (with its ids
/// and the ways it answers).
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Seed {
    pub(crate) workspaces: Vec<SeedWorkspace>,
    pub(crate) users: Vec<SeedUser>,
    #[serde(default)]
    pub(crate) tags: Vec<Tag>,
    /// Custom attributes of sources.
    #[serde(default)]
    pub(crate) attributes: Vec<AttributeDef>,
    #[serde(default)]
    pub(crate) sources: Vec<SeedSource>,
    /// The ways the sandbox answers where the API varies (a mirror's
    /// tenant's), on top of those `--variant` turns on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) variants: Vec<Variant>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct SeedWorkspace {
    /// Kept as given (a mirror's); a fresh one when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) id: Option<String>,
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) description: Option<String>,
    #[serde(default)]
    pub(crate) versioning: bool,
    /// Version names; the first is the default unless `defaultVersion` says.
    pub(crate) versions: Vec<String>,
    #[serde(default)]
    pub(crate) default_version: Option<String>,
    /// Version name → id, kept as given (a mirror's).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub(crate) version_ids: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct SeedUser {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) user_id: Option<String>,
    pub(crate) email: String,
    pub(crate) first_name: String,
    pub(crate) last_name: String,
    #[serde(default = "admin")]
    pub(crate) license_level: String,
    #[serde(default = "both_roles")]
    pub(crate) roles: Vec<String>,
}

fn admin() -> String {
    "Admin".into()
}

fn both_roles() -> Vec<String> {
    vec!["owner".into(), "steward".into()]
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SeedSource {
    /// A mirror's: the tenant's id, and the source stored as it was listed
    /// (a tenant may hold what it would refuse today).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) id: Option<String>,
    pub(crate) workspace: String,
    /// Version name; the workspace's default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) version: Option<String>,
    /// The rest is a source body, as `POST /sources` takes it.
    #[serde(flatten)]
    pub(crate) body: Map<String, Value>,
}

/// The seed that ships with the binary (the same file as `samples/`).
pub const BUILT_IN_SEED: &str = include_str!("../../samples/sandbox-seed.json");

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl Seed {
    /// What it holds, in a line.
    pub(crate) fn summary(&self) -> String {
        let workspace = self.workspaces.first();
        let name = workspace.map_or("", |w| w.name.as_str());
        let versions = workspace.map_or(0, |w| w.versions.len());
        let variants: Vec<String> = (self.variants.iter())
            .filter_map(|v| serde_json::to_value(v).ok())
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        let ways = match variants.is_empty() {
            true => "as the contract says".to_owned(),
            false => format!("as the tenant does: {}", variants.join(", ")),
        };
        format!(
            "'{name}' ({versions} versions): {} users, {} tags, {} custom attributes, {} sources; answering {ways}",
            self.users.len(),
            self.tags.len(),
            self.attributes.len(),
            self.sources.len()
        )
    }

    pub fn parse(json: &str) -> anyhow::Result<Seed> {
        Ok(serde_json::from_str(json)?)
    }

    /// The text of the seed file at `path`, or of the built-in seed: the
    /// one reading of a seed, for `sandbox --seed` and `--sandbox-seed`.
    pub fn text_of(path: Option<&Path>) -> anyhow::Result<String> {
        match path {
            Some(path) => std::fs::read_to_string(path).map_err(|e| {
                crate::exit::usage(format!("reading the seed {}: {e}", path.display()))
            }),
            None => Ok(BUILT_IN_SEED.to_owned()),
        }
    }

    /// Builds a store with fresh ids. Version ids are `workspace:version`
    /// pairs, as some tenants have them, so that no client can assume a shape.
    pub fn into_store(self) -> anyhow::Result<Store> {
        let mut store = Store::default();
        anyhow::ensure!(
            !self.workspaces.is_empty(),
            "the seed has no workspace: `workspaces` needs at least one, e.g. \
             {{\"name\": \"My Workspace\", \"versions\": [\"v1\"]}}"
        );
        for ws in self.workspaces {
            anyhow::ensure!(
                !ws.versions.is_empty(),
                "workspace {:?} has no version",
                ws.name
            );
            let id = ws.id.unwrap_or_else(new_id);
            let default = ws.default_version.unwrap_or_else(|| ws.versions[0].clone());
            anyhow::ensure!(
                ws.versions.contains(&default),
                "workspace {:?}: default version {default:?} is not among its versions",
                ws.name
            );
            let versions = ws
                .versions
                .iter()
                .map(|name| Version {
                    id: (ws.version_ids.get(name).cloned())
                        .unwrap_or_else(|| format!("{id}:{}", new_id())),
                    name: name.clone(),
                    is_default: *name == default,
                })
                .collect();
            store.workspaces.push(Workspace {
                id,
                name: ws.name,
                description: ws.description,
                versioning: ws.versioning,
                versions,
            });
        }
        store.users = self
            .users
            .into_iter()
            .map(|u| User {
                user_id: u.user_id.unwrap_or_else(new_id),
                first_name: u.first_name,
                last_name: u.last_name,
                email: u.email,
                license_level: u.license_level,
                roles: u.roles,
            })
            .collect();
        store.tags = self.tags;
        store.attributes = self.attributes;
        for seed in self.sources {
            let version_id = store
                .find_version(&seed.workspace, seed.version.as_deref())
                .with_context(|| {
                    format!(
                        "seed source {:?}: no such workspace or version",
                        seed.body.get("name")
                    )
                })?;
            if let Some(id) = seed.id {
                store.sources.push(mirrored(id, version_id, seed.body));
                continue;
            }
            let body = Value::Object(seed.body);
            // Seed sources may predate a mandatory attribute, as on a real tenant.
            match store.upsert(&version_id, &body, Mandatory::Waived) {
                Ok(_) => {}
                Err(e) => anyhow::bail!("seed source {body}: {}", e.message),
            }
        }
        Ok(store)
    }
}

/// A mirrored source, stored as the tenant listed it.
fn mirrored(id: String, version_id: String, mut body: Map<String, Value>) -> StoredSource {
    let mut text = |key: &str| match body.remove(key) {
        Some(Value::String(s)) => Some(s),
        _ => None,
    };
    let name = text("name").unwrap_or_default();
    let technical_name = text("technicalName").unwrap_or_else(|| name.clone());
    let (source_type, status) = (text("type").unwrap_or_default(), text("status"));
    let (summary, description) = (text("summary"), text("description"));
    let mut list = |key: &str| match body.remove(key) {
        Some(Value::Array(items)) => items
            .into_iter()
            .filter_map(|i| i.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    let (owners, stewards, tags) = (list("owners"), list("stewards"), list("tags"));
    body.remove("upsert");
    StoredSource {
        id,
        version_id,
        name,
        technical_name,
        source_type,
        status,
        owners,
        stewards,
        tags,
        summary,
        description,
        attributes: body,
    }
}

/// Whether a create must carry the mandatory custom attributes (seed
/// sources may predate them).
#[derive(Clone, Copy, PartialEq)]
enum Mandatory {
    Checked,
    Waived,
}

/// Why a write was refused: a 4xx with a message naming the field.
#[derive(Debug, PartialEq)]
pub(crate) struct Refusal {
    pub(crate) status: u16,
    pub(crate) message: String,
}

fn refuse(message: impl Into<String>) -> Refusal {
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

#[derive(Debug, PartialEq)]
pub(crate) enum Written {
    Created(StoredSource),
    Updated(StoredSource),
    /// An edit that changed nothing.
    Unchanged(StoredSource),
}

const KNOWN_KEYS: &[&str] = &[
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
    fn check_attribute(&self, key: &str, value: &Value) -> Result<(), Refusal> {
        let found = self.indexed().attributes.get(key);
        let Some(def) = found.map(|at| &self.attributes[at]) else {
            return Err(refuse(format!("'{key}': unknown attribute")));
        };
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
    fn check_mandatory(&self, source: &StoredSource) -> Result<(), Refusal> {
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

    /// `POST /sources/{versionId}`: create, or update with `upsert`.
    pub(crate) fn upsert_source(
        &mut self,
        version_id: &str,
        body: &Value,
    ) -> Result<Written, Refusal> {
        self.upsert(version_id, body, Mandatory::Checked)
    }

    fn upsert(
        &mut self,
        version_id: &str,
        body: &Value,
        mandatory: Mandatory,
    ) -> Result<Written, Refusal> {
        let checked = self.check_source(version_id, body)?;
        let new = checked.source;
        let at = self.position(version_id, &new.technical_name);
        match at.map(|at| &mut self.sources[at]) {
            Some(existing) if checked.upsert => {
                // Fields left out stay unchanged.
                let has = |k: &str| checked.present.iter().any(|p| p == k);
                existing.name = new.name;
                existing.source_type = new.source_type;
                if has("status") {
                    existing.status = new.status;
                }
                if has("owners") {
                    existing.owners = new.owners;
                }
                if has("stewards") {
                    existing.stewards = new.stewards;
                }
                if has("tags") {
                    existing.tags = new.tags;
                }
                if has("summary") {
                    existing.summary = new.summary;
                }
                if has("description") {
                    existing.description = new.description;
                }
                existing.attributes.extend(new.attributes);
                Ok(Written::Updated(existing.clone()))
            }
            Some(existing) => Err(refuse(format!(
                "a source with technical name '{}' already exists (id {})",
                existing.technical_name, existing.id
            ))),
            None => {
                if mandatory == Mandatory::Checked {
                    self.check_mandatory(&new)?;
                }
                let source = StoredSource {
                    id: new_id(),
                    ..new
                };
                self.sources.push(source.clone());
                Ok(Written::Created(source))
            }
        }
    }

    /// `PUT /sources/{versionId}/{sourceId}`: the fields given change, the
    /// others stay; `""` or `[]` empties a field. `None`: no such source.
    pub(crate) fn edit_source(
        &mut self,
        version_id: &str,
        source_id: &str,
        body: &Value,
    ) -> Option<Result<Written, Refusal>> {
        let at = (self.indexed().sources).source_by_id(&self.sources, version_id, source_id)?;
        Some(self.edit_at(at, body))
    }

    /// Checks an edit of the source at `at` and applies it; `Written::Updated`
    /// when it changed something, `Created` is never answered.
    fn edit_at(&mut self, at: usize, body: &Value) -> Result<Written, Refusal> {
        let edited = self.edited(&self.sources[at], body)?;
        if edited == self.sources[at] {
            return Ok(Written::Unchanged(edited));
        }
        self.sources[at] = edited.clone();
        Ok(Written::Updated(edited))
    }

    /// What `source` becomes with `body` applied, checked as a whole.
    fn edited(&self, source: &StoredSource, body: &Value) -> Result<StoredSource, Refusal> {
        let Some(changes) = body.as_object() else {
            return Err(refuse("the body must be a JSON object"));
        };
        if changes.contains_key("upsert") {
            return Err(refuse("upsert: not allowed in an edit"));
        }
        let mut merged = source.as_body();
        for (key, value) in changes {
            match value {
                // An empty text empties the field (name and type stay required).
                Value::String(t) if t.is_empty() && key != "name" && key != "type" => {
                    merged.remove(key);
                }
                _ => {
                    merged.insert(key.clone(), value.clone());
                }
            }
        }
        if merged.get("technicalName") != Some(&Value::String(source.technical_name.clone())) {
            return Err(refuse("technicalName: cannot be changed by an edit"));
        }
        let mut checked = self.check_source(&source.version_id, &Value::Object(merged))?;
        checked.source.id = source.id.clone();
        Ok(checked.source)
    }

    /// `PUT /sources/bulk/{versionId}`: edits keyed by technical name, all or
    /// nothing. Returns (updated, unchanged).
    pub(crate) fn edit_bulk(
        &mut self,
        version_id: &str,
        items: &[Value],
    ) -> Result<(usize, usize), Refusal> {
        if items.is_empty() || items.len() > 100 {
            return Err(refuse(format!(
                "a bulk request takes 1 to 100 sources, got {}",
                items.len()
            )));
        }
        let mut edits = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let n = i + 1;
            let Some(tn) = item.get("technicalName").and_then(Value::as_str) else {
                return Err(refuse(format!("item {n}: technicalName: required")));
            };
            let at = (self.position(version_id, tn))
                .ok_or_else(|| refuse(format!("item {n}: no source with technical name '{tn}'")))?;
            let edited = self
                .edited(&self.sources[at], item)
                .map_err(|r| refuse(format!("item {n}: {}", r.message)))?;
            edits.push((at, edited));
        }
        let mut updated = 0;
        for (at, edited) in edits {
            if self.sources[at] != edited {
                self.sources[at] = edited;
                updated += 1;
            }
        }
        Ok((updated, items.len() - updated))
    }

    /// `POST /sources/bulk/{versionId}`: all or nothing. An item whose
    /// technical name exists is refused (the contract leaves that case open,
    /// and the client must never depend on it).
    pub(crate) fn create_bulk(
        &mut self,
        version_id: &str,
        items: &[Value],
    ) -> Result<usize, Refusal> {
        if items.is_empty() || items.len() > 100 {
            return Err(refuse(format!(
                "a bulk request takes 1 to 100 sources, got {}",
                items.len()
            )));
        }
        let mut fresh: Vec<StoredSource> = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let n = i + 1;
            let checked = self
                .check_source(version_id, item)
                .map_err(|r| refuse(format!("item {n}: {}", r.message)))?;
            self.check_mandatory(&checked.source)
                .map_err(|r| refuse(format!("item {n}: {}", r.message)))?;
            let tn = &checked.source.technical_name;
            if self.find_source(version_id, tn).is_some()
                || fresh.iter().any(|f| &f.technical_name == tn)
            {
                return Err(refuse(format!(
                    "item {n}: a source with technical name '{tn}' already exists"
                )));
            }
            fresh.push(StoredSource {
                id: new_id(),
                ..checked.source
            });
        }
        let created = fresh.len();
        self.sources.extend(fresh);
        Ok(created)
    }

    /// `POST /tags`.
    pub(crate) fn create_tag(&mut self, body: &Value) -> Result<Tag, Refusal> {
        let label = body
            .get("label")
            .and_then(Value::as_str)
            .filter(|l| !l.trim().is_empty())
            .ok_or_else(|| refuse("label: required"))?;
        if self.tag_exists(label) {
            return Err(refuse(format!("tag '{label}' already exists")));
        }
        let tag = Tag {
            label: label.to_owned(),
            description: body
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_owned),
            color: None,
            is_active: true,
        };
        self.tags.push(tag.clone());
        Ok(tag)
    }
}

/// A string field of a body (absent or `null`: none).
fn text_field(obj: &Map<String, Value>, key: &str) -> Result<Option<String>, Refusal> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(refuse(format!("{key}: expected a string, got {other}"))),
    }
}

/// A field of a body that is an array of strings (absent or `null`: empty).
fn list_field(obj: &Map<String, Value>, key: &str) -> Result<Vec<String>, Refusal> {
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
fn check_enums(source_type: &str, status: Option<&str>) -> Result<(), Refusal> {
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
