//! A dictionary's run interrupted, and finished by `--resume`, as the
//! sources' are: killed (`kill -9`) at moments measured in writes, stopped
//! by Ctrl-C, or left with trees the tenant applied before their answers
//! were lost: every node ends written once, every row's result is what
//! happened, and only the trees in flight are ever sent again.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use dg_import::sandbox::Sandbox;

use crate::common::dictionary::results_of;
use crate::common::dictionary::trees_sent;
use crate::common::{kill_after_writes, read_report, resumable, sandbox};

const FIXTURE: &str = "postgresql-15-columns-with-keys.csv";
/// Its rows, and the nodes they describe (containers, structures, fields).
const ROWS: usize = 46;
const NODES: usize = 2 + 7 + 46;

fn fixture(dir: &Path) -> PathBuf {
    let to = dir.join("dictionary.csv");
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dictionary");
    std::fs::copy(from.join(FIXTURE), &to).unwrap();
    to
}

/// Every node the tenant holds is there once (the pair of parent and
/// technical name, and its type, is its key), and there are `NODES`.
fn assert_every_node_once(sb: &Sandbox) {
    let store = sb.store();
    let nodes = &store.dictionary.nodes;
    let keys: HashSet<(&str, &str, &str)> = (nodes.iter())
        .map(|n| (&*n.parent_id, &*n.technical_name, &*n.node_type))
        .collect();
    assert_eq!(keys.len(), nodes.len(), "a node written twice");
    assert_eq!(nodes.len(), NODES);
}

/// The binary's `run` of the fixture in `dir`, trees of two nodes.
fn run(sb: &Sandbox, dir: &Path, resume: bool) -> std::process::Command {
    let args = [
        "run",
        "dictionary.csv",
        "--report",
        "r.csv",
        "--tree-size",
        "2",
        "--rate",
        "200",
    ];
    resumable(dir, (&sb.base_url(), sb.token()), &args, resume)
}

/// The trees an uninterrupted run sends.
async fn trees_of_a_whole_run() -> usize {
    let whole = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    assert!(run(&whole, dir.path(), false).status().unwrap().success());
    trees_sent(&whole)
}

fn results(dir: &Path) -> BTreeMap<String, usize> {
    results_of(&read_report(&dir.join("r.csv")).1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dictionary_run_killed_at_random_moments_and_resumed_writes_every_node_once_resending_only_trees_in_flight()
 {
    let trees = trees_of_a_whole_run().await;
    assert!(trees > 20, "{trees} trees: too few to kill between");

    let sb = sandbox(|c| c.latency = Duration::from_millis(20)).await;
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let mut points = crate::common::kill_points();
    let mut kills = 0;
    for n in 0..6 {
        let mut cmd = run(&sb, dir.path(), n > 0);
        if !kill_after_writes(&sb, &mut cmd, points.usize(1..4)).await {
            break;
        }
        kills += 1;
    }
    assert!(kills > 0, "no kill landed");
    let status = run(&sb, dir.path(), true).status().unwrap();
    assert_eq!(status.code(), Some(0));
    assert_eq!(results(dir.path()), [("created".to_owned(), ROWS)].into());
    assert_every_node_once(&sb);
    let sent = trees_sent(&sb);
    assert!(
        sent <= trees + kills,
        "{sent} trees sent for {trees}, with {kills} kills: more than the trees in flight resent"
    );
    assert!(!dir.path().join("r.csv.journal").exists());
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dictionary_run_stopped_by_ctrl_c_keeps_its_journal_and_resume_finishes_it() {
    let sb = sandbox(|c| c.latency = Duration::from_millis(100)).await;
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let mut child = run(&sb, dir.path(), false).spawn().unwrap();
    crate::common::wait_for("two trees", 60, || trees_sent(&sb) >= 2).await;
    crate::common::interrupt(&child);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let stopped = results(dir.path());
    let created = stopped.get("created").copied().unwrap_or(0);
    assert!(created > 0 && created < ROWS, "{stopped:?}");
    assert_eq!(stopped.get("skipped").copied().unwrap_or(0), ROWS - created);
    assert!(
        dir.path().join("r.csv.journal").exists(),
        "kept for --resume"
    );

    // A plain run would not know what was done: it is refused.
    let again = run(&sb, dir.path(), false).output().unwrap();
    assert_eq!(again.status.code(), Some(2));
    let status = run(&sb, dir.path(), true).status().unwrap();
    assert_eq!(status.code(), Some(0));
    assert_eq!(results(dir.path()), [("created".to_owned(), ROWS)].into());
    assert_every_node_once(&sb);
    // The tree in flight had its answer within the grace period: no tree
    // was sent twice.
    let (sent, trees) = (trees_sent(&sb), trees_of_a_whole_run().await);
    assert_eq!(sent, trees, "the rows done were sent again");
    assert!(!dir.path().join("r.csv.journal").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_sent_before_a_kill_and_found_written_are_created_and_their_trees_not_sent_again() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let file = fixture(dir.path());
    let connection = crate::common::reach(&sb, dir.path());
    let report = dir.path().join("r.csv");
    let (file, report_arg) = (file.display().to_string(), report.display().to_string());
    let args = ["run", file.as_str(), "--report", report_arg.as_str()];
    let (code, error) = crate::common::dg_at(&args, &connection).await;
    assert_eq!(code, 0, "{error:?}");
    // As a kill leaves it right after the tenant applied the tree: every
    // row sent, none known done, the run record not marked done.
    let record = dir.path().join("r.csv.run.json");
    let mut recorded: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&record).unwrap()).unwrap();
    recorded.as_object_mut().unwrap().remove("exit_code");
    std::fs::write(&record, recorded.to_string()).unwrap();
    let sent: String = (2..2 + ROWS)
        .map(|row| format!("{{\"event\":\"sent\",\"row\":{row},\"action\":\"create\"}}\n"))
        .collect();
    std::fs::write(dir.path().join("r.csv.journal"), sent).unwrap();
    std::fs::remove_file(&report).unwrap();

    let before = trees_sent(&sb);
    let resume = [
        "run",
        file.as_str(),
        "--report",
        report_arg.as_str(),
        "--resume",
    ];
    let (code, error) = crate::common::dg_at(&resume, &connection).await;
    assert_eq!(code, 0, "{error:?}");
    assert_eq!(trees_sent(&sb), before, "nothing to send again");
    assert_eq!(
        results_of(&read_report(&report).1),
        [("created".to_owned(), ROWS)].into()
    );
    assert_every_node_once(&sb);
}
