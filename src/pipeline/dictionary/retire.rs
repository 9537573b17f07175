//! Retiring what left a dictionary file (`--retire-missing SCOPE`, the
//! scope matched on the sources as for a sources file): every container,
//! structure and field the tenant holds under a source in scope that the
//! file's tree does not hold, and that is not `Obsolete` yet, gets status
//! `Obsolete` through the bulktree (with the chain of its parents as
//! listed, so nothing else changes). Nothing is ever deleted.
//!
//! The guard counts the topmost objects retired (a dropped table with its
//! ten columns is one): `--max-retire N` allows N of them; a percentage
//! allows that share of the objects in scope to go `Obsolete`, descendants
//! included, so that a truncated file is refused however few tables it
//! seems to drop. By default 10%, and one topmost object always may go.
//! The set is decided before the first write and kept in the run record,
//! so that `rerun` and `--resume` finish it rather than recompute it.

use serde_json::Value;

use crate::client::api::Client;
use crate::client::routes::{self, Kind, Way};
use crate::exit::usage;
use crate::model::action::Action;
use crate::model::source::Status;
use crate::pipeline::dictionary::plan::{self, Plan};
use crate::pipeline::dictionary::rows::{NodeRow, step};
use crate::pipeline::dictionary::tree::{At, Tree};
use crate::pipeline::directory::Target;
use crate::pipeline::retire::{MaxRetire, RetireResult, Retired, Retiree};

/// What `--retire-missing` decided for a dictionary before any write.
#[derive(Debug)]
pub(crate) struct Decision {
    /// Every object to set `Obsolete`, sorted by path.
    pub(crate) retirees: Vec<Retiree>,
    /// Of them, those whose parent stays.
    pub(crate) topmost: usize,
    /// The sources the scope matched.
    pub(crate) sources: usize,
    /// The objects the tenant holds under them.
    pub(crate) objects: usize,
}

/// The objects under the sources `in_scope` accepts that the file no
/// longer holds (`kept` says which key paths it does); refused (exit 2)
/// past the guard.
pub(crate) fn decide(
    held: &Tree,
    kept: impl Fn(&[(&str, &str)]) -> bool,
    in_scope: impl Fn(&str) -> bool,
    limit: Option<MaxRetire>,
) -> anyhow::Result<Decision> {
    let mut scoped = vec![false; held.len()];
    let mut gone = vec![false; held.len()];
    let (mut sources, mut objects, mut topmost) = (0, 0, 0);
    let mut retirees = Vec::new();
    // Parents come before their children in a listed tree.
    for node in held.iter() {
        let at = node.at as usize;
        let Some(parent) = node.parent() else {
            scoped[at] = in_scope(node.technical_name());
            sources += usize::from(scoped[at]);
            continue;
        };
        scoped[at] = scoped[parent as usize];
        if !scoped[at] {
            continue;
        }
        objects += 1;
        let keys = held.key_path(at as At);
        gone[at] = gone[parent as usize] || !kept(&keys);
        let obsolete = node.attributes().get("status").and_then(Value::as_str)
            == Some(Status::Obsolete.as_api());
        if gone[at] && !obsolete {
            topmost += usize::from(!gone[parent as usize]);
            retirees.push(retiree(held, at as At));
        }
    }
    let share = |p: f64| retirees.len() as f64 <= objects as f64 * p / 100.0;
    let allowed = match limit {
        None => topmost <= 1 || share(10.0),
        Some(MaxRetire::Count(n)) => topmost <= n,
        Some(MaxRetire::Percent(p)) => share(p),
    };
    if !allowed {
        return Err(usage(format!(
            "--retire-missing would retire {} objects ({topmost} topmost: a table with its \
             columns is one) of the {objects} under the {sources} sources in scope, more than \
             --max-retire allows (by default 10% of the objects, and at least one topmost): \
             check the file; to allow it, pass --max-retire {topmost} (or a percentage)",
            retirees.len(),
        )));
    }
    retirees.sort_by(|a, b| a.technical_name.cmp(&b.technical_name));
    Ok(Decision {
        retirees,
        topmost,
        sources,
        objects,
    })
}

/// The object at `at` as the run record and the retired list keep it: its
/// path of technical names, its types, its name and id.
fn retiree(held: &Tree, at: At) -> Retiree {
    let (mut path, mut types) = (String::new(), String::new());
    for (technical_name, node_type) in held.key_path(at) {
        path.push('\\');
        path.push_str(technical_name);
        types.push('\\');
        types.push_str(node_type);
    }
    let node = held.node(at);
    Retiree {
        technical_name: path,
        name: node.name().to_owned(),
        id: held.id(at).unwrap_or_default(),
        kind: Some(node.level().word().to_owned()),
        type_path: Some(types),
    }
}

/// The retirees that the tenant holds and that are not `Obsolete` yet (a
/// rerun finishes a set decided before, without what was done since).
pub(crate) fn still_to_retire(held: &Tree, recorded: &[Retiree]) -> Vec<Retiree> {
    (recorded.iter())
        .filter(|r| {
            let place = place_of(held, r);
            place.is_some_and(|at| {
                let status = held.node(at).attributes().get("status");
                status.and_then(Value::as_str) != Some(Status::Obsolete.as_api())
            })
        })
        .cloned()
        .collect()
}

fn place_of(held: &Tree, r: &Retiree) -> Option<At> {
    let names = r.technical_name.strip_prefix('\\')?.split('\\');
    let types = r.type_path.as_deref()?.strip_prefix('\\')?.split('\\');
    let keys: Vec<(&str, &str)> = names.zip(types).collect();
    held.find(&keys)
}

/// Sets every retiree `Obsolete`, in bulktrees of at most `size` of them per
/// source, each with its chain as listed; a tree refused for its size is
/// halved. A resend is safe: setting a status twice changes nothing.
pub(crate) async fn retire(
    client: &Client,
    target: &Target,
    held: &Tree,
    retirees: Vec<Retiree>,
    size: usize,
) -> Vec<Retired> {
    let mut retiring = Retiring::of(held, &retirees);
    retiring.send_rest(client, target, held, size).await;
    retiring.results(&retirees)
}

/// The retirees as bulktrees to send, and what became of each: a source's
/// whole set, when one tree holds it, may ride along the first tree that
/// writes that source's rows (`rider`), so that a nightly sync costs one
/// request a source touched, not two; what did not ride is sent after.
pub(crate) struct Retiring {
    tree: Tree,
    plan: Plan,
    results: Vec<Option<Result<(), String>>>,
}

/// A source's retirees as one bulktree, to be merged into another.
pub(crate) struct Rider {
    pub(crate) json: Value,
    piece: Vec<At>,
}

impl Retiring {
    pub(crate) fn of(held: &Tree, retirees: &[Retiree]) -> Retiring {
        let mut tree = Tree::default();
        let mut results: Vec<Option<Result<(), String>>> = vec![None; retirees.len()];
        for (i, r) in retirees.iter().enumerate() {
            let Some(at) = place_of(held, r) else {
                results[i] = Some(Err("no longer listed by the tenant".into()));
                continue;
            };
            let steps = (held.key_path(at).iter().zip(ancestry(held, at)))
                .map(|((tn, t), place)| {
                    let node = held.node(place);
                    step(node.level(), node.name(), tn, t)
                })
                .collect();
            let mut row = NodeRow {
                path: steps,
                ..NodeRow::default()
            };
            let obsolete = Value::from(Status::Obsolete.as_api());
            row.attributes.insert("status".into(), obsolete);
            let _ = tree.add(i as u64, row);
        }
        let plan = Plan::new(&tree, held, |_| Some(Action::Update));
        Retiring {
            tree,
            plan,
            results,
        }
    }

    /// Every retiree under the source of these keys, as one bulktree of at
    /// most `size` of them (`None`: none, or more than one tree holds them).
    pub(crate) fn rider(&self, held: &Tree, source: &[(&str, &str)], size: usize) -> Option<Rider> {
        let at = self.tree.find(source)?;
        let mut pieces = self.plan.pieces(at, size);
        let piece = pieces.pop().filter(|_| pieces.is_empty())?;
        let json = plan::body(&self.tree, held, &self.plan, &piece).json;
        json.get("children")?;
        Some(Rider { json, piece })
    }

    /// The rider's retirees retired: the tree that carried it was applied.
    pub(crate) fn carried(&mut self, rider: Rider) {
        for at in rider.piece {
            if let Some(row) = self.tree.node(at).row() {
                self.results[row as usize] = Some(Ok(()));
            }
        }
    }

    /// Whether some retiree rode along a write and was retired.
    pub(crate) fn any_carried(&self) -> bool {
        self.results.iter().any(|r| matches!(r, Some(Ok(()))))
    }

    /// Every retiree not retired yet, sent in trees of at most `size`.
    pub(crate) async fn send_rest(
        &mut self,
        client: &Client,
        target: &Target,
        held: &Tree,
        size: usize,
    ) {
        let sources: Vec<At> = self.plan.sources(&self.tree).collect();
        for source in sources {
            for mut piece in self.plan.pieces(source, size) {
                piece.retain(|at| {
                    let row = self.tree.node(*at).row();
                    row.is_some_and(|row| self.results[row as usize].is_none())
                });
                let (tree, plan) = (&self.tree, &self.plan);
                send(client, target, (tree, held, plan), piece, &mut self.results).await;
            }
        }
    }

    /// What became of each retiree (in `retirees` order).
    pub(crate) fn results(self, retirees: &[Retiree]) -> Vec<Retired> {
        (retirees.iter().zip(self.results))
            .map(|(r, result)| match result {
                Some(Ok(())) => outcome(r, RetireResult::Retired, None),
                Some(Err(e)) => outcome(r, RetireResult::Failed, Some(e)),
                None => {
                    let said = "not sent: the run stopped first (--resume finishes it)";
                    outcome(r, RetireResult::Failed, Some(said.into()))
                }
            })
            .collect()
    }
}

/// The places from the source down to `at`.
fn ancestry(held: &Tree, at: At) -> Vec<At> {
    let mut places = vec![at];
    while let Some(parent) = held.node(*places.last().unwrap()).parent() {
        places.push(parent);
    }
    places.reverse();
    places
}

/// One piece sent (halved while refused for its size); each of its
/// retirees' results noted.
async fn send(
    client: &Client,
    target: &Target,
    (tree, held, plan): (&Tree, &Tree, &Plan),
    piece: Vec<At>,
    results: &mut [Option<Result<(), String>>],
) {
    let mut queue = vec![piece];
    while let Some(mut piece) = queue.pop() {
        if piece.is_empty() || client.halt().stopped().is_some() {
            continue;
        }
        let body = plan::body(tree, held, plan, &piece);
        let route = routes::route(Kind::Source, Way::Tree, &target.version_id);
        let url = client.url(&route.path, &[]);
        let sent = (client)
            .send_with_retries(route.method, url, Some(&body.json), client.writes())
            .await;
        let result = match sent {
            Ok(answer) if answer.status.is_success() => Ok(()),
            Ok(answer) if answer.status.as_u16() == 413 && piece.len() > 1 => {
                let half = piece.split_off(piece.len() / 2);
                queue.extend([half, piece]);
                continue;
            }
            Ok(answer) => Err(format!("{}: {}", answer.status.as_u16(), answer.error())),
            Err(e) => Err(format!("{e}: the rerun finishes it")),
        };
        for at in piece {
            if let Some(row) = tree.node(at).row() {
                results[row as usize] = Some(result.clone());
            }
        }
    }
}

fn outcome(r: &Retiree, result: RetireResult, error: Option<String>) -> Retired {
    Retired {
        source: r.clone(),
        result,
        error,
    }
}
