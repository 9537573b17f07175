//! What a new user meets first: outputs checked before anything is written
//! (special files refused, links written through), resumes and reruns that
//! only continue what they can prove, tokens and URLs checked before they
//! are sent, and summaries that count every error.

use std::collections::BTreeSet;
use std::path::Path;

use crate::common::{dg, dg_at, reach, sandbox, valid_rows};

/// The names in `dir`, to see that a refusal left nothing behind.
fn names_in(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "mkfifo");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_output_that_is_a_folder_a_device_or_a_pipe_is_refused_before_anything_is_written() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    std::fs::write(&input, valid_rows(3)).unwrap();
    let connection = reach(&sb, dir.path());
    std::fs::create_dir(dir.path().join("reports")).unwrap();
    mkfifo(&dir.path().join("pipe.json"));
    std::os::unix::fs::symlink("reports", dir.path().join("to-folder.csv")).unwrap();
    let input = input.to_str().unwrap();
    let at = |name: &str| dir.path().join(name).display().to_string();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec!["--report".into(), at("reports")], "is a folder"),
        (vec!["--report".into(), at("reports/")], "is a folder"),
        (vec!["--report".into(), "/dev/full".into()], "is a device"),
        (vec!["--report".into(), "/dev/null".into()], "is a device"),
        (vec!["--report".into(), at("to-folder.csv")], "is a folder"),
        (
            vec!["--report".into(), at("nowhere/r.csv")],
            "no such folder",
        ),
        (vec!["--report".into(), at("r.json")], "not .json"),
        (
            vec!["--summary-json".into(), "/dev/full".into()],
            "is a device",
        ),
        (
            vec!["--summary-json".into(), at("pipe.json")],
            "named pipe (FIFO)",
        ),
        (
            vec!["--summary-json".into(), at("reports")],
            "or - for standard output",
        ),
    ];
    let before = names_in(dir.path());
    for (flags, said) in cases {
        let mut args = vec!["run", input];
        args.extend(flags.iter().map(String::as_str));
        let (code, error) = dg_at(&args, &connection).await;
        let error = error.unwrap_or_default();
        assert_eq!(code, 2, "{flags:?}: {error}");
        assert!(
            error.contains(said),
            "{flags:?}: {said:?} missing from: {error}"
        );
        assert!(
            error.contains(&flags[1]),
            "{flags:?}: the path is named: {error}"
        );
        assert_eq!(
            names_in(dir.path()),
            before,
            "{flags:?}: nothing left behind"
        );
        assert!(
            names_in(&dir.path().join("reports")).is_empty(),
            "{flags:?}"
        );
    }
    assert!(sb.requests().is_empty(), "nothing was sent");
    assert!(!Path::new("/dev/null.journal").exists());
    use std::os::unix::fs::FileTypeExt;
    assert!(
        std::fs::metadata("/dev/full")
            .unwrap()
            .file_type()
            .is_char_device()
    );
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_companion_of_the_report_that_is_a_folder_stops_the_run_before_its_first_request() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    std::fs::write(&input, valid_rows(3)).unwrap();
    let connection = reach(&sb, dir.path());
    let report = dir.path().join("r.csv");
    for companion in [
        "r.csv.journal",
        "r.csv.run.json",
        "r.csv.lock",
        "r.prev.csv",
    ] {
        let path = dir.path().join(companion);
        std::fs::create_dir(&path).unwrap();
        let args = [
            "run",
            input.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
        ];
        let (code, error) = dg_at(&args, &connection).await;
        let error = error.unwrap_or_default();
        assert_eq!(code, 2, "{companion}: {error}");
        assert!(
            error.contains(companion) && error.contains("is a folder"),
            "{error}"
        );
        assert!(!report.exists(), "{companion}");
        std::fs::remove_dir(&path).unwrap();
    }
    assert!(sb.requests().is_empty(), "nothing was sent");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_are_written_through_and_stay_links() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    std::fs::write(&input, valid_rows(3)).unwrap();
    let connection = reach(&sb, dir.path());
    let (summary, report) = (dir.path().join("s.json"), dir.path().join("r.csv"));
    let real_summary = elsewhere.path().join("summary.json");
    std::fs::write(&real_summary, "old").unwrap();
    std::os::unix::fs::symlink(&real_summary, &summary).unwrap();
    // A dangling link: the file it names is made.
    let real_report = elsewhere.path().join("report.csv");
    std::os::unix::fs::symlink(&real_report, &report).unwrap();
    let args = [
        "run",
        input.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
        "--summary-json",
        summary.to_str().unwrap(),
    ];
    let (code, error) = dg_at(&args, &connection).await;
    assert_eq!(code, 0, "{error:?}");
    for link in [&summary, &report] {
        let meta = std::fs::symlink_metadata(link).unwrap();
        assert!(
            meta.file_type().is_symlink(),
            "{} is still a link",
            link.display()
        );
    }
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&real_summary).unwrap()).unwrap();
    assert_eq!(written["results"]["created"], 3);
    assert!(
        std::fs::read_to_string(&real_report)
            .unwrap()
            .contains("created")
    );
    assert!(
        dir.path().join("r.csv.run.json").exists(),
        "companions beside the link"
    );
    assert_eq!(
        names_in(elsewhere.path()),
        BTreeSet::from(["report.csv".to_owned(), "summary.json".to_owned()]),
        "no scratch file left where the link points"
    );
}

#[cfg(unix)]
#[test]
fn a_summary_to_standard_output_or_the_null_device_is_written_there() {
    let dir = tempfile::tempdir().unwrap();
    let out = crate::common::binary()
        .args(["run", "--sandbox", "--quiet", "--summary-json", "-"])
        .arg(crate::binary::repo_file("samples/sources.csv"))
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "the sample has bad rows");
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["command"], "run");
    assert!(!dir.path().join("-").exists());
    let dir = tempfile::tempdir().unwrap();
    let check = crate::common::binary()
        .args([
            "check",
            "--sandbox",
            "--quiet",
            "--summary-json",
            "/dev/null",
        ])
        .args(["--report", "/dev/null"])
        .arg(crate::binary::repo_file("samples/sources.csv"))
        .current_dir(dir.path())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&check.stderr);
    assert_eq!(check.status.code(), Some(1), "{said}");
    assert!(said.contains("report: /dev/null"), "{said}");
    assert_eq!(names_in(dir.path()), BTreeSet::new(), "no file anywhere");
    let meta = std::fs::metadata("/dev/null").unwrap();
    use std::os::unix::fs::FileTypeExt;
    assert!(
        meta.file_type().is_char_device(),
        "/dev/null is still the device"
    );
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_checks_its_outputs_before_its_first_request() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let connection = reach(&sb, dir.path());
    let out = dir.path().join("out.csv");
    let out = out.to_str().unwrap();
    let (code, error) = dg_at(
        &["export", "-o", out, "--summary-json", "/nonexistent/x.json"],
        &connection,
    )
    .await;
    assert_eq!(code, 2, "{error:?}");
    assert!(
        error
            .unwrap()
            .contains("/nonexistent/x.json: cannot write there")
    );
    assert!(!Path::new(out).exists());
    let (code, error) = dg_at(&["export", "-o", "/dev/full"], &connection).await;
    assert_eq!(code, 2);
    assert!(error.unwrap().contains("-o /dev/full: is a device"));
    let (code, error) = dg_at(&["export", "--summary-json", "-"], &connection).await;
    assert_eq!(code, 2);
    assert!(error.unwrap().contains("both go to standard output"));
    assert!(sb.requests().is_empty(), "nothing was sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_of_a_changed_file_is_refused_whether_or_not_a_journal_is_left() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    std::fs::write(&input, valid_rows(3)).unwrap();
    let connection = reach(&sb, dir.path());
    let report = dir.path().join("in.report.csv");
    let (input_s, report_s) = (input.to_str().unwrap(), report.to_str().unwrap());
    let run = ["run", input_s, "--report", report_s];
    assert_eq!(dg_at(&run, &connection).await.0, 0);
    let record_path = dir.path().join("in.report.csv.run.json");
    std::fs::write(&input, valid_rows(5)).unwrap();
    let sent = sb.requests().len();
    let resume = ["run", input_s, "--report", report_s, "--resume"];
    // Finished, then a killed run whose journal was lost: its record has no exit code.
    for finished in [true, false] {
        if !finished {
            let mut record: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&record_path).unwrap()).unwrap();
            record.as_object_mut().unwrap().remove("exit_code");
            std::fs::write(&record_path, record.to_string()).unwrap();
        }
        let (code, error) = dg_at(&resume, &connection).await;
        let error = error.unwrap_or_default();
        assert_eq!(code, 2, "finished {finished}: {error}");
        assert!(
            error.contains("cannot resume") && error.contains("in.csv"),
            "{error}"
        );
        assert!(
            error.contains("without --resume"),
            "says what to do: {error}"
        );
    }
    assert_eq!(sb.requests().len(), sent, "nothing was sent");
    let report_text = std::fs::read_to_string(&report).unwrap();
    assert_eq!(
        report_text.matches(",created,").count(),
        3,
        "the report is kept"
    );
    let (code, error) = dg_at(&["run", "-", "--resume"], &connection).await;
    assert_eq!(code, 2);
    assert!(
        error
            .unwrap()
            .contains("--resume cannot read standard input")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rerun_against_another_server_is_refused_unless_it_sends_everything_again() {
    let first = sandbox(|_| {}).await;
    let other = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    let mut rows = valid_rows(3);
    rows.push_str("bad,Relational,nobody@example.com,,,x\n");
    std::fs::write(&input, rows).unwrap();
    let report = dir.path().join("in.report.csv");
    let (input_s, report_s) = (input.to_str().unwrap(), report.to_str().unwrap());
    let run = ["run", input_s, "--report", report_s];
    assert_eq!(dg_at(&run, &reach(&first, dir.path())).await.0, 1);
    let there = reach(&other, dir.path());
    for command in [
        vec!["rerun", report_s],
        vec!["run", input_s, "--report", report_s, "--resume"],
    ] {
        let (code, error) = dg_at(&command, &there).await;
        let error = error.unwrap_or_default();
        assert_eq!(code, 2, "{command:?}: {error}");
        assert!(
            error.contains(&other.base_url()),
            "names this server: {error}"
        );
        assert!(
            error.contains(&first.base_url()),
            "names the record's: {error}"
        );
        assert!(error.contains("--other-target"), "{error}");
    }
    let (code, error) = dg_at(
        &["rerun", report_s, "--workspace", "Nope"],
        &reach(&first, dir.path()),
    )
    .await;
    assert_eq!(code, 2);
    assert!(
        error
            .unwrap()
            .contains("workspace 'Nope', but the run record names")
    );
    assert!(other.requests().is_empty(), "nothing was sent there");
    let (code, _) = dg_at(&["rerun", report_s, "--other-target"], &there).await;
    assert_eq!(code, 1, "the bad row is still bad");
    let created: Vec<String> = other.sources().into_iter().map(|s| s.name).collect();
    for name in ["source-0001", "source-0002", "source-0003"] {
        assert!(
            created.iter().any(|n| n == name),
            "{name} made there too: {created:?}"
        );
    }
}

/// An .xlsx whose first sheet is one header and one row, plus `extra`.
fn workbook(path: &Path, extra: impl FnOnce(&mut rust_xlsxwriter::Worksheet)) {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (col, (head, cell)) in [("name", "Lake"), ("type", "NoSql")].iter().enumerate() {
        sheet.write_string(0, col as u16, *head).unwrap();
        sheet.write_string(1, col as u16, *cell).unwrap();
    }
    extra(sheet);
    book.save(path).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workbook_that_inflates_past_the_bound_is_refused_naming_the_part() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let connection = reach(&sb, dir.path());
    // 4 MiB of one repeated text: a few KiB on disk.
    let big = dir.path().join("big.xlsx");
    workbook(&big, |sheet| {
        sheet.write_string(0, 2, "summary").unwrap();
        for row in 2..300u32 {
            let text = format!("{row}{}", "x".repeat(14_000));
            sheet.write_string(row, 2, text).unwrap();
        }
    });
    assert!(std::fs::metadata(&big).unwrap().len() < 256 * 1024);
    let big = big.to_str().unwrap();
    let report = dir.path().join("r.csv");
    let mut connection = connection;
    connection.extend(["--report".to_owned(), report.display().to_string()]);
    let (code, error) = dg_at(&["check", big, "--max-part-mb", "2"], &connection).await;
    let error = error.unwrap_or_default();
    assert_eq!(code, 2, "{error}");
    assert!(error.contains("big.xlsx: its part 'xl/"), "{error}");
    assert!(
        error.contains("more than 2 MiB") && error.contains("--max-part-mb"),
        "{error}"
    );
    // A stray cell at the sheet's far corner spans 17 billion cells.
    let stray = dir.path().join("stray.xlsx");
    workbook(&stray, |sheet| {
        sheet.write_string(1_048_575, 16_383, "stray").unwrap();
    });
    let (code, error) = dg_at(&["check", stray.to_str().unwrap()], &connection).await;
    let error = error.unwrap_or_default();
    assert_eq!(code, 2, "{error}");
    assert!(
        error.contains("sheet 'Sheet1' spans A1:XFD1048576"),
        "{error}"
    );
    // Rows and cells repeated by attribute: a few bytes, a billion cells laid out.
    let repeated = dir.path().join("repeated.ods");
    let cell = |v: &str| {
        format!(
            r#"<table:table-cell office:value-type="string"><text:p>{v}</text:p></table:table-cell>"#
        )
    };
    let rows = format!(
        r#"<table:table-row>{}{}</table:table-row><table:table-row table:number-rows-repeated="1000000"><table:table-cell table:number-columns-repeated="16000"/>{}</table:table-row>"#,
        cell("name"),
        cell("type"),
        cell("x")
    );
    crate::spreadsheets::write_ods_rows(&repeated, &rows);
    let (code, error) = dg_at(&["check", repeated.to_str().unwrap()], &connection).await;
    let error = error.unwrap_or_default();
    assert_eq!(code, 2, "{error}");
    assert!(
        error.contains("sheet 'Sources' spans 16001016001 cells"),
        "{error}"
    );
    assert!(sb.requests().is_empty(), "refused before the first request");
    // Within its bound, the same big workbook reads (its rows without a name are invalid).
    let (code, error) = dg_at(&["check", big], &connection).await;
    assert_eq!((code, error), (1, None));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_technical_name_differing_only_in_case_or_unicode_form_is_warned_and_strict_refuses_it() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let connection = reach(&sb, dir.path());
    let first = dir.path().join("first.csv");
    std::fs::write(
        &first,
        "name,type,technicalName\nOne,Relational,src_0001\nCafé,Relational,café\n",
    )
    .unwrap();
    let report = dir.path().join("first.report.csv");
    let args = [
        "run",
        first.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ];
    assert_eq!(dg_at(&args, &connection).await.0, 0);
    // Typed again elsewhere: upper case, and the é decomposed (NFD).
    let again = dir.path().join("again.csv");
    std::fs::write(
        &again,
        "name,type,technicalName\nOne,Relational,SRC_0001\nCafé,Relational,cafe\u{301}\n\
         Two,Relational,New_1\nTwo again,Relational,new_1\n",
    )
    .unwrap();
    let check = dir.path().join("again.check.csv");
    let args = [
        "check",
        again.to_str().unwrap(),
        "--report",
        check.to_str().unwrap(),
    ];
    let (code, error) = dg_at(&args, &connection).await;
    assert_eq!((code, error), (0, None), "warnings, not errors");
    let (_, rows) = crate::common::read_report(&check);
    let said = |row: usize| rows[row]["error"].clone();
    assert_eq!(rows[0]["result"], "would-create");
    assert!(
        said(0).contains("'SRC_0001' differs from the existing source 'src_0001'"),
        "{}",
        said(0)
    );
    assert!(
        said(1).contains("the existing source 'café'"),
        "{}",
        said(1)
    );
    assert!(
        said(3).contains("differs from the technical name of row 4"),
        "{}",
        said(3)
    );
    assert!(said(2).is_empty(), "{}", said(2));
    let mut strict = args.to_vec();
    strict.push("--strict-names");
    let summary = dir.path().join("s.json");
    strict.extend(["--summary-json", summary.to_str().unwrap()]);
    assert_eq!(dg_at(&strict, &connection).await.0, 1);
    let (_, rows) = crate::common::read_report(&dir.path().join("again.check.csv"));
    let results: Vec<&str> = rows.iter().map(|r| r["result"].as_str()).collect();
    assert_eq!(results, ["invalid", "invalid", "would-create", "invalid"]);
    // A check writes its summary beside the run's, never over it.
    let summary = dir.path().join("s.check.json");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    let group = &summary["errors"][0];
    assert_eq!(group["count"], 3);
    assert!(
        group["kind"].as_str().unwrap().contains("only in case"),
        "{group}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_file_from_notepad_works_and_a_damaged_token_is_refused_before_it_is_sent() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    std::fs::write(&input, valid_rows(2)).unwrap();
    let token = dir.path().join("token.txt");
    let token_s = token.to_str().unwrap();
    let args = |report: &str| {
        let report = dir.path().join(report).display().to_string();
        let url = sb.base_url();
        [
            "run",
            input.to_str().unwrap(),
            "--quiet",
            "--url",
            &url,
            "--token-file",
            token_s,
            "--report",
            &report,
        ]
        .map(String::from)
        .to_vec()
    };
    let run = |args: Vec<String>| async move {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        dg(&args).await
    };
    // What Windows Notepad writes: a byte-order mark and a line end.
    std::fs::write(&token, format!("\u{FEFF}{}\r\n", sb.token())).unwrap();
    assert_eq!(run(args("a.csv")).await, (0, None));
    let sent = sb.requests().len();
    let secret = sb.token().to_owned();
    for (damaged, said) in [
        (
            format!("{}\n{}", &secret[..3], &secret[3..]),
            "a line break at character 4",
        ),
        (
            format!("{} {}", &secret[..3], &secret[3..]),
            "a space at character 4",
        ),
        (format!("{}\u{7}", secret), "a control character (U+0007)"),
        (format!("{}é", secret), "a non-ASCII character (U+00E9)"),
        ("\u{FEFF} \n".to_owned(), "is empty"),
    ] {
        std::fs::write(&token, &damaged).unwrap();
        let (code, error) = run(args("b.csv")).await;
        let error = error.unwrap_or_default();
        assert_eq!(code, 2, "{damaged:?}: {error}");
        assert!(
            error.contains(said) && error.contains(token_s),
            "{said:?}: {error}"
        );
        assert!(!error.contains(&secret[3..]), "never the token: {error}");
    }
    assert_eq!(
        sb.requests().len(),
        sent,
        "nothing was sent with a damaged token"
    );
    assert!(!dir.path().join("b.csv").exists());
}

#[test]
fn a_url_with_a_user_and_password_is_refused_without_printing_them() {
    for (flag, env) in [(true, false), (false, true)] {
        let mut cmd = crate::common::binary();
        cmd.args(["check", "--quiet"])
            .arg(crate::binary::repo_file("samples/sources.csv"));
        let url = "https://ann:s3cr3t@acme.example.com/v2";
        if flag {
            cmd.args(["--url", url]);
        }
        if env {
            cmd.env("DATAGALAXY_URL", url);
        }
        let out = cmd.env("DATAGALAXY_TOKEN", "tok").output().unwrap();
        let said = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{said}");
        assert!(said.contains("user name or password"), "{said}");
        assert!(said.contains("use https://acme.example.com/v2"), "{said}");
        assert!(!said.contains("s3cr3t") && !said.contains("ann"), "{said}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_summary_counts_every_error_of_every_row() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let connection = reach(&sb, dir.path());
    let input = dir.path().join("in.csv");
    let mut csv = String::from("name,type,status,owners\n");
    for i in 1..=4 {
        csv.push_str(&format!("s{i},Graph,Valide,nobody{i}@example.com\n"));
    }
    csv.push_str("ok,Relational,Validated,\n");
    std::fs::write(&input, csv).unwrap();
    let summary = dir.path().join("s.json");
    let report = dir.path().join("r.csv");
    let args = [
        "run",
        input.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
        "--summary-json",
        summary.to_str().unwrap(),
    ];
    assert_eq!(dg_at(&args, &connection).await.0, 1);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    assert_eq!(summary["rows"], 5);
    let groups: Vec<(String, u64)> = (summary["errors"].as_array().unwrap().iter())
        .map(|g| {
            (
                g["kind"].as_str().unwrap().to_owned(),
                g["count"].as_u64().unwrap(),
            )
        })
        .collect();
    for kind in [
        "type: unknown source type",
        "status: unknown status",
        "owners: unknown user",
    ] {
        assert!(groups.contains(&(kind.to_owned(), 4)), "{kind}: {groups:?}");
    }
    assert_eq!(
        summary["errors"][0]["first_rows"],
        serde_json::json!([2, 3, 4, 5])
    );
}

#[test]
fn json_logs_keep_every_line_of_stderr_json_the_summary_and_errors_included() {
    let dir = tempfile::tempdir().unwrap();
    let out = crate::common::binary()
        .args(["--log-format", "json", "run", "--sandbox", "--quiet"])
        .arg(crate::binary::repo_file("samples/sources.csv"))
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stderr)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let summary = lines.iter().find(|l| l["fields"]["summary"].is_object());
    let summary = summary.expect("the summary is a JSON line");
    assert_eq!(summary["fields"]["summary"]["rows"], 40);
    assert!(
        summary["fields"]["message"]
            .as_str()
            .unwrap()
            .starts_with("40 rows:")
    );
    let failed = crate::common::binary()
        .args(["--log-format", "json", "check", "--sandbox", "nowhere.csv"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(failed.status.code(), Some(2));
    let last = String::from_utf8_lossy(&failed.stderr);
    let last: serde_json::Value = serde_json::from_str(last.lines().last().unwrap()).unwrap();
    assert_eq!(last["level"], "ERROR");
    assert!(
        last["fields"]["message"]
            .as_str()
            .unwrap()
            .contains("nowhere.csv")
    );
}

#[test]
fn the_exit_codes_are_in_help_and_in_the_man_page() {
    for args in [vec!["--help"], vec!["run", "--help"], vec!["manpage"]] {
        let out = crate::common::binary().args(&args).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        for code in ["0 ", "1 ", "2 ", "3 ", "4 ", "129", "130", "143"] {
            assert!(text.contains(code), "{args:?}: exit code {code} missing");
        }
        assert!(text.contains("before any write"), "{args:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_map_naming_a_column_the_file_lacks_and_a_job_value_clap_refuses_are_said_clearly() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let connection = reach(&sb, dir.path());
    let input = dir.path().join("in.csv");
    std::fs::write(
        &input,
        "name,type,Owner email\nA,Relational,john.doe@example.com\n",
    )
    .unwrap();
    let input = input.to_str().unwrap();
    let (code, error) = dg_at(&["check", input, "--map", "Owner mail=owners"], &connection).await;
    assert_eq!(code, 2);
    assert!(
        error
            .unwrap()
            .contains("no column 'Owner mail' — did you mean 'Owner email'?")
    );
    let job = dir.path().join("job.toml");
    std::fs::write(&job, "rate = 2.5\n").unwrap();
    let (code, error) = dg_at(
        &["check", input, "--config", job.to_str().unwrap()],
        &connection,
    )
    .await;
    assert_eq!(code, 2);
    let error = error.unwrap();
    assert!(
        error.contains("job.toml: rate = 2.5: invalid value"),
        "{error}"
    );
    // A job file's url does not make --sandbox unusable: what is typed wins.
    std::fs::write(&job, "url = \"https://acme.example.com/v2\"\n").unwrap();
    let report = dir.path().join("r.csv");
    let (code, error) = dg(&[
        "check",
        input,
        "--config",
        job.to_str().unwrap(),
        "--sandbox",
        "--quiet",
        "--report",
        report.to_str().unwrap(),
    ])
    .await;
    assert_eq!((code, error), (0, None));
    assert!(sb.requests().is_empty());
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_input_that_is_a_pipe_or_a_folder_is_refused_with_the_way_to_pipe_it() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let connection = reach(&sb, dir.path());
    let fifo = dir.path().join("in.csv");
    mkfifo(&fifo);
    for (input, said) in [
        (fifo.to_str().unwrap(), "pipe it to standard input"),
        (dir.path().to_str().unwrap(), "is a folder"),
    ] {
        let args = ["run", input];
        let run = dg_at(&args, &connection);
        let (code, error) = tokio::time::timeout(std::time::Duration::from_secs(30), run)
            .await
            .expect("refused at once, never waiting on the pipe");
        assert_eq!(code, 2);
        assert!(error.unwrap_or_default().contains(said), "{input}");
    }
    assert!(sb.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_with_a_byte_order_mark_gets_a_retired_list_with_one() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let connection = reach(&sb, dir.path());
    let input = dir.path().join("in.csv");
    std::fs::write(&input, valid_rows(3)).unwrap();
    let report = dir.path().join("r.csv");
    let (input_s, report_s) = (input.to_str().unwrap(), report.to_str().unwrap());
    assert_eq!(
        dg_at(&["run", input_s, "--report", report_s], &connection)
            .await
            .0,
        0
    );
    // What Excel saves: a BOM, and one row fewer.
    let fewer: String = valid_rows(3)
        .lines()
        .take(3)
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&input, format!("\u{FEFF}{fewer}")).unwrap();
    let args = [
        "run",
        input_s,
        "--report",
        report_s,
        "--if-exists",
        "update",
        "--retire-missing",
        "technicalName:source-*",
        "--max-retire",
        "1",
    ];
    let (code, error) = dg_at(&args, &connection).await;
    assert_eq!((code, error), (0, None));
    let report = std::fs::read(&report).unwrap();
    let retired = std::fs::read(dir.path().join("r.retired.csv")).unwrap();
    assert!(
        report.starts_with(b"\xEF\xBB\xBF"),
        "the report follows the input"
    );
    assert!(
        retired.starts_with(b"\xEF\xBB\xBF"),
        "and so does its retired list"
    );
    assert!(String::from_utf8_lossy(&retired).contains("source-0003"));
}
