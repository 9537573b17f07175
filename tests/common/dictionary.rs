//! Dictionaries in the tests: a tree by its paths, a CSV file's rows, and
//! the bulktree that puts a tree in a sandbox.

use std::path::Path;

use serde_json::{Value, json};

/// The tree a dictionary file makes, by (path, type path): its attributes.
pub type Described =
    std::collections::BTreeMap<(String, String), std::collections::BTreeMap<String, Value>>;

pub fn described(tree: &dg_import::pipeline::dictionary::tree::Tree) -> Described {
    let mut all = Described::new();
    for node in tree.iter() {
        let types: Vec<&str> = tree.key_path(node.at).into_iter().map(|(_, t)| t).collect();
        let key = (tree.path(node.at), format!("\\{}", types.join("\\")));
        all.insert(key, node.attributes().to_map());
    }
    all
}

/// A CSV file as its header and rows (a byte-order mark aside).
pub fn csv_rows(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let bytes = std::fs::read(path).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = (reader.records().map(Result::unwrap))
        .map(|r| r.iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

/// The bulktree of `tree`'s source at `at`, as the contract's body.
pub fn tree_body(tree: &dg_import::pipeline::dictionary::tree::Tree, at: usize) -> Value {
    let node = tree.node(at as u32);
    let mut body = json!({"name": node.name(), "technicalName": node.technical_name(),
                          "type": node.type_name()});
    for (key, value) in node.attributes() {
        body[key] = value.clone();
    }
    let children: Vec<Value> = (tree.iter())
        .filter(|n| n.parent() == Some(at as u32))
        .map(|child| tree_body(tree, child.at as usize))
        .collect();
    if !children.is_empty() {
        body["children"] = Value::Array(children);
    }
    body
}

/// The tree of a fixture of one row per field, read as `run` would.
pub fn fixture_tree(name: &str) -> dg_import::pipeline::dictionary::tree::Tree {
    use dg_import::pipeline::dictionary::rows::{Layout, Options};
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/dictionary")
        .join(name);
    let (header, rows) = csv_rows(&fixture);
    let layout = Layout::of(&header);
    let mut tree = dg_import::pipeline::dictionary::tree::Tree::default();
    for (i, cells) in rows.iter().enumerate() {
        if let Some(row) = layout.read(cells, &Options::default()).unwrap() {
            tree.add(i as u64 + 2, row).unwrap();
        }
    }
    tree
}

/// Puts the tree's first source and its dictionary in the sandbox.
pub async fn put(
    sb: &dg_import::sandbox::Sandbox,
    tree: &dg_import::pipeline::dictionary::tree::Tree,
) {
    post_tree(sb, &tree_body(tree, 0)).await;
}

/// Sends one bulktree to the sandbox; it must be taken.
pub async fn post_tree(sb: &dg_import::sandbox::Sandbox, body: &Value) {
    let url = format!(
        "{}/sources/bulktree/{}",
        sb.base_url(),
        sb.default_version_id()
    );
    let sent = crate::common::http()
        .post(url)
        .bearer_auth(sb.token())
        .json(body);
    let answer = sent.send().await.unwrap();
    assert_eq!(answer.status(), 200, "{}", answer.text().await.unwrap());
}

/// How many report rows say each result.
pub fn results_of(
    rows: &[std::collections::BTreeMap<String, String>],
) -> std::collections::BTreeMap<String, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for r in rows {
        *counts.entry(r["result"].clone()).or_default() += 1;
    }
    counts
}

/// What a command against the sandbox said: its exit code, its error, and
/// its report's rows.
pub type Said = (
    u8,
    Option<String>,
    Vec<std::collections::BTreeMap<String, String>>,
);

/// `COMMAND FILE --report DIR/REPORT EXTRA...` against the sandbox, in the
/// file's folder (a check's report is read where a check writes it).
pub async fn command(
    sb: &dg_import::sandbox::Sandbox,
    command: &str,
    file: &Path,
    report: &str,
    extra: &[&str],
) -> Said {
    let dir = file.parent().unwrap();
    let connection = crate::common::reach(sb, dir);
    let report = dir.join(report);
    let (file, report_arg) = (file.display().to_string(), report.display().to_string());
    let mut args = vec![command, file.as_str(), "--report", report_arg.as_str()];
    args.extend_from_slice(extra);
    let (code, error) = crate::common::dg_at(&args, &connection).await;
    let written = match command {
        "check" => report.with_extension("check.csv"),
        _ => report,
    };
    (code, error, crate::common::read_report(&written).1)
}

/// The bulktrees the sandbox was sent.
pub fn trees_sent(sb: &dg_import::sandbox::Sandbox) -> usize {
    (sb.requests().iter())
        .filter(|r| r.method == "POST" && r.path.contains("bulktree"))
        .count()
}

/// The report with `fixes` (row, column, value) applied to the rows' own
/// cells, as a steward edits it in a spreadsheet, written back.
pub fn fix_report(report: &Path, fixes: &[(&str, &str, &str)]) {
    let text = std::fs::read_to_string(report).unwrap();
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header = reader.headers().unwrap().clone();
    let mut writer = csv::Writer::from_path(report).unwrap();
    writer.write_record(&header).unwrap();
    for record in reader.records() {
        let mut cells: Vec<String> = record.unwrap().iter().map(str::to_owned).collect();
        let row = cells[0].clone();
        for (_, column, value) in fixes.iter().filter(|f| f.0 == row) {
            let at = header.iter().position(|h| h == *column).expect("a column");
            cells[at] = (*value).to_owned();
        }
        writer.write_record(&cells).unwrap();
    }
    writer.flush().unwrap();
}
