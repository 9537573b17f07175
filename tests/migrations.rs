//! Scheduled migrations: the same file imported every night writes only the
//! rows that changed, in bulk, and says what each one changes.

use std::collections::BTreeMap;

use dg_import::sandbox::{LoggedRequest, Sandbox, StoredSource, Variant};

use crate::common::{Imported, copies, dg, import, read_report, sandbox};

const ROWS: usize = 2000;

/// `n` sources with every field set; `edit` may change row `i`'s cells.
fn catalog(n: usize, edit: impl Fn(usize, &mut [String; 7])) -> String {
    let mut csv = String::from("name,type,status,owners,stewards,tags,summary\n");
    for i in 1..=n {
        let mut cells = [
            format!("nightly-{i:05}"),
            "Relational".into(),
            "Proposed".into(),
            "john.doe@example.com".into(),
            "jane.doe@example.com".into(),
            "GDPR;Finance".into(),
            format!("Row {i}"),
        ];
        edit(i, &mut cells);
        csv.push_str(&cells.join(","));
        csv.push('\n');
    }
    csv
}

/// 20 rows changed: 7 summaries, 7 statuses, 6 tag lists.
fn twenty_changed(i: usize, cells: &mut [String; 7]) {
    match i {
        1..=7 => cells[6] = format!("Row {i} revised"),
        100..=106 => cells[2] = "Validated".into(),
        500..=505 => cells[5] = "GDPR;PII".into(),
        _ => {}
    }
}

fn writes(log: &[LoggedRequest]) -> usize {
    log.iter()
        .filter(|r| r.method == "POST" || r.method == "PUT")
        .count()
}

fn held(sb: &Sandbox) -> BTreeMap<String, StoredSource> {
    sb.sources()
        .into_iter()
        .map(|s| (s.technical_name.clone(), s))
        .collect()
}

async fn first_import(sb: &Sandbox) {
    let out = import(sb, &catalog(ROWS, |_, _| {}), &["--rate", "2000"]).await;
    assert_eq!(
        out.results().get("created"),
        Some(&ROWS),
        "{:?}",
        out.results()
    );
}

fn count(out: &Imported, result: &str) -> usize {
    out.results().get(result).copied().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nightly_reimport_writes_only_the_twenty_rows_that_changed_in_a_few_requests() {
    let sb = sandbox(|_| {}).await;
    first_import(&sb).await;
    let before = held(&sb);
    let edited = catalog(ROWS, twenty_changed);

    // check says beforehand what run will do, and writes nothing.
    let writes_before = writes(&sb.requests());
    let dir = tempfile::tempdir().unwrap();
    let (input, report, token) = (
        dir.path().join("in.csv"),
        dir.path().join("in.check.csv"),
        dir.path().join("token"),
    );
    std::fs::write(&input, &edited).unwrap();
    std::fs::write(&token, sb.token()).unwrap();
    let args = [
        "check".to_owned(),
        input.display().to_string(),
        "--url".into(),
        sb.base_url(),
        "--token-file".into(),
        token.display().to_string(),
        "--report".into(),
        report.display().to_string(),
        "--if-exists".into(),
        "update".into(),
        "--quiet".into(),
    ];
    let (code, error) = dg(&args.iter().map(String::as_str).collect::<Vec<_>>()).await;
    let predicted = read_report(&report).1;
    assert_eq!(code, 0, "{error:?}");
    assert_eq!(writes(&sb.requests()), writes_before);
    let would = |r: &str| predicted.iter().filter(|p| p["result"] == r).count();
    assert_eq!((would("would-update"), would("unchanged")), (20, 1980));

    let out = import(&sb, &edited, &["--rate", "2000", "--if-exists", "update"]).await;
    assert_eq!(out.code, 0, "{:?}", out.error);
    assert_eq!(
        (count(&out, "updated"), count(&out, "unchanged")),
        (20, 1980)
    );
    let sent = writes(&sb.requests()) - writes_before;
    assert!(sent <= 10, "{sent} write requests");
    assert_eq!(out.row(2)["changes"], "summary changed");
    assert_eq!(out.row(101)["changes"], "status: Proposed -> Validated");
    assert_eq!(out.row(501)["changes"], "tags: +PII -Finance");
    assert!(
        out.report
            .iter()
            .filter(|r| r["result"] == "unchanged")
            .all(|r| r["changes"].is_empty() && !r["source_id"].is_empty())
    );
    // The check's prediction, row by row, and its changes word for word.
    for (row, p) in out.report.iter().zip(&predicted) {
        assert_eq!(row["changes"], p["changes"]);
    }
    // Exactly those 20 sources changed on the server, and nothing else.
    let after = held(&sb);
    let changed: Vec<&String> = after
        .iter()
        .filter(|(k, s)| before.get(*k) != Some(*s))
        .map(|(k, _)| k)
        .collect();
    assert_eq!(changed.len(), 20, "{changed:?}");
    assert_eq!(after["nightly-00101"].status.as_deref(), Some("Validated"));
    assert_eq!(after["nightly-00501"].tags, ["GDPR", "PII"]);
    assert_eq!(
        after["nightly-00501"].owners,
        before["nightly-00501"].owners
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_listing_carries_no_attributes_every_existing_row_is_sent_and_none_is_unchanged() {
    let sb = sandbox(|c| {
        c.variants.insert(Variant::NoAttributes);
    })
    .await;
    first_import(&sb).await;
    let out = import(
        &sb,
        &catalog(ROWS, |_, _| {}),
        &["--rate", "2000", "--if-exists", "update"],
    )
    .await;
    assert_eq!(count(&out, "updated"), ROWS, "{:?}", out.results());
    assert_eq!(count(&out, "unchanged"), 0);
    assert!(out.report.iter().all(|r| r["changes"].is_empty()));
    // In bulk all the same: 100 edits a request.
    let puts = sb.requests().iter().filter(|r| r.method == "PUT").count();
    assert_eq!(puts, ROWS / 100);
    assert_eq!(copies(&sb).values().max(), Some(&1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_listed_as_user_objects_compare_by_email_and_an_unchanged_file_sends_nothing() {
    let sb = sandbox(|c| {
        c.variants.insert(Variant::UserObjects);
    })
    .await;
    let csv = catalog(50, |i, cells| {
        // Case and order do not matter.
        if i % 2 == 0 {
            cells[3] = "JOHN.DOE@example.com".into();
            cells[5] = "finance;gdpr".into();
        }
    });
    let first = import(&sb, &csv, &["--rate", "2000"]).await;
    assert_eq!(count(&first, "created"), 50);
    let writes_before = writes(&sb.requests());
    let again = import(&sb, &csv, &["--rate", "2000", "--if-exists", "update"]).await;
    assert_eq!(count(&again, "unchanged"), 50, "{:?}", again.report[0]);
    assert_eq!(writes(&sb.requests()), writes_before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_row_by_row_is_compared_too_and_says_what_it_changed() {
    let sb = sandbox(|_| {}).await;
    let csv = catalog(30, |_, _| {});
    import(&sb, &csv, &["--rate", "2000"]).await;
    let edited = catalog(30, |i, cells| {
        if i == 3 {
            cells[4] = "jane.doe@example.com;john.doe@example.com".into();
        }
    });
    let writes_before = writes(&sb.requests());
    let out = import(
        &sb,
        &edited,
        &["--rate", "2000", "--upsert", "--batch-size", "1"],
    )
    .await;
    assert_eq!((count(&out, "updated"), count(&out, "unchanged")), (1, 29));
    assert_eq!(out.row(4)["changes"], "stewards: +john.doe@example.com");
    assert_eq!(writes(&sb.requests()) - writes_before, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_empty_cells_clear_an_empty_cell_empties_the_field_on_the_server() {
    let sb = sandbox(|_| {}).await;
    import(&sb, &catalog(3, |_, _| {}), &["--rate", "2000"]).await;
    let emptied = catalog(3, |i, cells| {
        if i == 2 {
            cells[5] = String::new();
            cells[6] = String::new();
        }
    });
    // By default an empty cell leaves the field as it is.
    let kept = import(&sb, &emptied, &["--if-exists", "update"]).await;
    assert_eq!(count(&kept, "unchanged"), 3);
    let cleared = import(
        &sb,
        &emptied,
        &["--if-exists", "update", "--empty-cells", "clear"],
    )
    .await;
    assert_eq!(count(&cleared, "updated"), 1, "{:?}", cleared.report);
    assert_eq!(
        cleared.row(3)["changes"],
        "tags: -GDPR -Finance; summary cleared"
    );
    let source = &held(&sb)["nightly-00002"];
    assert!(
        source.tags.is_empty() && source.summary.is_none(),
        "{source:?}"
    );
    assert_eq!(source.owners, ["john.doe@example.com"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_of_one_technical_name_are_applied_in_file_order_even_in_batches() {
    let sb = sandbox(|_| {}).await;
    let mut csv = String::from("name,type,technicalName,summary\n");
    for i in 0..250 {
        csv.push_str(&format!("n{i},NoSql,t{},pass {}\n", i % 5, i / 5));
    }
    let out = import(
        &sb,
        &csv,
        &[
            "--rate",
            "2000",
            "--if-exists",
            "update",
            "--concurrency",
            "16",
        ],
    )
    .await;
    assert_eq!(out.code, 0, "{:?}", out.results());
    let held = held(&sb);
    for k in 0..5 {
        assert_eq!(held[&format!("t{k}")].summary.as_deref(), Some("pass 49"));
    }
    assert_eq!(copies(&sb).values().max(), Some(&1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_without_bulk_routes_gets_one_request_per_row_said_once() {
    let sb = sandbox(|c| {
        c.variants.insert(Variant::NoBulk);
    })
    .await;
    let out = import(&sb, &catalog(30, |_, _| {}), &["--rate", "2000"]).await;
    assert_eq!(count(&out, "created"), 30, "{:?}", out.results());
    let log = sb.requests();
    let bulk = log
        .iter()
        .filter(|r| r.path.starts_with("/v2/sources/bulk"))
        .count();
    assert_eq!(bulk, 1, "one bulk attempt, then row by row");
    let single = log
        .iter()
        .filter(|r| r.method == "POST" && !r.path.contains("/bulk/"))
        .count();
    assert_eq!(single, 30);
    assert!(out.report.iter().all(|r| !r["source_id"].is_empty()));
}

/// The catalog without the rows `skip` says.
fn catalog_without(n: usize, skip: impl Fn(usize) -> bool) -> String {
    catalog(n, |_, _| {})
        .lines()
        .enumerate()
        .filter(|(i, _)| *i == 0 || !skip(*i))
        .map(|(_, l)| format!("{l}\n"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sources_that_left_the_file_are_retired_and_nothing_else_changes() {
    let sb = sandbox(|_| {}).await;
    first_import(&sb).await;
    let before = held(&sb);
    let gone = |i: usize| (1000..1030).contains(&i);
    let csv = catalog_without(ROWS, gone);
    let scope = ["--retire-missing", "technicalName:nightly-*"];

    // check says what would be retired, and writes nothing.
    let writes_before = writes(&sb.requests());
    let dir = tempfile::tempdir().unwrap();
    let (input, token) = (dir.path().join("in.csv"), dir.path().join("token"));
    std::fs::write(&input, &csv).unwrap();
    std::fs::write(&token, sb.token()).unwrap();
    let report = dir.path().join("in.check.csv");
    let args = [
        "check",
        input.to_str().unwrap(),
        "--url",
        &sb.base_url(),
        "--token-file",
        token.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
        "--quiet",
        "--if-exists",
        "skip",
        scope[0],
        scope[1],
    ];
    let (code, error) = dg(&args).await;
    assert_eq!(code, 0, "{error:?}");
    assert_eq!(writes(&sb.requests()), writes_before);
    let (_, would) = read_report(&dir.path().join("in.check.retired.csv"));
    assert_eq!(would.len(), 30);
    assert!(would.iter().all(|r| r["result"] == "would-retire"));

    let out = import(&sb, &csv, &["--if-exists", "skip", scope[0], scope[1]]).await;
    assert_eq!(out.code, 0, "{}", out.summary);
    assert_eq!(out.summary["retired"], 30);
    assert!(writes(&sb.requests()) - writes_before <= 2, "in bulk");
    let after = held(&sb);
    for (name, source) in &after {
        let i: usize = name
            .strip_prefix("nightly-")
            .map_or(0, |n| n.parse().unwrap());
        if i > 0 && gone(i) {
            assert_eq!(source.status.as_deref(), Some("Obsolete"), "{name}");
            assert_eq!(source.summary, before[name].summary, "only the status");
        } else {
            assert_eq!(Some(source), before.get(name), "{name} changed");
        }
    }
    let (headers, listed) = read_report(&out.dir.path().join("in.report.retired.csv"));
    assert_eq!(
        headers,
        ["technicalName", "name", "source_id", "result", "error"]
    );
    assert_eq!(listed.len(), 30);
    assert!(listed.iter().all(|r| r["result"] == "retired"));
    assert_eq!(listed[0]["technicalName"], "nightly-01000");
    assert_eq!(listed[0]["source_id"], after["nightly-01000"].id);
    // Already Obsolete: left alone the next night.
    let again = import(&sb, &csv, &["--if-exists", "skip", scope[0], scope[1]]).await;
    assert_eq!(again.summary["retired"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_missing_half_its_rows_retires_nothing_and_writes_nothing() {
    let sb = sandbox(|_| {}).await;
    first_import(&sb).await;
    let writes_before = writes(&sb.requests());
    let half = catalog_without(ROWS, |i| i % 2 == 0);
    let out = import(
        &sb,
        &half,
        &[
            "--retire-missing",
            "technicalName:nightly-*",
            "--if-exists",
            "update",
        ],
    )
    .await;
    assert_eq!(out.code, 2, "{:?}", out.results());
    let error = out.error.unwrap();
    assert!(
        error.contains("would retire 1000 of the 2000") && error.contains("--max-retire 1000"),
        "{error}"
    );
    assert_eq!(writes(&sb.requests()), writes_before);
    assert!(
        sb.sources()
            .iter()
            .filter(|s| s.technical_name.starts_with("nightly-"))
            .all(|s| s.status.as_deref() != Some("Obsolete"))
    );
    // Standard input cannot be retired from.
    let (code, error) = dg(&["run", "-", "--retire-missing", "tag:PII", "--sandbox"]).await;
    assert_eq!(code, 2);
    assert!(error.unwrap().contains("standard input"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_of_eleven_sources_retired_by_a_truncated_file_are_refused_by_default() {
    let sb = sandbox(|_| {}).await;
    let eleven = catalog(11, |_, _| {});
    assert_eq!(import(&sb, &eleven, &[]).await.code, 0);
    let writes_before = writes(&sb.requests());
    let six = catalog_without(11, |i| i > 6);
    let scope = ["--retire-missing", "technicalName:nightly-*"];
    let out = import(&sb, &six, &["--if-exists", "update", scope[0], scope[1]]).await;
    assert_eq!(out.code, 2, "{:?}", out.results());
    assert!(out.error.unwrap().contains("would retire 5 of the 11"));
    assert_eq!(writes(&sb.requests()), writes_before);
    // The scheduler's summary says so, not last night's.
    assert_eq!(out.summary["exit_code"], 2);
    assert!(
        out.summary["stopped"]
            .as_str()
            .unwrap()
            .contains("would retire 5")
    );
    // One source may always go; more needs --max-retire.
    let ten = catalog_without(11, |i| i == 11);
    let out = import(&sb, &ten, &["--if-exists", "update", scope[0], scope[1]]).await;
    assert_eq!((out.code, &out.summary["retired"]), (0, &1.into()));
    assert_eq!(out.summary["retire_scope_matched"], 11);
    let allowed = ["--max-retire", "5"];
    let out = import(&sb, &six, &[scope[0], scope[1], allowed[0], allowed[1]]).await;
    assert_eq!(
        out.summary["retired"], 4,
        "the fifth was retired the run before"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retirement_scope_that_matches_nothing_is_a_warning_not_a_silence() {
    let sb = sandbox(|_| {}).await;
    let rows = catalog(3, |_, _| {});
    let out = import(&sb, &rows, &["--retire-missing", "tag:Finanse"]).await;
    assert_eq!(out.code, 0, "{:?}", out.error);
    assert_eq!(out.summary["retire_scope_matched"], 0);
    let warnings = out.summary["warnings"].to_string();
    assert!(warnings.contains("no tag 'Finanse'"), "{warnings}");
    assert!(warnings.contains("did you mean tag:Finance?"), "{warnings}");
    assert!(
        warnings.contains("tag:Finanse matches no existing source"),
        "{warnings}"
    );
    let glob = ["--retire-missing", "technicalName:crm_*"];
    let out = import(&sb, &rows, &["--if-exists", "skip", glob[0], glob[1]]).await;
    assert_eq!(out.summary["retire_scope_matched"], 0);
    let warnings = out.summary["warnings"].to_string();
    assert!(
        warnings.contains("technicalName:crm_* matches no"),
        "{warnings}"
    );
    assert!(!warnings.contains("no tag"), "{warnings}");
}
