//! Planning a row, in file order, before anything is sent: what was done
//! before (journal, report), validation and resolution, duplicates, the
//! `--if-exists` policy, and what an update would change (`compare.rs`).
//! The result is a `Plan`: an outcome already known, or a row to send.

use std::collections::HashMap;

use crate::client::exchange::recorded_may_have_acted;
use crate::model::action::Action;
use crate::model::if_exists::IfExists;
use crate::model::key::{Key, Print};
use crate::model::outcome::{Outcome, RowResult};
use crate::model::source::{RowError, SourceDraft};
use crate::pipeline::compare;
use crate::pipeline::directory::{Directory, Existing, Rules, with_source};
use crate::pipeline::input::{Field, HeaderMap, InputRow};
use crate::pipeline::journal::{Event, Sent};

/// What a row will do, decided in file order before it starts.
pub(crate) enum Plan {
    Ready(Outcome),
    /// Done by an earlier run into this report (its journal, or the report
    /// a rerun reads): kept as it is, and counted apart.
    Carried(Outcome),
    /// The source exists and the row would fail "already exists".
    Conflict(u64, Existing),
    Send(Box<Sending>),
}

/// A row to send: the planned unit of work.
#[derive(Debug)]
pub(crate) struct Sending {
    pub(crate) row: u64,
    /// The object it writes.
    pub(crate) key: Key,
    /// `Update` when the object exists (or an earlier row of this file makes it).
    pub(crate) action: Action,
    /// What it sends.
    pub(crate) draft: SourceDraft,
    /// The source as listed, when it exists.
    pub(crate) existing: Option<Existing>,
    /// An earlier row of this file has the same technical name: this one
    /// goes after it, never at the same time.
    pub(crate) earlier: bool,
    /// What it changes, when the listing told what the source holds.
    pub(crate) changes: Option<String>,
    /// Tags to create first (`--create-missing-tags`).
    pub(crate) new_tags: Vec<String>,
    /// What the user should know of a row that still goes (in the report's
    /// `error` column of a created row).
    pub(crate) warning: Option<String>,
}

impl Sending {
    /// Its outcome once done (`check`: what it would be).
    pub(crate) fn outcome(&self, result: RowResult) -> Outcome {
        let mut o = Outcome::new(self.row, result);
        if matches!(result, RowResult::Updated | RowResult::WouldUpdate) {
            o.changes = self.changes.clone();
        }
        if matches!(result, RowResult::Created | RowResult::WouldCreate) {
            o.error = self.warning.clone();
        }
        match &self.existing {
            Some(e) => with_source(o, e),
            None => o,
        }
    }
}

/// What earlier runs into this report already did: outcomes kept in the
/// journal of an interrupted run, and rows whose request went out without a
/// recorded answer (with what that request did).
#[derive(Debug, Default)]
pub(crate) struct Prior {
    pub(crate) done: HashMap<u64, Outcome>,
    pub(crate) sent: HashMap<u64, Action>,
    /// The report read was made against another target (`--other-target`):
    /// none of its outcomes holds here.
    pub(crate) other_target: bool,
}

impl Prior {
    pub(crate) fn from_journal(events: Vec<Event>) -> Prior {
        let mut prior = Prior::default();
        for event in events {
            match event {
                Event::Sent(Sent { row, action }) => {
                    prior.sent.insert(row, action);
                }
                Event::Done(outcome) => prior.carry(outcome),
            }
        }
        prior.sent.retain(|row, _| !prior.done.contains_key(row));
        prior
    }

    /// Keeps an earlier outcome, unless the row was never attempted
    /// (`skipped`): that one is what is left to do.
    pub(crate) fn carry(&mut self, outcome: Outcome) {
        if outcome.result != RowResult::Skipped {
            self.done.insert(outcome.row, outcome);
        }
    }
}

/// The sequential part: what was done before, validation, duplicates, the
/// `--if-exists` policy, and the comparison with what the server holds.
pub(crate) struct Planner<'a> {
    pub(crate) directory: &'a Directory,
    pub(crate) header: &'a HeaderMap,
    pub(crate) if_exists: IfExists,
    pub(crate) rules: Rules,
    pub(crate) prior: Prior,
    /// The print of each key seen → its first row.
    pub(crate) seen: HashMap<Print, u64>,
    /// The first row of each folded form (case and Unicode form aside) of
    /// the keys not already folded.
    pub(crate) seen_folded: HashMap<Print, u64>,
    /// `--strict-names`: a technical name that differs from another only in
    /// case or Unicode form is an error, not a warning.
    pub(crate) strict_names: bool,
}

impl Planner<'_> {
    /// A row that creates a source under a name another source already has.
    fn name_taken(&self, draft: &SourceDraft) -> Option<String> {
        self.directory.name_taken(&draft.name).then(|| {
            format!(
                "warning: a source named '{}' already exists under another technical name: \
                 this row creates a second one (give it that technical name to update it)",
                draft.name
            )
        })
    }

    /// A new key that another (an existing source's, or an earlier row's)
    /// matches but for case or Unicode form.
    fn nearly(&mut self, key: &Key, row: u64) -> Option<RowError> {
        let folded = key.folded();
        let print = folded.print();
        // Keys already in their folded form (most) are in `seen`; only the
        // others are kept in `seen_folded`, under their folded form.
        let earlier = match folded == *key {
            true => self.seen_folded.get(&print).copied(),
            false => {
                let earlier = (self.seen_folded.get(&print).copied())
                    .or_else(|| self.seen.get(&print).copied());
                self.seen_folded.entry(print).or_insert(row);
                earlier
            }
        };
        let other = match (self.directory.nearly(key), earlier) {
            (Some(existing), _) => format!("the existing source '{existing}'"),
            (None, Some(earlier)) => format!("the technical name of row {earlier}"),
            (None, None) => return None,
        };
        let column = match self.header.index(Field::TechnicalName) {
            Some(_) => self.header.label(Field::TechnicalName),
            None => self.header.label(Field::Name),
        };
        Some(RowError::NearDuplicate {
            column: column.to_owned(),
            value: key.to_string(),
            other,
        })
    }
}

/// The warnings of a row that still goes, in the report's `error` column.
fn warnings(said: impl IntoIterator<Item = Option<String>>) -> Option<String> {
    let said: Vec<String> = said.into_iter().flatten().collect();
    (!said.is_empty()).then(|| said.join("; "))
}

fn invalid(row: u64, errors: &[RowError]) -> Outcome {
    let message = errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ");
    let kinds = errors.iter().map(RowError::kind).collect();
    Outcome::new(row, RowResult::Invalid).with_errors(kinds, message)
}

impl Planner<'_> {
    /// A row done before (this run's journal, or the report a rerun reads):
    /// carried over as it is, its technical name still taken.
    fn carried(&mut self, input: &InputRow) -> Option<Outcome> {
        let outcome = (self.prior.done.remove(&input.row))
            .or_else(|| (input.previous.clone()).filter(|p| p.result.is_done()))
            .filter(|_| !self.prior.other_target)?;
        if let Some(key) = self.header.key(&input.cells) {
            self.seen.entry(key.print()).or_insert(input.row);
        }
        Some(outcome)
    }

    /// What the row's request did when it was sent before without a known
    /// outcome, by the journal or by a report's attempts.
    fn sent_before(&mut self, input: &InputRow) -> Option<Action> {
        self.prior.sent.remove(&input.row).or_else(|| {
            input
                .previous
                .as_ref()
                .filter(|_| !self.prior.other_target)
                .filter(|p| p.attempts > 0 && recorded_may_have_acted(p.http_status))
                .map(|_| Action::Create)
        })
    }

    /// A row that may update: sent with what changes, or `unchanged`.
    /// The listing is this run's: it already shows what an earlier attempt
    /// without an answer did.
    fn upsert(&self, mut sending: Sending, sent_before: Option<Action>) -> Plan {
        // An earlier row of this file may change the source first: no comparison.
        let existing = sending.existing.as_ref().filter(|_| !sending.earlier);
        if let Some(current) = existing.and_then(|e| e.current.as_deref()) {
            let definitions = self.directory.definitions.as_ref();
            let changes = compare::changes(&sending.draft, current, definitions);
            if changes.is_empty() {
                // Our own earlier attempt without an answer made it so.
                let result = sent_before.map_or(RowResult::Unchanged, Action::done);
                return Plan::Ready(sending.outcome(result));
            }
            sending.changes = Some(compare::describe(&changes));
        }
        Plan::Send(Box::new(sending))
    }

    pub(crate) fn plan(&mut self, input: &InputRow) -> Plan {
        let row = input.row;
        if let Some(outcome) = self.carried(input) {
            return Plan::Carried(outcome);
        }
        let (mut draft, new_tags, lacks) =
            match self.directory.resolve(self.header, input, self.rules) {
                Ok(resolved) => (resolved.draft, resolved.new_tags, resolved.lacks),
                Err(errors) => return Plan::Ready(invalid(row, &errors)),
            };
        let upsert = draft.upsert || self.if_exists == IfExists::Update;
        let key = draft.key();
        let earlier = match self.seen.get(&key.print()) {
            Some(first_row) if !upsert => {
                let dup = RowError::Duplicate {
                    first_row: *first_row,
                    technical_name: key.to_string(),
                };
                return Plan::Ready(invalid(row, &[dup]));
            }
            Some(_) => true,
            None => {
                self.seen.insert(key.print(), row);
                false
            }
        };
        let sent_before = self.sent_before(input);
        let existing = self.directory.existing(&key);
        let near = match (existing, earlier) {
            (None, false) => self.nearly(&key, row),
            _ => None,
        };
        if let Some(near) = near.as_ref().filter(|_| self.strict_names) {
            return Plan::Ready(invalid(row, std::slice::from_ref(near)));
        }
        let near = near.map(|n| format!("warning: {n} (--strict-names refuses such rows)"));
        // A mandatory custom attribute left empty: the row may not create.
        if !lacks.is_empty() && !earlier && existing.is_none() {
            return Plan::Ready(invalid(row, &lacks));
        }
        if upsert {
            draft.upsert = true;
            let sending = Sending {
                row,
                key,
                action: Action::of(earlier || existing.is_some()),
                draft,
                existing: existing.cloned(),
                earlier,
                changes: None,
                new_tags,
                warning: near,
            };
            return self.upsert(sending, sent_before);
        }
        match (existing, sent_before) {
            // It was sent without an answer when it did not exist: it exists now because of us.
            (Some(e), Some(Action::Create)) => {
                tracing::debug!("row {row}: found after an earlier attempt without an answer");
                Plan::Ready(with_source(Outcome::new(row, RowResult::Created), e))
            }
            (Some(e), _) if self.if_exists == IfExists::Skip => {
                Plan::Ready(with_source(Outcome::new(row, RowResult::Unchanged), e))
            }
            (Some(e), _) => Plan::Conflict(row, e.clone()),
            (None, _) => Plan::Send(Box::new(Sending {
                row,
                key,
                action: Action::Create,
                warning: warnings([near, self.name_taken(&draft)]),
                draft,
                existing: None,
                earlier: false,
                changes: None,
                new_tags,
            })),
        }
    }
}
