//! After a run in bulk: the ids of the rows it created. Bulk creates
//! answer counts, not ids: one listing of the version's sources (5,000 a
//! request) gives them, matched by key, and the report is written again
//! from its scratch file with them. A listing that fails leaves the report
//! as it is, said.

use std::collections::HashMap;
use std::path::Path;

use crate::client::api::Client;
use crate::client::api::wire::SourceItem;
use crate::client::routes::Kind;
use crate::model::key::Key;
use crate::model::outcome::RowResult;
use crate::pipeline::directory::Target;
use crate::pipeline::input::{HeaderMap, HeaderOptions, Input, InputOptions, Layout};
use crate::pipeline::report::PendingReport;

/// How the report is written again: where, with what header, and as.
pub(crate) struct Rewrite<'a> {
    pub(crate) path: &'a Path,
    pub(crate) header: &'a HeaderMap,
    pub(crate) headers: HeaderOptions,
    pub(crate) delimiter: u8,
    pub(crate) bom: bool,
}

/// The report with the ids of its created rows filled in.
pub(crate) async fn fill(
    client: &Client,
    target: &Target,
    report: PendingReport,
    to: Rewrite<'_>,
) -> anyhow::Result<PendingReport> {
    let query = [("versionId", target.version_id.as_str())];
    let listed: Vec<SourceItem> = match client.get_all(Kind::Source.listing(), &query).await {
        Ok(listed) => listed,
        Err(e) => {
            tracing::warn!(
                "could not list the sources to fill in the ids of the created rows: {e}"
            );
            return Ok(report);
        }
    };
    let ids: HashMap<Key, SourceItem> = listed
        .into_iter()
        .map(|s| (Key::source(s.technical_key()), s))
        .collect();
    let written = report.into_temp()?;
    let header = to.header;
    let mut filled = PendingReport::create(to.path, header.headers(), to.delimiter, to.bom)?;
    let options = InputOptions {
        headers: to.headers,
        ..Default::default()
    };
    for row in Input::open(Some(written.path()), Layout::Report, &options)? {
        let row = row?;
        let mut outcome = row.previous.expect("a report row has its outcome");
        if outcome.result == RowResult::Created
            && outcome.source_id.is_none()
            && let Some(found) = header.key(&row.cells).and_then(|k| ids.get(&k))
        {
            outcome.source_id = Some(found.id.clone());
            outcome.location = found.location.clone();
        }
        filled.writer.push(row.seq, outcome, row.cells)?;
    }
    Ok(filled)
}
