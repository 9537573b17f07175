//! `run` of a dictionary, past the check: the nodes found new or changed
//! written in bulktrees (`pipeline::dictionary::write`), under the journal
//! that a `--resume` continues; a signal drains the tree in flight (its
//! answer awaited the grace period), and a row left undecided says so.

use std::collections::HashMap;

use crate::client::api::Client;
use crate::commands::signals::{self, Interrupt};
use crate::model::action::Action;
use crate::model::outcome::{ErrorKind, Outcome, Problem, RowResult};
use crate::pipeline::dictionary::listing;
use crate::pipeline::dictionary::plan::{self, Plan};
use crate::pipeline::dictionary::tree::Tree;
use crate::pipeline::dictionary::write::Writes;
use crate::pipeline::directory::Target;
use crate::pipeline::journal::Journal;

/// What a run writes to, and compares with.
pub(super) struct Wrote<'a> {
    pub(super) client: &'a Client,
    pub(super) target: &'a Target,
    pub(super) file: &'a Tree,
    pub(super) held: &'a Tree,
    pub(super) journal: Option<&'a Journal>,
    /// Rows an interrupted run sent without a known result, with what they did.
    pub(super) sent_before: &'a HashMap<u64, Action>,
}

/// The nodes the check found new or changed, written; each row's outcome
/// turned from what a write would do into what it did. True when every
/// row's result is known (nothing is left for a `--resume`).
pub(super) async fn write(
    wrote: Wrote<'_>,
    tree_size: Option<usize>,
    outcomes: &mut [Outcome],
    interrupt: &Interrupt,
) -> anyhow::Result<bool> {
    let planned: HashMap<u64, Action> = (outcomes.iter())
        .filter_map(|o| match o.result {
            RowResult::WouldCreate => Some((o.row, Action::Create)),
            RowResult::WouldUpdate => Some((o.row, Action::Update)),
            _ => None,
        })
        .collect();
    let plan = Plan::new(wrote.file, wrote.held, |row| planned.get(&row).copied());
    let mut writes = Writes {
        client: wrote.client,
        target: wrote.target,
        file: wrote.file,
        held: wrote.held,
        plan: &plan,
        outcomes,
        journal: wrote.journal,
        sent_before: wrote.sent_before,
        unsure: Vec::new(),
    };
    let size = tree_size.unwrap_or(plan::TREE_SIZE);
    tokio::select! {
        done = writes.all(size) => done?,
        _ = signals::drain_on(interrupt, wrote.client.halt()) => unreachable!("pending forever"),
    }
    let halted = wrote.client.halt().stopped().is_some();
    match (writes.unsure.is_empty(), halted) {
        (true, _) => {}
        (false, true) => writes.leave_unsure(),
        (false, false) => {
            let after = listing::list(wrote.client, wrote.target, |_| true).await?;
            writes.settle(&after.tree)?;
        }
    }
    drop(writes);
    let planned_rows = outcomes.iter_mut().filter(|o| planned.contains_key(&o.row));
    for o in
        planned_rows.filter(|o| matches!(o.result, RowResult::WouldCreate | RowResult::WouldUpdate))
    {
        *o = Outcome::new(o.row, RowResult::Skipped).with_error(
            ErrorKind::row(Problem::NotAttempted),
            "not sent: the run stopped first",
        );
    }
    Ok(!halted)
}
