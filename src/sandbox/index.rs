//! What the sandbox looks things up by, so that it holds a real tenant (a
//! million sources) as easily as the seed: sources by version and technical
//! name, by id, and each version's sources in order; users by email, tags
//! by text (both ignoring case) and attribute definitions by name.
//!
//! Sources are only ever appended (an edit keeps a source's place, its
//! version and its technical name), so the index catches up on what was
//! appended since it last looked, whoever appended it (and starts over if
//! the list it indexed is no longer there); the small lists are
//! indexed again whenever their length changes. Keys are 64-bit hashes,
//! each hit checked against the source itself: a million sources cost
//! tens of bytes each, not copies of their names.

use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};

/// What the index reads of a source.
pub(crate) trait Keyed {
    fn version_id(&self) -> &str;
    fn technical_name(&self) -> &str;
    fn id(&self) -> &str;
}

/// A list of names (emails, tag texts, attribute names) by name, indexed
/// again whenever the list's length changes (they only grow).
#[derive(Clone, Debug, Default)]
pub(crate) struct Names {
    places: HashMap<String, usize>,
    len: usize,
    /// Case does not matter.
    folded: bool,
}

impl Names {
    pub(crate) fn folded() -> Names {
        Names {
            folded: true,
            ..Names::default()
        }
    }

    fn key(&self, name: &str) -> String {
        match self.folded {
            true => name.to_lowercase(),
            false => name.to_owned(),
        }
    }

    /// Catches up with `names` (lazily read: only when its length changed).
    pub(crate) fn sync<'a>(&mut self, names: impl ExactSizeIterator<Item = &'a str>) {
        if names.len() != self.len {
            self.len = names.len();
            let places = names.enumerate().map(|(i, n)| (self.key(n), i)).collect();
            self.places = places;
        }
    }

    /// The place of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<usize> {
        self.places.get(&self.key(name)).copied()
    }
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Index {
    /// Sources indexed so far: the first `sources` of the store...
    sources: usize,
    /// ...the last of them with this id (else the list was replaced).
    last: Option<String>,
    by_name: HashMap<u64, u32>,
    by_id: HashMap<u64, u32>,
    /// Hashes that two keys share: looked up by a scan (as good as never).
    shared: HashSet<u64>,
    by_version: HashMap<String, Vec<u32>>,
}

fn key(version_id: &str, name: &str) -> u64 {
    let mut h = DefaultHasher::new();
    (version_id, name).hash(&mut h);
    h.finish()
}

impl Index {
    /// Catches up with the store's sources.
    pub(crate) fn sync<S: Keyed>(&mut self, sources: &[S]) {
        let last = self.sources.checked_sub(1).and_then(|at| sources.get(at));
        if last.map(|s| s.id()) != self.last.as_deref() {
            *self = Index::default();
        }
        for (at, source) in sources.iter().enumerate().skip(self.sources) {
            let at = at as u32;
            self.insert(
                key(source.version_id(), source.technical_name()),
                at,
                true,
                sources,
            );
            self.insert(key(source.version_id(), source.id()), at, false, sources);
            (self
                .by_version
                .entry(source.version_id().to_owned())
                .or_default())
            .push(at);
        }
        self.sources = sources.len();
        self.last = sources.last().map(|s| s.id().to_owned());
    }

    fn insert<S: Keyed>(&mut self, hash: u64, at: u32, by_name: bool, sources: &[S]) {
        let map = if by_name {
            &mut self.by_name
        } else {
            &mut self.by_id
        };
        match map.get(&hash) {
            None => {
                map.insert(hash, at);
            }
            Some(&first) => {
                let (a, b) = (&sources[first as usize], &sources[at as usize]);
                let same = match by_name {
                    true => a.technical_name() == b.technical_name(),
                    false => a.id() == b.id(),
                };
                if !same || a.version_id() != b.version_id() {
                    self.shared.insert(hash);
                }
            }
        }
    }

    /// The source of `version_id` with this technical name.
    pub(crate) fn source<S: Keyed>(
        &self,
        sources: &[S],
        version_id: &str,
        technical_name: &str,
    ) -> Option<usize> {
        let hash = key(version_id, technical_name);
        let is = |s: &S| s.version_id() == version_id && s.technical_name() == technical_name;
        self.find(&self.by_name, hash, sources, is)
    }

    /// The source of `version_id` with this id.
    pub(crate) fn source_by_id<S: Keyed>(
        &self,
        sources: &[S],
        version_id: &str,
        id: &str,
    ) -> Option<usize> {
        let hash = key(version_id, id);
        let is = |s: &S| s.version_id() == version_id && s.id() == id;
        self.find(&self.by_id, hash, sources, is)
    }

    fn find<S: Keyed>(
        &self,
        map: &HashMap<u64, u32>,
        hash: u64,
        sources: &[S],
        is: impl Fn(&S) -> bool,
    ) -> Option<usize> {
        if self.shared.contains(&hash) {
            return sources.iter().position(is);
        }
        let at = *map.get(&hash)? as usize;
        is(&sources[at]).then_some(at)
    }

    /// The places of a version's sources, in the order they were made.
    pub(crate) fn version(&self, version_id: &str) -> &[u32] {
        self.by_version.get(version_id).map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A source as the index sees it.
    struct Listed(&'static str, &'static str, &'static str);

    impl Keyed for Listed {
        fn version_id(&self) -> &str {
            self.0
        }
        fn id(&self) -> &str {
            self.1
        }
        fn technical_name(&self) -> &str {
            self.2
        }
    }

    #[test]
    fn sources_appended_by_anyone_are_found_by_version_and_name_or_id() {
        let mut sources = vec![Listed("v1", "a", "crm"), Listed("v2", "b", "crm")];
        let mut index = Index::default();
        index.sync(&sources);
        assert_eq!(index.source(&sources, "v2", "crm"), Some(1));
        assert_eq!(index.source(&sources, "v1", "CRM"), None, "exact names");
        assert_eq!(index.source(&sources, "v3", "crm"), None);
        sources.push(Listed("v1", "c", "hr"));
        index.sync(&sources);
        assert_eq!(index.source(&sources, "v1", "hr"), Some(2));
        assert_eq!(index.source_by_id(&sources, "v1", "c"), Some(2));
        assert_eq!(index.source_by_id(&sources, "v2", "c"), None);
        assert_eq!(index.version("v1"), [0, 2]);
        assert!(index.version("v9").is_empty());
    }

    #[test]
    fn a_list_of_sources_that_was_replaced_is_indexed_again_from_scratch() {
        let mut sources = vec![Listed("v1", "a", "x"), Listed("v1", "b", "y")];
        let mut index = Index::default();
        index.sync(&sources);
        sources.truncate(1);
        sources.push(Listed("v1", "c", "z"));
        sources.push(Listed("v1", "d", "w"));
        index.sync(&sources);
        assert_eq!(index.source(&sources, "v1", "y"), None);
        assert_eq!(index.source(&sources, "v1", "z"), Some(1));
    }

    #[test]
    fn names_are_found_ignoring_case_when_folded_as_the_list_grows() {
        let mut tags = vec!["Finance"];
        let mut names = Names::folded();
        names.sync(tags.iter().copied());
        assert_eq!(names.get("FINANCE"), Some(0));
        assert_eq!(names.get("HR"), None);
        tags.push("HR");
        names.sync(tags.iter().copied());
        assert_eq!(names.get("hr"), Some(1));
        let mut exact = Names::default();
        exact.sync(["Data Domain"].into_iter());
        assert_eq!(exact.get("data domain"), None);
        assert_eq!(exact.get("Data Domain"), Some(0));
    }
}
