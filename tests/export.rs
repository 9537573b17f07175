//! `dg-import export`: the catalog as a file `run` reads back. The law that
//! makes it useful: export, then `run --if-exists update` of the unedited
//! file, sends nothing; edit cells, and only those rows are sent.

use std::path::{Path, PathBuf};

use dg_import::sandbox::{Sandbox, StoredSource};
use serde_json::{Value, json};

use crate::common::dictionary::{csv_rows, described, fixture_tree, put};
use crate::common::{dg, import, import_file, read_report, sandbox, sheet_rows};

/// `dg-import export` in-process into `out`; its exit code and error.
async fn export(sb: &Sandbox, dir: &Path, out: &Path, extra: &[&str]) -> (u8, Option<String>) {
    let token = dir.join("token");
    std::fs::write(&token, sb.token()).unwrap();
    let url = sb.base_url();
    let mut args = vec![
        "export",
        "--url",
        &url,
        "--token-file",
        token.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
        "--quiet",
    ];
    args.extend_from_slice(extra);
    dg(&args).await
}

fn writes(sb: &Sandbox) -> usize {
    sb.requests().iter().filter(|r| r.method != "GET").count()
}

/// 48 sources with five typed attributes, as the attributes test imports them.
fn forty_eight_rows() -> String {
    let mut csv = String::from(
        "name,type,data domain,Contains PII,Retention Years,Last Review,Regions,owners\n",
    );
    for i in 1..=48 {
        let domain = ["finance", "SALES", "Operations"][i % 3];
        csv.push_str(&format!(
            "attr-{i:02},Relational,{domain},{},{}.5,2026-03-{:02},\"emea;Apac\",john.doe@example.com\n",
            ["Yes", "no"][i % 2],
            i % 10,
            1 + i % 28
        ));
    }
    csv
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_reimported_unedited_sends_nothing_and_an_edit_sends_only_its_rows() {
    let sb = sandbox(|_| {}).await;
    assert_eq!(import(&sb, &forty_eight_rows(), &[]).await.code, 0);
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("catalog.csv");
    let (code, error) = export(&sb, dir.path(), &csv, &["--scope", "technicalName:attr-*"]).await;
    assert_eq!(code, 0, "{error:?}");
    let (headers, rows) = read_report(&csv);
    assert_eq!(
        headers,
        [
            "name",
            "type",
            "status",
            "owners",
            "stewards",
            "tags",
            "summary",
            "description",
            "technicalName",
            "Data Domain",
            "Contains PII",
            "Retention Years",
            "Last Review",
            "Regions"
        ]
    );
    assert_eq!(rows.len(), 48);
    let names: Vec<&str> = rows.iter().map(|r| r["technicalName"].as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "sorted by technical name");
    assert_eq!(
        (
            rows[2]["Data Domain"].as_str(),
            rows[2]["Contains PII"].as_str(),
            rows[2]["Retention Years"].as_str(),
            rows[2]["Last Review"].as_str(),
            rows[2]["Regions"].as_str()
        ),
        ("Finance", "false", "3.5", "2026-03-04", "EMEA;APAC")
    );
    assert!(std::fs::read(&csv).unwrap().starts_with(b"\xEF\xBB\xBF"));

    let before = writes(&sb);
    let again = tempfile::tempdir().unwrap();
    std::fs::write(again.path().join("token"), sb.token()).unwrap();
    let out = import_file(&sb, &csv, again, &["--if-exists", "update"]).await;
    assert_eq!(
        out.results().get("unchanged"),
        Some(&48),
        "{:?}",
        out.results()
    );
    assert_eq!(writes(&sb), before, "an unedited export sends no write");

    let edited = std::fs::read_to_string(&csv).unwrap().replace(
        "attr-07,Relational,,john.doe@example.com",
        "attr-07,Relational,Validated,john.doe@example.com",
    );
    assert!(edited.contains("Validated"));
    let edited = edited.replacen("Finance,false,3.5", "Sales,false,3.5", 1);
    std::fs::write(&csv, edited).unwrap();
    let again = tempfile::tempdir().unwrap();
    std::fs::write(again.path().join("token"), sb.token()).unwrap();
    let out = import_file(&sb, &csv, again, &["--if-exists", "update"]).await;
    assert_eq!(
        out.results().get("updated"),
        Some(&2),
        "{:?}",
        out.results()
    );
    assert_eq!(out.results().get("unchanged"), Some(&46));
    assert_eq!(out.row(4)["changes"], "Data Domain: Finance -> Sales");
    assert_eq!(out.row(8)["changes"], "status: (empty) -> Validated");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workbook_export_lists_the_sources_with_their_attribute_columns_as_text() {
    let sb = sandbox(|_| {}).await;
    assert_eq!(import(&sb, &forty_eight_rows(), &[]).await.code, 0);
    let dir = tempfile::tempdir().unwrap();
    let xlsx = dir.path().join("catalog.xlsx");
    let (code, error) = export(&sb, dir.path(), &xlsx, &[]).await;
    assert_eq!(code, 0, "{error:?}");
    let rows = sheet_rows(&xlsx);
    assert_eq!(
        rows.len(),
        1 + 48 + 5,
        "the header, the 48 and the seed's 5"
    );
    assert_eq!(
        rows[0][9..],
        [
            "Data Domain",
            "Contains PII",
            "Retention Years",
            "Last Review",
            "Regions"
        ]
    );
    let attr_03 = rows.iter().find(|r| r[0] == "attr-03").unwrap();
    assert_eq!(
        attr_03[9..],
        ["Finance", "false", "3.5", "2026-03-04", "EMEA;APAC"]
    );
    // The workbook reads back as the CSV does: an update of it sends nothing.
    let before = writes(&sb);
    let again = tempfile::tempdir().unwrap();
    std::fs::write(again.path().join("token"), sb.token()).unwrap();
    let out = import_file(&sb, &xlsx, again, &["--if-exists", "update"]).await;
    assert_eq!(
        out.results().get("unchanged"),
        Some(&53),
        "{:?}",
        out.results()
    );
    assert_eq!(writes(&sb), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_longer_than_a_cell_is_never_cut_the_workbook_export_refuses_naming_it() {
    let sb = sandbox(|_| {}).await;
    let long = "x".repeat(40_000);
    let csv = format!("name,type,description\nlong one,NoSql,{long}\n");
    assert_eq!(import(&sb, &csv, &[]).await.code, 0);
    let dir = tempfile::tempdir().unwrap();
    let xlsx = dir.path().join("catalog.xlsx");
    let summary = dir.path().join("summary.json");
    let (code, error) = export(
        &sb,
        dir.path(),
        &xlsx,
        &["--summary-json", summary.to_str().unwrap()],
    )
    .await;
    assert_eq!(code, 2);
    let summary: Value = serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    assert_eq!(summary["exit_code"], 2, "a scheduler reads why: {summary}");
    assert!(summary["stopped"].as_str().unwrap().contains("long one"));
    let error = error.unwrap();
    assert!(error.contains("long one"), "{error}");
    assert!(error.contains("--output FILE.csv"), "{error}");
    assert!(!xlsx.exists(), "nothing written");
    let csv_out = dir.path().join("catalog.csv");
    assert_eq!(export(&sb, dir.path(), &csv_out, &[]).await.0, 0);
    let (_, rows) = read_report(&csv_out);
    let row = rows.iter().find(|r| r["name"] == "long one").unwrap();
    assert_eq!(row["description"].len(), 40_000, "CSV holds it whole");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn formula_cells_are_guarded_and_read_back_as_written() {
    let sb = sandbox(|_| {}).await;
    let csv = "name,type,summary\n\"=SUM(A1)\",NoSql,'quoted\n-minus,NoSql,@at\n";
    assert_eq!(import(&sb, csv, &[]).await.code, 0);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("catalog.csv");
    assert_eq!(export(&sb, dir.path(), &out, &[]).await.0, 0);
    let text = std::fs::read_to_string(&out).unwrap();
    for guarded in ["'=SUM(A1)", "''quoted", "'-minus", "'@at"] {
        assert!(text.contains(guarded), "{guarded} in {text}");
    }
    let before = writes(&sb);
    let again = tempfile::tempdir().unwrap();
    std::fs::write(again.path().join("token"), sb.token()).unwrap();
    let out = import_file(&sb, &out, again, &["--if-exists", "update"]).await;
    assert!(
        out.report.iter().all(|r| r["result"] == "unchanged"),
        "{:?}",
        out.report
    );
    assert_eq!(writes(&sb), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sources_whose_users_the_tenant_no_longer_lists_are_named_in_a_warning() {
    let sb = sandbox(|_| {}).await;
    let mut gone = sb.sources()[0].clone();
    gone.id = "gone-owner".into();
    gone.name = "Left behind".into();
    gone.technical_name = "left_behind".into();
    gone.owners = vec!["former.employee@example.com".into()];
    // A key the tenant lists beside the attributes but does not define.
    gone.attributes.insert("lastScanId".into(), json!("scan-7"));
    sb.add_sources([gone]);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("catalog.csv");
    let summary = dir.path().join("summary.json");
    let (code, _) = export(
        &sb,
        dir.path(),
        &out,
        &["--summary-json", summary.to_str().unwrap()],
    )
    .await;
    assert_eq!(code, 0);
    let summary: Value = serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    assert_eq!(summary["sources"], 6);
    assert_eq!(summary["command"], "export");
    assert_eq!(
        summary["attribute_columns"],
        json!([
            "Data Domain",
            "Contains PII",
            "Retention Years",
            "Last Review",
            "Regions"
        ]),
        "only attributes the tenant defines"
    );
    assert_eq!(
        summary["warnings"],
        json!([
            "1 sources hold owners, stewards or tags the tenant no longer lists (an import of them would be invalid): left_behind"
        ])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_of_one_workspace_recreates_its_sources_in_another() {
    let mut seed: Value = serde_json::from_str(dg_import::sandbox::store::BUILT_IN_SEED).unwrap();
    seed["workspaces"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "Sandbox copy", "versions": ["v1"]}));
    let seed = seed.to_string();
    let sb = sandbox(|c| c.seed = seed).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("catalog.csv");
    let (code, error) = export(&sb, dir.path(), &out, &["--workspace", "My Workspace"]).await;
    assert_eq!(code, 0, "{error:?}");
    let again = tempfile::tempdir().unwrap();
    std::fs::write(again.path().join("token"), sb.token()).unwrap();
    let copied = import_file(&sb, &out, again, &["--workspace", "Sandbox copy"]).await;
    assert_eq!(
        copied.results().get("created"),
        Some(&5),
        "{:?}",
        copied.report
    );
    let store = sb.store();
    let copy_version = &store.workspaces[1].versions[0].id;
    let body = |s: &StoredSource| {
        let mut b = s.as_body();
        b.remove("technicalName");
        (s.technical_name.clone(), b)
    };
    let mut original: Vec<_> = store
        .sources
        .iter()
        .filter(|s| &s.version_id != copy_version)
        .map(body)
        .collect();
    let mut copy: Vec<_> = store
        .sources
        .iter()
        .filter(|s| &s.version_id == copy_version)
        .map(body)
        .collect();
    original.sort_by(|a, b| a.0.cmp(&b.0));
    copy.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(copy, original, "the same sources, attributes included");
}

fn repo_file(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

#[test]
fn an_export_to_standard_output_is_csv_without_a_byte_order_mark() {
    let out = crate::common::binary()
        .args(["export", "--sandbox", "--quiet", "--scope", "tag:pii"])
        .env_remove("DATAGALAXY_URL")
        .env_remove("DATAGALAXY_TOKEN")
        .current_dir(repo_file("."))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("name,type,status,"), "{text}");
    assert_eq!(
        text.lines().count(),
        2,
        "the header and the one PII source: {text}"
    );
    assert!(text.contains("Customer 360"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_job_file_names_its_paths_relative_to_itself_and_takes_no_input() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("token"), sb.token()).unwrap();
    let job = dir.path().join("export.toml");
    std::fs::write(
        &job,
        format!(
            "url = \"{}\"\ntoken-file = \"token\"\noutput = \"catalog.xlsx\"\nscope = \"tag:CRM\"\nquiet = true\n",
            sb.base_url()
        ),
    )
    .unwrap();
    let (code, error) = dg(&["export", "--config", job.to_str().unwrap()]).await;
    assert_eq!(code, 0, "{error:?}");
    let rows = sheet_rows(&dir.path().join("catalog.xlsx"));
    assert_eq!(rows.len(), 2, "the header and the one CRM source");
    assert_eq!(rows[1][0], "Customer 360");
    std::fs::write(&job, "input = \"in.csv\"\n").unwrap();
    let (code, error) = dg(&["export", "--config", job.to_str().unwrap()]).await;
    assert_eq!(code, 2);
    assert!(error.unwrap().contains("unknown key 'input' for export"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_that_lists_sources_without_attributes_gets_no_export_that_would_lose_them() {
    let sb = sandbox(|c| {
        c.variants.insert(dg_import::sandbox::Variant::NoAttributes);
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("catalog.csv");
    let (code, error) = export(&sb, dir.path(), &out, &[]).await;
    assert_eq!(code, 2);
    assert!(error.unwrap().contains("an export would lose their values"));
    assert!(!out.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_attribute_definitions_an_export_still_reads_back_unchanged() {
    let sb = sandbox(|c| {
        c.variants
            .insert(dg_import::sandbox::Variant::NoAttributeDefinitions);
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("catalog.csv");
    assert_eq!(export(&sb, dir.path(), &out, &[]).await.0, 0);
    let (headers, rows) = read_report(&out);
    assert!(headers.contains(&"Regions".to_owned()), "{headers:?}");
    let sales = rows
        .iter()
        .find(|r| r["name"] == "Sales Data Warehouse")
        .unwrap();
    assert_eq!(
        (
            sales["Contains PII"].as_str(),
            sales["Retention Years"].as_str(),
            sales["Regions"].as_str()
        ),
        ("false", "7", "EMEA;AMER")
    );
    let before = writes(&sb);
    let again = tempfile::tempdir().unwrap();
    std::fs::write(again.path().join("token"), sb.token()).unwrap();
    let back = import_file(
        &sb,
        &out,
        again,
        &["--if-exists", "update", "--extra-columns", "attributes"],
    )
    .await;
    assert_eq!(
        back.results().get("unchanged"),
        Some(&5),
        "{:?}",
        back.report
    );
    assert_eq!(writes(&sb), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_semicolon_export_for_excel_joins_lists_with_commas_and_reads_back_unchanged() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("catalog.csv");
    assert_eq!(
        export(&sb, dir.path(), &out, &["--delimiter", ";"]).await.0,
        0
    );
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("\u{FEFF}name;type;status;"), "{text}");
    assert!(
        text.contains(";Sales,Finance;"),
        "lists joined by `,`: {text}"
    );
    assert!(text.contains(";EMEA,AMER"), "{text}");
    let before = writes(&sb);
    let again = tempfile::tempdir().unwrap();
    std::fs::write(again.path().join("token"), sb.token()).unwrap();
    let back = import_file(&sb, &out, again, &["--if-exists", "update"]).await;
    assert_eq!(
        back.results().get("unchanged"),
        Some(&5),
        "{:?}",
        back.report
    );
    assert_eq!(writes(&sb), before);
    let xlsx = dir.path().join("catalog.xlsx");
    let (code, error) = export(&sb, dir.path(), &xlsx, &["--delimiter", ";"]).await;
    assert_eq!(code, 2);
    assert!(error.unwrap().contains("--delimiter is for a CSV export"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scope_that_matches_nothing_is_said_with_the_closest_tag() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("catalog.csv");
    let summary = dir.path().join("summary.json");
    let summary_arg = summary.to_str().unwrap();
    let args = ["--scope", "tag:Finanse", "--summary-json", summary_arg];
    let (code, _) = export(&sb, dir.path(), &out, &args).await;
    assert_eq!(code, 0);
    let summary: Value = serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    assert_eq!(summary["sources"], 0);
    let warnings = summary["warnings"].to_string();
    assert!(
        warnings.contains("no tag 'Finanse' — did you mean tag:Finance?"),
        "{warnings}"
    );
    assert!(
        warnings.contains("tag:Finanse matches no existing source"),
        "{warnings}"
    );
}

#[test]
fn an_export_into_a_pipe_its_reader_closes_early_exits_0_without_a_message() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let mut seed: Value = serde_json::from_str(dg_import::sandbox::store::BUILT_IN_SEED).unwrap();
    let first = seed["sources"][0].clone();
    let many: Vec<Value> = (0..5000)
        .map(|i| {
            let mut s = first.clone();
            s["name"] = json!(format!("S{i:05}"));
            s["technicalName"] = json!(format!("s_{i:05}"));
            s
        })
        .collect();
    seed["sources"] = Value::Array(many);
    let seed_path = dir.path().join("seed.json");
    std::fs::write(&seed_path, seed.to_string()).unwrap();
    let mut child = crate::binary::dg_import()
        .args([
            "export",
            "--sandbox",
            "--quiet",
            "-o",
            "-",
            "--sandbox-seed",
        ])
        .arg(&seed_path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut head = [0u8; 200];
    child.stdout.take().unwrap().read_exact(&mut head).unwrap();
    // The reader goes, as `head -c 200` does.
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(head.starts_with(b"name,type"));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        !stderr.contains("error") && !stderr.contains("Broken pipe"),
        "{stderr}"
    );
}

/// The summary's folder is checked before the first request; one that is
/// gone by the end (removed while the export ran) costs the summary, said
/// on stderr, and never the export: it is written, and the exit code is 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_whose_summary_cannot_be_written_at_the_end_keeps_its_file_and_exit_0() {
    let sb =
        std::sync::Arc::new(sandbox(|c| c.latency = std::time::Duration::from_millis(300)).await);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("catalog.csv");
    let folder = dir.path().join("summaries");
    std::fs::create_dir(&folder).unwrap();
    let summary = folder.join("summary.json");
    let running = {
        let (sb, dir, out, summary) = (
            sb.clone(),
            dir.path().to_owned(),
            out.clone(),
            summary.clone(),
        );
        tokio::spawn(async move {
            export(
                &sb,
                &dir,
                &out,
                &["--summary-json", summary.to_str().unwrap()],
            )
            .await
        })
    };
    // The first request comes after every output was checked.
    crate::common::wait_for("the export's first request", 10, || {
        !sb.requests().is_empty()
    })
    .await;
    std::fs::remove_dir(&folder).unwrap();
    let (code, error) = running.await.unwrap();
    assert_eq!(code, 0, "{error:?}");
    assert!(!summary.exists());
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.lines().count(), 1 + sb.sources().len(), "{text}");
}

/// A real PostgreSQL's `information_schema.columns` (with the README's key
/// and comment join), put in the sandbox through the bulktree, exported
/// flat and in DataGalaxy's format: each file reads back as that tree,
/// types, sizes, keys, order and comments included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dictionary_exported_flat_or_in_datagalaxys_format_reads_back_as_the_tree_the_tenant_holds()
 {
    dictionary_round_trip(None).await;
    // A tenant that lists no typePath: each node placed by its own type.
    dictionary_round_trip(Some(dg_import::sandbox::Variant::NoTypePaths)).await;
}

async fn dictionary_round_trip(variant: Option<dg_import::sandbox::Variant>) {
    use dg_import::pipeline::dictionary::rows::{Layout, Options};
    use dg_import::pipeline::dictionary::tree::Tree;
    let original = fixture_tree("postgresql-15-columns-with-keys.csv");
    let sb = sandbox(|c| c.variants.extend(variant)).await;
    put(&sb, &original).await;

    let dir = tempfile::tempdir().unwrap();
    let (flat, datagalaxy) = (dir.path().join("flat.csv"), dir.path().join("dg.csv"));
    let summary = dir.path().join("summary.json");
    let summary_arg = ["--summary-json", summary.to_str().unwrap()];
    let (code, error) = export(
        &sb,
        dir.path(),
        &flat,
        &[&["--kind", "dictionary"], &summary_arg[..]].concat(),
    )
    .await;
    assert_eq!(code, 0, "{error:?}");
    let said: Value = serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    assert_eq!(
        said["objects"],
        json!({"containers": 2, "structures": 7, "fields": 46})
    );
    assert_eq!(
        said["sources"], 1,
        "only the sources that hold a dictionary"
    );
    let args = ["--kind", "dictionary", "--format", "datagalaxy"];
    let (code, error) = export(&sb, dir.path(), &datagalaxy, &args).await;
    assert_eq!(code, 0, "{error:?}");

    let (header, rows) = csv_rows(&flat);
    let layout = Layout::of(&header);
    // Past the system columns, the tenant's custom attributes of each kind,
    // bound to their definitions when the file is read back.
    let customs: Vec<_> = layout
        .unknown
        .iter()
        .map(|(_, name)| name.as_str())
        .collect();
    assert_eq!(
        customs,
        ["Data Domain", "Refresh Frequency", "Sensitivity"],
        "{layout:?}"
    );
    assert!(layout.passed_over.is_empty(), "{layout:?}");
    let mut from_flat = Tree::default();
    for (i, cells) in rows.iter().enumerate() {
        let row = layout.read(cells, &Options::default()).unwrap().unwrap();
        from_flat.add(i as u64 + 2, row).unwrap();
    }
    let (header, rows) = csv_rows(&datagalaxy);
    let layout = Layout::of(&header);
    let mut from_datagalaxy = Tree::default();
    for (i, cells) in rows.iter().enumerate() {
        from_datagalaxy
            .add(i as u64 + 2, layout.read_path_type(cells).unwrap())
            .unwrap();
    }
    let held = described(&original);
    assert_eq!(held.len(), 1 + 2 + 7 + 46);
    assert_eq!(described(&from_flat), held, "{variant:?}");
    assert_eq!(described(&from_datagalaxy), held, "{variant:?}");
}

/// `run FILE --if-exists update` against the sandbox: exit code, error,
/// report rows.
async fn reimport(sb: &Sandbox, file: &Path) -> crate::common::dictionary::Said {
    let update = ["--if-exists", "update"];
    crate::common::dictionary::command(sb, "run", file, "again.csv", &update).await
}

/// The law, for a dictionary: a real PostgreSQL's dictionary imported,
/// exported in each format (CSV and workbook), and each export imported
/// back unedited writes nothing; two cells edited in the flat export (a
/// column's comment, a table's owner) write exactly those two nodes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dictionary_export_reimported_unedited_writes_nothing_and_an_edit_writes_only_its_nodes()
{
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/dictionary/postgresql-15-columns-with-keys.csv");
    let input = dir.path().join("columns.csv");
    std::fs::copy(fixture, &input).unwrap();
    let (code, error, _) = reimport(&sb, &input).await;
    assert_eq!(code, 0, "{error:?}");
    for (name, extra) in [
        ("flat.csv", vec![]),
        ("flat.xlsx", vec![]),
        ("dg.csv", vec!["--format", "datagalaxy"]),
        ("dg.xlsx", vec!["--format", "datagalaxy"]),
    ] {
        let out = dir.path().join(name);
        let args = [&["--kind", "dictionary"][..], &extra].concat();
        let (code, error) = export(&sb, dir.path(), &out, &args).await;
        assert_eq!(code, 0, "{name}: {error:?}");
        let before = writes(&sb);
        let (code, error, rows) = reimport(&sb, &out).await;
        assert_eq!(code, 0, "{name}: {error:?}");
        assert!(
            rows.iter().all(|r| r["result"] == "unchanged"),
            "{name}: {rows:?}"
        );
        assert_eq!(
            writes(&sb),
            before,
            "{name}: an unedited export writes nothing"
        );
    }

    let flat = dir.path().join("flat.csv");
    let (header, mut rows) = csv_rows(&flat);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (field, structure) = (col("field technical name"), col("structure technical name"));
    let (description, owners) = (col("description"), col("owners"));
    let email = (rows.iter())
        .position(|r| r[structure] == "customers" && r[field] == "email")
        .unwrap();
    rows[email][description] = "Where we write".into();
    // A table's own row: a structure with no field.
    let orders = rows
        .iter()
        .position(|r| r[structure] == "orders" && r[field].is_empty());
    let orders = match orders {
        Some(at) => at,
        None => {
            let mut row = rows
                .iter()
                .find(|r| r[structure] == "orders")
                .unwrap()
                .clone();
            let (field_from, field_to) = (col("field"), col("field type"));
            for cell in &mut row[field_from..=field_to] {
                cell.clear();
            }
            let attributes = col("status");
            for cell in &mut row[attributes..] {
                cell.clear();
            }
            rows.push(row);
            rows.len() - 1
        }
    };
    rows[orders][owners] = "jane.doe@example.com".into();
    let mut writer = csv::Writer::from_path(&flat).unwrap();
    writer.write_record(&header).unwrap();
    for row in &rows {
        writer.write_record(row).unwrap();
    }
    writer.flush().unwrap();
    let before = writes(&sb);
    let (code, error, report) = reimport(&sb, &flat).await;
    assert_eq!(code, 0, "{error:?}");
    let updated: Vec<&str> = (report.iter())
        .filter(|r| r["result"] == "updated")
        .map(|r| r["object_path"].as_str())
        .collect();
    assert_eq!(updated.len(), 2, "{updated:?}");
    assert!(
        updated.iter().any(|p| p.ends_with(r"\customers\email")),
        "{updated:?}"
    );
    assert!(
        updated.iter().any(|p| p.ends_with(r"\orders")),
        "{updated:?}"
    );
    assert_eq!(writes(&sb) - before, 1, "the two edits in one tree");
}
