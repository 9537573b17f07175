//! Going again safely: `rerun` of a report, `run --resume` after a kill at
//! any instant, `check` as a faithful prediction, one writer per report.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;

use dg_import::sandbox::Sandbox;

use crate::common::{
    assert_ids_are_the_servers, copies, dg, import, kill_after_writes, posts, read_report,
    rerun_until_clean, sandbox, valid_rows,
};

fn results(path: &Path) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for r in read_report(path).1 {
        *counts.entry(r["result"].clone()).or_default() += 1;
    }
    counts
}

/// 1000 valid rows and three invalid ones, in one file.
fn thousand_rows() -> String {
    let mut csv = valid_rows(1000);
    csv.push_str("bad owner,Relational,nobody@example.com,,,\n");
    csv.push_str("bad type,Graph,,,,\n");
    csv.push_str(",Relational,,,,\n");
    csv
}

fn assert_every_valid_row_once(sb: &Sandbox, report: &Path) {
    let copies = copies(sb);
    for i in 1..=1000 {
        assert_eq!(
            copies.get(&format!("source-{i:04}")),
            Some(&1),
            "source-{i:04}"
        );
    }
    let (_, rows) = read_report(report);
    assert_eq!(rows.len(), 1003, "every input row exactly once");
    let numbers: Vec<u64> = rows.iter().map(|r| r["row"].parse().unwrap()).collect();
    assert_eq!(numbers, (2..=1004).collect::<Vec<_>>(), "in input order");
    for row in &rows {
        let expected = if row["name"].starts_with("source-") {
            "created"
        } else {
            "invalid"
        };
        assert_eq!(row["result"], expected, "{row:?}");
    }
    assert_ids_are_the_servers(sb, &rows);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rerunning_the_report_until_nothing_failed_creates_every_valid_row_exactly_once() {
    let sb = std::sync::Arc::new(sandbox(|_| {}).await);
    // The faults start with the first write, so that the lookups of a run
    // with few retries do not end it before it starts.
    let ill = crate::common::fall_ill_at_first_write(&sb, 0.2, 0.1);
    // Few retries, so that the first run leaves failed rows to rerun.
    let first = import(
        &sb,
        &thousand_rows(),
        &["--rate", "2000", "--max-retries", "1", "--batch-size", "1"],
    )
    .await;
    ill.await.unwrap();
    let report = first.dir.path().join("in.report.csv");
    assert!(
        first.results().get("failed").copied().unwrap_or(0) > 0,
        "{:?}",
        first.results()
    );
    let mut before = posts(&sb.requests());
    let extra = ["--rate", "2000", "--max-retries", "5"];
    rerun_until_clean(&report, &sb.base_url(), &extra, 10, |to_redo| {
        // Done rows are carried over, never sent again.
        let now = posts(&sb.requests());
        assert!(now - before <= to_redo * 2, "more writes than rows to redo");
        before = now;
        assert!(first.dir.path().join("in.report.prev.csv").exists());
    })
    .await;
    assert_every_valid_row_once(&sb, &report);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_killed_at_ten_random_moments_and_resumed_each_time_ends_complete_without_duplicates()
 {
    let sb = sandbox(|c| {
        c.fail_rate = 0.2;
        c.drop_after_commit_rate = 0.1;
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("in.csv"), thousand_rows()).unwrap();
    let url = sb.base_url();
    let run = |resume: bool| {
        let mut cmd = crate::common::binary();
        cmd.args([
            "run",
            "in.csv",
            "--quiet",
            "--rate",
            "150",
            "--max-retries",
            "20",
            "--batch-size",
            "1",
            "--url",
            &url,
        ])
        .env("DATAGALAXY_TOKEN", sb.token())
        .env_remove("RUST_LOG")
        .current_dir(dir.path())
        .stderr(Stdio::null());
        if resume {
            cmd.arg("--resume");
        }
        cmd
    };
    // Ten kills at random moments, each at most 80 writes on: 997 rows to
    // create cannot all be written before the tenth.
    let mut kills = 0;
    let mut points = crate::common::kill_points();
    for n in 0..10 {
        if kill_after_writes(&sb, &mut run(n > 0), points.usize(20..80)).await {
            kills += 1;
        }
    }
    let mut last = run(true);
    let status = tokio::task::spawn_blocking(move || last.status().unwrap())
        .await
        .unwrap();
    assert_eq!(status.code(), Some(1), "three rows are invalid");
    assert_eq!(kills, 10, "the import finished before its tenth kill");
    assert_every_valid_row_once(&sb, &dir.path().join("in.report.csv"));
    assert!(!dir.path().join("in.report.csv.journal").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixing_a_bad_email_in_the_report_and_rerunning_creates_that_row() {
    let sb = sandbox(|_| {}).await;
    let csv = "name,type,owners\nfine,NoSql,john.doe@example.com\ntypo,NoSql,jon.doe@example.com\n";
    let out = import(&sb, csv, &["--rate", "500"]).await;
    assert_eq!(out.row(3)["result"], "invalid");
    let report = out.dir.path().join("in.report.csv");
    let text = std::fs::read_to_string(&report)
        .unwrap()
        .replace("jon.doe@", "john.doe@");
    std::fs::write(&report, text).unwrap();
    let token = out.dir.path().join("token").display().to_string();
    let (code, error) = dg(&[
        "rerun",
        &report.display().to_string(),
        "--token-file",
        &token,
        "--quiet",
    ])
    .await;
    assert_eq!(code, 0, "{error:?}");
    let (_, rows) = read_report(&report);
    assert_eq!(rows[1]["result"], "created");
    assert_eq!(
        rows[0]["source_id"],
        out.row(2)["source_id"],
        "done rows are carried untouched"
    );
    let typo = sb.sources().into_iter().find(|s| s.name == "typo").unwrap();
    assert_eq!(typo.owners, ["john.doe@example.com"]);
    assert_eq!(posts(&sb.requests()), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_predicts_the_outcome_of_run_row_for_row_and_writes_nothing() {
    let sb = sandbox(|_| {}).await;
    let csv = "name,type,owners,technicalName,upsert\n\
               brand new,NoSql,john.doe@example.com,,\n\
               Customer 360,NoSql,,,\n\
               HR Payroll,Relational,john.doe@example.com,hr_payroll_prod,yes\n\
               stranger,NoSql,nobody@example.com,,\n\
               twice,NoSql,,t,\n\
               twice again,NoSql,,t,\n\
               wrong type,Graph,,,\n";
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    std::fs::write(&input, csv).unwrap();
    std::fs::write(dir.path().join("token"), sb.token()).unwrap();
    let check_report = dir.path().join("in.check.csv");
    let token = dir.path().join("token").display().to_string();
    let url = sb.base_url();
    let (code, _) = dg(&[
        "check",
        &input.display().to_string(),
        "--url",
        &url,
        "--token-file",
        &token,
        "--report",
        &check_report.display().to_string(),
        "--quiet",
    ])
    .await;
    assert_eq!(code, 1, "some rows would not succeed");
    assert!(
        sb.requests().iter().all(|r| r.method == "GET"),
        "check sends no write"
    );
    let predicted: Vec<String> = read_report(&check_report)
        .1
        .iter()
        .map(|r| r["result"].clone())
        .collect();
    assert_eq!(
        predicted,
        [
            "would-create",
            "conflict",
            "would-update",
            "invalid",
            "would-create",
            "invalid",
            "invalid"
        ]
    );

    let out = import(&sb, csv, &["--rate", "500"]).await;
    let actual: Vec<&str> = out.report.iter().map(|r| r["result"].as_str()).collect();
    let expected: Vec<&str> = predicted
        .iter()
        .map(|p| match p.as_str() {
            "would-create" => "created",
            "would-update" => "updated",
            "conflict" => "failed",
            other => other,
        })
        .collect();
    assert_eq!(actual, expected);
    let check_errors: Vec<String> = read_report(&check_report)
        .1
        .iter()
        .map(|r| r["error"].clone())
        .collect();
    let run_errors: Vec<&str> = out.report.iter().map(|r| r["error"].as_str()).collect();
    assert_eq!(check_errors, run_errors, "the same reasons, word for word");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_report_can_be_rerun_into_the_real_import() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    std::fs::write(&input, valid_rows(3)).unwrap();
    std::fs::write(dir.path().join("token"), sb.token()).unwrap();
    let token = dir.path().join("token").display().to_string();
    let report = dir.path().join("in.check.csv").display().to_string();
    let url = sb.base_url();
    let (code, _) = dg(&[
        "check",
        &input.display().to_string(),
        "--url",
        &url,
        "--token-file",
        &token,
        "--report",
        &report,
        "--quiet",
    ])
    .await;
    assert_eq!(code, 0);
    let (code, error) = dg(&[
        "rerun",
        &report,
        "--url",
        &url,
        "--token-file",
        &token,
        "--quiet",
    ])
    .await;
    assert_eq!(code, 0, "{error:?}");
    assert_eq!(results(Path::new(&report)).get("created"), Some(&3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unfinished_run_is_never_silently_overwritten_and_a_changed_input_is_not_resumed() {
    let sb = sandbox(|_| {}).await;
    let out = import(&sb, &valid_rows(3), &[]).await;
    let dir = out.dir.path();
    let journal = dir.join("in.report.csv.journal");
    // As a killed run leaves it.
    std::fs::write(
        &journal,
        "{\"event\":\"sent\",\"row\":2,\"existed\":false}\n",
    )
    .unwrap();
    let args = |extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = vec!["run".into(), dir.join("in.csv").display().to_string()];
        a.extend(["--quiet".into(), "--url".into(), sb.base_url()]);
        a.extend([
            "--token-file".into(),
            dir.join("token").display().to_string(),
        ]);
        a.extend([
            "--report".into(),
            dir.join("in.report.csv").display().to_string(),
        ]);
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let plain = args(&[]);
    let (code, error) = dg(&plain.iter().map(String::as_str).collect::<Vec<_>>()).await;
    assert_eq!(code, 2);
    let error = error.unwrap();
    assert!(
        error.contains("--resume") && error.contains("--force"),
        "{error}"
    );

    std::fs::write(dir.join("in.csv"), valid_rows(4)).unwrap();
    let resume = args(&["--resume"]);
    let (code, error) = dg(&resume.iter().map(String::as_str).collect::<Vec<_>>()).await;
    assert_eq!(code, 2);
    assert!(error.unwrap().contains("changed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resuming_a_run_that_finished_sends_nothing_again() {
    let sb = sandbox(|_| {}).await;
    let out = import(&sb, &valid_rows(5), &["--rate", "500"]).await;
    let before = sb.requests().len();
    let dir = out.dir.path();
    let report = dir.join("in.report.csv");
    let (code, error) = dg(&[
        "run",
        &dir.join("in.csv").display().to_string(),
        "--resume",
        "--quiet",
        "--url",
        &sb.base_url(),
        "--token-file",
        &dir.join("token").display().to_string(),
        "--report",
        &report.display().to_string(),
    ])
    .await;
    assert_eq!(code, 0, "{error:?}");
    assert_eq!(posts(&sb.requests()[before..]), 0);
    assert_eq!(read_report(&report).1, out.report);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_into_the_same_report_is_refused_while_the_first_holds_it() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("in.csv"), valid_rows(40)).unwrap();
    let url = sb.base_url();
    let start = || {
        crate::common::binary()
            .args(["run", "in.csv", "--quiet", "--rate", "10", "--url", &url])
            .env("DATAGALAXY_TOKEN", sb.token())
            .current_dir(dir.path())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut first = start();
    crate::common::wait_for("the first write", 60, || posts(&sb.requests()) > 0).await;
    let second = start();
    let second = tokio::task::spawn_blocking(move || second.wait_with_output().unwrap())
        .await
        .unwrap();
    assert_eq!(second.status.code(), Some(2));
    let message = String::from_utf8_lossy(&second.stderr);
    assert!(
        message.contains(&format!("process {}", first.id())),
        "{message}"
    );
    first.kill().unwrap();
    first.wait().unwrap();
}

/// The files a run of release 0.3.0 left when it was killed mid-run
/// (`tests/fixtures/interrupted-0.3.0`, as that binary wrote them) and the
/// state its server held then: this release finishes the run, and every
/// row's source exists once, the ten creates the server applied without a
/// recorded answer among them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_the_previous_release_left_unfinished_resumes_with_no_duplicate() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/interrupted-0.3.0");
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "sources.csv",
        "sources.report.csv.journal",
        "sources.report.csv.run.json",
        "state.json",
    ] {
        std::fs::copy(fixture.join(name), dir.path().join(name)).unwrap();
    }
    let sb = sandbox(|c| c.state_file = Some(dir.path().join("state.json"))).await;
    assert_eq!(sb.sources().len(), 5 + 75, "the state the kill left");
    // The one edit: the record names the port of the sandbox it ran against.
    let record = dir.path().join("sources.report.csv.run.json");
    let text = std::fs::read_to_string(&record).unwrap();
    let moved = text.replace("http://127.0.0.1:18455/v2", &sb.base_url());
    assert_ne!(moved, text);
    std::fs::write(&record, moved).unwrap();

    let input = dir.path().join("sources.csv");
    let report = dir.path().join("sources.report.csv");
    let connection = crate::common::reach(&sb, dir.path());
    let input_arg = input.display().to_string();
    let report_arg = report.display().to_string();
    let args = ["run", &input_arg, "--report", &report_arg, "--resume"];
    let (code, error) = crate::common::dg_at(&args, &connection).await;
    assert_eq!(code, 0, "{error:?}");

    let copies = copies(&sb);
    assert!(copies.values().all(|&n| n == 1), "{copies:?}");
    assert_eq!(sb.sources().len(), 5 + 120);
    let rows = read_report(&report).1;
    assert_eq!(rows.len(), 120);
    assert_eq!(
        results(&report),
        BTreeMap::from([("created".into(), 80), ("updated".into(), 40)])
    );
    for r in &rows {
        let stored = (sb.sources().into_iter())
            .find(|s| s.technical_name == r["technicalName"])
            .expect("every row's source exists");
        assert_eq!(stored.name, r["name"], "row {}", r["row"]);
        assert_eq!(stored.summary.as_deref(), Some(r["summary"].as_str()));
    }
    assert!(!dir.path().join("sources.report.csv.journal").exists());
}
