//! A dictionary file checked against a tenant, as a new user meets it: a
//! real PostgreSQL's `information_schema.columns`, unedited, predicted row
//! for row; the same file once the tenant holds its tree; a file with the
//! mistakes people make, each named with its row, column and value.

use std::path::Path;

use crate::common::dictionary::results_of as counts;
use crate::common::dictionary::{Said, command, fixture_tree, put};
use crate::common::sandbox;

const FIXTURE: &str = "postgresql-15-columns-with-keys.csv";

/// `check FILE` against the sandbox; its exit code, error and report rows.
async fn check(sb: &dg_import::sandbox::Sandbox, file: &Path, extra: &[&str]) -> Said {
    command(sb, "check", file, "r.csv", extra).await
}

fn copy_fixture(dir: &Path) -> std::path::PathBuf {
    let to = dir.join("columns.csv");
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/dictionary")
        .join(FIXTURE);
    std::fs::copy(from, &to).unwrap();
    to
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_postgresql_dictionary_checked_unedited_would_create_every_column_and_writes_nothing()
 {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let file = copy_fixture(dir.path());
    let (code, error, rows) = check(&sb, &file, &[]).await;
    assert_eq!(code, 0, "{error:?}");
    assert_eq!(counts(&rows), [("would-create".to_owned(), 46)].into());
    assert_eq!(
        rows[0]["table_name"], "invoices",
        "the file's own cells follow"
    );
    let writes = sb.requests().iter().filter(|r| r.method != "GET").count();
    assert_eq!(writes, 0, "check only reads");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_the_tenant_holds_the_tree_a_check_says_unchanged_and_an_edited_comment_would_update()
{
    let sb = sandbox(|_| {}).await;
    put(&sb, &fixture_tree(FIXTURE)).await;
    let dir = tempfile::tempdir().unwrap();
    let file = copy_fixture(dir.path());
    let (code, _, rows) = check(&sb, &file, &[]).await;
    assert_eq!(code, 1, "they exist: --if-exists fail refuses them");
    assert_eq!(counts(&rows), [("conflict".to_owned(), 46)].into());
    let (code, error, rows) = check(&sb, &file, &["--if-exists", "update"]).await;
    assert_eq!(code, 0, "{error:?}");
    assert_eq!(counts(&rows), [("unchanged".to_owned(), 46)].into());
    let text = std::fs::read_to_string(&file).unwrap();
    let edited = text.replace("Login and contact address", "Where we write to");
    assert_ne!(edited, text);
    std::fs::write(&file, edited).unwrap();
    let (_, _, rows) = check(&sb, &file, &["--if-exists", "update"]).await;
    assert_eq!(counts(&rows)["would-update"], 1);
    let email = rows.iter().find(|r| r["result"] == "would-update").unwrap();
    assert_eq!(email["column_name"], "email");
    assert_eq!(
        email["changes"],
        "description: \"Login and contact address\" -> \"Where we write to\""
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_mistake_of_a_dictionary_file_is_named_with_its_row_column_and_value() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dictionary.csv");
    std::fs::write(
        &file,
        "source,schema,table,table type,column,field type,owners\n\
         crm,sales,orders,Table,id,Column,john.doe@example.com\n\
         crm,sales,orders,Table,total,Colum,\n\
         crm,sales,orders,Tabel,x,Column,\n\
         crm,sales,orders,Table,note,Column,nobody@example.com\n\
         crm,sales,orders,Table,id,Column,\n\
         crm,sales,or\\ders,Table,y,Column,\n",
    )
    .unwrap();
    let (code, error, rows) = check(&sb, &file, &[]).await;
    assert_eq!(code, 1, "{error:?}");
    let said = |row: &str| {
        let r = rows.iter().find(|r| r["row"] == row).unwrap();
        (r["result"].clone(), r["error"].clone())
    };
    assert_eq!(said("2").0, "would-create");
    let (result, error) = said("3");
    assert_eq!(result, "invalid");
    assert!(
        error.contains(
            "field type: 'Colum': not a field type of this tenant (did you mean Column?)"
        ),
        "{error}"
    );
    let (_, error) = said("4");
    assert!(
        error.contains("table type: 'Tabel'") && error.contains("did you mean Table?"),
        "the column as the file names it: {error}"
    );
    let (_, error) = said("5");
    assert_eq!(error, "owners: 'nobody@example.com': unknown user");
    let (_, error) = said("6");
    assert_eq!(error, "\\crm\\sales\\orders\\id: the same object as row 2");
    let (_, error) = said("7");
    assert!(
        error.starts_with("table: 'or\\ders': a technical name may not hold a backslash"),
        "{error}"
    );
}

/// A real MariaDB's `mysql -B` export (tab-separated, `NULL`s, escapes),
/// whose catalog is always `def`: checked unedited with `--source`, its
/// columns would be made under that source, its system schemas passed over
/// (or read, when asked), and a comment's tab and line break read as such.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_mariadb_batch_export_is_checked_unedited_with_a_source_given() {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("columns.tsv");
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/dictionary/mariadb-10.11-columns.tsv");
    std::fs::copy(from, &file).unwrap();
    let (code, error, rows) = check(&sb, &file, &["--source", "mariadb_prod"]).await;
    assert_eq!(code, 0, "{error:?}");
    assert_eq!(
        counts(&rows),
        [
            ("skipped".to_owned(), 3199),
            ("would-create".to_owned(), 32)
        ]
        .into()
    );
    let bio = rows.iter().find(|r| r["COLUMN_NAME"] == "bio").unwrap();
    assert_eq!(
        bio["COLUMN_COMMENT"],
        "Free text,\twith a tab and a\nline break"
    );
    let (_, _, rows) = check(
        &sb,
        &file,
        &["--source", "mariadb_prod", "--include-system-schemas"],
    )
    .await;
    assert_eq!(counts(&rows), [("would-create".to_owned(), 3231)].into());
}

/// A column that is neither a dictionary's nor a custom attribute's is
/// refused once the attributes are read, before anything else is, naming it
/// with the closest known header; `--extra-columns ignore` passes it
/// over, said in the summary as the export's own columns are.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_column_no_dictionary_holds_stops_the_check_after_reading_the_attributes_unless_passed_over()
 {
    let sb = sandbox(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dictionary.csv");
    std::fs::write(
        &file,
        "source,schema,table,column,descriptoin,udt_name\ncrm,sales,orders,id,Key,int8\n",
    )
    .unwrap();
    let (code, error, _) = {
        let connection = crate::common::reach(&sb, dir.path());
        let file = file.display().to_string();
        let (code, error) = crate::common::dg_at(&["check", &file], &connection).await;
        (code, error, ())
    };
    assert_eq!(code, 2);
    let error = error.unwrap();
    assert!(
        error.contains("'descriptoin' (did you mean 'description'?)"),
        "{error}"
    );
    assert!(
        !error.contains("udt_name"),
        "an export's own column is passed over: {error}"
    );
    let reads: Vec<_> = sb.requests().into_iter().map(|r| r.path).collect();
    assert!(
        reads.iter().all(|path| path.starts_with("/v2/attributes")),
        "refused after reading the attributes alone: {reads:?}"
    );
    let summary = dir.path().join("summary.json");
    let summary_arg = summary.display().to_string();
    let extra = [
        "--extra-columns",
        "ignore",
        "--summary-json",
        summary_arg.as_str(),
    ];
    let (code, error, rows) = check(&sb, &file, &extra).await;
    assert_eq!(code, 0, "{error:?}");
    assert_eq!(rows[0]["result"], "would-create");
    // A check's summary is named as one, as its report is.
    let summary = dir.path().join("summary.check.json");
    let said: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    let warnings = said["warnings"].to_string();
    assert!(warnings.contains("passed over: udt_name"), "{warnings}");
    assert!(warnings.contains("'descriptoin'"), "{warnings}");
}
