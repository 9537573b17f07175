//! `run` of a dictionary, past the check: the nodes found new or changed
//! written in bulktrees (`pipeline::dictionary::write`), under the journal
//! that a `--resume` continues; a signal drains the tree in flight (its
//! answer awaited the grace period), and a row left undecided says so.

use std::collections::HashMap;

use crate::client::api::Client;
use crate::commands::signals::{self, Interrupt};
use crate::model::action::Action;
use crate::model::outcome::{ErrorKind, Outcome, Problem, RowResult};
use crate::model::outcomes::Outcomes;
use crate::pipeline::dictionary::listing;
use crate::pipeline::dictionary::plan::{self, Plan};
use crate::pipeline::dictionary::retire::Retiring;
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
    /// The custom attributes a listing after the writes keeps.
    pub(super) custom: listing::Kept<'a>,
    pub(super) journal: Option<&'a Journal>,
    /// Rows an interrupted run sent without a known result, with what they did.
    pub(super) sent_before: &'a HashMap<u64, Action>,
    /// What `--retire-missing` retires, riding along the writes where it can.
    pub(super) retiring: Option<&'a mut Retiring>,
}

/// What the writes left: whether every row's result is known (nothing is
/// left for a `--resume`), and the tenant's dictionary listed after them
/// when it was (for the rows an answer did not account for, or for the ids
/// of the nodes created when that costs little).
pub(super) struct Written {
    pub(super) complete: bool,
    pub(super) after: Option<Tree>,
    /// Rows created whose ids were not listed (it would have cost too much).
    pub(super) ids_not_listed: u64,
}

/// The nodes the check found new or changed, written; each row's outcome
/// turned from what a write would do into what it did.
pub(super) async fn write(
    wrote: Wrote<'_>,
    tree_size: Option<usize>,
    outcomes: &mut Outcomes,
    interrupt: &Interrupt,
) -> anyhow::Result<Written> {
    let planned = |result| match result {
        RowResult::WouldCreate => Some(Action::Create),
        RowResult::WouldUpdate => Some(Action::Update),
        _ => None,
    };
    let plan = Plan::new(wrote.file, wrote.held, |row| {
        planned(outcomes.result(outcomes.find(row)?))
    });
    let created = (outcomes.results())
        .filter(|(_, r)| *r == RowResult::WouldCreate)
        .count() as u64;
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
        sent: 0,
        breaker: Default::default(),
        retiring: wrote.retiring,
    };
    let size = tree_size.unwrap_or(plan::TREE_SIZE);
    tokio::select! {
        done = writes.all(size) => done?,
        _ = signals::drain_on(interrupt, wrote.client.halt()) => unreachable!("pending forever"),
    }
    let halted = wrote.client.halt().stopped().is_some();
    let for_ids = created > 0 && listing_is_cheap(wrote.held, created, writes.sent);
    let mut after = None;
    if halted {
        writes.leave_unsure();
    } else if !writes.unsure.is_empty() || for_ids {
        let listed = listing::list(wrote.client, wrote.target, |_| true, wrote.custom).await?;
        writes.settle(&listed.tree)?;
        after = Some(listed.tree);
    }
    drop(writes);
    // A row planned and still to be written was not sent.
    for i in 0..outcomes.len() {
        if planned(outcomes.result(i)).is_some() {
            let row = outcomes.get(i).row;
            outcomes.set(
                i,
                Outcome::new(row, RowResult::Skipped).with_error(
                    ErrorKind::row(Problem::NotAttempted),
                    "not sent: the run stopped first",
                ),
            );
        }
    }
    let ids_not_listed = match after {
        Some(_) => 0,
        None => (outcomes.results())
            .filter(|(_, r)| *r == RowResult::Created)
            .count() as u64,
    };
    Ok(Written {
        complete: !halted,
        after,
        ids_not_listed,
    })
}

/// Whether listing the tenant's dictionary again, for the ids of the nodes
/// created, costs at most a few pages (three) per write sent, beyond the
/// four first pages every listing costs (sources, containers, structures,
/// fields).
fn listing_is_cheap(held: &Tree, created: u64, writes: usize) -> bool {
    let held_nodes: u64 = held.counts().values().map(|n| *n as u64).sum();
    let pages = (held_nodes + created).div_ceil(crate::client::listing::PAGE_SIZE);
    pages <= 3 * writes as u64 + 4
}
