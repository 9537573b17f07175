//! The nightly sync of a dictionary: a real PostgreSQL's dictionary
//! imported, then the file as the next night's export would have it (one
//! comment edited, a table dropped with its columns, one column dropped):
//! only the edit is written, only what left the file is set `Obsolete`
//! (nothing deleted), inside a guard that counts a dropped table with its
//! columns as one and refuses a truncated file before any write; what a
//! check says would be retired is what the run retires; an object back in
//! the file keeps its status unless its row sets one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use dg_import::sandbox::Sandbox;

use crate::common::dictionary::results_of;
use crate::common::dictionary::trees_sent;
use crate::common::{read_report, sandbox};

const FIXTURE: &str = "postgresql-15-columns-with-keys.csv";
const SCOPE: &str = "technicalName:sales_dwh";

/// What a command said: exit code, its summary, its report's rows.
struct Said {
    code: u8,
    summary: serde_json::Value,
    rows: Vec<BTreeMap<String, String>>,
}

async fn dg(sb: &Sandbox, command: &str, file: &Path, extra: &[&str]) -> Said {
    let dir = file.parent().unwrap();
    let connection = crate::common::reach(sb, dir);
    let report = dir.join(format!("{command}.csv"));
    let summary = dir.join("summary.json");
    let _ = std::fs::remove_file(&summary);
    let _ = std::fs::remove_file(dir.join("summary.check.json"));
    let (file, report_arg) = (file.display().to_string(), report.display().to_string());
    let summary_arg = summary.display().to_string();
    let mut args = vec![command, &file, "--report", &report_arg];
    args.extend(["--summary-json", &summary_arg]);
    args.extend_from_slice(extra);
    let (code, error) = crate::common::dg_at(&args, &connection).await;
    // A check writes its summary as a check's (`summary.check.json`).
    let summary = match command {
        "check" => dir.join("summary.check.json"),
        _ => summary,
    };
    let summary: serde_json::Value = std::fs::read_to_string(&summary)
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap_or_else(|_| panic!("no summary: {error:?}"));
    // A check writes its report as a check's: the summary says where.
    let report = match summary["report"].as_str() {
        Some(path) => PathBuf::from(path),
        None => report,
    };
    let rows = match report.exists() {
        true => read_report(&report).1,
        false => vec![],
    };
    Said {
        code,
        summary,
        rows,
    }
}

fn fixture(dir: &Path) -> PathBuf {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dictionary");
    let to = dir.join("dictionary.csv");
    std::fs::copy(from.join(FIXTURE), &to).unwrap();
    to
}

/// The file without the rows `gone` accepts (by their cells: schema,
/// table, column).
fn without(file: &Path, gone: impl Fn(&str, &str, &str) -> bool) {
    let text = std::fs::read_to_string(file).unwrap();
    let kept: Vec<&str> = (text.lines())
        .filter(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            !gone(cells[1], cells[2], cells[3])
        })
        .collect();
    std::fs::write(file, kept.join("\n") + "\n").unwrap();
}

/// The retired list beside a report: `x.csv` → `x.retired.csv`.
fn retired_list(report: &Path) -> PathBuf {
    report.with_extension("retired.csv")
}

/// The status of each node of the sandbox, by `table.column` (or `table`).
fn statuses(sb: &Sandbox) -> BTreeMap<String, Option<String>> {
    let store = sb.store();
    let nodes = &store.dictionary.nodes;
    let by_id: BTreeMap<&str, &dg_import::sandbox::StoredNode> =
        nodes.iter().map(|n| (n.id.as_str(), n)).collect();
    let name = |n: &dg_import::sandbox::StoredNode| match by_id.get(n.parent_id.as_str()) {
        Some(parent) => format!("{}.{}", parent.technical_name, n.technical_name),
        None => n.technical_name.clone(),
    };
    nodes.iter().map(|n| (name(n), n.status.clone())).collect()
}

const OBSOLETE: Option<&str> = Some("Obsolete");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nightly_sync_writes_only_the_edit_and_retires_only_what_left_the_file() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let file = fixture(dir.path());
    let first = dg(&sb, "run", &file, &[]).await;
    assert_eq!(first.code, 0);
    let nodes = sb.store().dictionary.nodes.len();

    // The next night's file: a comment edited, `order_lines` dropped with
    // its five columns, and the first column of `products`.
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replace("Login and contact address", "Where we write"),
    )
    .unwrap();
    without(&file, |_, table, _| table == "order_lines");
    let dropped_column = {
        let text = std::fs::read_to_string(&file).unwrap();
        let line = text
            .lines()
            .find(|l| l.contains(",products,"))
            .unwrap()
            .to_owned();
        line.split(',').nth(3).unwrap().to_owned()
    };
    without(&file, |_, table, column| {
        table == "products" && column == dropped_column
    });
    // 7 of 55 objects is more than the default 10%: two topmost allowed.
    let sync = [
        "--if-exists",
        "update",
        "--retire-missing",
        SCOPE,
        "--max-retire",
        "2",
    ];

    let check = dg(&sb, "check", &file, &sync).await;
    assert_eq!(check.code, 0, "{}", check.summary);
    assert_eq!(
        check.summary["retired"], 7,
        "would retire: a table, its 5 columns, 1 column"
    );
    let check_report = PathBuf::from(check.summary["report"].as_str().unwrap());
    let would: Vec<String> = read_report(&retired_list(&check_report))
        .1
        .iter()
        .map(|r| r["object_path"].clone())
        .collect();

    let trees = trees_sent(&sb);
    let run = dg(&sb, "run", &file, &sync).await;
    assert_eq!(run.code, 0, "{}", run.summary);
    assert_eq!(results_of(&run.rows)["updated"], 1);
    assert_eq!(run.summary["retired"], 7);
    assert_eq!(run.summary["retire_failed"], 0);
    assert_eq!(run.summary["retire_scope_matched"], 1);
    let listed = read_report(&retired_list(&dir.path().join("run.csv"))).1;
    let paths: Vec<String> = listed.iter().map(|r| r["object_path"].clone()).collect();
    assert_eq!(paths, would, "check predicts the run's retirement");
    assert!(listed.iter().all(|r| r["result"] == "retired"));
    let kinds: Vec<&str> = listed.iter().map(|r| r["object_kind"].as_str()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "structure").count(), 1);
    assert_eq!(kinds.iter().filter(|k| **k == "field").count(), 6);
    assert!(paths.contains(&r"\sales_dwh\sales\order_lines".to_owned()));
    assert_eq!(
        trees_sent(&sb) - trees,
        1,
        "the edit and the retirement of its source in one tree"
    );

    let status = statuses(&sb);
    assert_eq!(status["sales.order_lines"].as_deref(), OBSOLETE);
    assert_eq!(
        status[&format!("products.{dropped_column}")].as_deref(),
        OBSOLETE
    );
    let obsolete = status.values().filter(|s| s.as_deref() == OBSOLETE).count();
    assert_eq!(obsolete, 7, "nothing else: {status:?}");
    assert_eq!(sb.store().dictionary.nodes.len(), nodes, "nothing deleted");

    let trees = trees_sent(&sb);
    let again = dg(&sb, "run", &file, &sync).await;
    assert_eq!((again.code, &again.summary["retired"]), (0, &0.into()));
    assert_eq!(trees_sent(&sb), trees, "the next night sends nothing");
}

/// A retirement the tenant refuses does not cost the edit it rides with:
/// the tree carrying both is refused, the edit is sent again alone and
/// written, and the retirement, sent on its own, fails saying why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_retirement_riding_with_an_edit_fails_alone_and_the_edit_is_written() {
    let refused = r"\sales_dwh\sales\order_lines";
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let file = fixture(dir.path());
    let first = dg(&sb, "run", &file, &[]).await;
    assert_eq!(first.code, 0, "{}", first.summary);
    let text = std::fs::read_to_string(&file).unwrap();
    let edited = text.replace("Login and contact address", "Where we write");
    assert_ne!(edited, text);
    std::fs::write(&file, edited).unwrap();
    without(&file, |_, table, _| table == "order_lines");
    sb.refuse_node(Some(refused));
    let trees = trees_sent(&sb);
    let sync = ["--if-exists", "update", "--retire-missing", SCOPE];
    let run = dg(&sb, "run", &file, &sync).await;
    assert_eq!(run.code, 1, "a retirement failed: {}", run.summary);
    assert_eq!(results_of(&run.rows)["updated"], 1, "the edit is written");
    assert_eq!(run.summary["results"]["failed"], 0, "{}", run.summary);
    assert_eq!(
        (&run.summary["retired"], &run.summary["retire_failed"]),
        (&0.into(), &6.into())
    );
    let listed = read_report(&retired_list(&dir.path().join("run.csv"))).1;
    assert!(
        listed
            .iter()
            .all(|r| r["result"] == "failed" && r["error"].contains("order_lines")),
        "{listed:?}"
    );
    assert_eq!(
        trees_sent(&sb) - trees,
        3,
        "both refused together, the edit again alone, the retirement alone"
    );
    let status = statuses(&sb);
    assert!(status["sales.order_lines"].is_none(), "nothing retired");
    let written = sb
        .store()
        .dictionary
        .nodes
        .iter()
        .any(|n| n.description.as_deref() == Some("Where we write"));
    assert!(written, "the edit is in the tenant");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_file_is_refused_before_any_write_and_the_guard_counts_a_table_with_its_columns_as_one()
 {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let file = fixture(dir.path());
    assert_eq!(dg(&sb, "run", &file, &[]).await.code, 0);
    let full = std::fs::read_to_string(&file).unwrap();
    let trees = trees_sent(&sb);

    // Half the file lost: refused, exit 2, nothing written.
    let half: Vec<&str> = full.lines().take(20).collect();
    std::fs::write(&file, half.join("\n") + "\n").unwrap();
    let sync = ["--if-exists", "update", "--retire-missing", SCOPE];
    let said = dg(&sb, "run", &file, &sync).await;
    assert_eq!(said.code, 2);
    let error = said.summary["stopped"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(error.contains("--max-retire"), "{}", said.summary);
    assert_eq!(trees_sent(&sb), trees, "nothing written");

    // Two tables dropped with their columns: two topmost objects.
    std::fs::write(&file, &full).unwrap();
    without(&file, |_, table, _| {
        table == "order_lines" || table == "ledger"
    });
    let one = [&sync[..], &["--max-retire", "1"]].concat();
    assert_eq!(dg(&sb, "run", &file, &one).await.code, 2, "2 topmost > 1");
    assert_eq!(trees_sent(&sb), trees);
    let two = [&sync[..], &["--max-retire", "2"]].concat();
    let said = dg(&sb, "run", &file, &two).await;
    assert_eq!(said.code, 0, "{}", said.summary);
    assert_eq!(said.summary["retired"], 2 + 5 + 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_object_back_in_the_file_keeps_its_status_unless_its_row_sets_one_and_a_refused_row_is_never_retired()
 {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let file = fixture(dir.path());
    assert_eq!(dg(&sb, "run", &file, &[]).await.code, 0);
    let full = std::fs::read_to_string(&file).unwrap();
    let sync = ["--if-exists", "update", "--retire-missing", SCOPE];

    without(&file, |_, table, _| table == "order_lines");
    assert_eq!(dg(&sb, "run", &file, &sync).await.summary["retired"], 6);
    // Back in the file, without a status: still Obsolete.
    std::fs::write(&file, &full).unwrap();
    let back = dg(&sb, "run", &file, &sync).await;
    assert_eq!((back.code, &back.summary["retired"]), (0, &0.into()));
    assert_eq!(statuses(&sb)["sales.order_lines"].as_deref(), OBSOLETE);

    // A row that is refused (its owner unknown) still names its object.
    let header = full.lines().next().unwrap();
    let mut lines: Vec<String> = full.lines().map(str::to_owned).collect();
    lines[0] = format!("{header},owners");
    for line in lines.iter_mut().skip(1) {
        let owner = match line.contains(",customers,") {
            true => "nobody@example.com",
            false => "",
        };
        line.push_str(&format!(",{owner}"));
    }
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let refused = dg(&sb, "run", &file, &sync).await;
    assert_eq!(refused.code, 1);
    assert_eq!(results_of(&refused.rows)["invalid"], 10);
    assert_eq!(refused.summary["retired"], 0, "{}", refused.summary);
    assert!(statuses(&sb)["sales.customers"].is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retirement_that_failed_is_finished_by_rerun_from_the_set_its_run_recorded() {
    let sb = sandbox(|c| c.fail_only = Some("/v2/sources/bulktree".into())).await;
    let dir = tempfile::tempdir().unwrap();
    let file = fixture(dir.path());
    assert_eq!(dg(&sb, "run", &file, &[]).await.code, 0);
    without(&file, |_, table, _| table == "order_lines");

    // Every bulktree fails: the set is decided, recorded, and not done.
    sb.set_faults(1.0, 0.0);
    let sync = ["--if-exists", "update", "--retire-missing", SCOPE];
    let failed = dg(
        &sb,
        "run",
        &file,
        &[&sync[..], &["--max-retries", "0"]].concat(),
    )
    .await;
    assert_eq!(failed.code, 1, "{}", failed.summary);
    assert_eq!(failed.summary["retire_failed"], 6);
    let listed = read_report(&retired_list(&dir.path().join("run.csv"))).1;
    assert!(listed.iter().all(|r| r["result"] == "failed"), "{listed:?}");
    assert!(statuses(&sb)["sales.order_lines"].is_none());

    // The tenant mends; a rerun of the report finishes the recorded set
    // (without --retire-missing: it is the run's, not decided again).
    sb.set_faults(0.0, 0.0);
    let report = dir.path().join("run.csv");
    let rerun = dg(&sb, "rerun", &report, &[]).await;
    assert_eq!(rerun.code, 0, "{}", rerun.summary);
    assert_eq!(rerun.summary["retired"], 6);
    assert_eq!(statuses(&sb)["sales.order_lines"].as_deref(), OBSOLETE);
}

/// Ctrl-C while the objects that left the file are being retired: the tree
/// in flight drains, no other is sent, the command exits 130 with the rest
/// of the set said `failed` ("not sent"), and `--resume` retires exactly
/// the rest.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retirement_stopped_by_ctrl_c_is_finished_by_resume() {
    let sb = sandbox(|c| c.latency = std::time::Duration::from_millis(150)).await;
    let dir = tempfile::tempdir().unwrap();
    let file = fixture(dir.path());
    assert_eq!(dg(&sb, "run", &file, &[]).await.code, 0);
    without(&file, |_, table, _| table == "order_lines");
    let before = trees_sent(&sb);
    let file_arg = file.display().to_string();
    let args = [
        "run",
        &file_arg,
        "--report",
        "sync.csv",
        "--if-exists",
        "update",
        "--retire-missing",
        SCOPE,
        "--max-retire",
        "1",
        "--tree-size",
        "1",
    ];
    let reach = (sb.base_url(), sb.token().to_owned());
    let mut child = crate::common::resumable(dir.path(), (&reach.0, &reach.1), &args, false)
        .spawn()
        .unwrap();
    crate::common::wait_for("a retiring tree", 60, || trees_sent(&sb) > before).await;
    crate::common::interrupt(&child);
    assert_eq!(child.wait().unwrap().code(), Some(130));
    let listed = read_report(&retired_list(&dir.path().join("sync.csv"))).1;
    let done = listed.iter().filter(|r| r["result"] == "retired").count();
    assert!((1..6).contains(&done), "{listed:?}");
    let obsolete = |sb: &Sandbox| {
        (statuses(sb).values())
            .filter(|s| s.as_deref() == OBSOLETE)
            .count()
    };
    assert_eq!(obsolete(&sb), done, "the list says what was done");

    let resumed = crate::common::resumable(dir.path(), (&reach.0, &reach.1), &args, true)
        .status()
        .unwrap();
    assert_eq!(resumed.code(), Some(0));
    assert_eq!(obsolete(&sb), 6, "the table and its five columns");
    assert_eq!(trees_sent(&sb) - before, 6, "each retired once");
}
