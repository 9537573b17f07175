//! `--retire-missing` of a dictionary, as a command does it: the set
//! decided before any write (or the one a rerun or `--resume` finishes,
//! from the run record), the objects set `Obsolete` with the rows' writes
//! (a source's set riding the first tree that writes that source's rows,
//! the rest after them; `check`: what would be), the retired list beside
//! the report.

use crate::cli::config::{ImportConfig, Task};
use crate::client::api::Client;
use crate::commands::signals::{self, Interrupt};
use crate::exit::usage;
use crate::files::beside::Beside;
use crate::model::key::Key;
use crate::pipeline::dictionary::plan;
use crate::pipeline::dictionary::retire::{self, Retiring, still_to_retire};
use crate::pipeline::dictionary::tree::Tree;
use crate::pipeline::directory::{Directory, Target};
use crate::pipeline::retire::{RetireResult, Retiree};

/// What is to be retired after the rows, decided before any write.
#[derive(Debug, Default)]
pub(super) struct Retirement {
    /// `None`: nothing is retired by this command.
    pub(super) retirees: Option<Vec<Retiree>>,
    /// How many existing sources the scope matched now.
    pub(super) scope_matched: Option<u64>,
    pub(super) warnings: Vec<String>,
}

/// What the tenant and the file say, for the decision.
pub(super) struct Seen<'a> {
    pub(super) directory: &'a Directory,
    pub(super) held: &'a Tree,
    /// The file's tree, and the objects of rows that did not enter it (a
    /// row refused still names its object: it is never retired for it).
    pub(super) file: &'a Tree,
    pub(super) named: &'a Tree,
}

impl<'a> Seen<'a> {
    pub(super) fn of(tenant: &'a super::Tenant, file: &'a Tree, named: &'a Tree) -> Seen<'a> {
        Seen {
            directory: &tenant.directory,
            held: &tenant.held,
            file,
            named,
        }
    }
}

/// The objects to retire: the set a run of this report recorded (those not
/// `Obsolete` yet), or the set `--retire-missing` decides now (refused past
/// its guard, exit 2).
pub(super) fn plan(config: &ImportConfig, seen: Seen) -> anyhow::Result<Retirement> {
    if let Some(recorded) = &config.recorded_retire {
        return Ok(Retirement {
            retirees: Some(still_to_retire(seen.held, recorded)),
            ..Retirement::default()
        });
    }
    let Some((scope, max)) = &config.retire else {
        return Ok(Retirement::default());
    };
    let directory = seen.directory;
    if scope.needs_attributes() && directory.counts().2 > 0 && !directory.attributes_known {
        return Err(usage(
            "--retire-missing tag:... needs the sources' tags, and the API listed them \
             without attributes: use a technicalName: scope",
        ));
    }
    let in_scope = |technical_name: &str| {
        let existing = directory.existing(&Key::source(technical_name));
        scope.matches(technical_name, existing.and_then(|e| e.current.as_deref()))
    };
    let (file, named) = (seen.file, seen.named);
    let kept = |keys: &[(&str, &str)]| file.find(keys).is_some() || named.find(keys).is_some();
    let decision = retire::decide(seen.held, kept, in_scope, *max)?;
    let warnings: Vec<String> = (scope.warnings(directory, decision.sources).into_iter())
        .map(|w| format!("--retire-missing: {w}, so nothing is retired"))
        .collect();
    for warning in &warnings {
        tracing::warn!("{warning}");
    }
    tracing::info!(
        "--retire-missing: {} objects to retire ({} topmost) of the {} under {} sources in scope",
        decision.retirees.len(),
        decision.topmost,
        decision.objects,
        decision.sources
    );
    Ok(Retirement {
        retirees: Some(decision.retirees),
        scope_matched: Some(decision.sources as u64),
        warnings,
    })
}

/// The retired and the failed, after the rows.
pub(super) struct Done {
    pub(super) retired: u64,
    pub(super) failed: u64,
}

/// Retires the set (a `check` says what would be), unless the run stopped
/// early, and writes the retired list beside the report; what rode along
/// the rows' trees (`retiring`) is not sent again. A signal drains the tree
/// in flight and sends no other: the rest is left for `--resume`.
pub(super) async fn finish(
    config: &ImportConfig,
    (client, target, held): (&Client, &Target, &Tree),
    (retirees, retiring): (Option<Vec<Retiree>>, Option<Retiring>),
    (csv, interrupt): (crate::files::table::Csv, &Interrupt),
) -> anyhow::Result<Done> {
    let stopped = client.halt().stopped().is_some();
    let carried = retiring.as_ref().is_some_and(Retiring::any_carried);
    let Some(set) = retirees.filter(|_| !stopped || carried) else {
        return Ok(Done {
            retired: 0,
            failed: 0,
        });
    };
    let size = config.tree_size.unwrap_or(plan::TREE_SIZE);
    let list = match (&config.job, retiring) {
        (Task::Check { .. }, _) => crate::pipeline::retire::would_retire(set),
        (_, Some(mut retiring)) => {
            if !stopped {
                tokio::select! {
                    _ = retiring.send_rest(client, target, held, size) => {}
                    _ = signals::drain_on(interrupt, client.halt()) => unreachable!("pending forever"),
                }
            }
            retiring.results(&set)
        }
        (_, None) => tokio::select! {
            list = retire::retire(client, target, held, set, size) => list,
            _ = signals::drain_on(interrupt, client.halt()) => unreachable!("pending forever"),
        },
    };
    let path = Beside::Retired.of(&config.report);
    if !crate::files::atomic::is_null(&config.report) {
        crate::files::atomic::keep_previous(&path)?;
        crate::pipeline::retire::write_list(&path, &list, csv.delimiter, csv.bom)?;
    }
    let failed = (list.iter())
        .filter(|r| r.result == RetireResult::Failed)
        .count() as u64;
    Ok(Done {
        retired: list.len() as u64 - failed,
        failed,
    })
}
