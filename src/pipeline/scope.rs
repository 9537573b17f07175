//! A scope of existing sources (`technicalName:GLOB` or `tag:NAME`): the
//! sources a file speaks for when it retires what left it
//! (`--retire-missing`), and the sources an export writes (`--scope`).

use globset::{Glob, GlobMatcher};

use crate::pipeline::compare::Current;
use crate::pipeline::directory::Directory;

/// Which existing sources the file speaks for.
#[derive(Clone, Debug)]
pub(crate) enum Scope {
    /// `technicalName:GLOB`.
    TechnicalName(GlobMatcher),
    /// `tag:NAME`, any case: the name as given, and in lower case.
    Tag { name: String, lower: String },
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scope::TechnicalName(glob) => write!(f, "technicalName:{}", glob.glob()),
            Scope::Tag { name, .. } => write!(f, "tag:{name}"),
        }
    }
}

impl Scope {
    pub(crate) fn parse(text: &str) -> Result<Scope, String> {
        match text.split_once(':') {
            Some(("technicalName", glob)) if !glob.is_empty() => Glob::new(glob)
                .map(|g| Scope::TechnicalName(g.compile_matcher()))
                .map_err(|e| format!("'{glob}' is not a glob: {e}")),
            Some(("tag", name)) if !name.trim().is_empty() => Ok(Scope::Tag {
                name: name.trim().to_owned(),
                lower: name.trim().to_lowercase(),
            }),
            _ => Err(format!(
                "'{text}': expected technicalName:GLOB (e.g. technicalName:crm_*) or tag:NAME"
            )),
        }
    }

    /// Whether a source is in scope (a tag scope needs what it holds).
    pub(crate) fn matches(&self, technical_name: &str, current: Option<&Current>) -> bool {
        match self {
            Scope::TechnicalName(glob) => glob.is_match(technical_name),
            Scope::Tag { lower, .. } => {
                current.is_some_and(|c| c.tags.iter().any(|t| t.to_lowercase() == *lower))
            }
        }
    }

    /// A tag scope needs to know the sources' tags.
    pub(crate) fn needs_attributes(&self) -> bool {
        matches!(self, Scope::Tag { .. })
    }

    /// What to tell the user when the scope matched `matched` sources: a
    /// scope that matches none (and a tag the tenant does not have, with the
    /// closest one it has) is worth a warning.
    pub(crate) fn warnings(&self, directory: &Directory, matched: usize) -> Vec<String> {
        let mut warnings = Vec::new();
        if let Scope::Tag { name, .. } = self
            && !directory.knows_tag(name)
        {
            let hint = crate::model::suggest::closest(name, directory.tag_names())
                .map(|t| format!(" — did you mean tag:{t}?"))
                .unwrap_or_default();
            warnings.push(format!("the tenant has no tag '{name}'{hint}"));
        }
        if matched == 0 {
            warnings.push(format!("{self} matches no existing source"));
        }
        warnings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_read_or_refused_with_the_expected_form() {
        assert!(
            matches!(Scope::parse("technicalName:crm_*"), Ok(Scope::TechnicalName(g)) if g.is_match("crm_orders") && !g.is_match("hr_crm"))
        );
        assert!(
            matches!(Scope::parse("tag: PII"), Ok(Scope::Tag { name, lower }) if name == "PII" && lower == "pii")
        );
        assert!(
            Scope::parse("name:x")
                .unwrap_err()
                .contains("technicalName:GLOB")
        );
    }
}
