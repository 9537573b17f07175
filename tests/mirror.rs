//! `dg-import sandbox --mirror`: a copy of a tenant that a rehearsal can
//! trust: `check` against it says, row for row, what it says against the
//! tenant, and so does the seed it saves, offline.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};

use dg_import::sandbox::Variant;
use serde_json::{Value, json};

use crate::common::{dg, read_report, sandbox};

/// A tenant of 300 sources, 250 users and 36 tags, as a seed; the first
/// source holds a dictionary (a schema, a table and a view of one name,
/// four columns, one with a custom attribute of fields).
fn tenant_seed() -> String {
    let users: Vec<Value> = (0..250)
        .map(|i| json!({"email": format!("user{i:03}@example.com"), "firstName": "U", "lastName": format!("{i}")}))
        .collect();
    let tags: Vec<Value> = (0..36)
        .map(|i| json!({"label": format!("Tag {i:02}")}))
        .collect();
    let sources: Vec<Value> = (0..300)
        .map(|i| {
            json!({"workspace": "Acme", "name": format!("Source {i:03}"),
                   "technicalName": format!("src_{i:03}"), "type": "Relational",
                   "owners": [format!("user{:03}@example.com", i % 250)],
                   "tags": [format!("Tag {:02}", i % 36)],
                   "Data Domain": "Finance"})
        })
        .collect();
    let mut sources = sources;
    let column = |name: &str, data_type: &str| json!({"name": name, "type": "Column", "columnDataType": data_type});
    let mut sensitive = column("total", "Decimal");
    sensitive["Sensitivity"] = json!("Internal");
    sources[0]["children"] = json!([{"name": "sales", "type": "Model", "description": "Sales", "children": [
        {"name": "orders", "type": "Table", "owners": ["user001@example.com"],
         "children": [column("id", "Integer"), sensitive, column("note", "LongText")]},
        {"name": "orders", "type": "View", "children": [column("id", "Integer")]}]}]);
    json!({
        "workspaces": [{"name": "Acme", "versioning": true, "versions": ["v1", "v2"]}],
        "users": users,
        "tags": tags,
        "attributes": [{"name": "Data Domain", "format": "ValueList", "values": ["Finance", "HR"]},
                       {"name": "Sensitivity", "format": "ValueList", "values": ["Internal", "Public"],
                        "kind": "Field"}],
        "sources": sources,
    })
    .to_string()
}

/// 200 rows: 100 new, 85 of existing sources, 15 bad (5 unknown owners,
/// 5 unknown tags, 5 unknown types).
fn file_of_200_rows() -> String {
    let mut csv = String::from("name,type,technicalName,owners,tags,Data Domain\n");
    for i in 0..200 {
        let (technical, owner, tag, kind) = match i {
            0..100 => (
                format!("new_{i:03}"),
                format!("user{:03}@example.com", i),
                "Tag 01",
                "NoSql",
            ),
            100..185 => (
                format!("src_{:03}", i - 100),
                "user001@example.com".into(),
                "tag 02",
                "Relational",
            ),
            185..190 => (
                format!("bad_{i}"),
                "nobody@example.com".into(),
                "Tag 03",
                "NoSql",
            ),
            190..195 => (
                format!("bad_{i}"),
                "user002@example.com".into(),
                "No Such Tag",
                "NoSql",
            ),
            _ => (
                format!("bad_{i}"),
                "user002@example.com".into(),
                "Tag 03",
                "Graph",
            ),
        };
        csv.push_str(&format!("Row {i},{kind},{technical},{owner},{tag},HR\n"));
    }
    csv
}

/// Starts `dg-import sandbox --mirror ...`; returns it and the URL it serves.
fn start_mirror(tenant_url: &str, dir: &Path) -> (Child, String) {
    let mut child = crate::common::binary()
        .args([
            "sandbox",
            "--port",
            "0",
            "--mirror",
            "--with-dictionary",
            "--version",
            "v1",
        ])
        .arg("--save-seed")
        .arg(dir.join("seed.json"))
        .args(["--url", tenant_url])
        .env("DATAGALAXY_TOKEN", "sandbox-token")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut said = Vec::new();
    while let Some(line) = lines.next() {
        let line = line.unwrap();
        if let Some(url) = line.trim().strip_prefix("DATAGALAXY_URL=") {
            // What it says after stays read: a closed stderr would end it.
            std::thread::spawn(move || lines.for_each(drop));
            return (child, url.to_owned());
        }
        said.push(line);
    }
    let ended = child.wait().unwrap();
    panic!("the mirror never served ({ended}): {said:#?}");
}

/// What `check` says of each row: (row, result, error).
async fn checked(dir: &Path, name: &str, connection: &[&str]) -> Vec<(String, String, String)> {
    let report = dir.join(format!("{name}.check.csv"));
    let input = dir.join("in.csv");
    let mut args = vec![
        "check",
        input.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
        "--quiet",
        "--workspace",
        "Acme",
        "--version",
        "v1",
    ];
    args.extend_from_slice(connection);
    let (code, error) = dg(&args).await;
    assert_eq!(code, 1, "{name}: {error:?}");
    let (_, rows) = read_report(&report);
    rows.into_iter()
        .map(|r| (r["row"].clone(), r["result"].clone(), r["error"].clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mirror_and_its_saved_seed_check_a_file_row_for_row_as_the_tenant_does() {
    let tenant = sandbox(|c| {
        c.seed = tenant_seed();
        c.variants.insert(Variant::TagLabel);
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("in.csv"), file_of_200_rows()).unwrap();
    std::fs::write(dir.path().join("token"), "sandbox-token").unwrap();
    let token = dir.path().join("token");
    let token = token.to_str().unwrap();
    let url = tenant.base_url();
    let writes_before = tenant
        .requests()
        .iter()
        .filter(|r| r.method != "GET")
        .count();
    let (mirror, mirror_url) = {
        let (url, dir) = (url.clone(), dir.path().to_owned());
        tokio::task::spawn_blocking(move || start_mirror(&url, &dir))
            .await
            .unwrap()
    };
    let writes = tenant
        .requests()
        .iter()
        .filter(|r| r.method != "GET")
        .count();
    assert_eq!(writes, writes_before, "a mirror only reads");

    let at_tenant = checked(
        dir.path(),
        "tenant",
        &["--url", &url, "--token-file", token],
    )
    .await;
    let at_mirror = checked(
        dir.path(),
        "mirror",
        &["--url", &mirror_url, "--token-file", token],
    )
    .await;
    let seed = dir.path().join("seed.json");
    let offline = ["--sandbox", "--sandbox-seed", seed.to_str().unwrap()];
    let at_seed = checked(dir.path(), "seed", &offline).await;
    let fields_of = |base: String| async move {
        let version = "?versionId=";
        let ws: Value = (crate::common::http().get(format!("{base}/workspaces")))
            .bearer_auth("sandbox-token")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let v1 = ws["projects"][0]["defaultVersionId"]
            .as_str()
            .unwrap()
            .to_owned();
        let url = format!("{base}/fields{version}{v1}&includeAttributes=true&limit=100");
        let page: Value = (crate::common::http().get(url))
            .bearer_auth("sandbox-token")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mut fields: Vec<(String, String, Value, Value)> =
            (page["results"].as_array().unwrap().iter())
                .map(|f| {
                    (
                        f["path"].as_str().unwrap().to_owned(),
                        f["typePath"].as_str().unwrap().to_owned(),
                        f["attributes"]["columnDataType"].clone(),
                        f["attributes"]["Sensitivity"].clone(),
                    )
                })
                .collect();
        fields.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        fields
    };
    let held = fields_of(url.clone()).await;
    assert_eq!(held.len(), 4, "{held:?}");
    let sensitive = (held.iter()).filter(|f| f.3 == "Internal").count();
    assert_eq!(
        sensitive, 1,
        "a custom attribute of fields, copied: {held:?}"
    );
    assert_eq!(
        fields_of(mirror_url.clone()).await,
        held,
        "the mirror holds the tenant's dictionary"
    );
    crate::common::interrupt(&mirror);
    let ended = tokio::task::spawn_blocking(move || {
        let mut mirror = mirror;
        mirror.wait().unwrap()
    });
    assert_eq!(ended.await.unwrap().code(), Some(0));

    let invalid = at_tenant
        .iter()
        .filter(|(_, result, _)| result == "invalid")
        .count();
    assert_eq!(invalid, 15, "{at_tenant:#?}");
    let conflicts = at_tenant
        .iter()
        .filter(|(_, result, _)| result == "conflict")
        .count();
    assert_eq!(
        conflicts, 85,
        "the existing sources were copied with their ids"
    );
    assert_eq!(at_mirror, at_tenant);
    assert_eq!(at_seed, at_tenant);
    let saved = std::fs::read_to_string(&seed).unwrap();
    assert!(
        !saved.contains(&url) && !saved.contains("sandbox-token"),
        "no URL or token in it"
    );
    assert!(
        saved.contains("\"tag-label\""),
        "the tenant's ways are in it"
    );
}
