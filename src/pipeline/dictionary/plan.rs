//! What a dictionary's run writes: each node of the file's tree that is new
//! or differs from the tenant's (as `check` found it), cut into pieces of
//! at most `--tree-size` such nodes, each piece sent as one bulktree with
//! the chain of its parents above it. A chain node carries its name,
//! technical name and type exactly as the tenant lists them, so that it
//! never creates nor renames anything; a parent that no row describes and
//! the tenant does not hold is created with its name and type.

use serde_json::{Map, Value, json};

use crate::model::action::Action;
use crate::pipeline::dictionary::tree::{At, Tree};

/// The most nodes a bulktree may carry, by the contract.
pub(crate) const MOST_NODES: usize = 250_000;

/// The nodes one bulktree writes by default: an answer lost costs one
/// resend of this many (about 3 MB of body); a warehouse's source of 20
/// schemas, 1,000 tables and 10,000 columns goes in one tree (the bench,
/// (l): 1,000,000 fields in 100 trees, where 5,000 took 300).
pub(crate) const TREE_SIZE: usize = 20_000;

/// The write each node of the file's tree takes (`None`: none, it is at
/// most a chain).
pub(crate) struct Plan {
    pub(crate) acts: Vec<Option<Action>>,
    children: Children,
}

/// Each node's children, in file order: all of them in one array, a node's
/// from `first[at]` to `first[at + 1]` (eight bytes a node, not a list each).
struct Children {
    first: Vec<u32>,
    all: Vec<At>,
}

impl Children {
    fn of(file: &Tree) -> Children {
        let mut first = vec![0u32; file.len() + 1];
        for parent in file.iter().filter_map(|n| n.parent()) {
            first[parent as usize + 1] += 1;
        }
        for at in 1..first.len() {
            first[at] += first[at - 1];
        }
        let mut next = first.clone();
        let mut all = vec![0; file.len().saturating_sub(1)];
        for node in file.iter() {
            if let Some(parent) = node.parent() {
                all[next[parent as usize] as usize] = node.at;
                next[parent as usize] += 1;
            }
        }
        all.truncate(first[file.len()] as usize);
        Children { first, all }
    }

    fn of_node(&self, at: At) -> &[At] {
        let at = at as usize;
        &self.all[self.first[at] as usize..self.first[at + 1] as usize]
    }
}

impl Plan {
    /// `decided` says what the row of a described node does; a node only
    /// implied is created when the tenant does not hold it and some row
    /// below it still describes an object (one whose rows were all refused
    /// is written no more than an invalid row's parents are).
    pub(crate) fn new(file: &Tree, held: &Tree, decided: impl Fn(u64) -> Option<Action>) -> Plan {
        let mut described = vec![false; file.len()];
        // A parent is placed before its children: one pass from the leaves.
        for node in file.iter().rev() {
            let at = node.at as usize;
            described[at] |= node.row().is_some();
            if let Some(parent) = node.parent() {
                debug_assert!((parent as usize) < at, "a parent before its children");
                described[parent as usize] |= described[at];
            }
        }
        let acts = (file.iter())
            .map(|node| match node.row() {
                Some(row) => decided(row),
                None if !described[node.at as usize] => None,
                None => match held.find(&file.key_path(node.at)) {
                    Some(_) => None,
                    None => Some(Action::Create),
                },
            })
            .collect();
        Plan {
            acts,
            children: Children::of(file),
        }
    }

    /// The sources of the file, in file order.
    pub(crate) fn sources<'a>(&self, file: &'a Tree) -> impl Iterator<Item = At> + 'a {
        (file.iter()).filter(|n| n.parent().is_none()).map(|n| n.at)
    }

    /// The nodes written under (and with) `source`, depth first, in pieces
    /// of at most `size`.
    pub(crate) fn pieces(&self, source: At, size: usize) -> Vec<Vec<At>> {
        let mut acted = Vec::new();
        let mut stack = vec![source];
        while let Some(at) = stack.pop() {
            if self.acts[at as usize].is_some() {
                acted.push(at);
            }
            stack.extend(self.children.of_node(at).iter().rev());
        }
        let size = size.clamp(1, MOST_NODES - 1);
        acted.chunks(size).map(<[At]>::to_vec).collect()
    }

    /// The nodes of `piece` and those below them in the file's tree that
    /// it creates (what a parent refused takes with it).
    pub(crate) fn new_below(&self, piece: &[At], at: At) -> Vec<At> {
        let mut below = Vec::new();
        let mut stack = self.children.of_node(at).to_vec();
        while let Some(here) = stack.pop() {
            if self.acts[here as usize] == Some(Action::Create) && piece.contains(&here) {
                below.push(here);
            }
            stack.extend(self.children.of_node(here));
        }
        below
    }
}

/// One bulktree: its body, the nodes it carries and the creates it plans.
/// A body without `children` is a source alone, which no bulktree takes.
pub(crate) struct Body {
    pub(crate) json: Value,
    pub(crate) nodes: usize,
    pub(crate) creates: usize,
}

/// The bulktree that writes `piece` (nodes of one source), with its chains.
pub(crate) fn body(file: &Tree, held: &Tree, plan: &Plan, piece: &[At]) -> Body {
    let mut carried = vec![false; file.len()];
    let mut creates = 0;
    for &at in piece {
        creates += usize::from(plan.acts[at as usize] == Some(Action::Create));
        let mut here = Some(at);
        while let Some(place) = here.filter(|p| !carried[*p as usize]) {
            carried[place as usize] = true;
            here = file.node(place).parent();
        }
    }
    let nodes = carried.iter().filter(|c| **c).count();
    let in_piece: std::collections::HashSet<At> = piece.iter().copied().collect();
    let mut root = piece[0];
    while let Some(parent) = file.node(root).parent() {
        root = parent;
    }
    let writer = Writer {
        file,
        held,
        plan,
        carried: &carried,
        in_piece: &in_piece,
    };
    let mut json = writer.node(root);
    let mut nodes = nodes;
    if json.get("children").is_none() {
        // A source written alone: the contract wants children; one the
        // tenant lists, sent as a chain, changes nothing.
        if let Some(child) = listed_child(file, held, root) {
            json["children"] = json!([child]);
            nodes += 1;
        }
    }
    Body {
        json,
        nodes,
        creates,
    }
}

/// A child the tenant lists under the source at `root`, as a chain node.
fn listed_child(file: &Tree, held: &Tree, root: At) -> Option<Value> {
    let source = held.find(&file.key_path(root))?;
    let child = held.iter().find(|n| n.parent() == Some(source))?;
    Some(json!({
        "name": child.name(),
        "technicalName": child.technical_name(),
        "type": child.type_name(),
    }))
}

struct Writer<'a> {
    file: &'a Tree,
    held: &'a Tree,
    plan: &'a Plan,
    carried: &'a [bool],
    in_piece: &'a std::collections::HashSet<At>,
}

impl Writer<'_> {
    fn node(&self, at: At) -> Value {
        let node = self.file.node(at);
        let keys = self.file.key_path(at);
        let listed = self.held.find(&keys).map(|h| self.held.node(h));
        let name = listed.map_or(node.name(), |l| l.name());
        let acts = self.in_piece.contains(&at) && self.plan.acts[at as usize].is_some();
        let mut obj = Map::new();
        obj.insert("name".into(), json!(if acts { node.name() } else { name }));
        obj.insert("technicalName".into(), json!(node.technical_name()));
        obj.insert("type".into(), json!(node.type_name()));
        if acts {
            for (key, value) in node.attributes() {
                obj.insert(key.to_owned(), value.clone());
            }
        }
        let children: Vec<Value> = (self.plan.children.of_node(at).iter())
            .filter(|c| self.carried[**c as usize])
            .map(|c| self.node(*c))
            .collect();
        if !children.is_empty() {
            obj.insert("children".into(), Value::Array(children));
        }
        Value::Object(obj)
    }
}

/// `other`, a bulktree of the same source, merged into `into`: a node both
/// carry (the same technical name and type under the same parent) once,
/// with what each says of it; the nodes `into` now carries.
pub(crate) fn merge(into: &mut Value, other: &Value) -> usize {
    let same = |a: &Value, b: &Value| {
        a.get("technicalName") == b.get("technicalName") && a.get("type") == b.get("type")
    };
    if let (Some(mine), Some(theirs)) = (into.as_object_mut(), other.as_object()) {
        for (k, v) in theirs.iter().filter(|(k, _)| *k != "children") {
            mine.entry(k.as_str()).or_insert_with(|| v.clone());
        }
    }
    let theirs = other.get("children").and_then(Value::as_array);
    for child in theirs.into_iter().flatten() {
        let children = into
            .as_object_mut()
            .map(|o| o.entry("children").or_insert_with(|| json!([])));
        let Some(Value::Array(children)) = children else {
            continue;
        };
        match children.iter_mut().find(|c| same(c, child)) {
            Some(same) => {
                merge(same, child);
            }
            None => children.push(child.clone()),
        }
    }
    nodes_in(into)
}

/// The nodes a bulktree carries, its root's included.
pub(crate) fn nodes_in(tree: &Value) -> usize {
    let children = tree.get("children").and_then(Value::as_array);
    1 + children.into_iter().flatten().map(nodes_in).sum::<usize>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_trees_of_one_source_merge_into_one_carrying_each_node_once() {
        let mut edit = json!({"name": "dwh", "technicalName": "dwh", "type": "Relational",
            "children": [{"name": "sales", "technicalName": "sales", "type": "Model",
                "children": [{"name": "orders", "technicalName": "orders", "type": "Table",
                    "children": [{"technicalName": "id", "name": "id", "type": "Column",
                        "description": "edited"}]}]}]});
        let retire = json!({"name": "dwh", "technicalName": "dwh", "type": "Relational",
            "children": [{"name": "sales", "technicalName": "sales", "type": "Model",
                "children": [
                    {"name": "orders", "technicalName": "orders", "type": "View",
                        "status": "Obsolete"},
                    {"name": "orders", "technicalName": "orders", "type": "Table",
                        "children": [{"technicalName": "gone", "name": "gone",
                            "type": "Column", "status": "Obsolete"}]}]}]});
        assert_eq!(
            merge(&mut edit, &retire),
            6,
            "source, schema, table, view, two columns"
        );
        assert_eq!(nodes_in(&edit), 6);
        let tables = &edit["children"][0]["children"];
        assert_eq!(
            tables.as_array().unwrap().len(),
            2,
            "the table once, the view beside it"
        );
        let columns = tables[0]["children"].as_array().unwrap();
        let said: Vec<(&str, Option<&str>, Option<&str>)> = (columns.iter())
            .map(|c| {
                let text = |k: &str| c.get(k).and_then(Value::as_str);
                (
                    text("technicalName").unwrap(),
                    text("description"),
                    text("status"),
                )
            })
            .collect();
        assert_eq!(
            said,
            [
                ("id", Some("edited"), None),
                ("gone", None, Some("Obsolete"))
            ]
        );
        assert_eq!(tables[1]["status"], "Obsolete");
    }
}
