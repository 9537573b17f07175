//! The attributes of a tree's nodes, by their API keys, kept compact for a
//! million fields: every node's entries in one array (a span each, not a
//! map or a slice of its own), each entry a key and a value held once per
//! tree (a dictionary's types, sizes, orders and flags repeat: a million
//! fields carry a few hundred distinct values, not three million), the
//! keys the tree has met (the contract's own and the custom attributes'
//! display names: a few dozen) named once.

use std::collections::BTreeMap;
use std::hash::BuildHasher;

use hashbrown::HashTable;
use serde_json::Value;

/// Where a node's entries lie in its tree's pool.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Span {
    start: u32,
    len: u32,
}

/// Every node's attributes of one tree.
#[derive(Debug, Default)]
pub(crate) struct Pool {
    /// Each node's entries, sorted by key name within a span: (key, value).
    entries: Vec<(u16, u32)>,
    keys: Vec<Box<str>>,
    values: Vec<Value>,
    /// The place of each value in `values`, to hold it once.
    interned: HashTable<u32>,
    hasher: std::hash::RandomState,
}

impl Pool {
    /// Holds `map` (its keys come sorted), and says where.
    pub(crate) fn store(&mut self, map: BTreeMap<String, Value>) -> Span {
        let start = self.entries.len();
        for (name, value) in map {
            let key = self.key(&name);
            let value = self.value(value);
            self.entries.push((key, value));
        }
        let fit = |n: usize| u32::try_from(n).expect("fewer than 4 billion attribute entries");
        Span {
            start: fit(start),
            len: fit(self.entries.len() - start),
        }
    }

    /// The attributes of the span `span`.
    pub(crate) fn view(&self, span: Span) -> Attributes<'_> {
        let (start, len) = (span.start as usize, span.len as usize);
        Attributes {
            entries: &self.entries[start..start + len],
            pool: self,
        }
    }

    fn key(&mut self, name: &str) -> u16 {
        match self.keys.iter().position(|k| &**k == name) {
            Some(at) => at as u16,
            None => {
                let at = u16::try_from(self.keys.len()).expect("fewer than 65,536 attributes");
                self.keys.push(name.into());
                at
            }
        }
    }

    fn value(&mut self, value: Value) -> u32 {
        let Pool {
            values,
            interned,
            hasher,
            ..
        } = self;
        let hash = hasher.hash_one(&value);
        if let Some(at) = interned.find(hash, |at| values[*at as usize] == value) {
            return *at;
        }
        let at = u32::try_from(values.len()).expect("fewer than 4 billion distinct values");
        values.push(value);
        interned.insert_unique(hash, at, |at| hasher.hash_one(&values[*at as usize]));
        at
    }
}

/// What a row or a listing says of one object.
#[derive(Clone, Copy)]
pub struct Attributes<'a> {
    entries: &'a [(u16, u32)],
    pool: &'a Pool,
}

impl<'a> Attributes<'a> {
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        let pool = self.pool;
        (self.entries.iter())
            .find(|(k, _)| &*pool.keys[*k as usize] == key)
            .map(|(_, v)| &pool.values[*v as usize])
    }

    pub fn iter(&self) -> impl Iterator<Item = (&'a str, &'a Value)> + 'a {
        let pool = self.pool;
        (self.entries.iter())
            .map(move |(k, v)| (&*pool.keys[*k as usize], &pool.values[*v as usize]))
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// As a map, for tests and comparisons.
    pub fn to_map(&self) -> BTreeMap<String, Value> {
        self.iter()
            .map(|(k, v)| (k.to_owned(), v.clone()))
            .collect()
    }
}

impl std::fmt::Debug for Attributes<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl PartialEq for Attributes<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl std::ops::Index<&str> for Attributes<'_> {
    type Output = Value;

    fn index(&self, key: &str) -> &Value {
        self.get(key)
            .unwrap_or_else(|| panic!("no attribute '{key}'"))
    }
}

impl<'a> IntoIterator for Attributes<'a> {
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
    fn attributes_read_back_as_the_map_they_were_made_of_each_value_held_once_per_tree() {
        let map: BTreeMap<String, Value> = [
            ("size".to_owned(), Value::from(40)),
            ("columnDataType".to_owned(), Value::from("VariableString")),
            ("Data Domain".to_owned(), Value::from("Finance")),
        ]
        .into();
        let mut pool = Pool::default();
        let span = pool.store(map.clone());
        let other = pool.store(BTreeMap::from([("size".to_owned(), Value::from(40))]));
        let empty = pool.store(BTreeMap::new());
        let attributes = pool.view(span);
        assert_eq!(attributes.to_map(), map);
        assert_eq!(attributes["size"], 40);
        assert_eq!(attributes.get("Data Domain"), Some(&Value::from("Finance")));
        assert_eq!(attributes.get("order"), None);
        assert_eq!(pool.view(other).get("size"), Some(&Value::from(40)));
        assert!(pool.view(empty).is_empty());
        assert_eq!(pool.values.len(), 3, "40 held once for both nodes");
        assert_eq!(pool.keys.len(), 3, "size named once");
        let keys: Vec<&str> = attributes.iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            ["Data Domain", "columnDataType", "size"],
            "sorted as the map was"
        );
        assert_ne!(pool.view(span), pool.view(other));
    }
}
