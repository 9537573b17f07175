//! The types the sandbox lists (`GET /sources/types`, `/containers/types`,
//! `/structures/types`, `/fields/types`) and the children each accepts: the
//! usual shapes of DataGalaxy's own CSV import guide, containers nesting,
//! and sub-structures where file stores and NoSQL sources have them.

use super::dictionary::NodeKind;

/// A type: its kind (`None` for a source type), its name, and the types of
/// the children it accepts.
pub(crate) struct TypeDef {
    pub(crate) kind: Option<NodeKind>,
    pub(crate) name: &'static str,
    pub(crate) children: &'static [&'static str],
}

const fn def(
    kind: Option<NodeKind>,
    name: &'static str,
    children: &'static [&'static str],
) -> TypeDef {
    TypeDef {
        kind,
        name,
        children,
    }
}

const C: Option<NodeKind> = Some(NodeKind::Container);
const S: Option<NodeKind> = Some(NodeKind::Structure);
const F: Option<NodeKind> = Some(NodeKind::Field);

pub(crate) const TYPES: &[TypeDef] = &[
    def(None, "Relational", &["Model"]),
    def(None, "NonRelational", &["Directory"]),
    def(None, "NoSql", &["Model", "Directory"]),
    def(None, "TagBase", &["Equipment"]),
    def(C, "Model", &["Model", "Table", "View", "Document"]),
    def(C, "Directory", &["Directory", "File", "Document"]),
    def(C, "Equipment", &["Equipment", "Tag"]),
    def(S, "Table", &["Column", "Field"]),
    def(S, "View", &["Column"]),
    def(S, "File", &["File", "Field"]),
    def(S, "Document", &["Document", "Field"]),
    def(S, "Tag", &["Field"]),
    def(F, "Column", &[]),
    def(F, "Field", &[]),
];

/// The definition of a type, by its exact name.
pub(crate) fn find(name: &str) -> Option<&'static TypeDef> {
    TYPES.iter().find(|t| t.name == name)
}

/// The kind of a node type (`None` for a source type or an unknown one).
pub(crate) fn kind_of(name: &str) -> Option<NodeKind> {
    find(name).and_then(|t| t.kind)
}

/// The types of one kind (`None`: the source types), in the table's order.
pub(crate) fn of_kind(kind: Option<NodeKind>) -> impl Iterator<Item = &'static TypeDef> {
    TYPES.iter().filter(move |t| t.kind == kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_child_a_type_accepts_is_a_type_of_the_kind_below_or_its_own() {
        for t in TYPES {
            for child in t.children {
                let kind = kind_of(child).expect("a listed child is a node type");
                let below = match t.kind {
                    None => NodeKind::Container,
                    Some(NodeKind::Container) => NodeKind::Structure,
                    Some(_) => NodeKind::Field,
                };
                assert!(
                    kind == below || Some(kind) == t.kind,
                    "{} > {child}",
                    t.name
                );
            }
        }
        assert_eq!(kind_of("Table"), Some(NodeKind::Structure));
        assert_eq!(kind_of("Relational"), None);
    }
}
