//! Nothing the user gives is lost, overwritten or misread: the input and
//! output paths, as a new user meets them.

use std::path::Path;

use crate::binary::{dg_import, repo_file};
use crate::common::{copies, dg, dg_at, import, posts, reach, sandbox, valid_rows};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quote_never_closed_stops_before_any_write_naming_its_row_column_and_line() {
    let sb = sandbox(|_| {}).await;
    let csv = "name,type,summary,technicalName\nQ1,Relational,\"oops,q1\n\
               Q2,Relational,x,q2\nQ3,Relational,y,q3\n";
    let run = import(&sb, csv, &[]).await;
    assert_eq!(run.code, 2, "{:?}", run.error);
    let error = run.error.unwrap();
    for part in ["row 2", "summary", "line 2", "2 lines after it"] {
        assert!(error.contains(part), "{part:?} missing from: {error}");
    }
    assert_eq!(posts(&sb.requests()), 0);
    assert!(sb.requests().is_empty(), "nothing is even read");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quote_inside_a_value_makes_its_row_invalid_and_the_others_go_on() {
    let sb = sandbox(|_| {}).await;
    let csv = "name,type,summary,technicalName\n\
               Q1,Relational,\"Quoted \"inner\" bad\",q1\n\
               Q2,Relational,Quoted \"inner\" bad,q2\n\
               Q3,Relational,\"well \"\"quoted\"\"\",q3\n";
    let run = import(&sb, csv, &[]).await;
    assert_eq!(run.code, 1, "{:?}", run.error);
    for row in [2, 3] {
        assert_eq!(run.row(row)["result"], "invalid");
        assert_eq!(
            run.row(row)["error"],
            "summary: a quote inside a value must be doubled, or the whole value quoted"
        );
    }
    assert_eq!(run.row(4)["result"], "created");
    let held = sb.sources().into_iter().find(|s| s.technical_name == "q3");
    assert_eq!(held.unwrap().summary.as_deref(), Some("well \"quoted\""));
}

fn text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_named_after_the_input_is_refused_and_the_input_stays_as_it_was() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("self.csv");
    std::fs::write(&input, valid_rows(3)).unwrap();
    let link = dir.path().join("link.csv");
    std::os::unix::fs::symlink(&input, &link).unwrap();
    let connection = reach(&sb, dir.path());
    let path = input.to_str().unwrap();
    for (report, summary) in [
        (path, "s.json"),
        (link.to_str().unwrap(), "s.json"),
        ("r.csv", path),
    ] {
        let summary = dir.path().join(summary);
        let summary = summary.to_str().unwrap();
        let args = ["run", path, "--report", report, "--summary-json", summary];
        let (code, error) = dg_at(&args, &connection).await;
        assert_eq!(code, 2, "{report} {summary}: {error:?}");
        assert!(error.unwrap().contains("over the input file"));
    }
    assert_eq!(text(&input), valid_rows(3));
    assert!(sb.requests().is_empty(), "nothing was sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_after_a_finished_rerun_sends_nothing_and_keeps_the_report() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    let mut rows = valid_rows(3);
    rows.push_str("bad,Relational,nobody@example.com,,,x\n");
    std::fs::write(&input, rows).unwrap();
    let report = dir.path().join("in.report.csv");
    let connection = reach(&sb, dir.path());
    let (input, report_path) = (input.to_str().unwrap(), report.to_str().unwrap());
    let run = ["run", input, "--report", report_path];
    assert_eq!(dg_at(&run, &connection).await.0, 1);
    let summary = dir.path().join("rerun.json");
    let rerun = [
        "rerun",
        report_path,
        "--summary-json",
        summary.to_str().unwrap(),
    ];
    assert_eq!(dg_at(&rerun, &connection).await.0, 1);
    let summary: serde_json::Value = serde_json::from_str(&text(&summary)).unwrap();
    assert_eq!(summary["command"], "rerun");
    assert_eq!(summary["done_before"], 3, "the rows the run had created");
    assert_eq!(summary["results"]["created"], 3);
    let (after_rerun, prev) = (text(&report), text(&dir.path().join("in.report.prev.csv")));
    let sent = sb.requests().len();
    let resume = ["run", input, "--report", report_path, "--resume"];
    let (code, error) = dg_at(&resume, &connection).await;
    assert_eq!((code, error), (1, None), "the rerun's exit code, no error");
    assert_eq!(sb.requests().len(), sent, "nothing is sent");
    assert_eq!(text(&report), after_rerun);
    assert_eq!(text(&dir.path().join("in.report.prev.csv")), prev);
    assert_eq!(copies(&sb).values().max(), Some(&1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_report_and_retired_list_replaced_is_kept_as_prev() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    std::fs::write(&input, valid_rows(2)).unwrap();
    let connection = reach(&sb, dir.path());
    let report = dir.path().join("in.report.csv");
    let retired = dir.path().join("in.report.retired.csv");
    let args = [
        "run",
        input.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
        "--retire-missing",
        "technicalName:source-*",
        "--max-retire",
        "1",
        "--if-exists",
        "skip",
    ];
    assert_eq!(dg_at(&args, &connection).await.0, 0);
    let (first, first_retired) = (text(&report), text(&retired));
    // The second night, one source left the file: it is retired.
    std::fs::write(&input, valid_rows(1)).unwrap();
    assert_eq!(dg_at(&args, &connection).await.0, 0);
    assert_eq!(text(&dir.path().join("in.report.prev.csv")), first);
    assert!(text(&report).contains(",unchanged,"));
    assert_eq!(
        text(&dir.path().join("in.report.retired.prev.csv")),
        first_retired
    );
    assert!(text(&retired).contains("source-0002"), "{}", text(&retired));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_from_the_nightly_job_file_leaves_the_runs_files_byte_for_byte() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, sb.token()).unwrap();
    let mut rows = String::from("name,type,technicalName\n");
    for i in 0..30 {
        rows.push_str(&format!("n{i},Relational,crm_{i}\n"));
    }
    std::fs::write(dir.path().join("in.csv"), &rows).unwrap();
    let job = dir.path().join("nightly.toml");
    std::fs::write(
        &job,
        format!(
            "input = \"in.csv\"\nurl = \"{}\"\ntoken-file = \"token\"\nif-exists = \"update\"\n\
             report = \"nightly.report.csv\"\nsummary-json = \"nightly.summary.json\"\n\
             retire-missing = \"technicalName:crm_*\"\nquiet = true\nbatch-size = 50\n",
            sb.base_url()
        ),
    )
    .unwrap();
    let job = job.to_str().unwrap();
    assert_eq!(dg(&["run", "--config", job]).await, (0, None));
    // Two rows leave the file: the run would retire them.
    let fewer: String = rows.lines().take(29).map(|l| format!("{l}\n")).collect();
    std::fs::write(dir.path().join("in.csv"), fewer).unwrap();
    let names = [
        "nightly.report.csv",
        "nightly.report.retired.csv",
        "nightly.summary.json",
        "nightly.report.csv.run.json",
    ];
    let before: Vec<Option<Vec<u8>>> = names
        .iter()
        .map(|n| std::fs::read(dir.path().join(n)).ok())
        .collect();
    let (code, error) = dg(&["check", "--config", job]).await;
    assert_eq!(code, 0, "{error:?}");
    for (name, was) in names.iter().zip(&before) {
        assert_eq!(&std::fs::read(dir.path().join(name)).ok(), was, "{name}");
    }
    let summary: serde_json::Value =
        serde_json::from_str(&text(&dir.path().join("nightly.summary.check.json"))).unwrap();
    assert_eq!(summary["command"], "check");
    assert_eq!(summary["retired"], 2, "would be retired");
    let retired = text(&dir.path().join("nightly.check.retired.csv"));
    assert_eq!(retired.matches("would-retire").count(), 2, "{retired}");
    assert!(text(&dir.path().join("nightly.check.csv")).contains("unchanged"));
    let leftovers: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("nightly.check") && !n.ends_with(".csv"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn sandbox_works_with_the_api_url_and_token_exported() {
    let dir = tempfile::tempdir().unwrap();
    let out = dg_import()
        .args(["run", "--sandbox", "-v"])
        .arg(repo_file("samples/sources.csv"))
        .env("DATAGALAXY_URL", "https://tenant.example/v2")
        .env("DATAGALAXY_TOKEN", "not-used")
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("40 rows: 30 created"), "{stderr}");
    assert!(stderr.contains("DATAGALAXY_URL is set in the environment and ignored"));
    assert!(!stderr.contains("not-used"));
    let explicit = dg_import()
        .args([
            "run",
            "--sandbox",
            "--url",
            "https://tenant.example/v2",
            "x.csv",
        ])
        .output()
        .unwrap();
    assert_eq!(
        explicit.status.code(),
        Some(2),
        "an explicit --url still conflicts"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_whose_hour_is_not_the_sandboxs_stops_within_max_wait_naming_hour_secs() {
    let sb = sandbox(|c| {
        c.hourly_limit = 30;
        c.hour = std::time::Duration::from_secs(20);
    })
    .await;
    let run = import(&sb, &valid_rows(3), &["--max-wait", "2s"]).await;
    assert_eq!(run.code, 3, "{:?}", run.error);
    let error = run.error.unwrap();
    assert!(error.contains("--max-wait (2s)"), "{error}");
    assert!(error.contains("--hour-secs"), "{error}");
    assert!(sb.sources().len() <= 5, "nothing was written");
    // With the flags the sandbox prints, the same run goes through.
    let flags = [
        "--hourly-limit",
        "30",
        "--hour-secs",
        "20",
        "--max-wait",
        "2s",
    ];
    let run = import(&sb, &valid_rows(3), &flags).await;
    assert_eq!(run.code, 0, "{:?}", run.error);
}

#[test]
fn the_sandbox_names_the_client_flags_its_limits_need() {
    use dg_import::sandbox::SandboxConfig;
    let rehearsal = SandboxConfig {
        hourly_limit: 30,
        hour: std::time::Duration::from_secs(20),
        ..SandboxConfig::default()
    };
    assert_eq!(rehearsal.client_flags(), "--hourly-limit 30 --hour-secs 20");
    let slow = SandboxConfig {
        rate: 2,
        ..SandboxConfig::default()
    };
    assert_eq!(slow.client_flags(), "--rate 2");
    assert_eq!(SandboxConfig::default().client_flags(), "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_naming_one_value_twice_in_any_case_sends_it_once_in_the_tenants_spelling() {
    let sb = sandbox(|_| {}).await;
    let csv = "name,type,owners,tags,Regions\n\
               L1,Relational,john.doe@example.com;JOHN.DOE@example.com,Finance;finance;GDPR,emea;EMEA\n\
               L2,Relational,,Brand New;brand new,\n\
               L3,Relational,,brand new;BRAND NEW;Finance,\n";
    let run = import(&sb, csv, &["--create-missing-tags", "--batch-size", "1"]).await;
    assert_eq!(run.code, 0, "{:?} {:?}", run.error, run.report);
    let held = |name: &str| sb.sources().into_iter().find(|s| s.name == name).unwrap();
    let l1 = held("L1");
    assert_eq!(l1.owners, ["john.doe@example.com"]);
    assert_eq!(l1.tags, ["Finance", "GDPR"]);
    assert_eq!(l1.attributes["Regions"], serde_json::json!(["EMEA"]));
    assert_eq!(held("L2").tags, ["Brand New"]);
    assert_eq!(
        held("L3").tags,
        ["Brand New", "Finance"],
        "the created spelling"
    );
    assert_eq!(
        run.summary["created_tags"],
        serde_json::json!(["Brand New"])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numeric_options_name_their_range_and_export_refuses_a_format_it_cannot_write() {
    for (args, said) in [
        (
            &["run", "x.csv", "--sandbox", "--rate", "0"][..],
            "0 is not in 1..",
        ),
        (
            &["run", "x.csv", "--sandbox", "--concurrency", "0"],
            "0 is not in 1..=4096",
        ),
        (
            &["run", "x.csv", "--sandbox", "--timeout", "0s"],
            "at least 1s",
        ),
        (
            &["check", "x.csv", "--sandbox", "--batch-size", "5"],
            "unexpected argument",
        ),
    ] {
        let out = dg_import().args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(said), "{args:?}: {stderr}");
    }
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("out.json");
    let (code, error) = dg(&["export", "--sandbox", "-o", json.to_str().unwrap()]).await;
    assert_eq!(code, 2);
    assert!(error.unwrap().contains("not .json"));
    assert!(!json.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emails_or_tags_separated_by_commas_say_that_lists_use_semicolons() {
    let sb = sandbox(|_| {}).await;
    let csv = "name,type,owners,tags\n\
               C1,Relational,\"john.doe@example.com, jane.doe@example.com\",\n\
               C2,Relational,,\"GDPR,Finance\"\n";
    let run = import(&sb, csv, &[]).await;
    assert_eq!(run.code, 1);
    assert_eq!(
        run.row(2)["error"],
        "owners: 'john.doe@example.com, jane.doe@example.com' holds several values: \
         lists are separated by ';' (--list-separator sets another)"
    );
    assert!(run.row(3)["error"].starts_with("tags: 'GDPR,Finance' holds several values"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_url_without_v2_is_answered_with_the_url_that_has_it() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let mut connection = reach(&sb, dir.path());
    let bare = sb.base_url().trim_end_matches("/v2").to_owned();
    connection[2] = bare.clone();
    let input = dir.path().join("in.csv");
    std::fs::write(&input, valid_rows(1)).unwrap();
    let (code, error) = dg_at(&["check", input.to_str().unwrap()], &connection).await;
    assert_eq!(code, 2);
    let error = error.unwrap();
    assert!(error.contains(&format!("try --url {bare}/v2")), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_creating_a_source_under_a_name_already_taken_is_created_with_a_warning() {
    for batch in ["1", "100"] {
        let sb = sandbox(|_| {}).await;
        // The seed holds "HR Payroll" under the technical name hr_payroll_prod.
        let csv = "name,type\nhr payroll,Relational\nBrand new,Relational\n";
        let run = import(&sb, csv, &["--batch-size", batch]).await;
        assert_eq!(run.code, 0, "{:?}", run.error);
        assert_eq!(run.row(2)["result"], "created");
        assert!(
            run.row(2)["error"].starts_with("warning: a source named 'hr payroll' already exists"),
            "batch {batch}: {:?}",
            run.row(2)
        );
        assert_eq!(run.row(3)["error"], "");
        assert_eq!(
            run.summary["errors"],
            serde_json::json!([]),
            "a warning is no error"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_report_and_an_unwritable_summary_stop_before_any_request_saying_why() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    std::fs::write(&input, valid_rows(2)).unwrap();
    let connection = reach(&sb, dir.path());
    let report = dir.path().join("in.report.csv");
    let summary = dir.path().join("summary.json");
    let (input, report, summary_arg) = (
        input.to_str().unwrap(),
        report.to_str().unwrap(),
        summary.to_str().unwrap(),
    );
    let held = dg_import::files::lock::ReportLock::acquire(Path::new(report)).unwrap();
    let args = [
        "run",
        input,
        "--report",
        report,
        "--summary-json",
        summary_arg,
    ];
    let (code, error) = dg_at(&args, &connection).await;
    assert_eq!(code, 2);
    assert!(error.unwrap().contains("is already writing"));
    let written: serde_json::Value = serde_json::from_str(&text(&summary)).unwrap();
    assert_eq!(written["exit_code"], 2);
    assert!(
        written["stopped"]
            .as_str()
            .unwrap()
            .contains("is already writing")
    );
    drop(held);
    let nowhere = dir.path().join("no/such/folder/summary.json");
    let args = [
        "run",
        input,
        "--report",
        report,
        "--summary-json",
        nowhere.to_str().unwrap(),
    ];
    let (code, error) = dg_at(&args, &connection).await;
    assert_eq!(code, 2);
    let error = error.unwrap();
    assert!(
        error.contains("--summary-json") && error.contains("cannot write there (no such folder)"),
        "{error}"
    );
    assert!(!error.contains("at path"), "no scratch file named: {error}");
    assert!(
        sb.requests().is_empty(),
        "nothing was sent, not even a read"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_that_cannot_be_put_in_place_after_writes_exits_4_and_resume_finishes() {
    let sb =
        std::sync::Arc::new(sandbox(|c| c.latency = std::time::Duration::from_millis(50)).await);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    std::fs::write(&input, valid_rows(20)).unwrap();
    let connection = reach(&sb, dir.path());
    let report = dir.path().join("in.report.csv");
    let (input, report_arg) = (
        input.to_str().unwrap().to_owned(),
        report.to_str().unwrap().to_owned(),
    );
    let args = [
        "run",
        &input,
        "--report",
        &report_arg,
        "--batch-size",
        "1",
        "--rate",
        "50",
    ];
    let owned: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let conn = connection.clone();
    let run = tokio::spawn(async move {
        let args: Vec<&str> = owned.iter().map(String::as_str).collect();
        dg_at(&args, &conn).await
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while posts(&sb.requests()) == 0 {
        assert!(std::time::Instant::now() < deadline, "no write within 30 s");
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    // A folder now stands where the report goes: it cannot be put in place.
    std::fs::create_dir(&report).unwrap();
    std::fs::write(report.join("keep"), "x").unwrap();
    let (code, error) = run.await.unwrap();
    assert_eq!(code, 4, "{error:?}");
    assert!(error.unwrap().contains("--resume"));
    assert!(
        dir.path().join("in.report.csv.journal").exists(),
        "kept for --resume"
    );
    std::fs::remove_dir_all(&report).unwrap();
    let resume = [&args[..], &["--resume"]].concat();
    let (code, error) = dg_at(&resume, &connection).await;
    assert_eq!((code, error), (0, None));
    assert_eq!(copies(&sb).values().max(), Some(&1), "no duplicate");
    assert_eq!(sb.sources().len(), 5 + 20);
}

/// A disk that fills during the run: the binary may write no file past
/// `bytes` (RLIMIT_FSIZE; a write past it fails with EFBIG, its signal ignored).
#[cfg(target_os = "linux")]
fn with_file_size_limit(cmd: &mut std::process::Command, bytes: u64) {
    use std::os::unix::process::CommandExt;
    // SAFETY: setrlimit and signal are async-signal-safe, as pre_exec needs.
    unsafe {
        cmd.pre_exec(move || {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit {
                rlim_cur: bytes,
                rlim_max: bytes,
            };
            match libc::setrlimit(libc::RLIMIT_FSIZE, &limit) {
                0 => Ok(()),
                _ => Err(std::io::Error::last_os_error()),
            }
        });
    }
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_that_fills_the_disk_stops_the_run_with_exit_4_and_resume_finishes_it() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    std::fs::write(&input, valid_rows(300)).unwrap();
    let summary = dir.path().join("summary.json");
    let url = sb.base_url();
    let run = |limited: bool, resume: bool| {
        let mut cmd = crate::common::resumable(
            dir.path(),
            (&url, sb.token()),
            &[
                "run",
                "in.csv",
                "--batch-size",
                "1",
                "--rate",
                "1000",
                "--summary-json",
                "summary.json",
            ],
            resume,
        );
        if limited {
            // The journal (the largest file, written first for each row) fills it first.
            with_file_size_limit(&mut cmd, 16 * 1024);
        }
        cmd.status().unwrap().code()
    };
    let first = tokio::task::block_in_place(|| run(true, false));
    assert_eq!(first, Some(4), "stopped by the full disk");
    let said: serde_json::Value = serde_json::from_str(&text(&summary)).unwrap();
    assert_eq!(said["exit_code"], 4);
    let stopped = said["stopped"].as_str().unwrap();
    assert!(
        stopped.contains("journal") && stopped.contains("--resume"),
        "{stopped}"
    );
    let sent = posts(&sb.requests());
    assert!(sent > 0 && sent < 300, "stopped part way: {sent} rows sent");
    assert!(
        dir.path().join("in.report.csv.journal").exists(),
        "kept for --resume"
    );
    let resumed = tokio::task::block_in_place(|| run(false, true));
    assert_eq!(resumed, Some(0));
    assert_eq!(copies(&sb).values().max(), Some(&1), "no duplicate");
    assert_eq!(sb.sources().len(), 5 + 300);
}
