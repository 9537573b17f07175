//! The tree a dictionary file describes, gathered row by row in file order:
//! each row's object with the parents its path implies (created with their
//! name and type when no row describes them), the same typed path twice
//! refused on the second row naming the first (a table and a view may share
//! a name: the key is the pair of technical name and type under one
//! parent), and a sibling whose technical name matches another's only in
//! case or Unicode form warned, naming it (Snowflake upper-cases names).
//!
//! Kept compact for a million fields (32 bytes a node, and the number of
//! the row that describes it): a node is its parent's place, an interned
//! type, whether a row describes it, and spans of the tree's one text (its
//! names, held once when they are alike), of its attribute pool
//! (`attributes.rs`) and of its ids (`ids.rs`).

use std::collections::BTreeMap;
use std::hash::BuildHasher;

use hashbrown::HashTable;

use crate::model::key::folded_name;
use crate::pipeline::dictionary::attributes::{Attributes, Pool, Span};
use crate::pipeline::dictionary::columns::Level;
use crate::pipeline::dictionary::ids::Ids;
use crate::pipeline::dictionary::rows::{NodeRow, Step};

/// A place in the tree.
pub type At = u32;

/// No place: a source's parent.
const NONE: At = At::MAX;

/// Where a name lies in the tree's text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Text {
    start: u32,
    len: u32,
}

/// One object of the tree, as held: 32 bytes.
#[derive(Clone, Debug)]
struct Slot {
    parent: At,
    node_type: u16,
    level: Level,
    /// Whether a row describes it (its number in `Tree::rows`); not while
    /// it is only implied.
    described: bool,
    name: Text,
    technical_name: Text,
    attributes: Span,
}

/// One object of the tree.
#[derive(Clone, Copy)]
pub struct Node<'a> {
    pub at: At,
    tree: &'a Tree,
    slot: &'a Slot,
}

impl<'a> Node<'a> {
    /// Its parent's place (`None` for a source).
    pub fn parent(&self) -> Option<At> {
        (self.slot.parent != NONE).then_some(self.slot.parent)
    }

    pub fn level(&self) -> Level {
        self.slot.level
    }

    /// The row that describes it; `None` while it is only implied.
    pub fn row(&self) -> Option<u64> {
        let row = || self.tree.rows.get(self.at as usize).copied().unwrap_or(0);
        self.slot.described.then(row)
    }

    /// An index into `Tree::types`.
    pub fn node_type(&self) -> u16 {
        self.slot.node_type
    }

    pub fn type_name(&self) -> &'a str {
        &self.tree.types[self.slot.node_type as usize]
    }

    pub fn name(&self) -> &'a str {
        self.tree.text(self.slot.name)
    }

    pub fn technical_name(&self) -> &'a str {
        self.tree.text(self.slot.technical_name)
    }

    /// What its row says of it.
    pub fn attributes(&self) -> Attributes<'a> {
        self.tree.pool.view(self.slot.attributes)
    }
}

impl std::fmt::Debug for Node<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("at", &self.at)
            .field("path", &self.tree.path(self.at))
            .field("type", &self.type_name())
            .field("row", &self.row())
            .field("attributes", &self.attributes())
            .finish()
    }
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

/// The tree of a file, or of a listing.
#[derive(Debug, Default)]
pub struct Tree {
    slots: Vec<Slot>,
    /// The row of each place a row describes (a listing's are all 0: none
    /// is held).
    rows: Vec<u64>,
    pub types: Vec<Box<str>>,
    /// Every name of the tree, one after the other.
    text: String,
    pool: Pool,
    /// The places, by (parent, technical name, type). The indexes hold
    /// places only, their keys read from the nodes: a million fields'
    /// names are not copied three times.
    by_key: HashTable<At>,
    /// The first place of each (parent, folded technical name, type); not
    /// kept for a listing (`listed`), whose names are the tenant's.
    folded: HashTable<At>,
    listed: bool,
    /// Each (parent, technical name) whatever its type, and whether two
    /// types share it: for parents given without their type, made the
    /// first time one is (a file of one row per field never needs it).
    by_name: Option<HashTable<(At, bool)>>,
    hasher: std::hash::RandomState,
    /// The ids a listing gave, by place.
    ids: Ids,
}

/// The text of `span` in `text`.
fn str_of(text: &str, span: Text) -> &str {
    &text[span.start as usize..(span.start + span.len) as usize]
}

impl Tree {
    /// The tree a listing fills: near-duplicate names are not looked for.
    pub fn listed() -> Tree {
        Tree {
            listed: true,
            ..Tree::default()
        }
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The object at `at`.
    pub fn node(&self, at: At) -> Node<'_> {
        Node {
            at,
            tree: self,
            slot: &self.slots[at as usize],
        }
    }

    /// Every object, parents before their children.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = Node<'_>> + '_ {
        (self.slots.iter().enumerate()).map(|(at, slot)| Node {
            at: at as At,
            tree: self,
            slot,
        })
    }

    fn text(&self, span: Text) -> &str {
        str_of(&self.text, span)
    }

    fn hold(&mut self, name: &str) -> Text {
        let start = u32::try_from(self.text.len()).expect("names under 4 GB");
        self.text.push_str(name);
        Text {
            start,
            len: name.len() as u32,
        }
    }

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
        let mut names: Vec<&str> = self.key_path(at).into_iter().map(|(n, _)| n).collect();
        names.insert(0, "");
        names.join("\\")
    }

    /// The (technical name, type) of each object from the source down to `at`.
    pub fn key_path(&self, at: At) -> Vec<(&str, &str)> {
        let mut keys = Vec::new();
        let mut here = Some(at);
        while let Some(place) = here {
            let node = self.node(place);
            keys.push((node.technical_name(), node.type_name()));
            here = node.parent();
        }
        keys.reverse();
        keys
    }

    /// The object of this key path, if the tree holds it.
    pub fn find(&self, keys: &[(&str, &str)]) -> Option<At> {
        let mut parent = NONE;
        for (technical_name, node_type) in keys {
            let node_type = self.types.iter().position(|t| &**t == *node_type)? as u16;
            parent = self.keyed(parent, technical_name, node_type)?;
        }
        (parent != NONE).then_some(parent)
    }

    /// The place of (parent, technical name, type), if any.
    fn keyed(&self, parent: At, technical_name: &str, node_type: u16) -> Option<At> {
        let hash = self.hasher.hash_one((parent, technical_name, node_type));
        let same = |at: &At| {
            let s = &self.slots[*at as usize];
            s.parent == parent
                && s.node_type == node_type
                && str_of(&self.text, s.technical_name) == technical_name
        };
        self.by_key.find(hash, same).copied()
    }

    /// Notes the id the tenant gave the object at `at`.
    pub fn set_id(&mut self, at: At, id: &str) {
        self.ids.set(at, id);
    }

    /// The id the tenant gave the object at `at`, if listed.
    pub fn id(&self, at: At) -> Option<String> {
        self.ids.get(at)
    }

    /// Each row's place, by row (rows ascending).
    pub fn rows(&self) -> Vec<(u64, At)> {
        let mut rows: Vec<(u64, At)> = (self.iter())
            .filter_map(|node| Some((node.row()?, node.at)))
            .collect();
        rows.sort_unstable();
        rows
    }

    /// How many objects of each level the tree holds.
    pub fn counts(&self) -> BTreeMap<Level, usize> {
        let mut counts = BTreeMap::new();
        for slot in &self.slots {
            *counts.entry(slot.level).or_default() += 1;
        }
        counts
    }

    /// Adds the object `row` describes, with the parents its path implies,
    /// and what the row says of it.
    pub fn add(&mut self, row: u64, node: NodeRow) -> Result<Placed, Refused> {
        let placed = self.claim(row, &node.path)?;
        self.set_attributes(placed.at, node.attributes);
        Ok(placed)
    }

    /// Adds the object `row` describes, with the parents its path implies,
    /// holding nothing of what the row says of it (yet: `set_attributes`).
    pub fn claim(&mut self, row: u64, path: &[Step]) -> Result<Placed, Refused> {
        let last = path.len().saturating_sub(1);
        let mut parent = NONE;
        let mut nearly = None;
        for (depth, step) in path.iter().enumerate() {
            if step.node_type.is_empty() && depth < last {
                parent = self.named(parent, step)?;
                continue;
            }
            let (at, new) = self.place(parent, step);
            if new && nearly.is_none() && !self.listed {
                nearly = self.nearly(parent, at);
            }
            if depth == last {
                if let Some(first_row) = self.node(at).row() {
                    let path = self.path(at);
                    return Err(Refused::Duplicate { path, first_row });
                }
                let named = self.node(at).name() == step.name;
                let name = match (named, step.name == step.technical_name) {
                    (true, _) => self.slots[at as usize].name,
                    (false, true) => self.slots[at as usize].technical_name,
                    (false, false) => self.hold(&step.name),
                };
                let this = &mut self.slots[at as usize];
                this.described = true;
                this.name = name;
                if row > 0 {
                    let place = at as usize;
                    if self.rows.len() <= place {
                        self.rows.resize(place + 1, 0);
                    }
                    self.rows[place] = row;
                }
                return Ok(Placed { at, nearly });
            }
            parent = at;
        }
        unreachable!("a row's path holds at least its source")
    }

    /// Holds what a row says of the object at `at`.
    pub fn set_attributes(&mut self, at: At, attributes: BTreeMap<String, serde_json::Value>) {
        self.slots[at as usize].attributes = self.pool.store(attributes);
    }

    /// The object at `at` no longer described by its row (refused after
    /// all): only implied, as its children's paths name it.
    pub(crate) fn unclaim(&mut self, at: At) {
        let slot = &mut self.slots[at as usize];
        slot.described = false;
        slot.attributes = Span::default();
    }

    /// The object an untyped step of a path names: one an earlier row made.
    fn named(&mut self, parent: At, step: &Step) -> Result<At, Refused> {
        let name = step.technical_name.as_str();
        let above = match parent {
            NONE => String::new(),
            _ => self.path(parent),
        };
        let path = format!("{above}\\{name}");
        if self.by_name.is_none() {
            self.by_name = Some(HashTable::new());
            for at in 0..self.slots.len() as At {
                self.note_name(at);
            }
        }
        let hash = self.hasher.hash_one((parent, name));
        let same = |(at, _): &(At, bool)| {
            let s = &self.slots[*at as usize];
            s.parent == parent && str_of(&self.text, s.technical_name) == name
        };
        match self.by_name.as_ref().and_then(|b| b.find(hash, same)) {
            Some((_, true)) => Err(Refused::AmbiguousParent { path }),
            Some((at, false)) => Ok(*at),
            None => Err(Refused::UnknownParent { path }),
        }
    }

    /// The node at `at` in the index by name, when it is kept.
    fn note_name(&mut self, at: At) {
        let Tree {
            slots,
            text,
            by_name: Some(by_name),
            hasher,
            ..
        } = self
        else {
            return;
        };
        let s = &slots[at as usize];
        let (parent, name) = (s.parent, str_of(text, s.technical_name));
        let name_of = |(at, _): &(At, bool)| {
            let s = &slots[*at as usize];
            hasher.hash_one((s.parent, str_of(text, s.technical_name)))
        };
        let hash = hasher.hash_one((parent, name));
        let same = |(other, _): &(At, bool)| {
            let s = &slots[*other as usize];
            s.parent == parent && str_of(text, s.technical_name) == name
        };
        match by_name.find_mut(hash, same) {
            Some(entry) => entry.1 = true,
            None => {
                by_name.insert_unique(hash, (at, false), name_of);
            }
        }
    }

    /// The place of `step` under `parent`, made (implied) when new.
    fn place(&mut self, parent: At, step: &Step) -> (At, bool) {
        let node_type = self.type_of(&step.node_type);
        if let Some(at) = self.keyed(parent, &step.technical_name, node_type) {
            return (at, false);
        }
        let at = At::try_from(self.slots.len()).expect("fewer than 4 billion nodes");
        let technical_name = self.hold(&step.technical_name);
        let name = match step.name == step.technical_name {
            true => technical_name,
            false => self.hold(&step.name),
        };
        self.slots.push(Slot {
            parent,
            node_type,
            level: step.level,
            name,
            technical_name,
            attributes: Span::default(),
            described: false,
        });
        let Tree {
            slots,
            text,
            by_key,
            hasher,
            ..
        } = self;
        let key_of = |at: &At| {
            let s = &slots[*at as usize];
            hasher.hash_one((s.parent, str_of(text, s.technical_name), s.node_type))
        };
        by_key.insert_unique(key_of(&at), at, key_of);
        self.note_name(at);
        (at, true)
    }

    /// A sibling of the new node `at` whose technical name folds alike.
    fn nearly(&mut self, parent: At, at: At) -> Option<String> {
        let Tree {
            slots,
            text,
            folded,
            hasher,
            ..
        } = self;
        let slot = &slots[at as usize];
        let fold = folded_name(str_of(text, slot.technical_name));
        let node_type = slot.node_type;
        let hash = hasher.hash_one((parent, fold.as_str(), node_type));
        let same = |other: &At| {
            let s = &slots[*other as usize];
            s.parent == parent
                && s.node_type == node_type
                && folded_name(str_of(text, s.technical_name)) == fold
        };
        match folded.find(hash, same).copied() {
            Some(other) if other != at => Some(self.path(other)),
            Some(_) => None,
            None => {
                let fold_of = |other: &At| {
                    let s = &slots[*other as usize];
                    let f = folded_name(str_of(text, s.technical_name));
                    hasher.hash_one((s.parent, f.as_str(), s.node_type))
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
    fn a_node_is_held_in_32_bytes() {
        assert_eq!(std::mem::size_of::<Slot>(), 32);
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
        let table = tree.node(placed[1].as_ref().unwrap().at);
        assert_eq!(table.row(), Some(3));
        assert_eq!(table.attributes()["description"], "Orders of the day");
        let source = tree.node(0);
        assert_eq!(
            (source.row(), source.level()),
            (None, Level::Source),
            "implied"
        );
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
            tree.iter().filter(|n| n.row().is_some()).count(),
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
        for node in flat.iter() {
            let at = node.at as usize;
            let types: Vec<&str> = flat.key_path(node.at).into_iter().map(|(_, t)| t).collect();
            let typed = match at % 2 {
                0 => format!("\\{}", types.join("\\")),
                _ => types.last().unwrap().to_string(),
            };
            let text = |v: Option<&serde_json::Value>| match v {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => String::new(),
            };
            let mut cells = vec![flat.path(at as At), typed, node.name().to_owned()];
            cells.extend(keys.iter().map(|k| text(node.attributes().get(k))));
            again
                .add(at as u64 + 2, dg.read_path_type(&cells).unwrap())
                .unwrap();
        }
        assert_eq!(again.counts(), flat.counts());
        for node in flat.iter() {
            let twin = again.node(node.at);
            assert_eq!(again.path(node.at), flat.path(node.at));
            assert_eq!(twin.type_name(), node.type_name());
            assert_eq!((twin.level(), twin.name()), (node.level(), node.name()));
            assert_eq!(
                twin.attributes(),
                node.attributes(),
                "{}",
                flat.path(node.at)
            );
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
