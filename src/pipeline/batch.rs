//! Grouping planned rows into units of work, in file order: rows that
//! create a source go in batches through the bulk create route, rows that
//! update one in batches through the bulk edit route (`--batch-size`);
//! every other row goes on its own.
//!
//! Invariant: two rows with one technical name are never in flight at once.
//! A row whose technical name an earlier row of the file has goes alone,
//! after the unit that carries that earlier row is done (the batches being
//! filled are sent first, so that it never waits on a unit not yet started).

use std::collections::{HashMap, VecDeque};

use tokio_util::sync::CancellationToken;

use crate::model::action::Action;
use crate::model::key::{Key, Print};
use crate::pipeline::input::InputRow;
use crate::pipeline::plan::{Plan, Planner, Sending};
use crate::pipeline::send::Sender;

pub(crate) enum Work {
    One(Box<(InputRow, Plan)>),
    Batch(Action, Vec<(InputRow, Sending)>),
}

/// A unit of work, with the units it must wait for.
pub(crate) struct Unit {
    pub(crate) work: Work,
    /// Done when the units that carry earlier rows of the same technical name are.
    pub(crate) after: Vec<CancellationToken>,
    /// Cancelled once this unit is done.
    pub(crate) done: CancellationToken,
}

impl Unit {
    fn new(work: Work, after: Vec<CancellationToken>, done: CancellationToken) -> Unit {
        Unit { work, after, done }
    }
}

#[derive(Default)]
struct Pending {
    rows: Vec<(InputRow, Sending)>,
    done: CancellationToken,
}

/// Plans rows in file order and groups them into units.
pub(crate) struct Units<'a, I> {
    rows: I,
    planner: Planner<'a>,
    sender: Option<&'a Sender<'a>>,
    batch_size: usize,
    creates: Pending,
    updates: Pending,
    ready: VecDeque<Unit>,
    /// The print of an upserted key → the unit that carries its last row.
    last: HashMap<Print, CancellationToken>,
    /// Units done are forgotten when `last` grows past this.
    prune_at: usize,
}

impl<'a, I> Units<'a, I> {
    pub(crate) fn new(
        rows: I,
        planner: Planner<'a>,
        sender: Option<&'a Sender<'a>>,
        batch_size: usize,
    ) -> Units<'a, I> {
        Units {
            rows,
            planner,
            sender,
            batch_size,
            creates: Pending::default(),
            updates: Pending::default(),
            ready: VecDeque::new(),
            last: HashMap::new(),
            prune_at: 1024,
        }
    }

    fn remember(&mut self, key: &Key, done: &CancellationToken) {
        self.last.insert(key.print(), done.clone());
        if self.last.len() > self.prune_at {
            self.last.retain(|_, t| !t.is_cancelled());
            self.prune_at = (self.last.len() * 2).max(1024);
        }
    }

    fn flush(&mut self, route: Action) {
        let pending = match route {
            Action::Create => &mut self.creates,
            Action::Update => &mut self.updates,
        };
        let Pending { rows, done } = std::mem::take(pending);
        if !rows.is_empty() {
            self.ready
                .push_back(Unit::new(Work::Batch(route, rows), vec![], done));
        }
    }

    fn place(&mut self, row: InputRow, plan: Plan) {
        let Plan::Send(sending) = plan else {
            let done = CancellationToken::new();
            self.ready
                .push_back(Unit::new(Work::One(Box::new((row, plan))), vec![], done));
            return;
        };
        let key = sending.key.clone();
        let upsert = sending.draft.upsert;
        let route = sending.action;
        // A tenant found without the bulk route gets one unit per row from
        // then on (each counted as it completes, not when a batch would).
        let bulk = (self.sender).is_some_and(|s| s.client().routes().bulk_works(route));
        if bulk && self.batch_size > 1 && sending.new_tags.is_empty() && !sending.earlier {
            // A missing tag needs creating first, which the bulk routes cannot say.
            let pending = match route {
                Action::Create => &mut self.creates,
                Action::Update => &mut self.updates,
            };
            pending.rows.push((row, *sending));
            let (full, done) = (pending.rows.len() >= self.batch_size, pending.done.clone());
            if upsert {
                self.remember(&key, &done);
            }
            if full {
                self.flush(route);
            }
            return;
        }
        let mut after = Vec::new();
        if sending.earlier {
            self.flush(Action::Create);
            self.flush(Action::Update);
            after.extend(self.last.get(&key.print()).cloned());
        }
        let done = CancellationToken::new();
        if upsert {
            self.remember(&key, &done);
        }
        self.ready.push_back(Unit::new(
            Work::One(Box::new((row, Plan::Send(sending)))),
            after,
            done,
        ));
    }
}

impl<I: Iterator<Item = anyhow::Result<InputRow>>> Iterator for Units<'_, I> {
    type Item = anyhow::Result<Unit>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(unit) = self.ready.pop_front() {
                return Some(Ok(unit));
            }
            let Some(row) = self.rows.next() else {
                self.flush(Action::Create);
                self.flush(Action::Update);
                return self.ready.pop_front().map(Ok);
            };
            let row = match row {
                Ok(row) => row,
                Err(e) => return Some(Err(e)),
            };
            let plan = match self.sender {
                Some(s) if s.stopped().is_some() => Plan::Ready(s.skipped(row.row)),
                _ => self.planner.plan(&row),
            };
            self.place(row, plan);
        }
    }
}
