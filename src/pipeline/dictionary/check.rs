//! A dictionary file's rows checked, in file order, against the tenant:
//! what is wrong with each (its column and value named), and what a write
//! would do to its object: create it, update what differs (said), leave it
//! unchanged, or, as `--if-exists` says, refuse or skip an object that
//! exists. Types are the tenant's (`types.rs`), with the children each
//! accepts; owners, stewards and tags are the directory's; custom
//! attributes are typed for the kind of the row's object (`custom.rs`),
//! and a new object must carry its kind's mandatory ones.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::model::if_exists::IfExists;
use crate::model::outcome::{ErrorKind, Outcome, Problem, RowResult};
use crate::model::outcomes::Outcomes;
use crate::model::source::Status;
use crate::pipeline::dictionary::columns::Level;
use crate::pipeline::dictionary::custom::Binding;
use crate::pipeline::dictionary::rows::{NodeRow, Problem as RowProblem};
use crate::pipeline::dictionary::tree::{At, Refused, Tree};
use crate::pipeline::dictionary::types::Types;
use crate::pipeline::directory::{Directory, Rules};
use crate::pipeline::input::Field;

/// What the rows are checked against, and the tree of the rows so far.
pub(crate) struct Checker<'a> {
    pub(crate) directory: &'a Directory,
    pub(crate) types: &'a Types,
    /// The file's own columns bound to custom attributes, and how their
    /// cells are typed.
    pub(crate) custom: (&'a Binding, Rules),
    /// The tenant's dictionary, as listed.
    pub(crate) held: &'a Tree,
    pub(crate) if_exists: IfExists,
    /// Rows an interrupted run sent without a known result, with what they
    /// did: compared as updates, and found as their row says, they are
    /// what that run did.
    pub(crate) sent_before: std::collections::HashMap<u64, crate::model::action::Action>,
    pub(crate) file: Tree,
    /// The header each level's type is read from (`Level` order).
    pub(crate) type_columns: [String; 4],
}

impl Checker<'_> {
    /// The outcome `check` gives a row.
    pub(crate) fn row(&mut self, row: u64, read: Result<NodeRow, Vec<RowProblem>>) -> Outcome {
        let mut node = match read {
            Ok(node) => node,
            Err(problems) => return invalid(row, problems),
        };
        let mut problems = status(&mut node).into_iter().collect::<Vec<_>>();
        problems.extend(self.known(&node));
        problems.extend(self.types_of(&node));
        let level = node.path.last().map_or(Level::Source, |s| s.level);
        let (binding, rules) = self.custom;
        let own = std::mem::take(&mut node.own);
        let typed = binding.read(level, &own, (self.directory, rules), &mut problems);
        node.attributes.extend(typed);
        if !problems.is_empty() {
            return invalid(row, problems);
        }
        let placed = match self.file.claim(row, &node.path) {
            Ok(placed) => placed,
            Err(refused) => return refused_row(row, refused),
        };
        let mut o = self.compare(row, placed.at, &node.attributes);
        if o.result == RowResult::WouldCreate {
            let lacking = binding.lacking(level, |name| node.attributes.contains_key(name));
            if !lacking.is_empty() {
                self.file.unclaim(placed.at);
                return invalid(row, lacking);
            }
        }
        // Only what will be written is held: a nightly sync's million
        // unchanged fields keep their place and names, not their attributes.
        if matches!(o.result, RowResult::WouldCreate | RowResult::WouldUpdate) {
            self.file.set_attributes(placed.at, node.attributes);
        }
        if let Some(other) = placed.nearly.filter(|_| o.result == RowResult::WouldCreate) {
            o.error = Some(format!(
                "warning: a technical name that matches '{other}' but for case or Unicode form"
            ));
        }
        o
    }

    /// Once every row is read: a parent that no row describes, that the
    /// tenant does not hold, and whose kind must carry mandatory attributes
    /// cannot be created (an implied parent carries none), so the rows under
    /// it that would create their objects are invalid, naming it and what
    /// it lacks; their objects leave the tree, and it is not written.
    pub(crate) fn refuse_bare_parents(&mut self, outcomes: &mut Outcomes) {
        let (binding, _) = self.custom;
        let kinds = [Level::Container, Level::Structure, Level::Field];
        if kinds
            .iter()
            .all(|k| binding.lacking(*k, |_| false).is_empty())
        {
            return; // no kind must carry anything
        }
        // The bare parent above each node; a parent is placed before its children.
        let mut bare: Vec<Option<At>> = vec![None; self.file.len()];
        for node in self.file.iter() {
            let at = node.at as usize;
            bare[at] = node.parent().and_then(|p| bare[p as usize]).or_else(|| {
                let lacks =
                    node.row().is_none() && !binding.lacking(node.level(), |_| false).is_empty();
                let new = || self.held.find(&self.file.key_path(node.at)).is_none();
                (lacks && new()).then_some(node.at)
            });
        }
        if bare.iter().all(Option::is_none) {
            return; // the usual case
        }
        for (at, above) in bare.iter().enumerate() {
            let (Some(above), Some(row)) = (*above, self.file.node(at as At).row()) else {
                continue;
            };
            let Some(i) = outcomes.find(row) else {
                continue;
            };
            if outcomes.result(i) != RowResult::WouldCreate {
                continue;
            }
            let parent = self.file.node(above);
            let path = self.file.path(above);
            let word = parent.level().word();
            let lacking = binding.lacking(parent.level(), |_| false);
            let problems = (lacking.into_iter())
                .map(|p| RowProblem {
                    message: format!(
                        "the tenant requires this attribute on a new {word}, and {path}, which \
                         this row's path creates, has no row of its own to set it: add one"
                    ),
                    ..p
                })
                .collect();
            outcomes.set(i, invalid(row, problems));
            self.file.unclaim(at as At);
        }
    }

    /// Owners, stewards and tags the tenant does not know.
    fn known(&self, node: &NodeRow) -> Vec<RowProblem> {
        let mut problems = Vec::new();
        for (key, is_user) in [("owners", true), ("stewards", true), ("tags", false)] {
            let items = node.attributes.get(key).and_then(Value::as_array);
            for item in items.into_iter().flatten().filter_map(Value::as_str) {
                let known = match is_user {
                    true => self.directory.knows_user(item),
                    false => self.directory.knows_tag(item),
                };
                if !known {
                    let (what, field) = match (is_user, key) {
                        (false, _) => ("unknown tag", Field::Tags),
                        (true, "owners") => ("unknown user", Field::Owners),
                        (true, _) => ("unknown user", Field::Stewards),
                    };
                    let near = self.directory.suggest(field, item);
                    problems.push(RowProblem {
                        detail: near.map_or_else(String::new, |n| format!(" — did you mean {n}?")),
                        ..problem(key, item, what)
                    });
                }
            }
        }
        problems
    }

    /// Each type of the path, checked against the tenant's and its parent's.
    fn types_of(&self, node: &NodeRow) -> Vec<RowProblem> {
        let mut problems = Vec::new();
        for (i, step) in node.path.iter().enumerate() {
            // A step without a type is an object an earlier row describes.
            if step.node_type.is_empty() {
                continue;
            }
            let column = &self.type_columns[step.level as usize];
            let parent = i.checked_sub(1).map(|p| node.path[p].node_type.as_str());
            let refused = match parent {
                None => (self
                    .types
                    .get(&step.node_type)
                    .is_none_or(|t| t.level != Level::Source))
                .then(|| ("not a source type of this tenant".to_owned(), String::new())),
                Some(parent) => self.types.refuse_child(parent, &step.node_type, step.level),
            };
            if let Some((message, detail)) = refused {
                problems.push(RowProblem {
                    detail,
                    ..problem(column, &step.node_type, &message)
                });
                break;
            }
        }
        problems
    }

    /// What a write would do to the object at `at` of the file's tree,
    /// which the row says `attributes` of.
    fn compare(&self, row: u64, at: At, attributes: &BTreeMap<String, Value>) -> Outcome {
        let keys = self.file.key_path(at);
        let Some(listed) = self.held.find(&keys) else {
            return Outcome::new(row, RowResult::WouldCreate);
        };
        let sent_before = self.sent_before.get(&row).copied();
        let if_exists = sent_before.map_or(self.if_exists, |_| IfExists::Update);
        match if_exists {
            IfExists::Fail => {
                return Outcome::new(row, RowResult::Conflict).with_error(
                    ErrorKind::row(Problem::AlreadyExists),
                    "already exists (--if-exists update updates it)",
                );
            }
            IfExists::Skip => return Outcome::new(row, RowResult::Unchanged),
            IfExists::Update => {}
        }
        let (mine, theirs) = (self.file.node(at), self.held.node(listed));
        let mut changes = Vec::new();
        if mine.name() != theirs.name() {
            changes.push(format!("name: {} -> {}", theirs.name(), mine.name()));
        }
        let held_attributes = theirs.attributes();
        for (key, value) in attributes {
            let held = held_attributes.get(key);
            if !same(held, value) {
                changes.push(describe(key, held, value));
            }
        }
        let mut o = match (changes.is_empty(), sent_before) {
            (true, Some(action)) => Outcome::new(row, action.done()),
            (true, None) => Outcome::new(row, RowResult::Unchanged),
            (false, _) => Outcome::new(row, RowResult::WouldUpdate),
        };
        o.changes = (!changes.is_empty()).then(|| changes.join("; "));
        o
    }
}

/// The row's status, in the API's spelling (`in revision` is `InRevision`),
/// or the problem of one the API does not know.
fn status(node: &mut NodeRow) -> Option<RowProblem> {
    let given = node.attributes.get_mut("status")?;
    let text = given.as_str()?.to_owned();
    match Status::parse_lenient(&text) {
        Some(s) => {
            *given = Value::String(s.as_api().to_owned());
            None
        }
        None => Some(problem(
            "status",
            &text,
            &format!("unknown status (expected {})", Status::expected()),
        )),
    }
}

/// Two values alike, lists in any order and case.
pub(crate) fn same(held: Option<&Value>, value: &Value) -> bool {
    let folded = |v: &Value| -> Option<Vec<String>> {
        let mut items: Vec<String> = (v.as_array()?.iter())
            .map(|i| i.as_str().unwrap_or_default().to_lowercase())
            .collect();
        items.sort();
        Some(items)
    };
    match (held, value) {
        (Some(h), v) if v.is_array() => folded(h) == folded(v),
        // `5` is `5.0`, as the tenant may list it.
        (Some(Value::Number(h)), Value::Number(v)) => h.as_f64() == v.as_f64(),
        (Some(h), v) => h == v,
        (None, _) => false,
    }
}

fn describe(key: &str, held: Option<&Value>, value: &Value) -> String {
    match (held, value) {
        (Some(Value::String(h)), Value::String(v)) if h.len() + v.len() > 60 => {
            format!("{key} changed")
        }
        (Some(h), v) => format!("{key}: {h} -> {v}"),
        (None, v) => format!("{key}: (unset) -> {v}"),
    }
}

fn problem(column: &str, value: &str, message: &str) -> RowProblem {
    RowProblem {
        column: column.to_owned(),
        value: value.to_owned(),
        message: message.to_owned(),
        detail: String::new(),
    }
}

/// A row whose problems are named, each with its column and value.
fn invalid(row: u64, problems: Vec<RowProblem>) -> Outcome {
    // Rows are counted by what is wrong, not by what helps (a suggestion,
    // the types there are).
    let kinds = (problems.iter())
        .map(|p| ErrorKind::of(&p.column, Problem::Other(p.message.clone())))
        .collect();
    let said: Vec<String> = (problems.iter())
        .map(|p| match p.value.is_empty() {
            true => format!("{}: {}", p.column, p.words()),
            false => format!("{}: '{}': {}", p.column, p.value, p.words()),
        })
        .collect();
    Outcome::new(row, RowResult::Invalid).with_errors(kinds, said.join("; "))
}

fn refused_row(row: u64, refused: Refused) -> Outcome {
    let (kind, message) = match refused {
        Refused::Duplicate { path, first_row } => (
            Problem::DuplicateTechnicalName,
            format!("{path}: the same object as row {first_row}"),
        ),
        Refused::UnknownParent { path } => (
            Problem::Other("parent unknown".into()),
            format!(
                "{path}: no earlier row describes it: give the Type as a path (\\Relational\\Model\\Table)"
            ),
        ),
        Refused::AmbiguousParent { path } => (
            Problem::Other("parent ambiguous".into()),
            format!(
                "{path} names two objects: give the Type as a path (\\Relational\\Model\\Table)"
            ),
        ),
    };
    Outcome::new(row, RowResult::Invalid).with_errors(vec![ErrorKind::row(kind)], message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_grouped_by_what_is_wrong_without_the_value_or_the_suggestion() {
        let problem = |value: &str, hint: &str| RowProblem {
            column: "table type".into(),
            value: value.into(),
            message: "not a structure type of this tenant".into(),
            detail: format!("{hint}: it has Table, View"),
        };
        let veiw = invalid(83, vec![problem("Veiw", " (did you mean View?)")]);
        let tabel = invalid(84, vec![problem("Tabel", " (did you mean Table?)")]);
        let odd = invalid(85, vec![problem("Odd", "")]);
        assert_eq!(veiw.error_kinds, tabel.error_kinds);
        assert_eq!(veiw.error_kinds, odd.error_kinds);
        assert_eq!(
            veiw.error_kinds[0].to_string(),
            "table type: not a structure type of this tenant"
        );
        assert_eq!(
            veiw.error.as_deref(),
            Some(
                "table type: 'Veiw': not a structure type of this tenant (did you mean View?): \
                 it has Table, View"
            )
        );
    }
}
