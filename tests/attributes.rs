//! Custom attributes, known before the first write: columns named after the
//! tenant's attributes are typed as the contract says, what does not fit is
//! `invalid` with its column and value, and the server never refuses a row
//! for a value the importer could have checked.

use dg_import::sandbox::{Sandbox, Variant};
use serde_json::{Value, json};

use crate::common::{import, sandbox};

/// Five attribute columns of the built-in seed: a list, a Boolean, a
/// number, a date and a multi-value list; row `bad_list` has a list value
/// that is no value of the list, row `bad_date` a date in another form.
fn fifty_rows(bad_list: usize, bad_date: usize) -> String {
    let mut csv =
        String::from("name,type,data domain,Contains PII,Retention Years,Last Review,Regions\n");
    for i in 1..=50 {
        let domain = if i == bad_list {
            "Fnance"
        } else {
            ["finance", "SALES", "Operations"][i % 3]
        };
        let date = if i == bad_date {
            "03/15/2026"
        } else {
            "2026-03-15"
        };
        let pii = ["Yes", "no", "TRUE"][i % 3];
        csv.push_str(&format!(
            "attr-{i:02},Relational,{domain},{pii},{}.5,{date},\"emea;Apac\"\n",
            i % 10
        ));
    }
    csv
}

fn refused(sb: &Sandbox) -> usize {
    sb.requests()
        .iter()
        .filter(|r| r.status.is_some_and(|s| (400..500).contains(&s)))
        .count()
}

fn writes(sb: &Sandbox) -> usize {
    sb.requests().iter().filter(|r| r.method != "GET").count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_rows_with_five_attribute_columns_import_48_typed_and_name_the_two_misfits() {
    let sb = sandbox(|_| {}).await;
    let out = import(&sb, &fifty_rows(7, 20), &[]).await;
    assert_eq!(out.code, 1, "{:?}", out.error);
    assert_eq!(
        out.results().get("created"),
        Some(&48),
        "{:?}",
        out.results()
    );
    assert_eq!(out.results().get("invalid"), Some(&2));
    assert_eq!(
        out.row(8)["error"],
        "data domain: 'Fnance' is not a value of the list — did you mean Finance?"
    );
    assert_eq!(
        out.row(21)["error"],
        "Last Review: '03/15/2026' is not a date (expected YYYY-MM-DD)"
    );
    assert_eq!(refused(&sb), 0, "the server refuses no request");
    let held = sb
        .sources()
        .into_iter()
        .find(|s| s.name == "attr-03")
        .unwrap();
    let attributes = Value::Object(held.attributes);
    assert_eq!(
        attributes,
        json!({"Data Domain": "Finance", "Contains PII": true, "Retention Years": 3.5,
               "Last Review": "2026-03-15", "Regions": ["EMEA", "APAC"]}),
        "typed, in the listed spelling"
    );
    assert_eq!(
        out.summary["attribute_columns"],
        json!([
            "data domain (Data Domain)",
            "Contains PII",
            "Retention Years",
            "Last Review",
            "Regions"
        ])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn definitions_listed_page_by_page_are_all_read() {
    let sb = sandbox(|c| {
        c.variants.insert(Variant::PagedAttributes);
    })
    .await;
    // "Business Notes" is the last definition: on the last of four pages.
    let csv = "name,type,Business Notes,Regions\npaged,NoSql,on page four,apac\n";
    let out = import(&sb, csv, &[]).await;
    assert_eq!(out.code, 0, "{:?}", out.error);
    let held = sb
        .sources()
        .into_iter()
        .find(|s| s.name == "paged")
        .unwrap();
    assert_eq!(held.attributes["Regions"], json!(["APAC"]));
    let pages = sb
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/v2/attributes"))
        .count();
    assert_eq!(pages, 4, "16 definitions, 5 a page");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_misspelt_attribute_column_stops_before_any_write_naming_the_right_one() {
    let sb = sandbox(|_| {}).await;
    let out = import(&sb, "name,type,Data Domian\na,NoSql,Finance\n", &[]).await;
    assert_eq!(out.code, 2);
    let error = out.error.unwrap();
    assert!(
        error.contains("'Data Domian' — did you mean Data Domain?"),
        "{error}"
    );
    assert_eq!(writes(&sb), 0);
    let out = import(
        &sb,
        "name,type,Data Domian\na,NoSql,Finance\n",
        &["--extra-columns", "ignore"],
    )
    .await;
    assert_eq!(out.code, 0, "ignore still leaves such columns out");
    assert!(
        sb.sources()
            .iter()
            .any(|s| s.name == "a" && s.attributes.is_empty())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_that_will_not_list_its_attributes_gets_text_under_extra_columns_attributes() {
    let sb = sandbox(|c| {
        c.variants.insert(Variant::NoAttributeDefinitions);
    })
    .await;
    let csv = "name,type,Business Notes\na,NoSql,kept as text\n";
    let out = import(&sb, csv, &[]).await;
    assert_eq!(out.code, 2, "unknown columns still stop by default");
    let out = import(&sb, csv, &["--extra-columns", "attributes"]).await;
    assert_eq!(out.code, 0, "{:?}", out.report);
    let held = sb.sources().into_iter().find(|s| s.name == "a").unwrap();
    assert_eq!(held.attributes["Business Notes"], "kept as text");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_failing_to_list_the_attributes_stops_the_run_with_exit_3() {
    let sb = sandbox(|c| {
        c.fail_rate = 1.0;
        c.fail_only = Some("/v2/attributes".into());
    })
    .await;
    let out = import(&sb, "name,type\na,NoSql\n", &[]).await;
    assert_eq!(out.code, 3, "{:?}", out.error);
    let error = out.error.unwrap();
    assert!(
        error.contains("listing the attribute definitions"),
        "{error}"
    );
    let asked = sb
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/v2/attributes"))
        .count();
    assert!(asked >= 10, "a read, retried like the others: {asked}");
    assert_eq!(writes(&sb), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mandatory_attribute_left_empty_stops_a_create_but_not_an_update() {
    let mut seed: Value = serde_json::from_str(dg_import::sandbox::store::BUILT_IN_SEED).unwrap();
    seed["attributes"][0]["isMandatory"] = json!(true);
    let seed = seed.to_string();
    let sb = sandbox(|c| c.seed = seed).await;
    let csv = "name,type,Data Domain,summary\n\
               new one,NoSql,,no domain\n\
               Customer 360,NoSql,,exists already\n\
               new two,NoSql,sales,with its domain\n";
    let out = import(&sb, csv, &["--if-exists", "update"]).await;
    assert_eq!(out.row(2)["result"], "invalid");
    assert_eq!(
        out.row(2)["error"],
        "Data Domain: the tenant requires this attribute on a new source, and the row leaves it empty"
    );
    assert_eq!(out.row(3)["result"], "updated");
    assert_eq!(out.row(4)["result"], "created");
    assert_eq!(refused(&sb), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_values_compare_by_value_so_an_equal_file_writes_nothing() {
    let sb = sandbox(|_| {}).await;
    let first = "name,type,Data Domain,Contains PII,Retention Years,Last Review,Regions,Data Custodians\n\
                 typed,NoSql,Finance,yes,5,2026-01-02,EMEA;APAC,john.doe@example.com\n";
    assert_eq!(import(&sb, first, &[]).await.code, 0);
    let before = writes(&sb);
    let same = "name,type,Data Domain,Contains PII,Retention Years,Last Review,Regions,Data Custodians\n\
                typed,NoSql,FINANCE,true,5.0,2026-01-02,apac;emea,JOHN.DOE@example.com\n";
    let out = import(&sb, same, &["--if-exists", "update"]).await;
    assert_eq!(out.row(2)["result"], "unchanged", "{:?}", out.row(2));
    assert_eq!(writes(&sb), before);
    let changed = "name,type,Retention Years,Regions\ntyped,NoSql,6,EMEA\n";
    let out = import(&sb, changed, &["--if-exists", "update"]).await;
    assert_eq!(out.row(2)["result"], "updated");
    assert_eq!(
        out.row(2)["changes"],
        "Regions: EMEA;APAC -> EMEA; Retention Years: 5 -> 6"
    );
    let cleared = "name,type,Regions\ntyped,NoSql,\n";
    let out = import(
        &sb,
        cleared,
        &["--if-exists", "update", "--empty-cells", "clear"],
    )
    .await;
    assert_eq!(out.row(2)["result"], "updated", "{:?}", out.row(2));
    let held = sb
        .sources()
        .into_iter()
        .find(|s| s.name == "typed")
        .unwrap();
    assert_eq!(held.attributes.get("Regions"), Some(&json!([])));
    assert_eq!(refused(&sb), 0);
}
