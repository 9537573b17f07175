//! A dictionary file written by `run`, as a new user meets it: a real
//! PostgreSQL's `information_schema.columns` imported unedited, every
//! column with its type, size, nullability, order and key, in one
//! bulktree; run again, nothing written; one edit, one node written; a node
//! the tenant refuses fails its row alone, with the tenant's message, on an
//! atomic tenant and on one that applies part before refusing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use dg_import::sandbox::{Sandbox, Variant};

use crate::common::dictionary::trees_sent;
use crate::common::dictionary::{Said, command, results_of as counts};
use crate::common::{read_report, sandbox};

/// `run FILE` against the sandbox: exit code, error, report rows.
async fn run(sb: &Sandbox, file: &Path, extra: &[&str]) -> Said {
    command(sb, "run", file, "r.csv", extra).await
}

/// The descriptions the tenant holds on columns named `email`.
fn described_emails(store: &dg_import::sandbox::Store) -> Vec<&str> {
    (store.dictionary.nodes.iter())
        .filter(|n| n.technical_name == "email")
        .filter_map(|n| n.description.as_deref())
        .collect()
}

fn fixture(dir: &Path, name: &str) -> PathBuf {
    let to = dir.join(name);
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dictionary");
    std::fs::copy(from.join(name), &to).unwrap();
    to
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_postgresql_dictionary_imports_unedited_then_writes_nothing_then_only_the_edit() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let file = fixture(dir.path(), "postgresql-15-columns-with-keys.csv");
    let (code, error, rows) = run(&sb, &file, &[]).await;
    assert_eq!(code, 0, "{error:?}");
    assert_eq!(counts(&rows), [("created".to_owned(), 46)].into());
    assert_eq!(trees_sent(&sb), 1, "one source, one tree");
    let store = sb.store();
    let nodes = &store.dictionary.nodes;
    assert_eq!(nodes.len(), 2 + 7 + 46, "containers, structures, fields");
    let id = (nodes.iter())
        .find(|n| n.technical_name == "invoice_id")
        .expect("the key column");
    assert_eq!(id.attributes["columnDataType"], "Integer");
    assert_eq!(id.attributes["isMandatory"], true);
    assert_eq!(id.attributes["isPrimaryKey"], true);
    assert_eq!(id.attributes["order"], 1);
    assert_eq!(
        described_emails(&store),
        ["Login and contact address"],
        "customers.email's comment, and not the view's"
    );

    let (code, error, rows) = run(&sb, &file, &["--if-exists", "update"]).await;
    assert_eq!(code, 0, "{error:?}");
    assert_eq!(counts(&rows), [("unchanged".to_owned(), 46)].into());
    assert_eq!(trees_sent(&sb), 1, "an unchanged dictionary sends nothing");

    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replace("Login and contact address", "Where we write"),
    )
    .unwrap();
    let (code, _, rows) = run(&sb, &file, &["--if-exists", "update"]).await;
    assert_eq!(code, 0);
    assert_eq!(counts(&rows)["updated"], 1);
    assert_eq!(trees_sent(&sb), 2, "the one edit, in one tree");
    let store = sb.store();
    assert_eq!(described_emails(&store), ["Where we write"]);
    assert_eq!(store.dictionary.nodes.len(), 55, "nothing twice");
}

/// Each report row names its object (kind, path) and the id the tenant
/// gave it, whether the run created it or found it unchanged.
fn ids_name_the_objects(sb: &Sandbox, rows: &[BTreeMap<String, String>]) {
    let store = sb.store();
    let by_id: BTreeMap<&str, &dg_import::sandbox::StoredNode> = (store.dictionary.nodes.iter())
        .map(|n| (n.id.as_str(), n))
        .collect();
    for row in rows {
        assert_eq!(row["object_kind"], "field", "{row:?}");
        let path = &row["object_path"];
        assert!(path.starts_with(r"\sales_dwh\"), "{path}");
        let node = by_id
            .get(row["id"].as_str())
            .expect("the id of a stored node");
        assert_eq!(path.rsplit('\\').next(), Some(node.technical_name.as_str()));
        assert_eq!(row["column_name"], node.technical_name);
    }
    let ids: std::collections::BTreeSet<&str> = rows.iter().map(|r| r["id"].as_str()).collect();
    assert_eq!(ids.len(), rows.len(), "one id per row");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_names_each_rows_object_with_its_id_and_the_summary_counts_per_kind() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let file = fixture(dir.path(), "postgresql-15-columns-with-keys.csv");
    let summary = dir.path().join("s.json");
    let summary_arg = summary.display().to_string();
    let (code, error, rows) = run(&sb, &file, &["--summary-json", &summary_arg]).await;
    assert_eq!(code, 0, "{error:?}");
    ids_name_the_objects(&sb, &rows);
    let said: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    let every = |result: &str| {
        serde_json::json!({"source": {result: 1}, "container": {result: 2},
                           "structure": {result: 7}, "field": {result: 46}})
    };
    assert_eq!(
        said["objects"],
        every("created"),
        "the parents rows imply counted"
    );

    let extra = ["--if-exists", "update", "--summary-json", &summary_arg];
    let (code, _, again) = run(&sb, &file, &extra).await;
    assert_eq!(code, 0);
    ids_name_the_objects(&sb, &again);
    let ids = |rows: &[BTreeMap<String, String>]| -> Vec<String> {
        rows.iter().map(|r| r["id"].clone()).collect()
    };
    assert_eq!(ids(&again), ids(&rows), "an unchanged node keeps its id");
    let said: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    assert_eq!(said["objects"], every("unchanged"));
}

/// Four fields under two schemas; the tenant refuses the second one
/// (`refuse_node`: for what no check can see).
const FOUR: &str = "source,container,structure,field\n\
    shop,s1,t1,c0\nshop,s1,t1,c1\nshop,s1,t1,c2\nshop,s2,t9,c4\n";

async fn one_refused(variants: &[Variant], size: &str) {
    let sb = sandbox(|c| {
        c.variants.extend(variants.iter().copied());
        c.refuse_node = Some(r"\shop\s1\t1\c1".into());
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shop.csv");
    std::fs::write(&file, FOUR).unwrap();
    let (code, error, rows) = run(&sb, &file, &["--tree-size", size]).await;
    assert_eq!(code, 1, "{error:?}");
    let results: Vec<&str> = rows.iter().map(|r| r["result"].as_str()).collect();
    assert_eq!(results, ["created", "failed", "created", "created"]);
    assert!(
        rows[1]["error"].contains(r"\shop\s1\t1\c1"),
        "{}",
        rows[1]["error"]
    );
    assert_eq!(rows[1]["http_status"], "400");
    let store = sb.store();
    let mut fields: Vec<&str> = (store.dictionary.nodes.iter())
        .filter(|n| n.node_type == "Column")
        .map(|n| n.technical_name.as_str())
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        ["c0", "c2", "c4"],
        "every node once, the refused one not"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_the_tenant_refuses_fails_its_row_alone_and_the_others_are_written() {
    one_refused(&[], "5000").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_that_applies_part_of_a_refused_tree_still_gets_every_rows_result_true() {
    one_refused(&[Variant::TreeNotAtomic, Variant::TreeCreated], "5000").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trees_cut_to_one_node_each_give_the_same_results() {
    one_refused(&[Variant::TreeNotAtomic], "1").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trees_whose_answers_are_lost_after_they_were_applied_are_decided_by_the_listing() {
    let sb = sandbox(|c| {
        c.drop_after_commit_rate = 1.0;
        c.fail_only = Some("/v2/sources/bulktree".into());
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shop.csv");
    std::fs::write(&file, FOUR).unwrap();
    let (code, error, rows) = run(&sb, &file, &["--max-retries", "1"]).await;
    assert_eq!(code, 0, "{error:?}");
    assert_eq!(counts(&rows), [("created".to_owned(), 4)].into());
    assert!(trees_sent(&sb) >= 2, "the tree was sent, and again");
    let store = sb.store();
    assert_eq!(store.dictionary.nodes.len(), 2 + 2 + 4, "every node once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_is_checked_before_anything_is_sent_and_any_spelling_of_one_is_the_apis() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shop.csv");
    let text = "source,container,structure,field,status\n\
        shop,s1,t1,c0,in revision\nshop,s1,t1,c1,Bogus\n";
    std::fs::write(&file, text).unwrap();
    let (code, _, rows) = run(&sb, &file, &[]).await;
    assert_eq!(code, 1);
    assert_eq!(rows[0]["result"], "created");
    assert_eq!(rows[1]["result"], "invalid");
    assert!(rows[1]["error"].starts_with("status: 'Bogus': unknown status (expected Proposed"));
    let store = sb.store();
    let c0 = (store.dictionary.nodes.iter())
        .find(|n| n.technical_name == "c0")
        .unwrap();
    assert_eq!(c0.status.as_deref(), Some("InRevision"));
}

/// The same export without `--source`: its catalog is `def` on every row,
/// no source's name, so every row is refused naming the column, the value
/// and the flag, and nothing is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mariadb_export_without_source_is_refused_row_by_row_naming_its_catalog_and_the_flag() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let file = fixture(dir.path(), "mariadb-10.11-columns.tsv");
    let (code, _, rows) = run(&sb, &file, &[]).await;
    assert_eq!(code, 1);
    assert_eq!(
        counts(&rows),
        [("invalid".to_owned(), 32), ("skipped".to_owned(), 3199)].into()
    );
    let refused = rows.iter().find(|r| r["result"] == "invalid").unwrap();
    assert!(
        refused["error"].starts_with("TABLE_CATALOG: 'def': ")
            && refused["error"].contains("--source NAME"),
        "{refused:?}"
    );
    assert!(sb.store().dictionary.nodes.is_empty(), "nothing written");
    assert!(!sb.store().sources.iter().any(|s| s.name == "def"));
}

/// A real MariaDB's `mysql -B` export of `information_schema.COLUMNS`
/// (tab-separated, `NULL`, escapes), imported unedited with `--source`:
/// every column with its type, size, nullability, order and key
/// (`COLUMN_KEY = PRI`), the system schemas passed over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_mariadb_batch_export_imports_unedited_with_every_columns_type_size_nullability_order_and_key()
 {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let file = fixture(dir.path(), "mariadb-10.11-columns.tsv");
    let (code, error, rows) = run(&sb, &file, &["--source", "mariadb_prod"]).await;
    assert_eq!(code, 0, "{error:?}");
    assert_eq!(
        counts(&rows),
        [("created".to_owned(), 32), ("skipped".to_owned(), 3199)].into()
    );
    let store = sb.store();
    let nodes = &store.dictionary.nodes;
    let by_id: BTreeMap<&str, &dg_import::sandbox::StoredNode> =
        nodes.iter().map(|n| (n.id.as_str(), n)).collect();
    let column = |table: &str, name: &str| {
        (nodes.iter())
            .find(|n| {
                n.technical_name == name
                    && by_id
                        .get(n.parent_id.as_str())
                        .is_some_and(|p| p.technical_name == table)
            })
            .unwrap_or_else(|| panic!("{table}.{name}"))
    };
    let attributes = |table: &str, name: &str| {
        let a = &column(table, name).attributes;
        let get = |k: &str| a.get(k).cloned().unwrap_or(serde_json::Value::Null);
        (
            get("columnDataType"),
            get("size"),
            get("isMandatory"),
            get("isPrimaryKey"),
            get("order"),
        )
    };
    use serde_json::json;
    let (null, yes, no) = (json!(null), json!(true), json!(false));
    assert_eq!(
        attributes("employees", "emp_no"),
        (
            json!("Integer"),
            null.clone(),
            yes.clone(),
            yes.clone(),
            json!(1)
        )
    );
    assert_eq!(
        attributes("employees", "first_name"),
        (
            json!("VariableString"),
            json!(14),
            yes.clone(),
            no.clone(),
            json!(2)
        )
    );
    assert_eq!(
        attributes("customers", "score"),
        (json!("Decimal"), json!(5), no.clone(), no.clone(), json!(6))
    );
    assert_eq!(
        attributes("order_items", "line"),
        (json!("Integer"), null.clone(), yes.clone(), yes, json!(2)),
        "a key of two columns"
    );
    assert_eq!(attributes("orders", "placed_at").0, json!("TimeStamp"));
    assert_eq!(attributes("orders", "placed_at").2, no);
    assert_eq!(
        column("customers", "bio").description.as_deref(),
        Some("Free text,\twith a tab and a\nline break"),
        "the escapes of mysql -B decoded"
    );
    let schemas: Vec<&str> = (nodes.iter())
        .filter(|n| n.kind == dg_import::sandbox::NodeKind::Container)
        .map(|n| n.technical_name.as_str())
        .collect();
    assert_eq!(
        schemas.len(),
        2,
        "hr and shop, no system schema: {schemas:?}"
    );
}

/// What `check` says a row would do, as `run` says it was done.
fn as_done(result: &str) -> &str {
    match result {
        "would-create" => "created",
        "would-update" => "updated",
        other => other,
    }
}

/// `check` then `run` of one file: row for row, the check says what the
/// run does; and what it would retire, what the run retires.
async fn check_predicts_run(sb: &Sandbox, file: &Path, extra: &[&str]) {
    let dir = file.parent().unwrap();
    let connection = crate::common::reach(sb, dir);
    let (file_arg, summary) = (file.display().to_string(), dir.join("s.json"));
    let summary_arg = summary.display().to_string();
    let mut said = Vec::new();
    for command in ["check", "run"] {
        let report = dir.join(format!("{command}.csv"));
        let report_arg = report.display().to_string();
        let mut args = vec![command, &file_arg, "--report", &report_arg];
        args.extend(["--summary-json", &summary_arg]);
        args.extend_from_slice(extra);
        let (code, error) = crate::common::dg_at(&args, &connection).await;
        let written = match command {
            "check" => dir.join("s.check.json"),
            _ => summary.clone(),
        };
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(written).unwrap()).unwrap();
        let report = PathBuf::from(summary["report"].as_str().unwrap());
        let results: Vec<(String, String)> = (read_report(&report).1.iter())
            .map(|r| (r["row"].clone(), as_done(&r["result"]).to_owned()))
            .collect();
        said.push((code, error, results, summary["retired"].clone()));
    }
    let (check, run) = (&said[0], &said[1]);
    assert_eq!(check.2, run.2, "check predicts run row for row");
    assert_eq!(
        check.0, run.0,
        "and its exit code: {:?} {:?}",
        check.1, run.1
    );
    assert_eq!(check.3, run.3, "and what it retires");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_predicts_run_row_for_row_on_the_sample_and_its_nightly_sync_in_every_variant() {
    let variants = [
        None,
        Some(Variant::TreeCreated),
        Some(Variant::TreeNotAtomic),
        Some(Variant::NoTypePaths),
    ];
    for variant in variants {
        let sb = sandbox(|c| c.variants.extend(variant)).await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("dictionary.csv");
        let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/dictionary.csv");
        std::fs::copy(sample, &file).unwrap();
        check_predicts_run(&sb, &file, &[]).await;

        // The next night: two comments edited, a table gone.
        let text = std::fs::read_to_string(&file).unwrap();
        let text = text
            .replace("Chart-of-accounts key", "The account's key")
            .replace("Set by the marketing scoring job", "Set nightly");
        let kept: Vec<&str> = text
            .lines()
            .filter(|l| !l.contains(",exchange_rates,"))
            .collect();
        std::fs::write(&file, kept.join("\n") + "\n").unwrap();
        let sync = [
            "--if-exists",
            "update",
            "--retire-missing",
            "technicalName:*",
            "--max-retire",
            "1",
        ];
        check_predicts_run(&sb, &file, &sync).await;
        let store = sb.store();
        let rates = (store.dictionary.nodes.iter())
            .find(|n| n.technical_name == "exchange_rates")
            .unwrap();
        assert_eq!(rates.status.as_deref(), Some("Obsolete"), "{variant:?}");
    }
}

/// A version that refuses every write with one message (read-only): the
/// trees are refused one after another, the breaker stops the run after
/// twenty of them (exit 3), the rows not reached are `skipped`, and nothing
/// is written; not one request per node of the file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_refusing_every_tree_with_one_message_stops_the_run_after_twenty_trees() {
    let sb = sandbox(|c| {
        c.variants.insert(Variant::ReadOnly);
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let file = fixture(dir.path(), "postgresql-15-columns-with-keys.csv");
    let (code, error, rows) = run(&sb, &file, &["--tree-size", "1"]).await;
    assert_eq!(code, 3, "{error:?}");
    assert_eq!(trees_sent(&sb), 20, "twenty refusals in a row");
    let results = counts(&rows);
    assert_eq!(results.get("created"), None, "{results:?}");
    assert!(results["skipped"] > 0, "{results:?}");
    let failed = rows.iter().filter(|r| r["result"] == "failed");
    assert!(failed.clone().all(|r| r["error"].contains("read-only")));
    assert!(sb.store().dictionary.nodes.is_empty());
}
