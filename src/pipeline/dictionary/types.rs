//! The tenant's types, as `GET /sources|containers|structures|fields/types`
//! list them (an array, or the paging envelope): each type's kind and the
//! types of the children it accepts. What a file's types are checked
//! against, with the closest one to an unknown type.

use std::collections::HashMap;

use serde::Deserialize;

use crate::client::api::Client;
use crate::client::routes::Kind;
use crate::model::suggest;
use crate::pipeline::dictionary::columns::Level;
use crate::pipeline::directory::setup_error;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Listed {
    #[serde(rename = "type")]
    name: String,
    /// May be absent on fields.
    #[serde(default)]
    compatible_children: Vec<String>,
}

/// A type of the tenant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TypeOf {
    pub(crate) level: Level,
    pub(crate) children: Vec<String>,
}

/// Every type the tenant lists, by name.
#[derive(Debug, Default)]
pub(crate) struct Types {
    by_name: HashMap<String, TypeOf>,
}

impl Types {
    pub(crate) async fn load(client: &Client) -> anyhow::Result<Types> {
        let mut types = Types::default();
        for (kind, level) in [
            (Kind::Source, Level::Source),
            (Kind::Container, Level::Container),
            (Kind::Structure, Level::Structure),
            (Kind::Field, Level::Field),
        ] {
            let what = format!("listing the {} types", kind.plural().trim_end_matches('s'));
            let answer = (client
                .get_json::<serde_json::Value>(client.url(kind.types(), &[]))
                .await)
                .map_err(|e| setup_error(&what, e))?;
            let items = crate::client::shapes::items(&answer);
            for item in items {
                let listed: Listed = serde_json::from_value(item.clone())
                    .map_err(|e| anyhow::anyhow!("{what}: an item that is not a type: {e}"))?;
                let children = listed.compatible_children;
                types
                    .by_name
                    .insert(listed.name, TypeOf { level, children });
            }
        }
        Ok(types)
    }

    pub(crate) fn get(&self, name: &str) -> Option<&TypeOf> {
        self.by_name.get(name)
    }

    /// Why `child` may not be a child of `parent`, if it may not: what is
    /// wrong, and what helps (the closest type, the types there are).
    pub(crate) fn refuse_child(
        &self,
        parent: &str,
        child: &str,
        level: Level,
    ) -> Option<(String, String)> {
        if self.get(child).is_none_or(|t| t.level != level) {
            let known = self
                .by_name
                .iter()
                .filter(|(_, t)| t.level == level)
                .map(|(n, _)| n.as_str());
            let mut known: Vec<&str> = known.collect();
            known.sort_unstable();
            let closest = suggest::closest(child, known.iter().copied());
            let hint = closest.map_or_else(String::new, |c| format!(" (did you mean {c}?)"));
            return Some((
                format!("not a {} type of this tenant", level.word()),
                format!("{hint}: it has {}", known.join(", ")),
            ));
        }
        let accepted = self
            .get(parent)
            .map(|p| p.children.as_slice())
            .unwrap_or_default();
        match accepted.is_empty() || accepted.iter().any(|c| c == child) {
            true => None,
            false => Some((
                format!("a {parent} does not take a {child}"),
                format!(" (it takes {})", accepted.join(", ")),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_type_says_what_is_wrong_apart_from_what_helps() {
        let of = |level, children: &[&str]| TypeOf {
            level,
            children: children.iter().map(|c| c.to_string()).collect(),
        };
        let types = Types {
            by_name: HashMap::from([
                ("Model".to_owned(), of(Level::Container, &["Table", "View"])),
                ("Table".to_owned(), of(Level::Structure, &["Column"])),
                ("View".to_owned(), of(Level::Structure, &["Column"])),
                ("File".to_owned(), of(Level::Structure, &["Field"])),
            ]),
        };
        let veiw = types
            .refuse_child("Model", "Veiw", Level::Structure)
            .unwrap();
        let odd = types
            .refuse_child("Model", "Odd", Level::Structure)
            .unwrap();
        assert_eq!(veiw.0, "not a structure type of this tenant");
        assert_eq!(veiw.0, odd.0, "what is wrong, whatever the value");
        assert_eq!(veiw.1, " (did you mean View?): it has File, Table, View");
        assert_eq!(odd.1, ": it has File, Table, View");
        let file = types
            .refuse_child("Model", "File", Level::Structure)
            .unwrap();
        assert_eq!(
            file,
            (
                "a Model does not take a File".into(),
                " (it takes Table, View)".into()
            )
        );
        assert_eq!(types.refuse_child("Model", "View", Level::Structure), None);
    }
}
