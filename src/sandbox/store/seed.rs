//! The seed: what a person edits (`samples/sandbox-seed.json`) or what
//! `sandbox --mirror --save-seed` copied from a tenant, turned into a store
//! with fresh ids.

use anyhow::Context;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::*;

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
pub const BUILT_IN_SEED: &str = include_str!("../../../samples/sandbox-seed.json");

pub(super) fn new_id() -> String {
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
        // The attributes of a kind of dictionary object are the dictionary's.
        let (nodes, sources): (Vec<_>, Vec<_>) =
            self.attributes.into_iter().partition(|a| a.kind.is_some());
        store.attributes = sources;
        store.dictionary.attributes = nodes;
        for seed in self.sources {
            seed_source(&mut store, seed)?;
        }
        Ok(store)
    }
}

/// One source of the seed into the store: as a mirror listed it (with its
/// id), or as a create would make it, with the dictionary it carries.
fn seed_source(store: &mut Store, mut seed: SeedSource) -> anyhow::Result<()> {
    let version_id = store
        .find_version(&seed.workspace, seed.version.as_deref())
        .with_context(|| {
            format!(
                "seed source {:?}: no such workspace or version",
                seed.body.get("name")
            )
        })?;
    // A source may carry its dictionary, as a bulktree does.
    let children = seed.body.remove("children");
    if let Some(id) = seed.id {
        let source = mirrored(id, version_id.clone(), seed.body);
        let head = serde_json::json!({"name": source.name, "technicalName": source.technical_name,
                                      "type": source.source_type, "children": children});
        store.sources.push(source);
        if children_given(&head)
            && let Err(e) = store.bulktree(&version_id, &head, (true, None, Mandatory::Waived))
        {
            anyhow::bail!(
                "the dictionary of seed source {}: {}",
                head["name"],
                e.message
            );
        }
        return Ok(());
    }
    let mut body = Value::Object(seed.body);
    // Seed sources may predate a mandatory attribute, as on a real tenant.
    if let Err(e) = store.upsert(&version_id, &body, Mandatory::Waived) {
        anyhow::bail!("seed source {body}: {}", e.message);
    }
    if let Some(children) = children {
        body["children"] = children;
        if let Err(e) = store.bulktree(&version_id, &body, (true, None, Mandatory::Waived)) {
            let name = &body["name"];
            anyhow::bail!("the dictionary of seed source {name}: {}", e.message);
        }
    }
    Ok(())
}

fn children_given(body: &Value) -> bool {
    body["children"].as_array().is_some_and(|c| !c.is_empty())
}

/// A mirrored source, stored as the tenant listed it.
pub(super) fn mirrored(
    id: String,
    version_id: String,
    mut body: Map<String, Value>,
) -> StoredSource {
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
