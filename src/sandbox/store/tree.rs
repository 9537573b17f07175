//! `POST /sources/bulktree/{versionId}`: one source and any part of its
//! tree, upserted in one request. Each node is matched to an existing one by
//! (technical name, type) under the same parent: matched nodes are updated
//! with the fields they carry, the others created; nothing is deleted. The
//! whole tree is checked before anything is written (atomic), unless the
//! tenant is one that applies part and then refuses (`--variant
//! tree-not-atomic`). A refusal names the node's path and the field.

use serde::Serialize;
use serde_json::{Map, Value};

use super::check::{list_field, text_field};
use super::dictionary::{NodeKind, StoredNode};
use super::*;
use crate::model::source::Status;

/// The most nodes one tree may carry (the source included).
pub(crate) const MAX_NODES: usize = 250_000;

/// What a tree did, counted over every node sent, the source included.
#[derive(Debug, Default, PartialEq, Serialize)]
pub(crate) struct TreeCounts {
    pub(crate) total: u64,
    pub(crate) created: u64,
    pub(crate) updated: u64,
    pub(crate) deleted: u64,
    pub(crate) unchanged: u64,
}

impl TreeCounts {
    fn add(&mut self, written: Change) {
        self.total += 1;
        match written {
            Change::Created => self.created += 1,
            Change::Updated => self.updated += 1,
            Change::Unchanged => self.unchanged += 1,
        }
    }
}

#[derive(Clone, Copy)]
enum Change {
    Created,
    Updated,
    Unchanged,
}

/// The keys a node may carry besides its custom attributes, and the field
/// attributes only fields carry.
const NODE_KEYS: &[&str] = &[
    "name",
    "technicalName",
    "type",
    "status",
    "owners",
    "stewards",
    "tags",
    "summary",
    "description",
    "children",
];
const FIELD_KEYS: &[&str] = &[
    "columnDataType",
    "size",
    "isMandatory",
    "isPrimaryKey",
    "order",
    "technicalComments",
];
/// The values of `columnDataType`.
pub(crate) const COLUMN_DATA_TYPES: &[&str] = &[
    "VariableString",
    "FixedString",
    "String",
    "LongText",
    "Integer",
    "Decimal",
    "Numeric",
    "Boolean",
    "Date",
    "DateTime",
    "TimeStamp",
    "Binary",
];

/// Where a node sits: its parent (its id once it exists) and its path.
struct Place<'a> {
    parent_id: Option<String>,
    parent_type: &'a str,
    source_id: Option<String>,
    path: String,
    /// A node refused wherever it comes (`--refuse-node`).
    refused: Option<&'a str>,
    /// Whether a new node must carry its kind's mandatory attributes (a
    /// seed's may predate them).
    mandatory: Mandatory,
}

impl Store {
    /// Checks the tree, then writes it (or writes as it checks, on a tenant
    /// that is not atomic); the counts, or the first refusal.
    pub(crate) fn bulktree(
        &mut self,
        version_id: &str,
        body: &Value,
        (atomic, refused, mandatory): (bool, Option<&str>, Mandatory),
    ) -> Result<TreeCounts, Refusal> {
        let (source, children) = split_tree(body)?;
        let nodes = count_nodes(children);
        if nodes + 1 > MAX_NODES {
            return Err(refuse(format!(
                "the tree holds {} nodes, more than the {MAX_NODES} a request may carry",
                nodes + 1
            )));
        }
        let tree = (&source, children, (refused, mandatory));
        if atomic {
            self.walk_tree(version_id, tree, false)?;
        }
        self.walk_tree(version_id, tree, true)
    }

    /// Checks (and when `write`, applies) the source and every node below.
    fn walk_tree(
        &mut self,
        version_id: &str,
        (source, children, (refused, mandatory)): (&Value, &[Value], (Option<&str>, Mandatory)),
        write: bool,
    ) -> Result<TreeCounts, Refusal> {
        let checked = self.check_source(version_id, source)?;
        let technical = checked.source.technical_name.clone();
        let source_type = checked.source.source_type.clone();
        let existing = self
            .find_source(version_id, &technical)
            .map(|s| s.id.clone());
        let mut counts = TreeCounts::default();
        let source_id = match write {
            true => {
                let (change, id) = self.write_source(version_id, source)?;
                counts.add(change);
                Some(id)
            }
            false => existing,
        };
        let place = Place {
            parent_id: source_id.clone(),
            parent_type: &source_type,
            source_id,
            path: format!("\\{technical}"),
            refused,
            mandatory,
        };
        self.walk_children(version_id, &place, children, write, &mut counts)?;
        if !write {
            counts = TreeCounts::default();
        }
        Ok(counts)
    }

    fn walk_children(
        &mut self,
        version_id: &str,
        place: &Place<'_>,
        children: &[Value],
        write: bool,
        counts: &mut TreeCounts,
    ) -> Result<(), Refusal> {
        let mut seen: std::collections::HashSet<(String, String)> = Default::default();
        for child in children {
            let node = self.check_node(place, child)?;
            let key = (node.technical_name.clone(), node.node_type.clone());
            if !seen.insert(key.clone()) {
                return Err(refuse(format!(
                    "{}\\{}: a second {} of this technical name under one parent",
                    place.path, key.0, key.1
                )));
            }
            let path = format!("{}\\{}", place.path, node.technical_name);
            if place.refused == Some(path.as_str()) {
                return Err(refuse(format!("{path}: refused here (--refuse-node)")));
            }
            let found =
                (place.parent_id.as_deref()).and_then(|p| self.dictionary.child(p, &key.0, &key.1));
            if found.is_none() && place.mandatory == Mandatory::Checked {
                self.check_node_mandatory(&node, &path)?;
            }
            let id = match (write, found) {
                (true, found) => {
                    let (change, id) = self.write_node(version_id, place, node, child, found);
                    counts.add(change);
                    Some(id)
                }
                (false, found) => found.map(|at| self.dictionary.nodes[at].id.clone()),
            };
            let grandchildren = child.get("children").and_then(Value::as_array);
            if let Some(grandchildren) = grandchildren.filter(|g| !g.is_empty()) {
                let below = Place {
                    parent_id: id,
                    parent_type: &key.1,
                    source_id: place.source_id.clone(),
                    path,
                    refused: place.refused,
                    mandatory: place.mandatory,
                };
                self.walk_children(version_id, &below, grandchildren, write, counts)?;
            }
        }
        Ok(())
    }

    /// The source at the head of a tree, upserted: what became of it, its id.
    fn write_source(
        &mut self,
        version_id: &str,
        source: &Value,
    ) -> Result<(Change, String), Refusal> {
        let mut body = source.clone();
        body["upsert"] = Value::Bool(true);
        let technical = (source.get("technicalName").or(source.get("name")))
            .and_then(Value::as_str)
            .unwrap_or_default();
        let before = self.find_source(version_id, technical).cloned();
        let written = self.upsert(version_id, &body, Mandatory::Checked)?;
        Ok(match written {
            Written::Created(s) => (Change::Created, s.id),
            Written::Updated(s) | Written::Unchanged(s) if before.as_ref() == Some(&s) => {
                (Change::Unchanged, s.id)
            }
            Written::Updated(s) | Written::Unchanged(s) => (Change::Updated, s.id),
        })
    }

    /// A node's body checked where it sits: the node it describes.
    fn check_node(&self, place: &Place<'_>, body: &Value) -> Result<StoredNode, Refusal> {
        let Some(obj) = body.as_object() else {
            return Err(refuse(format!(
                "{}: a child must be a JSON object",
                place.path
            )));
        };
        let at = |name: &str| format!("{}\\{name}", place.path);
        let name = text_field(obj, "name")?.filter(|n| !n.trim().is_empty());
        let Some(name) = name else {
            return Err(refuse(format!("{}\\?: name: required", place.path)));
        };
        let technical_name = text_field(obj, "technicalName")?.unwrap_or_else(|| name.clone());
        let node_type = text_field(obj, "type")?.unwrap_or_default();
        let here = at(&technical_name);
        let Some(kind) = types::kind_of(&node_type) else {
            return Err(refuse(format!(
                "{here}: type '{node_type}' is not a container, structure or field type"
            )));
        };
        let accepted = types::find(place.parent_type).map_or(&[][..], |t| t.children);
        if !accepted.contains(&node_type.as_str()) {
            return Err(refuse(format!(
                "{here}: type '{node_type}' cannot be a child of a {} (it takes {})",
                place.parent_type,
                accepted.join(", ")
            )));
        }
        let has_children = obj
            .get("children")
            .and_then(Value::as_array)
            .is_some_and(|c| !c.is_empty());
        if kind == NodeKind::Field && has_children {
            return Err(refuse(format!(
                "{here}: children: a {node_type} takes none"
            )));
        }
        let node = StoredNode {
            id: String::new(),
            version_id: String::new(),
            source_id: String::new(),
            parent_id: String::new(),
            kind,
            name,
            technical_name,
            node_type,
            status: text_field(obj, "status")?,
            owners: list_field(obj, "owners")?,
            stewards: list_field(obj, "stewards")?,
            tags: list_field(obj, "tags")?,
            summary: text_field(obj, "summary")?,
            description: text_field(obj, "description")?,
            attributes: Map::new(),
        };
        self.check_node_fields(&node, obj)
            .map_err(|r| refuse(format!("{here}: {}", r.message)))?;
        let mut node = node;
        node.attributes = node_attributes(obj);
        Ok(node)
    }

    /// The common fields, the field attributes and the custom attributes
    /// of a node; a refusal's message names the field, not yet the node.
    fn check_node_fields(
        &self,
        node: &StoredNode,
        obj: &Map<String, Value>,
    ) -> Result<(), Refusal> {
        if let Some(s) = &node.status
            && Status::from_api(s).is_none()
        {
            return Err(refuse(format!(
                "status: '{s}' is not a status (expected {})",
                Status::expected()
            )));
        }
        for (key, people) in [("owners", &node.owners), ("stewards", &node.stewards)] {
            if let Some(e) = people.iter().find(|e| self.user_email(e).is_none()) {
                return Err(refuse(format!("{key}: unknown user '{e}'")));
            }
        }
        if let Some(t) = node.tags.iter().find(|t| !self.tag_exists(t)) {
            return Err(refuse(format!("tags: unknown tag '{t}'")));
        }
        for (key, value) in obj.iter().filter(|(k, _)| !NODE_KEYS.contains(&k.as_str())) {
            match FIELD_KEYS.contains(&key.as_str()) {
                true if node.kind == NodeKind::Field => check_field_attribute(key, value)?,
                true => {
                    return Err(refuse(format!("{key}: only fields carry it")));
                }
                false => self.check_node_attribute(node.kind, key, value)?,
            }
        }
        Ok(())
    }

    /// A custom attribute of the node's kind.
    fn check_node_attribute(
        &self,
        kind: NodeKind,
        key: &str,
        value: &Value,
    ) -> Result<(), Refusal> {
        let defs = &self.dictionary.attributes;
        let Some(def) = defs.iter().find(|d| d.kind == Some(kind) && d.name == key) else {
            return Err(refuse(format!(
                "'{key}': unknown attribute of a {}",
                kind.data_type().to_lowercase()
            )));
        };
        self.check_value(def, key, value)
    }

    /// A new node lacking a mandatory custom attribute of its kind is refused.
    fn check_node_mandatory(&self, node: &StoredNode, path: &str) -> Result<(), Refusal> {
        let set = |name: &str| match node.attributes.get(name) {
            None | Some(Value::Null) => false,
            Some(Value::String(s)) => !s.is_empty(),
            Some(Value::Array(a)) => !a.is_empty(),
            Some(_) => true,
        };
        let defs = self.dictionary.attributes.iter();
        match defs
            .filter(|d| d.kind == Some(node.kind) && d.is_mandatory)
            .find(|d| !set(&d.name))
        {
            Some(d) => Err(refuse(format!(
                "{path}: '{}': required on a new {}",
                d.name,
                node.kind.data_type().to_lowercase()
            ))),
            None => Ok(()),
        }
    }

    /// Creates the node, or updates the one `found` with the fields its
    /// body carries: what became of it, and its id.
    fn write_node(
        &mut self,
        version_id: &str,
        place: &Place<'_>,
        mut node: StoredNode,
        body: &Value,
        found: Option<usize>,
    ) -> (Change, String) {
        let Some(at) = found else {
            node.id = new_id();
            node.version_id = version_id.to_owned();
            node.source_id = place.source_id.clone().unwrap_or_default();
            node.parent_id = place.parent_id.clone().unwrap_or_default();
            node.attributes.retain(|_, v| !v.is_null());
            let id = node.id.clone();
            self.dictionary.push(node);
            return (Change::Created, id);
        };
        let existing = &mut self.dictionary.nodes[at];
        let before = existing.clone();
        let has = |k: &str| body.get(k).is_some();
        existing.name = node.name;
        if has("status") {
            existing.status = node.status;
        }
        for (key, from, to) in [
            ("owners", node.owners, &mut existing.owners),
            ("stewards", node.stewards, &mut existing.stewards),
            ("tags", node.tags, &mut existing.tags),
        ] {
            if has(key) {
                *to = from;
            }
        }
        if has("summary") {
            existing.summary = node.summary;
        }
        if has("description") {
            existing.description = node.description;
        }
        for (key, value) in node.attributes {
            match value {
                Value::Null => existing.attributes.remove(&key),
                value => existing.attributes.insert(key, value),
            };
        }
        let change = match *existing == before {
            true => Change::Unchanged,
            false => Change::Updated,
        };
        (change, existing.id.clone())
    }
}

/// The source's fields and its mandatory, non-empty `children`.
fn split_tree(body: &Value) -> Result<(Value, &[Value]), Refusal> {
    let Some(obj) = body.as_object() else {
        return Err(refuse(
            "the body must be a JSON object: one source with its children",
        ));
    };
    let children = obj.get("children").and_then(Value::as_array);
    let Some(children) = children.filter(|c| !c.is_empty()) else {
        return Err(refuse(
            "children: required, and not empty (a source alone goes through POST /sources)",
        ));
    };
    let mut source = obj.clone();
    source.remove("children");
    Ok((Value::Object(source), children))
}

fn count_nodes(children: &[Value]) -> usize {
    children
        .iter()
        .map(|c| {
            1 + c
                .get("children")
                .and_then(Value::as_array)
                .map_or(0, |g| count_nodes(g))
        })
        .sum()
}

/// A field attribute's value, as the contract types it.
fn check_field_attribute(key: &str, value: &Value) -> Result<(), Refusal> {
    let fits = match key {
        "columnDataType" => value
            .as_str()
            .is_some_and(|t| COLUMN_DATA_TYPES.contains(&t)),
        "size" | "order" => value.is_number(),
        "isMandatory" | "isPrimaryKey" => value.is_boolean(),
        _ => value.is_string(),
    };
    match fits || value.is_null() {
        true => Ok(()),
        false if key == "columnDataType" => Err(refuse(format!(
            "columnDataType: {value} is not one of {}",
            COLUMN_DATA_TYPES.join(", ")
        ))),
        false => Err(refuse(format!("{key}: {value} is not of its type"))),
    }
}

/// What a node keeps besides its common fields: the field attributes and
/// the custom ones.
fn node_attributes(obj: &Map<String, Value>) -> Map<String, Value> {
    obj.iter()
        .filter(|(k, _)| !NODE_KEYS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}
