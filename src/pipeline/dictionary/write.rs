//! A dictionary's pieces sent, one bulktree after another (pieces of one
//! source share ancestors a piece before may create), and what became of
//! each row: the answer's counts, when they account for the tree (its
//! `total` the nodes sent, `created` the creates planned), say each row
//! was written as planned; when they do not, or the answer was lost, the
//! tenant's listing after the writes decides. A tree refused for its size
//! is halved without failing a row; one refused naming a node's path
//! loses that node (and the new nodes below it) and is sent again; one
//! refused naming nothing is split in halves down to the bad node. A
//! resend is always safe: a bulktree is an upsert.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;

use crate::client::api::Client;
use crate::client::routes::{self, Kind, Way};
use crate::model::action::Action;
use crate::model::outcome::RowResult;
use crate::pipeline::dictionary::plan::{self, Plan};
use crate::pipeline::dictionary::tree::{At, Tree};
use crate::pipeline::directory::Target;

/// What became of a row's write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Done {
    pub(crate) result: RowResult,
    pub(crate) http_status: Option<u16>,
    pub(crate) error: Option<String>,
    pub(crate) attempts: u32,
}

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
    /// By row.
    pub(crate) done: HashMap<u64, Done>,
    /// Nodes whose write an answer did not account for.
    pub(crate) unsure: Vec<At>,
}

impl Writes<'_> {
    /// Every piece of every source, sent.
    pub(crate) async fn all(&mut self, size: usize) {
        let sources: Vec<At> = self.plan.sources(self.file).collect();
        for source in sources {
            for piece in self.plan.pieces(source, size) {
                self.piece(piece).await;
            }
        }
    }

    /// One piece, resent without what the tenant refused, halved when too
    /// big or when its refusal names no node.
    async fn piece(&mut self, piece: Vec<At>) {
        let mut queue = vec![piece];
        while let Some(mut piece) = queue.pop() {
            if piece.is_empty() {
                continue;
            }
            let body = plan::body(self.file, self.held, self.plan, &piece);
            if body.json.get("children").is_none() {
                self.alone(piece[0], &body.json).await;
                continue;
            }
            let route = routes::route(Kind::Source, Way::Tree, &self.target.version_id);
            let url = self.client.url(&route.path, &[]);
            let sent = (self.client)
                .send_with_retries(route.method, url, Some(&body.json), self.client.writes())
                .await;
            let answer = match sent {
                Ok(answer) => answer,
                Err(e) => {
                    // No answer to read: the listing says what was applied.
                    self.fail(&piece, None, &e.to_string());
                    self.unsure.extend(piece);
                    continue;
                }
            };
            let status = answer.status.as_u16();
            if answer.status.is_success() {
                let counts: Counts = answer.json().unwrap_or_default();
                let accounted =
                    counts.total == Some(body.nodes) && counts.created == Some(body.creates);
                self.written(&piece);
                if !accounted {
                    self.unsure.extend(piece);
                }
                continue;
            }
            let message = answer.error().to_string();
            let too_big = status == 413 || (status == 400 && body.nodes > plan::MOST_NODES);
            if too_big && piece.len() > 1 {
                let half = piece.split_off(piece.len() / 2);
                queue.extend([half, piece]);
                continue;
            }
            if status != 400 {
                self.fail(&piece, Some(status), &message);
                self.unsure.extend(piece);
                continue;
            }
            match self.named(&piece, &message) {
                Some(bad) => {
                    let lost = self.refuse(&piece, bad, status, &message);
                    piece.retain(|at| !lost.contains(at));
                    queue.push(piece);
                }
                None if piece.len() == 1 => self.fail(&piece, Some(status), &message),
                None => {
                    let half = piece.split_off(piece.len() / 2);
                    queue.extend([half, piece]);
                }
            }
        }
    }

    /// A new source with nothing under it: `POST /sources`.
    async fn alone(&mut self, at: At, json: &Value) {
        let piece = [at];
        if self.plan.acts[at as usize] != Some(Action::Create) {
            let message = "a source with no dictionary under it: update it from a sources \
                           file (name, technicalName, type)";
            self.fail(&piece, None, message);
            return;
        }
        let route = routes::route(Kind::Source, Way::One, &self.target.version_id);
        let url = self.client.url(&route.path, &[]);
        let sent = (self.client)
            .send_with_retries(route.method, url, Some(json), self.client.writes())
            .await;
        match sent {
            Ok(a) if a.status.is_success() => self.written(&piece),
            Ok(a) => self.fail(&piece, Some(a.status.as_u16()), &a.error().to_string()),
            Err(e) => {
                self.fail(&piece, None, &e.to_string());
                self.unsure.push(at);
            }
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
    fn refuse(&mut self, piece: &[At], bad: At, status: u16, message: &str) -> Vec<At> {
        self.fail(&[bad], Some(status), message);
        let below = self.plan.new_below(piece, bad);
        let path = self.file.path(bad);
        self.fail(
            &below,
            Some(status),
            &format!("parent refused: {path}: {message}"),
        );
        let mut lost = below;
        lost.push(bad);
        lost
    }

    /// Each row of `nodes` done as planned.
    fn written(&mut self, nodes: &[At]) {
        for &at in nodes {
            let (Some(row), Some(action)) = (
                self.file.nodes[at as usize].row,
                self.plan.acts[at as usize],
            ) else {
                continue;
            };
            self.done.insert(
                row,
                Done {
                    result: action.done(),
                    http_status: None,
                    error: None,
                    attempts: 1,
                },
            );
        }
    }

    fn fail(&mut self, nodes: &[At], http_status: Option<u16>, message: &str) {
        for &at in nodes {
            let Some(row) = self.file.nodes[at as usize].row else {
                continue;
            };
            self.done.insert(
                row,
                Done {
                    result: RowResult::Failed,
                    http_status,
                    error: Some(message.to_owned()),
                    attempts: 1,
                },
            );
        }
    }

    /// The unsure rows decided by the listing after the writes: written as
    /// planned when the tenant now holds the node with every value its row
    /// gave, failed (with what was said before) otherwise.
    pub(crate) fn settle(&mut self, after: &Tree) {
        let unsure = std::mem::take(&mut self.unsure);
        for at in unsure {
            let node = &self.file.nodes[at as usize];
            let (Some(row), Some(action)) = (node.row, self.plan.acts[at as usize]) else {
                continue;
            };
            let listed = after.find(&self.file.key_path(at));
            let holds = listed.is_some_and(|l| {
                let theirs = &after.nodes[l as usize];
                theirs.name == node.name
                    && (node.attributes.iter())
                        .all(|(k, v)| super::check::same(theirs.attributes.get(k), v))
            });
            let entry = self.done.entry(row).or_insert(Done {
                result: RowResult::Failed,
                http_status: None,
                error: None,
                attempts: 1,
            });
            match holds {
                true => {
                    entry.result = action.done();
                    entry.error = None;
                    entry.http_status = None;
                }
                false if entry.result != RowResult::Failed => {
                    entry.result = RowResult::Failed;
                    entry.error = Some(
                        "not applied: the tenant's listing after the write does not hold it".into(),
                    );
                }
                false => {}
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
