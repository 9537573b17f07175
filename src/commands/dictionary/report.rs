//! A dictionary's report: every row with its cells as the file has them,
//! after what became of it and the object it describes (kind, path, id);
//! and the counts per kind the summary gives, of the nodes of the file's
//! tree (the parents rows only imply included) and of the rows that did not
//! enter it.

use std::collections::{BTreeMap, HashSet};

use crate::cli::config::ImportConfig;
use crate::model::outcome::{ReportColumns, RowResult};
use crate::model::outcomes::Outcomes;
use crate::pipeline::dictionary::columns::Level;
use crate::pipeline::dictionary::rows::{Layout, Options};
use crate::pipeline::dictionary::tree::{At, Tree};
use crate::pipeline::input::Records;
use crate::pipeline::report::{Object, PendingReport};
use crate::pipeline::summary::Tally;

/// What the report says of each row's object beside its outcome.
pub(super) struct Reported<'a> {
    /// The file's tree: where each row's object is.
    pub(super) file: &'a Tree,
    /// The tenant's dictionary with the ids it listed (after the writes when
    /// it was listed again).
    pub(super) ids: &'a Tree,
    /// The tenant's dictionary before the writes: whether a parent a row
    /// only implies was there.
    pub(super) held: &'a Tree,
    /// To read again a row that did not enter the tree.
    pub(super) layout: &'a Layout,
    pub(super) options: &'a Options,
}

impl Reported<'_> {
    /// The object of a row: its kind, its path, and its id when listed.
    fn object(&self, row: u64, at: Option<At>, cells: &[String]) -> (Object, Option<String>) {
        let Some(at) = at else {
            let steps = self.layout.steps(cells, self.options);
            let object = Object {
                kind: steps.last().map_or("", |s| s.level.word()).to_owned(),
                path: steps.iter().fold(String::new(), |mut p, s| {
                    p.push('\\');
                    p.push_str(&s.technical_name);
                    p
                }),
            };
            return (object, None);
        };
        debug_assert_eq!(self.file.node(at).row(), Some(row));
        let object = Object {
            kind: self.file.node(at).level().word().to_owned(),
            path: self.file.path(at),
        };
        let listed = self.ids.find(&self.file.key_path(at));
        (object, listed.and_then(|l| self.ids.id(l)))
    }
}

/// Counts per kind of object and result (`field: 150 created`).
pub(crate) type Objects = BTreeMap<&'static str, BTreeMap<&'static str, u64>>;

/// The report, every row with its cells as the file has them (read again,
/// so that a million rows' cells are never held), in file order, with the
/// object it describes; and the counts per kind.
pub(super) fn write_report(
    config: &ImportConfig,
    records: &Records,
    outcomes: &Outcomes,
    carried: &HashSet<u64>,
    reported: Reported,
) -> anyhow::Result<(Tally, Objects)> {
    let path = config
        .job
        .input()
        .expect("a dictionary is read from a file");
    let mut again = super::open_records(config, path)?;
    let headers = records.headers().to_vec();
    let csv = super::report_csv(config, records);
    let columns = ReportColumns::Dictionary;
    let mut report = PendingReport::with_columns(&config.report, columns, &headers, csv)?;
    let (mut tally, mut objects) = (Tally::default(), Objects::new());
    let places = reported.file.rows();
    let mut results: Vec<Option<RowResult>> = vec![None; reported.file.len()];
    for (seq, outcome) in outcomes.iter().enumerate() {
        let Some((_, cells)) = again.next_row()? else {
            break;
        };
        match carried.contains(&outcome.row) {
            true => tally.carry(&outcome),
            false => tally.add(&outcome),
        }
        let at = (places.binary_search_by_key(&outcome.row, |(row, _)| *row))
            .ok()
            .map(|i| places[i].1);
        let (object, id) = reported.object(outcome.row, at, &cells);
        let mut outcome = outcome;
        outcome.source_id = outcome.source_id.or(id);
        match at {
            Some(at) => results[at as usize] = Some(outcome.result),
            // A row that did not enter the tree counts by what it names.
            None => {
                if let Some(kind) = Level::ALL.iter().find(|l| l.word() == object.kind) {
                    let counts = objects.entry(kind.word()).or_default();
                    *counts.entry(outcome.result.as_str()).or_default() += 1;
                }
            }
        }
        report
            .writer
            .push_object(seq as u64, outcome, object, cells)?;
    }
    crate::files::atomic::keep_previous(&config.report)?;
    report.persist()?;
    count_nodes(&reported, results, &mut objects);
    Ok((tally, objects))
}

/// The nodes of the file's tree per kind and result: a node a row
/// describes has its row's; a parent rows only imply is `unchanged` when
/// the tenant held it, else created (or would be) when a node below it was,
/// and not counted when nothing below it was written.
fn count_nodes(reported: &Reported, mut results: Vec<Option<RowResult>>, objects: &mut Objects) {
    let (file, held) = (reported.file, reported.held);
    // Children come after their parents: from the last node up.
    for node in file.iter().rev() {
        let at = node.at as usize;
        if node.row().is_none() && held.find(&file.key_path(node.at)).is_some() {
            results[at] = Some(RowResult::Unchanged);
        }
        let Some(result) = results[at] else {
            continue;
        };
        *(objects.entry(node.level().word()).or_default())
            .entry(result.as_str())
            .or_default() += 1;
        let made = matches!(result, RowResult::Created | RowResult::WouldCreate);
        if let Some(parent) = node.parent().filter(|_| made)
            && file.node(parent).row().is_none()
            && results[parent as usize].is_none()
        {
            results[parent as usize] = Some(result);
        }
    }
}
