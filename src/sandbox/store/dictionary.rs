//! The sandbox's dictionary, as the contract's section "The dictionary"
//! describes it: containers, structures and fields under the sources, each
//! with its parent, name, technical name and type, and the custom
//! attributes of each kind. The types and the children each accepts are
//! `types.rs`'s, the trees that write it `tree.rs`'s. Indexed by id, by
//! parent and by (parent, technical name, type), so that a million fields
//! list a page of 5,000 in well under a second.

use std::cell::{Ref, RefCell};
use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The three kinds of object under a source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum NodeKind {
    Container,
    Structure,
    Field,
}

impl NodeKind {
    pub(crate) const ALL: [NodeKind; 3] =
        [NodeKind::Container, NodeKind::Structure, NodeKind::Field];

    /// `Container`, as `dataType` says it.
    pub(crate) fn data_type(self) -> &'static str {
        match self {
            NodeKind::Container => "Container",
            NodeKind::Structure => "Structure",
            NodeKind::Field => "Field",
        }
    }

    /// `containers`, as the routes say it.
    pub(crate) fn plural(self) -> &'static str {
        match self {
            NodeKind::Container => "containers",
            NodeKind::Structure => "structures",
            NodeKind::Field => "fields",
        }
    }

    /// The kind of a `dataType` query value, any case.
    pub(crate) fn of_data_type(text: &str) -> Option<NodeKind> {
        NodeKind::ALL
            .into_iter()
            .find(|k| k.data_type().eq_ignore_ascii_case(text))
    }
}

/// A container, structure or field as the sandbox keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredNode {
    pub id: String,
    pub version_id: String,
    /// The source at the root of its tree.
    pub source_id: String,
    /// Its parent's id: the source's for a top container.
    pub parent_id: String,
    pub kind: NodeKind,
    pub name: String,
    pub technical_name: String,
    #[serde(rename = "type")]
    pub node_type: String,
    pub status: Option<String>,
    pub owners: Vec<String>,
    pub stewards: Vec<String>,
    pub tags: Vec<String>,
    pub summary: Option<String>,
    pub description: Option<String>,
    /// A field's attributes (`columnDataType`, `size` ...) and the custom
    /// ones, by key.
    pub attributes: Map<String, Value>,
}

/// Every node of every version.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Dictionary {
    pub nodes: Vec<StoredNode>,
    /// The custom attributes of containers, structures and fields (each
    /// with its `kind`).
    #[serde(default)]
    pub(crate) attributes: Vec<super::AttributeDef>,
    /// What lookups go by; rebuilt when the nodes changed in number (a key
    /// never changes: a node is matched by it).
    #[serde(skip)]
    index: RefCell<NodeIndex>,
}

#[derive(Clone, Debug, Default)]
struct NodeIndex {
    /// How many nodes it was built over.
    built: usize,
    by_id: HashMap<String, usize>,
    children: HashMap<String, Vec<usize>>,
    by_key: HashMap<(String, String, String), usize>,
}

impl NodeIndex {
    fn add(&mut self, at: usize, node: &StoredNode) {
        self.by_id.insert(node.id.clone(), at);
        self.children
            .entry(node.parent_id.clone())
            .or_default()
            .push(at);
        let key = (
            node.parent_id.clone(),
            node.technical_name.clone(),
            node.node_type.clone(),
        );
        self.by_key.insert(key, at);
        self.built = at + 1;
    }
}

impl Dictionary {
    fn indexed(&self) -> Ref<'_, NodeIndex> {
        if self.index.borrow().built != self.nodes.len() {
            let mut index = NodeIndex::default();
            for (at, node) in self.nodes.iter().enumerate() {
                index.add(at, node);
            }
            *self.index.borrow_mut() = index;
        }
        self.index.borrow()
    }

    pub(crate) fn by_id(&self, id: &str) -> Option<&StoredNode> {
        let at = self.indexed().by_id.get(id).copied()?;
        Some(&self.nodes[at])
    }

    /// The child of `parent_id` with this technical name and type.
    pub(crate) fn child(
        &self,
        parent_id: &str,
        technical_name: &str,
        node_type: &str,
    ) -> Option<usize> {
        let key = (
            parent_id.to_owned(),
            technical_name.to_owned(),
            node_type.to_owned(),
        );
        self.indexed().by_key.get(&key).copied()
    }

    /// The direct children of `parent_id`, in the order they were made.
    pub(crate) fn children_of(&self, parent_id: &str) -> Vec<&StoredNode> {
        let index = self.indexed();
        let places = index.children.get(parent_id).map_or(&[][..], Vec::as_slice);
        places.iter().map(|&at| &self.nodes[at]).collect()
    }

    /// Adds a node; its place.
    pub(crate) fn push(&mut self, node: StoredNode) -> usize {
        let at = self.nodes.len();
        // Keep the index in step when it is (one more node, built over all).
        let current = self.indexed().built == at;
        if current {
            self.index.get_mut().add(at, &node);
        }
        self.nodes.push(node);
        at
    }

    /// The chain from the root's first child down to `node`, itself included.
    pub(crate) fn chain<'a>(&'a self, node: &'a StoredNode) -> Vec<&'a StoredNode> {
        let mut chain = vec![node];
        let mut parent = node.parent_id.as_str();
        while let Some(up) = self.by_id(parent) {
            chain.push(up);
            parent = up.parent_id.as_str();
        }
        chain.reverse();
        chain
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str, parent: &str, name: &str, node_type: &str) -> StoredNode {
        StoredNode {
            id: id.into(),
            version_id: "v".into(),
            source_id: "s".into(),
            parent_id: parent.into(),
            kind: super::super::types::kind_of(node_type).unwrap(),
            name: name.into(),
            technical_name: name.into(),
            node_type: node_type.into(),
            status: None,
            owners: vec![],
            stewards: vec![],
            tags: vec![],
            summary: None,
            description: None,
            attributes: Map::new(),
        }
    }

    #[test]
    fn nodes_are_found_by_id_by_parent_and_by_name_and_type_and_chain_up_to_the_source() {
        let mut d = Dictionary::default();
        d.push(node("c", "s", "dbo", "Model"));
        d.push(node("t", "c", "customers", "Table"));
        d.push(node("v", "c", "customers", "View"));
        d.push(node("f", "t", "email", "Column"));
        assert_eq!(d.child("c", "customers", "View"), Some(2));
        assert_eq!(d.child("c", "customers", "Column"), None);
        assert_eq!(d.children_of("c").len(), 2);
        let field = d.by_id("f").unwrap();
        let names: Vec<&str> = d.chain(field).iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["dbo", "customers", "email"]);
        // A state loaded from a file has no index yet: built on first use.
        let loaded: Dictionary = serde_json::from_value(serde_json::to_value(&d).unwrap()).unwrap();
        assert_eq!(loaded.child("t", "email", "Column"), Some(3));
    }
}
