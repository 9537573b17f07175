//! Retiring what left the file (`--retire-missing SCOPE`): after the rows,
//! every existing source in the scope that no row of the file names (by
//! technical name, whatever the row's result) gets status `Obsolete`.
//! Nothing is ever deleted, and a source already `Obsolete` is left alone.
//!
//! The guard: when more than `--max-retire` sources would be retired (by
//! default 10% of the scope, one source always allowed: 5 of 11 is not), the
//! run refuses before any write: a truncated or wrong file must never empty
//! a catalog. A scope that matches nothing is said, never silent: a typo in
//! it would otherwise switch retirement off every night.
//! The set is decided before the first write and kept in the run record, so
//! that `rerun` and `--resume` finish it rather than recompute it.

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::client::api::Client;
use crate::client::routes::{self, Kind, Way};
use crate::exit::usage;
use crate::files::table::{Book, Csv, TableFormat};
use crate::model::action::Action;
use crate::model::key::Print;
use crate::model::source::Status;
use crate::pipeline::directory::Directory;
use crate::pipeline::scope::Scope;

/// `--max-retire`: a count, or a percentage of the sources in scope.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum MaxRetire {
    Count(usize),
    Percent(f64),
}

impl MaxRetire {
    pub(crate) fn parse(text: &str) -> Result<MaxRetire, String> {
        let bad = || format!("'{text}': expected a count (25) or a percentage (5%)");
        match text.trim().strip_suffix('%') {
            Some(p) => p
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|p| (0.0..=100.0).contains(p))
                .map(MaxRetire::Percent)
                .ok_or_else(bad),
            None => text.trim().parse().map(MaxRetire::Count).map_err(|_| bad()),
        }
    }

    /// Whether retiring `count` of `in_scope` sources is allowed.
    fn allows(limit: Option<MaxRetire>, count: usize, in_scope: usize) -> bool {
        let share = |p: f64| count as f64 <= in_scope as f64 * p / 100.0;
        match limit {
            None => count <= 1 || share(10.0),
            Some(MaxRetire::Count(n)) => count <= n,
            Some(MaxRetire::Percent(p)) => share(p),
        }
    }
}

/// A source to retire, as the run record keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Retiree {
    /// A source's technical name; a dictionary object's path of them
    /// (`\\dwh\\sales\\orders`).
    pub(crate) technical_name: String,
    pub(crate) name: String,
    pub(crate) id: String,
    /// A dictionary object's kind (`structure`); `None` for a source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) kind: Option<String>,
    /// A dictionary object's path of types (`\\Relational\\Model\\Table`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) type_path: Option<String>,
}

/// What `--retire-missing` decided before any write.
#[derive(Debug)]
pub(crate) struct Decision {
    /// Sorted by technical name.
    pub(crate) retirees: Vec<Retiree>,
    /// The existing sources in scope, whether retired or not.
    pub(crate) in_scope: usize,
}

/// The sources in `scope` that no name of the file names and that are not
/// `Obsolete` yet; refused (exit 2) past the guard.
pub(crate) fn decide(
    directory: &Directory,
    scope: &Scope,
    in_file: &HashSet<Print>,
    limit: Option<MaxRetire>,
) -> anyhow::Result<Decision> {
    let mut in_scope = 0;
    let mut retirees: Vec<Retiree> = Vec::new();
    for (key, source) in directory.sources() {
        let technical_name = key.technical_name();
        let current = source.current.as_deref();
        if !scope.matches(technical_name, current) {
            continue;
        }
        in_scope += 1;
        let obsolete =
            current.is_some_and(|c| c.status.as_deref() == Some(Status::Obsolete.as_api()));
        if !obsolete && !in_file.contains(&key.print()) {
            retirees.push(Retiree {
                technical_name: technical_name.to_owned(),
                name: source.name.clone(),
                id: source.id.clone(),
                kind: None,
                type_path: None,
            });
        }
    }
    if !MaxRetire::allows(limit, retirees.len(), in_scope) {
        return Err(usage(format!(
            "--retire-missing would retire {} of the {in_scope} sources in scope, more than \
             --max-retire allows (by default 10% of the scope, and at least 1): check the \
             file; to allow it, pass --max-retire {} (or a percentage)",
            retirees.len(),
            retirees.len()
        )));
    }
    retirees.sort_by(|a, b| a.technical_name.cmp(&b.technical_name));
    Ok(Decision { retirees, in_scope })
}

/// What became of one source to retire.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Retired {
    pub(crate) source: Retiree,
    pub(crate) result: RetireResult,
    pub(crate) error: Option<String>,
}

/// The `result` column of the retired list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RetireResult {
    Retired,
    Failed,
    /// `check`: it would be retired.
    WouldRetire,
}

impl RetireResult {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RetireResult::Retired => "retired",
            RetireResult::Failed => "failed",
            RetireResult::WouldRetire => "would-retire",
        }
    }
}

/// Sets every retiree `Obsolete`: in batches through the bulk edit route,
/// one by one when `batch_size` is 1, when the tenant has no bulk route, or
/// for the sources of a batch that was refused. Edits are idempotent:
/// retried without look-ups.
pub(crate) async fn retire(
    client: &Client,
    version_id: &str,
    retirees: Vec<Retiree>,
    batch_size: usize,
) -> Vec<Retired> {
    let mut done = Vec::with_capacity(retirees.len());
    let known = client.routes();
    for chunk in retirees.chunks(batch_size.max(1)) {
        // The rows may have found the bulk edit missing already.
        if batch_size > 1 && known.bulk_works(Action::Update) {
            let body: Vec<serde_json::Value> = chunk
                .iter()
                .map(|r| serde_json::json!({"technicalName": r.technical_name, "status": "Obsolete"}))
                .collect();
            let bulk = routes::route(Kind::Source, Way::Bulk(Action::Update), version_id);
            let url = client.url(&bulk.path, &[]);
            match client
                .send_with_retries(bulk.method, url, Some(&body), client.writes())
                .await
            {
                Ok(a) if a.status.is_success() => {
                    done.extend(chunk.iter().map(|r| outcome(r, Ok(()))));
                    continue;
                }
                Ok(a) if routes::is_missing(a.status.as_u16()) => {
                    known.bulk_missing(Action::Update);
                }
                // Refused as a whole (one bad item) or failing: each on its own.
                _ => {}
            }
        }
        for r in chunk {
            let one = routes::route(Kind::Source, Way::ById(&r.id), version_id);
            let url = client.url(&one.path, &[]);
            let body = serde_json::json!({"status": "Obsolete"});
            let result = match client
                .send_with_retries(one.method, url, Some(&body), client.writes())
                .await
            {
                Ok(a) if a.status.is_success() => Ok(()),
                Ok(a) => Err(a.error().to_string()),
                Err(e) => Err(e.to_string()),
            };
            done.push(outcome(r, result));
        }
    }
    done
}

fn outcome(r: &Retiree, result: Result<(), String>) -> Retired {
    match result {
        Ok(()) => Retired {
            source: r.clone(),
            result: RetireResult::Retired,
            error: None,
        },
        Err(e) => Retired {
            source: r.clone(),
            result: RetireResult::Failed,
            error: Some(e),
        },
    }
}

/// `check`: what would be retired.
pub(crate) fn would_retire(retirees: Vec<Retiree>) -> Vec<Retired> {
    retirees
        .into_iter()
        .map(|source| Retired {
            source,
            result: RetireResult::WouldRetire,
            error: None,
        })
        .collect()
}

/// The retired list, `technicalName,name,source_id,result,error` (a
/// dictionary's: `object_kind,object_path,name,id,result,error`), at
/// `path`: a workbook when it ends in `.xlsx` (it follows the report), else
/// CSV (with a byte-order mark when the report has one); atomically.
pub(crate) fn write_list(
    path: &Path,
    retired: &[Retired],
    delimiter: u8,
    bom: bool,
) -> anyhow::Result<()> {
    let objects = retired.iter().any(|r| r.source.kind.is_some());
    let headers = match objects {
        true => [
            "object_kind",
            "object_path",
            "name",
            "id",
            "result",
            "error",
        ]
        .to_vec(),
        false => ["technicalName", "name", "source_id", "result", "error"].to_vec(),
    };
    let headers: Vec<String> = headers.into_iter().map(String::from).collect();
    let rows: Vec<Vec<String>> = retired
        .iter()
        .map(|r| {
            let kind = (r.source.kind.as_deref()).filter(|_| objects);
            (kind.into_iter())
                .chain([
                    r.source.technical_name.as_str(),
                    r.source.name.as_str(),
                    r.source.id.as_str(),
                    r.result.as_str(),
                    r.error.as_deref().unwrap_or(""),
                ])
                .map(String::from)
                .collect()
        })
        .collect();
    let book = Book {
        sheet: "retired",
        look: Default::default(),
    };
    let format = TableFormat::for_path(path, Csv { delimiter, bom }, book);
    format.write(path, &headers, &mut rows.into_iter().map(Ok))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_read_or_refused_with_the_expected_form() {
        assert_eq!(MaxRetire::parse("25"), Ok(MaxRetire::Count(25)));
        assert_eq!(MaxRetire::parse("5%"), Ok(MaxRetire::Percent(5.0)));
        assert!(MaxRetire::parse("lots").is_err());
    }

    #[test]
    fn the_default_guard_allows_a_tenth_of_the_scope_and_at_least_one_source() {
        assert!(!MaxRetire::allows(None, 5, 11), "45% is refused");
        assert!(!MaxRetire::allows(None, 2, 11));
        assert!(MaxRetire::allows(None, 1, 11));
        assert!(MaxRetire::allows(None, 1, 3), "one source always may go");
        assert!(MaxRetire::allows(None, 0, 0));
        assert!(!MaxRetire::allows(None, 10, 20));
        assert!(MaxRetire::allows(None, 10, 100));
        assert!(!MaxRetire::allows(None, 11, 100));
        assert!(MaxRetire::allows(None, 30, 2000));
        assert!(!MaxRetire::allows(None, 1000, 2000));
        assert!(MaxRetire::allows(Some(MaxRetire::Count(1000)), 1000, 2000));
        assert!(MaxRetire::allows(
            Some(MaxRetire::Percent(50.0)),
            1000,
            2000
        ));
    }
}
