//! `dg-import run` against a healthy sandbox: what is sent, what is not,
//! what the report says, and the pace as the server saw it.

use dg_import::sandbox::Variant;

use crate::common::{
    assert_ids_are_the_servers, copies, import, max_in_any_second, posts, sandbox, valid_rows,
};

const HEADER: &str =
    "Name,Type,Status,Owner,Stewards,Tags,Summary,Description,Technical_Name,Upsert\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_are_created_with_the_api_spelling_of_every_field() {
    let sb = sandbox(|_| {}).await;
    let csv = format!(
        "{HEADER} Lake ,no sql,in revision,marc.fournier@example.com; JOHN.DOE@example.com,jane.doe@example.com,gdpr;Finance,Raw data,\"Two\nlines\",lake_v2,\n"
    );
    let out = import(&sb, &csv, &["--rate", "200", "--batch-size", "1"]).await;
    assert_eq!(out.code, 0, "{:?}", out.report);
    let row = out.row(2);
    assert_eq!(row["result"], "created");
    assert_eq!(row["http_status"], "201");
    assert_eq!(row["attempts"], "1");
    let created = sb
        .sources()
        .into_iter()
        .find(|s| s.technical_name == "lake_v2")
        .unwrap();
    assert_eq!(row["source_id"], created.id);
    assert_eq!(row["location"], created.location());
    assert_eq!(created.name, "Lake");
    assert_eq!(created.source_type, "NoSql");
    assert_eq!(created.status.as_deref(), Some("InRevision"));
    assert_eq!(
        created.owners,
        ["Marc.Fournier@Example.com", "john.doe@example.com"]
    );
    assert_eq!(created.tags, ["GDPR", "Finance"]);
    assert_eq!(created.description.as_deref(), Some("Two\nlines"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_rows_are_never_sent_and_their_error_names_the_column_and_value() {
    let sb = sandbox(|_| {}).await;
    let csv = format!(
        "{HEADER}ok,Relational,,,,,,,,\n\
         a,Relational,,nobody@example.com,,,,,,\n\
         b,Graph,,,,,,,,\n\
         c,Relational,Done,,,,,,,\n\
         d,Relational,,,,Fnance,,,,\n\
         ,Relational,,,,,,,,\n\
         e,Relational,,,,,,,,maybe\n"
    );
    let out = import(&sb, &csv, &["--rate", "200"]).await;
    assert_eq!(out.code, 1);
    let errors: Vec<(&str, &str)> = out
        .report
        .iter()
        .map(|r| (r["result"].as_str(), r["error"].as_str()))
        .collect();
    assert_eq!(
        errors,
        [
            ("created", ""),
            ("invalid", "Owner: unknown user 'nobody@example.com'"),
            (
                "invalid",
                "Type: unknown source type 'Graph' (expected Relational, NonRelational, NoSql or TagBase)"
            ),
            (
                "invalid",
                "Status: unknown status 'Done' (expected Proposed, InRevision, InValidation, Validated or Obsolete)"
            ),
            (
                "invalid",
                "Tags: unknown tag 'Fnance' — did you mean Finance?"
            ),
            ("invalid", "Name: required, but the cell is empty"),
            (
                "invalid",
                "Upsert: 'maybe' is not a yes/no value (true, false, yes, no, 1, 0)"
            ),
        ]
    );
    assert_eq!(posts(&sb.requests()), 1);
    assert!(
        out.report[1..]
            .iter()
            .all(|r| r["attempts"] == "0" && r["http_status"].is_empty())
    );
    assert_eq!(out.summary["results"]["invalid"], 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_existing_source_fails_by_default_without_being_sent() {
    let sb = sandbox(|_| {}).await;
    let csv = "name,type\nCustomer 360,NoSql\nnew one,NoSql\n";
    let out = import(&sb, csv, &[]).await;
    assert_eq!(out.code, 1);
    let existing = sb
        .sources()
        .into_iter()
        .find(|s| s.name == "Customer 360")
        .unwrap();
    let row = out.row(2);
    assert_eq!(row["result"], "failed");
    assert_eq!(
        row["error"],
        format!("already exists (source {})", existing.id)
    );
    assert_eq!(
        (row["attempts"].as_str(), row["http_status"].as_str()),
        ("0", "")
    );
    assert_eq!(posts(&sb.requests()), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn if_exists_skip_makes_a_nightly_rerun_of_the_same_file_a_clean_no_op() {
    let sb = sandbox(|_| {}).await;
    let csv = valid_rows(5);
    let first = import(&sb, &csv, &["--rate", "200", "--if-exists", "skip"]).await;
    assert_eq!(first.code, 0);
    let posts_before = posts(&sb.requests());
    let second = import(&sb, &csv, &["--rate", "200", "--if-exists", "skip"]).await;
    assert_eq!(second.code, 0);
    assert_eq!(second.results().get("unchanged"), Some(&5));
    assert_eq!(posts(&sb.requests()), posts_before);
    assert_eq!(second.row(2)["source_id"], first.row(2)["source_id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn if_exists_update_and_the_upsert_cell_update_in_place() {
    // The variant answers 201 to an update: the result still says updated.
    let sb = sandbox(|c| {
        c.variants.insert(Variant::UpsertCreated);
    })
    .await;
    let before = sb
        .sources()
        .into_iter()
        .find(|s| s.technical_name == "hr_payroll_prod")
        .unwrap();
    let csv = "name,type,technicalName,summary,upsert\nHR Payroll,Relational,hr_payroll_prod,new summary,yes\nCustomer 360,NoSql,,s,\n";
    let out = import(&sb, csv, &["--rate", "200"]).await;
    assert_eq!(out.row(2)["result"], "updated");
    assert_eq!(out.row(2)["source_id"], before.id);
    assert_eq!(out.row(3)["result"], "failed");
    // A row that changes nothing is not sent.
    let writes = posts(&sb.requests());
    let out = import(
        &sb,
        "name,type\nCustomer 360,NoSql\n",
        &["--if-exists", "update"],
    )
    .await;
    assert_eq!(out.row(2)["result"], "unchanged");
    assert_eq!(out.code, 0);
    assert_eq!(posts(&sb.requests()), writes);
    let after = sb
        .sources()
        .into_iter()
        .find(|s| s.technical_name == "hr_payroll_prod")
        .unwrap();
    assert_eq!(after.summary.as_deref(), Some("new summary"));
    assert_eq!(
        after.owners, before.owners,
        "fields left out stay unchanged"
    );
    assert_eq!(copies(&sb).values().max(), Some(&1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_technical_name_is_a_duplicate_unless_the_rows_upsert() {
    let sb = sandbox(|_| {}).await;
    let csv = "name,type,technicalName,summary,upsert\n\
               a,NoSql,t1,first,\n\
               b,NoSql,t1,second,\n\
               c,NoSql,t2,one,yes\n\
               d,NoSql,t2,two,yes\n";
    let out = import(&sb, csv, &["--rate", "200"]).await;
    assert_eq!(out.row(3)["result"], "invalid");
    assert_eq!(
        out.row(3)["error"],
        "duplicate of row 2 (same technical name 't1')"
    );
    assert_eq!(out.row(4)["result"], "created");
    assert_eq!(out.row(5)["result"], "updated");
    let t2 = sb
        .sources()
        .into_iter()
        .find(|s| s.technical_name == "t2")
        .unwrap();
    assert_eq!(
        t2.summary.as_deref(),
        Some("two"),
        "upserts apply in file order"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_second_ever_holds_more_requests_than_the_rate_as_the_server_counts_them() {
    let sb = sandbox(|c| c.rate = 20).await;
    let out = import(&sb, &valid_rows(70), &["--rate", "20"]).await;
    assert_eq!(out.code, 0);
    let log = sb.requests();
    assert!(
        max_in_any_second(&log) <= 20,
        "{} in one second",
        max_in_any_second(&log)
    );
    assert!(log.iter().all(|r| r.status != Some(429)));
    assert_eq!(copies(&sb).len(), 75);
    // Lookups count too: every request of the run is in that log.
    assert_eq!(
        out.summary["requests"].as_u64().unwrap() as usize,
        log.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_keeps_input_order_original_headers_and_spreadsheet_row_numbers() {
    let sb = sandbox(|_| {}).await;
    let csv = "Name,TYPE,Owners,Tags\n\"multi\nline\",NoSql,john.doe@example.com;jane.doe@example.com,\n\n,,,\nafter,Relational,,GDPR\n";
    let out = import(&sb, csv, &[]).await;
    assert_eq!(
        out.report_headers,
        [
            "row",
            "result",
            "source_id",
            "location",
            "http_status",
            "attempts",
            "error",
            "changes",
            "Name",
            "TYPE",
            "Owners",
            "Tags"
        ]
    );
    let rows: Vec<&str> = out.report.iter().map(|r| r["row"].as_str()).collect();
    // Record 2 holds a line break; the blank line and the empty row are rows
    // of the spreadsheet (3 and 4) but not data rows.
    assert_eq!(rows, ["2", "5"]);
    assert_eq!(
        out.row(2)["Owners"],
        "john.doe@example.com;jane.doe@example.com"
    );
    assert_eq!(out.row(2)["Name"], "multi\nline");
    // The journal is folded into the report and removed.
    assert!(!out.dir.path().join("in.report.csv.journal").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_column_stops_the_run_before_any_write() {
    let sb = sandbox(|_| {}).await;
    let out = import(&sb, "name,type,Owner mail\na,NoSql,x\n", &[]).await;
    assert_eq!(out.code, 2);
    assert!(
        out.error
            .as_deref()
            .unwrap_or_default()
            .contains("'Owner mail' — did you mean owners?"),
        "{:?}",
        out.error
    );
    assert!(sb.requests().iter().all(|r| r.method == "GET"));
    assert!(out.report.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_importer_tolerates_every_variant_the_contract_lists() {
    let variants = [
        Variant::TagLabel,
        Variant::NoNextPage,
        Variant::ForeignNextPage,
        Variant::PlainErrors,
        Variant::HtmlErrors,
        Variant::RetryAfterDate,
        Variant::UpsertCreated,
        Variant::PartialTechnicalName,
        Variant::NoRateLimitHeader,
        Variant::NoAttributeDefinitions,
        Variant::PagedAttributes,
    ];
    for variant in variants {
        let sb = sandbox(|c| {
            c.variants.insert(variant);
        })
        .await;
        let mut csv = valid_rows(30);
        csv.push_str("bad,Relational,nobody@example.com,,,\n");
        csv.push_str("tagged,Relational,,,pii;Streaming,\n");
        let out = import(&sb, &csv, &["--rate", "500"]).await;
        assert_eq!(
            out.results().get("created"),
            Some(&31),
            "{variant:?}: {:?}",
            out.results()
        );
        assert_eq!(out.results().get("invalid"), Some(&1), "{variant:?}");
        assert_eq!(copies(&sb).values().max(), Some(&1), "{variant:?}");
        // A foreign next_page never receives a request, with or without the token.
        assert!(
            sb.requests().iter().all(|r| !r.path.contains("foreign")),
            "{variant:?}"
        );
    }
}

/// A seed with `n` extra sources, so that listings take two pages of 5000.
fn big_seed(n: usize) -> String {
    let mut seed: serde_json::Value =
        serde_json::from_str(dg_import::sandbox::store::BUILT_IN_SEED).unwrap();
    let sources = seed["sources"].as_array_mut().unwrap();
    for i in 0..n {
        sources.push(serde_json::json!({"workspace": "My Workspace", "name": format!("old-{i:05}"), "type": "Relational"}));
    }
    seed.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn existing_sources_are_found_on_every_page_whatever_the_paging_variant() {
    for variant in [
        None,
        Some(Variant::NoNextPage),
        Some(Variant::ForeignNextPage),
    ] {
        let sb = sandbox(|c| {
            c.seed = big_seed(5050);
            c.variants.extend(variant);
        })
        .await;
        let csv = "name,type\nold-00001,Relational\nold-05049,Relational\nfresh,NoSql\n";
        let out = import(&sb, csv, &["--if-exists", "skip", "--batch-size", "1"]).await;
        let results: Vec<&str> = out.report.iter().map(|r| r["result"].as_str()).collect();
        assert_eq!(
            results,
            ["unchanged", "unchanged", "created"],
            "{variant:?}"
        );
        let listings = sb
            .requests()
            .iter()
            .filter(|r| r.path.starts_with("/v2/sources?"))
            .count();
        assert_eq!(listings, 2, "{variant:?}: two pages of 5000");
    }
}

/// The built-in seed plus a versioned workspace "Finance Space" (2025, 2026).
fn two_workspaces() -> String {
    let mut seed: serde_json::Value =
        serde_json::from_str(dg_import::sandbox::store::BUILT_IN_SEED).unwrap();
    seed["workspaces"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({
            "name": "Finance Space", "versioning": true,
            "versions": ["2025", "2026"], "defaultVersion": "2026"
        }));
    seed.to_string()
}

fn version_id(sb: &dg_import::sandbox::Sandbox, workspace: &str, version: &str) -> String {
    let store = sb.store();
    let ws = store
        .workspaces
        .iter()
        .find(|w| w.name == workspace)
        .unwrap();
    ws.versions
        .iter()
        .find(|v| v.name == version)
        .unwrap()
        .id
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_workspaces_need_a_choice_and_a_version_can_be_named() {
    let sb = sandbox(|c| c.seed = two_workspaces()).await;
    let csv = "name,type\nledger,Relational\n";
    let unnamed = import(&sb, csv, &[]).await;
    assert_eq!(unnamed.code, 2);
    let message = unnamed.error.unwrap();
    assert!(
        message.contains("'My Workspace', 'Finance Space'"),
        "{message}"
    );
    assert!(message.contains("--workspace"), "{message}");
    assert_eq!(posts(&sb.requests()), 0);

    let default = import(&sb, csv, &["--workspace", "FINANCE space"]).await;
    assert_eq!(default.code, 0, "{:?}", default.error);
    let older = import(
        &sb,
        csv,
        &["--workspace", "Finance Space", "--version", "2025"],
    )
    .await;
    assert_eq!(older.code, 0, "{:?}", older.error);
    let versions: Vec<String> = sb
        .sources()
        .into_iter()
        .filter(|s| s.name == "ledger")
        .map(|s| s.version_id)
        .collect();
    assert_eq!(
        versions,
        [
            version_id(&sb, "Finance Space", "2026"),
            version_id(&sb, "Finance Space", "2025")
        ]
    );
    // The version was found through the paginated versions endpoint.
    assert!(sb.requests().iter().any(|r| r.path.contains("/versions")));

    let missing = import(
        &sb,
        csv,
        &["--workspace", "Finance Space", "--version", "2024"],
    )
    .await;
    assert_eq!(missing.code, 2);
    assert!(missing.error.unwrap().contains("it has: 2025, 2026"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_low_x_ratelimit_remaining_slows_the_run_so_that_it_is_never_blocked() {
    // The tenant allows 25 requests per 4-second "hour"; the user claimed 1000.
    let sb = sandbox(|c| {
        c.hourly_limit = 25;
        c.hour = std::time::Duration::from_secs(4);
        c.block = std::time::Duration::from_secs(60);
    })
    .await;
    let out = import(
        &sb,
        &valid_rows(40),
        &[
            "--rate",
            "100",
            "--hourly-limit",
            "1000",
            "--hour-secs",
            "4",
        ],
    )
    .await;
    assert_eq!(
        out.results().get("created"),
        Some(&40),
        "{:?}",
        out.results()
    );
    assert!(sb.requests().iter().all(|r| r.status != Some(429)));
    assert_eq!(out.summary["rate_limited"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drops_after_commit_with_a_partial_technical_name_filter_make_no_duplicate() {
    let sb = sandbox(|c| {
        c.drop_after_commit_rate = 0.5;
        c.variants.insert(Variant::PartialTechnicalName);
    })
    .await;
    // Each name is a prefix of the next: a partial match would find the wrong one.
    let mut csv = String::from("name,type\n");
    let names: Vec<String> = (1..=12).map(|n| "lake".repeat(n)).collect();
    for name in names.iter().rev() {
        csv.push_str(&format!("{name},NoSql\n"));
    }
    let out = import(&sb, &csv, &["--rate", "500", "--max-retries", "10"]).await;
    assert_eq!(out.results().get("created"), Some(&12), "{:?}", out.report);
    assert_eq!(copies(&sb).values().max(), Some(&1));
    assert_ids_are_the_servers(&sb, &out.report);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listing_page_that_times_out_is_read_again_as_smaller_pages() {
    let sb = sandbox(|c| {
        c.seed = big_seed(2500);
        c.variants.insert(Variant::SlowLargePages);
    })
    .await;
    let csv = "name,type\nold-00001,Relational\nold-02499,Relational\nfresh,NoSql\n";
    let out = import(&sb, csv, &["--if-exists", "skip", "--timeout", "1s"]).await;
    let results: Vec<&str> = out.report.iter().map(|r| r["result"].as_str()).collect();
    assert_eq!(
        results,
        ["unchanged", "unchanged", "created"],
        "{:?}",
        out.error
    );
    let listings: Vec<String> = sb
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/v2/sources?"))
        .map(|r| r.path.clone())
        .collect();
    let of = |limit: &str| listings.iter().filter(|p| p.contains(limit)).count();
    // Each timed-out page of 5,000 once (the set-up and the final id
    // listing), never retried; then pages of 1,000.
    assert_eq!(of("limit=5000"), 2, "{listings:?}");
    assert_eq!(of("limit=1000"), 6, "{listings:?}");
    assert!(
        out.report[2]["source_id"].len() > 1,
        "ids filled from the smaller pages"
    );
}
