//! The tree a dictionary file describes, gathered row by row in file order:
//! each row's object with the parents its path implies (created with their
//! name and type when no row describes them), the same typed path twice
//! refused on the second row naming the first (a table and a view may share
//! a name: the key is the pair of technical name and type under one
//! parent), and a sibling whose technical name matches another's only in
//! case or Unicode form warned, naming it (Snowflake upper-cases names).
//!
//! Kept compact for a million fields: a node is its parent's place, its
//! names, an interned type and the row that describes it.

use std::collections::BTreeMap;
use std::hash::BuildHasher;

use hashbrown::HashTable;

use crate::model::key::folded_name;
use crate::pipeline::dictionary::attributes::Attributes;
use crate::pipeline::dictionary::columns::Level;
use crate::pipeline::dictionary::rows::{NodeRow, Step};

/// A place in the tree.
pub type At = u32;

/// One object of the tree.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// Its parent's place (`None` for a source).
    pub parent: Option<At>,
    pub level: Level,
    pub name: Box<str>,
    pub technical_name: Box<str>,
    /// An index into `Tree::types`.
    pub node_type: u16,
    /// The row that describes it; `None` while it is only implied.
    pub row: Option<u64>,
    /// What its row says of it.
    pub attributes: Attributes,
}

/// Why a row's object does not enter the tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refused {
    /// An earlier row describes the same object.
    Duplicate { path: String, first_row: u64 },
    /// A parent given without its type (DataGalaxy's format with the
    /// object's own type) that no earlier row describes.
    UnknownParent { path: String },
    /// A parent given without its type that names two objects (a table and
    /// a view of one name).
    AmbiguousParent { path: String },
}

/// What entered: the row's place, and a warning for a near-duplicate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placed {
    pub at: At,
    /// `Some(path)`: an object whose technical name matches that of one this
    /// row made (its own, or a parent it implies) but for case or Unicode form.
    pub nearly: Option<String>,
}

/// The tree of a file.
#[derive(Debug, Default)]
pub struct Tree {
    pub nodes: Vec<Node>,
    pub types: Vec<Box<str>>,
    /// The places, by (parent, technical name, type). The indexes hold
    /// places only, their keys read from the nodes: a million fields'
    /// names are not copied three times.
    by_key: HashTable<At>,
    /// The first place of each (parent, folded technical name, type).
    folded: HashTable<At>,
    /// Each (parent, technical name) whatever its type, and whether two
    /// types share it: for parents given without their type.
    by_name: HashTable<(At, bool)>,
    hasher: std::hash::RandomState,
    /// The ids a listing gave, by place: spans of `id_text` (a million
    /// fields' ids in one string, not a million of them).
    id_spans: Vec<(u32, u32)>,
    id_text: String,
}

impl Tree {
    fn type_of(&mut self, name: &str) -> u16 {
        match self.types.iter().position(|t| &**t == name) {
            Some(at) => at as u16,
            None => {
                self.types.push(name.into());
                (self.types.len() - 1) as u16
            }
        }
    }

    /// The path of a place, `\source\schema\table`, for messages.
    pub fn path(&self, at: At) -> String {
        let mut names = Vec::new();
        let mut here = Some(at);
        while let Some(place) = here {
            let node = &self.nodes[place as usize];
            names.push(&*node.technical_name);
            here = node.parent;
        }
        names.reverse();
        format!("\\{}", names.join("\\"))
    }

    /// The (technical name, type) of each object from the source down to `at`.
    pub fn key_path(&self, at: At) -> Vec<(&str, &str)> {
        let mut keys = Vec::new();
        let mut here = Some(at);
        while let Some(place) = here {
            let node = &self.nodes[place as usize];
            keys.push((&*node.technical_name, &*self.types[node.node_type as usize]));
            here = node.parent;
        }
        keys.reverse();
        keys
    }

    /// The object of this key path, if the tree holds it.
    pub fn find(&self, keys: &[(&str, &str)]) -> Option<At> {
        let mut parent = None;
        for (technical_name, node_type) in keys {
            let node_type = self.types.iter().position(|t| &**t == *node_type)? as u16;
            parent = Some(self.keyed(parent, technical_name, node_type)?);
        }
        parent
    }

    /// The place of (parent, technical name, type), if any.
    fn keyed(&self, parent: Option<At>, technical_name: &str, node_type: u16) -> Option<At> {
        let hash = self.hasher.hash_one((parent, technical_name, node_type));
        let nodes = &self.nodes;
        let same = |at: &At| {
            let n = &nodes[*at as usize];
            n.parent == parent && n.node_type == node_type && &*n.technical_name == technical_name
        };
        self.by_key.find(hash, same).copied()
    }

    /// Notes the id the tenant gave the object at `at`.
    pub fn set_id(&mut self, at: At, id: &str) {
        let at = at as usize;
        if self.id_spans.len() <= at {
            self.id_spans.resize(at + 1, (0, 0));
        }
        let start = self.id_text.len() as u32;
        self.id_text.push_str(id);
        self.id_spans[at] = (start, id.len() as u32);
    }

    /// The id the tenant gave the object at `at`, if listed.
    pub fn id(&self, at: At) -> Option<&str> {
        let &(start, len) = self.id_spans.get(at as usize)?;
        let (start, len) = (start as usize, len as usize);
        (len > 0).then(|| &self.id_text[start..start + len])
    }

    /// Each row's place, by row (rows ascending).
    pub fn rows(&self) -> Vec<(u64, At)> {
        let mut rows: Vec<(u64, At)> = (self.nodes.iter().enumerate())
            .filter_map(|(at, node)| Some((node.row?, at as At)))
            .collect();
        rows.sort_unstable();
        rows
    }

    /// How many objects of each level the tree holds.
    pub fn counts(&self) -> BTreeMap<Level, usize> {
        let mut counts = BTreeMap::new();
        for node in &self.nodes {
            *counts.entry(node.level).or_default() += 1;
        }
        counts
    }

    /// Adds the object `row` describes, with the parents its path implies.
    pub fn add(&mut self, row: u64, node: NodeRow) -> Result<Placed, Refused> {
        let last = node.path.len().saturating_sub(1);
        let mut parent: Option<At> = None;
        let mut nearly = None;
        for (depth, step) in node.path.iter().enumerate() {
            if step.node_type.is_empty() && depth < last {
                parent = Some(self.named(parent, step)?);
                continue;
            }
            let (at, new) = self.place(parent, step);
            if new && nearly.is_none() {
                nearly = self.nearly(parent, at);
            }
            if depth == last {
                let described = self.nodes[at as usize].row;
                if let Some(first_row) = described {
                    let path = self.path(at);
                    return Err(Refused::Duplicate { path, first_row });
                }
                let this = &mut self.nodes[at as usize];
                this.row = Some(row);
                this.name = step.name.as_str().into();
                this.attributes = Attributes::from(node.attributes);
                return Ok(Placed { at, nearly });
            }
            parent = Some(at);
        }
        unreachable!("a row's path holds at least its source")
    }

    /// The object at `at` no longer described by its row (refused after
    /// all): only implied, as its children's paths name it.
    pub(crate) fn unclaim(&mut self, at: At) {
        let node = &mut self.nodes[at as usize];
        node.row = None;
        node.attributes = Attributes::default();
    }

    /// The object an untyped step of a path names: one an earlier row made.
    fn named(&self, parent: Option<At>, step: &Step) -> Result<At, Refused> {
        let name = step.technical_name.as_str();
        let above = parent.map_or_else(String::new, |p| self.path(p));
        let path = format!("{above}\\{name}");
        let hash = self.hasher.hash_one((parent, name));
        let nodes = &self.nodes;
        let same = |(at, _): &(At, bool)| {
            let n = &nodes[*at as usize];
            n.parent == parent && &*n.technical_name == name
        };
        match self.by_name.find(hash, same) {
            Some((_, true)) => Err(Refused::AmbiguousParent { path }),
            Some((at, false)) => Ok(*at),
            None => Err(Refused::UnknownParent { path }),
        }
    }

    /// The place of `step` under `parent`, made (implied) when new.
    fn place(&mut self, parent: Option<At>, step: &Step) -> (At, bool) {
        let node_type = self.type_of(&step.node_type);
        let name = step.technical_name.as_str();
        if let Some(at) = self.keyed(parent, name, node_type) {
            return (at, false);
        }
        let at = self.nodes.len() as At;
        self.nodes.push(Node {
            parent,
            level: step.level,
            name: step.name.as_str().into(),
            technical_name: name.into(),
            node_type,
            row: None,
            attributes: Attributes::default(),
        });
        let Tree {
            nodes,
            by_key,
            by_name,
            hasher,
            ..
        } = self;
        let key_of = |at: &At| {
            let n = &nodes[*at as usize];
            hasher.hash_one((n.parent, &*n.technical_name, n.node_type))
        };
        by_key.insert_unique(key_of(&at), at, key_of);
        let name_of = |(at, _): &(At, bool)| {
            let n = &nodes[*at as usize];
            hasher.hash_one((n.parent, &*n.technical_name))
        };
        let hash = hasher.hash_one((parent, name));
        let same = |(other, _): &(At, bool)| {
            let n = &nodes[*other as usize];
            n.parent == parent && &*n.technical_name == name
        };
        match by_name.find_mut(hash, same) {
            Some(entry) => entry.1 = true,
            None => {
                by_name.insert_unique(hash, (at, false), name_of);
            }
        }
        (at, true)
    }

    /// A sibling of the new node `at` whose technical name folds alike.
    fn nearly(&mut self, parent: Option<At>, at: At) -> Option<String> {
        let Tree {
            nodes,
            folded,
            hasher,
            ..
        } = self;
        let node = &nodes[at as usize];
        let fold = folded_name(&node.technical_name);
        let node_type = node.node_type;
        let hash = hasher.hash_one((parent, fold.as_str(), node_type));
        let same = |other: &At| {
            let n = &nodes[*other as usize];
            n.parent == parent && n.node_type == node_type && folded_name(&n.technical_name) == fold
        };
        match folded.find(hash, same).copied() {
            Some(other) if other != at => Some(self.path(other)),
            Some(_) => None,
            None => {
                let fold_of = |other: &At| {
                    let n = &nodes[*other as usize];
                    let f = folded_name(&n.technical_name);
                    hasher.hash_one((n.parent, f.as_str(), n.node_type))
                };
                folded.insert_unique(hash, at, fold_of);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::dictionary::rows::{Layout, Options};

    fn tree_of(header: &str, rows: &[&str]) -> (Tree, Vec<Result<Placed, Refused>>) {
        let header: Vec<String> = header.split(',').map(str::to_owned).collect();
        let layout = Layout::of(&header);
        let mut tree = Tree::default();
        let placed = rows
            .iter()
            .enumerate()
            .map(|(i, line)| {
                let cells: Vec<String> = line.split(',').map(str::to_owned).collect();
                let row = layout.read(&cells, &Options::default()).unwrap().unwrap();
                tree.add(i as u64 + 2, row)
            })
            .collect();
        (tree, placed)
    }

    #[test]
    fn parents_are_implied_a_described_parent_takes_its_row_and_a_second_row_is_refused() {
        let (tree, placed) = tree_of(
            "source,schema,table,table type,column,description",
            &[
                "dwh,sales,orders,Table,id,",
                "dwh,sales,orders,Table,,Orders of the day",
                "dwh,sales,orders,View,id,a view of one name",
                "dwh,sales,orders,Table,id,again",
            ],
        );
        assert!(placed[..3].iter().all(Result::is_ok), "{placed:?}");
        assert_eq!(
            placed[3],
            Err(Refused::Duplicate {
                path: "\\dwh\\sales\\orders\\id".into(),
                first_row: 2
            })
        );
        let counts = tree.counts();
        assert_eq!(counts[&Level::Structure], 2, "a table and a view");
        assert_eq!(counts[&Level::Field], 2);
        let table = &tree.nodes[placed[1].as_ref().unwrap().at as usize];
        assert_eq!(table.row, Some(3));
        assert_eq!(table.attributes["description"], "Orders of the day");
        let source = &tree.nodes[0];
        assert_eq!((source.row, source.level), (None, Level::Source), "implied");
    }

    #[test]
    fn a_sibling_named_alike_but_for_case_is_warned_naming_the_other() {
        let (_, placed) = tree_of(
            "source,schema,table,column",
            &[
                "dwh,sales,orders,ID",
                "dwh,sales,orders,id",
                "dwh,SALES,orders,x",
            ],
        );
        assert_eq!(placed[0].as_ref().unwrap().nearly, None);
        let nearly = placed[1].as_ref().unwrap().nearly.clone();
        assert_eq!(nearly.as_deref(), Some("\\dwh\\sales\\orders\\ID"));
        let schema = placed[2].as_ref().unwrap().nearly.clone();
        assert_eq!(
            schema.as_deref(),
            Some("\\dwh\\sales"),
            "a parent it implies, too"
        );
    }

    /// The tree of a real PostgreSQL export of the fixtures.
    fn postgresql(fixture: &str) -> Tree {
        let path = format!(
            "{}/tests/fixtures/dictionary/{fixture}",
            env!("CARGO_MANIFEST_DIR")
        );
        let mut reader = csv::Reader::from_path(path).unwrap();
        let header: Vec<String> = reader
            .headers()
            .unwrap()
            .iter()
            .map(str::to_owned)
            .collect();
        let layout = Layout::of(&header);
        let mut tree = Tree::default();
        for (i, record) in reader.records().enumerate() {
            let cells: Vec<String> = record.unwrap().iter().map(str::to_owned).collect();
            if let Some(row) = layout.read(&cells, &Options::default()).unwrap() {
                tree.add(i as u64 + 2, row).unwrap();
            }
        }
        tree
    }

    #[test]
    fn a_real_postgresql_export_gathers_into_one_tree_of_its_objects() {
        let tree = postgresql("postgresql-15-columns.csv");
        let counts = tree.counts();
        let expected = [
            (Level::Source, 1),
            (Level::Container, 2),
            (Level::Structure, 7),
            (Level::Field, 46),
        ];
        assert_eq!(counts, BTreeMap::from(expected));
        assert_eq!(
            tree.nodes.iter().filter(|n| n.row.is_some()).count(),
            46,
            "only fields have rows"
        );
        let types: Vec<&str> = tree.types.iter().map(|t| &**t).collect();
        assert_eq!(types, ["Relational", "Model", "Table", "Column"]);
    }

    /// The tree of the real PostgreSQL export, written again in DataGalaxy's
    /// format (one row per object, the source's too, parents first; every
    /// other row with its own type only) and read back: the same tree.
    #[test]
    fn the_same_dictionary_in_datagalaxys_path_and_type_format_gives_the_same_tree() {
        let flat = postgresql("postgresql-15-columns-with-keys.csv");
        let keys = [
            "description",
            "columnDataType",
            "size",
            "isMandatory",
            "isPrimaryKey",
            "order",
            "technicalComments",
        ];
        let columns = [
            "Path",
            "Type",
            "Name",
            "Description",
            "Data type",
            "Size",
            "Mandatory",
            "Primary key",
            "Order",
            "Technical comments",
        ];
        let header: Vec<String> = columns.map(String::from).to_vec();
        let dg = Layout::of(&header);
        let mut again = Tree::default();
        for (at, node) in flat.nodes.iter().enumerate() {
            let mut chain = vec![at as At];
            while let Some(up) = flat.nodes[*chain.last().unwrap() as usize].parent {
                chain.push(up);
            }
            chain.reverse();
            let types: Vec<&str> = chain
                .iter()
                .map(|&c| &*flat.types[flat.nodes[c as usize].node_type as usize])
                .collect();
            let typed = match at % 2 {
                0 => format!("\\{}", types.join("\\")),
                _ => types.last().unwrap().to_string(),
            };
            let text = |v: Option<&serde_json::Value>| match v {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => String::new(),
            };
            let mut cells = vec![flat.path(at as At), typed, node.name.to_string()];
            cells.extend(keys.iter().map(|k| text(node.attributes.get(k))));
            again
                .add(at as u64 + 2, dg.read_path_type(&cells).unwrap())
                .unwrap();
        }
        assert_eq!(again.counts(), flat.counts());
        for (at, node) in flat.nodes.iter().enumerate() {
            let twin = &again.nodes[at];
            assert_eq!(again.path(at as At), flat.path(at as At));
            assert_eq!(
                again.types[twin.node_type as usize],
                flat.types[node.node_type as usize]
            );
            assert_eq!((twin.level, &twin.name), (node.level, &node.name));
            assert_eq!(twin.attributes, node.attributes, "{}", flat.path(at as At));
        }
    }

    #[test]
    fn a_parent_given_without_its_type_is_the_one_an_earlier_row_describes() {
        let header: Vec<String> = ["Path", "Type"].map(String::from).to_vec();
        let dg = Layout::of(&header);
        let row =
            |path: &str, t: &str| dg.read_path_type(&[path.to_owned(), t.to_owned()]).unwrap();
        let mut tree = Tree::default();
        tree.add(2, row("\\crm\\sales\\orders", "\\Relational\\Model\\Table"))
            .unwrap();
        tree.add(3, row("crm\\sales\\orders\\id", "Column"))
            .unwrap();
        assert_eq!(tree.counts()[&Level::Field], 1);
        assert_eq!(
            tree.add(4, row("\\crm\\hr\\staff", "Table")),
            Err(Refused::UnknownParent {
                path: "\\crm\\hr".into()
            })
        );
        tree.add(5, row("\\crm\\sales\\orders", "\\Relational\\Model\\View"))
            .unwrap();
        assert_eq!(
            tree.add(6, row("\\crm\\sales\\orders\\total", "Column")),
            Err(Refused::AmbiguousParent {
                path: "\\crm\\sales\\orders".into()
            })
        );
        let bad = dg.read_path_type(&["\\crm\\sales".to_owned(), "\\Relational".to_owned()]);
        assert!(
            bad.unwrap_err()[0]
                .message
                .contains("1 types for the 2 elements")
        );
    }
}
