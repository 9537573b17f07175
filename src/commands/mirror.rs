//! `sandbox --mirror`: a tenant copied into a sandbox seed, read only at
//! the run's pace. First the tenant is read as `doctor` reads it (a failed
//! link stops the copy, saying why); then its workspace and versions (ids
//! and names kept), the eligible users, the tags, the custom attribute
//! definitions and, with `--with-sources`, the version's sources; and the
//! ways it answers where the API varies become the seed's variants, so that
//! a rehearsal meets what the real run will meet.

use anyhow::Context;
use serde_json::{Map, Value};

use crate::cli::doctor::{Connection, MirrorConfig};
use crate::client::api::Client;
use crate::client::api::wire::VersionItem;
use crate::client::session::{Endpoint, Session};
use crate::client::shapes::{ErrorBody, NameFilter, Paging, People, TagsField};
use crate::commands::doctor::{self, verdict::Facts, verdict::Status};
use crate::exit::usage;
use crate::pipeline::directory::{self, Target};
use crate::sandbox::Variant;
use crate::sandbox::store::dictionary::NodeKind;
use crate::sandbox::store::{AttributeDef, Seed, SeedSource, SeedUser, SeedWorkspace, Tag};

/// The tenant, copied.
pub(crate) async fn copy(config: &MirrorConfig) -> anyhow::Result<Seed> {
    let (checks, facts) = doctor::learn(&config.tenant).await?;
    if let Some(failed) = checks.iter().find(|c| c.status == Status::Fail) {
        let fix = failed.fix.as_deref().unwrap_or_default();
        return Err(usage(format!(
            "--mirror cannot read the tenant: {}: {}; {fix}",
            failed.name, failed.detail
        )));
    }
    let Connection::Api {
        url,
        token,
        ca_cert,
    } = &config.tenant.connection
    else {
        unreachable!("a mirror reads an API");
    };
    let endpoint = Endpoint::Api {
        url: crate::client::base_url::parse_base_url(url.as_deref().unwrap_or_default())?,
        token: token.clone().map_err(usage)?,
        ca_cert: ca_cert.clone(),
    };
    let session = Session::open(&endpoint).await?;
    let (_, client) = session.connect(&config.tenant.reach)?;
    let tenant = &config.tenant;
    let target = directory::locate(
        &client,
        tenant.workspace.as_deref(),
        tenant.version.as_deref(),
    )
    .await?;
    let workspace = workspace(&client, &target).await?;
    let mut seed = Seed {
        users: users(&client, &target).await?,
        tags: tags(&client).await?,
        attributes: attributes(&client, None).await?,
        variants: variants(&facts),
        ..Seed::default()
    };
    if config.with_sources {
        seed.sources = sources(&client, &target, &seed.attributes).await?;
    }
    if config.with_dictionary {
        for kind in NodeKind::ALL {
            seed.attributes
                .extend(attributes(&client, Some(kind)).await?);
        }
        dictionary(&client, &target, &mut seed.sources).await?;
    }
    seed.workspaces.push(workspace);
    Ok(seed)
}

/// The dictionary under the copied sources, as the `children` of each (a
/// bulktree's shape), custom attributes included.
async fn dictionary(
    client: &Client,
    target: &Target,
    sources: &mut [SeedSource],
) -> anyhow::Result<()> {
    let customs = crate::pipeline::dictionary::custom::Customs::load(client).await?;
    let custom = |level, name: &str| customs.format(level, name);
    let held =
        crate::pipeline::dictionary::listing::list(client, target, |_| true, &custom).await?;
    let tree = &held.tree;
    let mut children: std::collections::HashMap<u32, Vec<u32>> = Default::default();
    for node in tree.iter() {
        if let Some(parent) = node.parent() {
            children.entry(parent).or_default().push(node.at);
        }
    }
    let body = |at: u32| node_body(tree, &children, at);
    for node in tree.iter() {
        let Some(below) = children.get(&node.at).filter(|_| node.parent().is_none()) else {
            continue;
        };
        let technical = |s: &SeedSource| {
            (s.body.get("technicalName").or(s.body.get("name"))).and_then(Value::as_str)
                == Some(node.technical_name())
        };
        if let Some(source) = sources.iter_mut().find(|s| technical(s)) {
            let nodes: Vec<Value> = below.iter().map(|&c| body(c)).collect();
            source.body.insert("children".into(), Value::Array(nodes));
        }
    }
    Ok(())
}

/// A node of the tree and the nodes under it, as a bulktree carries them.
fn node_body(
    tree: &crate::pipeline::dictionary::tree::Tree,
    children: &std::collections::HashMap<u32, Vec<u32>>,
    at: u32,
) -> Value {
    let node = tree.node(at);
    let mut body = Map::new();
    body.insert("name".into(), Value::from(node.name()));
    body.insert("technicalName".into(), Value::from(node.technical_name()));
    body.insert("type".into(), Value::from(node.type_name()));
    body.extend((node.attributes().iter()).map(|(k, v)| (k.to_owned(), v.clone())));
    if let Some(below) = children.get(&at) {
        let nodes = below
            .iter()
            .map(|&c| node_body(tree, children, c))
            .collect();
        body.insert("children".into(), Value::Array(nodes));
    }
    Value::Object(body)
}

/// The ways the tenant answers, as the sandbox's variants.
fn variants(facts: &Facts) -> Vec<Variant> {
    let observed = [
        (
            facts.tags_field == Some(TagsField::Label),
            Variant::TagLabel,
        ),
        (
            facts.list_paging == Some(Paging::Pages),
            Variant::NoNextPage,
        ),
        (facts.type_paths == Some(false), Variant::NoTypePaths),
        (
            facts.rate_limit_remaining == Some(false),
            Variant::NoRateLimitHeader,
        ),
        (
            facts.include_attributes == Some(false),
            Variant::NoAttributes,
        ),
        (
            facts.owners_listed_as == Some(People::Objects),
            Variant::UserObjects,
        ),
        (
            facts.technical_name_filter == Some(NameFilter::Partial),
            Variant::PartialTechnicalName,
        ),
        (
            facts.error_body == Some(ErrorBody::ErrorString),
            Variant::PlainErrors,
        ),
        (
            facts.custom_attributes.is_none(),
            Variant::NoAttributeDefinitions,
        ),
    ];
    (observed.into_iter())
        .filter_map(|(seen, variant)| seen.then_some(variant))
        .collect()
}

/// The workspace, with every version (ids kept).
async fn workspace(client: &Client, target: &Target) -> anyhow::Result<SeedWorkspace> {
    let listed: Value = client.get_json(client.url("/workspaces", &[])).await?;
    let projects = listed.get("projects").and_then(Value::as_array);
    let project = (projects.into_iter().flatten())
        .find(|p| p.get("id").and_then(Value::as_str) == Some(&target.workspace_id))
        .context("the workspace left the listing")?;
    let versioning = project.get("isVersioningEnabled").and_then(Value::as_bool) == Some(true);
    let mut versions = vec![(target.version_name.clone(), target.version_id.clone())];
    let mut default = target.version_name.clone();
    if versioning {
        let path = format!("/workspaces/{}/versions", target.workspace_id);
        let listed: Vec<Value> = client.get_all(&path, &[]).await?;
        versions = (listed.iter())
            .filter_map(|v| serde_json::from_value::<VersionItem>(v.clone()).ok())
            .map(|v| (v.version_name, v.version_id))
            .collect();
        let is_default =
            |v: &&Value| v.get("isDefaultVersion").and_then(Value::as_bool) == Some(true);
        if let Some(name) = listed
            .iter()
            .find(is_default)
            .and_then(|v| v.get("versionName"))
        {
            default = name.as_str().unwrap_or_default().to_owned();
        }
    }
    Ok(SeedWorkspace {
        id: Some(target.workspace_id.clone()),
        name: target.workspace_name.clone(),
        description: project
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_owned),
        versioning,
        versions: versions.iter().map(|(name, _)| name.clone()).collect(),
        default_version: Some(default),
        version_ids: versions.into_iter().collect(),
    })
}

fn text(item: &Value, key: &str) -> Option<String> {
    item.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// The users who may own or steward sources in the version, with the roles
/// the `role=` listings give them (both, when the tenant lists no roles).
async fn users(client: &Client, target: &Target) -> anyhow::Result<Vec<SeedUser>> {
    let path = format!("/users/{}", target.version_id);
    let all: Vec<Value> = client.get_all(&path, &[("module", "catalog")]).await?;
    let mut with_role = Vec::new();
    for role in ["owner", "steward"] {
        let listed = client.get_all::<Value>(&path, &[("role", role)]).await;
        let emails: Vec<String> = (listed.unwrap_or_default().iter())
            .filter_map(|u| text(u, "email").map(|e| e.to_lowercase()))
            .collect();
        with_role.push((role, emails));
    }
    let known = with_role.iter().any(|(_, emails)| !emails.is_empty());
    Ok(all
        .iter()
        .filter_map(|u| {
            let email = text(u, "email")?;
            let roles = (with_role.iter())
                .filter(|(_, emails)| !known || emails.contains(&email.to_lowercase()))
                .map(|(role, _)| role.to_string())
                .collect();
            Some(SeedUser {
                user_id: text(u, "userId"),
                first_name: text(u, "firstName").unwrap_or_default(),
                last_name: text(u, "lastName").unwrap_or_default(),
                license_level: text(u, "licenseLevel").unwrap_or_else(|| "Admin".into()),
                email,
                roles,
            })
        })
        .collect())
}

async fn tags(client: &Client) -> anyhow::Result<Vec<Tag>> {
    let listed: Vec<Value> = client.get_all("/tags", &[]).await?;
    Ok(listed
        .iter()
        .filter_map(|t| {
            Some(Tag {
                label: text(t, "name").or_else(|| text(t, "label"))?,
                description: text(t, "description"),
                color: text(t, "color"),
                is_active: t.get("isActive").and_then(Value::as_bool).unwrap_or(true),
            })
        })
        .collect())
}

/// The custom attribute definitions of sources, or of one kind of
/// dictionary object (none when not listed).
async fn attributes(client: &Client, kind: Option<NodeKind>) -> anyhow::Result<Vec<AttributeDef>> {
    let data_type = kind.map_or("source", |k| k.data_type()).to_lowercase();
    let Some(listed) = directory::attribute_listing(client, &data_type).await? else {
        return Ok(Vec::new());
    };
    let items = crate::client::shapes::items(&listed);
    // A tenant that ignores `?dataType=` lists the other kinds too.
    let of_kind = |a: &&Value| {
        (a.get("dataType").and_then(Value::as_str))
            .is_none_or(|t| t.eq_ignore_ascii_case(&data_type))
    };
    let custom = items
        .iter()
        .filter(|a| a.get("isCustom").and_then(Value::as_bool) == Some(true))
        .filter(of_kind);
    Ok(custom
        .filter_map(|a| {
            let values = a.get("values").and_then(Value::as_array);
            Some(AttributeDef {
                name: text(a, "name")?,
                format: text(a, "format").unwrap_or_else(|| "Text".into()),
                description: text(a, "description"),
                is_mandatory: a.get("isMandatory").and_then(Value::as_bool) == Some(true),
                values: (values.into_iter().flatten())
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
                kind,
            })
        })
        .collect())
}

/// The version's sources, with their attributes, as the tenant lists them.
async fn sources(
    client: &Client,
    target: &Target,
    definitions: &[AttributeDef],
) -> anyhow::Result<Vec<SeedSource>> {
    let query = [
        ("versionId", target.version_id.as_str()),
        ("includeAttributes", "true"),
    ];
    let as_seed = |item: Value| seed_source(item, target, definitions);
    let listed = client
        .get_all_as(
            crate::client::routes::Kind::Source.listing(),
            &query,
            as_seed,
        )
        .await?;
    Ok(listed.into_iter().flatten().collect())
}

/// A listed source as a seed source: its fields, the system attributes a
/// body carries, and its custom attributes (read-only ones left out).
fn seed_source(item: Value, target: &Target, definitions: &[AttributeDef]) -> Option<SeedSource> {
    let id = text(&item, "id")?;
    let mut body = Map::new();
    for key in ["name", "technicalName", "type"] {
        if let Some(value) = item.get(key).filter(|v| v.is_string()) {
            body.insert(key.into(), value.clone());
        }
    }
    let attributes = item.get("attributes").and_then(Value::as_object);
    for (key, value) in attributes.into_iter().flatten() {
        let system = [
            "status",
            "summary",
            "description",
            "owners",
            "stewards",
            "tags",
        ]
        .contains(&key.as_str());
        let custom = definitions.iter().any(|d| &d.name == key);
        if (system || custom) && !value.is_null() {
            body.insert(key.clone(), emails_of(value.clone()));
        }
    }
    Some(SeedSource {
        id: Some(id),
        workspace: target.workspace_name.clone(),
        version: Some(target.version_name.clone()),
        body,
    })
}

/// A list of user objects as the emails they carry (the contract's form).
fn emails_of(value: Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|i| match i.get("email") {
                    Some(email) if i.is_object() => email.clone(),
                    _ => i,
                })
                .collect(),
        ),
        other => other,
    }
}
