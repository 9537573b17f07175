//! Excel in, Excel out: a workbook input gets a workbook report, which the
//! user fixes in Excel and reruns as it is.

use std::io::Read;
use std::path::Path;
use std::process::Output;

use dg_import::sandbox::Sandbox;
use rust_xlsxwriter::Workbook;

use crate::common::{resumable, sandbox, sheet_rows};

/// Writes one sheet of text cells, as Excel would save it.
fn write_sheet(path: &Path, rows: &[Vec<String>]) {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, value) in row.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, value).unwrap();
        }
    }
    book.save(path).unwrap();
}

/// A part of the workbook's zip, as text.
fn part(path: &Path, name: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut text = String::new();
    zip.by_name(name)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// The binary, run in `dir` against `sb` as a user runs it.
async fn dg_in(dir: &Path, sb: &Sandbox, args: &[&str]) -> Output {
    let mut cmd = crate::common::binary();
    cmd.args(args)
        .arg("--quiet")
        .current_dir(dir)
        .env("DATAGALAXY_URL", sb.base_url())
        .env("DATAGALAXY_TOKEN", sb.token())
        .env_remove("RUST_LOG");
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

fn strings(rows: &[&[&str]]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_xlsx_with_two_bad_owners_gets_a_workbook_report_that_reruns_once_fixed_in_excel() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    write_sheet(
        &dir.path().join("Sources.xlsx"),
        &strings(&[
            &["Name", "Type", "Owners", "Summary"],
            &[
                "Good one",
                "NoSql",
                "john.doe@example.com",
                "=not a formula",
            ],
            &["Bad one", "NoSql", "jon.doe@example.com", ""],
            &["Good two", "Relational", "", ""],
            &["Bad two", "Relational", "nobody@example.com", "'quoted"],
        ]),
    );
    let out = dg_in(dir.path(), &sb, &["run", "Sources.xlsx"]).await;
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = dir.path().join("Sources.report.xlsx");
    assert!(
        report.exists(),
        "the default report of a workbook is a workbook"
    );
    assert!(!dir.path().join("Sources.report.csv").exists());
    let rows = sheet_rows(&report);
    assert_eq!(
        rows[0],
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
            "Type",
            "Owners",
            "Summary"
        ]
    );
    let results: Vec<(&str, &str)> = rows[1..]
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str()))
        .collect();
    assert_eq!(
        results,
        [
            ("2", "created"),
            ("3", "invalid"),
            ("4", "created"),
            ("5", "invalid")
        ]
    );
    assert_eq!(
        rows[2][6],
        "Owners: unknown user 'jon.doe@example.com' — did you mean john.doe@example.com?"
    );
    assert_eq!(
        rows[1][11], "=not a formula",
        "text as it was, no guard added"
    );
    assert_eq!(rows[4][11], "'quoted");
    let sheet = part(&report, "xl/worksheets/sheet1.xml");
    assert!(
        sheet.contains(r#"ySplit="1""#),
        "the header is frozen: {sheet:.400}"
    );
    assert!(sheet.contains("<autoFilter"), "an autofilter");
    let styles = part(&report, "xl/styles.xml");
    for fill in ["FFC6EFCE", "FFFFC7CE"] {
        assert!(
            styles.contains(fill),
            "{fill}: the result cells are coloured"
        );
    }

    // The user fixes the two owner cells in Excel and saves.
    let mut fixed = rows.clone();
    fixed[2][10] = "john.doe@example.com".into();
    fixed[4][10] = "JANE.DOE@example.com".into();
    write_sheet(&report, &fixed);
    let out = dg_in(dir.path(), &sb, &["rerun", "Sources.report.xlsx"]).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = sheet_rows(&report);
    let results: Vec<&str> = rows[1..].iter().map(|r| r[1].as_str()).collect();
    assert_eq!(results, ["created"; 4]);
    assert_eq!(rows[4][11], "'quoted", "cells read back exactly");
    let bad_two = sb
        .sources()
        .into_iter()
        .find(|s| s.name == "Bad two")
        .unwrap();
    assert_eq!(bad_two.owners, ["jane.doe@example.com"]);
    assert_eq!(bad_two.summary.as_deref(), Some("'quoted"));
    assert_eq!(
        sb.sources().iter().filter(|s| s.name == "Good one").count(),
        1
    );
    let prev = dir.path().join("Sources.report.prev.xlsx");
    assert_eq!(
        sheet_rows(&prev)[2][10],
        "john.doe@example.com",
        "the previous one is kept"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_format_follows_its_path_and_check_of_a_workbook_gives_a_check_workbook() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("in.csv"), "name,type\na,NoSql\n").unwrap();
    let out = dg_in(dir.path(), &sb, &["run", "in.csv", "--report", "out.xlsx"]).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(sheet_rows(&dir.path().join("out.xlsx"))[1][1], "created");
    write_sheet(
        &dir.path().join("Book.xlsx"),
        &strings(&[&["name", "type"], &["b", "NoSql"]]),
    );
    let out = dg_in(dir.path(), &sb, &["check", "Book.xlsx"]).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        sheet_rows(&dir.path().join("Book.check.xlsx"))[1][1],
        "would-create"
    );
    let out = dg_in(
        dir.path(),
        &sb,
        &["run", "Book.xlsx", "--report", "book.csv"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0));
    let text = std::fs::read_to_string(dir.path().join("book.csv")).unwrap();
    assert!(text.contains(",created,"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workbook_import_killed_mid_run_is_finished_by_resume_into_its_workbook_report() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let mut rows = strings(&[&["name", "type"]]);
    rows.extend((1..=300).map(|i| vec![format!("wb-{i:03}"), "NoSql".to_owned()]));
    write_sheet(&dir.path().join("Big.xlsx"), &rows);
    let url = sb.base_url();
    let run = |resume: bool| {
        let args = ["run", "Big.xlsx", "--rate", "100", "--batch-size", "1"];
        resumable(dir.path(), (&url, sb.token()), &args, resume)
    };
    let mut child = run(false).spawn().unwrap();
    let writes = || sb.requests().iter().filter(|r| r.method == "POST").count();
    crate::common::wait_for("20 writes", 60, || writes() >= 20).await;
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        dir.path().join("Big.report.xlsx.journal").exists(),
        "a journal was left"
    );
    let mut last = run(true);
    let status = tokio::task::spawn_blocking(move || last.status().unwrap())
        .await
        .unwrap();
    assert_eq!(status.code(), Some(0));
    let report = sheet_rows(&dir.path().join("Big.report.xlsx"));
    assert_eq!(report.len(), 301);
    assert!(
        report[1..].iter().all(|r| r[1] == "created"),
        "{:?}",
        &report[1..3]
    );
    let held = sb.sources();
    for i in 1..=300 {
        let name = format!("wb-{i:03}");
        assert_eq!(held.iter().filter(|s| s.name == name).count(), 1, "{name}");
    }
    assert!(!dir.path().join("Big.report.xlsx.journal").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_retired_list_of_a_workbook_report_is_a_workbook() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    // The seed's Customer 360 is tagged CRM; the file does not name it.
    write_sheet(
        &dir.path().join("Kept.xlsx"),
        &strings(&[&["name", "type", "tags"], &["New crm", "NoSql", "CRM"]]),
    );
    let out = dg_in(
        dir.path(),
        &sb,
        &["run", "Kept.xlsx", "--retire-missing", "tag:CRM"],
    )
    .await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed = sheet_rows(&dir.path().join("Kept.report.retired.xlsx"));
    assert_eq!(
        listed[0],
        ["technicalName", "name", "source_id", "result", "error"]
    );
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!(
        (listed[1][0].as_str(), listed[1][3].as_str()),
        ("Customer 360", "retired")
    );
    let held = sb
        .sources()
        .into_iter()
        .find(|s| s.name == "Customer 360")
        .unwrap();
    assert_eq!(held.status.as_deref(), Some("Obsolete"));
}
