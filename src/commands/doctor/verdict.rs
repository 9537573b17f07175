//! What doctor found: one line per check (PASS, WARN, FAIL or SKIP, with a
//! fix when it is not a PASS), and the facts it learned about the tenant,
//! as lines for a person or one JSON object for a program.

use std::fmt;

use serde::Serialize;

use crate::client::shapes::{ErrorBody, NameFilter, Paging, People, TagsField};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Status {
    Pass,
    Warn,
    Fail,
    Skip,
}

/// One check and what it found.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Check {
    pub(crate) name: &'static str,
    pub(crate) status: Status,
    pub(crate) detail: String,
    /// What to do about it (not for a PASS).
    pub(crate) fix: Option<String>,
}

impl Check {
    pub(crate) fn pass(name: &'static str, detail: impl Into<String>) -> Check {
        Check {
            name,
            status: Status::Pass,
            detail: detail.into(),
            fix: None,
        }
    }

    pub(crate) fn warn(
        name: &'static str,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Check {
        Check {
            name,
            status: Status::Warn,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }

    pub(crate) fn fail(
        name: &'static str,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Check {
        Check {
            name,
            status: Status::Fail,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }

    /// This check's requests failed before they were answered (`failures`,
    /// counted by kind, as `3 HTTP 503`): a PASS becomes a WARN saying so.
    pub(crate) fn unsteady(mut self, failures: &[String]) -> Check {
        let said = format!("requests failed and were retried: {}", failures.join(", "));
        self.detail = format!("{}; {said}", self.detail);
        if self.status == Status::Pass {
            self.status = Status::Warn;
            self.fix = Some(
                "the tenant or the way to it is unsteady: a run retries as doctor did, \
                 but run doctor again, and if it persists ask DataGalaxy support"
                    .into(),
            );
        }
        self
    }

    /// Not checked, because `because` failed or does not apply.
    pub(crate) fn skip(name: &'static str, because: impl Into<String>) -> Check {
        Check {
            name,
            status: Status::Skip,
            detail: because.into(),
            fix: None,
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = match self.status {
            Status::Pass => "PASS",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
            Status::Skip => "SKIP",
        };
        write!(f, "{status}  {}: {}", self.name, self.detail)?;
        if let Some(fix) = &self.fix {
            write!(f, "\n      fix: {fix}")?;
        }
        Ok(())
    }
}

/// What doctor learned about the tenant; `None` (null) when it could not.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub(crate) struct Facts {
    /// `name` or `label`: the field that carries a tag's text.
    pub(crate) tags_field: Option<TagsField>,
    /// `next_page` or `pages`: how listing envelopes page.
    pub(crate) list_paging: Option<Paging>,
    pub(crate) rate_limit_remaining: Option<bool>,
    /// The hourly budget at the least: what remains plus what doctor sent before.
    pub(crate) hourly_limit: Option<u64>,
    pub(crate) include_attributes: Option<bool>,
    /// `emails` or `objects`.
    pub(crate) owners_listed_as: Option<People>,
    /// `exact` or `partial`.
    pub(crate) technical_name_filter: Option<NameFilter>,
    /// `error-object`, `error-string`, `message`, `html`, `empty` or `text`.
    pub(crate) error_body: Option<ErrorBody>,
    pub(crate) sources: Option<u64>,
    pub(crate) custom_attributes: Option<u64>,
    pub(crate) mandatory_attributes: Option<Vec<String>>,
    /// With `--write-probe`: what the create and the upsert answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) create_status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) upsert_status: Option<u16>,
    /// Whether the tenant lists the types of the four kinds.
    pub(crate) dictionary_types: Option<bool>,
    /// Whether listed fields carry `typePath` and `functionalPath`.
    pub(crate) type_paths: Option<bool>,
    /// With `--write-probe`: what the scratch tree's bulktree answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) tree_status: Option<u16>,
    /// With `--write-probe`: whether the bulk routes exist.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) bulk_create: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) bulk_update: Option<bool>,
}

/// The whole finding, as `--json` prints it.
#[derive(Debug, Serialize)]
pub(crate) struct Findings<'a> {
    pub(crate) checks: &'a [Check],
    pub(crate) facts: &'a Facts,
}

/// The last line: how many of each, and what it means.
pub(crate) fn verdict(checks: &[Check]) -> String {
    let count = |s: Status| checks.iter().filter(|c| c.status == s).count();
    let (failed, warned) = (count(Status::Fail), count(Status::Warn));
    let said = format!(
        "{} passed, {warned} warned, {failed} failed, {} skipped",
        count(Status::Pass),
        count(Status::Skip)
    );
    match (failed, warned) {
        (0, 0) => format!("{said}: ready to import"),
        (0, _) => format!("{said}: ready to import; read the warnings first"),
        _ => format!("{said}: fix the failures, then run doctor again"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_check_that_is_not_a_pass_says_its_fix_on_a_second_line() {
        let warn = Check::warn("budget", "no X-RateLimit-Remaining", "set --hourly-limit");
        assert_eq!(
            warn.to_string(),
            "WARN  budget: no X-RateLimit-Remaining\n      fix: set --hourly-limit"
        );
        assert_eq!(Check::pass("url", "https").to_string(), "PASS  url: https");
    }

    #[test]
    fn facts_not_learned_are_null_and_probe_facts_absent_without_a_probe() {
        let json = serde_json::to_value(Facts::default()).unwrap();
        assert!(json["tags_field"].is_null());
        assert!(json["mandatory_attributes"].is_null());
        assert!(json.get("create_status").is_none());
    }

    #[test]
    fn the_verdict_counts_and_says_what_comes_next() {
        let checks = [
            Check::pass("a", "x"),
            Check::warn("b", "y", "z"),
            Check::skip("c", "w"),
        ];
        assert_eq!(
            verdict(&checks),
            "1 passed, 1 warned, 0 failed, 1 skipped: ready to import; read the warnings first"
        );
    }
}
