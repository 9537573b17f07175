//! The end-of-run summary: counts per result, time, requests, and errors
//! grouped by kind with their first rows. Printed on stderr as text, and
//! written as JSON (`--summary-json`, with a `schema_version`) for schedulers.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::client::pace::Pace;
use crate::model::outcome::{ErrorKind, Outcome, Problem, RowResult};

pub(crate) const SCHEMA_VERSION: u32 = 1;
/// How many row numbers an error group lists.
const FIRST_ROWS: usize = 10;

#[derive(Debug, Serialize)]
pub(crate) struct ErrorGroup {
    /// The kind in words (`owners: unknown user`).
    pub(crate) kind: String,
    /// The column it is about; `null` for the row as a whole.
    pub(crate) column: Option<String>,
    /// Rows with an error of this kind (a row with errors of several kinds
    /// counts in each).
    pub(crate) count: u64,
    pub(crate) first_rows: Vec<u64>,
}

/// What every command's summary says (`run`, `rerun`, `check`, `export`),
/// once: the commands add their own parts beside it.
#[derive(Debug, Serialize)]
pub(crate) struct Common {
    pub(crate) schema_version: u32,
    pub(crate) command: &'static str,
    #[serde(rename = "elapsed_secs", serialize_with = "seconds")]
    pub(crate) elapsed: Duration,
    pub(crate) requests: u64,
    /// What the user was warned of (a scope that matches nothing, ...).
    pub(crate) warnings: Vec<String>,
    /// Why the command stopped early, if it did.
    pub(crate) stopped: Option<String>,
    pub(crate) exit_code: u8,
}

impl Common {
    /// What the limiter counted since `started` (nothing before it existed).
    pub(crate) fn new(command: &'static str, started: Instant, pace: Option<&Pace>) -> Common {
        Common {
            schema_version: SCHEMA_VERSION,
            command,
            elapsed: started.elapsed(),
            requests: pace.map_or(0, |p| p.counters.requests.load(Ordering::Relaxed)),
            warnings: vec![],
            stopped: None,
            exit_code: 0,
        }
    }

    /// The command stopped on `e`: said, with its exit code.
    pub(crate) fn stopped_by(&mut self, e: &anyhow::Error) {
        self.stopped = Some(format!("{e:#}"));
        self.exit_code = crate::exit::code_of_error(e);
    }
}

/// Seconds, to the millisecond.
fn seconds<S: serde::Serializer>(elapsed: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((elapsed.as_secs_f64() * 1000.0).round() / 1000.0)
}

/// Writes a summary, atomically, where `--summary-json` says. Its path was
/// checked before the first request; a failure now leaves the exit code as
/// it is (the command's work is done) and is said on stderr.
pub(crate) fn write_if_asked(path: Option<&Path>, summary: &impl Serialize) {
    if let Some(path) = path
        && let Err(e) = crate::files::output::write_json(path, summary)
    {
        let said = format!("error: the summary was not written: {e:#}");
        crate::voice::say("ERROR", &said, None);
    }
}

/// The summary of `run`, `rerun` and `check`: what was done (`Totals`) and
/// the counts of the rows (`Tally`).
#[derive(Debug, Serialize)]
pub(crate) struct Summary {
    #[serde(flatten)]
    pub(crate) totals: Totals,
    pub(crate) rows: u64,
    /// Counts per result over the whole report (`done_before` included).
    pub(crate) results: BTreeMap<&'static str, u64>,
    /// Rows an earlier run into this report had done, carried over unsent.
    pub(crate) done_before: u64,
    pub(crate) rows_per_sec: f64,
    pub(crate) errors: Vec<ErrorGroup>,
    /// Counts per result of this run's own work (for the text).
    #[serde(skip)]
    now: BTreeMap<&'static str, u64>,
}

/// The encoding an input was read in.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct Encoding {
    pub(crate) name: String,
    pub(crate) detected: bool,
}

/// Collects outcomes as they come.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    counts: BTreeMap<RowResult, u64>,
    /// Of `counts`, the rows an earlier run into the report had done.
    carried: BTreeMap<RowResult, u64>,
    /// Created rows whose id is not known yet (bulk mode).
    pub(crate) created_without_id: u64,
    groups: BTreeMap<ErrorKind, ErrorGroup>,
}

impl Tally {
    pub(crate) fn add(&mut self, o: &Outcome) {
        *self.counts.entry(o.result).or_default() += 1;
        if o.result == RowResult::Created && o.source_id.is_none() {
            self.created_without_id += 1;
        }
        // A done row's `error` is a warning: not an error to group.
        if o.result.is_success() {
            return;
        }
        let untyped = (o.error.iter())
            .filter(|_| o.error_kinds.is_empty())
            .map(|e| ErrorKind::row(Problem::Other(e.clone())));
        let kinds: Vec<ErrorKind> = o.error_kinds.iter().cloned().chain(untyped).collect();
        for kind in kinds {
            let group = self
                .groups
                .entry(kind)
                .or_insert_with_key(|kind| ErrorGroup {
                    kind: kind.to_string(),
                    column: kind.column.clone(),
                    count: 0,
                    first_rows: vec![],
                });
            group.count += 1;
            // Rows complete out of order: keep the first ones of the file.
            let at = group.first_rows.partition_point(|r| *r < o.row);
            if at < FIRST_ROWS {
                group.first_rows.insert(at, o.row);
                group.first_rows.truncate(FIRST_ROWS);
            }
        }
    }

    /// A row an earlier run into the report did: in the counts, and apart.
    pub(crate) fn carry(&mut self, o: &Outcome) {
        *self.counts.entry(o.result).or_default() += 1;
        *self.carried.entry(o.result).or_default() += 1;
    }

    pub(crate) fn rows(&self) -> u64 {
        self.counts.values().sum()
    }

    /// Every row is created, updated or unchanged (for `check`: would be).
    pub(crate) fn all_succeeded(&self) -> bool {
        self.counts.iter().all(|(r, n)| r.is_success() || *n == 0)
    }
}

/// What a run, rerun or check did beside its rows.
#[derive(Debug, Serialize)]
pub(crate) struct Totals {
    #[serde(flatten)]
    pub(crate) common: Common,
    pub(crate) input: String,
    pub(crate) report: String,
    pub(crate) retries: u64,
    /// Requests answered 429.
    pub(crate) rate_limited: u64,
    /// Pauses for 429 (one per block of the tenant).
    pub(crate) pauses: u64,
    /// Sources set `Obsolete` by `--retire-missing` (`check`: that would be).
    pub(crate) retired: u64,
    /// Sources `--retire-missing` failed to retire.
    pub(crate) retire_failed: u64,
    /// The existing sources `--retire-missing`'s scope matched (`null`
    /// without it, and when a rerun finishes a set decided before).
    pub(crate) retire_scope_matched: Option<u64>,
    /// Tags created by `--create-missing-tags`.
    pub(crate) created_tags: Vec<String>,
    /// The encoding a CSV input was read in, when not UTF-8 (`detected`:
    /// decided from its bytes, without `--encoding`).
    pub(crate) encoding: Option<Encoding>,
    /// The columns taken as custom attributes, by header.
    pub(crate) attribute_columns: Vec<String>,
    /// A dictionary's rows per kind of object and result
    /// (`{"field": {"created": 150}}`); empty for sources.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) objects: BTreeMap<&'static str, BTreeMap<&'static str, u64>>,
}

impl Totals {
    /// What the limiter counted since `started` (nothing before it
    /// existed); the rest empty.
    pub(crate) fn new(
        command: &'static str,
        input: &str,
        report: &Path,
        started: Instant,
        pace: Option<&Pace>,
    ) -> Totals {
        let count = |c: fn(&Pace) -> &AtomicU64| pace.map_or(0, |p| c(p).load(Ordering::Relaxed));
        Totals {
            common: Common::new(command, started, pace),
            input: input.to_owned(),
            report: report.display().to_string(),
            retries: count(|p| &p.counters.retries),
            rate_limited: count(|p| &p.counters.rate_limited),
            pauses: count(|p| &p.counters.pauses),
            retired: 0,
            retire_failed: 0,
            retire_scope_matched: None,
            created_tags: vec![],
            encoding: None,
            attribute_columns: vec![],
            objects: BTreeMap::new(),
        }
    }
}

impl Summary {
    pub(crate) fn new(tally: Tally, totals: Totals) -> Summary {
        let rows = tally.rows();
        let secs = totals.common.elapsed.as_secs_f64();
        let mut errors: Vec<ErrorGroup> = tally.groups.into_values().collect();
        errors.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.kind.cmp(&b.kind)));
        Summary {
            totals,
            rows,
            results: RowResult::ALL
                .iter()
                .map(|r| (r.as_str(), tally.counts.get(r).copied().unwrap_or(0)))
                .collect(),
            done_before: tally.carried.values().sum(),
            now: RowResult::ALL
                .iter()
                .map(|r| {
                    let all = tally.counts.get(r).copied().unwrap_or(0);
                    (r.as_str(), all - tally.carried.get(r).copied().unwrap_or(0))
                })
                .collect(),
            rows_per_sec: if secs > 0.0 {
                ((rows as f64 / secs) * 100.0).round() / 100.0
            } else {
                0.0
            },
            errors,
        }
    }

    pub(crate) fn exit_code(&self) -> u8 {
        self.totals.common.exit_code
    }
}

/// A dictionary's rows per kind, from the source down: `  fields: 150 created`.
fn write_objects(
    f: &mut fmt::Formatter<'_>,
    objects: &BTreeMap<&'static str, BTreeMap<&'static str, u64>>,
) -> fmt::Result {
    let kinds = ["source", "container", "structure", "field"];
    for (kind, results) in kinds.iter().filter_map(|k| objects.get_key_value(k)) {
        let counts: Vec<String> = (results.iter())
            .filter(|(_, n)| **n > 0)
            .map(|(r, n)| format!("{n} {r}"))
            .collect();
        writeln!(f, "  {kind}s: {}", counts.join(", "))?;
    }
    Ok(())
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (t, common) = (&self.totals, &self.totals.common);
        let counts: Vec<String> = self
            .now
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(r, n)| format!("{n} {r}"))
            .collect();
        let counts = match (counts.is_empty(), self.done_before) {
            (true, 0) => "none".to_owned(),
            (false, 0) => counts.join(", "),
            (true, before) => format!("{before} done before"),
            (false, before) => format!("{} now, {before} done before", counts.join(", ")),
        };
        writeln!(f, "{} rows: {counts}", self.rows)?;
        writeln!(
            f,
            "{:.1}s, {:.1} rows/s, {} requests, {} retries, {} refused (429) in {} pauses",
            common.elapsed.as_secs_f64(),
            self.rows_per_sec,
            common.requests,
            t.retries,
            t.rate_limited,
            t.pauses
        )?;
        if let Some(e) = &t.encoding {
            match e.detected {
                true => writeln!(
                    f,
                    "read as {} (detected; --encoding LABEL reads it as another)",
                    e.name
                )?,
                false => writeln!(f, "read as {}", e.name)?,
            }
        }
        if !t.attribute_columns.is_empty() {
            let columns = t.attribute_columns.join(", ");
            writeln!(f, "custom attributes: {columns}")?;
        }
        write_objects(f, &t.objects)?;
        // A dictionary retires its objects; a sources file, sources.
        let what = if t.objects.is_empty() {
            "sources"
        } else {
            "objects"
        };
        if common.command == "check" && t.retired > 0 {
            writeln!(f, "would retire: {} {what}", t.retired)?;
        } else if t.retired + t.retire_failed > 0 {
            let (retired, failed) = (t.retired, t.retire_failed);
            writeln!(f, "retired: {retired} {what}, {failed} failed")?;
        }
        if let Some(why) = &common.stopped {
            writeln!(f, "stopped: {why}")?;
        }
        if !t.created_tags.is_empty() {
            writeln!(f, "created tags: {}", t.created_tags.join(", "))?;
        }
        if !self.errors.is_empty() {
            writeln!(f, "errors:")?;
            for g in &self.errors {
                let rows: Vec<String> = g.first_rows.iter().map(u64::to_string).collect();
                let more = if g.count as usize > g.first_rows.len() {
                    ", ..."
                } else {
                    ""
                };
                let noun = if g.count == 1 { "row" } else { "rows" };
                writeln!(
                    f,
                    "  {} — {} {noun}: {}{more}",
                    g.kind,
                    g.count,
                    rows.join(", ")
                )?;
            }
        }
        write!(f, "report: {}", t.report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_grouped_by_kind_with_their_first_rows() {
        let mut tally = Tally::default();
        for row in 2..20 {
            tally.add(&Outcome::new(row, RowResult::Invalid).with_error(
                ErrorKind::of("owners", Problem::UnknownUser),
                format!("owners: unknown user 'u{row}'"),
            ));
        }
        tally.add(&Outcome::new(20, RowResult::Created));
        tally.add(&Outcome::new(1, RowResult::Failed).with_error(
            ErrorKind::of("owners", Problem::UnknownUser),
            "late but first",
        ));
        let mut totals = totals("run", "in.csv", Duration::from_secs(2));
        totals.common.requests = 5;
        totals.common.exit_code = 1;
        totals.retries = 1;
        totals.encoding = Some(Encoding {
            name: "windows-1252".into(),
            detected: true,
        });
        totals.attribute_columns = vec!["Data Domain".into()];
        let summary = Summary::new(tally, totals);
        let text = summary.to_string();
        assert!(
            text.starts_with("20 rows: 1 created, 1 failed, 18 invalid\n"),
            "{text}"
        );
        assert!(
            text.contains("  owners: unknown user — 19 rows: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, ...\n"),
            "{text}"
        );
        assert!(
            text.contains("read as windows-1252 (detected; --encoding LABEL reads it as another)\ncustom attributes: Data Domain\n"),
            "{text}"
        );
        let json = serde_json::to_value(&summary).unwrap();
        assert_eq!(json["encoding"]["detected"], true);
        assert_eq!(json["schema_version"], 1);
        assert_eq!(json["results"]["skipped"], 0);
        assert_eq!(json["errors"][0]["count"], 19);
        assert_eq!(json["elapsed_secs"], 2.0);
        assert_eq!(json["exit_code"], 1);
        assert_eq!(json["command"], "run");
        assert_eq!(json["report"], "in.report.csv");
    }
}

/// Totals of `elapsed` with nothing counted.
#[cfg(test)]
fn totals(command: &'static str, input: &str, elapsed: Duration) -> Totals {
    let mut totals = Totals::new(
        command,
        input,
        Path::new("in.report.csv"),
        Instant::now(),
        None,
    );
    totals.common.elapsed = elapsed;
    totals
}

#[cfg(test)]
mod every_error {
    use super::*;

    #[test]
    fn a_row_with_several_errors_counts_in_each_of_their_groups() {
        let mut tally = Tally::default();
        for row in 2..=5 {
            let kinds = vec![
                ErrorKind::of("type", Problem::UnknownSourceType),
                ErrorKind::of("status", Problem::UnknownStatus),
                ErrorKind::of("type", Problem::UnknownSourceType),
            ];
            let outcome = Outcome::new(row, RowResult::Invalid).with_errors(kinds, "both");
            tally.add(&outcome);
        }
        let untyped = Outcome {
            error: Some("odd".into()),
            ..Outcome::new(6, RowResult::Failed)
        };
        tally.add(&untyped);
        let groups: Vec<(String, u64)> = (tally.groups.values())
            .map(|g| (g.kind.clone(), g.count))
            .collect();
        assert_eq!(
            groups,
            [
                ("odd".to_owned(), 1),
                ("status: unknown status".to_owned(), 4),
                ("type: unknown source type".to_owned(), 4),
            ]
        );
        assert_eq!(tally.rows(), 5, "rows are counted once");
    }
}

#[cfg(test)]
mod carried {
    use super::*;

    fn first_line(tally: Tally) -> String {
        let totals = super::totals("rerun", "in.report.csv", Duration::from_secs(1));
        let summary = Summary::new(tally, totals);
        assert_eq!(summary.results["created"], 40, "the whole report");
        summary.to_string().lines().next().unwrap().to_owned()
    }

    #[test]
    fn rows_done_before_are_counted_apart_from_this_runs_work() {
        let mut tally = Tally::default();
        (1..=33).for_each(|row| tally.carry(&Outcome::new(row, RowResult::Created)));
        (34..=40).for_each(|row| tally.add(&Outcome::new(row, RowResult::Created)));
        assert_eq!(first_line(tally), "40 rows: 7 created now, 33 done before");
        let mut all_before = Tally::default();
        (1..=40).for_each(|row| all_before.carry(&Outcome::new(row, RowResult::Created)));
        assert_eq!(first_line(all_before), "40 rows: 40 done before");
    }
}
