//! What names one object of the catalog through a run: the key under which
//! the file's rows are told apart (a duplicate is a second row with the
//! key of an earlier one), the writes of one object are kept in order, and
//! the listing is matched. A source's technical name today; a path of
//! typed names under a source is the dictionary's.

use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};

/// The key of one object.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Key {
    /// A source, by its technical name (which defaults to its name).
    Source(String),
}

/// A key in 8 bytes: what the planner keeps per row of a file of any size
/// (duplicates, the order of one object's writes). Two keys may share a
/// print: where that matters, the keys themselves are compared after.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Print(u64);

impl Print {
    /// The print of any text (the set of the sources' display names).
    pub(crate) fn of(text: &str) -> Print {
        Print::hash(text)
    }

    fn hash<T: Hash + ?Sized>(value: &T) -> Print {
        let mut h = DefaultHasher::new();
        value.hash(&mut h);
        Print(h.finish())
    }
}

impl Key {
    pub(crate) fn source(technical_name: &str) -> Key {
        Key::Source(technical_name.to_owned())
    }

    /// The technical name of the object itself (the last of a path).
    pub(crate) fn technical_name(&self) -> &str {
        match self {
            Key::Source(name) => name,
        }
    }

    pub(crate) fn print(&self) -> Print {
        Print::hash(self)
    }

    /// The key as two systems may both have typed it (`folded_name`).
    pub(crate) fn folded(&self) -> Key {
        match self {
            Key::Source(name) => Key::Source(folded_name(name)),
        }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.technical_name())
    }
}

/// A technical name as two systems may both have typed it: composed
/// (NFC: `café` from a Mac and from Windows alike) and in lower case.
pub(crate) fn folded_name(technical_name: &str) -> String {
    if technical_name.is_ascii() {
        return technical_name.to_ascii_lowercase();
    }
    let composed = icu_normalizer::ComposingNormalizerBorrowed::new_nfc().normalize(technical_name);
    composed.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_typed_on_two_systems_fold_to_one() {
        let nfd = "cafe\u{301}";
        assert_ne!(nfd, "café");
        assert_eq!(folded_name(nfd), folded_name("CAFÉ"));
        assert_eq!(folded_name("SRC_0001"), "src_0001");
        assert_ne!(folded_name("src-0001"), folded_name("src_0001"));
        assert_eq!(
            Key::source("CAFE\u{301}").folded().print(),
            Key::source("café").print()
        );
    }

    #[test]
    fn a_key_prints_alike_each_time_and_apart_from_another() {
        assert_eq!(Key::source("crm").print(), Key::source("crm").print());
        assert_ne!(Key::source("crm").print(), Key::source("crm2").print());
        assert_eq!(Key::source("crm").to_string(), "crm");
    }
}
