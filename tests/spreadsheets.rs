//! Spreadsheets as people really have them: each file of `tests/fixtures`
//! (and the binary ones the tests generate) imports into the sandbox with the
//! right rows and the right per-row errors.

use std::io::Write;
use std::path::{Path, PathBuf};

use dg_import::sandbox::{Sandbox, StoredSource};
use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};

use crate::common::{Imported, dg, import_file, sandbox};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Imports a file; the report is `in.report.csv` in a new folder.
async fn import_path(sb: &Sandbox, path: &Path, extra: &[&str]) -> Imported {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("token"), sb.token()).unwrap();
    import_file(sb, path, dir, extra).await
}

fn source(sb: &Sandbox, name: &str) -> StoredSource {
    sb.sources()
        .into_iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no source {name:?}"))
}

fn report_bytes(out: &Imported) -> Vec<u8> {
    std::fs::read(out.dir.path().join("in.report.csv")).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_excel_for_windows_file_imports_with_its_encoding_named() {
    let sb = sandbox(|_| {}).await;
    let out = import_path(
        &sb,
        &fixture("excel-windows-1252.csv"),
        &["--encoding", "windows-1252"],
    )
    .await;
    assert_eq!(out.code, 0, "{:?}", out.report);
    let cafe = source(&sb, "Café crème");
    assert_eq!(
        cafe.tags,
        ["GDPR", "Finance"],
        "`,` separates lists when the file's delimiter is `;`"
    );
    assert_eq!(cafe.summary.as_deref(), Some("Données clients"));
    assert_eq!(source(&sb, "Entrepôt").owners, ["jane.doe@example.com"]);
    let bytes = report_bytes(&out);
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBFrow;result;"),
        "a `;` report, UTF-8 with a BOM for Excel"
    );
    assert!(String::from_utf8(bytes).unwrap().contains("Café crème"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_windows_1252_file_saved_by_a_spreadsheet_imports_with_its_accents_without_encoding() {
    let sb = sandbox(|_| {}).await;
    let out = import_path(&sb, &fixture("excel-windows-1252.csv"), &[]).await;
    assert_eq!(out.code, 0, "{:?}", out.report);
    assert_eq!(
        source(&sb, "Café crème").summary.as_deref(),
        Some("Données clients")
    );
    assert_eq!(source(&sb, "Entrepôt").owners, ["jane.doe@example.com"]);
    assert_eq!(
        out.summary["encoding"],
        serde_json::json!({"name": "windows-1252", "detected": true}),
        "the summary says what was assumed"
    );
    let record: serde_json::Value = serde_json::from_slice(
        &std::fs::read(out.dir.path().join("in.report.csv.run.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        record["input_options"]["encoding"], "windows-1252",
        "a resume reads the file the same way"
    );
    assert!(sb.sources().iter().all(|s| !s.name.contains('\u{FFFD}')));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stray_byte_in_a_utf8_file_flags_its_row_and_never_re_decodes_the_others() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stray.csv");
    std::fs::write(
        &path,
        b"name,type\nCaf\xC3\xA9 cr\xC3\xA8me,NoSql\nBad \xE9 byte,NoSql\nplain,NoSql\n",
    )
    .unwrap();
    let out = import_path(&sb, &path, &[]).await;
    assert_eq!(out.code, 1);
    let results: Vec<&str> = out.report.iter().map(|r| r["result"].as_str()).collect();
    assert_eq!(results, ["created", "invalid", "created"]);
    assert!(
        out.row(3)["error"].contains("name: the cell is not valid UTF-8: pass --encoding"),
        "{:?}",
        out.row(3)
    );
    source(&sb, "Café crème");
    assert_eq!(out.summary["encoding"], serde_json::Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bom_sep_line_tab_and_pipe_files_each_find_their_dialect() {
    let sb = sandbox(|_| {}).await;
    let out = import_path(&sb, &fixture("utf8-bom.csv"), &[]).await;
    assert_eq!(out.code, 0, "{:?}", out.report);
    assert!(
        report_bytes(&out).starts_with(b"\xEF\xBB\xBFrow,result"),
        "the report keeps the BOM"
    );
    assert_eq!(source(&sb, "BOM source").owners, ["john.doe@example.com"]);

    let out = import_path(&sb, &fixture("sep-line.csv"), &[]).await;
    assert_eq!(out.code, 0, "{:?}", out.report);
    assert_eq!(out.row(2)["result"], "created", "the sep= line is no row");
    assert_eq!(source(&sb, "sep source").tags, ["GDPR", "PII"]);

    let out = import_path(&sb, &fixture("tabs.tsv"), &[]).await;
    assert_eq!(out.code, 0, "{:?}", out.report);
    assert_eq!(
        source(&sb, "Tab source").summary.as_deref(),
        Some("has, commas; and semicolons")
    );
    assert!(report_bytes(&out).starts_with(b"row\tresult"));

    let out = import_path(&sb, &fixture("pipes.csv"), &[]).await;
    assert_eq!(out.code, 0, "{:?}", out.report);
    assert_eq!(
        source(&sb, "pipe source").owners,
        ["john.doe@example.com", "jane.doe@example.com"]
    );
    assert_eq!(source(&sb, "pipe source").source_type, "TagBase");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quoted_line_breaks_stay_in_their_cell_and_rows_keep_their_numbers() {
    let sb = sandbox(|_| {}).await;
    let out = import_path(&sb, &fixture("quoted-newlines.csv"), &[]).await;
    assert_eq!(out.code, 0, "{:?}", out.report);
    let multi = source(&sb, "Multi\nline name");
    assert_eq!(
        multi.description.as_deref(),
        Some("first line\r\nsecond line")
    );
    assert_eq!(out.report[1]["row"], "3");
    assert_eq!(out.report[1]["name"], "after");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ragged_and_blank_rows_are_padded_skipped_or_flagged_never_shifted() {
    let sb = sandbox(|_| {}).await;
    let out = import_path(&sb, &fixture("ragged-blank.csv"), &[]).await;
    let rows: Vec<(&str, &str, &str)> = out
        .report
        .iter()
        .map(|r| (r["row"].as_str(), r["result"].as_str(), r["error"].as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            ("2", "created", ""),
            ("5", "invalid", "expected 3 cells, found 5"),
            ("6", "created", "")
        ]
    );
    assert_eq!(source(&sb, "fine").tags, ["PII"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_headers_map_to_their_fields() {
    let sb = sandbox(|_| {}).await;
    let out = import_path(&sb, &fixture("odd-headers.csv"), &[]).await;
    assert_eq!(out.code, 0, "{:?}", out.report);
    let s = source(&sb, "Odd headers");
    assert_eq!(
        (
            s.source_type.as_str(),
            s.technical_name.as_str(),
            s.summary.as_deref()
        ),
        ("NoSql", "odd_tn", Some("short one"))
    );
    assert_eq!(
        (s.owners, s.stewards, s.tags),
        (
            vec!["john.doe@example.com".into()],
            vec!["jane.doe@example.com".into()],
            vec!["GDPR".into()]
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn formula_looking_cells_are_sent_exactly_shown_as_text_and_read_back_exactly() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("token"), sb.token()).unwrap();
    // check first: its report is then rerun, so the values make the round trip.
    let check = dir.path().join("in.check.csv");
    let (input, token) = (fixture("formula-names.csv"), dir.path().join("token"));
    let url = sb.base_url();
    let (input, token, check) = (
        input.to_str().unwrap(),
        token.to_str().unwrap(),
        check.to_str().unwrap(),
    );
    let (code, error) = dg(&[
        "check",
        input,
        "--quiet",
        "--url",
        &url,
        "--token-file",
        token,
        "--report",
        check,
    ])
    .await;
    assert_eq!(code, 0, "{error:?}");
    let text = std::fs::read_to_string(check).unwrap();
    for escaped in [
        "'=1+1",
        "'+33 6 12",
        "'-minus",
        "''quoted",
        "\"'=HYPERLINK(\"\"http://x\"\")\"",
        "'@at",
        "''twice",
    ] {
        assert!(text.contains(escaped), "{escaped} in {text}");
    }
    let (code, error) = dg(&[
        "rerun",
        check,
        "--quiet",
        "--url",
        &url,
        "--token-file",
        token,
    ])
    .await;
    assert_eq!(code, 0, "{error:?}");
    for (name, summary) in [
        ("=1+1", "=HYPERLINK(\"http://x\")"),
        ("+33 6 12", "+"),
        ("-minus", "@at"),
        // A hand-made `''` is read as the guard of one apostrophe.
        ("'quoted", "'twice"),
    ] {
        assert_eq!(
            source(&sb, name).summary.as_deref(),
            Some(summary),
            "{name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn utf16_files_with_a_byte_order_mark_are_decoded() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("utf16.csv");
    let text = "name\ttype\tsummary\r\nÉté 2024\tNoSql\tpréparé\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(&path, bytes).unwrap();
    let out = import_path(&sb, &path, &[]).await;
    assert_eq!(out.code, 0, "{:?}", out.report);
    assert_eq!(source(&sb, "Été 2024").summary.as_deref(), Some("préparé"));
}

/// An .xlsx with a second sheet "Sources": numbers, a date, a boolean, a
/// formula with its cached value, a multi-line cell, starting at row 3.
fn write_xlsx(path: &Path) {
    let mut book = Workbook::new();
    book.add_worksheet()
        .set_name("Notes")
        .unwrap()
        .write_string(0, 0, "not this one")
        .unwrap();
    let sheet = book.add_worksheet().set_name("Sources").unwrap();
    let headers = [
        "name",
        "type",
        "summary",
        "description",
        "technicalName",
        "status",
        "upsert",
    ];
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string(2, c as u16, *h).unwrap();
    }
    sheet
        .write_string(3, 0, "Sheet source\nsecond line")
        .unwrap();
    sheet.write_string(3, 1, "NoSql").unwrap();
    sheet.write_number(3, 2, 42.0).unwrap();
    let date = Format::new().set_num_format("dd/mm/yyyy");
    sheet
        .write_datetime_with_format(3, 3, ExcelDateTime::from_ymd(2024, 3, 1).unwrap(), &date)
        .unwrap();
    sheet
        .write_formula(3, 4, Formula::new("=\"tn-\"&\"42\"").set_result("tn-42"))
        .unwrap();
    sheet.write_string(3, 5, "validated").unwrap();
    sheet.write_boolean(3, 6, false).unwrap();
    sheet.write_string(4, 0, "Decimal").unwrap();
    sheet.write_string(4, 1, "Relational").unwrap();
    sheet.write_number(4, 2, 3.25).unwrap();
    sheet.write_string(4, 5, "Done").unwrap();
    book.save(path).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_xlsx_sheet_reads_as_a_person_sees_it() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sources.xlsx");
    write_xlsx(&path);
    let out = import_path(&sb, &path, &["--sheet", "sources"]).await;
    let s = source(&sb, "Sheet source\nsecond line");
    assert_eq!(s.summary.as_deref(), Some("42"));
    assert_eq!(s.description.as_deref(), Some("2024-03-01"));
    assert_eq!(s.technical_name, "tn-42");
    assert_eq!(s.status.as_deref(), Some("Validated"));
    assert!(
        sb.sources().iter().all(|s| s.name != "Decimal"),
        "row 5 is invalid and never sent"
    );
    let rows: Vec<(&str, &str)> = out
        .report
        .iter()
        .map(|r| (r["row"].as_str(), r["result"].as_str()))
        .collect();
    assert_eq!(
        rows,
        [("4", "created"), ("5", "invalid")],
        "the sheet's own row numbers"
    );
    assert!(out.row(5)["error"].contains("unknown status 'Done'"));
    assert_eq!(out.row(5)["summary"], "3.25");
    assert!(
        report_bytes(&out).starts_with(b"\xEF\xBB\xBF"),
        "a spreadsheet's report has a BOM"
    );
    let wrong = import_path(&sb, &path, &["--sheet", "Nope"]).await;
    assert_eq!(wrong.code, 2);
    assert!(wrong.error.unwrap().contains("it has: Notes, Sources"));
}

/// A minimal OpenDocument spreadsheet, zipped as the format asks.
fn write_ods(path: &Path, rows: &[&[(&str, &str)]]) {
    let mut xml = String::new();
    for row in rows {
        xml.push_str("<table:table-row>");
        for (kind, value) in *row {
            match *kind {
                "float" => xml.push_str(&format!(r#"<table:table-cell office:value-type="float" office:value="{value}"><text:p>{value}</text:p></table:table-cell>"#)),
                "date" => xml.push_str(&format!(r#"<table:table-cell office:value-type="date" office:date-value="{value}"><text:p>x</text:p></table:table-cell>"#)),
                _ => xml.push_str(&format!(r#"<table:table-cell office:value-type="string"><text:p>{value}</text:p></table:table-cell>"#)),
            }
        }
        xml.push_str("</table:table-row>");
    }
    write_ods_rows(path, &xml);
}

/// An OpenDocument spreadsheet whose one sheet, "Sources", holds `rows_xml`.
pub(crate) fn write_ods_rows(path: &Path, rows_xml: &str) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("mimetype", stored).unwrap();
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .unwrap();
    zip.start_file("META-INF/manifest.xml", stored).unwrap();
    zip.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#).unwrap();
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="Sources">"#,
    );
    xml.push_str(rows_xml);
    xml.push_str("</table:table></office:spreadsheet></office:body></office:document-content>");
    zip.start_file("content.xml", stored).unwrap();
    zip.write_all(xml.as_bytes()).unwrap();
    zip.finish().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ods_sheet_reads_with_its_numbers_and_dates() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sources.ods");
    let s = "string";
    write_ods(
        &path,
        &[
            &[(s, "name"), (s, "type"), (s, "summary"), (s, "description")],
            &[
                (s, "ODS source"),
                (s, "No SQL"),
                ("float", "7"),
                ("date", "2023-12-31"),
            ],
            &[
                (s, "ODS decimal"),
                (s, "Relational"),
                ("float", "0.5"),
                (s, ""),
            ],
        ],
    );
    let out = import_path(&sb, &path, &[]).await;
    assert_eq!(out.code, 0, "{:?}", out.report);
    let ods = source(&sb, "ODS source");
    assert_eq!(
        (ods.summary.as_deref(), ods.description.as_deref()),
        (Some("7"), Some("2023-12-31"))
    );
    assert_eq!(source(&sb, "ODS decimal").summary.as_deref(), Some("0.5"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn map_names_columns_extra_ones_become_attributes_and_missing_tags_are_created_once() {
    let sb = sandbox(|_| {}).await;
    let csv = "name,type,Resp.,Data Domain,tags\n\
               a,NoSql,john.doe@example.com,Finance,Risk;GDPR\n\
               b,NoSql,,,risk\n\
               c,NoSql,,,Fnance\n";
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mapped.csv");
    std::fs::write(&path, csv).unwrap();
    let refused = import_path(&sb, &path, &[]).await;
    assert_eq!(refused.code, 2);
    let out = import_path(
        &sb,
        &path,
        &[
            "--map",
            "Resp.=owners",
            "--extra-columns",
            "attributes",
            "--create-missing-tags",
        ],
    )
    .await;
    let results: Vec<&str> = out.report.iter().map(|r| r["result"].as_str()).collect();
    assert_eq!(results, ["created", "created", "invalid"]);
    assert_eq!(
        out.row(4)["error"],
        "tags: unknown tag 'Fnance' — did you mean Finance?"
    );
    let a = source(&sb, "a");
    assert_eq!(a.owners, ["john.doe@example.com"]);
    assert_eq!(
        a.attributes.get("Data Domain"),
        Some(&serde_json::json!("Finance"))
    );
    assert_eq!(a.tags, ["Risk", "GDPR"]);
    let creations = sb
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/v2/tags")
        .count();
    assert_eq!(creations, 1, "one tag, created once for both rows");
    assert_eq!(out.summary["created_tags"], serde_json::json!(["Risk"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delimiter_and_list_separator_can_be_named_and_excel_report_adds_a_bom() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("named.csv");
    // The delimiter and the list separator named rather than detected.
    std::fs::write(&path, "name;type;tags\nA, B and C;NoSql;GDPR/PII\n").unwrap();
    let out = import_path(
        &sb,
        &path,
        &[
            "--delimiter",
            ";",
            "--list-separator",
            "/",
            "--excel-report",
        ],
    )
    .await;
    assert_eq!(out.code, 0, "{:?} {:?}", out.error, out.report);
    assert_eq!(source(&sb, "A, B and C").tags, ["GDPR", "PII"]);
    assert!(report_bytes(&out).starts_with(b"\xEF\xBB\xBFrow;result;"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_whose_bytes_are_not_what_its_name_says_is_refused_saying_what_it_looks_like() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let csv_as_xlsx = dir.path().join("sources.xlsx");
    std::fs::write(&csv_as_xlsx, "name,type\na,NoSql\n").unwrap();
    let out = import_path(&sb, &csv_as_xlsx, &[]).await;
    assert_eq!(out.code, 2);
    let error = out.error.unwrap();
    assert!(
        error.contains("is not a workbook") && error.contains("rename it .csv"),
        "{error}"
    );
    let xlsx_as_csv = dir.path().join("sources.csv");
    write_xlsx(&xlsx_as_csv);
    let out = import_path(&sb, &xlsx_as_csv, &[]).await;
    assert_eq!(out.code, 2);
    assert!(out.error.unwrap().contains("zip archive"));
    let binary = dir.path().join("photo.csv");
    std::fs::write(&binary, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR").unwrap();
    let out = import_path(&sb, &binary, &[]).await;
    assert_eq!(out.code, 2);
    assert!(out.error.unwrap().contains("not text"));
    assert!(sb.requests().is_empty(), "nothing was sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn utf16_without_a_byte_order_mark_is_detected_and_read() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("utf16.csv");
    let text = "name\ttype\r\nÉté sans BOM\tNoSql\r\n";
    let bytes: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    std::fs::write(&path, bytes).unwrap();
    let out = import_path(&sb, &path, &[]).await;
    assert_eq!(out.code, 0, "{:?}", out.error);
    assert_eq!(source(&sb, "Été sans BOM").source_type, "NoSql");
    assert_eq!(out.summary["encoding"]["name"], "UTF-16LE");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_first_sheet_names_the_sheet_that_holds_the_data() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("book.xlsx");
    let mut book = Workbook::new();
    book.add_worksheet().set_name("Cover").unwrap();
    let data = book.add_worksheet().set_name("Sources").unwrap();
    data.write_string(0, 0, "name").unwrap();
    data.write_string(0, 1, "type").unwrap();
    data.write_string(1, 0, "From sheet two").unwrap();
    data.write_string(1, 1, "NoSql").unwrap();
    book.save(&path).unwrap();
    let out = import_path(&sb, &path, &[]).await;
    assert_eq!(out.code, 2);
    let error = out.error.unwrap();
    assert!(
        error.contains("first sheet 'Cover' is empty") && error.contains("--sheet \"Sources\""),
        "{error}"
    );
    let out = import_path(&sb, &path, &["--sheet", "sources"]).await;
    assert_eq!(out.code, 0, "{:?}", out.error);
}

#[test]
fn formula_cells_saved_without_a_value_are_named_in_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("formulas.xlsx");
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_formula_result_default("");
    sheet.write_string(0, 0, "name").unwrap();
    sheet.write_string(0, 1, "type").unwrap();
    sheet.write_string(1, 0, "Computed").unwrap();
    sheet.write_formula(1, 1, "=\"No\"&\"Sql\"").unwrap();
    book.save(&path).unwrap();
    let out = crate::binary::dg_import()
        .args(["check", "--sandbox"])
        .arg(&path)
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("1 formula cell(s) were saved without a computed value")
            && stderr.contains(": B2"),
        "{stderr}"
    );
    assert_eq!(out.status.code(), Some(1), "the type reads empty: {stderr}");
}
