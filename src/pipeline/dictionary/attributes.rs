//! A node's attributes, by their API keys, kept compact for a million
//! fields: a sorted slice whose keys are the contract's own (`ATTRIBUTES`)
//! or a custom attribute's display name held once for the whole run
//! (`key`), never a string per node, and not a map each (a `BTreeMap`'s
//! first node is sized for eleven entries: 600 bytes for a field's three).

use std::collections::{BTreeMap, HashSet};
use std::sync::{Mutex, OnceLock};

use serde_json::Value;

use crate::pipeline::dictionary::columns::ATTRIBUTES;

/// What a row or a listing says of one object.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Attributes(Box<[(&'static str, Value)]>);

impl Attributes {
    pub fn get(&self, key: &str) -> Option<&Value> {
        let at = self.0.binary_search_by(|(k, _)| (*k).cmp(key)).ok()?;
        Some(&self.0[at].1)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(k, v)| (*k, v))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// As a map, for tests and comparisons.
    pub fn to_map(&self) -> BTreeMap<String, Value> {
        self.iter()
            .map(|(k, v)| (k.to_owned(), v.clone()))
            .collect()
    }
}

impl From<BTreeMap<String, Value>> for Attributes {
    fn from(map: BTreeMap<String, Value>) -> Attributes {
        // A map's keys come sorted: the slice is too.
        let entries = map.into_iter().map(|(name, value)| (key(&name), value));
        Attributes(entries.collect())
    }
}

/// An attribute's key held for the run: the contract's own, or a custom
/// attribute's display name, kept once however many nodes carry it (the
/// names are the tenant's definitions: a few dozen).
pub fn key(name: &str) -> &'static str {
    if let Some((k, _)) = ATTRIBUTES.iter().find(|(k, _)| *k == name) {
        return k;
    }
    static NAMES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let names = NAMES.get_or_init(Default::default);
    let mut names = names.lock().unwrap_or_else(|e| e.into_inner());
    match names.get(name) {
        Some(k) => k,
        None => {
            let k: &'static str = Box::leak(name.to_owned().into_boxed_str());
            names.insert(k);
            k
        }
    }
}

impl std::ops::Index<&str> for Attributes {
    type Output = Value;

    fn index(&self, key: &str) -> &Value {
        self.get(key)
            .unwrap_or_else(|| panic!("no attribute '{key}'"))
    }
}

impl<'a> IntoIterator for &'a Attributes {
    type Item = (&'a str, &'a Value);
    type IntoIter = Box<dyn Iterator<Item = (&'a str, &'a Value)> + 'a>;

    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_read_back_as_the_map_they_were_made_of_each_key_held_once_for_the_run() {
        let map: BTreeMap<String, Value> = [
            ("size".to_owned(), Value::from(40)),
            ("columnDataType".to_owned(), Value::from("VariableString")),
            ("Data Domain".to_owned(), Value::from("Finance")),
        ]
        .into();
        let attributes = Attributes::from(map.clone());
        assert_eq!(attributes.to_map(), map);
        assert_eq!(attributes["size"], 40);
        assert_eq!(attributes.get("Data Domain"), Some(&Value::from("Finance")));
        assert_eq!(attributes.get("order"), None);
        let contract = ATTRIBUTES
            .iter()
            .find(|(k, _)| *k == "columnDataType")
            .unwrap()
            .0;
        assert!(
            std::ptr::eq(attributes.0[1].0, contract),
            "the contract's own key"
        );
        assert!(
            std::ptr::eq(key("Data Domain"), key(&String::from("Data Domain"))),
            "held once"
        );
        let keys: Vec<&str> = attributes.iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            ["Data Domain", "columnDataType", "size"],
            "sorted as the map was"
        );
    }
}
