//! The custom attributes of dictionary objects, as a team's data dictionary
//! carries them: a column named as the tenant names an attribute of
//! containers, structures or fields is typed for the kind of each row's
//! object, sent with it, compared on the next run (nothing written when
//! nothing changed), and exported back; a value not in its list, or set on
//! an object of another kind, fails its row alone, naming the column and
//! the value; a mandatory one left empty stops a new object, not an update.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};

use dg_import::sandbox::Sandbox;

use crate::common::dictionary::{Said, command, csv_rows, fix_report, results_of, trees_sent};
use crate::common::{read_report, sandbox};

/// A schema with its domain, a table with its refresh, columns with their
/// sensitivity (any case: the tenant's spelling is sent).
const FILE: &str = "source,schema,table,column,data_type,Data Domain,refresh frequency,Sensitivity\n\
    shop,sales,,,,Sales,,\n\
    shop,sales,orders,,,,daily,\n\
    shop,sales,orders,id,bigint,,,internal\n\
    shop,sales,orders,email,text,,,Personal\n\
    shop,sales,orders,total,numeric,,,\n";

async fn run(sb: &Sandbox, file: &Path, extra: &[&str]) -> Said {
    command(sb, "run", file, "report.csv", extra).await
}

/// The custom attribute `name` of the node `technical_name`, as the tenant
/// holds it.
fn held(sb: &Sandbox, technical_name: &str, name: &str) -> Option<Value> {
    let store = sb.store();
    let node = (store.dictionary.nodes.iter())
        .find(|n| n.technical_name == technical_name)
        .unwrap_or_else(|| panic!("{technical_name} is held"));
    node.attributes.get(name).cloned()
}

fn write(dir: &Path, text: &str) -> std::path::PathBuf {
    let file = dir.join("dictionary.csv");
    std::fs::write(&file, text).unwrap();
    file
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_kinds_custom_attributes_are_sent_typed_then_left_alone_then_only_the_edit_is_written()
{
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), FILE);
    let (code, error, rows) = run(&sb, &file, &[]).await;
    assert_eq!(code, 0, "{error:?}");
    assert_eq!(results_of(&rows), [("created".to_owned(), 5)].into());
    assert_eq!(held(&sb, "sales", "Data Domain"), Some(json!("Sales")));
    assert_eq!(
        held(&sb, "orders", "Refresh Frequency"),
        Some(json!("Daily")),
        "the tenant's spelling of the value"
    );
    assert_eq!(held(&sb, "id", "Sensitivity"), Some(json!("Internal")));
    assert_eq!(held(&sb, "email", "Sensitivity"), Some(json!("Personal")));
    assert_eq!(held(&sb, "total", "Sensitivity"), None);

    let trees = trees_sent(&sb);
    let (code, error, rows) = run(&sb, &file, &["--if-exists", "update"]).await;
    assert_eq!(code, 0, "{error:?}");
    assert_eq!(results_of(&rows), [("unchanged".to_owned(), 5)].into());
    assert_eq!(trees_sent(&sb), trees, "nothing changed, nothing sent");

    let edited = FILE.replace("email,text,,,Personal", "email,text,,,Confidential");
    let file = write(dir.path(), &edited);
    let (code, error, rows) = run(&sb, &file, &["--if-exists", "update"]).await;
    assert_eq!(code, 0, "{error:?}");
    let results: Vec<&str> = rows.iter().map(|r| r["result"].as_str()).collect();
    assert_eq!(
        results,
        [
            "unchanged",
            "unchanged",
            "unchanged",
            "updated",
            "unchanged"
        ]
    );
    assert_eq!(trees_sent(&sb), trees + 1);
    assert_eq!(
        held(&sb, "email", "Sensitivity"),
        Some(json!("Confidential"))
    );
    assert_eq!(held(&sb, "id", "Sensitivity"), Some(json!("Internal")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_out_of_its_list_or_on_another_kind_fails_its_row_by_column_and_value_and_the_fixed_report_reruns_clean()
 {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let wrong = FILE
        .replace("id,bigint,,,internal", "id,bigint,,,Secret")
        .replace("total,numeric,,,", "total,numeric,,Weekly,");
    let file = write(dir.path(), &wrong);
    let (code, error, rows) = run(&sb, &file, &[]).await;
    assert_eq!(code, 1, "{error:?}");
    let results: Vec<&str> = rows.iter().map(|r| r["result"].as_str()).collect();
    assert_eq!(
        results,
        ["created", "created", "invalid", "created", "invalid"]
    );
    let (secret, weekly) = (&rows[2]["error"], &rows[4]["error"]);
    assert!(
        secret.contains("Sensitivity") && secret.contains("Secret"),
        "{secret}"
    );
    assert!(
        weekly.contains("refresh frequency") && weekly.contains("Weekly"),
        "{weekly}"
    );
    assert!(
        weekly.contains("structures, not of fields"),
        "says whose attribute it is: {weekly}"
    );
    let store = sb.store();
    let names: Vec<&str> = (store.dictionary.nodes.iter())
        .map(|n| n.technical_name.as_str())
        .collect();
    assert!(
        !names.contains(&"id") && !names.contains(&"total"),
        "an invalid row sends nothing: {names:?}"
    );

    let report = dir.path().join("report.csv");
    fix_report(
        &report,
        &[
            ("4", "Sensitivity", "Internal"),
            ("6", "refresh frequency", ""),
        ],
    );
    let connection = crate::common::reach(&sb, dir.path());
    let report_arg = report.display().to_string();
    let (code, error) = crate::common::dg_at(&["rerun", &report_arg], &connection).await;
    assert_eq!(code, 0, "{error:?}");
    let (_, rows) = read_report(&report);
    assert_eq!(results_of(&rows), [("created".to_owned(), 5)].into());
    assert_eq!(held(&sb, "id", "Sensitivity"), Some(json!("Internal")));
    assert_eq!(held(&sb, "total", "Refresh Frequency"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mandatory_field_attribute_left_empty_stops_a_new_field_before_anything_is_sent_but_not_an_update()
 {
    let mut seed: Value = serde_json::from_str(dg_import::sandbox::store::BUILT_IN_SEED).unwrap();
    let sensitivity = (seed["attributes"].as_array_mut().unwrap().iter_mut())
        .find(|a| a["name"] == "Sensitivity")
        .unwrap();
    sensitivity["isMandatory"] = json!(true);
    let seed = seed.to_string();
    let sb = sandbox(|c| c.seed = seed).await;
    let dir = tempfile::tempdir().unwrap();
    let first = "source,schema,table,column,Sensitivity\nshop,sales,orders,id,Internal\n";
    let (code, error, _) = run(&sb, &write(dir.path(), first), &[]).await;
    assert_eq!(code, 0, "{error:?}");

    let second = "source,schema,table,column,Sensitivity,description\n\
        shop,sales,orders,id,,the key\n\
        shop,sales,orders,email,,no sensitivity\n\
        shop,sales,orders,total,Public,with its sensitivity\n";
    let (code, error, rows) =
        run(&sb, &write(dir.path(), second), &["--if-exists", "update"]).await;
    assert_eq!(code, 1, "{error:?}");
    let results: Vec<&str> = rows.iter().map(|r| r["result"].as_str()).collect();
    assert_eq!(results, ["updated", "invalid", "created"]);
    assert_eq!(
        rows[1]["error"],
        "Sensitivity: the tenant requires this attribute on a new field, and the row leaves it empty"
    );
    let refused = (sb.requests().iter())
        .filter(|r| r.status.is_some_and(|s| (400..500).contains(&s)))
        .count();
    let log: Vec<_> = (sb.requests().iter())
        .map(|r| (r.method.to_string(), r.path.clone(), r.status))
        .collect();
    assert_eq!(refused, 0, "the check stops it, not the tenant: {log:?}");
    assert_eq!(held(&sb, "id", "Sensitivity"), Some(json!("Internal")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_carries_each_kinds_custom_attributes_and_reimported_unedited_writes_nothing() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let (code, error, _) = run(&sb, &write(dir.path(), FILE), &[]).await;
    assert_eq!(code, 0, "{error:?}");
    let out = dir.path().join("export.csv");
    let connection = crate::common::reach(&sb, dir.path());
    let out_arg = out.display().to_string();
    let args = ["export", "--kind", "dictionary", "-o", &out_arg];
    let (code, error) = crate::common::dg_at(&args, &connection).await;
    assert_eq!(code, 0, "{error:?}");
    let (header, rows) = csv_rows(&out);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let cells: BTreeMap<&str, [&str; 3]> = (rows.iter())
        .filter(|r| r[col("source technical name")] == "shop")
        .map(|r| {
            let name = [col("field"), col("structure"), col("container")]
                .into_iter()
                .map(|c| r[c].as_str())
                .find(|n| !n.is_empty())
                .unwrap();
            let at = |h| r[col(h)].as_str();
            (
                name,
                [
                    at("Data Domain"),
                    at("Refresh Frequency"),
                    at("Sensitivity"),
                ],
            )
        })
        .collect();
    assert_eq!(cells["sales"], ["Sales", "", ""]);
    assert_eq!(cells["orders"], ["", "Daily", ""]);
    assert_eq!(cells["id"], ["", "", "Internal"]);
    assert_eq!(cells["total"], ["", "", ""]);

    let trees = trees_sent(&sb);
    let (code, error, rows) = run(&sb, &out, &["--if-exists", "update"]).await;
    assert_eq!(code, 0, "{error:?}");
    assert!(rows.iter().all(|r| r["result"] == "unchanged"), "{rows:?}");
    assert_eq!(trees_sent(&sb), trees, "an unedited export writes nothing");
}

/// A schema whose kind must carry a mandatory attribute cannot be created
/// from its columns' rows alone: `check` says so on each of them, as `run`
/// does, and nothing is sent; a row for the schema that sets it lets all in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn columns_under_a_new_schema_that_must_carry_an_attribute_are_refused_until_a_row_sets_it() {
    let mut seed: Value = serde_json::from_str(dg_import::sandbox::store::BUILT_IN_SEED).unwrap();
    let domain = (seed["attributes"].as_array_mut().unwrap().iter_mut())
        .find(|a| a["name"] == "Data Domain" && a["kind"] == "Container")
        .unwrap();
    domain["isMandatory"] = json!(true);
    let seed = seed.to_string();
    let sb = sandbox(|c| c.seed = seed).await;
    let dir = tempfile::tempdir().unwrap();
    let bare = "source,schema,table,column,Data Domain\n\
        shop,sales,orders,id,\n\
        shop,sales,orders,total,\n";
    let file = write(dir.path(), bare);
    let said = "Data Domain: the tenant requires this attribute on a new container, and \
        \\shop\\sales, which this row's path creates, has no row of its own to set it: add one";
    for command_name in ["check", "run"] {
        let (code, error, rows) = command(&sb, command_name, &file, "report.csv", &[]).await;
        assert_eq!(code, 1, "{command_name}: {error:?}");
        assert!(
            rows.iter()
                .all(|r| r["result"] == "invalid" && r["error"] == said),
            "{command_name}: {rows:?}"
        );
    }
    assert_eq!(
        trees_sent(&sb),
        0,
        "nothing the tenant would refuse is sent"
    );

    let described = format!("{bare}shop,sales,,,Finance\n");
    let (code, error, rows) = run(&sb, &write(dir.path(), &described), &[]).await;
    assert_eq!(code, 0, "{error:?}");
    assert_eq!(results_of(&rows), [("created".to_owned(), 3)].into());
    assert_eq!(held(&sb, "sales", "Data Domain"), Some(json!("Finance")));
}
