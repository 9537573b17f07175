//! The tenant's dictionary, listed once: the version's sources, then its
//! containers, structures and fields (5,000 a page, with their attributes),
//! gathered into the same tree a file's rows make (`tree.rs`), so that what
//! the tenant holds and what a file says compare node by node. A listing
//! without `typePath` (the contract allows it) is placed by each node's own
//! type under the parent its `path` names, parents being listed before
//! their children. Of the custom attributes listed, those the caller
//! names are kept (typed as a file's cell of their format is): a million
//! fields hold none they do not compare or write.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::client::api::Client;
use crate::client::api::wire::SourceItem;
use crate::client::routes::Kind;
use crate::pipeline::attributes::{Format, as_typed};
use crate::pipeline::dictionary::columns::{ATTRIBUTES, Level};
use crate::pipeline::dictionary::rows::{NodeRow, Step, level_of, step};
use crate::pipeline::dictionary::tree::{Refused, Tree};
use crate::pipeline::directory::{Target, setup_error};

/// A container, structure or field as the tenant lists it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Listed {
    #[serde(default)]
    id: Option<String>,
    name: String,
    #[serde(default)]
    technical_name: Option<String>,
    #[serde(rename = "type")]
    node_type: String,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    type_path: Option<String>,
    #[serde(default)]
    attributes: Option<Map<String, Value>>,
}

/// What the listing found: the tree.
#[derive(Debug, Default)]
pub(crate) struct Held {
    pub(crate) tree: Tree,
}

/// The custom attributes a listing keeps: the format of one of a kind's
/// (`None`: not kept).
pub(crate) type Kept<'a> = &'a (dyn Fn(Level, &str) -> Option<Format> + Sync);

/// Every source of the version whose technical name `keep` accepts, with
/// its dictionary and the custom attributes `custom` keeps.
pub(crate) async fn list(
    client: &Client,
    target: &Target,
    keep: impl Fn(&str) -> bool,
    custom: Kept<'_>,
) -> anyhow::Result<Held> {
    let version = [("versionId", target.version_id.as_str())];
    let sources: Vec<SourceItem> = (client.get_all(Kind::Source.listing(), &version).await)
        .map_err(|e| setup_error("listing the sources", e))?;
    let mut held = Held {
        tree: Tree::listed(),
    };
    let mut kept = std::collections::HashMap::new();
    for s in sources.iter().filter(|s| keep(s.technical_key())) {
        let source_type = s.source_type.clone().unwrap_or_else(|| "Relational".into());
        let row = NodeRow {
            path: vec![step(
                Level::Source,
                &s.name,
                s.technical_key(),
                &source_type,
            )],
            ..NodeRow::default()
        };
        // A technical name listed twice is one source (the first listed).
        if let Ok(placed) = held.tree.add(0, row) {
            held.tree.set_id(placed.at, &s.id);
            kept.insert(s.technical_key().to_owned(), source_type);
        }
    }
    let query = [
        ("versionId", target.version_id.as_str()),
        ("includeAttributes", "true"),
    ];
    // Each page placed as it is read (a million fields are never held as
    // listed); a node listed before its parent waits for the kind's end.
    let mut waiting: Vec<Listed> = Vec::new();
    for kind in [Kind::Container, Kind::Structure, Kind::Field] {
        let what = format!("listing the {}", kind.plural());
        let mut failed = None;
        let listed = client.get_all_as::<Listed, ()>(kind.listing(), &query, |node| {
            match place(&mut held, (&kept, custom), node) {
                Ok(None) => {}
                Ok(Some(orphan)) => waiting.push(orphan),
                Err(e) => {
                    failed.get_or_insert(e);
                }
            }
        });
        listed.await.map_err(|e| setup_error(&what, e))?;
        if let Some(e) = failed {
            return Err(e);
        }
        // Parents before their children, whatever order they came in.
        let depth = |n: &Listed| n.path.as_deref().map_or(0, |p| p.matches('\\').count());
        waiting.sort_by_key(depth);
        for node in std::mem::take(&mut waiting) {
            if let Some(orphan) = place(&mut held, (&kept, custom), node)? {
                waiting.push(orphan);
            }
        }
    }
    match waiting.first() {
        Some(orphan) => {
            let path = orphan.path.as_deref().unwrap_or_default();
            anyhow::bail!("the tenant listed '{path}' without a parent the listing holds")
        }
        None => Ok(held),
    }
}

/// One listed node into the tree, under the parent its path names; handed
/// back when that parent is not placed yet.
fn place(
    held: &mut Held,
    (kept, custom): (&std::collections::HashMap<String, String>, Kept<'_>),
    mut node: Listed,
) -> anyhow::Result<Option<Listed>> {
    let Some(path) = node.path.as_deref() else {
        anyhow::bail!(
            "the tenant listed '{}' ({}) without its path: its place in the dictionary cannot be told",
            node.name,
            node.node_type
        );
    };
    let elements: Vec<&str> = path.trim_start_matches('\\').split('\\').collect();
    let Some(source_type) = kept.get(elements[0]) else {
        return Ok(None); // Out of scope, or a source the listing did not hold.
    };
    let types = types_of(&node, elements.len(), source_type);
    let last = elements.len() - 1;
    let steps: Vec<Step> = (elements.iter().zip(&types).enumerate())
        .map(|(i, (tn, t))| {
            let level = if i == 0 {
                Some(Level::Source)
            } else {
                level_of(t)
            };
            // The object's own names as listed; its parents' from its path.
            let (name, technical) = match i == last {
                true => (
                    node.name.as_str(),
                    node.technical_name.as_deref().unwrap_or(tn),
                ),
                false => (*tn, *tn),
            };
            step(level.unwrap_or(Level::Container), name, technical, t)
        })
        .collect();
    let level = steps[last].level;
    let attributes = kept_attributes(node.attributes.take().unwrap_or_default(), |key| {
        custom(level, key)
    });
    // Only a parent named without its type (no typePath) can be missing:
    // then what the node holds is kept to place it again.
    let untyped = steps[..steps.len() - 1]
        .iter()
        .any(|s| s.node_type.is_empty());
    let again = untyped.then(|| attributes.clone());
    let row = NodeRow {
        path: steps,
        attributes,
        ..NodeRow::default()
    };
    match held.tree.add(0, row) {
        Ok(placed) => {
            if let Some(id) = node.id.as_deref() {
                held.tree.set_id(placed.at, id);
            }
            Ok(None)
        }
        Err(Refused::Duplicate { .. }) => Ok(None),
        // Its parent not placed yet: it waits, with what it holds.
        Err(Refused::UnknownParent { .. }) => {
            node.attributes = again.map(|a| a.into_iter().collect());
            Ok(Some(node))
        }
        Err(Refused::AmbiguousParent { path }) => {
            anyhow::bail!("the tenant listed '{path}' without a parent the listing holds")
        }
    }
}

/// The type of each element of a listed node's path: its `typePath`, or
/// without one (a variant) the source's and its own, the parents' untyped.
fn types_of(node: &Listed, elements: usize, source_type: &str) -> Vec<String> {
    match node.type_path.as_deref() {
        Some(t) => (t.trim_start_matches('\\').split('\\'))
            .map(str::to_owned)
            .collect(),
        None => (0..elements)
            .map(|i| match i {
                0 => source_type.to_owned(),
                i if i + 1 == elements => node.node_type.clone(),
                _ => String::new(),
            })
            .collect(),
    }
}

/// The attributes a dictionary object carries that are set, by API key,
/// and the custom ones (by display name) that `custom` keeps, typed.
fn kept_attributes(
    listed: Map<String, Value>,
    custom: impl Fn(&str) -> Option<Format>,
) -> BTreeMap<String, Value> {
    let mut attributes = BTreeMap::new();
    for (key, value) in listed {
        // What is not set: null, an empty text or list.
        let unset = match &value {
            Value::Null => true,
            Value::String(s) => s.is_empty(),
            Value::Array(a) => a.is_empty(),
            _ => false,
        };
        let known = ATTRIBUTES.iter().any(|(k, _)| *k == key);
        match (known, unset) {
            (_, true) => {}
            (true, false) => {
                attributes.insert(key, people_as_emails(value));
            }
            (false, false) => {
                if let Some(format) = custom(&key) {
                    attributes.insert(key, as_typed(format, value));
                }
            }
        }
    }
    attributes
}

/// Owners and stewards as emails, whether listed as emails or user objects.
fn people_as_emails(value: Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|i| match i {
                    Value::Object(o) => o.get("email").cloned().unwrap_or(Value::Null),
                    other => other,
                })
                .collect(),
        ),
        other => other,
    }
}
