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

use super::store::{AttributeDef, StoredSource, Tag, User};

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
    users: HashMap<String, usize>,
    tags: HashSet<String>,
    attributes: HashMap<String, usize>,
    /// The lengths of the small lists when they were indexed.
    lengths: (usize, usize, usize),
}

fn key(version_id: &str, name: &str) -> u64 {
    let mut h = DefaultHasher::new();
    (version_id, name).hash(&mut h);
    h.finish()
}

impl Index {
    /// Catches up with the store's lists.
    pub(crate) fn sync(
        &mut self,
        sources: &[StoredSource],
        users: &[User],
        tags: &[Tag],
        attributes: &[AttributeDef],
    ) {
        let last = self.sources.checked_sub(1).and_then(|at| sources.get(at));
        if last.map(|s| &s.id) != self.last.as_ref() {
            *self = Index::default();
        }
        for (at, source) in sources.iter().enumerate().skip(self.sources) {
            let at = at as u32;
            self.insert(
                key(&source.version_id, &source.technical_name),
                at,
                true,
                sources,
            );
            self.insert(key(&source.version_id, &source.id), at, false, sources);
            (self
                .by_version
                .entry(source.version_id.clone())
                .or_default())
            .push(at);
        }
        self.sources = sources.len();
        self.last = sources.last().map(|s| s.id.clone());
        if self.lengths != (users.len(), tags.len(), attributes.len()) {
            self.lengths = (users.len(), tags.len(), attributes.len());
            self.users = (users.iter().enumerate())
                .map(|(i, u)| (u.email.to_lowercase(), i))
                .collect();
            self.tags = tags.iter().map(|t| t.label.to_lowercase()).collect();
            self.attributes = (attributes.iter().enumerate())
                .map(|(i, a)| (a.name.clone(), i))
                .collect();
        }
    }

    fn insert(&mut self, hash: u64, at: u32, by_name: bool, sources: &[StoredSource]) {
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
                    true => a.technical_name == b.technical_name,
                    false => a.id == b.id,
                };
                if !same || a.version_id != b.version_id {
                    self.shared.insert(hash);
                }
            }
        }
    }

    /// The source of `version_id` with this technical name.
    pub(crate) fn source(
        &self,
        sources: &[StoredSource],
        version_id: &str,
        technical_name: &str,
    ) -> Option<usize> {
        let hash = key(version_id, technical_name);
        let is =
            |s: &StoredSource| s.version_id == version_id && s.technical_name == technical_name;
        self.find(&self.by_name, hash, sources, is)
    }

    /// The source of `version_id` with this id.
    pub(crate) fn source_by_id(
        &self,
        sources: &[StoredSource],
        version_id: &str,
        id: &str,
    ) -> Option<usize> {
        let hash = key(version_id, id);
        let is = |s: &StoredSource| s.version_id == version_id && s.id == id;
        self.find(&self.by_id, hash, sources, is)
    }

    fn find(
        &self,
        map: &HashMap<u64, u32>,
        hash: u64,
        sources: &[StoredSource],
        is: impl Fn(&StoredSource) -> bool,
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

    /// The place of the user with this email, ignoring case.
    pub(crate) fn user(&self, email: &str) -> Option<usize> {
        self.users.get(&email.to_lowercase()).copied()
    }

    /// Whether a tag has this text, ignoring case.
    pub(crate) fn tag(&self, text: &str) -> bool {
        self.tags.contains(&text.to_lowercase())
    }

    /// The place of the custom attribute with this name.
    pub(crate) fn attribute(&self, name: &str) -> Option<usize> {
        self.attributes.get(name).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Map;

    fn source(version: &str, id: &str, technical_name: &str) -> StoredSource {
        StoredSource {
            id: id.into(),
            version_id: version.into(),
            name: technical_name.into(),
            technical_name: technical_name.into(),
            source_type: "NoSql".into(),
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
    fn sources_appended_by_anyone_are_found_by_version_and_name_or_id() {
        let mut sources = vec![source("v1", "a", "crm"), source("v2", "b", "crm")];
        let mut index = Index::default();
        index.sync(&sources, &[], &[], &[]);
        assert_eq!(index.source(&sources, "v2", "crm"), Some(1));
        assert_eq!(index.source(&sources, "v1", "CRM"), None, "exact names");
        assert_eq!(index.source(&sources, "v3", "crm"), None);
        sources.push(source("v1", "c", "hr"));
        index.sync(&sources, &[], &[], &[]);
        assert_eq!(index.source(&sources, "v1", "hr"), Some(2));
        assert_eq!(index.source_by_id(&sources, "v1", "c"), Some(2));
        assert_eq!(index.source_by_id(&sources, "v2", "c"), None);
        assert_eq!(index.version("v1"), [0, 2]);
        assert!(index.version("v9").is_empty());
    }

    #[test]
    fn a_store_that_shrank_is_indexed_again_from_scratch() {
        let mut sources = vec![source("v1", "a", "x"), source("v1", "b", "y")];
        let mut index = Index::default();
        index.sync(&sources, &[], &[], &[]);
        sources.truncate(1);
        sources.push(source("v1", "c", "z"));
        sources.push(source("v1", "d", "w"));
        index.sync(&sources, &[], &[], &[]);
        assert_eq!(index.source(&sources, "v1", "y"), None);
        assert_eq!(index.source(&sources, "v1", "z"), Some(1));
    }

    #[test]
    fn users_and_tags_are_found_ignoring_case_as_the_lists_grow() {
        let user = |email: &str| User {
            user_id: "1".into(),
            first_name: "A".into(),
            last_name: "B".into(),
            email: email.into(),
            license_level: "Admin".into(),
            roles: vec![],
        };
        let tag = |label: &str| Tag {
            label: label.into(),
            description: None,
            color: None,
            is_active: true,
        };
        let mut tags = vec![tag("Finance")];
        let mut index = Index::default();
        index.sync(&[], &[user("John.Doe@example.com")], &tags, &[]);
        assert_eq!(index.user("john.doe@EXAMPLE.com"), Some(0));
        assert!(index.tag("FINANCE") && !index.tag("HR"));
        tags.push(tag("HR"));
        index.sync(&[], &[user("John.Doe@example.com")], &tags, &[]);
        assert!(index.tag("hr"));
    }
}
