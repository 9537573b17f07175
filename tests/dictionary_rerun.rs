//! A dictionary's report fed back, as the sources' is: the rows a run
//! refused (an unknown owner or tag, a type the tenant does not have, a
//! value that is not one) fixed in the report as in a spreadsheet, then
//! `rerun`: only those rows go, every node ends written once, and a rerun
//! of a clean report sends nothing; a tenant that fails writes at random
//! converges by reruns with every node once.

use std::collections::BTreeMap;
use std::path::Path;

use dg_import::sandbox::Sandbox;

use crate::common::dictionary::trees_sent;
use crate::common::dictionary::{fix_report, results_of};
use crate::common::{read_report, rerun_until_clean, sandbox};

/// One source, one schema, two tables; five rows wrong, one right.
const FILE: &str = "source,schema,table,table type,column,data_type,is_nullable,owners,tags,status\n\
    shop,sales,orders,,id,bigint,NO,jane.doe@example.com,,\n\
    shop,sales,orders,,placed_at,timestamp,YES,nobody@example.com,,\n\
    shop,sales,orders,,amount,\"numeric(10,2)\",YES,,Nope,\n\
    shop,sales,customers,Tabel,id,bigint,NO,,,\n\
    shop,sales,customers,,email,varchar(255),perhaps,,,\n\
    shop,sales,customers,,name,text,YES,,,Retired\n";

/// The fix of each wrong row, as a steward makes it in the report:
/// (row, column, value).
const FIXES: [(&str, &str, &str); 5] = [
    ("3", "owners", "jane.doe@example.com"),
    ("4", "tags", "GDPR"),
    ("5", "table type", "Table"),
    ("6", "is_nullable", "NO"),
    ("7", "status", "Validated"),
];

/// Every node of the sandbox's dictionary under `shop`, by path, with how
/// many times it is held.
fn held_paths(sb: &Sandbox) -> BTreeMap<String, usize> {
    let store = sb.store();
    let nodes = &store.dictionary.nodes;
    let by_id: BTreeMap<&str, &dg_import::sandbox::StoredNode> =
        nodes.iter().map(|n| (n.id.as_str(), n)).collect();
    let mut paths = BTreeMap::new();
    for node in nodes {
        let mut names = vec![node.technical_name.as_str()];
        let mut up = by_id.get(node.parent_id.as_str());
        while let Some(parent) = up {
            names.push(parent.technical_name.as_str());
            up = by_id.get(parent.parent_id.as_str());
        }
        names.reverse();
        *paths.entry(names.join("/")).or_default() += 1;
    }
    paths
}

async fn dg(sb: &Sandbox, dir: &Path, args: &[&str]) -> (u8, Option<String>) {
    let connection = crate::common::reach(sb, dir);
    crate::common::dg_at(args, &connection).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_whose_bad_owners_tags_types_and_values_are_fixed_and_rerun_converges_with_every_node_once()
 {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dictionary.csv");
    std::fs::write(&file, FILE).unwrap();
    let report = dir.path().join("dictionary.report.csv");
    let (file_arg, report_arg) = (file.display().to_string(), report.display().to_string());
    let (code, error) = dg(
        &sb,
        dir.path(),
        &["run", &file_arg, "--report", &report_arg],
    )
    .await;
    assert_eq!(code, 1, "{error:?}");
    let (_, rows) = read_report(&report);
    let results: Vec<&str> = rows.iter().map(|r| r["result"].as_str()).collect();
    assert_eq!(
        results,
        [
            "created", "invalid", "invalid", "invalid", "invalid", "invalid"
        ]
    );
    for (row, (_, column, _)) in rows[1..].iter().zip(FIXES) {
        assert!(row["error"].contains(column), "{column}: {}", row["error"]);
    }
    let trees = trees_sent(&sb);

    fix_report(&report, &FIXES);
    let (code, error) = dg(&sb, dir.path(), &["rerun", &report_arg]).await;
    assert_eq!(code, 0, "{error:?}");
    let (header, rows) = read_report(&report);
    assert_eq!(
        &header[..5],
        ["row", "result", "object_kind", "object_path", "id"]
    );
    assert_eq!(results_of(&rows), [("created".to_owned(), 6)].into());
    assert!(rows.iter().all(|r| !r["id"].is_empty()), "{rows:?}");
    assert_eq!(
        trees_sent(&sb),
        trees + 1,
        "the five fixed rows in one tree"
    );
    let held = held_paths(&sb);
    let shop: Vec<(&String, &usize)> = held
        .iter()
        .filter(|(p, _)| p.starts_with("sales"))
        .collect();
    assert_eq!(
        shop.len(),
        1 + 2 + 6,
        "a schema, two tables, six columns: {shop:?}"
    );
    assert!(
        shop.iter().all(|(_, n)| **n == 1),
        "every node once: {shop:?}"
    );
    let store = sb.store();
    let name = (store.dictionary.nodes.iter())
        .find(|n| n.technical_name == "name")
        .unwrap();
    assert_eq!(name.status.as_deref(), Some("Validated"));

    let (code, error) = dg(&sb, dir.path(), &["rerun", &report_arg]).await;
    assert_eq!(code, 0, "{error:?}");
    assert_eq!(trees_sent(&sb), trees + 1, "a clean report sends nothing");
    assert_eq!(
        results_of(&read_report(&report).1),
        [("created".to_owned(), 6)].into()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reruns_against_a_tenant_that_fails_writes_at_random_converge_with_every_node_once() {
    let sb = sandbox(|c| {
        c.fail_rate = 0.5;
        c.drop_after_commit_rate = 0.3;
        c.fail_only = Some("/v2/sources/bulktree".into());
        c.fault_seed = 7;
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/dictionary/postgresql-15-columns-with-keys.csv");
    let file = dir.path().join("dictionary.csv");
    std::fs::copy(fixture, &file).unwrap();
    let report = dir.path().join("dictionary.report.csv");
    let (file_arg, report_arg) = (file.display().to_string(), report.display().to_string());
    let run = [
        "run",
        &file_arg,
        "--report",
        &report_arg,
        "--tree-size",
        "4",
    ];
    let (code, _) = dg(
        &sb,
        dir.path(),
        &[&run[..], &["--max-retries", "0"]].concat(),
    )
    .await;
    let first = results_of(&read_report(&report).1);
    assert_eq!(code, 1, "some trees fail with no retry: {first:?}");
    assert!(first.contains_key("failed"), "{first:?}");
    let extra = ["--max-retries", "0", "--tree-size", "4"];
    rerun_until_clean(&report, &sb.base_url(), &extra, 20, |_| {}).await;
    let (_, rows) = read_report(&report);
    assert_eq!(results_of(&rows), [("created".to_owned(), 46)].into());
    let held = held_paths(&sb);
    let dwh: Vec<(&String, &usize)> = held
        .iter()
        .filter(|(p, _)| p.starts_with("finance") || p.starts_with("sales"))
        .collect();
    assert_eq!(dwh.len(), 2 + 7 + 46, "{dwh:?}");
    assert!(
        dwh.iter().all(|(_, n)| **n == 1),
        "every node once: {dwh:?}"
    );
}
