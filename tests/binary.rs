//! The real binary, run as a user runs it: the README's main command, exit
//! codes, secrecy of the token, Ctrl-C, and `dg-import sandbox`. The tests
//! that send signals are Unix's.
#![cfg_attr(not(unix), allow(unused_imports))]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{read_report, resumable, sandbox, valid_rows};

pub(crate) fn repo_file(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

pub(crate) fn dg_import() -> Command {
    crate::common::binary()
}

#[cfg(unix)]
use crate::common::{interrupt, send_signal};

/// `dg-import run --sandbox SAMPLE` in a new folder, as the README has it:
/// the folder, the exit status and what was said.
fn run_sample(sample: &str) -> (tempfile::TempDir, std::process::Output, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = dg_import()
        .args(["run", "--sandbox"])
        .arg(repo_file(sample))
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (dir, out, stderr)
}

#[test]
fn the_readme_main_command_imports_the_sample_into_an_in_process_sandbox() {
    let (dir, out, stderr) = run_sample("samples/sources.csv");
    // Some sample rows are wrong on purpose: the run finishes with exit 1.
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("40 rows: 30 created, 2 failed, 5 invalid, 3 updated"),
        "{stderr}"
    );
    assert!(stderr.contains("sandbox now holds 35 sources"), "{stderr}");
    assert!(
        stderr.contains("custom attributes: Data Domain, Contains PII"),
        "the sample's attribute columns are taken: {stderr}"
    );
    let (_, rows) = read_report(&dir.path().join("sources.report.csv"));
    let results: Vec<(String, String)> = rows
        .iter()
        .map(|r| (r["row"].clone(), r["result"].clone()))
        .collect();
    let expect = |row: u32, result: &str| {
        assert!(
            results.contains(&(row.to_string(), result.to_owned())),
            "row {row}: {results:?}"
        );
    };
    for row in [3, 4, 5] {
        expect(row, "updated");
    }
    for row in [36, 37, 38, 39, 41] {
        expect(row, "invalid");
    }
    expect(6, "failed");
    expect(40, "failed");
    expect(2, "created");
    expect(16, "created");
    assert_eq!(rows.len(), 40);
    assert_eq!(
        rows[34]["error"],
        "owners: unknown user 'intern@example.com'"
    );
}

/// The README's walk-through of a dictionary, first step: the sample
/// imported into an in-process sandbox, its eight wrong rows named, the
/// rest created, each kind's custom attributes with them.
#[test]
fn the_readme_dictionary_sample_imports_into_an_in_process_sandbox_with_its_wrong_rows_named() {
    let (dir, out, stderr) = run_sample("samples/dictionary.csv");
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("dictionary: 2 sources, 5 containers, 20 structures, 137 fields"),
        "{stderr}"
    );
    assert!(
        stderr.contains("156 rows: 148 created, 8 invalid"),
        "{stderr}"
    );
    assert!(
        stderr.contains("data type 'objectId'"),
        "said once: {stderr}"
    );
    let (_, rows) = read_report(&dir.path().join("dictionary.report.csv"));
    let invalid: Vec<&str> = (rows.iter())
        .filter(|r| r["result"] == "invalid")
        .map(|r| r["row"].as_str())
        .collect();
    assert_eq!(invalid, ["20", "30", "36", "69", "83", "91", "135", "150"]);
    let error = |row: &str| &rows.iter().find(|r| r["row"] == row).unwrap()["error"];
    assert_eq!(
        error("69"),
        "tags: 'Finanse': unknown tag — did you mean Finance?"
    );
    assert!(
        error("83").starts_with("table type: 'Veiw'"),
        "{}",
        error("83")
    );
    assert_eq!(
        error("91"),
        "Sensitivity: 'Personnal': not a value of the list — did you mean Personal?"
    );
}

/// The walk-through's second step, against a sandbox that outlives one
/// command: the sample's wrong rows fixed in the report as in a
/// spreadsheet (the duplicate row deleted), and rerun: only they are sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dictionary_samples_report_fixed_and_rerun_creates_only_the_fixed_rows() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let sample = repo_file("samples/dictionary.csv");
    std::fs::copy(sample, dir.path().join("dictionary.csv")).unwrap();
    let (url, path) = (sb.base_url(), dir.path().to_owned());
    let dg = move |args: &'static [&'static str]| {
        let (url, path) = (url.clone(), path.clone());
        tokio::task::spawn_blocking(move || {
            let out = dg_import()
                .args(args)
                .args(["--url", &url])
                .env("DATAGALAXY_TOKEN", "sandbox-token")
                .current_dir(&path)
                .output()
                .unwrap();
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        })
    };
    let (code, stderr) = dg(&["run", "dictionary.csv"]).await.unwrap();
    assert_eq!(code, Some(1), "{stderr}");
    let report = dir.path().join("dictionary.report.csv");
    let text = std::fs::read_to_string(&report).unwrap();
    let fixed = text
        .replace("j.doe@example.com", "jane.doe@example.com")
        .replace(",maybe,", ",NO,")
        .replace("Finanse", "Finance")
        .replace("Personnal", "Personal")
        .replace(",Veiw,", ",View,")
        .replace(",Draft", ",Proposed")
        .replace("restocked\\flag", "restocked_flag");
    let fixed: Vec<&str> = fixed.lines().filter(|l| !l.starts_with("30,")).collect();
    std::fs::write(&report, fixed.join("\n") + "\n").unwrap();
    let trees = crate::common::dictionary::trees_sent;
    let before = trees(&sb);
    let (code, stderr) = dg(&["rerun", "dictionary.report.csv"]).await.unwrap();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("155 rows: 7 created now, 148 done before"),
        "{stderr}"
    );
    assert_eq!(trees(&sb) - before, 2, "one tree per source touched");
    let store = sb.store();
    let held = |name: &str, attribute: &str| {
        let node = (store.dictionary.nodes.iter())
            .find(|n| n.technical_name == name)
            .unwrap();
        node.attributes.get(attribute).cloned()
    };
    assert_eq!(held("phone", "Sensitivity"), Some("Personal".into()));
    assert_eq!(held("ledger", "Data Domain"), Some("Finance".into()));
    assert_eq!(
        held("consents", "Refresh Frequency"),
        Some("Real time".into())
    );
}

#[test]
fn plain_http_to_a_host_that_is_not_loopback_is_refused_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = dg_import()
        .args(["run", "in.csv", "--url", "http://acme.example.com/v2"])
        .env("DATAGALAXY_TOKEN", "t")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("plain http"));
}

#[test]
fn a_missing_url_or_token_is_a_usage_error_naming_what_to_set() {
    let dir = tempfile::tempdir().unwrap();
    let no_url = dg_import()
        .args(["run", "in.csv"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(no_url.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_url.stderr).contains("DATAGALAXY_URL"));
    let no_token = dg_import()
        .args([
            "run",
            "in.csv",
            "--url",
            "https://acme.api.datagalaxy.com/v2",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(no_token.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_token.stderr).contains("DATAGALAXY_TOKEN"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_never_appears_in_logs_errors_or_the_report() {
    let secret = "tok-SECRET-4242";
    let sb = sandbox(|c| {
        c.token = secret.into();
        c.fail_rate = 0.3;
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let mut csv = valid_rows(10);
    csv.push_str("bad,Relational,nobody@example.com,,,\n");
    std::fs::write(dir.path().join("in.csv"), csv).unwrap();
    let url = sb.base_url();
    let path = dir.path().to_owned();
    let out = tokio::task::spawn_blocking(move || {
        dg_import()
            .args([
                "-vv",
                "--log-format",
                "json",
                "run",
                "in.csv",
                "--rate",
                "200",
                // A request per row: many chances for debug lines about retries.
                "--batch-size",
                "1",
                "--url",
                &url,
            ])
            .env("DATAGALAXY_TOKEN", secret)
            .current_dir(&path)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("\"level\":\"DEBUG\""), "debug logs were on");
    assert!(!stderr.contains(secret));
    let report = std::fs::read_to_string(dir.path().join("in.report.csv")).unwrap();
    assert!(!report.contains(secret));
}

#[cfg(unix)]
#[test]
fn the_sandbox_command_serves_until_ctrl_c_and_prints_how_to_reach_it() {
    let mut child = dg_import()
        .args(["sandbox", "--port", "0"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let url = lines
        .by_ref()
        .map(Result::unwrap)
        .find_map(|l| l.trim().strip_prefix("DATAGALAXY_URL=").map(str::to_owned))
        .expect("the URL is printed");
    let token_line = lines.next().unwrap().unwrap();
    assert_eq!(token_line.trim(), "DATAGALAXY_TOKEN=sandbox-token");
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/v2"),
        "{url}"
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let status = runtime.block_on(async {
        let res = crate::common::http()
            .get(format!("{url}/workspaces"))
            .bearer_auth("sandbox-token")
            .send()
            .await
            .unwrap();
        res.status().as_u16()
    });
    assert_eq!(status, 200);
    interrupt(&child);
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

#[cfg(unix)]
#[test]
fn a_sandbox_with_faults_prints_the_seed_that_replays_them() {
    let printed = |args: &[&str]| {
        let mut child = dg_import()
            .args(["sandbox", "--port", "0", "--fail-rate", "0.2"])
            .args(args)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let said: Vec<String> = lines
            .map(Result::unwrap)
            .take_while(|l| !l.starts_with("Press Ctrl-C"))
            .collect();
        interrupt(&child);
        assert_eq!(child.wait().unwrap().code(), Some(0));
        said.into_iter()
            .find_map(|l| {
                let seed = l.strip_prefix("Faults drawn from --fault-seed ")?;
                seed.split_whitespace().next().map(str::to_owned)
            })
            .expect("the seed is printed")
    };
    assert_eq!(printed(&["--fault-seed", "5"]), "5");
    assert!(printed(&[]).parse::<u64>().is_ok(), "a seed of its own");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dash_reads_the_rows_from_standard_input() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let url = sb.base_url();
    let path = dir.path().to_owned();
    let out = tokio::task::spawn_blocking(move || {
        assert_cmd::Command::from_std(crate::common::binary())
            .args(["run", "-", "--quiet", "--url", &url])
            .env("DATAGALAXY_TOKEN", "sandbox-token")
            .current_dir(&path)
            .write_stdin("name,type\npiped,NoSql\n")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_, rows) = read_report(&dir.path().join("stdin.report.csv"));
    assert_eq!(rows[0]["result"], "created");
    assert!(sb.sources().iter().any(|s| s.name == "piped"));
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_sigterm_and_sighup_let_rows_in_flight_finish_and_write_the_report_with_the_rest_skipped()
 {
    for (signal, code) in [("INT", 130), ("TERM", 143), ("HUP", 129)] {
        let sb = sandbox(|_| {}).await;
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("in.csv"), valid_rows(200)).unwrap();
        let args = ["run", "in.csv", "--rate", "20", "--batch-size", "1"];
        let args = [&args[..], &["--summary-json", "summary.json"]].concat();
        let reach = (sb.base_url(), sb.token());
        let mut child = resumable(dir.path(), (&reach.0, reach.1), &args, false)
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while sb.requests().iter().filter(|r| r.method == "POST").count() < 5 {
            let exited = child.try_wait().unwrap();
            assert!(
                exited.is_none(),
                "SIG{signal}: the run ended first: {exited:?}"
            );
            assert!(
                Instant::now() < deadline,
                "SIG{signal}: no 5 writes within 60 s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        send_signal(&child, signal);
        let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
            .await
            .unwrap();
        assert_eq!(out.status.code(), Some(code), "SIG{signal}");
        let (_, rows) = read_report(&dir.path().join("in.report.csv"));
        assert_eq!(rows.len(), 200);
        let created = rows.iter().filter(|r| r["result"] == "created").count();
        let skipped = rows.iter().filter(|r| r["result"] == "skipped").count();
        assert_eq!(created + skipped, 200, "SIG{signal}");
        assert!(skipped > 100, "SIG{signal}: {skipped} skipped");
        // What the report says was created is exactly what the server holds.
        assert_eq!(sb.sources().len(), 5 + created);
        let summary: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("summary.json")).unwrap())
                .unwrap();
        assert_eq!(summary["exit_code"], code);
        // The summary says how to finish; doing as it says sends the rest.
        let hint = (summary["warnings"].as_array().unwrap().iter())
            .filter_map(|w| w.as_str())
            .find(|w| w.contains("dg-import rerun"))
            .unwrap_or_else(|| panic!("SIG{signal}: no hint in {summary}"))
            .to_owned();
        let report = hint.split('`').nth(1).unwrap().split(' ').nth(2).unwrap();
        assert!(report.ends_with("in.report.csv"), "{hint}");
        // The child ran in `dir`: a relative path there.
        let report = dir.path().join(report).display().to_string();
        let connection = crate::common::reach(&sb, dir.path());
        let (rerun, error) = crate::common::dg_at(&["rerun", &report], &connection).await;
        assert_eq!(rerun, 0, "SIG{signal}: {error:?}");
        assert_eq!(sb.sources().len(), 5 + 200, "SIG{signal}: every row once");
    }
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_that_outlasts_the_grace_period_is_cut_off_and_recorded_as_sent() {
    // Answers take 10 to 30 s: the rows in flight when SIGTERM comes are cut off.
    let sb = sandbox(|c| c.latency = Duration::from_secs(20)).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("in.csv"), valid_rows(3)).unwrap();
    let args = ["run", "in.csv", "--batch-size", "1", "--timeout", "60s"];
    let child = resumable(dir.path(), (&sb.base_url(), sb.token()), &args, false)
        .spawn()
        .unwrap();
    // The listings take latency too; wait for the writes to leave.
    let writes = || sb.requests().iter().filter(|r| r.method == "POST").count();
    crate::common::wait_for("3 writes", 60, || writes() >= 3).await;
    let signalled = Instant::now();
    send_signal(&child, "TERM");
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(143));
    assert!(
        signalled.elapsed() < Duration::from_secs(15),
        "within the grace"
    );
    let (_, rows) = read_report(&dir.path().join("in.report.csv"));
    for row in &rows {
        assert_eq!(row["result"], "failed", "{row:?}");
        assert_eq!(row["attempts"], "1");
        assert_eq!(
            row["http_status"], "",
            "sent without an answer: looked up on rerun"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_file_does_what_the_same_flags_do_with_paths_relative_to_it() {
    let sb = sandbox(|_| {}).await;
    let jobs = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(jobs.path().join("in.csv"), valid_rows(5)).unwrap();
    std::fs::write(jobs.path().join("token"), sb.token()).unwrap();
    std::fs::create_dir(jobs.path().join("out")).unwrap();
    std::fs::write(
        jobs.path().join("nightly.toml"),
        "# the nightly job\n\
         input = \"in.csv\"\n\
         url = \"${DG_JOB_URL}\"\n\
         token-file = \"token\"\n\
         report = \"out/nightly.report.csv\"\n\
         summary-json = \"out/summary.json\"\n\
         if-exists = \"update\"\n\
         batch-size = 2\n\
         quiet = true\n",
    )
    .unwrap();
    let job = jobs.path().join("nightly.toml");
    let run = || {
        dg_import()
            .args(["run", "--config", job.to_str().unwrap()])
            .env("DG_JOB_URL", sb.base_url())
            .current_dir(elsewhere.path())
            .output()
            .unwrap()
    };
    let first = tokio::task::block_in_place(run);
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let report = jobs.path().join("out/nightly.report.csv");
    let (_, rows) = read_report(&report);
    assert!(rows.iter().all(|r| r["result"] == "created"), "{rows:?}");
    // Batches of two: three bulk creates for five rows.
    let bulk = |sb: &dg_import::sandbox::Sandbox| {
        sb.requests()
            .iter()
            .filter(|r| r.path.contains("/sources/bulk/"))
            .count()
    };
    assert_eq!(bulk(&sb), 3);
    // --if-exists update came from the file: the same rows again are unchanged.
    let second = tokio::task::block_in_place(run);
    assert_eq!(second.status.code(), Some(0));
    let (_, rows) = read_report(&report);
    assert!(rows.iter().all(|r| r["result"] == "unchanged"), "{rows:?}");
    assert!(jobs.path().join("out/summary.json").exists());
    // A flag typed on the command line wins over the file.
    let typed = tokio::task::block_in_place(|| {
        dg_import()
            .args([
                "check",
                "--config",
                job.to_str().unwrap(),
                "--if-exists",
                "fail",
            ])
            .args(["--report", "typed.csv"])
            .env("DG_JOB_URL", sb.base_url())
            .current_dir(elsewhere.path())
            .output()
            .unwrap()
    });
    assert_eq!(typed.status.code(), Some(1));
    // A check's report is always a `.check` one, never a run's.
    let (_, rows) = read_report(&elsewhere.path().join("typed.check.csv"));
    assert!(rows.iter().all(|r| r["result"] == "conflict"), "{rows:?}");
}

#[test]
fn a_job_file_holding_a_token_or_an_unset_variable_is_refused_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for (text, expected) in [
        ("input = \"in.csv\"\ntoken = \"s3cr3t\"\n", "token-file"),
        (
            "input = \"in.csv\"\nurl = \"${DG_UNSET_FOR_SURE}\"\n",
            "DG_UNSET_FOR_SURE is not set",
        ),
        (
            "input = \"in.csv\"\nif-exist = \"update\"\n",
            "did you mean if-exists?",
        ),
    ] {
        std::fs::write(dir.path().join("job.toml"), text).unwrap();
        let out = dg_import()
            .args(["run", "--config", "job.toml"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
        assert!(!stderr.contains("s3cr3t"));
    }
}

/// How a run cut short is finished.
#[cfg(unix)]
enum Finish {
    Resume,
    Rerun,
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retirement_cut_short_by_sigterm_is_finished_by_resume_from_the_run_record() {
    retirement_cut_short_then(Finish::Resume).await;
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retirement_cut_short_by_sigterm_is_finished_by_a_rerun_of_its_report() {
    retirement_cut_short_then(Finish::Rerun).await;
}

/// Last night's 40 sources, tonight's file without 5 of them: the run is
/// stopped by SIGTERM before retiring, then finished.
#[cfg(unix)]
async fn retirement_cut_short_then(finish: Finish) {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    // Last night's file, then tonight's: 5 sources gone, 100 new ones.
    let first = valid_rows(40);
    crate::common::import(&sb, &first, &["--rate", "1000"]).await;
    let mut tonight: String = first.lines().take(36).map(|l| format!("{l}\n")).collect();
    for i in 0..100 {
        tonight.push_str(&format!("new-{i:03},NoSql,,,,\n"));
    }
    std::fs::write(dir.path().join("in.csv"), tonight).unwrap();
    let url = sb.base_url();
    let run = |resume: bool| {
        let args = ["run", "in.csv", "--rate", "20", "--batch-size", "1"];
        // 5 of 40 is more than the default guard's 10%.
        let retiring = [
            "--if-exists",
            "skip",
            "--retire-missing",
            "technicalName:source-*",
            "--max-retire",
            "5",
        ];
        resumable(
            dir.path(),
            (&url, sb.token()),
            &[&args[..], &retiring].concat(),
            resume,
        )
    };
    let mut child = run(false).spawn().unwrap();
    let posts = || sb.requests().iter().filter(|r| r.method == "POST").count();
    let before = posts();
    let deadline = Instant::now() + Duration::from_secs(60);
    while posts() < before + 5 {
        let exited = child.try_wait().unwrap();
        assert!(
            exited.is_none(),
            "the run ended before 5 writes: {exited:?}"
        );
        assert!(Instant::now() < deadline, "no 5 writes within 60 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    send_signal(&child, "TERM");
    let status = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert_eq!(status.status.code(), Some(143));
    let obsolete = || {
        sb.sources()
            .iter()
            .filter(|s| s.technical_name.starts_with("source-"))
            .filter(|s| s.status.as_deref() == Some("Obsolete"))
            .count()
    };
    assert_eq!(obsolete(), 0, "nothing is retired after an early stop");
    let record = std::fs::read_to_string(dir.path().join("in.report.csv.run.json")).unwrap();
    assert!(
        record.contains("source-0040"),
        "the set is recorded: {record}"
    );
    // The journal is gone (the report was written): `--resume`, or a
    // `rerun` of the report, finishes the rows and the set.
    let finished = match finish {
        Finish::Resume => tokio::task::block_in_place(|| run(true).output().unwrap()),
        Finish::Rerun => tokio::task::block_in_place(|| {
            let mut cmd = dg_import();
            cmd.args(["rerun", "in.report.csv", "--quiet"])
                .env("DATAGALAXY_TOKEN", sb.token())
                .current_dir(dir.path())
                .output()
                .unwrap()
        }),
    };
    assert_eq!(
        finished.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&finished.stderr)
    );
    assert_eq!(obsolete(), 5, "source-0036..0040");
    let (_, listed) = read_report(&dir.path().join("in.report.retired.csv"));
    assert_eq!(listed.len(), 5);
    assert!(listed.iter().all(|r| r["result"] == "retired"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tag_scope_against_a_listing_without_attributes_stops_before_any_write() {
    let sb = sandbox(|c| {
        c.variants.insert(dg_import::sandbox::Variant::NoAttributes);
    })
    .await;
    let out = crate::common::import(&sb, &valid_rows(3), &["--retire-missing", "tag:GDPR"]).await;
    assert_eq!(out.code, 2, "{:?}", out.error);
    assert!(out.error.unwrap().contains("without attributes"));
    assert!(sb.requests().iter().all(|r| r.method == "GET"));
}

#[test]
fn completions_print_a_script_for_each_shell_that_names_the_commands_and_flags() {
    for (shell, mark) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef dg-import"),
        ("fish", "complete -c dg-import"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = dg_import().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8(out.stdout).unwrap();
        assert!(script.contains(mark), "{shell}: {script:.200}");
        for word in ["rerun", "export", "--if-exists", "--retire-missing"] {
            assert!(script.contains(word), "{shell} lacks {word}");
        }
    }
    let out = dg_import().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// The words bash offers for `words` (the last one being completed), with
/// the script `dg-import completions bash` prints sourced.
fn bash_offers(script: &Path, words: &[&str]) -> Vec<String> {
    let line = words.join(" ");
    let (current, previous) = (words[words.len() - 1], words[words.len() - 2]);
    let program = format!(
        "source {}; COMP_WORDS=({line}); COMP_CWORD={}; \
         _dg__import dg-import '{current}' '{previous}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display(),
        words.len() - 1
    );
    let out = Command::new("bash")
        .args(["-c", &program])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn bash_completes_the_options_and_values_of_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("dg-import.bash");
    let out = dg_import().args(["completions", "bash"]).output().unwrap();
    std::fs::write(&script, out.stdout).unwrap();
    assert_eq!(
        bash_offers(&script, &["dg-import", "run", "--if"]),
        ["--if-exists"]
    );
    assert_eq!(
        bash_offers(&script, &["dg-import", "run", "--if-exists", "''"]),
        ["fail", "skip", "update"]
    );
    assert_eq!(
        bash_offers(&script, &["dg-import", "export", "--sco"]),
        ["--scope"]
    );
    assert!(bash_offers(&script, &["dg-import", "sandbox", "--variant", "no-b"]) == ["no-bulk"]);
}

#[test]
fn every_completion_script_parses_in_its_shell_where_the_shell_is_installed() {
    for (shell, check) in [("fish", "fish"), ("zsh", "zsh")] {
        let out = dg_import().args(["completions", shell]).output().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join(format!("dg-import.{shell}"));
        std::fs::write(&script, out.stdout).unwrap();
        let Ok(parsed) = Command::new(check).arg("-n").arg(&script).output() else {
            eprintln!("{check} is not installed: its script was not parsed");
            continue;
        };
        assert!(parsed.status.success(), "{shell}: {parsed:?}");
        if shell == "fish" {
            let source = format!(
                "source {}; complete -C 'dg-import run --if-exists '",
                script.display()
            );
            let offered = Command::new("fish").args(["-c", &source]).output().unwrap();
            let offered = String::from_utf8_lossy(&offered.stdout).into_owned();
            let values: Vec<&str> = offered
                .lines()
                .map(|l| l.split('\t').next().unwrap())
                .collect();
            assert_eq!(values, ["fail", "skip", "update"], "{offered}");
        }
    }
}

/// What fish, zsh and PowerShell take as a quoted list of values: a value's
/// help must not close or expand that quoting.
#[test]
fn no_help_of_a_possible_value_holds_a_quote_or_a_dollar() {
    use clap::CommandFactory;
    fn walk(cmd: &clap::Command, bad: &mut Vec<String>) {
        for arg in cmd.get_arguments() {
            for value in arg.get_possible_values() {
                let help = value.get_help().map(|h| h.to_string()).unwrap_or_default();
                if help.contains(['"', '\'', '$', '\\']) {
                    bad.push(format!("{} {}: {help}", cmd.get_name(), value.get_name()));
                }
            }
        }
        cmd.get_subcommands().for_each(|sub| walk(sub, bad));
    }
    let mut bad = Vec::new();
    walk(&dg_import::cli::Cli::command(), &mut bad);
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn the_readme_names_every_sandbox_variant() {
    use clap::ValueEnum;
    let readme = std::fs::read_to_string(repo_file("README.md")).unwrap();
    for variant in dg_import::sandbox::Variant::value_variants() {
        let name = variant.to_possible_value().unwrap().get_name().to_owned();
        assert!(
            readme.contains(&format!("`{name}`")),
            "README lacks `{name}`"
        );
    }
}

#[test]
fn the_version_names_its_commit_its_date_and_its_target() {
    for flag in ["--version", "-V"] {
        let out = dg_import().arg(flag).output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        let said = String::from_utf8(out.stdout).unwrap();
        let said = said.trim();
        let rest = said
            .strip_prefix(concat!("dg-import ", env!("CARGO_PKG_VERSION"), " ("))
            .and_then(|r| r.strip_suffix(')'))
            .unwrap_or_else(|| panic!("{said}"));
        let (build, target) = rest.rsplit_once(", ").unwrap();
        assert!(
            target.starts_with("x86_64-") || target.contains('-'),
            "{said}"
        );
        if build != "unknown" {
            let (commit, date) = build.split_once(' ').unwrap();
            assert_eq!(commit.len(), 7, "{said}");
            assert!(commit.chars().all(|c| c.is_ascii_hexdigit()), "{said}");
            assert_eq!(date.len(), 10, "{said}");
            assert_eq!(date.as_bytes()[4], b'-', "{said}");
        }
    }
}

#[test]
fn the_man_page_holds_every_command_with_its_options() {
    let out = dg_import().arg("manpage").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(
        page.starts_with(".ie") || page.contains(".TH dg-import 1"),
        "{}",
        &page[..200]
    );
    for command in [
        "RUN",
        "RERUN",
        "CHECK",
        "SANDBOX",
        "EXPORT",
        "DOCTOR",
        "COMPLETIONS",
    ] {
        assert!(
            page.contains(&format!(".SH \"DG-IMPORT {command}\"")),
            "{command}"
        );
    }
    for option in ["\\-\\-if\\-exists", "\\-\\-write\\-probe", "\\-\\-mirror"] {
        assert!(page.contains(option), "{option}");
    }
}
