//! The dictionary as a table a person edits and `run` reads back: one row
//! per field, with a row for each container and structure that carries
//! attributes of its own (`flat`), or one row per object in DataGalaxy's
//! own `Path`/`Type` format (`datagalaxy`), the custom attributes of its
//! kinds in a column each, by display name. Sorted by path, a table's
//! fields in their order.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::pipeline::attributes::{self, Format as Typed};
use crate::pipeline::dictionary::columns::{ATTRIBUTES, Level};
use crate::pipeline::dictionary::tree::{At, Node, Tree};

/// The shape of a dictionary export.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// One row per field, a column per level (as a data dictionary has it).
    Flat,
    /// The format of DataGalaxy itself: one row per object, by Path and Type.
    Datagalaxy,
}

/// A table's header and rows.
pub(crate) struct Table {
    pub(crate) headers: Vec<String>,
    pub(crate) rows: Vec<Vec<String>>,
}

/// The sources that hold a dictionary (the others are not written).
pub(crate) fn parents(tree: &Tree) -> std::collections::HashSet<At> {
    tree.iter().filter_map(|n| n.parent()).collect()
}

/// How cells are written: the list separator, and the custom attributes
/// (display name and format) each given a column.
pub(crate) struct Cells<'a> {
    pub(crate) separator: char,
    pub(crate) custom: &'a [(String, Typed)],
}

/// The tree as a table of `format`.
pub(crate) fn table(tree: &Tree, format: Format, cells: &Cells<'_>) -> anyhow::Result<Table> {
    let parents = parents(tree);
    let mut order: Vec<At> = (tree.iter())
        .filter(|n| n.level() != Level::Source || parents.contains(&n.at))
        .map(|n| n.at)
        .collect();
    let key = |at: &At| sort_key(tree, *at);
    order.sort_by_cached_key(key);
    let mut headers = match format {
        Format::Flat => flat_headers(),
        Format::Datagalaxy => ["Path", "Type", "Name"]
            .into_iter()
            .map(String::from)
            .chain(ATTRIBUTES.iter().map(|(_, h)| capitalised(h)))
            .collect(),
    };
    headers.extend(cells.custom.iter().map(|(name, _)| name.clone()));
    let mut table = Table {
        headers,
        rows: vec![],
    };
    for at in order {
        let row = match format {
            Format::Datagalaxy => Some(datagalaxy_row(tree, at, cells)),
            Format::Flat => flat_row(tree, at, cells)?,
        };
        table.rows.extend(row);
    }
    Ok(table)
}

fn flat_headers() -> Vec<String> {
    let mut headers = Vec::new();
    for word in Level::ALL.map(Level::word) {
        headers.extend([
            word.to_owned(),
            format!("{word} technical name"),
            format!("{word} type"),
        ]);
    }
    headers.extend(ATTRIBUTES.iter().map(|(_, h)| (*h).to_owned()));
    headers
}

fn capitalised(header: &str) -> String {
    let mut chars = header.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

/// The chain from the source down to `at`.
fn chain(tree: &Tree, at: At) -> Vec<Node<'_>> {
    let mut chain = vec![tree.node(at)];
    while let Some(up) = chain.last().and_then(|n| n.parent()) {
        chain.push(tree.node(up));
    }
    chain.reverse();
    chain
}

/// By path (a table before a view of its name), a table's fields in their order.
fn sort_key(tree: &Tree, at: At) -> Vec<(u64, String, u16)> {
    chain(tree, at)
        .iter()
        .map(|n| {
            let order = n.attributes().get("order").and_then(Value::as_u64);
            (
                order.unwrap_or(0),
                n.technical_name().to_lowercase(),
                n.node_type(),
            )
        })
        .collect()
}

fn cell(value: Option<&Value>, separator: char) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => {
            let items: Vec<String> = items.iter().map(|i| cell(Some(i), separator)).collect();
            items.join(&separator.to_string())
        }
        Some(other) => other.to_string(),
    }
}

fn attribute_cells<'a>(node: Node<'a>, cells: &'a Cells<'_>) -> impl Iterator<Item = String> + 'a {
    let attributes = node.attributes();
    let system =
        (ATTRIBUTES.iter()).map(move |(key, _)| cell(attributes.get(key), cells.separator));
    let custom = cells.custom.iter().map(move |(name, format)| {
        (attributes.get(name))
            .and_then(|v| attributes::cell(Some(*format), v, cells.separator))
            .unwrap_or_default()
    });
    system.chain(custom)
}

fn datagalaxy_row(tree: &Tree, at: At, cells: &Cells<'_>) -> Vec<String> {
    let node = tree.node(at);
    let types: Vec<&str> = chain(tree, at).iter().map(|n| n.type_name()).collect();
    let mut row = vec![
        tree.path(at),
        format!("\\{}", types.join("\\")),
        node.name().to_owned(),
    ];
    row.extend(attribute_cells(node, cells));
    row
}

/// A field's row, or a container's or structure's that carries attributes
/// of its own; nested containers join their names with `/`.
fn flat_row(tree: &Tree, at: At, cells: &Cells<'_>) -> anyhow::Result<Option<Vec<String>>> {
    let node = tree.node(at);
    let own = node.level() == Level::Field || !node.attributes().is_empty();
    if !own || node.level() == Level::Source {
        return Ok(None);
    }
    let mut levels: BTreeMap<Level, Vec<Node<'_>>> = BTreeMap::new();
    for n in chain(tree, at) {
        levels.entry(n.level()).or_default().push(n);
    }
    if levels.get(&Level::Structure).is_some_and(|s| s.len() > 1) {
        anyhow::bail!(
            "{} lies in a structure within a structure, which one row per field cannot say: \
             export with --format datagalaxy",
            tree.path(at)
        );
    }
    let mut row = Vec::new();
    for level in Level::ALL {
        let nodes = levels.get(&level).map_or(&[][..], Vec::as_slice);
        let joined =
            |part: &dyn Fn(&Node) -> String| nodes.iter().map(part).collect::<Vec<_>>().join("/");
        row.push(joined(&|n| n.name().to_owned()));
        row.push(joined(&|n| n.technical_name().to_owned()));
        row.push(
            nodes
                .last()
                .map_or_else(String::new, |n| n.type_name().to_owned()),
        );
    }
    row.extend(attribute_cells(node, cells));
    Ok(Some(row))
}
