//! A dictionary's pieces sent, one bulktree after another (pieces of one
//! source share ancestors a piece before may create), and what became of
//! each row: the answer's counts, when they account for the tree (its
//! `total` the nodes sent, `created` the creates planned), say each row
//! was written as planned; when they do not, or the answer was lost, the
//! tenant's listing after the writes decides. A tree refused for its size
//! is halved without failing a row; one refused naming a node's path
//! loses that node (and the new nodes below it) and is sent again; one
//! refused naming nothing is split in halves down to the bad node. A
//! resend is always safe: a bulktree is an upsert. The journal has each
//! row as sent before its tree goes, and as done once its result is known
//! (after the listing, for a row an answer did not account for), so that a
//! `--resume` sends again only the trees that were in flight.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;

use crate::client::api::Client;
use crate::client::breaker::{Breaker, Verdict};
use crate::client::routes::{self, Kind, Way};
use crate::model::action::Action;
use crate::model::outcome::{ErrorKind, Problem, RowResult};
use crate::model::outcomes::Outcomes;
use crate::pipeline::dictionary::plan::{self, Plan};
use crate::pipeline::dictionary::retire::{Retiring, Rider};
use crate::pipeline::dictionary::tree::{At, Tree};
use crate::pipeline::directory::Target;
use crate::pipeline::journal::{Event, Journal, Sent};

/// The counts a bulktree answers.
#[derive(Debug, Default, Deserialize)]
struct Counts {
    #[serde(default)]
    total: Option<usize>,
    #[serde(default)]
    created: Option<usize>,
}

/// The writes of a run, and the rows whose results wait for the listing.
pub(crate) struct Writes<'a> {
    pub(crate) client: &'a Client,
    pub(crate) target: &'a Target,
    pub(crate) file: &'a Tree,
    pub(crate) held: &'a Tree,
    pub(crate) plan: &'a Plan,
    /// Every row's outcome, in file order (rows ascending): what the check
    /// said a write would do, turned into what it did.
    pub(crate) outcomes: &'a mut Outcomes,
    /// None for a run into the null device.
    pub(crate) journal: Option<&'a Journal>,
    /// Rows an interrupted run sent without a known result, with what they did.
    pub(crate) sent_before: &'a HashMap<u64, Action>,
    /// Nodes whose write an answer did not account for.
    pub(crate) unsure: Vec<At>,
    /// The writes sent (trees, and sources alone).
    pub(crate) sent: usize,
    /// Trees refused for one reason, one after another, stop the run (a
    /// refusal that splits a tree counts once: it is one request).
    pub(crate) breaker: Breaker,
    /// What `--retire-missing` retires, each source's riding along the
    /// first tree that writes the source's rows.
    pub(crate) retiring: Option<&'a mut Retiring>,
}

/// What became of a node's write.
enum Became<'m> {
    Written,
    Failed(Option<u16>, &'m str),
}

impl Writes<'_> {
    /// Every piece of every source, sent, until the run is stopped.
    pub(crate) async fn all(&mut self, size: usize) -> anyhow::Result<()> {
        let sources: Vec<At> = self.plan.sources(self.file).collect();
        for source in sources {
            let keys = self.file.key_path(source);
            let retiring = self.retiring.as_deref();
            let mut rider = retiring.and_then(|r| r.rider(self.held, &keys, size));
            for piece in self.plan.pieces(source, size) {
                self.piece(piece, rider.take()).await?;
            }
        }
        Ok(())
    }

    fn halted(&self) -> bool {
        self.client.halt().stopped().is_some()
    }

    /// An answer counted by the breaker; its refusal's message (empty for
    /// a 2xx).
    fn judged(&mut self, answer: &crate::client::api::Answer) -> String {
        if answer.status.is_success() {
            self.judge(Verdict::Accepted);
            return String::new();
        }
        let message = answer.error().to_string();
        let status = answer.status.as_u16();
        self.judge(Verdict::Refused {
            status,
            message: &message,
        });
        message
    }

    /// Counts how a tree's request ended; stops the run when the breaker trips.
    fn judge(&mut self, verdict: Verdict<'_>) {
        if let Some(stop) = self.breaker.record(verdict) {
            self.client.halt().stop(stop);
        }
    }

    /// One piece, resent without what the tenant refused, halved when too
    /// big or when its refusal names no node. A rider goes with its first
    /// request only: refused, the piece is sent again without it (it is
    /// sent on its own after the rows).
    async fn piece(&mut self, piece: Vec<At>, mut rider: Option<Rider>) -> anyhow::Result<()> {
        let mut queue = vec![piece];
        while let Some(piece) = queue.pop() {
            if piece.is_empty() {
                continue;
            }
            if self.halted() {
                return Ok(());
            }
            let mut body = plan::body(self.file, self.held, self.plan, &piece);
            self.sending(&piece)?;
            if body.json.get("children").is_none() {
                self.alone(piece[0], &body.json).await?;
                continue;
            }
            let riding = rider.take();
            if let Some(r) = &riding {
                body.nodes = plan::merge(&mut body.json, &r.json);
            }
            let route = routes::route(Kind::Source, Way::Tree, &self.target.version_id);
            let url = self.client.url(&route.path, &[]);
            self.sent += 1;
            let sent = (self.client)
                .send_with_retries(route.method, url, Some(&body.json), self.client.writes())
                .await;
            let answer = match sent {
                Ok(answer) => answer,
                Err(e) => {
                    self.judge(Verdict::Unavailable);
                    // No answer to read: the listing says what was applied.
                    self.unsure(&piece, None, &e.to_string())?;
                    continue;
                }
            };
            let status = answer.status.as_u16();
            let message = self.judged(&answer);
            if answer.status.is_success() {
                let counts: Counts = answer.json().unwrap_or_default();
                self.applied(piece, &body, counts, riding)?;
                continue;
            }
            if riding.is_some() && status < 500 {
                queue.push(piece); // again, without the rider
                continue;
            }
            queue.extend(self.refused(piece, body.nodes, status, &message)?);
        }
        Ok(())
    }

    /// A tree the tenant applied: its rows written when its counts account
    /// for it (and the retirement that rode with it, retired), unsure until
    /// the listing otherwise.
    fn applied(
        &mut self,
        piece: Vec<At>,
        body: &plan::Body,
        counts: Counts,
        riding: Option<Rider>,
    ) -> anyhow::Result<()> {
        let accounted = counts.total == Some(body.nodes) && counts.created == Some(body.creates);
        if !accounted {
            self.decide(&piece, &Became::Written, false)?;
            self.unsure.extend(piece);
            return Ok(());
        }
        self.decide(&piece, &Became::Written, true)?;
        if let (Some(rider), Some(retiring)) = (riding, self.retiring.as_mut()) {
            retiring.carried(rider);
        }
        Ok(())
    }

    /// A tree the tenant refused (`nodes` carried): what of its piece is to
    /// be sent again, halved or without the node the refusal names; the
    /// rows it decides failed.
    fn refused(
        &mut self,
        mut piece: Vec<At>,
        nodes: usize,
        status: u16,
        message: &str,
    ) -> anyhow::Result<Vec<Vec<At>>> {
        let too_big = status == 413 || (status == 400 && nodes > plan::MOST_NODES);
        if too_big && piece.len() > 1 {
            let half = piece.split_off(piece.len() / 2);
            return Ok(vec![half, piece]);
        }
        if status != 400 {
            self.unsure(&piece, Some(status), message)?;
            return Ok(vec![]);
        }
        match self.named(&piece, message) {
            Some(bad) => {
                let lost = self.refuse(&piece, bad, status, message)?;
                piece.retain(|at| !lost.contains(at));
                Ok(vec![piece])
            }
            None if piece.len() == 1 => {
                self.decide(&piece, &Became::Failed(Some(status), message), true)?;
                Ok(vec![])
            }
            None => {
                let half = piece.split_off(piece.len() / 2);
                Ok(vec![half, piece])
            }
        }
    }

    /// A new source with nothing under it: `POST /sources`.
    async fn alone(&mut self, at: At, json: &Value) -> anyhow::Result<()> {
        let piece = [at];
        if self.plan.acts[at as usize] != Some(Action::Create) {
            let message = "a source with no dictionary under it: update it from a sources \
                           file (name, technicalName, type)";
            return self.decide(&piece, &Became::Failed(None, message), true);
        }
        let route = routes::route(Kind::Source, Way::One, &self.target.version_id);
        let url = self.client.url(&route.path, &[]);
        self.sent += 1;
        let sent = (self.client)
            .send_with_retries(route.method, url, Some(json), self.client.writes())
            .await;
        match sent {
            Ok(a) if a.status.is_success() => self.decide(&piece, &Became::Written, true),
            Ok(a) => {
                let (status, message) = (a.status.as_u16(), a.error().to_string());
                self.decide(&piece, &Became::Failed(Some(status), &message), true)
            }
            Err(e) => self.unsure(&piece, None, &e.to_string()),
        }
    }

    /// The node of `piece` whose path the refusal names (the longest).
    fn named(&self, piece: &[At], message: &str) -> Option<At> {
        (piece.iter().copied())
            .map(|at| (at, self.file.path(at)))
            .filter(|(_, path)| names(message, path))
            .max_by_key(|(_, path)| path.len())
            .map(|(at, _)| at)
    }

    /// `bad` refused: its row fails with the tenant's message, and the rows
    /// of the new nodes below it fail "parent refused". What it lost.
    fn refuse(
        &mut self,
        piece: &[At],
        bad: At,
        status: u16,
        message: &str,
    ) -> anyhow::Result<Vec<At>> {
        self.decide(&[bad], &Became::Failed(Some(status), message), true)?;
        let below = self.plan.new_below(piece, bad);
        let path = self.file.path(bad);
        let said = format!("parent refused: {path}: {message}");
        self.decide(&below, &Became::Failed(Some(status), &said), true)?;
        let mut lost = below;
        lost.push(bad);
        Ok(lost)
    }

    /// The row of the node at `at`, and what it does (what an earlier,
    /// interrupted attempt did, when this one only finishes it).
    fn row_of(&self, at: At) -> Option<(u64, Action)> {
        let row = self.file.node(at).row()?;
        let action = self.plan.acts[at as usize]?;
        let earlier = self.sent_before.get(&row).copied();
        Some(match action {
            Action::Create => (row, Action::Create),
            Action::Update => (row, earlier.unwrap_or(Action::Update)),
        })
    }

    /// The rows of `piece` recorded as sent (and counted), before their
    /// tree goes.
    fn sending(&mut self, piece: &[At]) -> anyhow::Result<()> {
        let rows: Vec<(u64, Action)> = piece.iter().filter_map(|at| self.row_of(*at)).collect();
        for (row, action) in rows {
            if let Some(i) = self.outcomes.find(row) {
                self.outcomes.change(i, |o| o.attempts += 1);
            }
            if let Some(journal) = self.journal {
                journal.record(&Event::Sent(Sent { row, action }))?;
            }
        }
        Ok(())
    }

    /// An answer that does not say what was applied: failed with what it
    /// said, until the listing after the writes (or a `--resume`) decides.
    fn unsure(&mut self, piece: &[At], status: Option<u16>, message: &str) -> anyhow::Result<()> {
        self.decide(piece, &Became::Failed(status, message), false)?;
        self.unsure.extend_from_slice(piece);
        Ok(())
    }

    /// The rows of `nodes`, as `became` says; `known`: their result is
    /// final, and journaled.
    fn decide(&mut self, nodes: &[At], became: &Became, known: bool) -> anyhow::Result<()> {
        for &at in nodes {
            let Some((row, action)) = self.row_of(at) else {
                continue;
            };
            let Some(i) = self.outcomes.find(row) else {
                continue;
            };
            let o = self.outcomes.change(i, |o| match *became {
                Became::Written => {
                    o.result = action.done();
                    o.http_status = None;
                    // What the check warned of stays; a failure said before goes.
                    if !o.error_kinds.is_empty() {
                        o.error = None;
                        o.error_kinds.clear();
                    }
                }
                Became::Failed(status, message) => {
                    let kind = match status {
                        Some(s) if s >= 500 => Problem::ServerError(s),
                        Some(s) => Problem::Rejected(s),
                        None => Problem::NoAnswer,
                    };
                    o.result = RowResult::Failed;
                    o.http_status = status;
                    o.error_kinds = vec![ErrorKind::row(kind)];
                    o.error = Some(message.to_owned());
                }
            });
            if let (true, Some(journal)) = (known, self.journal) {
                journal.record(&Event::Done(o))?;
            }
        }
        Ok(())
    }

    /// The unsure rows decided by the listing after the writes: written as
    /// planned when the tenant now holds the node with every value its row
    /// gave, failed (with what was said before) otherwise.
    pub(crate) fn settle(&mut self, after: &Tree) -> anyhow::Result<()> {
        let unsure = std::mem::take(&mut self.unsure);
        for at in unsure {
            let node = self.file.node(at);
            let listed = after.find(&self.file.key_path(at));
            let holds = listed.is_some_and(|l| {
                let theirs = after.node(l);
                let held = theirs.attributes();
                theirs.name() == node.name()
                    && (node.attributes().iter()).all(|(k, v)| super::check::same(held.get(k), v))
            });
            let Some((row, _)) = self.row_of(at) else {
                continue;
            };
            let failed = (self.outcomes.find(row))
                .is_some_and(|i| self.outcomes.result(i) == RowResult::Failed);
            let became = match (holds, failed) {
                (true, _) => Became::Written,
                (false, true) => {
                    self.decide_again(at)?;
                    continue;
                }
                (false, false) => Became::Failed(
                    None,
                    "not applied: the tenant's listing after the write does not hold it",
                ),
            };
            self.decide(&[at], &became, true)?;
        }
        Ok(())
    }

    /// A row failed with what its answer said, that result now final.
    fn decide_again(&mut self, at: At) -> anyhow::Result<()> {
        let Some((row, _)) = self.row_of(at) else {
            return Ok(());
        };
        let (Some(i), Some(journal)) = (self.outcomes.find(row), self.journal) else {
            return Ok(());
        };
        journal.record(&Event::Done(self.outcomes.get(i)))
    }

    /// The run stopped before the listing could decide the unsure rows:
    /// each says so, and the journal keeps them as sent for `--resume`.
    pub(crate) fn leave_unsure(&mut self) {
        for at in std::mem::take(&mut self.unsure) {
            let Some((row, _)) = self.row_of(at) else {
                continue;
            };
            if let Some(i) = self.outcomes.find(row) {
                self.outcomes.change(i, |o| {
                    let said = o.error.take().unwrap_or_default();
                    o.error = Some(format!(
                        "{said}; the run stopped before it was known whether this was \
                         applied: --resume finds out and finishes it"
                    ));
                });
            }
        }
    }
}

/// Whether `message` names `path` (`\dwh\sales\orders`), with or without
/// its leading backslash, as a whole path and not the start of a longer one.
fn names(message: &str, path: &str) -> bool {
    let bare = &path[1..];
    message.match_indices(bare).any(|(i, _)| {
        let after = message[i + bare.len()..].chars().next();
        !matches!(after, Some(c) if c == '\\' || c.is_alphanumeric() || c == '_')
    })
}

#[cfg(test)]
mod tests {
    use super::names;

    #[test]
    fn a_refusal_names_a_path_whole_not_the_start_of_a_longer_one() {
        let said = r"\dwh\sales\orders\id: type 'Table' cannot be a child of a Table";
        assert!(names(said, r"\dwh\sales\orders\id"));
        assert!(!names(said, r"\dwh\sales\orders"));
        assert!(!names(said, r"\dwh\sales\order"));
        assert!(names(r"dwh\sales: owners: unknown user", r"\dwh\sales"));
    }
}
